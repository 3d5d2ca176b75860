//! The session/layout file format (YAML, version 1).
//!
//! A layout in `layouts/` and a session's `session.yaml` share this schema:
//! a session is a layout whose values are the current mix. Every struct
//! rejects unknown keys; values are checked in `validate`.

use serde::{Deserialize, Serialize};

pub const FORMAT_VERSION: u32 = 1;
/// The name channels route to when they name no bus.
pub const MASTER: &str = "master";

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
}

impl SessionDoc {
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
#[derive(Clone, Debug, Default, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ChannelDoc {
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub name: String,
    /// Buses: `group` (strips route into it) or `fx` (fed by sends; solo-safe by default).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<BusKind>,
    /// Strips: mono or stereo processing. Buses and the master are stereo.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub channels: Option<Channels>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub input: Option<InputDoc>,
    #[serde(default, skip_serializing_if = "is_zero")]
    pub trim_db: f32,
    #[serde(default, skip_serializing_if = "is_false")]
    pub polarity_invert: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hpf: Option<HpfDoc>,
    /// Up to four bands: low shelf, bell, bell, high shelf.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub eq: Vec<BandDoc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gate: Option<GateDoc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comp: Option<CompDoc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delay: Option<DelayDoc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reverb: Option<ReverbDoc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limiter: Option<LimiterDoc>,
    /// Order of the inserts after the high-pass; defaults to gate, eq, comp, delay, reverb.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub order: Option<Vec<InsertKind>>,
    #[serde(default, skip_serializing_if = "Db::is_unity")]
    pub fader_db: Db,
    /// Pan (mono strips) or balance (stereo), -1 left .. +1 right.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub pan: f32,
    #[serde(default, skip_serializing_if = "is_false")]
    pub mute: bool,
    #[serde(default, skip_serializing_if = "is_false")]
    pub solo: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub solo_safe: Option<bool>,
    /// Bus this channel feeds; `master` when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub output: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sends: Vec<SendDoc>,
    /// JACK ports this channel's output is also connected to (the master's go to the speakers).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ports: Vec<String>,
    /// Buses: measure R128 loudness and true peak here too (the master always is).
    #[serde(default, skip_serializing_if = "is_false")]
    pub loudness: bool,
}

fn is_zero(x: &f32) -> bool {
    *x == 0.0
}

fn is_false(b: &bool) -> bool {
    !*b
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

#[derive(Clone, Copy, Debug, Deserialize, Serialize, PartialEq, Eq, Hash)]
#[serde(rename_all = "lowercase")]
pub enum InsertKind {
    Gate,
    Eq,
    Comp,
    Delay,
    Reverb,
}

pub const DEFAULT_ORDER: [InsertKind; 5] =
    [InsertKind::Gate, InsertKind::Eq, InsertKind::Comp, InsertKind::Delay, InsertKind::Reverb];

/// A level in dB that may be `-inf` (silence), written as a number or the string "-inf".
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Db(pub f32);

impl Default for Db {
    fn default() -> Self {
        Db(0.0)
    }
}

impl Db {
    fn is_unity(&self) -> bool {
        self.0 == 0.0
    }
}

impl Serialize for Db {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        if self.0 == f32::NEG_INFINITY { s.serialize_str("-inf") } else { s.serialize_f32(self.0) }
    }
}

impl<'de> Deserialize<'de> for Db {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        // A visitor (not an untagged enum) keeps serde_yaml's position on the offending scalar.
        struct DbVisitor;
        impl serde::de::Visitor<'_> for DbVisitor {
            type Value = Db;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a level in dB or \"-inf\"")
            }
            fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<Db, E> {
                Ok(Db(v as f32))
            }
            fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<Db, E> {
                Ok(Db(v as f32))
            }
            fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<Db, E> {
                Ok(Db(v as f32))
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Db, E> {
                match v.trim() {
                    "-inf" => Ok(Db(f32::NEG_INFINITY)),
                    _ => Err(E::invalid_value(serde::de::Unexpected::Str(v), &self)),
                }
            }
        }
        d.deserialize_any(DbVisitor)
    }
}

