//! The console's side of automation. The engine decides per parameter what plays and
//! the recorder keeps the passes; the app shows what they report (modes, touches,
//! values played, the pass history) and asks them for changes through
//! [`Effect::Automation`].

use std::collections::HashMap;

use super::{App, Effect, Prompt, PromptFor};
use crate::automation::lane::{Lane, Shape};
use crate::automation::passes::{Pass, Store};
use crate::automation::recorder::Request;
use crate::automation::{self, Mode};
use crate::engine::automation::{AutomationTelemetry, DEFAULT_GLIDE_MS, DEFAULT_IDLE_MS, Driver, PlayState};
use crate::engine::params::ParamIndex;
use crate::ui::keys::Action;

/// How automation stands for one parameter, as the engine last published it.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct AutomationReading {
    pub mode: Mode,
    /// Live, reading or writing, and touched.
    pub state: PlayState,
    /// The value automation plays; meaningful while reading or writing.
    pub played: f32,
}

impl AutomationReading {
    /// Every parameter's, in table order, as the engine publishes them now.
    pub fn all(automation: &AutomationTelemetry) -> Vec<AutomationReading> {
        (0..automation.param_count())
            .map(|i| {
                let param = ParamIndex(i as u32);
                AutomationReading {
                    mode: automation.mode(param),
                    state: automation.state(param),
                    played: automation.played(param),
                }
            })
            .collect()
    }

    /// Automation drives the parameter now (its lane plays, or a pass writes it).
    pub fn drives(&self) -> bool {
        self.state.drives()
    }

    pub fn touched(&self) -> bool {
        self.state.touched
    }

    pub fn writing(&self) -> bool {
        self.state.driver == Driver::Writing
    }
}

/// The pass history and the automation view's own state.
#[derive(Clone, Debug)]
pub struct AutomationPanel {
    /// The history as the recorder last saved it.
    pub store: Store,
    /// The lane of every automated parameter, as `store` adds up.
    pub lanes: HashMap<ParamIndex, Lane>,
    /// The pass under the cursor, counted from the newest.
    pub pass_row: usize,
    pub glide_ms: f32,
    pub idle_ms: f32,
    /// Write enable as last asked, until the engine reports it: a second `W` before the next
    /// reading toggles what was asked, not what the engine said before.
    pub(super) write_asked: Option<bool>,
}

impl Default for AutomationPanel {
    fn default() -> Self {
        AutomationPanel {
            store: Store::default(),
            lanes: HashMap::new(),
            pass_row: 0,
            glide_ms: DEFAULT_GLIDE_MS,
            idle_ms: DEFAULT_IDLE_MS,
            write_asked: None,
        }
    }
}

impl AutomationPanel {
    /// The passes, newest first: the order the view lists them in.
    pub fn passes_newest_first(&self) -> impl Iterator<Item = &Pass> {
        self.store.passes().iter().rev()
    }

    fn pass_at_cursor(&self) -> Option<&Pass> {
        self.passes_newest_first().nth(self.pass_row)
    }
}

impl App {
    pub fn automation_of(&self, param: ParamIndex) -> AutomationReading {
        self.readings.automation.get(param.0 as usize).copied().unwrap_or_default()
    }

    /// The value to show for a parameter: what automation plays while it drives it, else
    /// the console's own target.
    pub fn shown(&self, param: ParamIndex) -> f32 {
        let a = self.automation_of(param);
        if a.drives() { a.played } else { self.targets.get(param) }
    }

    /// Whether any of channel `index`'s parameters has a mode other than Off.
    pub fn automated(&self, index: usize) -> bool {
        self.channels[index].params.iter().any(|&p| self.automation_of(p).mode != Mode::Off)
    }

    /// Takes the history the recorder saved, and the lanes it adds up to.
    pub(super) fn take_store(&mut self, store: Store) {
        let panel = &mut self.automation;
        panel.lanes = store
            .automated()
            .iter()
            .filter_map(|id| {
                let param = self.table.lookup(id).ok()?;
                Some((param, store.lane(id, Shape::of(self.table.spec(param)))?))
            })
            .collect();
        panel.pass_row = panel.pass_row.min(store.passes().len().saturating_sub(1));
        panel.store = store;
    }

