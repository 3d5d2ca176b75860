//! A generic controller's messages, read through its map: which control moved and
//! how (a position, relative ticks, a press). Pairs the halves of 14-bit control
//! changes and NRPNs; decodes the four relative encodings.

use std::collections::HashMap;

use super::map::{ButtonMode, Control, Encoding, Message};
use super::midi::MidiMessage;
use super::targets::is_button;

/// What one control did.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Input {
    /// Where an absolute control sits, 0 (bottom, left) to 1 (top, right) over its range.
    Position(f32),
    /// Relative ticks, positive clockwise.
    Steps(i32),
    /// A button: pressed (or, latching, on) or released (off).
    Press(bool),
}

/// A message as a map's lookup key: (channel, message).
type Key = (u8, Message);

#[derive(Default)]
pub struct GenericDecoder {
    controls: Vec<Control>,
    by_key: HashMap<Key, Vec<usize>>,
    /// Per channel and 14-bit controller: an MSB still waiting for its LSB.
    pending_msb: HashMap<(u8, u8), u8>,
    /// Per channel: the NRPN selected (CC 99/98) and a data MSB waiting for its LSB.
    nrpn: HashMap<u8, Nrpn>,
}

#[derive(Clone, Copy, Default)]
struct Nrpn {
    param: u16,
    data_msb: Option<u8>,
}

impl GenericDecoder {
    pub fn new(controls: &[Control]) -> GenericDecoder {
        let mut by_key: HashMap<Key, Vec<usize>> = HashMap::new();
        for (i, c) in controls.iter().enumerate() {
            by_key.entry((c.channel, c.message)).or_default().push(i);
        }
        GenericDecoder { controls: controls.to_vec(), by_key, ..Default::default() }
    }

    /// Reads one message; `emit` gets (control index, input) for each control it moves.
    pub fn feed(&mut self, message: MidiMessage<'_>, emit: &mut impl FnMut(usize, Input)) {
        match message {
            MidiMessage::ControlChange { channel, controller, value } => {
                self.control_change(channel, controller, value, emit)
            }
            MidiMessage::NoteOn { channel, note, .. } => self.button(channel, Message::Note(note), true, emit),
            MidiMessage::NoteOff { channel, note, .. } => self.button(channel, Message::Note(note), false, emit),
            MidiMessage::PitchBend { channel, value } => self.raw(channel, Message::PitchBend, value, emit),
            _ => {}
        }
    }

    /// Sends what is still half-received (an MSB whose LSB never came) at its 7-bit precision.
    pub fn flush(&mut self, emit: &mut impl FnMut(usize, Input)) {
        for ((channel, msb_cc), msb) in std::mem::take(&mut self.pending_msb) {
            self.raw(channel, Message::Cc14(msb_cc), (msb as u16) << 7, emit);
        }
        let waiting: Vec<(u8, Nrpn)> = self.nrpn.iter().map(|(c, n)| (*c, *n)).collect();
        for (channel, state) in waiting {
            if let Some(msb) = state.data_msb {
                self.nrpn.insert(channel, Nrpn { data_msb: None, ..state });
                self.raw(channel, Message::Nrpn(state.param), (msb as u16) << 7, emit);
            }
        }
    }

    fn control_change(&mut self, channel: u8, cc: u8, value: u8, emit: &mut impl FnMut(usize, Input)) {
        let nrpn = self.nrpn.entry(channel).or_default();
        match cc {
            99 => nrpn.param = (value as u16) << 7,
            98 => nrpn.param = nrpn.param & !0x7F | value as u16,
            6 if self.by_key.contains_key(&(channel, Message::Nrpn(nrpn.param))) => nrpn.data_msb = Some(value),
            38 if nrpn.data_msb.is_some() => {
                let (param, msb) = (nrpn.param, nrpn.data_msb.take().unwrap_or(0));
                self.raw(channel, Message::Nrpn(param), (msb as u16) << 7 | value as u16, emit);
            }
            0..=31 if self.by_key.contains_key(&(channel, Message::Cc14(cc))) => {
                // A new MSB: an older one still waiting goes out first.
                if let Some(older) = self.pending_msb.insert((channel, cc), value) {
                    self.raw(channel, Message::Cc14(cc), (older as u16) << 7, emit);
                }
            }
            32..=63 if self.pending_msb.contains_key(&(channel, cc - 32)) => {
                let msb = self.pending_msb.remove(&(channel, cc - 32)).unwrap_or(0);
                self.raw(channel, Message::Cc14(cc - 32), (msb as u16) << 7 | value as u16, emit);
            }
            _ => self.raw(channel, Message::Cc(cc), value as u16, emit),
        }
    }

    fn button(&mut self, channel: u8, message: Message, down: bool, emit: &mut impl FnMut(usize, Input)) {
        for &i in self.by_key.get(&(channel, message)).into_iter().flatten() {
            emit(i, Input::Press(down));
        }
    }

