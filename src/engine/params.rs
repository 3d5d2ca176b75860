//! Every automatable or controllable value of a mix, declared once.
//!
//! A parameter has a stable string id (`strip.Vocal.fader`,
//! `strip.Vocal.eq.2.gain`, `strip.Vocal.send.Reverb`, `bus.Drums.comp.threshold`,
//! `master.limiter.ceiling`), a range, a unit and a default. Session files,
//! controller maps and automation lanes name parameters only by id; the engine
//! works with the dense `ParamIndex` the table hands out.

use std::collections::HashMap;
use std::fmt;

pub use super::channel_params::{ChannelParams, SendParams};
pub use crate::dsp::param::{FADER_FLOOR_DB, FADER_MAX_DB, ParamDef, Role, Unit};

/// Dense index of a parameter in the engine's value array.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ParamIndex(pub u32);

/// Which part of a channel a parameter belongs to: the unit its values travel in, in the
/// engine (side by side, in its table's order) and in the session file (one section).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Section {
    /// Trim and polarity, before everything.
    Input,
    Hpf,
    /// EQ band 0..3 (`eq.1` .. `eq.4` in ids).
    Band(u8),
    Gate,
    Comp,
    Delay,
    Reverb,
    Limiter,
    /// Fader, pan, mute and solo, after the inserts.
    Output,
    /// Where a strip's or bus's meter reads (the master's reads its outputs).
    Meter,
    /// The send to bus `n` (layout order).
    Send(u16),
}

/// One parameter of the mix: its definition, where it sits, and its id.
#[derive(Clone, Debug, PartialEq)]
pub struct ParamSpec {
    pub id: String,
    pub def: &'static ParamDef,
    pub section: Section,
    /// Index of the channel (strip, bus or master) the parameter belongs to.
    pub owner: usize,
    /// The definition's default, or what this kind of channel starts from (an FX bus is solo-safe).
    pub default: f32,
}

/// A spec reads as its definition: `spec.unit`, `spec.min`, `spec.role`...
impl std::ops::Deref for ParamSpec {
    type Target = ParamDef;
    fn deref(&self) -> &ParamDef {
        self.def
    }
}

impl ParamSpec {
    /// Clamps (and for toggles and choices, rounds) a value into the parameter's range.
    pub fn constrain(&self, value: f32) -> f32 {
        let v = if value.is_nan() { self.default } else { value.clamp(self.min, self.max) };
        if self.is_discrete() { v.round() } else { v }
    }

    /// Human-readable value with its unit.
    pub fn format(&self, value: f32) -> String {
        match self.unit {
            Unit::Db if value <= self.min && self.min <= FADER_FLOOR_DB => "-inf dB".to_string(),
            Unit::Db => format!("{value:+.1} dB"),
            Unit::Hz if value >= 1000.0 => format!("{:.2} kHz", value / 1000.0),
            Unit::Hz => format!("{value:.0} Hz"),
            Unit::Ms => format!("{value:.1} ms"),
            Unit::Ratio => format!("{value:.1}:1"),
            Unit::Pan if value.abs() < 0.005 => "C".to_string(),
            Unit::Pan if value < 0.0 => format!("L{:.0}", -value * 100.0),
            Unit::Pan => format!("R{:.0}", value * 100.0),
            Unit::Amount => format!("{:.0}%", value * 100.0),
            Unit::Q => format!("Q {value:.2}"),
            Unit::Toggle => (if value >= 0.5 { "on" } else { "off" }).to_string(),
            Unit::Choice(names) => names.get(value as usize).copied().unwrap_or("?").to_string(),
        }
    }
}

