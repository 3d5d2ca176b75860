//! What a parameter is, declared once beside the processor it drives.
//!
//! Each processor section has one table of `ParamDef`s in the order its settings read
//! them (`CompressorSettings::from_values`...). Everything else reads that table: the
//! engine's declarations, the session file (key, default, range), `headroom params`,
//! the console's formatting and stepping, controller maps and automation. Adding a
//! parameter is one line in a table plus the DSP that uses it.

/// The kind of value a parameter holds, which decides how it is shown, typed and stepped.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Unit {
    /// Decibels; for levels whose range starts at `FADER_FLOOR_DB` the minimum means -inf (silence).
    Db,
    Hz,
    Ms,
    /// Compression/expansion ratio (x:1).
    Ratio,
    /// -1 (left) .. +1 (right).
    Pan,
    /// A proportion 0..1.
    Amount,
    /// Filter quality factor.
    Q,
    /// Off (0) or on (1).
    Toggle,
    /// One of a list of named choices, stored as its index. A session file writes a choice
    /// as the first word of its name (`rms`, `24` for "24 dB/oct").
    Choice(&'static [&'static str]),
}

/// What a parameter does in the mix. Front ends that treat some parameters apart (a fader
/// on a motor, solo logic, sends in the routing view) ask this, never the id.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Role {
    Trim,
    Polarity,
    Fader,
    Pan,
    Mute,
    Solo,
    SoloSafe,
    SendLevel,
    SendPre,
    SendMute,
    /// Where a channel's meter reads.
    MeterPoint,
    /// On switches its section out (a bypass). A section the session lacks starts switched out.
    Bypass,
    /// On switches its section in. A section the session lacks starts switched off.
    Enable,
    /// Any other setting of a processor.
    Setting,
}

impl Role {
    /// How `headroom params` and the help name it.
    pub fn name(self) -> &'static str {
        match self {
            Role::Trim => "trim",
            Role::Polarity => "polarity",
            Role::Fader => "fader",
            Role::Pan => "pan",
            Role::Mute => "mute",
            Role::Solo => "solo",
            Role::SoloSafe => "solo-safe",
            Role::SendLevel => "send",
            Role::SendPre => "send-pre",
            Role::SendMute => "send-mute",
            Role::MeterPoint => "meter-point",
            Role::Bypass => "bypass",
            Role::Enable => "enable",
            Role::Setting => "setting",
        }
    }
}

/// A piecewise-linear scale from a value to a 0..1 position: `(value, position)` points with
/// both falling, held flat beyond the ends. A fader's taper is its travel on screen and on a
/// motor fader, the same on every front end; a parameter without one moves evenly.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Taper(pub &'static [(f32, f32)]);

impl Taper {
    pub fn position(&self, value: f32) -> f32 {
        interpolate(self.0.iter().copied(), value)
    }

    pub fn value_at(&self, position: f32) -> f32 {
        interpolate(self.0.iter().map(|&(value, position)| (position, value)), position)
    }
}

/// Piecewise-linear y(x) through points whose x falls, held flat beyond both ends.
fn interpolate(points: impl Iterator<Item = (f32, f32)> + Clone, x: f32) -> f32 {
    let (first_x, first_y) = points.clone().next().expect("a taper has points");
    if x >= first_x {
        return first_y;
    }
    let mut end = first_y;
    for ((hi_x, hi_y), (lo_x, lo_y)) in points.clone().zip(points.skip(1)) {
        if x >= lo_x {
            return lo_y + (x - lo_x) / (hi_x - lo_x) * (hi_y - lo_y);
        }
        end = lo_y;
    }
    end
}

/// Faders and sends at or below this level are silent (shown as -inf).
pub const FADER_FLOOR_DB: f32 = -90.0;
/// Highest fader and send level.
pub const FADER_MAX_DB: f32 = 10.0;

/// Fader travel, shaped like a console fader: 0 dB three quarters up, -inf at the bottom.
pub const FADER_TAPER: Taper = Taper(&[
    (10.0, 1.0),
    (5.0, 0.9),
    (0.0, 0.78),
    (-5.0, 0.66),
    (-10.0, 0.54),
    (-20.0, 0.36),
    (-30.0, 0.22),
    (-40.0, 0.12),
    (-60.0, 0.03),
    (FADER_FLOOR_DB, 0.0),
]);

