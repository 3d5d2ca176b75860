//! The session/layout file format (YAML, version 1).
//!
//! A layout in `layouts/` and a session's `session.yaml` share this schema:
//! a session is a layout whose values are the current mix. Every struct
//! rejects unknown keys; values are checked in `validate`.

use std::sync::OnceLock;

use serde::{Deserialize, Serialize};

pub use crate::engine::MASTER;
use crate::engine::channel_params::{INPUT_PARAMS, METER_PARAMS, OUTPUT_PARAMS, SEND_PARAMS};
use crate::engine::params::Section;

pub const FORMAT_VERSION: u32 = 1;
/// Tempo range for tempo-synced delays, in beats per minute.
pub const TEMPO_BPM: (f32, f32) = (20.0, 400.0);

#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct SessionDoc {
    pub version: u32,
    pub name: String,
    /// Tempo for tempo-synced delays, in beats per minute.
    #[serde(default = "default_tempo")]
    pub tempo_bpm: f32,
    #[serde(default)]
    pub strips: Vec<ChannelDoc>,
    #[serde(default)]
    pub buses: Vec<ChannelDoc>,
    #[serde(default)]
    pub master: ChannelDoc,
    /// The master's peak target and when the meters start again.
    #[serde(default, skip_serializing_if = "MetersDoc::is_default")]
    pub meters: MetersDoc,
}

/// `meters: {peak_target_db: [-10, -6], reset_on_roll_from_start: true}`.
#[derive(Clone, Copy, Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct MetersDoc {
    /// Where the mix's peaks should sit, low then high, in dBFS: room left for mastering.
    pub peak_target_db: [f32; 2],
    /// Peaks, clip counts, integrated loudness, range and true peak start again whenever the
    /// transport rolls from the very start (a whole play-through is measured, not the
    /// passes before it).
    pub reset_on_roll_from_start: bool,
}

/// Where a target's levels may lie, in dBFS.
pub const PEAK_TARGET_RANGE_DB: (f32, f32) = (-60.0, 0.0);

impl Default for MetersDoc {
    fn default() -> Self {
        Self { peak_target_db: [-10.0, -6.0], reset_on_roll_from_start: false }
    }
}

impl MetersDoc {
    fn is_default(&self) -> bool {
        *self == Self::default()
    }
}

impl SessionDoc {
    /// The buses named (`all` for every one), in layout order, each once; a name the session
    /// lacks is refused with the names it has.
    pub fn buses_named(&self, names: &[String]) -> Result<Vec<usize>, String> {
        if names.iter().any(|n| n.eq_ignore_ascii_case("all")) {
            return Ok((0..self.buses.len()).collect());
        }
        let mut chosen = Vec::new();
        for name in names {
            let Some(b) = self.buses.iter().position(|b| b.name == *name) else {
                let buses: Vec<&str> = self.buses.iter().map(|b| b.name.as_str()).collect();
                let known = if buses.is_empty() { "it has none".to_string() } else { buses.join(", ") };
                return Err(format!("no bus \"{name}\"; the session's buses: {known} (or all)"));
            };
            chosen.push(b);
        }
        chosen.sort_unstable();
        chosen.dedup();
        Ok(chosen)
    }

    /// For each bus, the buses it feeds through its output and its sends (unknown names skipped).
    pub fn bus_feeds(&self) -> Vec<Vec<usize>> {
        let index_of = |name: &str| self.buses.iter().position(|b| b.name == name);
        self.buses
            .iter()
            .map(|b| {
                let mut targets: Vec<usize> = b.sends.iter().filter_map(|s| index_of(&s.bus)).collect();
                targets.extend(b.output.as_deref().and_then(index_of));
                targets
            })
            .collect()
    }

    /// The buses in an order where each comes after every bus that feeds it (ties in layout
    /// order), or, when they feed each other in a loop, the buses caught in it.
    pub fn bus_order(&self) -> Result<Vec<usize>, Vec<usize>> {
        let feeds = self.bus_feeds();
        let mut incoming = vec![0usize; self.buses.len()];
        for &t in feeds.iter().flatten() {
            incoming[t] += 1;
        }
        let mut ready: Vec<usize> = (0..self.buses.len()).filter(|&b| incoming[b] == 0).rev().collect();
        let mut order = Vec::with_capacity(self.buses.len());
        while let Some(b) = ready.pop() {
            order.push(b);
            for &t in &feeds[b] {
                incoming[t] -= 1;
                if incoming[t] == 0 {
                    ready.push(t);
                }
            }
        }
        if order.len() < self.buses.len() {
            return Err((0..self.buses.len()).filter(|b| !order.contains(b)).collect());
        }
        Ok(order)
    }
}

