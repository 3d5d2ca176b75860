//! Automation: lanes of parameter values over time, written pass after pass against the
//! transport, kept with their history. The engine plays and writes lanes
//! (`engine::automation`); this side builds passes from what it wrote, thins them,
//! merges them into lanes, keeps every pass and stores them in the session folder.

pub mod file;
pub mod lane;
pub mod passes;
pub mod recorder;

use serde::{Deserialize, Serialize};

use crate::engine::params::{ParamIndex, ParamTable, Role};

/// How a parameter's lane and its live control share the parameter.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    /// The lane is ignored; the control is live.
    #[default]
    Off,
    /// The lane drives the parameter; live moves are shown, then snapped back.
    Read,
    /// While the transport rolls, the live value is written (and heard) from start to stop.
    Write,
    /// Reads until touched, writes while touched, glides back to the lane on release.
    Touch,
    /// Like Touch, but after release keeps writing the last value until the transport stops.
    Latch,
    /// Reads; while touched, the control's movement offsets the lane instead of replacing it.
    Trim,
}

impl Mode {
    pub const ALL: [Mode; 6] = [Mode::Off, Mode::Read, Mode::Write, Mode::Touch, Mode::Latch, Mode::Trim];

    pub fn name(self) -> &'static str {
        match self {
            Mode::Off => "off",
            Mode::Read => "read",
            Mode::Write => "write",
            Mode::Touch => "touch",
            Mode::Latch => "latch",
            Mode::Trim => "trim",
        }
    }

    pub fn parse(text: &str) -> Option<Mode> {
        Mode::ALL.into_iter().find(|m| m.name().eq_ignore_ascii_case(text.trim()))
    }

    /// Its place in [`Mode::ALL`] (declared in that order), as it travels through an atomic.
    pub fn index(self) -> u8 {
        self as u8
    }

    pub fn from_index(index: u8) -> Mode {
        Mode::ALL.get(index as usize).copied().unwrap_or_default()
    }
}

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
