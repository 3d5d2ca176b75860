//! Mackie Control: the protocol's fixed controls, expressed as map controls so the
//! generic decoder reads them, and what only Mackie devices show: the 2×56
//! character LCD, the timecode digits, the meters, and the connection handshake.
//! Numbers are from `shared/reference/controllers.md` §1 (Logic Control MIDI
//! implementation, Ardour's Mackie surface).

use super::map::doc::ControlDoc;
pub use super::map::doc::{MODEL_EXTENDER, MODEL_MAIN, MackieDoc};

/// Logic Control and its extender: they ask the host a challenge before they work.
const MODEL_LOGIC: [u8; 2] = [0x10, 0x11];

/// Strip buttons and their LEDs: notes from a base, one a strip.
const STRIP_NOTES: [(&str, u16); 3] = [("solo", 0x08), ("mute", 0x10), ("select", 0x18)];
const TOUCH_NOTE: u16 = 0x68;
const MASTER_TOUCH_NOTE: u16 = 0x70;
/// V-Pots turn as CC 0x10+strip (sign bit = counter-clockwise); their rings light as CC 0x30+strip.
const VPOT_CC: u16 = 0x10;
const RING_CC: u16 = 0x30;
/// The main unit's global buttons used here.
const GLOBAL_NOTES: [(&str, u16); 16] = [
    ("bank.prev", 0x2E),
    ("bank.next", 0x2F),
    ("channel.prev", 0x30),
    ("channel.next", 0x31),
    ("automation.mode.read", 0x4A),
    ("automation.mode.write", 0x4B),
    ("automation.mode.trim", 0x4C),
    ("automation.mode.touch", 0x4D),
    ("automation.mode.latch", 0x4E),
    ("save", 0x50),
    ("undo", 0x51),
    ("transport.loop", 0x56),
    ("transport.rewind", 0x5B),
    ("transport.forward", 0x5C),
    ("transport.stop", 0x5D),
    ("transport.play", 0x5E),
];

/// The protocol's controls for a unit of `strips` strips, as a map would write them.
pub fn standard_controls(unit: &MackieDoc, strips: u16) -> Vec<ControlDoc> {
    let per_strip = |base: u16| super::map::doc::Numbers::PerStrip((0..strips).map(|i| base + i).collect());
    let control = |target: &str| ControlDoc { target: target.into(), ..ControlDoc::default() };
    let mut controls = vec![
        ControlDoc {
            pitchbend: Some(super::map::doc::Numbers::PerStrip((1..=strips).collect())),
            ..control("strip.N.fader")
        },
        ControlDoc {
            cc: Some(per_strip(VPOT_CC)),
            encoding: super::map::doc::Encoding::SignBitNeg,
            ring: Some(per_strip(RING_CC)),
            // Single-dot mode: positions 1 to 11 (0 is the ring off).
            ring_range: Some([1, 11]),
            ..control("strip.N.pan")
        },
    ];
    for (name, base) in STRIP_NOTES {
        controls.push(ControlDoc { note: Some(per_strip(base)), ..control(&format!("strip.N.{name}")) });
    }
    if unit.touch {
        controls.push(ControlDoc { note: Some(per_strip(TOUCH_NOTE)), ..control("strip.N.touch") });
    }
    if unit.master_fader && !unit.extender {
        controls.push(ControlDoc { pitchbend: Some(super::map::doc::Numbers::One(9)), ..control("master.fader") });
        if unit.touch {
            controls.push(ControlDoc {
                note: Some(super::map::doc::Numbers::One(MASTER_TOUCH_NOTE)),
                ..control("master.touch")
            });
        }
    }
    if !unit.extender {
        for (target, note) in GLOBAL_NOTES {
            controls.push(ControlDoc { note: Some(super::map::doc::Numbers::One(note)), ..control(target) });
        }
    }
    controls
}

fn sysex(model: u8, body: &[u8]) -> Vec<u8> {
    let mut out = vec![0xF0, 0x00, 0x00, 0x66, model];
    out.extend_from_slice(body);
    out.push(0xF7);
    out
}

