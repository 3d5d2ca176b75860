//! Hardware inserts from the console and typed commands: pinging one to measure its round
//! trip, and taking the result into the mix's compensation and the session (saved as the
//! insert's `latency_frames`, so the next session opens lined up).

use super::{App, Effect, Readings};
use crate::engine::{Command, MOST_COMPENSATION};
use crate::session::write_back::{channel_of, channel_of_mut};

impl App {
    /// Pings the hardware insert of the channel `target` names (`strip.Gtr`, `bus.Drums`).
    pub(super) fn measure_insert(&mut self, target: &str, effects: &mut Vec<Effect>) -> Result<(), String> {
        let channel = self
            .table
            .channels()
            .iter()
            .position(|ch| self.table.spec(ch.fader).id == format!("{target}.fader"))
            .ok_or_else(|| format!("no strip or bus \"{target}\" (`strip.NAME` or `bus.NAME`)"))?;
        self.measure_insert_of(channel, effects)
    }

    /// Pings channel `channel`'s hardware insert (`I` on the selected strip).
    pub(super) fn measure_insert_of(&mut self, channel: usize, effects: &mut Vec<Effect>) -> Result<(), String> {
        let name = self.channels[channel].name.clone();
        if channel_of(&self.doc, channel).insert.is_none() {
            return Err(format!(
                "{name} has no hardware insert (`insert: {{send: [...], return: [...]}}` in the session)"
            ));
        }
        effects.push(Effect::Engine(Command::MeasureInsert { channel }));
        self.say(format!("{name}: pinging its hardware insert (its return is silent for half a second)"), false);
        Ok(())
    }

    /// Takes the pings that ended since the last reading: says how each went, and keeps a
    /// measured round trip in the session.
    pub(super) fn take_pings(&mut self, r: &Readings) {
        for channel in 0..self.meters.len().min(r.channels.len()) {
            let (pings, round_trip) = r.channels[channel].insert_ping;
            if pings == self.meters[channel].pings_seen {
                continue;
            }
            self.meters[channel].pings_seen = pings;
            let name = self.channels[channel].name.clone();
            if round_trip == u32::MAX {
                let text = format!(
                    "{name}: the ping did not come back through its hardware insert; check that its send and return are connected (`P` lists connections)"
                );
                self.say(text, true);
                continue;
            }
            let ms = round_trip as f64 * 1000.0 / self.info.sample_rate as f64;
            if round_trip as usize >= MOST_COMPENSATION {
                let text = format!(
                    "{name}: hardware insert round trip {round_trip} frames ({ms:.2} ms), longer than the {} frames headroom can compensate: not lined up, and not kept",
                    MOST_COMPENSATION - 1
                );
                self.say(text, true);
                continue;
            }
            if let Some(insert) = channel_of_mut(&mut self.doc, channel).insert.as_mut() {
                insert.latency_frames = Some(round_trip);
            }
            self.say(
                format!("{name}: hardware insert round trip {round_trip} frames ({ms:.2} ms), compensated"),
                false,
            );
        }
    }
}
