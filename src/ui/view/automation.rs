//! The automation view of the selected strip: its parameters with their modes, the lane of
//! the one under the cursor drawn around the play position, and the pass history.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Color, Style};
use ratatui::symbols::Marker;
use ratatui::text::{Line, Span};
use ratatui::widgets::canvas::{Canvas, Line as Segment};
use ratatui::widgets::{Block, Paragraph};

use super::{Theme, list_and_panel, listed_params};
use crate::automation::Mode;
use crate::automation::passes::clock;
use crate::engine::params::{ParamSpec, Unit};
use crate::ui::model::{App, AutomationReading, short_id};

/// Seconds of the lane on screen, and how far into them the play position sits.
const WINDOW_S: f64 = 20.0;
const BEFORE_PLAY_S: f64 = 5.0;

pub fn draw(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let ch = app.selected_channel();
    let block = Block::bordered()
        .title(Span::styled(format!("{} — automation", ch.name), theme.accent()))
        .title(write_state(app, theme).right_aligned())
        .title_bottom(Span::styled("1-6 mode · W write · PgUp/PgDn pass · x out/in · n name · Esc", theme.dim()))
        .border_style(theme.accent());
    let (list, right) = list_and_panel(frame, area, block, 36);
    frame.render_widget(Paragraph::new(parameter_lines(app, list.height as usize, theme)), list);
    let passes = (app.automation.store.passes().len().max(1) as u16 + 2).min(right.height / 2);
    let lane_h = right.height.saturating_sub(passes);
    if lane_h >= 4 {
        draw_lane(frame, Rect { height: lane_h, ..right }, app, theme);
    }
    let below = Rect { y: right.y + lane_h, height: right.height - lane_h, ..right };
    frame.render_widget(Paragraph::new(pass_lines(app, below.height as usize, theme)), below);
}

/// Write enable, loud when armed.
pub fn write_state(app: &App, theme: &Theme) -> Line<'static> {
    let r = &app.readings;
    match (r.write_enabled, r.pass_open) {
        (true, true) => Line::styled("● WRITING", theme.lit(Color::Red)),
        (true, false) => Line::styled("● WRITE ARMED", theme.error()),
        (false, _) => Line::styled("write off", theme.dim()),
    }
}

/// How a mode reads on screen: quiet when off, warmer the more it writes.
pub fn mode_style(mode: Mode, theme: &Theme) -> Style {
    match mode {
        Mode::Off => theme.dim(),
        Mode::Read => theme.good(),
        Mode::Touch | Mode::Latch | Mode::Trim => theme.warn(),
        Mode::Write => theme.error(),
    }
}

/// One column for a mode, beside a parameter in the detail.
pub fn mode_mark(mode: Mode) -> &'static str {
    match mode {
        Mode::Off => " ",
        Mode::Read => "R",
        Mode::Write => "W",
        Mode::Touch => "T",
        Mode::Latch => "L",
        Mode::Trim => "±",
    }
}

/// The strip's parameters: name, mode, value as it plays, and a light while a hand is on it.
fn parameter_lines(app: &App, height: usize, theme: &Theme) -> Vec<Line<'static>> {
    listed_params(app, height)
        .into_iter()
        .map(|(row, param)| {
            let spec = app.table.spec(param);
            let a = app.automation_of(param);
            let cursor = row == app.detail_row;
            let style = |s: Style| if cursor { theme.selected() } else { s };
            Line::from(vec![
                Span::styled(format!("{:<16}", short_id(&spec.id)), style(theme.plain())),
                Span::styled(format!("{:<6}", a.mode.name()), style(mode_style(a.mode, theme))),
                Span::styled(format!("{:>12}", spec.format(app.shown(param))), style(value_style(a, theme))),
                touch_light(a, theme),
            ])
        })
        .collect()
}

/// A value automation drives: green while its lane plays, red while it is written.
pub fn value_style(a: AutomationReading, theme: &Theme) -> Style {
    match (a.writing(), a.drives()) {
        (true, _) => theme.error(),
        (false, true) => theme.good(),
        _ => theme.plain(),
    }
}

fn touch_light(a: AutomationReading, theme: &Theme) -> Span<'static> {
    if a.touched() { Span::styled("●", theme.warn()) } else { Span::raw(" ") }
}

