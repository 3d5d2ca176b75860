//! Changes to the mix and their undo: every target change goes through `set_value`,
//! is one step with the others of its gesture, and can be taken back and forth.

use super::*;

/// One step of undo: a parameter change (repeats on one parameter within `GESTURE_S`
/// are one step), a reroute, or a send added or removed.
#[derive(Clone, Debug, PartialEq)]
pub(super) enum Edit {
    Param {
        param: ParamIndex,
        before: f32,
        after: f32,
        at_s: f64,
    },
    Output {
        channel: usize,
        before: String,
        after: String,
    },
    /// `values`: the send's level, pre and mute as they were before it was removed.
    Send {
        channel: usize,
        bus: String,
        added: bool,
        values: Vec<(ParamIndex, f32)>,
    },
}

pub(super) const GESTURE_S: f64 = 1.0;

impl App {
    /// Files an edit for undo; a new edit makes the redo history obsolete.
    pub(super) fn record(&mut self, edit: Edit) {
        self.undone.clear();
        self.done.push(edit);
    }

    /// A hand on the console sets a parameter: the target changes, goes to the engine as
    /// a move (automation sees a touch) and is recorded for undo.
    /// A hand on the control (the console's keys, mouse and prompt, a surface).
    pub(super) fn set(&mut self, param: ParamIndex, value: f32, effects: &mut Vec<Effect>) {
        self.set_value(param, value, true, effects);
    }

    /// Changes a parameter's target, as one undo step with the changes of the same gesture;
    /// `by_hand` makes it a move (a touch for automation) rather than a value put in place.
    pub(super) fn set_value(&mut self, param: ParamIndex, value: f32, by_hand: bool, effects: &mut Vec<Effect>) {
        let value = self.table.spec(param).constrain(value);
        let before = self.targets.get(param);
        // A hand held still is still on the control (it keeps automation's touch); a value
        // put in place where it already is changes nothing.
        if value == before && value == self.shown(param) && !by_hand {
            return;
        }
        self.targets.set(param, value);
        effects.push(Effect::Engine(if by_hand {
            Command::Move { param, value }
        } else {
            Command::SetParam { param, value }
        }));
        self.warn_if_lane_plays(param);
        self.record_change(param, before, value);
    }

    /// Keeps a change of a parameter's target from `before` to `value` for undo, as one step
    /// with the changes of the same gesture.
    pub(super) fn record_change(&mut self, param: ParamIndex, before: f32, value: f32) {
        if value == before {
            // A move over a lane that does not change the target: nothing to undo.
            return;
        }
        let now = self.readings.now_s;
        if let Some(Edit::Param { param: last, after, at_s, .. }) = self.done.last_mut()
            && *last == param
            && now - *at_s < GESTURE_S
        {
            *after = value;
            *at_s = now;
            self.undone.clear();
            return;
        }
        self.record(Edit::Param { param, before, after: value, at_s: now });
    }

    /// Sets a parameter without a hand on it (undo, a send taken out): automation sees no touch.
    pub(super) fn apply(&mut self, param: ParamIndex, value: f32, effects: &mut Vec<Effect>) {
        self.targets.set(param, value);
        effects.push(Effect::Engine(Command::SetParam { param, value }));
    }

    pub(super) fn undo(&mut self, effects: &mut Vec<Effect>) {
        self.step_history(false, effects);
    }

    pub(super) fn redo(&mut self, effects: &mut Vec<Effect>) {
        self.step_history(true, effects);
    }

    /// Takes the newest edit off one history (undone for redo, done for undo), plays it
    /// forward or back, and files it on the other.
    pub(super) fn step_history(&mut self, forward: bool, effects: &mut Vec<Effect>) {
        let word = if forward { "redo" } else { "undo" };
        let popped = if forward { self.undone.pop() } else { self.done.pop() };
        let Some(mut edit) = popped else {
            return self.say(format!("nothing to {word}"), false);
        };
        let what = match &mut edit {
            Edit::Param { param, before, after, at_s } => {
                let value = if forward { *after } else { *before };
                self.apply(*param, value, effects);
                // Stamped as old so the next change starts its own step.
                *at_s = f64::NEG_INFINITY;
                let spec = self.table.spec(*param);
                format!("{} to {}", spec.id, spec.format(value))
            }
            Edit::Output { channel, before, after } => {
                let target = if forward { after.clone() } else { before.clone() };
                self.route(*channel, &target, effects);
                format!("{} → {target}", self.channels[*channel].name)
            }
            Edit::Send { channel, bus, added, values } => {
                let present = *added == forward;
                let restore: Vec<(ParamIndex, f32)> = if present {
                    values.clone()
                } else {
                    self.send_params(*channel, bus).into_iter().map(|p| (p, self.table.spec(p).min)).collect()
                };
                self.place_send(*channel, bus, present, &restore, effects);
                let verb = if present { "added" } else { "removed" };
                format!("{verb} the send from {} to {bus}", self.channels[*channel].name)
            }
        };
        self.say(format!("{word}: {what}"), false);
        if forward {
            self.done.push(edit)
        } else {
            self.undone.push(edit)
        }
        self.detail_row = self.detail_row.min(self.detail_params().len().saturating_sub(1));
    }
}
