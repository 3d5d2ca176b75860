//! Every parameter's target: the value the controls want it at, kept once for all of them
//! (the console's keys, mouse and prompt, typed lines, every surface). What a control shows,
//! what a motor is sent, what is saved and what the next step starts from are read here.
//!
//! The one hand-over: where automation lets go of a parameter, the engine keeps the value
//! it left, and the target takes it over, once per let-go (the engine counts them). A
//! control that moves after the let-go has the last word. Readers take the hand-over as
//! they read, so it needs no thread of its own and no reader can miss it or apply it twice.

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

use super::automation::AutomationTelemetry;
use super::params::{ParamIndex, ParamValues};
use super::telemetry::Telemetry;

pub struct ParamTargets {
    values: Box<[AtomicU32]>,
    /// Per parameter: the engine's let-go count this target has taken over (or moved past).
    taken_over: Box<[AtomicU32]>,
    telemetry: Arc<Telemetry>,
}

impl ParamTargets {
    /// Targets starting at `values`, the values the engine was built with.
    pub fn new(values: &ParamValues, telemetry: Arc<Telemetry>) -> ParamTargets {
        let count = telemetry.automation.param_count();
        ParamTargets {
            values: (0..count).map(|i| AtomicU32::new(values.get_at(i).to_bits())).collect(),
            taken_over: (0..count)
                .map(|i| AtomicU32::new(telemetry.automation.released(ParamIndex(i as u32))))
                .collect(),
            telemetry,
        }
    }

    /// What automation reports, which the targets take over from.
    pub fn automation(&self) -> &AutomationTelemetry {
        &self.telemetry.automation
    }

    /// The parameter's target (where automation let go since it was last set: the value left).
    pub fn get(&self, param: ParamIndex) -> f32 {
        let i = param.0 as usize;
        let automation = &self.telemetry.automation;
        let released = automation.released(param);
        let taken = self.taken_over[i].load(Ordering::Acquire);
        if released != taken
            && self.taken_over[i].compare_exchange(taken, released, Ordering::AcqRel, Ordering::Acquire).is_ok()
        {
            self.values[i].store(automation.played(param).to_bits(), Ordering::Release);
        }
        f32::from_bits(self.values[i].load(Ordering::Acquire))
    }

    /// A control sets the target; any let-go before now is behind it.
    pub fn set(&self, param: ParamIndex, value: f32) {
        let i = param.0 as usize;
        self.taken_over[i].store(self.telemetry.automation.released(param), Ordering::Release);
        self.values[i].store(value.to_bits(), Ordering::Release);
    }

    /// What a control shows: what automation plays while it drives the parameter, else the target.
    pub fn shown(&self, param: ParamIndex) -> f32 {
        self.telemetry.automation.driven_value(param).unwrap_or_else(|| self.get(param))
    }

    /// Every target, as a document's values are written from.
    pub fn snapshot(&self) -> ParamValues {
        ParamValues::new((0..self.values.len()).map(|i| self.get(ParamIndex(i as u32))).collect())
    }

    /// Whether every target equals `values`.
    pub fn equals(&self, values: &ParamValues) -> bool {
        (0..self.values.len()).all(|i| self.get(ParamIndex(i as u32)) == values.get_at(i))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::automation::PlayState;

    fn targets() -> ParamTargets {
        ParamTargets::new(&ParamValues::new(vec![-4.0, 0.0]), Arc::new(Telemetry::new(1, 2)))
    }

    #[test]
    fn a_let_go_is_taken_over_once_and_a_later_move_has_the_last_word() {
        let targets = targets();
        let (fader, automation) = (ParamIndex(0), &targets.telemetry.automation);
        automation.publish(fader, PlayState::READING, -1.0);
        assert_eq!((targets.shown(fader), targets.get(fader)), (-1.0, -4.0), "the lane plays over the target");
        automation.publish(fader, PlayState::LIVE, -1.0);
        assert_eq!((targets.shown(fader), targets.get(fader)), (-1.0, -1.0), "taken over where the lane left it");
        targets.set(fader, -6.0);
        assert_eq!(targets.get(fader), -6.0, "a move after the let-go stays");
        assert_eq!(targets.snapshot().get(fader), -6.0);
    }

    #[test]
    fn a_move_while_automation_drives_gives_way_to_the_value_automation_leaves() {
        let targets = targets();
        let (fader, automation) = (ParamIndex(0), &targets.telemetry.automation);
        automation.publish(fader, PlayState::READING, -2.0);
        targets.set(fader, -9.0);
        automation.publish(fader, PlayState::LIVE, -2.5);
        assert_eq!(targets.get(fader), -2.5, "what the engine keeps is what the control takes");
        assert!(!targets.equals(&ParamValues::new(vec![-4.0, 0.0])));
        assert!(targets.equals(&ParamValues::new(vec![-2.5, 0.0])));
    }
}
