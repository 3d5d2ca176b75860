//! Session files as a user meets them through the `headroom` command: every
//! shipped layout checks clean, every broken fixture gives exactly its expected
//! errors, `new` makes a session that loads, and a failed load writes nothing.

use std::path::Path;
use std::process::Command;

fn headroom(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_headroom")).args(args).output().expect("run headroom")
}

#[test]
fn every_shipped_layout_checks_clean() {
    let layouts: Vec<String> = std::fs::read_dir("layouts")
        .unwrap()
        .map(|e| e.unwrap().path().to_string_lossy().into_owned())
        // A layout played directly keeps its automation beside it: not a layout of its own.
        .filter(|p| p.ends_with(".yaml") && !p.ends_with(".automation.yaml"))
        .collect();
    assert!(layouts.len() >= 3);
    let mut args = vec!["check"];
    args.extend(layouts.iter().map(String::as_str));
    let out = headroom(&args);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{}{}", stdout, String::from_utf8_lossy(&out.stderr));
    assert_eq!(stdout.lines().filter(|l| l.ends_with(")") && l.contains(": ok (")).count(), layouts.len());
}

/// Each file in tests/fixtures/invalid starts with `# expect: LINE:COL: PATH: MESSAGE` lines:
/// exactly those errors, in that order, must come out of `headroom check`.
#[test]
fn every_invalid_fixture_gives_exactly_its_expected_errors() {
    let mut checked = 0;
    for entry in std::fs::read_dir("tests/fixtures/invalid").unwrap() {
        let path = entry.unwrap().path();
        let file = path.to_string_lossy().into_owned();
        let text = std::fs::read_to_string(&path).unwrap();
        let expected: Vec<String> =
            text.lines().filter_map(|l| l.strip_prefix("# expect: ")).map(|l| format!("{file}:{l}")).collect();
        assert!(!expected.is_empty(), "{file} states no expected error");
        let out = headroom(&["check", &file]);
        assert!(!out.status.success(), "{file} was accepted");
        let stderr = String::from_utf8_lossy(&out.stderr);
        let got: Vec<&str> = stderr.lines().collect();
        assert_eq!(got, expected, "{file}");
        checked += 1;
    }
    assert!(checked >= 10);
}

#[test]
fn new_makes_a_session_folder_that_loads_and_keeps_file_inputs_reachable() {
    let dir = tempfile::tempdir().unwrap();
    let session = dir.path().join("my-song");
    let out = headroom(&["new", session.to_str().unwrap(), "--layout", "band-16"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(session.join("renders").is_dir() && session.join("versions").is_dir());
    let loaded = headroom::session::load::load(&session).unwrap();
    assert_eq!(loaded.doc.name, "my-song");
    assert_eq!(loaded.doc.strips.len(), 14);

    // A layout with a relative stem path, from another folder: the session still finds the stem.
    let layout_dir = dir.path().join("templates");
    std::fs::create_dir(&layout_dir).unwrap();
    headroom::audio::wav::write_wav(&layout_dir.join("kick.wav"), 1, 48_000, 16, false, &[0.1; 480]).unwrap();
    std::fs::write(
        layout_dir.join("one.yaml"),
        "version: 1\nname: one\nstrips:\n  - {name: Kick, input: {file: kick.wav}}\n",
    )
    .unwrap();
    let second = dir.path().join("second");
    let out = headroom(&["new", second.to_str().unwrap(), "--layout", layout_dir.join("one.yaml").to_str().unwrap()]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let out = headroom(&["check", second.to_str().unwrap()]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));

    // The same with the layout named as a bare file name from its own folder.
    let third = dir.path().join("third");
    let out = Command::new(env!("CARGO_BIN_EXE_headroom"))
        .args(["new", third.to_str().unwrap(), "--layout", "one.yaml"])
        .current_dir(&layout_dir)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let out = headroom(&["check", third.to_str().unwrap()]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));

    let again = headroom(&["new", session.to_str().unwrap()]);
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("already exists"));
}