    /// A raw value for every control bound to the message, read as that control says.
    fn raw(&mut self, channel: u8, message: Message, value: u16, emit: &mut impl FnMut(usize, Input)) {
        for &i in self.by_key.get(&(channel, message)).into_iter().flatten() {
            let c = &self.controls[i];
            let input = if c.encoding != Encoding::Absolute {
                Input::Steps(relative_ticks(c.encoding, (value & 0x7F) as u8))
            } else if is_button(c.target) {
                // A button on a CC: 127 pressed, 0 released (or, latching, on and off).
                Input::Press(value >= 64 || (c.button == ButtonMode::Latching && value > 0))
            } else {
                let (lo, hi) = c.range;
                Input::Position(((value as f32 - lo as f32) / (hi - lo) as f32).clamp(0.0, 1.0))
            };
            emit(i, input);
        }
    }
}

/// Ticks of a relative encoder's 7-bit value. A zero magnitude where the encoding has a
/// sign bit counts as one tick (some devices send it when they mean one).
pub fn relative_ticks(encoding: Encoding, v: u8) -> i32 {
    let v = v as i32;
    let signed = |negative: bool, magnitude: i32| {
        let m = magnitude.max(1);
        if negative { -m } else { m }
    };
    match encoding {
        Encoding::Absolute => 0,
        Encoding::TwosComplement if v < 64 => v,
        Encoding::TwosComplement => v - 128,
        Encoding::Offset64 => v - 64,
        Encoding::SignBitNeg => signed(v & 0x40 != 0, v & 0x3F),
        Encoding::SignBitPos => signed(v & 0x40 == 0, v & 0x3F),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::control::map::parse;
    use crate::control::midi::Decoder;
    use std::path::Path;

    fn decoder(controls: &str) -> GenericDecoder {
        let map = parse(&format!("device: d\nmatch: d\ncontrols:\n{controls}"), Path::new("t.yaml")).unwrap();
        GenericDecoder::new(&map.controls)
    }

    /// Everything a byte stream moves, as (control, input).
    fn run(d: &mut GenericDecoder, bytes: &[u8]) -> Vec<(usize, Input)> {
        let mut out = Vec::new();
        let mut emit = |i, input| out.push((i, input));
        Decoder::default().feed(bytes, |m| d.feed(m, &mut emit));
        d.flush(&mut emit);
        out
    }

    #[test]
    fn fourteen_bit_pairs_combine_and_a_lone_msb_still_counts() {
        let mut d = decoder("  - {target: strip.1.fader, cc14: 7}\n");
        let got = run(&mut d, &[0xB0, 7, 0x40, 39, 0x00, 7, 0x7F, 39, 0x7F, 7, 0x20]);
        assert_eq!(
            got,
            [(0, Input::Position(8192.0 / 16383.0)), (0, Input::Position(1.0)), (0, Input::Position(4096.0 / 16383.0))]
        );
    }

    #[test]
    fn nrpn_selects_then_sets_in_fourteen_bits() {
        let mut d = decoder("  - {target: strip.1.pan, nrpn: 300, channel: 2}\n");
        // Select 300 (MSB 2, LSB 44), data 0x40/0x00; running status all along.
        let got = run(&mut d, &[0xB1, 99, 2, 98, 44, 6, 0x40, 38, 0x00, 6, 0x7F, 38, 0x7F]);
        assert_eq!(got, [(0, Input::Position(8192.0 / 16383.0)), (0, Input::Position(1.0))]);
        assert!(run(&mut d, &[0xB0, 6, 0x10, 38, 0x00]).is_empty(), "other channel: nothing");
    }

    #[test]
    fn each_relative_encoding_reads_plus_and_minus_three() {
        for (encoding, plus, minus) in [
            (Encoding::TwosComplement, 3, 125),
            (Encoding::Offset64, 67, 61),
            (Encoding::SignBitNeg, 3, 0x43),
            (Encoding::SignBitPos, 0x43, 3),
        ] {
            assert_eq!(relative_ticks(encoding, plus), 3, "{encoding:?}");
            assert_eq!(relative_ticks(encoding, minus), -3, "{encoding:?}");
        }
        assert_eq!(relative_ticks(Encoding::SignBitNeg, 0x40), -1, "a zero tick count means one");
    }

    #[test]
    fn buttons_press_and_release_on_notes_and_ccs() {
        let mut d = decoder("  - {target: strip.1.mute, note: 16}\n  - {target: transport.play, cc: 41}\n");
        let got = run(&mut d, &[0x90, 16, 127, 16, 0, 0xB0, 41, 127, 41, 0]);
        assert_eq!(
            got,
            [(0, Input::Press(true)), (0, Input::Press(false)), (1, Input::Press(true)), (1, Input::Press(false))]
        );
    }

    #[test]
    fn a_seven_bit_fader_maps_its_range() {
        let mut d = decoder("  - {target: strip.1.fader, cc: 0, range: [0, 100]}\n");
        assert_eq!(run(&mut d, &[0xB0, 0, 50, 0, 127]), [(0, Input::Position(0.5)), (0, Input::Position(1.0))]);
    }
}
