//! The lines the layout keeps: the real-time core (engine and DSP) renders offline and
//! stands apart from every front end and file format; YAML goes through one loader.

use std::path::{Path, PathBuf};

/// Crates and modules `engine/` and `dsp/` must not use.
const OUTSIDE_THE_CORE: [&str; 14] = [
    "ratatui",
    "crossterm",
    "midir",
    "serde_yaml",
    "hound",
    "jack",
    "serde",
    "crate::session",
    "crate::ui",
    "crate::control",
    "crate::audio",
    "crate::automation",
    "crate::headless",
    "crate::bench",
];

fn rust_files(path: &Path, out: &mut Vec<PathBuf>) {
    if path.is_dir() {
        for entry in std::fs::read_dir(path).unwrap() {
            rust_files(&entry.unwrap().path(), out);
        }
    } else if path.extension().is_some_and(|e| e == "rs") {
        out.push(path.to_path_buf());
    }
}

/// Where `file` names `path` in code (not in comments) as a path, as `file:line: text`.
fn uses(file: &Path, path: &str) -> Vec<String> {
    let text = std::fs::read_to_string(file).unwrap();
    let named = |code: &str| {
        code.match_indices(path).any(|(at, _)| {
            let before = code[..at].chars().next_back();
            let after = &code[at + path.len()..];
            let starts =
                before.is_none_or(|c| !(c.is_alphanumeric() || c == '_' || c == ':')) || path.starts_with("crate::");
            starts && (after.starts_with("::") || after.starts_with(';') || after.starts_with(" as "))
        })
    };
    text.lines()
        .enumerate()
        .filter(|(_, line)| named(line.split("//").next().unwrap_or("")))
        .map(|(n, line)| {
            let shown = file.strip_prefix(env!("CARGO_MANIFEST_DIR")).unwrap_or(file);
            format!("{}:{}: {}", shown.display(), n + 1, line.trim())
        })
        .collect()
}

fn files_under(roots: &[&str]) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for root in roots {
        rust_files(&Path::new(env!("CARGO_MANIFEST_DIR")).join(root), &mut files);
    }
    files
}

#[test]
fn the_engine_and_dsp_use_no_front_end_file_format_or_jack() {
    let files = files_under(&["src/engine.rs", "src/engine", "src/dsp.rs", "src/dsp"]);
    assert!(files.len() > 20, "found the core's files");
    let found: Vec<String> =
        files.iter().flat_map(|f| OUTSIDE_THE_CORE.iter().flat_map(move |path| uses(f, path))).collect();
    assert!(found.is_empty(), "engine/ and dsp/ must stay free of these:\n{}", found.join("\n"));
}

#[test]
fn serde_yaml_is_called_only_by_the_loader() {
    let loader = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/session/load.rs");
    let found: Vec<String> =
        files_under(&["src"]).iter().filter(|f| **f != loader).flat_map(|f| uses(f, "serde_yaml")).collect();
    assert!(found.is_empty(), "YAML is read and written in session/load.rs only:\n{}", found.join("\n"));
}