impl ParamSpec {
    /// Reads a value as a user types it: a number in the parameter's unit, `-inf` for levels,
    /// `L30`/`R30`/`C` for pan, `on`/`off` for toggles, a choice by name. `Err` says what was expected.
    pub fn parse(&self, text: &str) -> Result<f32, String> {
        let t = text.trim().to_ascii_lowercase();
        let t = ["db", "hz", "ms", ":1"].iter().fold(t.as_str(), |t, unit| t.strip_suffix(unit).unwrap_or(t)).trim();
        let number = |s: &str| s.trim().parse::<f32>().ok().filter(|v| v.is_finite());
        let value = match self.unit {
            Unit::Db if t == "-inf" && self.min <= FADER_FLOOR_DB => Some(self.min),
            Unit::Hz => t.strip_suffix('k').and_then(number).map(|k| k * 1000.0).or_else(|| number(t)),
            Unit::Pan => match t.split_at(t.len().min(1)) {
                ("c", "") => Some(0.0),
                ("l", n) => number(n).map(|v| -v / 100.0),
                ("r", n) => number(n).map(|v| v / 100.0),
                _ => number(t),
            },
            Unit::Amount => number(t.trim_end_matches('%')).map(|v| v / 100.0),
            Unit::Toggle => match t {
                "on" | "1" | "yes" => Some(1.0),
                "off" | "0" | "no" => Some(0.0),
                _ => None,
            },
            Unit::Choice(names) => names.iter().position(|n| n.to_ascii_lowercase().starts_with(t)).map(|i| i as f32),
            _ => number(t),
        };
        let expected = self.expected();
        let range = match self.unit {
            Unit::Choice(names) => names.join(", "),
            _ => format!("{} .. {}", self.format(self.min), self.format(self.max)),
        };
        let value =
            value.ok_or_else(|| format!("{}: expected {expected} ({range}), found \"{}\"", self.id, text.trim()))?;
        // Refused, not clamped: a typo must not land as a +18 dB boost.
        if !(self.min..=self.max).contains(&value) {
            return Err(format!("{}: {} is out of range; expected {range}", self.id, text.trim()));
        }
        Ok(self.constrain(value))
    }

    /// The value one step up (`direction` +1) or down (-1); `coarse` for the big step.
    /// Frequencies, times and Q move by ratios, so a step sounds alike anywhere in the range.
    pub fn step(&self, value: f32, direction: f32, coarse: bool) -> f32 {
        let pick = |fine: f32, big: f32| if coarse { big } else { fine };
        let next = match self.unit {
            Unit::Db if value <= self.min && direction > 0.0 && self.min <= FADER_FLOOR_DB => STEP_UP_FROM_SILENCE_DB,
            Unit::Db => value + direction * pick(0.5, 3.0),
            Unit::Hz | Unit::Ms | Unit::Q => value * pick(2f32.powf(1.0 / 12.0), 2f32.powf(1.0 / 3.0)).powf(direction),
            Unit::Ratio => value + direction * pick(0.1, 1.0),
            Unit::Pan => value + direction * pick(0.02, 0.1),
            Unit::Amount => value + direction * pick(0.01, 0.1),
            Unit::Toggle | Unit::Choice(_) => value + direction,
        };
        self.constrain(next)
    }
}

/// Where a level stepped up from silence lands: the bottom of the usable fader travel.
const STEP_UP_FROM_SILENCE_DB: f32 = -60.0;

/// Linear gain of a fader or send level in dB, exactly zero at the floor.
pub fn fader_gain(db: f32) -> f32 {
    if db <= FADER_FLOOR_DB { 0.0 } else { crate::dsp::fastmath::db_to_gain_exact(db) }
}

/// All parameters of one mix, in index order, and each channel's by role.
#[derive(Clone, Debug, Default)]
pub struct ParamTable {
    specs: Vec<ParamSpec>,
    by_id: HashMap<String, ParamIndex>,
    channels: Vec<ChannelParams>,
}

#[derive(Debug, PartialEq)]
pub struct UnknownParam(pub String);

impl fmt::Display for UnknownParam {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "no parameter with id \"{}\"", self.0)
    }
}

impl std::error::Error for UnknownParam {}

impl ParamTable {
    pub fn add(&mut self, spec: ParamSpec) -> ParamIndex {
        let index = ParamIndex(self.specs.len() as u32);
        let previous = self.by_id.insert(spec.id.clone(), index);
        assert!(previous.is_none(), "parameter id {} declared twice", spec.id);
        self.specs.push(spec);
        index
    }

    pub fn spec(&self, index: ParamIndex) -> &ParamSpec {
        &self.specs[index.0 as usize]
    }

    pub fn specs(&self) -> &[ParamSpec] {
        &self.specs
    }

