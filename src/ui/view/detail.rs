//! The selected strip in detail: every parameter, the EQ curve, dynamics, sends and routing.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Color;
use ratatui::symbols::Marker;
use ratatui::text::{Line, Span};
use ratatui::widgets::canvas::{Canvas, Line as Segment, Points};
use ratatui::widgets::{Block, Paragraph};

use super::automation::{mode_mark, mode_style, value_style};
use super::{Theme, list_and_panel, listed_params};
use crate::dsp::eq::{BandSettings, HighPassSettings, HpfSlope, front_response_db};
use crate::engine::params::{Section, SendParams};
use crate::ui::meters::FLOOR_DB;
use crate::ui::model::{App, ChannelInfo, short_id};

const CURVE_DB: (f64, f64) = (-24.0, 18.0);
const CURVE_HZ: (f64, f64) = (20.0, 20_000.0);

pub fn draw(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let ch = app.selected_channel();
    let block = Block::bordered()
        .title(Span::styled(format!("{} — detail", ch.name), theme.accent()))
        .title_bottom(Span::styled("Esc closes", theme.dim()))
        .border_style(theme.accent());
    let (list, right) = list_and_panel(frame, area, block, 34);
    frame.render_widget(Paragraph::new(parameter_lines(app, list.height as usize, theme)), list);
    let info = info_lines(app, ch, right.width, theme);
    let curve_h = right.height.saturating_sub(info.len() as u16);
    if curve_h >= 4 {
        draw_curve(frame, Rect { height: curve_h, ..right }, app, ch, theme);
    }
    let info_area = Rect { y: right.y + curve_h, height: right.height - curve_h, ..right };
    frame.render_widget(Paragraph::new(info), info_area);
}

/// The parameter list, scrolled to keep the cursor in view.
fn parameter_lines(app: &App, height: usize, theme: &Theme) -> Vec<Line<'static>> {
    listed_params(app, height)
        .into_iter()
        .map(|(row, param)| {
            let spec = app.table.spec(param);
            let a = app.automation_of(param);
            let text = format!("{:<20}{:>12}", short_id(&spec.id), spec.format(app.shown(param)));
            let style = match (row == app.detail_row, a.drives()) {
                (true, _) => theme.selected(),
                (false, true) => value_style(a, theme),
                (false, false) => theme.plain(),
            };
            // An automated parameter carries its mode's initial (A opens its lane).
            let mark = Span::styled(mode_mark(a.mode), mode_style(a.mode, theme));
            Line::from(vec![Span::styled(text, style), mark])
        })
        .collect()
}

/// The meter's point, the peak and the samples over full scale since the reset, gain
/// reduction, sends and routing under the curve.
fn info_lines(app: &App, ch: &ChannelInfo, width: u16, theme: &Theme) -> Vec<Line<'static>> {
    let meter = &app.meters[app.selected];
    let peak = if meter.max_db > FLOOR_DB { format!("{:.1} dBFS", meter.max_db) } else { "-inf".into() };
    let over_style = if meter.overs() > 0 { theme.error() } else { theme.plain() };
    let metering = Line::from(vec![
        Span::styled("meter ", theme.dim()),
        Span::raw(format!("{:<11}", app.meter_point(app.selected))),
        Span::styled("peak ", theme.dim()),
        Span::raw(format!("{peak:<11}")),
        Span::styled("over ", theme.dim()),
        Span::styled(meter.overs().to_string(), over_style),
    ]);
    let gr = meter.gain_reduction_db;
    let bar_w = (width as usize).saturating_sub(16).min(24);
    let filled = ((gr / 24.0).clamp(0.0, 1.0) * bar_w as f32).round() as usize;
    let mut lines = vec![
        metering,
        Line::from(vec![
            Span::styled("GR ", theme.dim()),
            Span::styled("█".repeat(filled), theme.warn()),
            Span::styled("░".repeat(bar_w - filled), theme.dim()),
            Span::raw(format!(" {:5.1} dB", -gr)),
        ]),
    ];
    for (bus, SendParams { level, pre, mute, .. }) in app.sends_in_use(app.selected) {
        let mut spans = vec![
            Span::styled(format!("send {bus:<8}"), theme.dim()),
            Span::raw(format!("{:>9} ", app.table.spec(level).format(app.shown(level)))),
            Span::raw(if app.on(pre) { "pre" } else { "post" }),
        ];
        if app.on(mute) {
            spans.push(Span::styled(" muted", theme.warn()));
        }
        lines.push(Line::from(spans));
    }
    if !ch.output.is_empty() {
        lines.push(Line::from(vec![Span::styled("routing  ", theme.dim()), Span::raw(format!("→ {}", ch.output))]));
    }
    lines
}

