//! Where everything sits on the console's screen, worked out from the terminal size and
//! what is open: read by the view to draw and by the model to know what a click hit.

use std::ops::Range;

use ratatui::layout::Rect;

/// Columns of one strip, borders included.
pub const STRIP_W: u16 = 9;
/// Columns of the master strip.
pub const MASTER_W: u16 = 26;
/// Columns of the dBFS scale left of the strips, drawn when the terminal is wide enough.
const RULER_W: u16 = 4;
const RULER_MIN_WIDTH: u16 = 100;
/// From this size on the detail docks under the strips instead of covering them.
const DOCKED_DETAIL: (u16, u16) = (100, 40);
const DETAIL_H: u16 = 18;
/// The smallest terminal the console draws in (one strip beside the master, a strip's rows);
/// a smaller one gets a note saying so.
pub const SMALLEST_CONSOLE: (u16, u16) = (40, 12);

/// Where everything sits on screen.
#[derive(Clone, Debug, PartialEq)]
pub struct ConsoleLayout {
    pub top: Rect,
    pub ruler: Option<Rect>,
    /// Strips and buses of the bank, then the master, each with its channel index.
    pub strips: Vec<(usize, Rect)>,
    pub status: Rect,
    /// The strip detail or the automation view, whichever is open.
    pub detail: Option<Rect>,
}

fn ruler_width(width: u16) -> u16 {
    if width >= RULER_MIN_WIDTH { RULER_W } else { 0 }
}

/// How many strips and buses fit beside the master.
pub fn strips_per_bank(width: u16) -> usize {
    (width.saturating_sub(MASTER_W + ruler_width(width)) / STRIP_W).max(1) as usize
}

/// The console in `area`: the top bar, the dBFS ruler, the channels of `bank` then the
/// master (channel `master`), the status line, and the detail (docked or covering) when open.
pub fn console_layout(area: Rect, detail_open: bool, bank: Range<usize>, master: usize) -> ConsoleLayout {
    let top = Rect { height: 1, ..area };
    let status = Rect { y: area.bottom().saturating_sub(1), height: 1, ..area };
    let mut body = Rect { y: area.y + 1, height: area.height.saturating_sub(2), ..area };
    let docked = area.width >= DOCKED_DETAIL.0 && area.height >= DOCKED_DETAIL.1;
    let detail = match detail_open {
        true if docked => {
            body.height -= DETAIL_H;
            Some(Rect { y: body.bottom(), height: DETAIL_H, ..body })
        }
        true => Some(body),
        false => None,
    };
    let ruler_w = ruler_width(area.width);
    let ruler = (ruler_w > 0).then_some(Rect { width: ruler_w, ..body });
    let mut strips: Vec<(usize, Rect)> = bank
        .enumerate()
        .map(|(slot, index)| (index, Rect { x: body.x + ruler_w + slot as u16 * STRIP_W, width: STRIP_W, ..body }))
        .collect();
    let master_rect = Rect { x: body.right().saturating_sub(MASTER_W), width: MASTER_W.min(body.width), ..body };
    strips.push((master, master_rect));
    ConsoleLayout { top, ruler, strips, status, detail }
}

/// The rows of a strip, inside its border.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct StripRows {
    pub output: Rect,
    /// Meters and fader: the part that moves.
    pub travel: Rect,
    pub value: Rect,
    pub pan: Rect,
    pub buttons: Rect,
    pub gain_reduction: Rect,
    pub automation: Rect,
}

/// Rows below the travel: value, pan, buttons, gain reduction, automation.
const STRIP_FOOT: u16 = 5;

pub fn strip_rows(rect: Rect) -> StripRows {
    let inner = Rect {
        x: rect.x + 1,
        y: rect.y + 1,
        width: rect.width.saturating_sub(2),
        height: rect.height.saturating_sub(2),
    };
    let row = |i: u16| Rect { y: inner.y + i, height: 1, ..inner };
    let travel_h = inner.height.saturating_sub(STRIP_FOOT + 1);
    let foot = 1 + travel_h;
    StripRows {
        output: row(0),
        travel: Rect { y: inner.y + 1, height: travel_h, ..inner },
        value: row(foot),
        pan: row(foot + 1),
        buttons: row(foot + 2),
        gain_reduction: row(foot + 3),
        automation: row(foot + 4),
    }
}
