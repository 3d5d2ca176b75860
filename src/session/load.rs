//! Reading and writing session files. Every serde_yaml call of the program is
//! in this file (the crate is frozen upstream; a swap touches only here).

use std::fmt;
use std::path::{Path, PathBuf};

use super::locate::Locations;
use super::schema::SessionDoc;
use super::validate::{Finding, validate};
use crate::files::read::{self, ReadError};

/// One problem in a file, located.
#[derive(Clone, Debug, PartialEq)]
pub struct Problem {
    pub file: PathBuf,
    pub line: usize,
    pub column: usize,
    /// YAML path of the offending value (`strips[3].sends[1].bus`), empty for syntax errors.
    pub path: String,
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}: ", self.file.display(), self.line, self.column)?;
        if !self.path.is_empty() {
            write!(f, "{}: ", self.path)?;
        }
        write!(f, "{}", self.message)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("{}: cannot read: {source}", file.display())]
    Read { file: PathBuf, source: ReadError },
    #[error("{}", Problems(problems))]
    Invalid { problems: Vec<Problem> },
}

struct Problems<'a>(&'a [Problem]);

impl fmt::Display for Problems<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, p) in self.0.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{p}")?;
        }
        Ok(())
    }
}

/// A session or layout read from disk and validated.
#[derive(Debug)]
pub struct Loaded {
    pub doc: SessionDoc,
    /// The YAML file itself.
    pub file: PathBuf,
    /// Relative input files are resolved against this folder.
    pub base_dir: PathBuf,
    pub locations: Locations,
}

impl Loaded {
    /// A problem located at a YAML path of this file (for checks made after loading, e.g. stem files).
    pub fn problem(&self, path: &str, message: impl Into<String>) -> Problem {
        let pos = self.locations.find(path);
        Problem {
            file: self.file.clone(),
            line: pos.line,
            column: pos.column,
            path: path.to_string(),
            message: message.into(),
        }
    }
}

/// The YAML file of a session folder or layout path.
pub fn session_file(path: &Path) -> PathBuf {
    if path.is_dir() { path.join("session.yaml") } else { path.to_path_buf() }
}

/// Reads, parses and validates a session folder or a layout/session file. Never writes.
pub fn load(path: &Path) -> Result<Loaded, LoadError> {
    match load_all(path)? {
        (Some(loaded), problems) if problems.is_empty() => Ok(loaded),
        (_, problems) => Err(LoadError::Invalid { problems }),
    }
}

/// Like `load`, but keeps reading past problems: every problem one reading finds, and the
/// document as far as it could be read (parts of the wrong type left out), for `check` to
/// look further (stem files, automation).
pub fn load_all(path: &Path) -> Result<(Option<Loaded>, Vec<Problem>), LoadError> {
    let file = session_file(path);
    let text = read_text(&file)?;
    // A bare file name has an empty parent: its folder is the current one.
    let base_dir = file.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new(".")).to_path_buf();
    let (doc, problems) = parse_all(&text, &file, validate);
    Ok((doc.map(|(doc, locations)| Loaded { doc, file, base_dir, locations }), problems))
}

/// The text of a layout, session, map or automation file: a plain file, of a size such a
/// file can have, in UTF-8 (the first byte that is not is located like any problem).
pub fn read_text(file: &Path) -> Result<String, LoadError> {
    read::text(file).map_err(|source| match source {
        ReadError::NotText { line, column, .. } => LoadError::Invalid {
            problems: vec![Problem {
                file: file.to_path_buf(),
                line,
                column,
                path: String::new(),
                message: source.to_string(),
            }],
        },
        source => LoadError::Read { file: file.to_path_buf(), source },
    })
}

/// Parses and validates session text; `file` is only used in messages.
pub fn parse(text: &str, file: &Path) -> Result<(SessionDoc, Locations), LoadError> {
    parse_with(text, file, validate)
}

/// Parses YAML text into `T` and runs `check` over it; syntax errors and the checks'
/// findings come back as problems located in `file` (which is only used in messages).
pub fn parse_with<T: serde::de::DeserializeOwned>(
    text: &str,
    file: &Path,
    check: impl FnOnce(&T) -> Vec<Finding>,
) -> Result<(T, Locations), LoadError> {
    match parse_all(text, file, check) {
        (Some(parsed), problems) if problems.is_empty() => Ok(parsed),
        (_, problems) => Err(LoadError::Invalid { problems }),
    }
}

/// At most this many values of the wrong type are left out before reading gives up.
const MOST_TYPE_PROBLEMS: usize = 100;

