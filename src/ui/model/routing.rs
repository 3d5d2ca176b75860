//! Where channels go: routing to buses, sends added and removed, and the checks that
//! keep buses from feeding each other in a loop.

use super::*;

/// A send as added from the console: at -inf, post-fader, until the user brings it up.
pub(super) fn unused_send(bus: &str) -> SendDoc {
    let level = &SEND_PARAMS[0];
    SendDoc { bus: bus.to_string(), values: Values::from([(level.file_key, encode(level, level.min))]) }
}

impl App {
    /// The connections of channel `index` that are not made: a strip's inputs, the master's
    /// outputs (by headroom's own port names, `client:Name_in`, `client:master_out_L`).
    pub fn unconnected_of(&self, index: usize) -> Vec<&Unconnected> {
        let ch = &self.channels[index];
        let client = &self.info.client_name;
        let ours = |port: &str, base: &str| {
            [String::new(), "_L".into(), "_R".into()].iter().any(|side| port == format!("{base}{side}"))
        };
        match ch.kind {
            ChannelKind::Strip => {
                let base = format!("{client}:{}_in", ch.name);
                self.readings.unconnected.iter().filter(|u| ours(&u.to, &base)).collect()
            }
            ChannelKind::Master => {
                let base = format!("{client}:master_out");
                self.readings.unconnected.iter().filter(|u| ours(&u.from, &base)).collect()
            }
            ChannelKind::Group | ChannelKind::Fx => Vec::new(),
        }
    }

    /// The buses channel `index` sends to, with the send's parameters: those its document
    /// lists, and any other whose send level is up (moved from a controller, say), in layout order.
    pub fn sends_in_use(&self, index: usize) -> Vec<(String, SendParams)> {
        let Some(doc) = self.channel_doc(index) else { return Vec::new() };
        let ch = &self.channels[index];
        self.doc
            .buses
            .iter()
            .enumerate()
            .filter_map(|(b, bus)| Some((bus, *ch.send_to(b)?)))
            .filter(|(bus, send)| {
                doc.sends.iter().any(|s| s.bus == bus.name) || self.targets.get(send.level) > FADER_FLOOR_DB
            })
            .map(|(bus, send)| (bus.name.clone(), send))
            .collect()
    }

    /// Whether channel `index` is itself the bus `name` (a strip may share a bus's name).
    fn is_bus_named(&self, index: usize, name: &str) -> bool {
        let ch = &self.channels[index];
        matches!(ch.kind, ChannelKind::Group | ChannelKind::Fx) && ch.name == name
    }

    /// The layout index of the bus named `name`.
    pub(super) fn bus_index(&self, name: &str) -> Option<usize> {
        self.doc.buses.iter().position(|b| b.name == name)
    }

    /// Channel `index`'s part of the working document (`None` for the master, which neither sends nor routes).
    pub(super) fn channel_doc(&self, index: usize) -> Option<&ChannelDoc> {
        let ch = &self.channels[index];
        match ch.kind {
            ChannelKind::Strip => self.doc.strips.iter().find(|c| c.name == ch.name),
            ChannelKind::Group | ChannelKind::Fx => self.doc.buses.iter().find(|c| c.name == ch.name),
            ChannelKind::Master => None,
        }
    }

    pub(super) fn channel_doc_mut(&mut self, index: usize) -> Option<&mut ChannelDoc> {
        let ch = &self.channels[index];
        match ch.kind {
            ChannelKind::Strip => self.doc.strips.iter_mut().find(|c| c.name == ch.name),
            ChannelKind::Group | ChannelKind::Fx => self.doc.buses.iter_mut().find(|c| c.name == ch.name),
            ChannelKind::Master => None,
        }
    }

    /// Whether the session would still run with `change` made to channel `index`'s document:
    /// buses must not feed each other in a loop.
    pub(super) fn allows(&self, index: usize, change: impl FnOnce(&mut ChannelDoc)) -> bool {
        let mut doc = self.current_doc();
        let ch = &self.channels[index];
        let target = match ch.kind {
            ChannelKind::Strip => return true,
            ChannelKind::Master => return false,
            _ => doc.buses.iter_mut().find(|c| c.name == ch.name),
        };
        target.map(change).is_some() && doc.bus_order().is_ok()
    }