/// Where a value sits on the lane's vertical axis (0 bottom .. 1 top): faders and sends on
/// the fader's travel, frequencies on a log scale, the rest straight across their range.
fn height_of(spec: &ParamSpec, value: f32) -> f64 {
    let fraction = match spec.unit {
        _ if spec.taper.is_some() => spec.position(value),
        Unit::Hz if spec.min > 0.0 => (value / spec.min).max(1.0).ln() / (spec.max / spec.min).ln(),
        _ => (value - spec.min) / (spec.max - spec.min),
    };
    fraction.clamp(0.0, 1.0) as f64
}

/// The lane of the parameter under the cursor over the seconds around the play position,
/// with the play position as a vertical line.
fn draw_lane(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let param = app.detail_param();
    let spec = app.table.spec(param);
    let rate = app.info.sample_rate.max(1) as f64;
    let now = app.readings.frame as f64 / rate;
    let start = (now - BEFORE_PLAY_S).max(0.0);
    let end = start + WINDOW_S;
    let lane = app.automation.lanes.get(&param);
    let dots = area.width as usize * 2;
    let curve: Vec<(f64, f64)> = match lane {
        Some(lane) => (0..=dots)
            .filter_map(|i| {
                let t = start + WINDOW_S * i as f64 / dots as f64;
                lane.value_at((t * rate) as u64).map(|v| (t, height_of(spec, v)))
            })
            .collect(),
        None => Vec::new(),
    };
    let mono = app.monochrome;
    let colour = |c: Color| if mono { Color::Reset } else { c };
    let label_style = theme.dim();
    let caption = match lane {
        Some(lane) => format!("{} · {} points", spec.id, lane.points().len()),
        None => format!("{} · no lane yet", spec.id),
    };
    let played = height_of(spec, app.shown(param));
    let ticks: Vec<(f64, String)> =
        (0..4).map(|k| start + WINDOW_S * k as f64 / 4.0).map(|t| (t, clock((t * rate) as u64, rate as u32))).collect();
    let (top, bottom) = (spec.format(spec.max), spec.format(spec.min));
    let canvas =
        Canvas::default().marker(Marker::Braille).x_bounds([start, end]).y_bounds([0.0, 1.0]).paint(move |ctx| {
            for pair in curve.windows(2) {
                let ((x1, y1), (x2, y2)) = (pair[0], pair[1]);
                ctx.draw(&Segment { x1, y1, x2, y2, color: colour(Color::Cyan) });
            }
            ctx.draw(&Segment { x1: now, y1: 0.0, x2: now, y2: 1.0, color: colour(Color::Yellow) });
            ctx.draw(&Segment { x1: now - 0.05, y1: played, x2: now + 0.05, y2: played, color: colour(Color::White) });
            ctx.layer();
            for (t, label) in &ticks {
                ctx.print(*t, 0.0, Span::styled(label.clone(), label_style));
            }
            ctx.print(start, 1.0, Span::styled(format!("{top}  {caption}"), label_style));
            ctx.print(start, 0.12, Span::styled(bottom.clone(), label_style));
        });
    frame.render_widget(canvas, area);
}

/// The pass history, newest first: which pass, what it wrote and when, taken out or not.
fn pass_lines(app: &App, height: usize, theme: &Theme) -> Vec<Line<'static>> {
    let panel = &app.automation;
    let rate = app.info.sample_rate;
    let lane_id = &app.table.spec(app.detail_param()).id;
    let mut lines = vec![Line::from(vec![
        Span::styled("passes ", theme.accent()),
        Span::styled(format!("· glide {} ms (g) · idle {} ms (G)", panel.glide_ms, panel.idle_ms), theme.dim()),
    ])];
    if panel.store.passes().is_empty() {
        lines.push(Line::styled("  none yet: pick a mode (1-6), arm writing (W), play and ride", theme.dim()));
    }
    let shown = height.saturating_sub(1);
    let first = panel.pass_row.saturating_sub(shown.saturating_sub(1));
    for (row, pass) in panel.passes_newest_first().enumerate().skip(first).take(shown) {
        let cursor = row == panel.pass_row;
        let style = match (cursor, pass.active) {
            (true, _) => theme.selected(),
            (false, true) => theme.plain(),
            (false, false) => theme.dim(),
        };
        // The time of day it was made: the date is in the file.
        let made = pass.made.get(11..16).unwrap_or(&pass.made);
        let mut spans = vec![
            Span::styled(if pass.writes.contains_key(lane_id) { "•" } else { " " }, theme.accent()),
            Span::styled(format!(" {} at {made}", pass.describe(rate)), style),
        ];
        if !pass.active {
            spans.push(Span::styled(" taken out", theme.warn()));
        }
        lines.push(Line::from(spans));
    }
    lines
}