/// Every problem one reading of `text` can find: a YAML syntax error stops it; a value of the
/// wrong type, or a field no one knows, is reported and left out, and reading goes on; then
/// `check` runs over what was read (its findings about values left out are not repeated).
/// Returns the document when one could be read at all.
fn parse_all<T: serde::de::DeserializeOwned>(
    text: &str,
    file: &Path,
    check: impl FnOnce(&T) -> Vec<Finding>,
) -> (Option<(T, Locations)>, Vec<Problem>) {
    if let Some((line, column)) = too_deep(text) {
        let message = format!("nested deeper than {MOST_NESTING} levels of [ and {{; no headroom file nests so deep");
        return (None, vec![Problem { file: file.to_path_buf(), line, column, path: String::new(), message }]);
    }
    let mut tree: serde_yaml::Value = match serde_yaml::from_str(text) {
        Ok(tree) => tree,
        Err(e) => return (None, vec![syntax_problem(&e, file)]),
    };
    let locations = Locations::of(text);
    // `at` is where to point: the path itself, or the unknown key under it.
    let problem = |path: &str, at: &str, message: String, position: Option<(usize, usize)>| {
        let (line, column) = position.unwrap_or_else(|| {
            let pos = locations.find(at);
            (pos.line, pos.column)
        });
        Problem { file: file.to_path_buf(), line, column, path: path.to_string(), message }
    };
    let mut problems = Vec::new();
    let mut left_out: Vec<String> = Vec::new();
    let mut attempt = serde_yaml::from_str::<T>(text);
    let doc = loop {
        let e = match attempt {
            Ok(doc) => break Some(doc),
            Err(e) => e,
        };
        let (path, message) = split_path(without_position(&e.to_string()));
        let culprit = unknown_field(&message).map_or(path.clone(), |field| join(&path, field));
        // The first error's position is serde_yaml's own; later ones are read from a text
        // with parts left out, so their paths are located in the original instead.
        let position = e.location().filter(|_| problems.is_empty()).map(|l| (l.line(), l.column()));
        problems.push(problem(&path, &culprit, message, position));
        if problems.len() >= MOST_TYPE_PROBLEMS || !leave_out(&mut tree, &culprit) {
            break None;
        }
        left_out.push(culprit);
        attempt = serde_yaml::from_str::<T>(&to_yaml_of(&tree));
    };
    let Some(doc) = doc else { return (None, problems) };
    let related = |path: &str| left_out.iter().any(|out| out.starts_with(path) || path.starts_with(out.as_str()));
    problems.extend(
        check(&doc).into_iter().filter(|f| !related(&f.path)).map(|f| problem(&f.path, &f.path, f.message, None)),
    );
    (Some((doc, locations)), problems)
}

/// The deepest nesting of flow collections (`[` and `{`) a file may have: the deepest real
/// one is 3 (a send's list in a strip's map); the YAML parsers take time that grows with the
/// square of the depth (100 000 levels kept one busy for minutes).
const MOST_NESTING: usize = 64;

/// Where the text first opens a flow collection deeper than [`MOST_NESTING`] (1-based line
/// and column). Quoted strings and comments are skipped as YAML reads them: a quote opens a
/// string only where a value starts (after `[ { , : - ?` or at the start of a line), so the
/// apostrophe of `Don't` is a letter.
fn too_deep(text: &str) -> Option<(usize, usize)> {
    let (mut depth, mut line, mut column) = (0usize, 1, 0);
    let (mut quote, mut escaped, mut comment) = (None, false, false);
    // The last character that was not whitespace on this line ('\n' at its start), and
    // whether whitespace came after it.
    let (mut last, mut spaced) = ('\n', true);
    for c in text.chars() {
        column += 1;
        if c == '\n' && quote.is_none() {
            (line, column, comment, last, spaced) = (line + 1, 0, false, '\n', true);
            continue;
        }
        if c == '\n' {
            (line, column) = (line + 1, 0);
        }
        match quote {
            _ if comment => {}
            Some('"') if escaped => escaped = false,
            Some('"') if c == '\\' => escaped = true,
            Some(q) if c == q => quote = None,
            Some(_) => {}
            None => match c {
                '#' if spaced => comment = true,
                '"' | '\'' if "[{,:-?\n".contains(last) => quote = Some(c),
                '[' | '{' => {
                    depth += 1;
                    if depth > MOST_NESTING {
                        return Some((line, column));
                    }
                }
                ']' | '}' => depth = depth.saturating_sub(1),
                _ => {}
            },
        }
        if quote.is_none() && !comment {
            spaced = c.is_whitespace();
            if !spaced {
                last = c;
            }
        }
    }
    None
}

/// serde_yaml leads a message with the YAML path of the value it is about
/// (`strips[1].input: invalid type…`); splits that off.
fn split_path(message: String) -> (String, String) {
    let path_like = |p: &str| !p.is_empty() && p.chars().all(|c| c.is_alphanumeric() || "_-.[]".contains(c));
    match message.split_once(": ") {
        Some((path, rest)) if path_like(path) => (path.to_string(), rest.to_string()),
        _ => (String::new(), message),
    }
}

/// The field an "unknown field `x`" message is about.
fn unknown_field(message: &str) -> Option<&str> {
    message.strip_prefix("unknown field `")?.split('`').next()
}

