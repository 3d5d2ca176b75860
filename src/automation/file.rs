//! `automation.yaml`: the modes, the lanes (as they play, for people and tools to read;
//! headroom rebuilds them from the passes) and every pass. A stretch of points is written
//! as one line, `"frame value, frame value, ..."`, so a pass stays readable.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::Mode;
use super::lane::{Point, Shape};
use super::passes::{MOST_FRAME, MOST_PASS_ID, Pass, Store};
use crate::engine::params::ParamTable;
use crate::files::names::name_problem;
use crate::session::load::{self, LoadError};
use crate::session::validate::Finding;

pub const FILE_NAME: &str = "automation.yaml";

#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AutomationDoc {
    pub version: u32,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub modes: BTreeMap<String, ModeDoc>,
    /// Derived from the passes; written for readers.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub lanes: BTreeMap<String, String>,
    #[serde(default)]
    pub passes: Vec<PassDoc>,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PassDoc {
    pub id: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    pub made: String,
    pub start: u64,
    pub end: u64,
    #[serde(default = "yes")]
    pub active: bool,
    pub writes: BTreeMap<String, Vec<String>>,
    /// Transport frames where JACK missed periods during the pass.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub xruns: Vec<u64>,
}

fn yes() -> bool {
    true
}

/// A mode as the file writes it: its name.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ModeDoc(pub Mode);

impl Serialize for ModeDoc {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.0.name())
    }
}

impl<'de> Deserialize<'de> for ModeDoc {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        // A visitor keeps serde_yaml's position on the offending name.
        struct ModeVisitor;
        impl serde::de::Visitor<'_> for ModeVisitor {
            type Value = ModeDoc;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                let names: Vec<&str> = Mode::ALL.iter().map(|m| m.name()).collect();
                write!(f, "an automation mode ({})", names.join(", "))
            }
            fn visit_str<E: serde::de::Error>(self, name: &str) -> Result<ModeDoc, E> {
                Mode::parse(name).map(ModeDoc).ok_or_else(|| E::invalid_value(serde::de::Unexpected::Str(name), &self))
            }
        }
        d.deserialize_str(ModeVisitor)
    }
}

/// Where a session's automation lives: `automation.yaml` in a session folder; beside a
/// layout opened directly, `<layout>.automation.yaml`.
pub fn path_for(session_file: &Path) -> PathBuf {
    let dir = session_file.parent().unwrap_or(Path::new("."));
    match session_file.file_name().and_then(|n| n.to_str()) {
        Some("session.yaml") | None => dir.join(FILE_NAME),
        Some(_) => session_file.with_extension("automation.yaml"),
    }
}

/// The session file an automation file belongs to (the reverse of [`path_for`]), if `file`
/// is named like one.
pub fn session_for(file: &Path) -> Option<PathBuf> {
    let name = file.file_name()?.to_str()?;
    match name.strip_suffix(".automation.yaml") {
        _ if name == FILE_NAME => Some(file.with_file_name("session.yaml")),
        Some(stem) => Some(file.with_file_name(format!("{stem}.yaml"))),
        None => None,
    }
}

/// "0 -10, 48000 -4.5"
pub fn stretch_text(points: &[Point]) -> String {
    // Adding 0.0 turns -0 into 0, which reads better and parses the same.
    points.iter().map(|p| format!("{} {}", p.frame, p.value + 0.0)).collect::<Vec<_>>().join(", ")
}

fn parse_stretch(text: &str) -> Result<Vec<Point>, String> {
    let mut points: Vec<Point> = Vec::new();
    for pair in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let mut words = pair.split_whitespace();
        let (Some(frame), Some(value), None) = (words.next(), words.next(), words.next()) else {
            return Err(format!("expected \"frame value\" pairs separated by commas, found \"{pair}\""));
        };
        let frame: u64 = frame.parse().map_err(|_| format!("expected a frame number, found \"{frame}\""))?;
        if frame > MOST_FRAME {
            return Err(past_the_last_frame(frame));
        }
        let value: f32 = value
            .parse()
            .ok()
            .filter(|v: &f32| v.is_finite())
            .ok_or_else(|| format!("expected a number, found \"{value}\""))?;
        if points.last().is_some_and(|last| last.frame >= frame) {
            return Err(format!("frames must rise: {frame} comes after {}", points[points.len() - 1].frame));
        }
        points.push(Point { frame, value });
    }
    if points.is_empty() {
        return Err("a stretch needs at least one \"frame value\" pair".into());
    }
    Ok(points)
}

