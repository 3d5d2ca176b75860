//! From a session document to what the engine is built from: every value read by its
//! parameter's table (key, unit, default), sections and sends found, names turned into
//! indices. The one place that reads parameter values out of a document; validation
//! uses the same reading to say what is wrong, and `write_back` is its inverse.

use super::schema::{BusKind, ChannelDoc, Channels, MASTER, Scalar, SessionDoc, Values, note_value_ms};
use crate::dsp::limiter::DEFAULT_LOOKAHEAD_MS;
use crate::engine::channel_params::{default_value, defs_of};
use crate::engine::params::{ParamDef, Section, Unit};
use crate::engine::setup::{ChannelKind, ChannelSetup, InsertKind, MixSetup};
use crate::engine::{BuildError, Built, Engine};

/// Builds the engine for a validated session.
pub fn build_engine(doc: &SessionDoc, sample_rate: f32, command_sources: usize) -> Result<Built, BuildError> {
    Engine::build(&mix_setup(doc), sample_rate, command_sources)
}

/// The engine's setup for a validated session (values that do not read take their defaults).
pub fn mix_setup(doc: &SessionDoc) -> MixSetup {
    let strip_kind = |ch: &ChannelDoc| ChannelKind::Strip { stereo: ch.channels == Some(Channels::Stereo) };
    let bus_kind =
        |ch: &ChannelDoc| if ch.kind == Some(BusKind::Fx) { ChannelKind::FxBus } else { ChannelKind::GroupBus };
    MixSetup {
        strips: doc.strips.iter().map(|ch| channel_setup(doc, ch, strip_kind(ch))).collect(),
        buses: doc.buses.iter().map(|ch| channel_setup(doc, ch, bus_kind(ch))).collect(),
        master: ChannelSetup { name: MASTER.to_string(), ..channel_setup(doc, &doc.master, ChannelKind::Master) },
    }
}

fn channel_setup(doc: &SessionDoc, ch: &ChannelDoc, kind: ChannelKind) -> ChannelSetup {
    let bus_index = |name: &str| doc.buses.iter().position(|b| b.name == name);
    let no_values = Values::default();
    let mut values = Vec::new();
    let mut add = |section: Section, written: &Values| {
        let mut read = read_section(written, defs_of(section), kind);
        if section == Section::Delay
            && let Some(ms) = synced_delay_ms(written, doc.tempo_bpm)
        {
            read[0] = ms;
        }
        values.push((section, read));
    };
    add(Section::Input, &ch.values);
    add(Section::Output, &ch.values);
    if kind != ChannelKind::Master {
        add(Section::Meter, &ch.values);
    }
    // Every band is there, flat, whether the file lists it or not: any can be dialled in.
    for band in 0..4u8 {
        add(Section::Band(band), ch.eq.get(band as usize).unwrap_or(&no_values));
    }
    for (section, written) in ch.processor_sections() {
        if let Some(written) = written {
            add(section, written);
        }
    }
    for send in &ch.sends {
        if let Some(bus) = bus_index(&send.bus) {
            add(Section::Send(bus as u16), &send.values);
        }
    }
    let order = match &ch.order {
        Some(names) => names.iter().filter_map(|n| InsertKind::from_name(n)).collect(),
        None => InsertKind::ALL.to_vec(),
    };
    let inserts = order
        .into_iter()
        .filter(|insert| match insert {
            InsertKind::Delay => ch.delay.is_some(),
            InsertKind::Reverb => ch.reverb.is_some(),
            InsertKind::Hardware => ch.insert.is_some() && kind_has_insert(kind),
            _ => true,
        })
        .collect();
    ChannelSetup {
        name: ch.name.clone(),
        kind,
        output: ch.output.as_deref().and_then(bus_index),
        inserts,
        lookahead_ms: ch.limiter.as_ref().and_then(|l| l.number("lookahead_ms")).unwrap_or(DEFAULT_LOOKAHEAD_MS),
        loudness: ch.loudness,
        hardware_insert: ch.insert.as_ref().filter(|_| kind_has_insert(kind)).map(|i| i.latency_frames.unwrap_or(0)),
        values,
    }
}

/// Strips and buses can have a hardware insert; the master cannot (validation says so).
fn kind_has_insert(kind: ChannelKind) -> bool {
    kind != ChannelKind::Master
}

/// A section's values in its table's order: as written, or the default where a key is
/// missing or does not read.
fn read_section(written: &Values, defs: &[ParamDef], kind: ChannelKind) -> Vec<f32> {
    defs.iter()
        .map(|def| written.get(def.file_key).and_then(|s| decode(def, s).ok()).unwrap_or(default_value(kind, def)))
        .collect()
}

