//! The mouse on the console: strips selected, faders dragged (a touch while held), buttons clicked.

use super::*;

impl App {
    pub(super) fn mouse(&mut self, m: MouseEvent, effects: &mut Vec<Effect>) {
        if self.overlay != Overlay::None || self.prompt.is_some() {
            return;
        }
        let area = Rect::new(0, 0, self.size.0, self.size.1);
        let layout = self.layout(area);
        let at = Position::new(m.column, m.row);
        let hit = layout.strips.iter().find(|(_, r)| r.contains(at)).copied();
        match m.kind {
            MouseEventKind::Down(MouseButton::Left) => {
                let Some((index, rect)) = hit else { return };
                self.select(index);
                let rows = layout::strip_rows(rect);
                let ch = self.channels[index].clone();
                if rows.travel.contains(at) {
                    // A hand on the fader until the button comes up: Touch and Latch write meanwhile.
                    self.dragging = Some(index);
                    effects.push(Effect::Engine(Command::Touch { param: ch.fader, touched: true }));
                    self.fader_to(index, rows.travel, m.row, effects);
                } else if rows.buttons.contains(at) {
                    let x = m.column - rows.buttons.x;
                    let param =
                        [ch.mute, ch.mute, ch.solo, ch.solo, ch.solo_safe, ch.solo_safe].get(x as usize).copied();
                    if let Some(param) = param {
                        self.toggle(param, effects);
                    }
                } else if rows.pan.contains(at) {
                    self.set(ch.pan, 0.0, effects);
                }
            }
            MouseEventKind::Drag(MouseButton::Left) => {
                if let Some(index) = self.dragging
                    && let Some((_, rect)) = layout.strips.iter().find(|(i, _)| *i == index)
                {
                    self.fader_to(index, layout::strip_rows(*rect).travel, m.row, effects);
                }
            }
            MouseEventKind::Up(_) => {
                if let Some(index) = self.dragging.take() {
                    let fader = self.channels[index].fader;
                    effects.push(Effect::Engine(Command::Touch { param: fader, touched: false }));
                }
            }
            MouseEventKind::ScrollUp | MouseEventKind::ScrollDown => {
                let Some((index, rect)) = hit else { return };
                let direction = if m.kind == MouseEventKind::ScrollUp { 1.0 } else { -1.0 };
                let ch = &self.channels[index];
                let param = if layout::strip_rows(rect).pan.contains(at) { ch.pan } else { ch.fader };
                self.step(param, direction, false, effects);
            }
            _ => {}
        }
    }

    /// Moves a fader to where the mouse is on its travel.
    pub(super) fn fader_to(&mut self, index: usize, travel: Rect, row: u16, effects: &mut Vec<Effect>) {
        let span = travel.height.saturating_sub(1).max(1) as f32;
        let position = 1.0 - (row.saturating_sub(travel.y) as f32 / span).clamp(0.0, 1.0);
        // Whole tenths of a dB: a mouse cannot place finer, and the value reads cleanly.
        let fader = self.channels[index].fader;
        let db = (self.table.spec(fader).value_at(position) * 10.0).round() / 10.0;
        self.set(fader, db, effects);
    }
}
