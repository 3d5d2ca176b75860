//! One strip, the master strip and the dBFS ruler.

use ratatui::Frame;
use ratatui::buffer::Buffer;
use ratatui::layout::{Alignment, Rect};
use ratatui::style::{Color, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Paragraph};

use super::automation::{mode_style, value_style};
use super::{StripRows, Theme, strip_rows};
use crate::automation::Mode;
use crate::engine::params::ParamSpec;
use crate::ui::meters::{FADER_MARKS, FLOOR_DB, METER, METER_MARKS, PeakMeter};
use crate::ui::model::{App, ChannelInfo, ChannelKind, Verdict};

const EIGHTHS: [&str; 9] = [" ", "▁", "▂", "▃", "▄", "▅", "▆", "▇", "█"];

/// Draws one vertical peak meter in column `x` of `area` (the top row is its clip light).
fn draw_meter(buf: &mut Buffer, area: Rect, x: u16, meter: &PeakMeter, theme: &Theme) {
    if area.height < 2 {
        return;
    }
    let clip_style = if meter.clipped { theme.lit(Color::Red) } else { theme.dim() };
    buf[(x, area.y)].set_symbol(if meter.clipped { "●" } else { "·" }).set_style(clip_style);
    let h = area.height - 1;
    let filled = (METER.position(meter.level_db) * h as f32 * 8.0).round() as i32;
    let hold_row = (METER.position(meter.hold_db) * h as f32) as u16;
    for r in 0..h {
        let y = area.bottom() - 1 - r;
        let db_here = METER.value_at((r as f32 + 0.5) / h as f32);
        let eighths = (filled - r as i32 * 8).clamp(0, 8) as usize;
        let symbol =
            if eighths == 0 && r == hold_row && meter.hold_db > FLOOR_DB && r > 0 { "▔" } else { EIGHTHS[eighths] };
        buf[(x, y)].set_symbol(symbol).set_style(theme.meter(db_here));
    }
}

/// Row of `position` (0 bottom .. 1 top) in a column of `height` rows starting at `top`.
fn row_of(position: f32, top: u16, height: u16) -> u16 {
    top + ((1.0 - position) * height.saturating_sub(1) as f32).round() as u16
}

/// The fader's track and cap in column `x`, with its scale in the columns after it. A surface
/// control that has not picked the value up shows as `▸` where it sits, left of the track.
fn draw_fader(
    buf: &mut Buffer,
    travel: Rect,
    x: u16,
    fader: (&ParamSpec, f32),
    selected: bool,
    ghost: Option<f32>,
    theme: &Theme,
) {
    let (spec, db) = fader;
    for y in travel.top()..travel.bottom() {
        buf[(x, y)].set_symbol("│").set_style(theme.dim());
    }
    if travel.height >= 6 && travel.right() > x + 3 {
        for mark in FADER_MARKS {
            let y = row_of(spec.position(mark), travel.y, travel.height);
            buf.set_string(x + 1, y, format!("{:>3}", mark as i32), theme.dim());
        }
    }
    let cap_style = if selected { theme.selected() } else { theme.accent() };
    buf[(x, row_of(spec.position(db), travel.y, travel.height))].set_symbol("█").set_style(cap_style);
    if let Some(position) = ghost {
        buf[(x - 1, row_of(position, travel.y, travel.height))].set_symbol("▸").set_style(theme.warn());
    }
}

fn fader_text(app: &App, ch: &ChannelInfo) -> String {
    let db = app.shown(ch.fader);
    if db <= crate::engine::params::FADER_FLOOR_DB { "-inf".into() } else { format!("{db:+.1}") }
}

/// The border with the name as its title; the selected strip's name stands out.
fn frame_block<'a>(app: &App, index: usize, theme: &Theme) -> Block<'a> {
    let ch = &app.channels[index];
    let selected = index == app.selected;
    // A strip silenced by someone else's solo shows its name dimmed.
    let implied_mute = app.solo_active() && !app.on(ch.solo) && !app.on(ch.solo_safe);
    let name_style = match (selected, implied_mute) {
        (true, _) => theme.selected(),
        (false, true) => theme.dim(),
        (false, false) => theme.accent(),
    };
    let border_style = if selected { theme.accent() } else { theme.dim() };
    // A strip whose input (or the master whose outputs) JACK has not connected says so.
    let mut title = vec![Span::styled(ch.name.clone(), name_style)];
    if !app.unconnected_of(index).is_empty() {
        title.insert(0, Span::styled("✗", theme.error()));
    }
    let block = Block::bordered()
        .border_type(if selected { BorderType::Thick } else { BorderType::Plain })
        .border_style(border_style)
        .title(Line::from(title));
    // A strip on a surface's bank carries the number of the surface strip it is on.
    match app.surface_slot(index) {
        Some(slot) => block.title_bottom(Line::styled(format!(" {} ", slot + 1), theme.good()).centered()),
        None => block,
    }
}

