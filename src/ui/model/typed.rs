//! Commands typed as lines (headless standard input, and any front end that speaks
//! text): they go through the same update as the console's keys, with undo, the unsaved
//! mark, the quit guard and saves, and answer in the order they were typed.
//!
//! ```text
//! play | stop | locate SECONDS | loop START END | loop on|off | set PARAM-ID VALUE | get PARAM-ID
//! move PARAM-ID VALUE | touch PARAM-ID | release PARAM-ID       (a hand on a control)
//! undo | redo | save | save-version NAME | quit | quit!
//! meters | meters reset | target LOW HIGH | print [BUS,…|all] | print stop | insert measure CHANNEL
//! mode PARAM-ID|CHANNEL MODE | write on|off | passes | undo pass | redo pass | toggle N | name N TEXT
//! ```

use super::{App, Effect, TransportRequest};
use crate::automation::recorder::Request;
use crate::automation::{self, Mode};
use crate::engine::Command;
use crate::engine::params::ParamIndex;

#[derive(Clone, Debug, PartialEq)]
pub enum Typed {
    Play,
    Stop,
    Locate {
        seconds: f64,
    },
    /// The loop's start and end, in seconds, as `i` and `o` set them at the playhead.
    Loop {
        start_s: f64,
        end_s: f64,
    },
    LoopPlayback(bool),
    /// A value put in place (a recall): automation sees no hand on the control.
    Set {
        id: String,
        value: String,
    },
    Get {
        id: String,
    },
    /// A hand moves a control (automation sees a touch).
    Move {
        id: String,
        value: String,
    },
    Touch {
        id: String,
        on: bool,
    },
    /// The automation mode of a parameter, or of every parameter of a channel (`strip.Vocal`).
    Mode {
        target: String,
        mode: Mode,
    },
    WriteEnable(bool),
    Passes,
    /// Undo and redo of mix changes, as `u` and `U` in the console.
    Undo,
    Redo,
    /// The automation history: undo or redo a pass, take one out or back, name one.
    Automation(Request),
    Save,
    SaveVersion(String),
    /// Each channel's peak and overs since the reset, and the master's loudness.
    Meters,
    ResetMeters,
    /// The master's peak target, low then high, in dBFS.
    Target(String),
    /// Arms a real-time print of the master and these buses; `print stop` ends it.
    Print(Vec<String>),
    StopPrint,
    /// Pings a channel's hardware insert (`strip.Gtr`) to measure its round trip.
    MeasureInsert(String),
    /// `quit` refuses while changes are unsaved; `quit!` discards them.
    Quit {
        discard: bool,
    },
}

const COMMANDS: &str = "play, stop, locate SECONDS, loop START END, loop on|off, set PARAM VALUE, get PARAM, move PARAM VALUE, touch PARAM, \
     release PARAM, undo, redo, save, save-version NAME, quit, quit!, mode PARAM|CHANNEL MODE, write on|off, passes, \
     undo pass, redo pass, toggle N, name N TEXT, meters, meters reset, target LOW HIGH, print [BUS,…|all], print stop, insert measure CHANNEL (an id with spaces in double quotes: \"strip.Lead Vox.fader\")";

/// The words of a line: split at whitespace, except inside double quotes, which keep an id
/// with spaces whole (`touch "strip.Lead Vox.fader"`); `\"` and `\\` stand for themselves.
fn words(line: &str) -> Result<Vec<String>, String> {
    let (mut words, mut word, mut quoted, mut in_word) = (Vec::new(), String::new(), false, false);
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        match c {
            '"' => (quoted, in_word) = (!quoted, true),
            '\\' if quoted => word.push(chars.next().unwrap_or('\\')),
            c if c.is_whitespace() && !quoted => {
                if in_word {
                    words.push(std::mem::take(&mut word));
                }
                in_word = false;
            }
            c => {
                word.push(c);
                in_word = true;
            }
        }
    }
    if quoted {
        return Err(format!("a \" opens a quoted word but nothing closes it: {}", line.trim()));
    }
    if in_word {
        words.push(word);
    }
    Ok(words)
}

