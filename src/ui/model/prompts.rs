//! The status-line prompt: values typed, names, and choices picked from a list.

use super::*;

#[derive(Clone, Debug, PartialEq)]
pub enum PromptFor {
    Value(ParamIndex),
    VersionName,
    Target,
    /// Where channel N's output goes: one of `choices`.
    Route(usize),
    /// A bus for channel N to send to: one of `choices`.
    AddSend(usize),
    /// A MIDI device to connect as a surface: one of `choices`.
    Surface,
    /// A name for pass N.
    PassName(u32),
    GlideTime,
    IdleTime,
    /// Buses to print in real time beside the master.
    PrintBuses,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Prompt {
    pub purpose: PromptFor,
    /// What was typed; when there are choices, the start of the one wanted.
    pub text: String,
    /// The answers to pick from (←/→ or typing); empty when the answer is typed.
    pub choices: Vec<String>,
    pub choice: usize,
}

impl Prompt {
    pub(super) fn typed(purpose: PromptFor, text: String) -> Option<Prompt> {
        Some(Prompt { purpose, text, choices: Vec::new(), choice: 0 })
    }
}

impl App {
    pub(super) fn prompt_key(&mut self, key: KeyEvent, effects: &mut Vec<Effect>) {
        let Some(prompt) = self.prompt.as_mut() else { return };
        if !prompt.choices.is_empty() {
            return self.choice_key(key, effects);
        }
        match key.code {
            KeyCode::Esc => self.prompt = None,
            KeyCode::Backspace => {
                prompt.text.pop();
            }
            KeyCode::Char('c') if key.modifiers == KeyModifiers::CONTROL => self.prompt = None,
            KeyCode::Char(c) => prompt.text.push(c),
            KeyCode::Enter => {
                let Prompt { purpose, text, .. } = self.prompt.take().expect("prompt is open");
                self.submit(purpose, &text, effects);
            }
            _ => {}
        }
    }

    /// A key while picking one of a prompt's choices: arrows and Tab move, typing jumps to
    /// the first choice that starts with what was typed, Enter takes it.
    pub(super) fn choice_key(&mut self, key: KeyEvent, effects: &mut Vec<Effect>) {
        let Some(prompt) = self.prompt.as_mut() else { return };
        let count = prompt.choices.len();
        match key.code {
            KeyCode::Esc => self.prompt = None,
            KeyCode::Char('c') if key.modifiers == KeyModifiers::CONTROL => self.prompt = None,
            KeyCode::Right | KeyCode::Down | KeyCode::Tab => prompt.choice = (prompt.choice + 1) % count,
            KeyCode::Left | KeyCode::Up | KeyCode::BackTab => prompt.choice = (prompt.choice + count - 1) % count,
            KeyCode::Backspace => {
                prompt.text.pop();
            }
            KeyCode::Char(c) => {
                let typed = format!("{}{c}", prompt.text).to_lowercase();
                if let Some(i) = prompt.choices.iter().position(|n| n.to_lowercase().starts_with(&typed)) {
                    prompt.text.push(c);
                    prompt.choice = i;
                }
            }
            KeyCode::Enter => {
                let Prompt { purpose, choices, choice, .. } = self.prompt.take().expect("prompt is open");
                self.submit(purpose, &choices[choice], effects);
            }
            _ => {}
        }
    }

    pub(super) fn submit(&mut self, purpose: PromptFor, text: &str, effects: &mut Vec<Effect>) {
        match purpose {
            PromptFor::Value(param) => match self.table.spec(param).parse(text) {
                Ok(value) => self.set(param, value, effects),
                Err(e) => self.say(e, true),
            },
            PromptFor::VersionName => self.save_version(text, effects),
            PromptFor::Route(index) => {
                let before = self.channels[index].output.clone();
                if before != text {
                    self.route(index, text, effects);
                    let edit = Edit::Output { channel: index, before, after: text.to_string() };
                    self.record(edit);
                }
                self.say(format!("{} → {text}", self.channels[index].name), false);
            }
            PromptFor::AddSend(index) => {
                self.place_send(index, text, true, &[], effects);
                self.record(Edit::Send { channel: index, bus: text.to_string(), added: true, values: Vec::new() });
                let name = self.channels[index].name.clone();
                // Open the detail on the new send's level, ready to bring it up.
                self.overlay = Overlay::Detail;
                let level = self.send_params(index, text).first().copied();
                if let Some(row) = self.detail_params().iter().position(|p| Some(*p) == level) {
                    self.detail_row = row;
                }
                self.say(format!("{name} sends to {text} (at -inf: ←/→ raises it)"), false);
            }
            PromptFor::Surface => effects.push(Effect::ConnectSurface(text.to_string())),
            PromptFor::PassName(id) => effects.push(Effect::Automation(Request::Rename(id, text.to_string()))),
            PromptFor::GlideTime => self.set_time(true, text, effects),
            PromptFor::IdleTime => self.set_time(false, text, effects),
            PromptFor::PrintBuses => {
                let names: Vec<String> = text.split([',', ' ']).filter(|n| !n.is_empty()).map(str::to_string).collect();
                if let Err(problem) = self.start_print(&names, effects) {
                    self.say(problem, true);
                }
            }
            PromptFor::Target => {
                if let Err(problem) = self.set_target(text) {
                    self.say(problem, true);
                }
            }
        }
    }
}