/// Reads a session's automation; a missing file is no automation. Every parameter must be
/// one of the session's.
pub fn load(path: &Path, table: &ParamTable) -> Result<Store, LoadError> {
    let text = match load::read_text(path) {
        Ok(text) => text,
        Err(LoadError::Read { source, .. }) if source.not_found() => return Ok(Store::default()),
        Err(e) => return Err(e),
    };
    let (doc, _) = load::parse_with(&text, path, |doc: &AutomationDoc| check(doc, table))?;
    let passes = doc
        .passes
        .into_iter()
        .map(|p| Pass {
            id: p.id,
            name: p.name,
            made: p.made,
            start: p.start,
            end: p.end,
            active: p.active,
            writes: p
                .writes
                .into_iter()
                .map(|(id, stretches)| (id, stretches.iter().filter_map(|s| parse_stretch(s).ok()).collect()))
                .collect(),
            xruns: p.xruns,
        })
        .collect();
    Ok(Store::new(doc.modes.into_iter().map(|(id, mode)| (id, mode.0)).collect(), passes))
}

fn past_the_last_frame(frame: u64) -> String {
    format!("expected a frame from 0 to {MOST_FRAME} (2^48, 185 years at 48 kHz), found {frame}")
}

fn check(doc: &AutomationDoc, table: &ParamTable) -> Vec<Finding> {
    if doc.version != 1 {
        return vec![Finding { path: "version".into(), message: format!("expected version 1, found {}", doc.version) }];
    }
    let unknown = |path: String, id: &str| {
        table.lookup(id).is_err().then(|| Finding {
            path,
            message: format!(
                "expected a parameter id of this session, found \"{id}\" (`headroom params SESSION` lists them)"
            ),
        })
    };
    let mut findings: Vec<Finding> = doc.modes.keys().filter_map(|id| unknown(format!("modes.{id}"), id)).collect();
    let mut ids = std::collections::HashSet::new();
    for (i, pass) in doc.passes.iter().enumerate() {
        if let Some(problem) = pass.name.as_deref().and_then(|name| name_problem(name, false)) {
            findings.push(Finding { path: format!("passes[{i}].name"), message: problem });
        }
        if pass.id == 0 || pass.id > MOST_PASS_ID {
            let message = format!("expected a pass id from 1 to {MOST_PASS_ID}, found {}", pass.id);
            findings.push(Finding { path: format!("passes[{i}].id"), message });
        }
        for (key, frame) in [("start", pass.start), ("end", pass.end)] {
            if frame > MOST_FRAME {
                findings.push(Finding { path: format!("passes[{i}].{key}"), message: past_the_last_frame(frame) });
            }
        }
        for (x, &frame) in pass.xruns.iter().enumerate() {
            if frame > MOST_FRAME {
                findings.push(Finding { path: format!("passes[{i}].xruns[{x}]"), message: past_the_last_frame(frame) });
            }
        }
        if !ids.insert(pass.id) {
            findings.push(Finding { path: format!("passes[{i}].id"), message: format!("pass {} twice", pass.id) });
        }
        for (id, stretches) in &pass.writes {
            findings.extend(unknown(format!("passes[{i}].writes.{id}"), id));
            for (s, stretch) in stretches.iter().enumerate() {
                if let Err(message) = parse_stretch(stretch) {
                    findings.push(Finding { path: format!("passes[{i}].writes.{id}[{s}]"), message });
                }
            }
        }
    }
    findings
}

/// The file's contents for a store.
pub fn to_doc(store: &Store, table: &ParamTable) -> AutomationDoc {
    let lanes = store
        .automated()
        .into_iter()
        .filter_map(|id| {
            let shape = table.lookup(&id).map(|p| Shape::of(table.spec(p))).unwrap_or(Shape::Linear);
            store.lane(&id, shape).map(|lane| (id, stretch_text(lane.points())))
        })
        .collect();
    let passes = store
        .passes()
        .iter()
        .map(|p| PassDoc {
            id: p.id,
            name: p.name.clone(),
            made: p.made.clone(),
            start: p.start,
            end: p.end,
            active: p.active,
            writes: p
                .writes
                .iter()
                .map(|(id, stretches)| (id.clone(), stretches.iter().map(|s| stretch_text(s)).collect()))
                .collect(),
            xruns: p.xruns.clone(),
        })
        .collect();
    let modes = store.modes.iter().map(|(id, &mode)| (id.clone(), ModeDoc(mode))).collect();
    AutomationDoc { version: 1, modes, lanes, passes }
}