/// One parameter of a section.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ParamDef {
    /// The last part of its id (`threshold` in `strip.Vocal.comp.threshold`); empty for the
    /// value the section itself is named for (a send's level, `strip.Vocal.send.Reverb`).
    pub key: &'static str,
    /// Its key in a session file (`threshold_db`).
    pub file_key: &'static str,
    pub unit: Unit,
    pub min: f32,
    pub max: f32,
    /// Its value when a session names the section but not the parameter, and after a reset.
    pub default: f32,
    pub role: Role,
    /// How its control's travel maps to its value; `None` moves evenly over the range.
    pub taper: Option<Taper>,
    /// One line for `headroom params` and the help.
    pub doc: &'static str,
}

impl ParamDef {
    /// A processor setting.
    pub const fn setting(
        key: &'static str,
        file_key: &'static str,
        unit: Unit,
        (min, max): (f32, f32),
        default: f32,
        doc: &'static str,
    ) -> Self {
        Self { key, file_key, unit, min, max, default, role: Role::Setting, taper: None, doc }
    }

    /// An on/off switch.
    pub const fn switch(key: &'static str, file_key: &'static str, default: bool, doc: &'static str) -> Self {
        Self::setting(key, file_key, Unit::Toggle, (0.0, 1.0), default as u8 as f32, doc)
    }

    pub const fn with_role(self, role: Role) -> Self {
        Self { role, ..self }
    }

    pub const fn with_taper(self, taper: Taper) -> Self {
        Self { taper: Some(taper), ..self }
    }

    /// Toggles and choices take whole values only.
    pub fn is_discrete(&self) -> bool {
        matches!(self.unit, Unit::Toggle | Unit::Choice(_))
    }

    /// A level whose range starts at the floor, where it means -inf (silence): faders and sends.
    pub fn is_level(&self) -> bool {
        self.unit == Unit::Db && self.min <= FADER_FLOOR_DB
    }

    /// What a value of this parameter is, for messages: "expected a ratio (4 for 4:1)".
    pub fn expected(&self) -> &'static str {
        match self.unit {
            Unit::Db if self.is_level() => "a level in dB or -inf",
            Unit::Db => "a number of dB",
            Unit::Hz => "a frequency in Hz (or 2.5k)",
            Unit::Ms => "a time in ms",
            Unit::Ratio => "a ratio (4 for 4:1)",
            Unit::Pan => "a pan position: C, L30, R30 or -1..1",
            Unit::Amount => "a percentage",
            Unit::Q => "a Q",
            Unit::Toggle => "on or off",
            Unit::Choice(_) => "one of the listed choices",
        }
    }

    /// Where `value` sits on its control's travel, 0 (bottom) to 1 (top).
    pub fn position(&self, value: f32) -> f32 {
        match self.taper {
            Some(taper) => taper.position(value),
            None => ((value - self.min) / (self.max - self.min)).clamp(0.0, 1.0),
        }
    }

    /// The value at `position` (0..1) of its control's travel.
    pub fn value_at(&self, position: f32) -> f32 {
        match self.taper {
            Some(taper) => taper.value_at(position),
            None => self.min + position.clamp(0.0, 1.0) * (self.max - self.min),
        }
    }
}

/// The parameter of `table` with id key `key` (tests name parameters so, not by position).
#[cfg(test)]
pub fn find<'a>(table: &'a [ParamDef], key: &str) -> Option<&'a ParamDef> {
    table.iter().find(|def| def.key == key)
}

/// A section's values in the order of its table, as the processor's `from_values` reads them.
/// The engine keeps a section's values side by side, so it hands out the run as an array.
pub fn section_values<const N: usize>(values: &[f32], first: usize) -> &[f32; N] {
    values[first..].first_chunk::<N>().expect("a section's values are declared side by side")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_fader_taper_maps_both_ways_over_the_whole_travel() {
        assert_eq!(FADER_TAPER.position(FADER_FLOOR_DB), 0.0);
        assert_eq!(FADER_TAPER.position(-200.0), 0.0);
        assert_eq!(FADER_TAPER.position(FADER_MAX_DB), 1.0);
        assert_eq!(FADER_TAPER.position(0.0), 0.78);
        assert!((FADER_TAPER.position(-15.0) - 0.45).abs() < 1e-6, "straight between points");
        for db in [-60.0, -20.0, -7.5, 0.0, 3.0] {
            assert!((FADER_TAPER.value_at(FADER_TAPER.position(db)) - db).abs() < 1e-4);
        }
    }
}