fn default_tempo() -> f32 {
    120.0
}

/// A strip, a bus or the master. Some keys belong to one kind only (`input` to
/// strips, `kind` to buses, `limiter` and `ports` to the master); validation says so.
/// Parameter values (`fader_db`, `comp: {ratio: 3}`) are kept as written, by the keys of
/// their sections' tables; `resolve` reads them and validation checks them.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ChannelDoc {
    pub name: String,
    /// Buses: `group` (strips route into it) or `fx` (fed by sends; solo-safe by default).
    pub kind: Option<BusKind>,
    /// Strips: mono or stereo processing. Buses and the master are stereo.
    pub channels: Option<Channels>,
    pub input: Option<InputDoc>,
    /// The channel's own parameters: trim, polarity, fader, pan, mute, solo, solo-safe.
    pub values: Values,
    pub hpf: Option<Values>,
    /// Up to four bands: low shelf, bell, bell, high shelf.
    pub eq: Vec<Values>,
    pub gate: Option<Values>,
    pub comp: Option<Values>,
    /// A tempo-synced delay names a note value in `sync` ("1/8.") instead of `time_ms`.
    pub delay: Option<Values>,
    pub reverb: Option<Values>,
    /// The master's; `lookahead_ms` sets its latency when the session opens.
    pub limiter: Option<Values>,
    /// Strips and buses: a hardware insert (outboard gear through JACK ports).
    pub insert: Option<InsertDoc>,
    /// Order of the inserts after the high-pass by name; defaults to gate, eq, comp, delay,
    /// reverb, insert.
    pub order: Option<Vec<String>>,
    /// Bus this channel feeds; `master` when absent.
    pub output: Option<String>,
    pub sends: Vec<SendDoc>,
    /// JACK ports this channel's output is also connected to (the master's go to the speakers).
    pub ports: Vec<String>,
    /// Buses: measure R128 loudness and true peak here too (the master always is).
    pub loudness: bool,
}

impl ChannelDoc {
    /// The processor sections the file may have, with what it has of each.
    pub fn processor_sections(&self) -> [(Section, &Option<Values>); 6] {
        [
            (Section::Hpf, &self.hpf),
            (Section::Gate, &self.gate),
            (Section::Comp, &self.comp),
            (Section::Delay, &self.delay),
            (Section::Reverb, &self.reverb),
            (Section::Limiter, &self.limiter),
        ]
    }

    /// The section of the file holding the values of `section`, if it has one.
    pub fn section(&self, section: Section, bus_names: &[&str]) -> Option<&Values> {
        match section {
            Section::Input | Section::Output | Section::Meter => Some(&self.values),
            Section::Hpf => self.hpf.as_ref(),
            Section::Band(b) => self.eq.get(b as usize),
            Section::Gate => self.gate.as_ref(),
            Section::Comp => self.comp.as_ref(),
            Section::Delay => self.delay.as_ref(),
            Section::Reverb => self.reverb.as_ref(),
            Section::Limiter => self.limiter.as_ref(),
            Section::Send(bus) => {
                let name = bus_names.get(bus as usize)?;
                self.sends.iter().find(|s| s.bus == *name).map(|s| &s.values)
            }
        }
    }