/// Reads one command line; `Err` says what was expected.
pub fn parse_line(line: &str) -> Result<Option<Typed>, String> {
    let owned = words(line)?;
    let words: Vec<&str> = owned.iter().map(String::as_str).collect();
    let number = |w: &str, what: &str| w.parse::<f64>().map_err(|_| format!("expected {what}, found \"{w}\""));
    Ok(Some(match words.as_slice() {
        [] => return Ok(None),
        ["play"] => Typed::Play,
        ["stop"] => Typed::Stop,
        ["quit"] | ["exit"] => Typed::Quit { discard: false },
        ["quit!"] | ["exit!"] => Typed::Quit { discard: true },
        ["save"] => Typed::Save,
        ["save-version", name @ ..] if !name.is_empty() => Typed::SaveVersion(name.join(" ")),
        ["locate", s] => Typed::Locate { seconds: number(s, "seconds")?.max(0.0) },
        ["loop", "on"] => Typed::LoopPlayback(true),
        ["loop", "off"] => Typed::LoopPlayback(false),
        ["loop", start, end] => Typed::Loop {
            start_s: number(start, "the loop's start in seconds")?.max(0.0),
            end_s: number(end, "the loop's end in seconds")?.max(0.0),
        },
        ["set", id, value @ ..] if !value.is_empty() => Typed::Set { id: id.to_string(), value: value.join(" ") },
        ["move", id, value @ ..] if !value.is_empty() => Typed::Move { id: id.to_string(), value: value.join(" ") },
        ["get", id] => Typed::Get { id: id.to_string() },
        ["touch", id] => Typed::Touch { id: id.to_string(), on: true },
        ["release", id] => Typed::Touch { id: id.to_string(), on: false },
        ["mode", target, mode] => Typed::Mode {
            target: target.to_string(),
            mode: Mode::parse(mode)
                .ok_or_else(|| format!("expected off, read, write, touch, latch or trim, found \"{mode}\""))?,
        },
        ["write", "on"] => Typed::WriteEnable(true),
        ["write", "off"] => Typed::WriteEnable(false),
        ["passes"] => Typed::Passes,
        ["meters"] => Typed::Meters,
        ["meters", "reset"] => Typed::ResetMeters,
        ["target", levels @ ..] if !levels.is_empty() => Typed::Target(levels.join(" ")),
        ["print", "stop"] => Typed::StopPrint,
        ["insert", "measure", channel] => Typed::MeasureInsert(channel.to_string()),
        ["print", buses @ ..] => Typed::Print(
            buses.iter().flat_map(|b| b.split(',')).filter(|b| !b.is_empty()).map(str::to_string).collect(),
        ),
        ["undo"] => Typed::Undo,
        ["redo"] => Typed::Redo,
        ["undo", "pass"] => Typed::Automation(Request::Undo),
        ["redo", "pass"] => Typed::Automation(Request::Redo),
        ["toggle", n] => Typed::Automation(Request::Toggle(number(n, "a pass number")? as u32)),
        ["name", n, name @ ..] if !name.is_empty() => {
            Typed::Automation(Request::Rename(number(n, "a pass number")? as u32, name.join(" ")))
        }
        _ => return Err(format!("unknown command \"{}\"; commands: {COMMANDS}", line.trim())),
    }))
}

impl App {
    /// Carries out a typed command; what it has to say goes to the status (and the replies).
    pub(super) fn typed(&mut self, typed: Typed, effects: &mut Vec<Effect>) {
        if let Err(problem) = self.try_typed(typed, effects) {
            self.say(problem, true);
        }
    }

