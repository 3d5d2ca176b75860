//! PreSonus FaderPort 8 and 16 in their native (Studio One) mode: the scribble strips and
//! meters, which speak PreSonus SysEx and their own channel messages rather than Mackie's
//! (shared reference §3.8; the strip modes and the text message's alignment byte as a
//! FaderPort 16 driver sends them). Buttons, faders and LEDs are ordinary map controls.

pub use super::map::doc::{Model, PresonusDoc};

/// Characters a scribble strip line shows.
pub const TEXT_WIDTH: usize = 8;
/// The strip mode with two lines of text and a meter ("default text metering").
const MODE_TEXT_METERING: u8 = 5;
/// Two lines of text, no meter.
const MODE_TEXT: u8 = 0;

fn header(model: Model) -> [u8; 5] {
    [0xF0, 0x00, 0x01, 0x06, if model == Model::Fp8 { 0x02 } else { 0x16 }]
}

/// Puts strip `strip` (from 0) in the display mode that shows what headroom sends it.
pub fn strip_mode(unit: &PresonusDoc, strip: u8) -> Vec<u8> {
    let mode = if unit.meters { MODE_TEXT_METERING } else { MODE_TEXT };
    let mut out = header(unit.model).to_vec();
    out.extend([0x13, strip, mode, 0xF7]);
    out
}

/// Line `line` (0-3) of strip `strip`'s scribble strip, centred; ASCII only, cut to fit.
pub fn text(model: Model, strip: u8, line: u8, text: &str) -> Vec<u8> {
    let mut out = header(model).to_vec();
    out.extend([0x12, strip, line & 0x03, 0x00]);
    out.extend(text.chars().map(super::mackie::lcd_char).take(TEXT_WIDTH));
    out.push(0xF7);
    out
}

/// A peak reading for strip `strip` (from 0): 0-127 over -60..0 dBFS. Strips 1-8 take
/// channel pressure on their channel; a FaderPort 16's strips 9-16 take program change.
pub fn meter(strip: u8, peak: f32) -> [u8; 2] {
    let db = 20.0 * peak.max(1e-9).log10();
    let level = ((db + 60.0) / 60.0 * 127.0).round().clamp(0.0, 127.0) as u8;
    if strip < 8 { [0xD0 | strip, level] } else { [0xC0 | (strip - 8), level] }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scribble_strip_text_is_presonus_sysex_cut_to_the_strip() {
        let fp8 = text(Model::Fp8, 2, 1, "Überbass-DI");
        assert_eq!(fp8[..9], [0xF0, 0x00, 0x01, 0x06, 0x02, 0x12, 2, 1, 0]);
        assert_eq!(&fp8[9..fp8.len() - 1], b"uberbass", "accents folded as on a Mackie LCD");
        assert_eq!(fp8.last(), Some(&0xF7));
        assert_eq!(text(Model::Fp16, 0, 0, "x")[4], 0x16, "the FaderPort 16's own header");
        let unit = PresonusDoc { model: Model::Fp8, display: true, meters: true };
        assert_eq!(strip_mode(&unit, 7), [0xF0, 0x00, 0x01, 0x06, 0x02, 0x13, 7, 5, 0xF7]);
    }

    #[test]
    fn meters_span_sixty_db_and_strips_past_eight_use_program_change() {
        assert_eq!(meter(0, 1.0), [0xD0, 127]);
        assert_eq!(meter(3, 10f32.powf(-30.0 / 20.0)), [0xD3, 64]);
        assert_eq!(meter(3, 0.0), [0xD3, 0]);
        assert_eq!(meter(9, 1.0), [0xC1, 127]);
    }
}
