//! Maps YAML paths (`strips[3].sends[1].bus`) to line and column, so errors
//! found after deserialising can still point into the file. serde_yaml keeps
//! no positions, so this reads the text once more with yaml-rust2's event parser.

use std::collections::HashMap;

use yaml_rust2::parser::{Event, MarkedEventReceiver, Parser};
use yaml_rust2::scanner::Marker;

/// 1-based line and column.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Position {
    pub line: usize,
    pub column: usize,
}

#[derive(Debug, Default)]
pub struct Locations {
    positions: HashMap<String, Position>,
}

impl Locations {
    pub fn of(text: &str) -> Self {
        let mut recorder = Recorder::default();
        // A parse error leaves what was read so far; serde_yaml reports the error itself.
        let _ = Parser::new_from_str(text).load(&mut recorder, false);
        Self { positions: recorder.positions }
    }

    /// Position of `path`, or of its nearest recorded ancestor (a missing key points at its parent).
    pub fn find(&self, path: &str) -> Position {
        let mut p = path;
        loop {
            if let Some(pos) = self.positions.get(p) {
                return *pos;
            }
            match p.rfind(['.', '[']) {
                Some(cut) => p = &p[..cut],
                None => {
                    return self.positions.get("").copied().unwrap_or(Position { line: 1, column: 1 });
                }
            }
        }
    }
}

enum Frame {
    Map { key: Option<String> },
    Seq { index: usize },
}

#[derive(Default)]
struct Recorder {
    stack: Vec<Frame>,
    positions: HashMap<String, Position>,
}

impl Recorder {
    fn path(&self) -> String {
        let mut path = String::new();
        for frame in &self.stack {
            match frame {
                Frame::Map { key: Some(k) } => {
                    if !path.is_empty() {
                        path.push('.');
                    }
                    path.push_str(k);
                }
                Frame::Map { key: None } => {}
                Frame::Seq { index } => path.push_str(&format!("[{index}]")),
            }
        }
        path
    }

    fn record(&mut self, mark: Marker) {
        let position = Position { line: mark.line(), column: mark.col() + 1 };
        self.positions.entry(self.path()).or_insert(position);
    }

    /// A value (scalar or collection) finished: the parent moves on to its next key or item.
    fn value_done(&mut self) {
        match self.stack.last_mut() {
            Some(Frame::Map { key }) => *key = None,
            Some(Frame::Seq { index }) => *index += 1,
            None => {}
        }
    }
}

impl MarkedEventReceiver for Recorder {
    fn on_event(&mut self, ev: Event, mark: Marker) {
        match ev {
            Event::Scalar(value, ..) => match self.stack.last_mut() {
                Some(Frame::Map { key }) if key.is_none() => {
                    *key = Some(value);
                    // Point at the key: that is where a reader looks for a setting.
                    self.record(mark);
                }
                _ => {
                    self.record(mark);
                    self.value_done();
                }
            },
            Event::MappingStart(..) => {
                self.record(mark);
                self.stack.push(Frame::Map { key: None });
            }
            Event::SequenceStart(..) => {
                self.record(mark);
                self.stack.push(Frame::Seq { index: 0 });
            }
            Event::MappingEnd | Event::SequenceEnd => {
                self.stack.pop();
                self.value_done();
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_nested_keys_and_list_items() {
        let text = "version: 1\nname: x\nstrips:\n  - name: Kick\n    sends:\n      - bus: Verb\n        level_db: -6\n  - name: Snare\n";
        let loc = Locations::of(text);
        assert_eq!(loc.find("version"), Position { line: 1, column: 1 });
        assert_eq!(loc.find("strips[0].sends[0].bus"), Position { line: 6, column: 9 });
        assert_eq!(loc.find("strips[0].sends[0].level_db"), Position { line: 7, column: 9 });
        assert_eq!(loc.find("strips[1].name"), Position { line: 8, column: 5 });
        // Missing keys fall back to their parent.
        assert_eq!(loc.find("strips[1].fader_db"), loc.find("strips[1]"));
    }
}
