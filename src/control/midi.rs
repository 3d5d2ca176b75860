//! MIDI bytes to messages and back. midir hands over whatever the port delivered;
//! controllers send channel messages with running status (the Mackie Control
//! does), and real-time bytes (clock, active sensing) may fall anywhere, even
//! inside a SysEx. The decoder takes any byte stream and only ever emits
//! well-formed messages with in-range values.

/// One MIDI message. Channels are 0..=15; data values 0..=127; pitch bend 0..=16383.
/// A note-on with velocity 0 arrives as a note-off (every controller means it so).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MidiMessage<'a> {
    NoteOff {
        channel: u8,
        note: u8,
        velocity: u8,
    },
    NoteOn {
        channel: u8,
        note: u8,
        velocity: u8,
    },
    PolyPressure {
        channel: u8,
        note: u8,
        value: u8,
    },
    ControlChange {
        channel: u8,
        controller: u8,
        value: u8,
    },
    ProgramChange {
        channel: u8,
        program: u8,
    },
    ChannelPressure {
        channel: u8,
        value: u8,
    },
    PitchBend {
        channel: u8,
        value: u16,
    },
    /// A complete system exclusive message, `F0` to `F7` inclusive.
    SysEx(&'a [u8]),
}

/// SysEx longer than this is dropped whole (no controller sends more; a stuck stream must not grow memory).
const MAX_SYSEX: usize = 4096;

#[derive(Debug, Default)]
pub struct Decoder {
    /// The status byte data bytes belong to (running status), if any.
    status: Option<u8>,
    data: [u8; 2],
    have: usize,
    /// Data bytes still to skip for a system common message (song position, MTC quarter frame...).
    skip: usize,
    in_sysex: bool,
    sysex: Vec<u8>,
}