    pub(super) fn ask_route(&mut self) {
        let index = self.selected;
        if self.channels[index].kind == ChannelKind::Master {
            return self.say("the master goes to the outputs; pick a strip or a bus to route".into(), true);
        }
        let choices: Vec<String> = std::iter::once(MASTER.to_string())
            .chain(self.doc.buses.iter().map(|b| b.name.clone()))
            .filter(|target| !self.is_bus_named(index, target))
            .filter(|target| self.allows(index, |c| c.output = Some(target.clone())))
            .collect();
        let current = self.channels[index].output.clone();
        let choice = choices.iter().position(|c| *c == current).unwrap_or(0);
        self.prompt = Some(Prompt { purpose: PromptFor::Route(index), text: String::new(), choices, choice });
    }

    pub(super) fn ask_send(&mut self) {
        let index = self.selected;
        if self.channels[index].kind == ChannelKind::Master {
            return self.say("the master has no sends".into(), true);
        }
        let name = self.channels[index].name.clone();
        let used = self.sends_in_use(index);
        let choices: Vec<String> = self
            .doc
            .buses
            .iter()
            .map(|b| b.name.clone())
            .filter(|bus| !self.is_bus_named(index, bus) && !used.iter().any(|(used, _)| used == bus))
            .filter(|bus| self.allows(index, |c| c.sends.push(unused_send(bus))))
            .collect();
        if choices.is_empty() {
            return self.say(format!("{name} sends to every bus it can already"), true);
        }
        self.prompt = Some(Prompt { purpose: PromptFor::AddSend(index), text: String::new(), choices, choice: 0 });
    }

    /// Routes channel `index` to `target` (a bus or the master) in the document and the engine.
    pub(super) fn route(&mut self, index: usize, target: &str, effects: &mut Vec<Effect>) {
        let bus = self.doc.buses.iter().position(|b| b.name == target);
        if let Some(doc) = self.channel_doc_mut(index) {
            doc.output = (target != MASTER).then(|| target.to_string());
        }
        self.channels[index].output = target.to_string();
        effects.push(Effect::Engine(Command::SetOutput { channel: index, bus }));
    }

    /// Adds (`present`) or removes channel `index`'s send to `bus` in the document, and sets
    /// the send's parameters to `values`.
    pub(super) fn place_send(
        &mut self,
        index: usize,
        bus: &str,
        present: bool,
        values: &[(ParamIndex, f32)],
        effects: &mut Vec<Effect>,
    ) {
        if let Some(doc) = self.channel_doc_mut(index) {
            doc.sends.retain(|s| s.bus != bus);
            if present {
                doc.sends.push(unused_send(bus));
            }
        }
        for &(param, value) in values {
            self.apply(param, value, effects);
        }
    }

    /// The level, pre and mute parameters of channel `index`'s send to `bus`.
    pub(super) fn send_params(&self, index: usize, bus: &str) -> Vec<ParamIndex> {
        let send = self.bus_index(bus).and_then(|b| self.channels[index].send_to(b));
        send.map_or_else(Vec::new, |s| vec![s.level, s.pre, s.mute])
    }

    pub(super) fn remove_send(&mut self, param: ParamIndex, effects: &mut Vec<Effect>) {
        let index = self.selected;
        let Section::Send(bus) = self.table.spec(param).section else {
            return self.say("x removes a send: put the cursor on one of the send's rows".into(), true);
        };
        let bus = self.doc.buses[bus as usize].name.clone();
        let params = self.send_params(index, &bus);
        let values: Vec<(ParamIndex, f32)> = params.iter().map(|&p| (p, self.targets.get(p))).collect();
        let silent: Vec<(ParamIndex, f32)> = params.iter().map(|&p| (p, self.table.spec(p).min)).collect();
        self.place_send(index, &bus, false, &silent, effects);
        self.record(Edit::Send { channel: index, bus: bus.clone(), added: false, values });
        self.detail_row = self.detail_row.min(self.detail_params().len().saturating_sub(1));
        self.say(format!("removed the send from {} to {bus} (u undoes)", self.channels[index].name), false);
    }
}