/// The delay time a tempo-synced delay's note value gives, if it names one.
pub fn synced_delay_ms(delay: &Values, tempo_bpm: f32) -> Option<f32> {
    match delay.get("sync") {
        Some(Scalar::Text(note)) => note_value_ms(note, tempo_bpm),
        _ => None,
    }
}

/// Why a written value is not a value of its parameter.
#[derive(Clone, Debug, PartialEq)]
pub enum BadValue {
    /// Not the kind of value the parameter takes; says what it takes.
    Kind(&'static str),
    /// A number outside the parameter's range.
    OutOfRange(f32),
    /// A choice the parameter does not offer.
    NotOffered(String),
}

/// Reads a written value as a value of `def`.
pub fn decode(def: &ParamDef, written: &Scalar) -> Result<f32, BadValue> {
    let in_range = |v: f32| if (def.min..=def.max).contains(&v) { Ok(v) } else { Err(BadValue::OutOfRange(v)) };
    match (def.unit, written) {
        (Unit::Toggle, Scalar::Bool(on)) => Ok(*on as u8 as f32),
        (Unit::Toggle, _) => Err(BadValue::Kind("true or false")),
        (Unit::Choice(names), Scalar::Text(_) | Scalar::Number(_)) => {
            let token = scalar_text(written);
            names
                .iter()
                .position(|name| choice_token(name).eq_ignore_ascii_case(&token))
                .map(|i| i as f32)
                .ok_or(BadValue::NotOffered(token))
        }
        (Unit::Choice(_), _) => Err(BadValue::Kind("one of the listed choices")),
        (_, Scalar::Text(t)) if def.is_level() && t.trim() == "-inf" => Ok(def.min),
        (_, Scalar::Number(v)) if def.is_level() && *v == f32::NEG_INFINITY => Ok(def.min),
        (_, Scalar::Number(v)) => in_range(*v),
        (Unit::Amount, _) => Err(BadValue::Kind("a number from 0 to 1")),
        _ => Err(BadValue::Kind(def.expected())),
    }
}

/// How a session file writes `value` of `def`: the inverse of `decode`.
pub fn encode(def: &ParamDef, value: f32) -> Scalar {
    match def.unit {
        Unit::Toggle => Scalar::Bool(value >= 0.5),
        Unit::Choice(names) => {
            let token = choice_token(names.get(value as usize).copied().unwrap_or(names[0]));
            token.parse().map(Scalar::Number).unwrap_or_else(|_| Scalar::Text(token.to_string()))
        }
        _ if def.is_level() && value <= def.min => Scalar::Text("-inf".to_string()),
        _ => Scalar::Number(value),
    }
}

/// A choice as a file writes it: the first word of its name (`24` for "24 dB/oct").
pub fn choice_token(name: &str) -> &str {
    name.split_whitespace().next().unwrap_or(name)
}

/// A written value as text, for messages and choices.
pub fn scalar_text(written: &Scalar) -> String {
    match written {
        Scalar::Number(v) => v.to_string(),
        Scalar::Bool(b) => b.to_string(),
        Scalar::Text(t) => t.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dsp::dynamics::COMPRESSOR_PARAMS;
    use crate::dsp::eq::HPF_PARAMS;
    use crate::dsp::param::find;
    use crate::engine::channel_params::OUTPUT_PARAMS;

    #[test]
    fn written_values_read_by_their_units_and_write_back_the_same() {
        let fader = find(&OUTPUT_PARAMS, "fader").unwrap();
        assert_eq!(decode(fader, &Scalar::Text("-inf".into())), Ok(-90.0));
        assert_eq!(decode(fader, &Scalar::Number(-6.0)), Ok(-6.0));
        assert_eq!(decode(fader, &Scalar::Number(14.0)), Err(BadValue::OutOfRange(14.0)));
        assert_eq!(decode(fader, &Scalar::Text("loud".into())), Err(BadValue::Kind("a level in dB or -inf")));
        assert_eq!(encode(fader, -90.0), Scalar::Text("-inf".into()));
        let slope = find(&HPF_PARAMS, "slope").unwrap();
        assert_eq!(decode(slope, &Scalar::Number(24.0)), Ok(1.0));
        assert_eq!(decode(slope, &Scalar::Number(18.0)), Err(BadValue::NotOffered("18".into())));
        assert_eq!(encode(slope, 1.0), Scalar::Number(24.0));
        let detector = find(&COMPRESSOR_PARAMS, "detector").unwrap();
        assert_eq!(decode(detector, &Scalar::Text("RMS".into())), Ok(1.0));
        assert_eq!(encode(detector, 1.0), Scalar::Text("rms".into()));
        let bypass = find(&COMPRESSOR_PARAMS, "bypass").unwrap();
        assert_eq!(decode(bypass, &Scalar::Bool(true)), Ok(1.0));
        assert_eq!(decode(bypass, &Scalar::Number(1.0)), Err(BadValue::Kind("true or false")));
    }
}