    pub fn lookup(&self, id: &str) -> Result<ParamIndex, UnknownParam> {
        self.by_id.get(id).copied().ok_or_else(|| UnknownParam(id.to_string()))
    }

    /// Each channel's parameters by role, in engine order: strips, buses, the master.
    pub fn channels(&self) -> &[ChannelParams] {
        &self.channels
    }

    pub(crate) fn set_channels(&mut self, channels: Vec<ChannelParams>) {
        self.channels = channels;
    }

    /// The parameters of channel `owner`, in declaration order (the order the signal meets them).
    pub fn of_channel(&self, owner: usize) -> impl Iterator<Item = ParamIndex> + '_ {
        self.specs.iter().enumerate().filter(move |(_, s)| s.owner == owner).map(|(i, _)| ParamIndex(i as u32))
    }
}

/// The values of every parameter as the non-real-time side last set them
/// (the one owner of each target: it never copies back the engine's echo).
#[derive(Clone, Debug, PartialEq)]
pub struct ParamValues(Vec<f32>);

impl ParamValues {
    pub fn new(values: Vec<f32>) -> Self {
        Self(values)
    }

    pub fn get(&self, param: ParamIndex) -> f32 {
        self.0[param.0 as usize]
    }

    pub fn set(&mut self, param: ParamIndex, value: f32) {
        self.0[param.0 as usize] = value;
    }

    pub fn get_at(&self, index: usize) -> f32 {
        self.0[index]
    }

    pub fn set_at(&mut self, index: usize, value: f32) {
        self.0[index] = value;
    }
}

/// Declares the parameters of one channel, all under one id prefix.
pub(crate) struct Declarer<'a> {
    pub table: &'a mut ParamTable,
    pub values: &'a mut Vec<f32>,
    pub prefix: String,
    pub owner: usize,
}