impl Decoder {
    /// Feeds bytes; `emit` receives each message completed by them.
    pub fn feed(&mut self, bytes: &[u8], mut emit: impl FnMut(MidiMessage<'_>)) {
        for &b in bytes {
            self.byte(b, &mut emit);
        }
    }

    /// The end of one event as the MIDI system delivers it (ALSA and JACK hand over whole
    /// messages): a channel message it left half done was truncated, and its bytes must not
    /// pair up with the next event's, which would misalign every message after it. Running
    /// status stays, and so does a SysEx, which may come in parts.
    pub fn end_of_event(&mut self) {
        self.have = 0;
        self.skip = 0;
    }

    fn byte(&mut self, b: u8, emit: &mut impl FnMut(MidiMessage<'_>)) {
        match b {
            // Real time (clock, start, stop, active sensing, reset): may interrupt anything, changes nothing.
            0xF8..=0xFF => {}
            0xF0 => {
                self.status = None;
                self.in_sysex = true;
                self.sysex.clear();
                self.sysex.push(b);
            }
            0xF7 => {
                if self.in_sysex && self.sysex.len() < MAX_SYSEX {
                    self.sysex.push(b);
                    emit(MidiMessage::SysEx(&self.sysex));
                }
                self.in_sysex = false;
                self.status = None;
            }
            // System common: ends running status; its data bytes are skipped.
            0xF1..=0xF6 => {
                self.in_sysex = false;
                self.status = None;
                self.skip = match b {
                    0xF1 | 0xF3 => 1,
                    0xF2 => 2,
                    _ => 0,
                };
            }
            0x80..=0xEF => {
                // A status byte ends an unterminated SysEx: what came before is dropped.
                self.in_sysex = false;
                self.skip = 0;
                self.status = Some(b);
                self.have = 0;
            }
            data => {
                if self.in_sysex {
                    if self.sysex.len() < MAX_SYSEX {
                        self.sysex.push(data);
                    }
                    return;
                }
                if self.skip > 0 {
                    self.skip -= 1;
                    return;
                }
                // Data with no status to belong to (a stream joined midway) is ignored.
                let Some(status) = self.status else { return };
                self.data[self.have] = data;
                self.have += 1;
                if self.have == data_len(status) {
                    self.have = 0;
                    emit(message(status, self.data));
                }
            }
        }
    }
}

/// Data bytes a channel message carries.
fn data_len(status: u8) -> usize {
    match status & 0xF0 {
        0xC0 | 0xD0 => 1,
        _ => 2,
    }
}

fn message(status: u8, [a, b]: [u8; 2]) -> MidiMessage<'static> {
    let channel = status & 0x0F;
    match status & 0xF0 {
        0x80 => MidiMessage::NoteOff { channel, note: a, velocity: b },
        0x90 if b == 0 => MidiMessage::NoteOff { channel, note: a, velocity: 0 },
        0x90 => MidiMessage::NoteOn { channel, note: a, velocity: b },
        0xA0 => MidiMessage::PolyPressure { channel, note: a, value: b },
        0xB0 => MidiMessage::ControlChange { channel, controller: a, value: b },
        0xC0 => MidiMessage::ProgramChange { channel, program: a },
        0xD0 => MidiMessage::ChannelPressure { channel, value: a },
        _ => MidiMessage::PitchBend { channel, value: (b as u16) << 7 | a as u16 },
    }
}

impl MidiMessage<'_> {
    /// The message's bytes, appended to `out` (full status every time: no running status out).
    pub fn write(&self, out: &mut Vec<u8>) {
        let ch = |status: u8, channel: u8| status | (channel & 0x0F);
        match *self {
            MidiMessage::NoteOff { channel, note, velocity } => out.extend([ch(0x80, channel), note, velocity]),
            MidiMessage::NoteOn { channel, note, velocity } => out.extend([ch(0x90, channel), note, velocity]),
            MidiMessage::PolyPressure { channel, note, value } => out.extend([ch(0xA0, channel), note, value]),
            MidiMessage::ControlChange { channel, controller, value } => {
                out.extend([ch(0xB0, channel), controller, value])
            }
            MidiMessage::ProgramChange { channel, program } => out.extend([ch(0xC0, channel), program]),
            MidiMessage::ChannelPressure { channel, value } => out.extend([ch(0xD0, channel), value]),
            MidiMessage::PitchBend { channel, value } => {
                out.extend([ch(0xE0, channel), (value & 0x7F) as u8, (value >> 7 & 0x7F) as u8])
            }
            MidiMessage::SysEx(bytes) => out.extend_from_slice(bytes),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Everything a byte stream decodes to, SysEx copied out.
    fn decode(bytes: &[u8]) -> Vec<String> {
        let mut out = Vec::new();
        Decoder::default().feed(bytes, |m| out.push(format!("{m:?}")));
        out
    }

    #[test]
    fn running_status_repeats_the_last_status() {
        // Mackie fader 1 then two more positions without the status byte.
        let got = decode(&[0xE0, 0x00, 0x40, 0x7F, 0x7F, 0x10, 0x20]);
        assert_eq!(
            got,
            [
                "PitchBend { channel: 0, value: 8192 }",
                "PitchBend { channel: 0, value: 16383 }",
                "PitchBend { channel: 0, value: 4112 }"
            ]
        );
    }

    #[test]
    fn real_time_bytes_inside_messages_and_sysex_change_nothing() {
        let got = decode(&[0xB0, 0xF8, 0x07, 0xFE, 0x64, 0xF0, 0x00, 0xF8, 0x66, 0xF7, 0xB0, 0x07, 0x00]);
        assert_eq!(
            got,
            [
                "ControlChange { channel: 0, controller: 7, value: 100 }",
                "SysEx([240, 0, 102, 247])",
                "ControlChange { channel: 0, controller: 7, value: 0 }"
            ]
        );
    }

    #[test]
    fn sysex_between_channel_messages_ends_running_status() {
        // After a SysEx, bare data bytes have no status to belong to.
        let got = decode(&[0x90, 0x10, 0x7F, 0xF0, 0x7E, 0xF7, 0x10, 0x00, 0x90, 0x10, 0x00]);
        assert_eq!(
            got,
            [
                "NoteOn { channel: 0, note: 16, velocity: 127 }",
                "SysEx([240, 126, 247])",
                "NoteOff { channel: 0, note: 16, velocity: 0 }"
            ]
        );
    }

    #[test]
    fn an_unterminated_sysex_is_dropped_at_the_next_status() {
        let got = decode(&[0xF0, 0x01, 0x02, 0xD0, 0x35, 0xF1, 0x22, 0xC3, 0x05]);
        assert_eq!(got, ["ChannelPressure { channel: 0, value: 53 }", "ProgramChange { channel: 3, program: 5 }"]);
    }

    #[test]
    fn messages_written_out_decode_back() {
        let messages = [
            MidiMessage::NoteOn { channel: 3, note: 60, velocity: 1 },
            MidiMessage::ControlChange { channel: 15, controller: 127, value: 127 },
            MidiMessage::PitchBend { channel: 8, value: 16383 },
            MidiMessage::ChannelPressure { channel: 0, value: 0x7C },
        ];
        let mut bytes = Vec::new();
        for m in &messages {
            m.write(&mut bytes);
        }
        let mut back = Vec::new();
        Decoder::default().feed(&bytes, |m| back.push(format!("{m:?}")));
        assert_eq!(back, messages.iter().map(|m| format!("{m:?}")).collect::<Vec<_>>());
    }

    /// Property: any byte stream, fed in any chunking, decodes without panicking to
    /// messages whose every field is in range.
    #[test]
    fn random_streams_never_panic_or_leave_the_ranges() {
        let mut seed = 0x9E37_79B9_7F4A_7C15u64;
        let mut next = move || {
            // xorshift64*: deterministic, so a failure reproduces.
            seed ^= seed >> 12;
            seed ^= seed << 25;
            seed ^= seed >> 27;
            (seed.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 32) as u32
        };
        let mut decoder = Decoder::default();
        let mut count = 0usize;
        for _ in 0..2000 {
            let len = (next() % 300) as usize;
            // Bias towards status and data bytes so that whole messages do form.
            let chunk: Vec<u8> = (0..len)
                .map(|_| match next() % 8 {
                    0 => 0x80 | (next() as u8 & 0x7F),
                    1 => 0xF0 | (next() as u8 & 0x0F),
                    _ => next() as u8 & 0x7F,
                })
                .collect();
            decoder.feed(&chunk, |m| {
                count += 1;
                let data_ok = |v: u8| v < 0x80;
                let ok = match m {
                    MidiMessage::NoteOff { channel, note, velocity }
                    | MidiMessage::NoteOn { channel, note, velocity } => {
                        channel < 16 && data_ok(note) && data_ok(velocity)
                    }
                    MidiMessage::PolyPressure { channel, note, value } => {
                        channel < 16 && data_ok(note) && data_ok(value)
                    }
                    MidiMessage::ControlChange { channel, controller, value } => {
                        channel < 16 && data_ok(controller) && data_ok(value)
                    }
                    MidiMessage::ProgramChange { channel, program: value }
                    | MidiMessage::ChannelPressure { channel, value } => channel < 16 && data_ok(value),
                    MidiMessage::PitchBend { channel, value } => channel < 16 && value < 16384,
                    MidiMessage::SysEx(b) => {
                        b.len() <= MAX_SYSEX
                            && b[0] == 0xF0
                            && b[b.len() - 1] == 0xF7
                            && b[1..b.len() - 1].iter().all(|&x| data_ok(x))
                    }
                };
                assert!(ok, "out of range: {m:?}");
            });
        }
        assert!(count > 10_000, "the stream formed messages: {count}");
    }

    #[test]
    fn a_truncated_event_does_not_misalign_the_events_after_it() {
        let mut decoder = Decoder::default();
        let mut got = Vec::new();
        // Truncated pitch bends (the MSB lost), then a sweep in running status, event by event.
        for _ in 0..50 {
            decoder.feed(&[0xE0, 0x10], |m| got.push(format!("{m:?}")));
            decoder.end_of_event();
        }
        for msb in [0x00u8, 0x20, 0x40, 0x7F] {
            decoder.feed(&[0x00, msb], |m| got.push(format!("{m:?}")));
            decoder.end_of_event();
        }
        let values: Vec<String> = [0u16, 0x20 << 7, 0x40 << 7, 0x7F << 7]
            .iter()
            .map(|v| format!("{:?}", MidiMessage::PitchBend { channel: 0, value: *v }))
            .collect();
        assert_eq!(got, values, "every position of the sweep lands, none shifted by a byte");
    }
}
