//! Drawing the console: `draw` renders an `App` into a ratatui frame and nothing else.
//! Where things sit comes from `ui::layout`, which the mouse handling reads too, so a
//! click lands on what was drawn there.

mod automation;
mod connections;
mod detail;
mod help;
mod strip;

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph};

pub use super::layout::{StripRows, strip_rows};
use super::model::{App, Overlay, PromptFor, clock};
use crate::control::surface::LinkState;

/// Draws `block` over `area` and splits its inside into the parameter list on the left (at
/// most `list_w` columns, half the width) and the panel right of it: the detail's and the
/// automation view's shape.
fn list_and_panel(frame: &mut Frame, area: Rect, block: ratatui::widgets::Block, list_w: u16) -> (Rect, Rect) {
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let list_w = list_w.min(inner.width / 2);
    let panel = Rect { x: inner.x + list_w + 1, width: inner.width.saturating_sub(list_w + 1), ..inner };
    (Rect { width: list_w, ..inner }, panel)
}

/// The rows of the selected strip's parameter list (detail, automation view) that fit in
/// `height`, scrolled to keep the cursor in view: (row, parameter).
fn listed_params(app: &App, height: usize) -> Vec<(usize, crate::engine::params::ParamIndex)> {
    let params = app.detail_params();
    let first = app.detail_row.saturating_sub(height / 2).min(params.len().saturating_sub(height));
    params.into_iter().enumerate().skip(first).take(height).collect()
}

/// Styles of the console. Colours are the terminal's own named ones, which dark and light
/// themes both keep readable; monochrome (`NO_COLOR`) keeps only bold, dim and reverse.
pub struct Theme {
    mono: bool,
}

impl Theme {
    pub fn of(app: &App) -> Theme {
        Theme { mono: app.monochrome }
    }
    fn colour(&self, c: Color) -> Style {
        if self.mono { Style::new() } else { Style::new().fg(c) }
    }
    pub fn plain(&self) -> Style {
        Style::new()
    }
    pub fn dim(&self) -> Style {
        Style::new().add_modifier(Modifier::DIM)
    }
    pub fn selected(&self) -> Style {
        self.colour(Color::Cyan).add_modifier(Modifier::BOLD | Modifier::REVERSED)
    }
    pub fn accent(&self) -> Style {
        self.colour(Color::Cyan).add_modifier(Modifier::BOLD)
    }
    pub fn lit(&self, c: Color) -> Style {
        if self.mono { Style::new().add_modifier(Modifier::REVERSED) } else { Style::new().fg(Color::Black).bg(c) }
    }
    pub fn warn(&self) -> Style {
        self.colour(Color::Yellow).add_modifier(Modifier::BOLD)
    }
    pub fn error(&self) -> Style {
        self.colour(Color::Red).add_modifier(Modifier::BOLD)
    }
    pub fn good(&self) -> Style {
        self.colour(Color::Green)
    }
    /// A meter segment at `db`: green up to -18, yellow up to -6, red above.
    pub fn meter(&self, db: f32) -> Style {
        match db {
            d if d > -6.0 => self.colour(Color::Red),
            d if d > -18.0 => self.colour(Color::Yellow),
            _ => self.colour(Color::Green),
        }
    }
}

