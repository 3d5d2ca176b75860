//! Keys as actions: what each does to the mix, the selection and the views.

use super::*;

impl App {
    pub(super) fn key(&mut self, key: KeyEvent, effects: &mut Vec<Effect>) {
        if self.prompt.is_some() {
            return self.prompt_key(key, effects);
        }
        let scope = match self.overlay {
            Overlay::Detail => Scope::Detail,
            Overlay::Automation => Scope::Automation,
            _ => Scope::Console,
        };
        let Some(action) = keys::action_for(key, scope) else { return };
        if action != Action::Quit {
            self.quit_armed = false;
        }
        if self.overlay == Overlay::Help {
            // Help is read-only: scroll it, or leave it with any other key.
            match action {
                Action::Down => self.help_scroll = self.help_scroll.saturating_add(1),
                Action::Up => self.help_scroll = self.help_scroll.saturating_sub(1),
                Action::Quit => self.perform(action, effects),
                _ => self.overlay = Overlay::None,
            }
            return;
        }
        self.perform(action, effects);
    }

    pub(super) fn perform(&mut self, action: Action, effects: &mut Vec<Effect>) {
        if self.automation_action(action, effects) {
            return;
        }
        let ch = self.selected_channel().clone();
        let detail_param = self.detail_param();
        let listing = self.lists_params();
        match action {
            Action::SelectLeft => self.select(self.selected.saturating_sub(1)),
            Action::SelectRight => self.select(self.selected + 1),
            Action::BankLeft => self.select(self.selected.saturating_sub(self.per_bank())),
            Action::BankRight => self.select(self.selected + self.per_bank()),
            Action::Up | Action::Down if listing => {
                let last = self.detail_params().len().saturating_sub(1);
                self.detail_row = if action == Action::Up {
                    self.detail_row.saturating_sub(1)
                } else {
                    (self.detail_row + 1).min(last)
                };
            }
            Action::Up => self.step(ch.fader, 1.0, false, effects),
            Action::Down => self.step(ch.fader, -1.0, false, effects),
            Action::UpCoarse => self.step(ch.fader, 1.0, true, effects),
            Action::DownCoarse => self.step(ch.fader, -1.0, true, effects),
            Action::Adjust(d) => self.step(detail_param, d as f32, false, effects),
            Action::AdjustCoarse(d) => self.step(detail_param, d as f32, true, effects),
            Action::Reset => {
                let param = if listing { detail_param } else { ch.fader };
                let default = self.table.spec(param).default;
                self.set(param, default, effects);
            }
            Action::TypeValue => {
                let param = if listing { detail_param } else { ch.fader };
                self.prompt = Prompt::typed(PromptFor::Value(param), String::new());
            }
            Action::PanLeft => self.step(ch.pan, -1.0, false, effects),
            Action::PanRight => self.step(ch.pan, 1.0, false, effects),
            Action::PanCentre => self.set(ch.pan, 0.0, effects),
            Action::Mute => self.toggle(ch.mute, effects),
            Action::Solo => self.toggle(ch.solo, effects),
            Action::SoloSafe => self.toggle(ch.solo_safe, effects),
            Action::Detail | Action::AutomationView => {
                let wanted = if action == Action::Detail { Overlay::Detail } else { Overlay::Automation };
                self.overlay = if self.overlay == wanted { Overlay::None } else { wanted };
                self.detail_row = self.detail_row.min(self.detail_params().len().saturating_sub(1));
                // Automation opens on the fader, the lane most ridden, unless the cursor is on a lane.
                if self.overlay == Overlay::Automation
                    && !self.automation.lanes.contains_key(&self.detail_param())
                    && let Some(row) = self.detail_params().iter().position(|&p| p == ch.fader)
                {
                    self.detail_row = row;
                }
            }
            Action::Route => self.ask_route(),
            Action::AddSend => self.ask_send(),
            Action::RemoveSend => self.remove_send(detail_param, effects),
            Action::PlayStop => effects.push(Effect::Transport(if self.readings.rolling {
                TransportRequest::Stop
            } else {
                TransportRequest::Play
            })),
            Action::LocateStart => effects.push(Effect::Transport(TransportRequest::Locate(0))),
            Action::NudgeBack | Action::NudgeForward => {
                let nudge = (NUDGE_S * self.info.sample_rate as f64) as u64;
                let frame = self.readings.frame;
                let to = if action == Action::NudgeBack { frame.saturating_sub(nudge) } else { frame + nudge };
                effects.push(Effect::Transport(TransportRequest::Locate(to)));
            }
            Action::LoopIn | Action::LoopOut => {
                let frame = Some(self.readings.frame);
                match action {
                    Action::LoopIn => self.set_loop(frame, self.loop_end, effects),
                    _ => self.set_loop(self.loop_start, frame, effects),
                }
            }
            Action::LoopToggle => self.loop_playback(!self.loop_on, effects),
            Action::Save => self.save(None, effects),
            Action::SaveVersion => {
                self.prompt = Prompt::typed(PromptFor::VersionName, String::new());
            }
            Action::Undo => self.undo(effects),
            Action::Redo => self.redo(effects),
            Action::ResetMeters => self.reset_meters(effects),
            Action::NextMeterPoint => self.next_meter_point(effects),
            Action::RealTimePrint => self.toggle_print(effects),
            Action::MeasureInsert => {
                if let Err(problem) = self.measure_insert_of(self.selected, effects) {
                    self.say(problem, true);
                }
            }
            Action::SetTarget => {
                let target = self.target();
                let text = format!("{} {}", target.low_db, target.high_db);
                self.prompt = Prompt::typed(PromptFor::Target, text);
            }
            Action::Help => self.overlay = if self.overlay == Overlay::Help { Overlay::None } else { Overlay::Help },
            Action::Connections => {
                self.overlay = if self.overlay == Overlay::Connections { Overlay::None } else { Overlay::Connections }
            }
            Action::Close if self.learning.take().is_some() => {
                effects.push(Effect::CancelLearn);
                self.say("MIDI learn cancelled".into(), false);
            }
            Action::Close => self.overlay = Overlay::None,
            Action::Learn => self.learn(detail_param, effects),
            Action::ConnectSurface => effects.push(Effect::ListSurfaceDevices),
            // Handled by `automation_action` above.
            Action::WriteEnable
            | Action::StripMode(_)
            | Action::ParamMode(_)
            | Action::PassUp
            | Action::PassDown
            | Action::PassToggle
            | Action::PassName
            | Action::PassUndo
            | Action::PassRedo
            | Action::GlideTime
            | Action::IdleTime => {}
            Action::Quit => {
                if self.automation_unsaved && !self.quit_armed {
                    self.quit_armed = true;
                    self.say(format!("{AUTOMATION_UNSAVED}; q again quits and loses it"), true);
                } else if self.is_dirty() && !self.quit_armed {
                    self.quit_armed = true;
                    self.say("unsaved changes: q again quits without saving, Ctrl-S saves".into(), true);
                } else {
                    effects.push(Effect::Quit);
                }
            }
        }
    }