fn join(path: &str, key: &str) -> String {
    if path.is_empty() { key.to_string() } else { format!("{path}.{key}") }
}

/// Takes the value at `path` (`strips[1].input.file`) out of `tree`, so reading can go on
/// without it; false when it cannot be (a list element, the whole document), or is not there.
fn leave_out(tree: &mut serde_yaml::Value, path: &str) -> bool {
    let (parent, key) = path.rsplit_once('.').unwrap_or(("", path));
    if key.contains('[') || key.is_empty() {
        return false;
    }
    let mut node = tree;
    for segment in parent.split('.').filter(|s| !s.is_empty()) {
        let (name, indexes) = segment.split_once('[').map_or((segment, ""), |(n, rest)| (n, rest));
        if !name.is_empty() {
            let Some(next) = node.get_mut(name) else { return false };
            node = next;
        }
        for index in indexes.split('[').map(|i| i.trim_end_matches(']')).filter(|i| !i.is_empty()) {
            let Some(next) = index.parse::<usize>().ok().and_then(|i| node.get_mut(i)) else { return false };
            node = next;
        }
    }
    node.as_mapping_mut().and_then(|map| map.remove(key)).is_some()
}

fn syntax_problem(e: &serde_yaml::Error, file: &Path) -> Problem {
    let (line, column) = e.location().map_or((1, 1), |l| (l.line(), l.column()));
    Problem { file: file.to_path_buf(), line, column, path: String::new(), message: without_position(&e.to_string()) }
}

/// serde_yaml writes " at line L column C" into its messages; the position already leads the line.
fn without_position(message: &str) -> String {
    let Some(start) = message.find(" at line ") else {
        return message.to_string();
    };
    let rest = &message[start + " at line ".len()..];
    let after_column = rest.find("column ").map(|c| &rest[c + "column ".len()..]).unwrap_or(rest);
    let tail = after_column.trim_start_matches(|ch: char| ch.is_ascii_digit());
    format!("{}{}", &message[..start], tail)
}

pub fn to_yaml(doc: &SessionDoc) -> String {
    to_yaml_of(doc)
}

/// Any of the program's documents as YAML (plain data: serialising cannot fail).
pub fn to_yaml_of<T: serde::Serialize>(doc: &T) -> String {
    serde_yaml::to_string(doc).expect("documents of plain data always serialise")
}

/// Saves a session document atomically (keeping a symlink's target and the file's mode).
pub fn save(path: &Path, doc: &SessionDoc) -> std::io::Result<()> {
    crate::files::write::atomic(&session_file(path), to_yaml(doc).as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn syntax_errors_name_file_line_and_column() {
        let text = "version: 1\nname: x\nstrips:\n  - name: Kick\n    fadr_db: 3\n";
        let err = parse(text, Path::new("my.yaml")).unwrap_err();
        let LoadError::Invalid { problems } = err else { panic!() };
        let shown = problems[0].to_string();
        assert!(shown.starts_with("my.yaml:5:5: "), "{shown}");
        assert!(shown.contains("unknown field `fadr_db`"), "{shown}");
    }

    #[test]
    fn nesting_past_the_limit_is_refused_at_once_where_it_goes_too_deep() {
        let deep = format!("version: 1\nname: x\nstrips: {}", "[".repeat(100_000));
        let started = std::time::Instant::now();
        let LoadError::Invalid { problems } = parse(&deep, Path::new("deep.yaml")).unwrap_err() else { panic!() };
        assert!(started.elapsed() < std::time::Duration::from_secs(1), "took {:?}", started.elapsed());
        assert_eq!(
            problems[0].to_string(),
            "deep.yaml:3:73: nested deeper than 64 levels of [ and {; no headroom file nests so deep"
        );
        // Brackets in quotes and comments do not count.
        let quoted = format!("version: 1\nname: \"{}\"\n# {}\nstrips: []\n", "[".repeat(100), "{".repeat(100));
        assert!(too_deep(&quoted).is_none());
        // An apostrophe in a plain value opens no string that could hide the nesting after it.
        let hidden = format!("version: 1\nname: Don't\nstrips: {}", "[\"]\" ".repeat(100));
        assert_eq!(too_deep(&hidden), Some((3, 8 + 5 * 64 + 1)));
    }

    #[test]
    fn a_saved_session_loads_back_identical() {
        let dir = tempfile::tempdir().unwrap();
        let text = "version: 1\nname: x\nstrips:\n  - name: Kick\n    input: {ports: [a:b]}\n    fader_db: -inf\n    sends: [{bus: Verb, level_db: -12}]\nbuses:\n  - {name: Verb, kind: fx, reverb: {size: 0.5}}\n";
        let (doc, _) = parse(text, Path::new("t.yaml")).unwrap();
        let path = dir.path().join("session.yaml");
        save(&path, &doc).unwrap();
        let loaded = load(dir.path()).unwrap();
        assert_eq!(loaded.doc, doc);
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1, "no temporary file left behind");
    }
}