    /// The section of the file for `section`, made (empty) if the file lacks it.
    pub fn section_mut(&mut self, section: Section, bus_names: &[&str]) -> &mut Values {
        let slot = match section {
            Section::Input | Section::Output | Section::Meter => return &mut self.values,
            Section::Band(b) => {
                if self.eq.len() <= b as usize {
                    self.eq.resize(b as usize + 1, Values::default());
                }
                return &mut self.eq[b as usize];
            }
            Section::Send(bus) => {
                let name = bus_names[bus as usize];
                let at = match self.sends.iter().position(|s| s.bus == name) {
                    Some(at) => at,
                    None => {
                        self.sends.push(SendDoc { bus: name.to_string(), values: Values::default() });
                        self.sends.len() - 1
                    }
                };
                return &mut self.sends[at].values;
            }
            Section::Hpf => &mut self.hpf,
            Section::Gate => &mut self.gate,
            Section::Comp => &mut self.comp,
            Section::Delay => &mut self.delay,
            Section::Reverb => &mut self.reverb,
            Section::Limiter => &mut self.limiter,
        };
        slot.get_or_insert_with(Values::default)
    }
}

/// The keys of a channel that are not parameter values, in the order they are written.
const CHANNEL_KEYS: [&str; 17] = [
    "name", "kind", "channels", "input", "hpf", "eq", "gate", "comp", "delay", "reverb", "limiter", "insert", "order",
    "output", "sends", "ports", "loudness",
];

/// Every key a channel can have, for the message about one it cannot.
fn channel_fields() -> &'static [&'static str] {
    static FIELDS: OnceLock<Vec<&'static str>> = OnceLock::new();
    FIELDS.get_or_init(|| {
        let params = INPUT_PARAMS.iter().chain(&OUTPUT_PARAMS).chain(&METER_PARAMS).map(|p| p.file_key);
        CHANNEL_KEYS[..4].iter().copied().chain(params).chain(CHANNEL_KEYS[4..].iter().copied()).collect()
    })
}

/// Every key a send can have.
fn send_fields() -> &'static [&'static str] {
    static FIELDS: OnceLock<Vec<&'static str>> = OnceLock::new();
    FIELDS.get_or_init(|| std::iter::once("bus").chain(SEND_PARAMS.iter().map(|p| p.file_key)).collect())
}

/// A key of a map with a fixed set of keys.
struct Key(String);

/// Reads a `Key` among `fields`, refusing any other while the parser still stands on it
/// (so the message points at the key, not at the map).
struct KeyOf(&'static [&'static str]);

impl<'de> serde::de::DeserializeSeed<'de> for KeyOf {
    type Value = Key;
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<Key, D::Error> {
        d.deserialize_identifier(self)
    }
}

impl serde::de::Visitor<'_> for KeyOf {
    type Value = Key;
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a key")
    }
    fn visit_str<E: serde::de::Error>(self, key: &str) -> Result<Key, E> {
        if self.0.contains(&key) { Ok(Key(key.to_string())) } else { Err(E::unknown_field(key, self.0)) }
    }
}

impl<'de> Deserialize<'de> for ChannelDoc {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct ChannelVisitor;
        impl<'de> serde::de::Visitor<'de> for ChannelVisitor {
            type Value = ChannelDoc;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a strip, bus or master")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<ChannelDoc, A::Error> {
                let mut ch = ChannelDoc::default();
                while let Some(Key(key)) = map.next_key_seed(KeyOf(channel_fields()))? {
                    match key.as_str() {
                        "name" => ch.name = map.next_value()?,
                        "kind" => ch.kind = map.next_value()?,
                        "channels" => ch.channels = map.next_value()?,
                        "input" => ch.input = map.next_value()?,
                        "hpf" => ch.hpf = map.next_value()?,
                        "eq" => ch.eq = map.next_value()?,
                        "gate" => ch.gate = map.next_value()?,
                        "comp" => ch.comp = map.next_value()?,
                        "delay" => ch.delay = map.next_value()?,
                        "reverb" => ch.reverb = map.next_value()?,
                        "limiter" => ch.limiter = map.next_value()?,
                        "insert" => ch.insert = map.next_value()?,
                        "order" => ch.order = map.next_value()?,
                        "output" => ch.output = map.next_value()?,
                        "sends" => ch.sends = map.next_value()?,
                        "ports" => ch.ports = map.next_value()?,
                        "loudness" => ch.loudness = map.next_value()?,
                        _ => {
                            let value = map.next_value()?;
                            ch.values.set(&key, value);
                        }
                    }
                }
                Ok(ch)
            }
        }
        d.deserialize_map(ChannelVisitor)
    }
}