/// High-pass and EQ settings of the channel as they stand now.
fn front_settings(app: &App, ch: &ChannelInfo) -> (Option<(f32, HpfSlope)>, [BandSettings; 4]) {
    let shown = |p| app.shown(p);
    let hpf = ch
        .section_values(Section::Hpf, shown)
        .map(|v| HighPassSettings::from_values(&v))
        .filter(|hpf| hpf.enabled)
        .map(|hpf| (hpf.freq_hz, hpf.slope));
    let flat = BandSettings { freq_hz: 1000.0, gain_db: 0.0, q: 1.0, bypass: true };
    let bands = std::array::from_fn(|b| {
        ch.section_values(Section::Band(b as u8), shown).map_or(flat, |v| BandSettings::from_values(&v))
    });
    (hpf, bands)
}

/// The combined response of the high-pass and the four bands on a log-frequency axis.
fn draw_curve(frame: &mut Frame, area: Rect, app: &App, ch: &ChannelInfo, theme: &Theme) {
    let (hpf, bands) = front_settings(app, ch);
    let rate = app.info.sample_rate as f32;
    let (lo, hi) = (CURVE_HZ.0.log10(), CURVE_HZ.1.log10());
    // Two braille dots a cell: one point a dot column.
    let points = area.width as usize * 2;
    let curve: Vec<(f64, f64)> = (0..=points)
        .map(|i| {
            let x = lo + (hi - lo) * i as f64 / points as f64;
            let db = front_response_db(hpf, &bands, 10f64.powf(x) as f32, rate) as f64;
            (x, db.clamp(CURVE_DB.0, CURVE_DB.1))
        })
        .collect();
    let grid_dots = area.width as usize / 2;
    let mono = app.monochrome;
    let colour = |c: Color| if mono { Color::Reset } else { c };
    let label_style = theme.dim();
    let canvas = Canvas::default().marker(Marker::Braille).x_bounds([lo, hi]).y_bounds([CURVE_DB.0, CURVE_DB.1]).paint(
        move |ctx| {
            // Grid as sparse dots, so it never reads as part of the curve.
            for db in [-12.0, 0.0, 12.0] {
                let coords: Vec<(f64, f64)> =
                    (0..grid_dots).map(|i| (lo + (hi - lo) * i as f64 / grid_dots as f64, db)).collect();
                ctx.draw(&Points { coords: &coords, color: colour(Color::DarkGray) });
            }
            ctx.layer();
            for pair in curve.windows(2) {
                let ((x1, y1), (x2, y2)) = (pair[0], pair[1]);
                ctx.draw(&Segment { x1, y1, x2, y2, color: colour(Color::Cyan) });
            }
            for (hz, label) in [(20.0f64, "20"), (100.0, "100"), (1_000.0, "1k"), (10_000.0, "10k")] {
                ctx.print(hz.log10(), CURVE_DB.0, Span::styled(label, label_style));
            }
            for (db, label) in [(12.0, "+12"), (0.0, "0 dB"), (-12.0, "-12")] {
                ctx.print(lo, db, Span::styled(label, label_style));
            }
        },
    );
    frame.render_widget(canvas, area);
}