/// Writes the store atomically.
pub fn save(path: &Path, store: &Store, table: &ParamTable) -> std::io::Result<()> {
    let header = "# headroom automation: modes, lanes (as they play, rebuilt from the passes), every pass.\n";
    let text = format!("{header}{}", load::to_yaml_of(&to_doc(store, table)));
    crate::files::write::atomic(path, text.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::session::resolve::build_engine;

    fn table() -> ParamTable {
        let yaml = "version: 1\nname: t\nstrips:\n  - {name: V, input: {ports: [x:v]}}\n";
        let doc = load::parse(yaml, Path::new("t.yaml")).unwrap().0;
        build_engine(&doc, 48_000.0, 0).unwrap().params
    }

    #[test]
    fn a_store_saved_loads_back_the_same() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(FILE_NAME);
        let points = vec![Point { frame: 0, value: -10.0 }, Point { frame: 4800, value: -3.5 }];
        let pass = Pass {
            id: 1,
            name: Some("verse ride".into()),
            made: "2026-11-21 10:00:00".into(),
            start: 0,
            end: 4800,
            active: true,
            writes: BTreeMap::from([("strip.V.fader".to_string(), vec![points])]),
            xruns: vec![2400],
        };
        let store = Store::new(BTreeMap::from([("strip.V.fader".to_string(), Mode::Touch)]), vec![pass]);
        save(&path, &store, &table()).unwrap();
        assert_eq!(load(&path, &table()).unwrap(), store);
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.contains("strip.V.fader: 0 -10, 4800 -3.5"), "{text}");
        assert!(text.contains("  xruns:\n  - 2400"), "{text}");
    }

    #[test]
    fn bad_automation_is_refused_with_file_line_and_what_was_expected() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(FILE_NAME);
        let text = "version: 1\nmodes:\n  strip.X.fader: touch\npasses:\n  - id: 1\n    made: now\n    start: 0\n    end: 10\n    writes:\n      strip.V.fader:\n        - \"10 -3, 5 -2\"\n";
        std::fs::write(&path, text).unwrap();
        let shown = load(&path, &table()).unwrap_err().to_string();
        let lines: Vec<&str> = shown.lines().collect();
        assert_eq!(lines.len(), 2, "{shown}");
        assert!(lines[0].starts_with(&format!("{}:3:", path.display())), "{shown}");
        assert!(lines[0].contains("expected a parameter id of this session, found \"strip.X.fader\""), "{shown}");
        assert!(lines[1].contains("frames must rise: 5 comes after 10"), "{shown}");
    }

    #[test]
    fn pass_ids_and_frames_past_what_a_file_can_hold_are_refused_where_they_are() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(FILE_NAME);
        let text = "version: 1\npasses:\n  - id: 4294967295\n    made: now\n    start: 0\n    end: 18446744073709551615\n    writes:\n      strip.V.fader: [\"0 -3, 18446744073709551615 -2\"]\n";
        std::fs::write(&path, text).unwrap();
        let shown = load(&path, &table()).unwrap_err().to_string();
        let lines: Vec<&str> = shown.lines().collect();
        assert_eq!(lines.len(), 3, "{shown}");
        assert!(
            lines[0].ends_with(":3:5: passes[0].id: expected a pass id from 1 to 999999999, found 4294967295"),
            "{shown}"
        );
        assert!(lines[1].contains(":6:5: passes[0].end: expected a frame from 0 to 281474976710656"), "{shown}");
        assert!(lines[2].contains("passes[0].writes.strip.V.fader[0]: expected a frame from 0 to"), "{shown}");
    }

    #[test]
    fn the_pass_after_the_highest_id_a_file_may_hold_takes_the_lowest_free_one() {
        let pass = |id| Pass {
            id,
            name: None,
            made: "now".into(),
            start: 0,
            end: 0,
            active: true,
            writes: BTreeMap::new(),
            xruns: vec![],
        };
        let store = Store::new(BTreeMap::new(), vec![pass(1), pass(MOST_PASS_ID)]);
        assert_eq!(store.next_id(), 2);
        assert_eq!(Store::new(BTreeMap::new(), vec![pass(7)]).next_id(), 8);
    }
}
