//! Meter ballistics and scales, computed on the UI side from the engine's held peaks
//! (the engine only reports the highest sample since the last read).

use crate::dsp::param::Taper;

/// Levels below this read as silence.
pub const FLOOR_DB: f32 = -90.0;
/// How long the peak-hold marker stays before it falls.
pub const HOLD_S: f32 = 2.0;
/// Fall-back rate of the bar and of an expired hold marker: 20 dB in 1.7 s, the return
/// time of a digital peak meter in IEC 60268-18.
pub const RELEASE_DB_PER_S: f32 = 20.0 / 1.7;

pub fn gain_to_db(gain: f32) -> f32 {
    if gain > 0.0 { (20.0 * gain.log10()).max(FLOOR_DB) } else { FLOOR_DB }
}

/// One side of a peak meter: instant rise, timed fall, a hold marker and a clip latch.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PeakMeter {
    pub level_db: f32,
    pub hold_db: f32,
    hold_age_s: f32,
    /// Set when a sample reached full scale; stays until cleared by the user.
    pub clipped: bool,
}

impl Default for PeakMeter {
    fn default() -> Self {
        Self { level_db: FLOOR_DB, hold_db: FLOOR_DB, hold_age_s: 0.0, clipped: false }
    }
}

impl PeakMeter {
    /// Takes the peak (linear) seen over the last `dt_s` seconds.
    pub fn update(&mut self, peak: f32, dt_s: f32) {
        let db = gain_to_db(peak);
        let fall = RELEASE_DB_PER_S * dt_s;
        self.level_db = db.max(self.level_db - fall).max(FLOOR_DB);
        if db >= self.hold_db {
            self.hold_db = db;
            self.hold_age_s = 0.0;
        } else {
            self.hold_age_s += dt_s;
            if self.hold_age_s > HOLD_S {
                self.hold_db = (self.hold_db - fall).max(self.level_db);
            }
        }
        // A float mix only clips when it leaves the program; full scale is where it would.
        self.clipped |= peak >= 1.0;
    }
}

/// Meter scale in dBFS: more room near full scale, where mixing decisions happen.
pub const METER: Taper = Taper(&[
    (0.0, 1.0),
    (-6.0, 0.85),
    (-12.0, 0.7),
    (-18.0, 0.57),
    (-24.0, 0.45),
    (-36.0, 0.28),
    (-48.0, 0.14),
    (-60.0, 0.0),
]);
/// Marks drawn on the meter scale.
pub const METER_MARKS: [f32; 8] = [0.0, -6.0, -12.0, -18.0, -24.0, -36.0, -48.0, -60.0];

pub const FADER_MARKS: [f32; 6] = [10.0, 0.0, -10.0, -20.0, -40.0, -60.0];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn peaks_rise_at_once_and_fall_at_the_iec_return_rate() {
        let mut m = PeakMeter::default();
        m.update(0.5, 1.0 / 30.0);
        assert!((m.level_db + 6.02).abs() < 0.01);
        // One second of silence: the bar falls 11.8 dB, the hold stays.
        for _ in 0..30 {
            m.update(0.0, 1.0 / 30.0);
        }
        assert!((m.level_db - (-6.02 - RELEASE_DB_PER_S)).abs() < 0.05, "{}", m.level_db);
        assert!((m.hold_db + 6.02).abs() < 0.01);
        // After the hold time the marker falls too, never below the bar.
        for _ in 0..45 {
            m.update(0.0, 1.0 / 30.0);
        }
        assert!(m.hold_db < -6.5 && m.hold_db >= m.level_db);
        assert!(!m.clipped);
    }

    #[test]
    fn a_full_scale_sample_latches_the_clip_light() {
        let mut m = PeakMeter::default();
        m.update(1.02, 0.03);
        m.update(0.0, 10.0);
        assert!(m.clipped);
    }

    #[test]
    fn the_meter_scale_maps_both_ways() {
        assert!((METER.position(-3.0) - 0.925).abs() < 1e-6);
        assert!((METER.value_at(METER.position(-30.0)) + 30.0).abs() < 1e-4);
    }
}