#[test]
fn a_broken_session_is_left_untouched_and_nothing_is_rendered() {
    let dir = tempfile::tempdir().unwrap();
    let session = dir.path().join("song");
    std::fs::create_dir(&session).unwrap();
    let broken = "version: 1\nname: song\nstrips:\n  - {name: A, input: {ports: [x:y]}, fader_db: 99}\n";
    std::fs::write(session.join("session.yaml"), broken).unwrap();
    let out = headroom(&["render", session.to_str().unwrap(), "--length", "1"]);
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("session.yaml:4:"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(std::fs::read_to_string(session.join("session.yaml")).unwrap(), broken);
    assert!(
        !Path::new(&session.join("renders")).exists()
            || std::fs::read_dir(session.join("renders")).unwrap().count() == 0
    );
}

#[test]
fn renders_are_dated_and_never_overwrite() {
    let dir = tempfile::tempdir().unwrap();
    let session = dir.path().join("song");
    assert!(headroom(&["new", session.to_str().unwrap(), "--layout", "podcast"]).status.success());
    for _ in 0..2 {
        let out = headroom(&["render", session.to_str().unwrap(), "--length", "0.5"]);
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    }
    let mut names: Vec<String> = std::fs::read_dir(session.join("renders"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    let date = chrono::Local::now().format("%Y-%m-%d").to_string();
    assert_eq!(names, vec![format!("song-{date}-1.wav"), format!("song-{date}-2.wav")]);
}

#[test]
fn check_reads_a_sessions_automation_and_names_the_line_of_a_bad_one() {
    let dir = tempfile::tempdir().unwrap();
    let layout = dir.path().join("ride.yaml");
    std::fs::write(&layout, "version: 1\nname: ride\nstrips:\n  - {name: Vox, input: {ports: [x:v]}}\n").unwrap();
    let automation = dir.path().join("ride.automation.yaml");
    let pass = "passes:\n  - {id: 1, made: 2026-12-01 10:00:00, start: 0, end: 96000, writes: {strip.Vox.fader: [\"0 -3, 96000 -9\"]}}\n";
    std::fs::write(&automation, format!("version: 1\nmodes: {{strip.Vox.fader: read}}\n{pass}")).unwrap();
    // Named by the layout or by the automation file, the session is checked with its automation.
    for file in [&layout, &automation] {
        let out = headroom(&["check", file.to_str().unwrap()]);
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(out.status.success() && stdout.contains("1 automation pass in"), "{stdout}");
    }
    std::fs::write(&automation, format!("version: 1\nmodes: {{strip.Voice.fader: read}}\n{pass}")).unwrap();
    let out = headroom(&["check", layout.to_str().unwrap()]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "a bad automation file fails the check");
    assert!(
        stderr.contains("ride.automation.yaml:2:")
            && stderr.contains("expected a parameter id of this session, found \"strip.Voice.fader\""),
        "{stderr}"
    );
}

/// A session that writes nothing but names and inputs is the parameter table's defaults:
/// `headroom params` lists every parameter with its unit, range, default and role, and each
/// value read from the session is the default the table declares, except that a processor
/// the file does not write starts switched out (its enable off, its bypass on).
#[test]
fn params_lists_every_parameter_and_an_unwritten_session_sits_at_the_tables_defaults() {
    let dir = tempfile::tempdir().unwrap();
    let layout = dir.path().join("bare.yaml");
    let text = "version: 1\nname: bare\nbuses:\n  - {name: Verb, kind: fx}\nstrips:\n  - {name: Vox, input: {ports: [x:v]}, sends: [{bus: Verb}]}\n";
    std::fs::write(&layout, text).unwrap();
    let out = headroom(&["params", layout.to_str().unwrap()]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let stdout = String::from_utf8_lossy(&out.stdout);
    let mut rows = stdout.lines();
    assert!(rows.next().unwrap().starts_with("id "));
    let column = |row: &str, from: usize, to: usize| row.get(from..to.min(row.len())).unwrap_or("").trim().to_string();
    let mut listed = Vec::new();
    for row in rows {
        let (id, value, range, default, role) =
            (column(row, 0, 36), column(row, 37, 47), column(row, 49, 79), column(row, 80, 90), column(row, 92, 103));
        let switched_out = match role.as_str() {
            "enable" => value == "off",
            "bypass" => value == "on",
            _ => false,
        };
        assert!(value == default || switched_out, "{id} does not sit at its default: {row}");
        assert!(!range.is_empty() && !role.is_empty() && row.len() > 104, "{id} lacks a range, role or doc: {row}");
        listed.push(id);
    }
    for id in ["strip.Vox.fader", "strip.Vox.comp.mix", "strip.Vox.send.Verb", "bus.Verb.fader", "master.fader"] {
        assert!(listed.iter().any(|l| l == id), "{id} is not listed:\n{stdout}");
    }
}