    fn try_typed(&mut self, typed: Typed, effects: &mut Vec<Effect>) -> Result<(), String> {
        let rate = self.info.sample_rate as f64;
        match typed {
            Typed::Play => effects.push(Effect::Transport(TransportRequest::Play)),
            Typed::Stop => effects.push(Effect::Transport(TransportRequest::Stop)),
            Typed::Locate { seconds } => {
                effects.push(Effect::Transport(TransportRequest::Locate((seconds * rate) as u64)))
            }
            Typed::Loop { start_s, end_s } => {
                let frame = |s: f64| Some((s * rate).round() as u64);
                self.set_loop(frame(start_s), frame(end_s), effects)
            }
            Typed::LoopPlayback(on) => self.loop_playback(on, effects),
            Typed::Set { id, value } => self.typed_value(&id, &value, false, effects)?,
            Typed::Move { id, value } => self.typed_value(&id, &value, true, effects)?,
            Typed::Get { id } => {
                let param = self.param(&id)?;
                let spec = self.table.spec(param);
                self.say(format!("{id} = {}", spec.format(self.shown(param))), false);
            }
            Typed::Touch { id, on } => {
                let param = self.param(&id)?;
                effects.push(Effect::Engine(Command::Touch { param, touched: on }));
            }
            Typed::Mode { target, mode } => {
                let chosen = self.mode_target(&target)?;
                let told = match chosen.len() {
                    1 => format!("{target}: {}", mode.name()),
                    n => format!("{target}: {} ({n} parameters)", mode.name()),
                };
                effects.push(Effect::Automation(Request::SetModes { params: chosen, mode }));
                self.say(told, false);
            }
            Typed::WriteEnable(on) => {
                effects.push(Effect::Automation(Request::WriteEnable(on)));
                self.say(format!("automation write {}", if on { "enabled" } else { "disabled" }), false);
            }
            Typed::Passes => {
                let lines: Vec<String> = self
                    .automation
                    .store
                    .passes()
                    .iter()
                    .map(|pass| {
                        let state = if pass.active { "" } else { " (taken out)" };
                        format!("{} made {}{state}", pass.describe(self.info.sample_rate), pass.made)
                    })
                    .collect();
                if lines.is_empty() {
                    self.say("no passes yet".into(), false);
                }
                lines.into_iter().for_each(|line| self.say(line, false));
            }
            Typed::Meters => {
                for line in self.meters_report() {
                    self.say(line, false);
                }
            }
            Typed::ResetMeters => self.reset_meters(effects),
            Typed::Target(levels) => self.set_target(&levels)?,
            Typed::Print(buses) => self.start_print(&buses, effects)?,
            Typed::StopPrint => effects.push(Effect::StopPrint),
            Typed::MeasureInsert(channel) => self.measure_insert(&channel, effects)?,
            Typed::Undo => self.step_history(false, effects),
            Typed::Redo => self.step_history(true, effects),
            Typed::Automation(request) => effects.push(Effect::Automation(request)),
            Typed::Save => self.save(None, effects),
            Typed::SaveVersion(name) => self.save_version(&name, effects),
            Typed::Quit { discard: false } if self.automation_unsaved => {
                return Err(format!("{}; `quit!` quits and loses it", super::AUTOMATION_UNSAVED));
            }
            Typed::Quit { discard: false } if self.is_dirty() => {
                return Err("unsaved changes: `save` keeps them, `quit!` quits without saving".into());
            }
            Typed::Quit { .. } => effects.push(Effect::Quit),
        }
        Ok(())
    }

    /// `set` and `move`: the value read in the parameter's unit, refused out of its range.
    fn typed_value(&mut self, id: &str, text: &str, by_hand: bool, effects: &mut Vec<Effect>) -> Result<(), String> {
        let param = self.param(id)?;
        let value = self.table.spec(param).parse(text)?;
        self.set_value(param, value, by_hand, effects);
        let spec = self.table.spec(param);
        let a = self.automation_of(param);
        let told = if a.drives() && a.mode == Mode::Read {
            format!("{id} = {} (not heard: in Read its lane plays {})", spec.format(value), spec.format(a.played))
        } else {
            format!("{id} = {}", spec.format(value))
        };
        self.say(told, false);
        Ok(())
    }

    fn param(&self, id: &str) -> Result<ParamIndex, String> {
        self.table.lookup(id).map_err(|e| format!("{e}; `headroom params SESSION` lists them"))
    }

    /// A parameter by id, or a channel by its id prefix (`strip.Vocal`, `master`): all of its
    /// parameters a channel's mode applies to.
    fn mode_target(&self, target: &str) -> Result<Vec<ParamIndex>, String> {
        if let Ok(param) = self.table.lookup(target) {
            return Ok(vec![param]);
        }
        let owner =
            self.table.channels().iter().position(|ch| self.table.spec(ch.fader).id == format!("{target}.fader"));
        match owner {
            Some(owner) => Ok(automation::channel_params(&self.table, owner)),
            None => Err(format!("no parameter or channel \"{target}\"; `headroom params SESSION` lists them")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_id_with_spaces_is_one_word_in_double_quotes() {
        let touch = parse_line("touch \"strip.Lead Vox.fader\"").unwrap().unwrap();
        assert_eq!(touch, Typed::Touch { id: "strip.Lead Vox.fader".into(), on: true });
        let set = parse_line("  set \"strip.Say \\\"hi\\\".pan\" -0.5 ").unwrap().unwrap();
        assert_eq!(set, Typed::Set { id: "strip.Say \"hi\".pan".into(), value: "-0.5".into() });
        assert_eq!(
            parse_line("mode strip.V.fader touch").unwrap(),
            Some(Typed::Mode { target: "strip.V.fader".into(), mode: Mode::Touch })
        );
        assert!(parse_line("get \"strip.Lead").unwrap_err().contains("nothing closes it"));
    }
}
