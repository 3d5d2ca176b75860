//! How commands change the engine, within each callback's budget: at most
//! `COMMANDS_PER_RING` from each ring, and one rework of the bus order (for a command or an
//! automated bus send); what is left waits for the next callback, counted.

use std::sync::atomic::Ordering;

use super::automation::Mode;
use super::params::{ParamIndex, fader_gain};
use super::{COMMANDS_PER_RING, Command, Engine};

impl Engine {
    /// Applies what the rings hold, within a bounded budget: at most `COMMANDS_PER_RING` from
    /// each ring, and one command that re-works the routing (if the callback's one rework is
    /// still there); the rest wait for the next cycle.
    pub(super) fn drain_commands(&mut self) {
        // Rings opened since the last cycle; the vector has room for every one there can be.
        while self.commands.len() < self.commands.capacity()
            && let Ok(ring) = self.new_rings.pop()
        {
            self.commands.push(ring);
        }
        let mut applied = 0;
        let mut deferred = false;
        for ring in 0..self.commands.len() {
            for _ in 0..COMMANDS_PER_RING {
                let Ok(&command) = self.commands[ring].peek() else { break };
                if self.reroutes(command) && !self.take_reroute() {
                    break;
                }
                let _ = self.commands[ring].pop();
                self.apply(command);
                applied += 1;
            }
            deferred |= !self.commands[ring].is_empty();
        }
        if applied > 0 {
            self.telemetry.commands.fetch_add(applied, Ordering::Relaxed);
        }
        if deferred {
            self.telemetry.work_deferred.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// Takes this callback's one rework of the bus order, if it is still there.
    pub(super) fn take_reroute(&mut self) -> bool {
        std::mem::take(&mut self.reroute_left)
    }

    /// Whether setting `param` to `value` would work the bus order out again: a bus's send
    /// to another bus opening from -inf or closing to it.
    pub(super) fn reworks_routing(&self, param: ParamIndex, value: f32) -> bool {
        let i = param.0 as usize;
        let opened = |v: f32| fader_gain(v) > 0.0;
        self.params.bus_send_level.get(i).copied().unwrap_or(false) && opened(self.params.values[i]) != opened(value)
    }

    /// Whether applying `command` may work the bus order and solo relations out again.
    fn reroutes(&self, command: Command) -> bool {
        match command {
            Command::SetOutput { .. } => true,
            Command::SetParam { param, .. } | Command::Move { param, .. } => {
                self.params.bus_send_level.get(param.0 as usize).copied().unwrap_or(false)
            }
            _ => false,
        }
    }

    fn apply(&mut self, command: Command) {
        let value_of = |engine: &Engine, param: ParamIndex| engine.params.values.get(param.0 as usize).copied();
        match command {
            Command::SetParam { param, value } => {
                self.set_param(param, value);
                if let Some(stored) = value_of(self, param) {
                    self.automation.set_live(param, stored);
                }
            }
            Command::Move { param, value } => {
                let Some(before) = value_of(self, param) else { return };
                self.set_param(param, value);
                self.automation.moved(param, self.params.values[param.0 as usize], before);
            }
            Command::Touch { param, touched } => {
                if let Some(current) = value_of(self, param) {
                    self.automation.touch(param, touched, current);
                }
            }
            Command::SetMode { param, mode } => {
                self.automation.set_mode(param, mode);
                // Out of automation, or into Write (which writes the control), nothing jumps:
                // the control takes over where the lane left it.
                if matches!(mode, Mode::Off | Mode::Write)
                    && let Some(current) = value_of(self, param)
                {
                    self.automation.set_live(param, current);
                }
            }
            Command::WriteEnable(on) => self.automation.set_write_enabled(on),
            Command::AutomationTimes { glide_frames, idle_frames } => {
                self.automation.set_times(glide_frames, idle_frames)
            }
            Command::SetOutput { channel, bus } => self.set_output(channel, bus),
            Command::MeasureInsert { channel } => {
                if let Some(insert) = self.channels.get_mut(channel).and_then(|c| c.hardware_insert_mut()) {
                    insert.measure();
                }
            }
        }
    }

    pub(super) fn set_param(&mut self, param: ParamIndex, value: f32) {
        let i = param.0 as usize;
        if !self.params.bus_send_level.get(i).copied().unwrap_or(false) {
            return self.params.store(param, value);
        }
        let before = self.params.values[i];
        self.params.store(param, value);
        let opened = |v: f32| fader_gain(v) > 0.0;
        if opened(before) != opened(self.params.values[i]) && !self.routing.update(&self.channels, &self.params.values)
        {
            self.params.values[i] = before;
        }
    }

    fn set_output(&mut self, channel: usize, bus: Option<usize>) {
        let is_routable = channel < self.channels.len() - 1;
        let is_bus = bus.is_none_or(|b| b < self.routing.bus_count());
        let into_itself = bus.is_some_and(|b| channel == self.strip_count + b);
        if !is_routable || !is_bus || into_itself {
            return;
        }
        let sum = bus.map_or(0, |b| b + 1);
        let before = self.channels[channel].route();
        self.channels[channel].route_to(sum);
        if self.routing.update(&self.channels, &self.params.values) {
            // Who passes solo depends on the routing.
            self.params.solo_dirty = true;
        } else {
            self.channels[channel].set_route(before);
        }
    }
}
