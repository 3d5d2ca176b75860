//! A channel's parameters: the tables of its own sections (input, output, one per send),
//! where each section's table is, the values a setup starts them from, and the typed
//! handles (by role) that front ends address a channel's parameters by.

use super::params::{Declarer, FADER_FLOOR_DB, FADER_MAX_DB, ParamDef, ParamIndex, Role, Section, Unit};
use super::setup::{ChannelKind, ChannelSetup};
use crate::dsp::delay::DELAY_PARAMS;
use crate::dsp::dynamics::{COMPRESSOR_PARAMS, GATE_PARAMS};
use crate::dsp::eq::{BAND_PARAMS, HPF_PARAMS};
use crate::dsp::limiter::LIMITER_PARAMS;
use crate::dsp::param::FADER_TAPER;
use crate::dsp::reverb::REVERB_PARAMS;

/// Before the inserts, in the order `apply_params` reads them.
pub const INPUT_PARAMS: [ParamDef; 2] = [
    ParamDef::setting("trim", "trim_db", Unit::Db, (-24.0, 24.0), 0.0, "input gain before everything")
        .with_role(Role::Trim),
    ParamDef::switch("polarity", "polarity_invert", false, "inverts the input").with_role(Role::Polarity),
];

/// After the inserts, in the order `apply_gains` reads them.
pub const OUTPUT_PARAMS: [ParamDef; 5] = [
    ParamDef::setting("fader", "fader_db", Unit::Db, (FADER_FLOOR_DB, FADER_MAX_DB), 0.0, "level; the floor is -inf")
        .with_role(Role::Fader)
        .with_taper(FADER_TAPER),
    ParamDef::setting("pan", "pan", Unit::Pan, (-1.0, 1.0), 0.0, "pan (mono) or balance (stereo)").with_role(Role::Pan),
    ParamDef::switch("mute", "mute", false, "silences the output and its sends").with_role(Role::Mute),
    ParamDef::switch("solo", "solo", false, "solo in place").with_role(Role::Solo),
    ParamDef::switch("solo_safe", "solo_safe", false, "keeps playing while others are soloed")
        .with_role(Role::SoloSafe),
];

/// Where the meter of a strip or a bus reads, like Ardour's meter point: what arrives (before
/// the trim), what the fader gets (after the inserts), or what leaves (after fader and pan).
pub const METER_PARAMS: [ParamDef; 1] = [ParamDef::setting(
    "meter",
    "meter",
    Unit::Choice(METER_POINTS),
    (0.0, 2.0),
    2.0,
    "where the meter reads: input, pre-fader or post-fader",
)
.with_role(Role::MeterPoint)];

/// The meter points, in the order of their values.
pub const METER_POINTS: &[&str] = &["input", "pre-fader", "post-fader"];

/// A send to one bus, in the order `apply_gains` reads them.
pub const SEND_PARAMS: [ParamDef; 3] = [
    ParamDef::setting("", "level_db", Unit::Db, (FADER_FLOOR_DB, FADER_MAX_DB), 0.0, "send level; the floor is -inf")
        .with_role(Role::SendLevel)
        .with_taper(FADER_TAPER),
    ParamDef::switch("pre", "pre", false, "taken before the fader (after the inserts)").with_role(Role::SendPre),
    ParamDef::switch("mute", "mute", false, "silences the send").with_role(Role::SendMute),
];

/// The table of a section's parameters.
pub fn defs_of(section: Section) -> &'static [ParamDef] {
    match section {
        Section::Input => &INPUT_PARAMS,
        Section::Hpf => &HPF_PARAMS,
        Section::Band(b) => &BAND_PARAMS[b as usize],
        Section::Gate => &GATE_PARAMS,
        Section::Comp => &COMPRESSOR_PARAMS,
        Section::Delay => &DELAY_PARAMS,
        Section::Reverb => &REVERB_PARAMS,
        Section::Limiter => &LIMITER_PARAMS,
        Section::Output => &OUTPUT_PARAMS,
        Section::Meter => &METER_PARAMS,
        Section::Send(_) => &SEND_PARAMS,
    }
}