pub fn draw(frame: &mut Frame, app: &App) {
    let area = frame.area();
    let (least_w, least_h) = super::layout::SMALLEST_CONSOLE;
    if area.width < least_w || area.height < least_h {
        let note = format!(
            "terminal too small for the console: {}×{}, it needs {least_w}×{least_h}; headroom plays on",
            area.width, area.height
        );
        frame.render_widget(Paragraph::new(note).wrap(ratatui::widgets::Wrap { trim: true }), area);
        return;
    }
    let layout = app.layout(area);
    let theme = Theme::of(app);
    frame.render_widget(top_bar(app, &theme, area.width), layout.top);
    if let Some(ruler) = layout.ruler {
        strip::draw_ruler(frame, ruler, &theme);
    }
    let master = app.channels.len() - 1;
    for &(index, rect) in &layout.strips {
        if index == master {
            strip::draw_master(frame, rect, app, &theme);
        } else {
            strip::draw_strip(frame, rect, app, index, &theme);
        }
    }
    if let Some(rect) = layout.detail {
        frame.render_widget(Clear, rect);
        if app.overlay == Overlay::Automation {
            automation::draw(frame, rect, app, &theme);
        } else {
            detail::draw(frame, rect, app, &theme);
        }
    }
    let body = Rect { y: area.y + 1, height: area.height.saturating_sub(2), ..area };
    match app.overlay {
        Overlay::Help => {
            frame.render_widget(Clear, body);
            help::draw(frame, body, app, &theme);
        }
        Overlay::Connections => {
            frame.render_widget(Clear, body);
            connections::draw(frame, body, app, &theme);
        }
        _ => {}
    }
    frame.render_widget(status_line(app, &theme), layout.status);
}

/// Session, transport, engine and surface state; the least needed parts give way on narrow terminals.
fn top_bar(app: &App, theme: &Theme, width: u16) -> Paragraph<'static> {
    let r = &app.readings;
    let mut name = vec![Span::styled(format!(" {}", app.name), theme.accent())];
    // JACK renames a client whose name is taken; say so, since ports carry that name.
    if app.info.client_name != app.name {
        name.push(Span::styled(format!(" (JACK: {})", app.info.client_name), theme.dim()));
    }
    if app.is_dirty() {
        name.push(Span::styled(" ● unsaved", theme.warn()));
    }
    if app.automation_unsaved {
        name.push(Span::styled(" ✗ automation not saved", theme.error()));
    }
    let (state, state_style) = match (app.jack_gone, r.rolling) {
        (true, _) => ("✗ JACK gone, waiting for a server", theme.error()),
        (false, true) => ("▶ play", theme.good()),
        (false, false) => ("■ stop", theme.plain()),
    };
    let mut transport =
        vec![Span::styled(state, state_style), Span::raw(format!(" {}", clock(r.frame, app.info.sample_rate)))];
    if let Some((bar, beat, tick)) = r.bars_beats {
        transport.push(Span::raw(format!(" {bar}|{beat}|{tick:04}")));
    }
    if app.loop_on {
        transport.push(Span::styled(" ⟲ loop", theme.accent()));
    }
    match r.print {
        Some(p) if p.armed => transport.push(Span::styled(" ◌ PRINT armed", theme.warn())),
        Some(p) => transport.push(Span::styled(format!(" ● PRINT {:.1} s", p.seconds), theme.error())),
        None => {}
    }
    let load_style = if r.dsp_load > 70.0 { theme.error() } else { theme.plain() };
    let xrun_style = if r.xruns > 0 { theme.error() } else { theme.plain() };
    let parts = [
        name,
        transport,
        automation::write_state(app, theme).spans,
        vec![Span::styled(format!("xruns {}{}", r.xruns, xrun_detail(r, app.info.sample_rate)), xrun_style)],
        match r.unconnected.len() {
            0 => Vec::new(),
            n => vec![Span::styled(format!("✗ {n} unconnected"), theme.error())],
        },
        vec![Span::styled(format!("DSP {:4.1}%", r.dsp_load), load_style)],
        vec![Span::raw(format!("{} kHz {} fr", app.info.sample_rate as f32 / 1000.0, app.info.period))],
        surfaces(app, theme),
        vec![Span::styled("? help", theme.dim())],
    ];
    let mut spans = Vec::new();
    let mut used = 0;
    for part in parts.into_iter().filter(|p| !p.is_empty()) {
        let part_width: usize = part.iter().map(Span::width).sum::<usize>() + if spans.is_empty() { 0 } else { 3 };
        if used + part_width > width as usize {
            break;
        }
        if !spans.is_empty() {
            spans.push(Span::styled(" │ ", theme.dim()));
        }
        used += part_width;
        spans.extend(part);
    }
    Paragraph::new(Line::from(spans))
}

