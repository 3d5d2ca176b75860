//! What the control surfaces tell the console, and what it asks of them (MIDI learn, connecting one).

use super::*;

/// A control surface as the console shows it.
#[derive(Clone, Debug, PartialEq)]
pub struct SurfaceStatus {
    pub device: String,
    pub state: LinkState,
    /// The channels it shows: first and how many (until it pages: from the first strip).
    pub bank: Option<(usize, usize)>,
}

impl App {
    /// The strip (from 0) of a connected surface that channel `index` is on, if any.
    pub fn surface_slot(&self, index: usize) -> Option<usize> {
        self.surfaces.iter().filter(|s| matches!(s.state, LinkState::Connected { .. })).find_map(|s| {
            let (first, width) = s.bank?;
            // The master is never on a bank: surfaces reach it with master.* controls.
            (index + 1 < self.channels.len() && (first..first + width).contains(&index)).then(|| index - first)
        })
    }

    pub(super) fn surface_event(&mut self, event: SurfaceEvent, effects: &mut Vec<Effect>) {
        match event {
            SurfaceEvent::Param { param, before, value } => {
                // The surface set the target and told the engine itself: keep it for undo.
                self.pickups.remove(&param);
                self.warn_if_lane_plays(param);
                self.record_change(param, before, value);
            }
            SurfaceEvent::Pickup { param, position } => {
                self.pickups.insert(param, position);
            }
            SurfaceEvent::Touch { channel, touched: true } => {
                self.touched.insert(channel);
            }
            SurfaceEvent::Touch { channel, touched: false } => {
                self.touched.remove(&channel);
            }
            SurfaceEvent::Bank { device, first, width } => {
                // Pickup positions belonged to the controls' old strips.
                self.pickups.clear();
                if let Some(s) = self.surfaces.iter_mut().find(|s| s.device == device) {
                    s.bank = Some((first, width));
                }
            }
            SurfaceEvent::Transport(action) => {
                let perform = match action {
                    TransportAction::Play if !self.readings.rolling => Some(Action::PlayStop),
                    TransportAction::Stop if self.readings.rolling => Some(Action::PlayStop),
                    TransportAction::Play | TransportAction::Stop => None,
                    TransportAction::PlayStop => Some(Action::PlayStop),
                    TransportAction::LocateStart => Some(Action::LocateStart),
                    TransportAction::Rewind => Some(Action::NudgeBack),
                    TransportAction::Forward => Some(Action::NudgeForward),
                    TransportAction::Loop => Some(Action::LoopToggle),
                };
                if let Some(action) = perform {
                    self.perform(action, effects);
                }
            }
            SurfaceEvent::Select(channel) => self.select(channel),
            SurfaceEvent::Save => self.perform(Action::Save, effects),
            SurfaceEvent::Undo => self.perform(Action::Undo, effects),
            SurfaceEvent::Redo => self.perform(Action::Redo, effects),
            SurfaceEvent::Link { device, state } => {
                match &state {
                    LinkState::Connected { port, caveat: None } => {
                        self.say(format!("{device} connected on {port}"), false)
                    }
                    LinkState::Connected { port, caveat: Some(caveat) } => {
                        self.say(format!("{device} connected on {port}; warning: {caveat}"), true)
                    }
                    LinkState::Waiting { pattern } if self.surfaces.iter().any(|s| s.device == device) => self
                        .say(format!("{device} is gone (unplugged?); waiting for a port matching \"{pattern}\""), true),
                    LinkState::Waiting { .. } => {}
                    LinkState::Failed(why) => self.say(format!("{device}: {why}"), true),
                }
                match self.surfaces.iter_mut().find(|s| s.device == device) {
                    Some(s) => s.state = state,
                    None => self.surfaces.push(SurfaceStatus { device, state, bank: None }),
                }
            }
            SurfaceEvent::Learned { device, binding, saved } => {
                self.learning = None;
                match saved {
                    Ok(file) => self.say(format!("{device}: {binding}, kept in {}", file.display()), false),
                    Err(why) => self.say(format!("{device}: {binding}, for now only: not saved: {why}"), true),
                }
            }
            SurfaceEvent::Automation(mode) => self.perform(Action::StripMode(mode), effects),
        }
    }

    /// Arms MIDI learn for the parameter under the cursor in the detail, else the strip's fader.
    pub(super) fn learn(&mut self, detail_param: ParamIndex, effects: &mut Vec<Effect>) {
        if !self.surfaces.iter().any(|s| matches!(s.state, LinkState::Connected { .. })) {
            return self.say("MIDI learn needs a connected surface (--controller, --surface)".into(), true);
        }
        let ch = self.selected_channel();
        let param = if self.lists_params() { detail_param } else { ch.fader };
        let control = [
            (ch.fader, StripControl::Fader),
            (ch.pan, StripControl::Pan),
            (ch.mute, StripControl::Mute),
            (ch.solo, StripControl::Solo),
            (ch.solo_safe, StripControl::SoloSafe),
        ]
        .into_iter()
        .find_map(|(p, control)| (p == param).then_some(control));
        let spec = self.table.spec(param);
        let what =
            format!("{} {}", ch.name, spec.id.rsplit_once(&format!("{}.", ch.name)).map_or(&*spec.id, |(_, p)| p));
        effects.push(Effect::Learn(LearnRequest {
            channel: self.selected,
            param,
            param_id: spec.id.clone(),
            control,
            switch: spec.unit == Unit::Toggle,
        }));
        self.learning = Some(what);
    }

    /// Offers the MIDI devices not connected already.
    pub(super) fn ask_surface(&mut self, devices: Vec<String>) {
        let connected = |device: &String| {
            let prefix = format!("{device}:");
            self.surfaces
                .iter()
                .any(|s| matches!(&s.state, LinkState::Connected { port, .. } if port.starts_with(&prefix)))
        };
        let choices: Vec<String> = devices.into_iter().filter(|d| !connected(d)).collect();
        if choices.is_empty() {
            return self.say("no MIDI device to connect: every one present is connected".into(), true);
        }
        self.prompt = Some(Prompt { purpose: PromptFor::Surface, text: String::new(), choices, choice: 0 });
    }
}