#[derive(Clone, Copy, Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct HpfDoc {
    pub freq_hz: f32,
    /// 12 (Butterworth, -3 dB at freq) or 24 (Linkwitz-Riley, -6 dB at freq) dB/oct.
    pub slope: u32,
    pub enabled: bool,
}

impl Default for HpfDoc {
    fn default() -> Self {
        Self { freq_hz: 80.0, slope: 12, enabled: true }
    }
}

/// One EQ band; unset values take the band's defaults (see `BAND_DEFAULTS`).
#[derive(Clone, Copy, Debug, Default, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct BandDoc {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub freq_hz: Option<f32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gain_db: Option<f32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub q: Option<f32>,
    #[serde(default, skip_serializing_if = "is_false")]
    pub bypass: bool,
}

/// Default (freq_hz, q) of the four bands: low shelf, low-mid bell, high-mid bell, high shelf.
pub const BAND_DEFAULTS: [(f32, f32); 4] = [(100.0, 0.707), (400.0, 1.0), (2_500.0, 1.0), (8_000.0, 0.707)];

#[derive(Clone, Copy, Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct CompDoc {
    pub threshold_db: f32,
    pub ratio: f32,
    pub knee_db: f32,
    pub attack_ms: f32,
    pub release_ms: f32,
    pub makeup_db: f32,
    pub detector: DetectorDoc,
    pub bypass: bool,
}

impl Default for CompDoc {
    fn default() -> Self {
        Self {
            threshold_db: -18.0,
            ratio: 3.0,
            knee_db: 6.0,
            attack_ms: 10.0,
            release_ms: 120.0,
            makeup_db: 0.0,
            detector: DetectorDoc::Peak,
            bypass: false,
        }
    }
}

#[derive(Clone, Copy, Debug, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum DetectorDoc {
    Peak,
    Rms,
}

#[derive(Clone, Copy, Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct GateDoc {
    pub threshold_db: f32,
    pub range_db: f32,
    pub ratio: f32,
    pub attack_ms: f32,
    pub hold_ms: f32,
    pub release_ms: f32,
    pub bypass: bool,
}

impl Default for GateDoc {
    fn default() -> Self {
        Self {
            threshold_db: -50.0,
            range_db: -60.0,
            ratio: 10.0,
            attack_ms: 1.0,
            hold_ms: 20.0,
            release_ms: 150.0,
            bypass: false,
        }
    }
}

#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct DelayDoc {
    /// Delay time in ms; ignored when `sync` is set.
    pub time_ms: f32,
    /// Tempo-synced note value: "1/4", "1/8", "1/8." (dotted), "1/8t" (triplet), "1/16"...
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sync: Option<String>,
    pub feedback: f32,
    pub damping_hz: f32,
    pub mix: f32,
}

impl Default for DelayDoc {
    fn default() -> Self {
        Self { time_ms: 375.0, sync: None, feedback: 0.35, damping_hz: 6_000.0, mix: 1.0 }
    }
}

#[derive(Clone, Copy, Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct ReverbDoc {
    pub size: f32,
    pub damping: f32,
    pub width: f32,
    pub mix: f32,
}

impl Default for ReverbDoc {
    fn default() -> Self {
        Self { size: 0.75, damping: 0.5, width: 1.0, mix: 1.0 }
    }
}

#[derive(Clone, Copy, Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct LimiterDoc {
    pub ceiling_db: f32,
    pub release_ms: f32,
    pub lookahead_ms: f32,
    pub bypass: bool,
}

impl Default for LimiterDoc {
    fn default() -> Self {
        Self { ceiling_db: -1.0, release_ms: 60.0, lookahead_ms: 1.5, bypass: false }
    }
}

#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct SendDoc {
    pub bus: String,
    #[serde(default)]
    pub level_db: Db,
    /// Pre-fader: taken after the inserts, before fader and pan (still follows mute and solo).
    #[serde(default, skip_serializing_if = "is_false")]
    pub pre: bool,
    #[serde(default, skip_serializing_if = "is_false")]
    pub mute: bool,
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
