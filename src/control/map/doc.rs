//! What a controller map file says, as read: the document types, apart from compiling
//! them into a map (`map.rs`), so the protocol modules can speak of them without a circle.

use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Protocol {
    /// Controls send plain MIDI messages, listed in the map.
    #[default]
    Generic,
    /// Mackie Control: the protocol fixes the messages; the map names the device.
    Mackie,
}

/// A number, or one per strip (`[0, 1, 2]`: strips 1, 2 and 3).
#[derive(Clone, Debug, Deserialize, PartialEq, Serialize)]
#[serde(untagged)]
pub enum Numbers {
    One(u16),
    PerStrip(Vec<u16>),
}

impl Numbers {
    pub(super) fn list(&self) -> Vec<u16> {
        match self {
            Numbers::One(n) => vec![*n],
            Numbers::PerStrip(v) => v.clone(),
        }
    }
}

/// How a knob or fader reports a move.
#[derive(Clone, Copy, Debug, Default, Deserialize, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Encoding {
    /// Its position (0..127, or the 14-bit range).
    #[default]
    Absolute,
    /// Relative ticks: +n as n, -n as 128-n (0x7F is -1).
    TwosComplement,
    /// Relative ticks around 64: +n as 64+n, -n as 64-n.
    Offset64,
    /// Relative ticks, bit 6 set for negative: -n as 0x40+n (Mackie V-Pots).
    SignBitNeg,
    /// Relative ticks, bit 6 set for positive: +n as 0x40+n (HUI, X-Touch One).
    SignBitPos,
}

/// How a button reports.
#[derive(Clone, Copy, Debug, Default, Deserialize, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ButtonMode {
    /// A press (value ≥ 64) and a release: a press flips a switch or fires an action.
    #[default]
    Momentary,
    /// The device keeps the state itself (press on, press again off): the value is the state.
    Latching,
}

/// How a fader's travel maps to the parameter.
#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Curve {
    /// The parameter's own taper (a fader's: 0 dB three quarters up); the default for faders.
    Taper,
    /// Straight across the parameter's range.
    Linear,
}

#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Takeover {
    /// The value follows the control at once.
    Jump,
    /// The control takes over once it reaches the value (no jumps on unmotorised controls).
    Pickup,
}

#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct MapDoc {
    /// The device's name, as shown in the console.
    pub device: String,
    /// Part of the MIDI port names to connect to, any case.
    #[serde(rename = "match")]
    pub port_match: String,
    #[serde(default)]
    pub protocol: Protocol,
    /// Motor faders: the surface is moved to the values, and takeover is not needed
    /// (default: yes for Mackie Control, no otherwise).
    pub motorized: Option<bool>,
    /// Strips a bank of this surface shows; by default the highest strip number its controls use.
    pub strips: Option<u16>,
    /// MIDI channel (1-16) of controls that do not give one.
    #[serde(default = "first_channel")]
    pub channel: u8,
    /// Messages sent when the device connects, as hex bytes (`"B0 7F 01"`, `"F0 00 20 32 ... F7"`).
    #[serde(default)]
    pub init: Vec<String>,
    /// What the map assumes and could not be checked against the device or a primary source.
    #[serde(default)]
    pub unverified: Vec<String>,
    /// For `protocol: mackie`: what the unit has (default: a main unit with everything).
    pub mackie: Option<MackieDoc>,
    /// A PreSonus FaderPort 8/16 in native mode: its scribble strips and meters.
    pub presonus: Option<PresonusDoc>,
    /// Generic: every control. Mackie: controls added to the protocol's, or replacing
    /// the protocol's control on the same message (units that renumber buttons).
    #[serde(default)]
    pub controls: Vec<ControlDoc>,
}

fn is_default<T: Default + PartialEq>(value: &T) -> bool {
    *value == T::default()
}

fn first_channel() -> u8 {
    1
}

#[derive(Clone, Debug, Default, Deserialize, PartialEq, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ControlDoc {
    /// A target from `headroom targets`; `strip.N.…` with a list of numbers binds strips 1, 2, ...
    pub target: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub channel: Option<u8>,
    /// 7-bit control change number(s).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cc: Option<Numbers>,
    /// 14-bit control change: the MSB number(s) 0-31; the LSB is 32 above.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cc14: Option<Numbers>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<Numbers>,
    /// Pitch bend, on these MIDI channel(s) 1-16.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pitchbend: Option<Numbers>,
    /// NRPN parameter number(s) 0-16383 (CC 99/98 select, CC 6/38 data).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub nrpn: Option<Numbers>,
    #[serde(default, skip_serializing_if = "is_default")]
    pub encoding: Encoding,
    #[serde(default, skip_serializing_if = "is_default")]
    pub button: ButtonMode,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub curve: Option<Curve>,
    /// The raw values the control really reaches, low and high (a fader that tops out at 16256).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub range: Option<[u16; 2]>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub takeover: Option<Takeover>,
    /// Whether the control's LED, ring or motor is sent the value (default: buttons, and everything on motorised devices).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub feedback: Option<bool>,
    /// Values that turn its LED off and on.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub led: Option<[u8; 2]>,
    /// A knob's LED ring, lit by these CC number(s) (one a strip, like the knob's own numbers)
    /// rather than the knob's own message.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ring: Option<Numbers>,
    /// The ring's values for the parameter's lowest and highest (default 0 and 127).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ring_range: Option<[u8; 2]>,
    /// A button whose LED is lit by other note number(s) than the button sends (one a strip).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub led_note: Option<Numbers>,
}

/// What a control sends.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Message {
    Cc(u8),
    /// MSB controller number; the LSB is 32 above.
    Cc14(u8),
    Note(u8),
    PitchBend,
    Nrpn(u16),
}

impl Message {
    /// The largest raw value the message can carry.
    pub fn full_scale(self) -> u16 {
        match self {
            Message::Cc(_) | Message::Note(_) => 127,
            Message::Cc14(_) | Message::PitchBend | Message::Nrpn(_) => 16383,
        }
    }
}

/// What a Mackie Control unit has; the protocol is the same on all of them.
#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields, default)]
pub struct MackieDoc {
    /// An extender (MCU XT): strips only, no master fader, no global buttons; SysEx model 0x15.
    pub extender: bool,
    /// A master fader (pitch bend on channel 9).
    pub master_fader: bool,
    /// Touch-sensitive faders (notes 0x68-0x70).
    pub touch: bool,
    /// The 2×56 character LCD over the strips.
    pub display: bool,
    /// Strip meters (channel pressure).
    pub meters: bool,
    /// The 10-digit timecode display.
    pub timecode: bool,
}

impl Default for MackieDoc {
    fn default() -> Self {
        MackieDoc { extender: false, master_fader: true, touch: true, display: true, meters: true, timecode: true }
    }
}

impl MackieDoc {
    /// The SysEx model byte this unit's messages carry.
    pub fn model(&self) -> u8 {
        if self.extender { MODEL_EXTENDER } else { MODEL_MAIN }
    }
}

pub const MODEL_MAIN: u8 = 0x14;
pub const MODEL_EXTENDER: u8 = 0x15;

#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Model {
    Fp8,
    Fp16,
}

/// A map's `presonus:` section: which unit, and what of its displays headroom drives.
#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq, Serialize)]
#[serde(deny_unknown_fields)]
pub struct PresonusDoc {
    pub model: Model,
    /// Strip names and fader values on the scribble strips.
    #[serde(default = "yes")]
    pub display: bool,
    /// Peak meters beside the scribble strips.
    #[serde(default = "yes")]
    pub meters: bool,
}

fn yes() -> bool {
    true
}