impl Serialize for ChannelDoc {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut map = s.serialize_map(None)?;
        if !self.name.is_empty() {
            map.serialize_entry("name", &self.name)?;
        }
        if let Some(kind) = &self.kind {
            map.serialize_entry("kind", kind)?;
        }
        if let Some(channels) = &self.channels {
            map.serialize_entry("channels", channels)?;
        }
        if let Some(input) = &self.input {
            map.serialize_entry("input", input)?;
        }
        for (key, value) in &self.values.0 {
            map.serialize_entry(key, value)?;
        }
        if let Some(hpf) = &self.hpf {
            map.serialize_entry("hpf", hpf)?;
        }
        if !self.eq.is_empty() {
            map.serialize_entry("eq", &self.eq)?;
        }
        let inserts = [
            ("gate", &self.gate),
            ("comp", &self.comp),
            ("delay", &self.delay),
            ("reverb", &self.reverb),
            ("limiter", &self.limiter),
        ];
        for (key, section) in inserts {
            if let Some(values) = section {
                map.serialize_entry(key, values)?;
            }
        }
        if let Some(insert) = &self.insert {
            map.serialize_entry("insert", insert)?;
        }
        if let Some(order) = &self.order {
            map.serialize_entry("order", order)?;
        }
        if let Some(output) = &self.output {
            map.serialize_entry("output", output)?;
        }
        if !self.sends.is_empty() {
            map.serialize_entry("sends", &self.sends)?;
        }
        if !self.ports.is_empty() {
            map.serialize_entry("ports", &self.ports)?;
        }
        if self.loudness {
            map.serialize_entry("loudness", &true)?;
        }
        map.end()
    }
}

#[derive(Clone, Copy, Debug, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum BusKind {
    Group,
    Fx,
}

#[derive(Clone, Copy, Debug, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum Channels {
    Mono,
    Stereo,
}

impl Channels {
    pub fn count(self) -> usize {
        match self {
            Channels::Mono => 1,
            Channels::Stereo => 2,
        }
    }
}

/// A hardware insert: `insert: {send: [ports], return: [ports]}`, one port each way a
/// channel of the strip or bus. `latency_frames` is its round trip as last measured (a ping).
#[derive(Clone, Debug, Default, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct InsertDoc {
    pub send: Vec<String>,
    #[serde(rename = "return")]
    pub back: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub latency_frames: Option<u32>,
}

/// Where a strip's audio comes from: exactly one of `ports` or `file`.
#[derive(Clone, Debug, Default, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct InputDoc {
    /// JACK ports to connect the strip's input ports to (one a channel).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ports: Option<Vec<String>>,
    /// A WAV file, relative to the session/layout file. `@demo/NAME.wav` names a bundled demo stem.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
}

/// One value as a session file writes it: a number, a switch, or a word (`-inf`, `rms`, `1/8.`).
#[derive(Clone, Debug, PartialEq)]
pub enum Scalar {
    Number(f32),
    Bool(bool),
    Text(String),
}

impl Serialize for Scalar {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Scalar::Number(v) => s.serialize_f32(*v),
            Scalar::Bool(b) => s.serialize_bool(*b),
            Scalar::Text(t) => s.serialize_str(t),
        }
    }
}

impl<'de> Deserialize<'de> for Scalar {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        // A visitor (not an untagged enum) keeps serde_yaml's position on the offending value.
        struct ScalarVisitor;
        impl serde::de::Visitor<'_> for ScalarVisitor {
            type Value = Scalar;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a number, true/false or a word")
            }
            fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<Scalar, E> {
                Ok(Scalar::Number(v as f32))
            }
            fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<Scalar, E> {
                Ok(Scalar::Number(v as f32))
            }
            fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<Scalar, E> {
                Ok(Scalar::Number(v as f32))
            }
            fn visit_bool<E: serde::de::Error>(self, v: bool) -> Result<Scalar, E> {
                Ok(Scalar::Bool(v))
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Scalar, E> {
                Ok(Scalar::Text(v.to_string()))
            }
        }
        d.deserialize_any(ScalarVisitor)
    }
}

/// The values of one section by file key, in the order they are written.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Values(pub Vec<(String, Scalar)>);