// Beside the tables it reads, so that the setup needs nothing of the channel.
impl ChannelSetup {
    /// Switches out every processor that has a bypass (EQ bands, dynamics, the limiter): the
    /// print without master processing. The limiter keeps its look-ahead delay, so both
    /// prints line up sample for sample.
    pub fn bypass_processing(&mut self) {
        for (section, values) in &mut self.values {
            for (value, def) in values.iter_mut().zip(defs_of(*section)) {
                if def.role == Role::Bypass {
                    *value = 1.0;
                }
            }
        }
    }
}

/// What a parameter starts from on this kind of channel when nothing sets it.
pub fn default_value(kind: ChannelKind, def: &ParamDef) -> f32 {
    // FX returns and the master keep playing when something is soloed.
    let safe_by_default = matches!(kind, ChannelKind::FxBus | ChannelKind::Master);
    if def.role == Role::SoloSafe && safe_by_default { 1.0 } else { def.default }
}

/// A section's starting values: the setup's, or its defaults switched out.
fn initial<const N: usize>(setup: &ChannelSetup, section: Section, defs: &[ParamDef; N]) -> [f32; N] {
    let given = setup.values_of(section);
    std::array::from_fn(|i| match given.and_then(|v| v.get(i)) {
        Some(&v) => v,
        None if given.is_none() => switched_out(setup.kind, &defs[i]),
        None => default_value(setup.kind, &defs[i]),
    })
}

/// The value of a parameter in a section a setup does not have.
fn switched_out(kind: ChannelKind, def: &ParamDef) -> f32 {
    match def.role {
        Role::Bypass => 1.0,
        Role::Enable => 0.0,
        Role::SendLevel => FADER_FLOOR_DB,
        _ => default_value(kind, def),
    }
}

/// Declares one section of `setup`'s channel, from its starting values.
pub(super) fn declare<const N: usize>(
    d: &mut Declarer,
    setup: &ChannelSetup,
    section: Section,
    part: &str,
    defs: &'static [ParamDef; N],
) -> [ParamIndex; N] {
    d.section(section, part, defs, &initial(setup, section, defs), |def| default_value(setup.kind, def))
}

/// Declares one processor section and returns the index of its first parameter.
pub(super) fn declare_section<const N: usize>(
    d: &mut Declarer,
    setup: &ChannelSetup,
    section: Section,
    part: &str,
    defs: &'static [ParamDef; N],
) -> usize {
    declare(d, setup, section, part, defs)[0].0 as usize
}

/// The parameters of a channel that the mix itself acts on, by role: what front ends
/// address without looking an id up.
#[derive(Clone, Debug, PartialEq)]
pub struct ChannelParams {
    pub name: String,
    pub kind: ChannelKind,
    pub trim: ParamIndex,
    pub polarity: ParamIndex,
    pub fader: ParamIndex,
    pub pan: ParamIndex,
    pub mute: ParamIndex,
    pub solo: ParamIndex,
    pub solo_safe: ParamIndex,
    /// Strips and buses: where the meter reads.
    pub meter: Option<ParamIndex>,
    /// One per bus this channel can send to, in layout order of the buses.
    pub sends: Vec<SendParams>,
    /// The first parameter of each section the channel has, in signal order; a section's
    /// parameters follow it side by side in its table's order.
    pub sections: Vec<(Section, ParamIndex)>,
}

impl ChannelParams {
    /// The first parameter of `section`, if the channel has it.
    pub fn first_of(&self, section: Section) -> Option<ParamIndex> {
        self.sections.iter().find(|(s, _)| *s == section).map(|&(_, p)| p)
    }

    /// The values of `section` as `value` gives them, in its table's order; `None` if the channel lacks it.
    pub fn section_values<const N: usize>(
        &self,
        section: Section,
        value: impl Fn(ParamIndex) -> f32,
    ) -> Option<[f32; N]> {
        let first = self.first_of(section)?;
        Some(std::array::from_fn(|k| value(ParamIndex(first.0 + k as u32))))
    }

    /// The send to bus `bus` (layout index).
    pub fn send_to(&self, bus: usize) -> Option<&SendParams> {
        self.sends.iter().find(|s| s.bus == bus)
    }
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SendParams {
    /// The bus, by layout index.
    pub bus: usize,
    pub level: ParamIndex,
    pub pre: ParamIndex,
    pub mute: ParamIndex,
}
