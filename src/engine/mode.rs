//! The automation modes a parameter can be in.

/// How a parameter's lane and its live control share the parameter.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
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
