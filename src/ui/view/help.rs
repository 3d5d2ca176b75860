//! The key help, printed from the binding table.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph, Wrap};

use super::Theme;
use crate::ui::keys::{BINDINGS, Scope};
use crate::ui::model::App;

/// Two columns when there is room (strips and detail, then automation and the keys that
/// work everywhere).
pub fn draw(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let block = Block::bordered().title(Span::styled("keys", theme.accent())).border_style(theme.dim());
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let sections = [
        (Scope::Console, "Strips"),
        (Scope::Detail, "Strip detail (d)"),
        (Scope::Automation, "Automation view (A), besides the detail's keys"),
        (Scope::Global, "Everywhere"),
    ];
    let mouse = Line::from(Span::styled(
        "Mouse: click a strip to select it, drag its fader (a touch while held), click M/S/sf, scroll over a fader or pan.",
        theme.dim(),
    ));
    if inner.width >= 100 {
        let half = inner.width / 2;
        let mut right = section_lines(&sections[2..], theme);
        right.push(mouse);
        let scroll = (app.help_scroll, 0);
        frame.render_widget(
            Paragraph::new(section_lines(&sections[..2], theme)).wrap(Wrap { trim: false }).scroll(scroll),
            Rect { width: half, ..inner },
        );
        frame.render_widget(
            Paragraph::new(right).wrap(Wrap { trim: false }).scroll(scroll),
            Rect { x: inner.x + half, width: inner.width - half, ..inner },
        );
    } else {
        let mut lines = section_lines(&sections, theme);
        lines.push(mouse);
        frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }).scroll((app.help_scroll, 0)), inner);
    }
}

fn section_lines(sections: &[(Scope, &'static str)], theme: &Theme) -> Vec<Line<'static>> {
    let mut lines = Vec::new();
    for &(scope, heading) in sections {
        lines.push(Line::from(Span::styled(heading, theme.accent())));
        for b in BINDINGS.iter().filter(|b| b.scope == scope) {
            lines.push(Line::from(vec![Span::raw(format!("  {:<13}", b.label)), Span::styled(b.help, theme.plain())]));
        }
        lines.push(Line::raw(""));
    }
    lines
}