impl Declarer<'_> {
    /// Declares a section's parameters side by side, as `<prefix>.<part>.<key>`, starting
    /// from `initial` (clamped into range), and returns their indices in table order.
    pub fn section<const N: usize>(
        &mut self,
        section: Section,
        part: &str,
        defs: &'static [ParamDef; N],
        initial: &[f32; N],
        default_of: impl Fn(&ParamDef) -> f32,
    ) -> [ParamIndex; N] {
        std::array::from_fn(|i| {
            let def = &defs[i];
            let id =
                [self.prefix.as_str(), part, def.key].iter().filter(|s| !s.is_empty()).copied().collect::<Vec<_>>();
            let spec = ParamSpec { id: id.join("."), def, section, owner: self.owner, default: default_of(def) };
            self.values.push(spec.constrain(initial[i]));
            self.table.add(spec)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const FADER: ParamDef = ParamDef::setting("fader", "fader_db", Unit::Db, (FADER_FLOOR_DB, FADER_MAX_DB), 0.0, "");
    const SLOPE: ParamDef =
        ParamDef::setting("slope", "slope", Unit::Choice(&["12 dB/oct", "24 dB/oct"]), (0.0, 1.0), 0.0, "");

    pub(super) fn spec(def: &'static ParamDef) -> ParamSpec {
        ParamSpec { id: "strip.X.p".into(), def, section: Section::Output, owner: 0, default: def.default }
    }

    #[test]
    fn values_are_constrained_and_formatted_with_their_units() {
        let fader = spec(&FADER);
        assert_eq!(fader.constrain(25.0), 10.0);
        assert_eq!(fader.constrain(f32::NEG_INFINITY), FADER_FLOOR_DB);
        assert_eq!(fader.constrain(f32::NAN), 0.0);
        assert_eq!(fader.format(-90.0), "-inf dB");
        assert_eq!(fader.format(-3.25), "-3.2 dB");
        assert_eq!(fader_gain(-90.0), 0.0);
        assert!((fader_gain(-6.0) - 0.501_187).abs() < 1e-6);
        let slope = spec(&SLOPE);
        assert_eq!(slope.constrain(0.7), 1.0);
        assert_eq!(slope.format(1.0), "24 dB/oct");
    }

    #[test]
    fn ids_resolve_to_their_index() {
        const OUT: [ParamDef; 2] = [FADER, ParamDef::switch("mute", "mute", false, "")];
        let mut table = ParamTable::default();
        let mut values = Vec::new();
        let mut d = Declarer { table: &mut table, values: &mut values, prefix: "strip.Bass".into(), owner: 3 };
        let [fader, mute] = d.section(Section::Output, "", &OUT, &[-4.0, 1.0], |def| def.default);
        assert_eq!(table.lookup("strip.Bass.fader"), Ok(fader));
        assert_eq!(table.lookup("strip.Bass.mute"), Ok(mute));
        assert_eq!(table.spec(mute).section, Section::Output);
        assert_eq!(values, vec![-4.0, 1.0]);
        assert_eq!(table.lookup("strip.Bass.pan"), Err(UnknownParam("strip.Bass.pan".into())));
    }
}

#[cfg(test)]
mod typing_tests {
    use super::tests::spec;
    use super::*;
    use crate::dsp::{dynamics, eq, param::ParamDef};

    const FADER: ParamDef = ParamDef::setting("p", "p", Unit::Db, (FADER_FLOOR_DB, FADER_MAX_DB), 0.0, "");
    const PAN: ParamDef = ParamDef::setting("p", "p", Unit::Pan, (-1.0, 1.0), 0.0, "");
    const TOGGLE: ParamDef = ParamDef::switch("p", "p", false, "");
    const AMOUNT: ParamDef = ParamDef::setting("p", "p", Unit::Amount, (0.0, 1.0), 0.0, "");

    #[test]
    fn typed_values_read_in_their_units() {
        let fader = spec(&FADER);
        assert_eq!(fader.parse("-6"), Ok(-6.0));
        assert_eq!(fader.parse(" -4.5 dB"), Ok(-4.5));
        assert_eq!(fader.parse("-inf"), Ok(FADER_FLOOR_DB));
        assert_eq!(fader.parse("+40"), Err("strip.X.p: +40 is out of range; expected -inf dB .. +10.0 dB".into()));
        assert_eq!(
            fader.parse("-120 dB"),
            Err("strip.X.p: -120 dB is out of range; expected -inf dB .. +10.0 dB".into())
        );
        assert_eq!(spec(&PAN).parse("L130"), Err("strip.X.p: L130 is out of range; expected L100 .. R100".into()));
        assert_eq!(
            fader.parse("loud"),
            Err("strip.X.p: expected a level in dB or -inf (-inf dB .. +10.0 dB), found \"loud\"".into())
        );
        let freq = spec(crate::dsp::param::find(&eq::BAND_PARAMS[1], "freq").unwrap());
        assert_eq!(freq.parse("2.5k"), Ok(2500.0));
        assert_eq!(freq.parse("2.5 kHz"), Ok(2500.0));
        assert_eq!(freq.parse("120 Hz"), Ok(120.0));
        let pan = spec(&PAN);
        assert_eq!(pan.parse("L30"), Ok(-0.3));
        assert_eq!(pan.parse("c"), Ok(0.0));
        assert_eq!(pan.parse("0.5"), Ok(0.5));
        assert_eq!(spec(&TOGGLE).parse("on"), Ok(1.0));
        assert_eq!(
            spec(crate::dsp::param::find(&dynamics::COMPRESSOR_PARAMS, "detector").unwrap()).parse("RMS"),
            Ok(1.0)
        );
        assert_eq!(spec(&AMOUNT).parse("35%"), Ok(0.35));
    }

    #[test]
    fn steps_are_fine_or_coarse_and_stay_in_range() {
        let fader = spec(&FADER);
        assert_eq!(fader.step(0.0, 1.0, false), 0.5);
        assert_eq!(fader.step(0.0, -1.0, true), -3.0);
        assert_eq!(fader.step(9.8, 1.0, true), 10.0);
        assert_eq!(fader.step(FADER_FLOOR_DB, 1.0, false), -60.0, "up from silence lands on the travel");
        let freq = spec(crate::dsp::param::find(&eq::BAND_PARAMS[1], "freq").unwrap());
        assert!((freq.step(1000.0, 1.0, true) - 1259.92).abs() < 0.01, "a third of an octave");
        assert_eq!(spec(&TOGGLE).step(0.0, 1.0, false), 1.0);
    }
}