/// Value, pan, mute/solo/safe, gain reduction and automation rows, shared by strips and master.
fn draw_foot(frame: &mut Frame, rows: &StripRows, app: &App, index: usize, theme: &Theme) {
    let ch = &app.channels[index];
    let centred = |text: String, style: Style| Paragraph::new(Span::styled(text, style)).alignment(Alignment::Center);
    // A value automation drives reads green while its lane plays, red while it is written.
    let driven = |param, plain: Style| match app.automation_of(param) {
        a if a.drives() => value_style(a, theme),
        _ => plain,
    };
    frame.render_widget(centred(fader_text(app, ch), driven(ch.fader, theme.accent())), rows.value);
    let pan = app.table.spec(ch.pan).format(app.shown(ch.pan));
    let pan = if ch.stereo && ch.kind == ChannelKind::Strip { format!("bal {pan}") } else { pan };
    frame.render_widget(centred(pan, driven(ch.pan, theme.plain())), rows.pan);
    let button = |on: bool, label: &'static str, colour: Color| {
        Span::styled(label, if on { theme.lit(colour) } else { theme.dim() })
    };
    let buttons = Line::from(vec![
        button(app.on(ch.mute), "M", Color::Red),
        Span::raw(" "),
        button(app.on(ch.solo), "S", Color::Yellow),
        Span::raw(" "),
        button(app.on(ch.solo_safe), "sf", Color::Green),
    ]);
    frame.render_widget(Paragraph::new(buttons), rows.buttons);
    let gr = app.meters[index].gain_reduction_db;
    let gr_style = if gr > 0.5 { theme.warn() } else { theme.dim() };
    let gr_text = if gr >= 0.05 { format!("GR{:>5.1}", -gr) } else { "GR    0".to_string() };
    frame.render_widget(Paragraph::new(Span::styled(gr_text, gr_style)), rows.gain_reduction);
    // The fader's automation mode, a light while a hand is on it (a surface's touch sensor,
    // the mouse, or a move the engine counts as a touch), and `*` when other parameters of
    // the strip are automated too.
    let fader = app.automation_of(ch.fader);
    let touch = if app.touched.contains(&index) || fader.touched() {
        Span::styled("●", theme.warn())
    } else {
        Span::styled("○", theme.dim())
    };
    let others = ch.params.iter().any(|&p| p != ch.fader && app.automation_of(p).mode != Mode::Off);
    let mode_style = if fader.writing() { theme.lit(Color::Red) } else { mode_style(fader.mode, theme) };
    let row = Line::from(vec![
        touch,
        Span::styled(if others { "*" } else { " " }, theme.accent()),
        Span::styled(fader.mode.name(), mode_style),
    ]);
    frame.render_widget(Paragraph::new(row), rows.automation);
}

pub fn draw_strip(frame: &mut Frame, rect: Rect, app: &App, index: usize, theme: &Theme) {
    let ch = &app.channels[index];
    frame.render_widget(frame_block(app, index, theme), rect);
    let rows = strip_rows(rect);
    frame.render_widget(Paragraph::new(Span::styled(format!("→{}", ch.output), theme.dim())), rows.output);
    let meter = &app.meters[index];
    let buf = frame.buffer_mut();
    let t = rows.travel;
    if t.width >= 5 && t.height >= 2 {
        let right = if ch.stereo { &meter.sides[1] } else { &meter.sides[0] };
        draw_meter(buf, t, t.x, &meter.sides[0], theme);
        draw_meter(buf, t, t.x + 1, right, theme);
        let fader_area = Rect { y: t.y + 1, height: t.height - 1, ..t };
        let ghost = app.pickups.get(&ch.fader).copied();
        draw_fader(
            buf,
            fader_area,
            t.x + 3,
            (app.table.spec(ch.fader), app.shown(ch.fader)),
            index == app.selected,
            ghost,
            theme,
        );
    }
    draw_foot(frame, &rows, app, index, theme);
}