    /// Carries out an automation action; false when `action` is not one.
    pub(super) fn automation_action(&mut self, action: Action, effects: &mut Vec<Effect>) -> bool {
        match action {
            Action::StripMode(mode) => {
                let params = automation::channel_params(&self.table, self.selected);
                let name = self.selected_channel().name.clone();
                self.say(format!("{name}: automation {} ({} parameters)", mode.name(), params.len()), false);
                effects.push(Effect::Automation(Request::SetModes { params, mode }));
            }
            Action::ParamMode(mode) => {
                let param = self.detail_param();
                self.say(format!("{}: automation {}", self.table.spec(param).id, mode.name()), false);
                effects.push(Effect::Automation(Request::SetModes { params: vec![param], mode }));
            }
            Action::WriteEnable => {
                let on = !self.automation.write_asked.unwrap_or(self.readings.write_enabled);
                self.automation.write_asked = Some(on);
                let told = if on {
                    "automation WRITE ENABLED: Write, Touch, Latch and Trim write while the transport rolls"
                } else {
                    "automation write disabled: every lane only plays"
                };
                self.say(told.into(), false);
                effects.push(Effect::Automation(Request::WriteEnable(on)));
            }
            Action::PassUp => self.automation.pass_row = self.automation.pass_row.saturating_sub(1),
            Action::PassDown => {
                let last = self.automation.store.passes().len().saturating_sub(1);
                self.automation.pass_row = (self.automation.pass_row + 1).min(last);
            }
            Action::PassToggle => match self.automation.pass_at_cursor().map(|p| p.id) {
                Some(id) => effects.push(Effect::Automation(Request::Toggle(id))),
                None => self.say("no pass yet: arm writing (W), pick a mode, play and ride".into(), true),
            },
            Action::PassName => match self.automation.pass_at_cursor() {
                Some(pass) => {
                    let (id, text) = (pass.id, pass.name.clone().unwrap_or_default());
                    self.prompt = Prompt::typed(PromptFor::PassName(id), text);
                }
                None => self.say("no pass to name yet".into(), true),
            },
            Action::PassUndo => effects.push(Effect::Automation(Request::Undo)),
            Action::PassRedo => effects.push(Effect::Automation(Request::Redo)),
            Action::GlideTime => {
                let text = format!("{}", self.automation.glide_ms);
                self.prompt = Prompt::typed(PromptFor::GlideTime, text);
            }
            Action::IdleTime => {
                let text = format!("{}", self.automation.idle_ms);
                self.prompt = Prompt::typed(PromptFor::IdleTime, text);
            }
            _ => return false,
        }
        true
    }

    /// A typed glide or idle time, in ms.
    pub(super) fn set_time(&mut self, glide: bool, text: &str, effects: &mut Vec<Effect>) {
        let typed = text.trim().trim_end_matches("ms").trim();
        let Some(ms) = typed.parse::<f32>().ok().filter(|ms| (0.0..=10_000.0).contains(ms)) else {
            return self.say(format!("expected a time in ms from 0 to 10000, found \"{}\"", text.trim()), true);
        };
        let panel = &mut self.automation;
        let what = if glide {
            panel.glide_ms = ms;
            "Touch and Trim glide back over"
        } else {
            panel.idle_ms = ms;
            "a control without touch sensing is released after"
        };
        let request = Request::Times { glide_ms: panel.glide_ms, idle_ms: panel.idle_ms };
        self.say(format!("{what} {ms} ms"), false);
        effects.push(Effect::Automation(request));
    }

    /// A hand moved `param` on the console: says so when its lane plays over the move, so
    /// the move is not heard.
    pub(super) fn warn_if_lane_plays(&mut self, param: ParamIndex) {
        let a = self.automation_of(param);
        let r = &self.readings;
        if a.drives() && !a.writing() && (a.mode == Mode::Read || !r.rolling || !r.write_enabled) {
            let id = &self.table.spec(param).id;
            self.say(
                format!(
                    "{id} follows its lane ({}): to ride it, Touch or Latch, writing armed (W), transport rolling",
                    a.mode.name()
                ),
                true,
            );
        }
    }
}
