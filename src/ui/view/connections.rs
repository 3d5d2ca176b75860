//! The connections list (`P`): each connection the layout asks for that JACK has not made,
//! with why (a port not there yet, or one facing the wrong way).

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph, Wrap};

use super::Theme;
use crate::ui::model::App;

pub fn draw(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let unconnected = &app.readings.unconnected;
    let title = match unconnected.len() {
        0 => "connections".to_string(),
        n => format!("connections: {n} not made"),
    };
    let block = Block::bordered().title(Span::styled(title, theme.accent())).border_style(theme.dim());
    let mut lines: Vec<Line> = unconnected
        .iter()
        .map(|u| {
            let why = u.refused.clone().unwrap_or_else(|| "waiting for the port; made when it appears".to_string());
            Line::from(vec![
                Span::styled("✗ ", theme.error()),
                Span::styled(format!("{} → {}", u.from, u.to), theme.plain()),
                Span::styled(format!("  {why}"), theme.dim()),
            ])
        })
        .collect();
    if lines.is_empty() {
        lines.push(Line::styled("Every connection the layout asks for is made.", theme.good()));
    }
    lines.push(Line::raw(""));
    lines.push(Line::styled(
        "`headroom ports SESSION` lists the server's ports and where each of the layout's would go.",
        theme.dim(),
    ));
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }).block(block), area);
}