/// The dBFS scale beside the strips' meters.
pub fn draw_ruler(frame: &mut Frame, body: Rect, theme: &Theme) {
    let travel = strip_rows(body).travel;
    if travel.height < 2 {
        return;
    }
    draw_meter_scale(frame.buffer_mut(), Rect { x: body.x, width: body.width, ..travel }, theme);
}

/// Marks of the meter scale, right-aligned in `area` (whose top row is the clip lights).
fn draw_meter_scale(buf: &mut Buffer, area: Rect, theme: &Theme) {
    let h = area.height - 1;
    for mark in METER_MARKS {
        let r = ((METER.position(mark) * h as f32) as u16).min(h - 1);
        let y = area.bottom() - 1 - r;
        buf.set_stringn(
            area.x,
            y,
            format!("{:>w$}", mark as i32, w = area.width as usize),
            area.width as usize,
            theme.dim(),
        );
    }
}

pub fn draw_master(frame: &mut Frame, rect: Rect, app: &App, theme: &Theme) {
    let index = app.channels.len() - 1;
    frame.render_widget(frame_block(app, index, theme), rect);
    let rows = strip_rows(rect);
    let meter = &app.meters[index];
    let peak_db = meter.sides[0].hold_db.max(meter.sides[1].hold_db);
    frame.render_widget(Paragraph::new(Span::styled("mix bus", theme.dim())), rows.output);
    let t = rows.travel;
    if t.width >= 20 && t.height >= 2 {
        let buf = frame.buffer_mut();
        draw_meter_scale(buf, Rect { width: 3, ..t }, theme);
        for (i, side) in meter.sides.iter().enumerate() {
            for dx in 0..2 {
                draw_meter(buf, t, t.x + 4 + i as u16 * 3 + dx, side, theme);
            }
        }
        let fader_area = Rect { y: t.y + 1, height: t.height - 1, ..t };
        let fader = app.channels[index].fader;
        let ghost = app.pickups.get(&fader).copied();
        draw_fader(
            buf,
            fader_area,
            t.x + 11,
            (app.table.spec(fader), app.shown(fader)),
            index == app.selected,
            ghost,
            theme,
        );
        let text = Rect { x: t.x + 16, width: t.width - 16, ..t };
        frame.render_widget(Paragraph::new(master_readout(app, peak_db, theme)), text);
    }
    draw_foot(frame, &rows, app, index, theme);
}

/// Loudness, true peak, the held peak and the peak since the meters were reset, where that
/// sits against the target, and the samples over full scale (what an integer print clips).
fn master_readout(app: &App, held_db: f32, theme: &Theme) -> Vec<Line<'static>> {
    let l = &app.readings.loudness;
    let meter = &app.meters[app.channels.len() - 1];
    let lufs = |v: f32| if v > -70.0 { format!("{v:5.1}") } else { "  -  ".into() };
    let db = |v: f32| if v > FLOOR_DB { format!("{v:5.1}") } else { " -inf".into() };
    let value = |label: &'static str, text: String| Line::from(vec![Span::styled(label, theme.dim()), Span::raw(text)]);
    let tp_style = if l.true_peak_dbtp > -1.0 { theme.error() } else { theme.plain() };
    let target = app.target();
    let (verdict, style) = match app.master_verdict() {
        Verdict::Silent => ("  -".to_string(), theme.dim()),
        Verdict::Hot(over) => (format!("+{over:.1} hot"), theme.error()),
        // Whole dB once the gap is large, so the verdict fits the column.
        Verdict::Low(under) => (format!("{:.*} low", if under <= -10.0 { 0 } else { 1 }, under), theme.warn()),
        Verdict::InRange => ("in range".to_string(), theme.good()),
    };
    let mut lines = vec![
        Line::from(Span::styled("LUFS", theme.dim())),
        value("M  ", lufs(l.momentary_lufs)),
        value("S  ", lufs(l.short_term_lufs)),
        value("I  ", lufs(l.integrated_lufs)),
        value("LRA", format!("{:5.1}", l.range_lu)),
        Line::from(vec![Span::styled("TP ", theme.dim()), Span::styled(lufs(l.true_peak_dbtp), tp_style)]),
        Line::raw(""),
        value("pk ", db(held_db)),
        value("max", db(meter.max_db)),
        Line::from(Span::styled(format!("{:.0}..{:.0}", target.low_db, target.high_db), theme.dim())),
        Line::from(Span::styled(verdict, style)),
    ];
    if meter.overs() > 0 {
        lines.push(Line::from(Span::styled(format!("CLIP {}", meter.overs()), theme.error())));
    }
    lines
}