impl Values {
    pub fn get(&self, key: &str) -> Option<&Scalar> {
        self.0.iter().find(|(k, _)| k == key).map(|(_, v)| v)
    }

    /// Replaces the value of `key` where it stands, or adds it at the end.
    pub fn set(&mut self, key: &str, value: Scalar) {
        match self.0.iter_mut().find(|(k, _)| k == key) {
            Some((_, v)) => *v = value,
            None => self.0.push((key.to_string(), value)),
        }
    }

    pub fn remove(&mut self, key: &str) {
        self.0.retain(|(k, _)| k != key);
    }

    /// The number written under `key`, if it is one.
    pub fn number(&self, key: &str) -> Option<f32> {
        match self.get(key) {
            Some(Scalar::Number(v)) => Some(*v),
            _ => None,
        }
    }
}

impl<const N: usize> From<[(&str, Scalar); N]> for Values {
    fn from(entries: [(&str, Scalar); N]) -> Self {
        Values(entries.into_iter().map(|(k, v)| (k.to_string(), v)).collect())
    }
}

impl Serialize for Values {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut map = s.serialize_map(Some(self.0.len()))?;
        for (key, value) in &self.0 {
            map.serialize_entry(key, value)?;
        }
        map.end()
    }
}

impl<'de> Deserialize<'de> for Values {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct ValuesVisitor;
        impl<'de> serde::de::Visitor<'de> for ValuesVisitor {
            type Value = Values;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a map of settings (`{ratio: 3, attack_ms: 10}`)")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Values, A::Error> {
                let mut values = Values::default();
                while let Some(key) = map.next_key::<String>()? {
                    let value = map.next_value()?;
                    values.set(&key, value);
                }
                Ok(values)
            }
        }
        d.deserialize_map(ValuesVisitor)
    }
}

/// A send to one bus: the bus, and the send's values (`level_db`, `pre`, `mute`).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SendDoc {
    pub bus: String,
    pub values: Values,
}

impl<'de> Deserialize<'de> for SendDoc {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct SendVisitor;
        impl<'de> serde::de::Visitor<'de> for SendVisitor {
            type Value = SendDoc;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a send (`{bus: Reverb, level_db: -12}`)")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<SendDoc, A::Error> {
                let mut bus = None;
                let mut values = Values::default();
                while let Some(Key(key)) = map.next_key_seed(KeyOf(send_fields()))? {
                    if key == "bus" {
                        bus = Some(map.next_value()?);
                    } else {
                        let value = map.next_value()?;
                        values.set(&key, value);
                    }
                }
                let bus = bus.ok_or_else(|| serde::de::Error::missing_field("bus"))?;
                Ok(SendDoc { bus, values })
            }
        }
        d.deserialize_map(SendVisitor)
    }
}

impl Serialize for SendDoc {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut map = s.serialize_map(Some(1 + self.values.0.len()))?;
        map.serialize_entry("bus", &self.bus)?;
        for (key, value) in &self.values.0 {
            map.serialize_entry(key, value)?;
        }
        map.end()
    }
}

/// Converts a tempo-synced note value ("1/8", "1/8.", "1/8t") to milliseconds.
pub fn note_value_ms(note: &str, tempo_bpm: f32) -> Option<f32> {
    let (body, factor) = match note.trim() {
        n if n.ends_with('.') => (&n[..n.len() - 1], 1.5),
        n if n.ends_with('t') => (&n[..n.len() - 1], 2.0 / 3.0),
        n => (n, 1.0),
    };
    let (num, den) = body.split_once('/')?;
    let (num, den): (f32, f32) = (num.trim().parse().ok()?, den.trim().parse().ok()?);
    if num <= 0.0 || den <= 0.0 || tempo_bpm <= 0.0 {
        return None;
    }
    let whole_note_ms = 4.0 * 60_000.0 / tempo_bpm;
    Some(whole_note_ms * num / den * factor)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn note_values_at_120_bpm() {
        assert_eq!(note_value_ms("1/4", 120.0), Some(500.0));
        assert_eq!(note_value_ms("1/8.", 120.0), Some(375.0));
        assert!((note_value_ms("1/8t", 120.0).unwrap() - 166.666).abs() < 0.01);
        assert_eq!(note_value_ms("quarter", 120.0), None);
    }
}