/// Asks the unit to identify itself; a Logic Control answers with a challenge.
pub fn device_query(model: u8) -> Vec<u8> {
    sysex(model, &[0x00])
}

/// Turns on a strip's meter: its signal LED and level, as Ardour does. The LCD level
/// meter bit is left off so the scribble strips keep showing names and values.
pub fn meter_mode(model: u8, strip: u8) -> Vec<u8> {
    sysex(model, &[0x20, strip, 0x03])
}

/// What the unit said, when it matters to the host.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Greeting {
    /// A Logic Control asks for the answer to its challenge.
    Challenge { model: u8, serial: [u8; 7], challenge: [u8; 4] },
    /// Any other Mackie SysEx: the unit is there, and its model byte is this.
    Model(u8),
}

/// Reads a SysEx from the unit, if it is a Mackie one.
pub fn greeting(sysex: &[u8]) -> Option<Greeting> {
    let [0xF0, 0x00, 0x00, 0x66, model, rest @ ..] = sysex else { return None };
    match rest {
        [0x01, body @ ..] if MODEL_LOGIC.contains(model) && body.len() >= 11 => Some(Greeting::Challenge {
            model: *model,
            serial: body[..7].try_into().expect("seven bytes"),
            challenge: body[7..11].try_into().expect("four bytes"),
        }),
        _ => Some(Greeting::Model(*model)),
    }
}

/// The host's reply to a Logic Control's challenge (Logic Control MIDI implementation, p. 240).
pub fn challenge_reply(model: u8, serial: [u8; 7], challenge: [u8; 4]) -> Vec<u8> {
    let [l1, l2, l3, l4] = challenge.map(|b| b as i32);
    let response =
        [l1 + (l2 ^ 0x0A) - l4, (l3 >> 4) ^ (l1 + l4), (l4 - (l3 << 2)) ^ (l1 | l2), l2 - l3 + (0xF0 ^ (l4 << 4))]
            .map(|r| (r & 0x7F) as u8);
    let mut body = vec![0x02];
    body.extend_from_slice(&serial);
    body.extend_from_slice(&response);
    sysex(model, &body)
}

/// Characters a strip has on each LCD line (the last strip has one fewer: no spacer).
pub const LCD_STRIP_WIDTH: usize = 7;
const LCD_LINE: u8 = 0x38;

/// Writes `text` on LCD `line` (0 upper, 1 lower) from character `column`.
pub fn lcd(model: u8, line: u8, column: u8, text: &str) -> Vec<u8> {
    let mut body = vec![0x12, line * LCD_LINE + column];
    body.extend(text.chars().map(lcd_char));
    sysex(model, &body)
}

/// The LCD shows 7-bit ASCII: accents lose them, anything else becomes `_`.
pub(super) fn lcd_char(c: char) -> u8 {
    let folded = match c {
        'à'..='å' | 'À'..='Å' => 'a',
        'è'..='ë' | 'È'..='Ë' => 'e',
        'ì'..='ï' | 'Ì'..='Ï' => 'i',
        'ò'..='ö' | 'Ò'..='Ö' | 'ø' => 'o',
        'ù'..='ü' | 'Ù'..='Ü' => 'u',
        'ç' | 'Ç' => 'c',
        'ñ' | 'Ñ' => 'n',
        c => c,
    };
    if folded.is_ascii() && !folded.is_ascii_control() { folded as u8 } else { b'_' }
}

/// A channel name in six characters: as it is if it fits, else without its inner
/// lower-case vowels ("DrumBus" → "DrmBs"), else cut.
pub fn scribble(name: &str) -> String {
    const WIDTH: usize = 6;
    let short = if name.chars().count() <= WIDTH {
        name.to_string()
    } else {
        let mut chars = name.chars();
        let first = chars.next().into_iter();
        first.chain(chars.filter(|c| !"aeiou".contains(*c))).collect()
    };
    format!("{:<WIDTH$}", short.chars().take(WIDTH).collect::<String>())
}

