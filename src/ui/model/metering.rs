//! The meters' numbers that gain staging is done by: each channel's peak and count of
//! samples over full scale since the meters were last reset, the master's peak target and
//! its verdict, and the reset itself (which starts the loudness meters again too). The
//! console draws them; the typed `meters` command prints them.

use super::{App, Effect, Readings, Verdict};
use crate::engine::channel_params::METER_POINTS;
use crate::engine::params::ParamIndex;
use crate::session::target::target_problem;
use crate::ui::meters::{FLOOR_DB, gain_to_db};

impl App {
    /// Takes a reading's peaks into the meters' ballistics and the since-reset figures, and
    /// resets them when the transport rolls from the very start, if the session asks.
    pub(super) fn take_meters(&mut self, r: &Readings, effects: &mut Vec<Effect>) {
        let rolls_from_start = !self.readings.rolling && r.rolling && self.readings.frame == 0;
        if rolls_from_start && self.doc.meters.reset_on_roll_from_start {
            self.reset_meters(effects);
        }
        let dt = (r.now_s - self.readings.now_s).clamp(0.0, 0.5) as f32;
        for (meter, reading) in self.meters.iter_mut().zip(&r.channels) {
            for (side, peak) in meter.sides.iter_mut().zip(reading.peak) {
                side.update(peak, dt);
            }
            meter.gain_reduction_db = reading.gain_reduction_db;
            meter.max_db = meter.max_db.max(gain_to_db(reading.peak[0].max(reading.peak[1])));
            meter.overs_now = reading.overs;
        }
    }

    /// Clip lights and counts, peaks since the reset, and the loudness meters all start again.
    pub(super) fn reset_meters(&mut self, effects: &mut Vec<Effect>) {
        for m in &mut self.meters {
            m.sides.iter_mut().for_each(|s| s.clipped = false);
            m.max_db = FLOOR_DB;
            m.overs_at_reset = m.overs_now;
        }
        effects.push(Effect::ResetLoudness);
        self.say(
            "meters reset: peaks, clip counts, integrated loudness, range and true peak start again".into(),
            false,
        );
    }

    /// Sets the master's peak target from "LOW HIGH" in dBFS; it is saved with the session.
    pub(super) fn set_target(&mut self, text: &str) -> Result<(), String> {
        let numbers: Vec<f32> = text.split_whitespace().map(str::parse).collect::<Result<_, _>>().map_err(|_| {
            format!("expected two levels in dBFS, low then high (e.g. -10 -6), found \"{}\"", text.trim())
        })?;
        let &[low, high] = numbers.as_slice() else {
            return Err(format!("expected two levels in dBFS, low then high (e.g. -10 -6), found \"{}\"", text.trim()));
        };
        if let Some(problem) = target_problem([low, high]) {
            return Err(problem);
        }
        self.doc.meters.peak_target_db = [low, high];
        self.say(format!("peak target {low} .. {high} dBFS"), false);
        Ok(())
    }

    /// The master's peak since the reset against the target (the held 2-second peak comes
    /// and goes; the song's peak is what a print will have).
    pub fn master_verdict(&self) -> Verdict {
        let master = self.meters.last().map_or(FLOOR_DB, |m| m.max_db);
        self.target().judge(master, FLOOR_DB)
    }

    /// Where channel `index`'s meter reads, by name.
    pub fn meter_point(&self, index: usize) -> &'static str {
        match self.channels[index].meter {
            Some(point) => METER_POINTS.get(self.targets.get(point) as usize).copied().unwrap_or("post-fader"),
            None => "outputs",
        }
    }

    /// Moves every strip's and bus's meter to the point after the selected channel's (the
    /// first strip's when the master is selected), as one undo step.
    pub(super) fn next_meter_point(&mut self, effects: &mut Vec<Effect>) {
        let points: Vec<ParamIndex> = self.channels.iter().filter_map(|ch| ch.meter).collect();
        let Some(&from) = self.channels[self.selected].meter.as_ref().or(points.first()) else { return };
        let next = (self.targets.get(from) as usize + 1) % METER_POINTS.len();
        for point in points {
            self.set_value(point, next as f32, false, effects);
        }
        self.say(format!("meters read {} on every strip and bus", METER_POINTS[next]), false);
    }

    /// One line per channel, then the master's loudness: what `meters` prints.
    pub(super) fn meters_report(&self) -> Vec<String> {
        let db = |v: f32| if v > FLOOR_DB { format!("{v:6.1}") } else { "  -inf".into() };
        let mut lines: Vec<String> = self
            .channels
            .iter()
            .zip(&self.meters)
            .enumerate()
            .map(|(i, (ch, m))| {
                format!("{:<16} peak {} dBFS  over {:<6} ({})", ch.name, db(m.max_db), m.overs(), self.meter_point(i))
            })
            .collect();
        let l = &self.readings.loudness;
        let lufs = |v: f32| if v > -70.0 { format!("{v:.1}") } else { "-".into() };
        let target = self.target();
        let verdict = match self.master_verdict() {
            Verdict::Silent => "nothing played".to_string(),
            Verdict::Hot(over) => format!("{over:+.1} dB hot"),
            Verdict::Low(under) => format!("{under:.1} dB low"),
            Verdict::InRange => "in range".to_string(),
        };
        lines.push(format!(
            "master target {} .. {} dBFS: {verdict}; I {} LUFS  LRA {:.1} LU  TP {} dBTP",
            target.low_db,
            target.high_db,
            lufs(l.integrated_lufs),
            l.range_lu,
            lufs(l.true_peak_dbtp),
        ));
        lines
    }
}