/// What the engine's own clock saw of the xruns, and where the last fell: " (engine 2, last
/// 0:12.345)"; nothing until one did.
pub fn xrun_detail(r: &crate::ui::model::Readings, rate: u32) -> String {
    match r.last_xrun_frame {
        Some(frame) => {
            format!(" (engine {}, last {})", r.engine_xruns, crate::automation::passes::precise_clock(frame, rate))
        }
        None => String::new(),
    }
}

/// Each surface with a light: connected, waiting for its port, or failed.
fn surfaces(app: &App, theme: &Theme) -> Vec<Span<'static>> {
    if app.surfaces.is_empty() {
        return vec![Span::styled("no surface", theme.dim())];
    }
    let mut spans = Vec::new();
    for (i, s) in app.surfaces.iter().enumerate() {
        let (light, style, note) = match s.state {
            LinkState::Connected { .. } => ("●", theme.good(), ""),
            LinkState::Waiting { .. } => ("○", theme.warn(), " (not connected)"),
            LinkState::Failed(_) => ("✗", theme.error(), " (failed)"),
        };
        if i > 0 {
            spans.push(Span::raw(", "));
        }
        spans.push(Span::styled(format!("{light} {}{note}", s.device), style));
    }
    spans
}

fn status_line(app: &App, theme: &Theme) -> Paragraph<'static> {
    if let Some(prompt) = &app.prompt {
        let question = match &prompt.purpose {
            PromptFor::Value(param) => {
                let spec = app.table.spec(*param);
                format!("{} (now {}): ", spec.id, spec.format(app.shown(*param)))
            }
            PromptFor::VersionName => "save a version named: ".to_string(),
            PromptFor::Target => "master peak target, low and high dBFS: ".to_string(),
            PromptFor::Route(index) => format!("route {} to: ", app.channels[*index].name),
            PromptFor::AddSend(index) => format!("{} sends to: ", app.channels[*index].name),
            PromptFor::Surface => "connect the surface: ".to_string(),
            PromptFor::PassName(id) => format!("name pass {id}: "),
            PromptFor::GlideTime => "Touch/Trim glide back after release, ms: ".to_string(),
            PromptFor::IdleTime => "release a control without touch sensing after, ms: ".to_string(),
            PromptFor::PrintBuses => "real-time print of the master, and of buses (names, all, or none): ".to_string(),
        };
        if !prompt.choices.is_empty() {
            let mut spans = vec![Span::styled(question, theme.accent())];
            for (i, choice) in prompt.choices.iter().enumerate() {
                let style = if i == prompt.choice { theme.selected() } else { theme.plain() };
                spans.extend([Span::styled(format!(" {choice} "), style), Span::raw(" ")]);
            }
            spans.push(Span::styled("  ←→ choose · Enter ok · Esc cancel", theme.dim()));
            return Paragraph::new(Line::from(spans));
        }
        return Paragraph::new(Line::from(vec![
            Span::styled(question, theme.accent()),
            Span::raw(prompt.text.clone()),
            Span::styled("█", theme.plain()),
            Span::styled("   Enter ok · Esc cancel", theme.dim()),
        ]));
    }
    if let Some(what) = &app.learning {
        return Paragraph::new(Line::from(vec![
            Span::styled(format!("MIDI learn: move a control on a surface for {what}"), theme.warn()),
            Span::styled("   Esc cancel", theme.dim()),
        ]));
    }
    if let Some(status) = &app.status {
        let style = if status.error { theme.error() } else { theme.good() };
        return Paragraph::new(Span::styled(status.text.clone(), style));
    }
    let hint = match app.overlay {
        Overlay::Detail => "↑↓ param ←→ adjust Enter type 0 default a send r route [ ] strip Esc ? help",
        Overlay::Automation => "↑↓ param ←→ ride 1-6 mode W write PgUp/PgDn pass x out/in n name u/U pass Esc ? help",
        Overlay::Help => "↑↓ scroll  any other key closes",
        Overlay::Connections => "P or Esc closes",
        Overlay::None => "←→ select ↑↓ fader m mute s solo d detail Space play ^S save u undo ? help",
    };
    Paragraph::new(Span::styled(hint, theme.dim()))
}