/// A meter reading for strip `strip` (0-7): level 0-12 over -60..0 dBFS, 0x0E over full scale.
pub fn meter(strip: u8, peak: f32) -> [u8; 2] {
    let level = if peak > 1.0 {
        0x0E
    } else {
        let db = 20.0 * peak.max(1e-9).log10();
        ((db + 60.0) / 60.0 * 12.0).round().clamp(0.0, 12.0) as u8
    };
    [0xD0, strip << 4 | level]
}

/// The timecode display's ten digits for a time, right-most first (`B0 40` is the right-most):
/// hours (3), minutes, seconds (2 each), milliseconds (3).
pub fn timecode_digits(seconds: f64) -> [u8; 10] {
    let ms = (seconds.max(0.0) * 1000.0) as u64;
    let text = format!("{:>3}{:02}{:02}{:03}", ms / 3_600_000 % 1000, ms / 60_000 % 60, ms / 1000 % 60, ms % 1000);
    let mut digits = [b' '; 10];
    for (i, b) in text.bytes().rev().enumerate().take(10) {
        digits[i] = b;
    }
    digits
}

/// Controller number of timecode digit `i` (0 = right-most).
pub const TIMECODE_CC: u8 = 0x40;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_lcd_message_places_text_by_line_and_column() {
        // The Logic Control document's own example, "Hello" top left (model 0x10 there).
        assert_eq!(lcd(0x10, 0, 0, "Hello"), [0xF0, 0, 0, 0x66, 0x10, 0x12, 0x00, 0x48, 0x65, 0x6C, 0x6C, 0x6F, 0xF7]);
        assert_eq!(lcd(MODEL_MAIN, 1, 7, "é")[6..8], [0x38 + 7, b'e']);
    }

    #[test]
    fn names_fit_six_characters() {
        assert_eq!(scribble("Bass"), "Bass  ");
        assert_eq!(scribble("DrumBus"), "DrmBs ");
        assert_eq!(scribble("Background"), "Bckgrn");
    }

    #[test]
    fn meters_and_timecode_encode_as_the_document_says() {
        assert_eq!(meter(2, 1.0), [0xD0, 0x2C]);
        assert_eq!(meter(7, 0.003_162), [0xD0, 0x72], "-50 dBFS is level 2 of 12");
        assert_eq!(meter(0, 0.0), [0xD0, 0x00]);
        assert_eq!(meter(0, 1.5), [0xD0, 0x0E], "over full scale: overload");
        // 1 h 2 min 3.456 s: "  1" "02" "03" "456", right-most digit first.
        assert_eq!(timecode_digits(3723.456), *b"65430201  ");
    }

    #[test]
    fn a_logic_control_challenge_is_answered_with_its_serial() {
        let seen = [0xF0, 0, 0, 0x66, 0x10, 0x01, 1, 2, 3, 4, 5, 6, 7, 0x10, 0x20, 0x30, 0x40, 0xF7];
        let Some(Greeting::Challenge { model, serial, challenge }) = greeting(&seen) else { panic!() };
        let reply = challenge_reply(model, serial, challenge);
        assert_eq!(reply[..13], [0xF0, 0, 0, 0x66, 0x10, 0x02, 1, 2, 3, 4, 5, 6, 7]);
        // r1 = l1 + (l2 ^ 0x0A) - l4 = 0x10 + 0x2A - 0x40 (mod 128)
        assert_eq!(reply[13], ((0x10 + 0x2A - 0x40i32) & 0x7F) as u8);
        assert!(reply[13..17].iter().all(|b| *b < 0x80) && reply[17] == 0xF7);
        assert_eq!(greeting(&[0xF0, 0, 0, 0x66, 0x14, 0x01, 0xF7]), Some(Greeting::Model(0x14)));
        assert_eq!(greeting(&[0xF0, 0x7E, 0x7F, 0x06, 0x02, 0xF7]), None);
    }
}