    /// Whether the strip's parameters are listed (the detail, the automation view): keys
    /// then act on the one under the cursor rather than the fader.
    pub(super) fn lists_params(&self) -> bool {
        matches!(self.overlay, Overlay::Detail | Overlay::Automation)
    }

    pub(super) fn loop_text(&self) -> String {
        let at = |f: Option<u64>| f.map_or("?".to_string(), |f| clock(f, self.info.sample_rate));
        format!("{} – {}", at(self.loop_start), at(self.loop_end))
    }

    /// Moves the loop's points; a loop playing that they no longer make one of stops.
    pub(super) fn set_loop(&mut self, start: Option<u64>, end: Option<u64>, effects: &mut Vec<Effect>) {
        (self.loop_start, self.loop_end) = (start, end);
        let both_set = start.is_some() && end.is_some();
        match self.loop_problem() {
            Some(problem) if self.loop_on => {
                self.loop_on = false;
                self.say(format!("loop off: {problem}"), true);
            }
            Some(problem) if both_set => self.say(format!("loop {}: {problem}", self.loop_text()), true),
            _ => self.say(format!("loop {}", self.loop_text()), false),
        }
        self.send_loop(effects);
    }

    /// Turns loop playback on or off; on needs a loop.
    pub(super) fn loop_playback(&mut self, on: bool, effects: &mut Vec<Effect>) {
        if let Some(problem) = self.loop_problem().filter(|_| on) {
            return self.say(problem, true);
        }
        self.loop_on = on;
        self.say(format!("loop {} {}", if on { "on:" } else { "off:" }, self.loop_text()), false);
        self.send_loop(effects);
    }

    /// Why the points set do not make a loop, if they do not.
    fn loop_problem(&self) -> Option<String> {
        let rate = self.info.sample_rate as f64;
        match (self.loop_start, self.loop_end) {
            (Some(start), Some(end)) if end <= start => Some(format!(
                "the loop ends ({}) before it starts ({}): set the end (o) after the start (i)",
                clock(end, self.info.sample_rate),
                clock(start, self.info.sample_rate)
            )),
            (Some(start), Some(end)) if ((end - start) as f64) < MIN_LOOP_S * rate => Some(format!(
                "a loop lasts at least {MIN_LOOP_S} s; this one lasts {:.3} s",
                (end - start) as f64 / rate
            )),
            (Some(_), Some(_)) => None,
            _ => Some("set the loop start (i) and end (o) first".into()),
        }
    }

    fn send_loop(&self, effects: &mut Vec<Effect>) {
        if let (Some(start), Some(end)) = (self.loop_start, self.loop_end) {
            effects.push(Effect::Loop { on: self.loop_on, start, end });
        }
    }

    pub(super) fn select(&mut self, index: usize) {
        // The master is reached by moving past the last bus.
        self.selected = index.min(self.channels.len() - 1);
        let params = self.detail_params().len();
        self.detail_row = self.detail_row.min(params.saturating_sub(1));
        self.follow_selection();
    }

    /// Keeps the selected strip in the bank on screen, paging by whole banks.
    pub(super) fn follow_selection(&mut self) {
        let per_bank = self.per_bank().max(1);
        let master = self.channels.len() - 1;
        if self.selected == master {
            return;
        }
        if !self.bank().contains(&self.selected) {
            self.bank_start = self.selected / per_bank * per_bank;
        }
    }

    pub(super) fn step(&mut self, param: ParamIndex, direction: f32, coarse: bool, effects: &mut Vec<Effect>) {
        // From where it is shown: a ride taking over from a lane starts where the lane is.
        let spec = self.table.spec(param);
        let next = spec.step(self.shown(param), direction, coarse);
        let end = if direction > 0.0 { spec.max } else { spec.min };
        if next == end && !spec.is_discrete() {
            // Stepped to the end of its range: it stops there, and says so.
            let which = if direction > 0.0 { "top" } else { "bottom" };
            self.say(format!("{} is at the {which} of its range ({})", spec.id, spec.format(end)), false);
        }
        self.set(param, next, effects);
    }

    pub(super) fn toggle(&mut self, param: ParamIndex, effects: &mut Vec<Effect>) {
        self.set(param, if self.on(param) { 0.0 } else { 1.0 }, effects);
    }
}
