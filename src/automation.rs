//! Automation: lanes of parameter values over time, written pass after pass against the
//! transport, kept with their history. The engine plays and writes lanes
//! (`engine::automation`); this side builds passes from what it wrote, thins them,
//! merges them into lanes, keeps every pass and stores them in the session folder.

pub mod file;
mod journal;
pub mod passes;
pub mod recorder;

// What the engine plays: lanes and modes belong to it, and are used here under these names.
pub use crate::engine::automation::Mode;
pub use crate::engine::lane;
use crate::engine::params::{ParamIndex, ParamTable, Role};

/// The parameters a channel's automation mode (the console's strip mode, a surface's mode
/// buttons, `mode strip.Vocal touch`) applies to: every one of channel `channel`'s but solo
/// and solo-safe, which are for listening, not part of the mix.
pub fn channel_params(table: &ParamTable, channel: usize) -> Vec<ParamIndex> {
    (0..table.specs().len() as u32)
        .map(ParamIndex)
        .filter(|&p| {
            let spec = table.spec(p);
            spec.owner == channel && !matches!(spec.role, Role::Solo | Role::SoloSafe)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_mode_survives_its_trip_through_an_atomic() {
        for mode in Mode::ALL {
            assert_eq!(Mode::from_index(mode.index()), mode);
        }
        assert_eq!(Mode::from_index(200), Mode::Off, "garbage reads as Off");
    }

    #[test]
    fn a_channel_mode_covers_the_mix_parameters_of_that_channel_and_not_solo() {
        let yaml = "version: 1\nname: t\nstrips:\n  - {name: A, input: {ports: [x:a]}}\n  - {name: B, input: {ports: [x:b]}}\n";
        let doc = crate::session::load::parse(yaml, std::path::Path::new("t.yaml")).unwrap().0;
        let table = crate::session::resolve::build_engine(&doc, 48_000.0, 0).unwrap().params;
        let b = table.spec(table.lookup("strip.B.fader").unwrap()).owner;
        let ids: Vec<&str> = channel_params(&table, b).iter().map(|&p| table.spec(p).id.as_str()).collect();
        assert!(ids.contains(&"strip.B.fader") && ids.contains(&"strip.B.eq.2.gain") && ids.contains(&"strip.B.mute"));
        assert!(ids.iter().all(|id| id.starts_with("strip.B.")), "{ids:?}");
        assert!(!ids.contains(&"strip.B.solo") && !ids.contains(&"strip.B.solo_safe"));
    }
}
