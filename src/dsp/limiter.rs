//! Look-ahead brickwall limiter for the master bus.
//!
//! The gain needed by each sample (ceiling / |x|) is held at its minimum over
//! the look-ahead window, released exponentially, then averaged over the
//! window. Because every average that reaches a peak's (delayed) output sample
//! only contains values no larger than that peak's requirement, the peak lands
//! at or under the ceiling with a smooth, click-free gain curve. A final clamp
//! catches float rounding, so the ceiling holds to the last bit.

use super::AudioBlock;
use super::fastmath::db_to_gain_exact;
use super::param::{ParamDef, Role, Unit};
use super::smoothing::pole_for;

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LimiterSettings {
    pub ceiling_db: f32,
    pub release_ms: f32,
    pub bypass: bool,
}

/// The limiter's parameters, in the order `LimiterSettings::from_values` reads them.
pub const LIMITER_PARAMS: [ParamDef; 3] = [
    ParamDef::setting("ceiling", "ceiling_db", Unit::Db, (-12.0, 0.0), -1.0, "highest sample level let through"),
    ParamDef::setting("release", "release_ms", Unit::Ms, (5.0, 3_000.0), 60.0, "time to let go after a peak"),
    ParamDef::switch("bypass", "bypass", false, "takes the limiter out").with_role(Role::Bypass),
];

/// Look-ahead range and default, in ms: set when the session opens (it is the master's latency).
pub const LOOKAHEAD_MS: (f32, f32) = (0.1, 10.0);
pub const DEFAULT_LOOKAHEAD_MS: f32 = 1.5;

impl LimiterSettings {
    /// Settings from values in the order of `LIMITER_PARAMS`.
    pub fn from_values(values: &[f32; LIMITER_PARAMS.len()]) -> Self {
        let [ceiling_db, release_ms, bypass] = *values;
        Self { ceiling_db, release_ms, bypass: bypass >= 0.5 }
    }
}

pub struct Limiter {
    ceiling: f32,
    bypass: bool,
    release_pole: f32,
    sample_rate: f32,
    lookahead: usize,
    /// Audio delay lines, one a channel, `lookahead` long.
    delayed: [Vec<f32>; 2],
    /// Sliding minimum of the required gain: (gain, sample index) pairs, a ring used as a deque.
    min_deque: Vec<(f32, u64)>,
    deque_head: usize,
    deque_len: usize,
    /// Released gain values averaged by the box filter.
    box_values: Vec<f32>,
    box_sum: f64,
    released: f32,
    cursor: usize,
    sample_index: u64,
}

impl Limiter {
    pub fn new(settings: LimiterSettings, lookahead_ms: f32, sample_rate: f32) -> Self {
        let lookahead = ((lookahead_ms * 0.001 * sample_rate).round() as usize).max(1);
        let mut l = Self {
            ceiling: 1.0,
            bypass: false,
            release_pole: 0.0,
            sample_rate,
            lookahead,
            delayed: [vec![0.0; lookahead], vec![0.0; lookahead]],
            min_deque: vec![(1.0, 0); lookahead],
            deque_head: 0,
            deque_len: 0,
            box_values: vec![1.0; lookahead],
            box_sum: lookahead as f64,
            released: 1.0,
            cursor: 0,
            sample_index: 0,
        };
        l.set(settings);
        l
    }

    pub fn set(&mut self, settings: LimiterSettings) {
        self.ceiling = db_to_gain_exact(settings.ceiling_db);
        self.bypass = settings.bypass;
        self.release_pole = pole_for(settings.release_ms, self.sample_rate);
    }

    /// Delay the limiter adds, in frames (the output of input frame n appears at n + latency).
    pub fn latency_frames(&self) -> usize {
        self.lookahead - 1
    }

    fn sliding_min(&mut self, required: f32) -> f32 {
        let cap = self.lookahead;
        while self.deque_len > 0 {
            let back = (self.deque_head + self.deque_len - 1) % cap;
            if self.min_deque[back].0 >= required {
                self.deque_len -= 1;
            } else {
                break;
            }
        }
        let slot = (self.deque_head + self.deque_len) % cap;
        self.min_deque[slot] = (required, self.sample_index);
        self.deque_len += 1;
        let oldest_kept = (self.sample_index + 1).saturating_sub(cap as u64);
        if self.min_deque[self.deque_head].1 < oldest_kept {
            self.deque_head = (self.deque_head + 1) % cap;
            self.deque_len -= 1;
        }
        self.min_deque[self.deque_head].0
    }

    /// Limits a stereo block in place; returns the largest gain reduction in dB (>= 0).
    pub fn process(&mut self, block: &mut AudioBlock) -> f32 {
        let mut lowest_gain = 1.0f32;
        let channels = block.channels();
        for i in 0..block.frames() {
            let peak = (0..channels).fold(0.0f32, |m, ch| m.max(block.channel(ch)[i].abs()));
            let required = if self.bypass || peak <= self.ceiling { 1.0 } else { self.ceiling / peak };
            let held = self.sliding_min(required);
            self.released = if held < self.released { held } else { held + (self.released - held) * self.release_pole };
            self.box_sum += (self.released - self.box_values[self.cursor]) as f64;
            self.box_values[self.cursor] = self.released;
            let gain = (self.box_sum / self.lookahead as f64) as f32;
            lowest_gain = lowest_gain.min(gain);
            for ch in 0..channels {
                // Written lookahead-1 samples ago: the gain averaged up to now covers that sample's need.
                self.delayed[ch][self.cursor] = block.channel(ch)[i];
                let out = self.delayed[ch][(self.cursor + 1) % self.lookahead] * gain;
                block.channel_mut(ch)[i] = if self.bypass { out } else { out.clamp(-self.ceiling, self.ceiling) };
            }
            self.cursor = (self.cursor + 1) % self.lookahead;
            self.sample_index += 1;
        }
        // The running sum drifts with rounding; rebuild it once per block.
        self.box_sum = self.box_values.iter().map(|&v| v as f64).sum();
        -20.0 * lowest_gain.log10()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const FS: f32 = 48_000.0;

    #[test]
    fn a_hot_signal_never_exceeds_the_ceiling() {
        let ceiling_db = -1.0;
        let mut lim = Limiter::new(LimiterSettings { ceiling_db, release_ms: 80.0, bypass: false }, 1.5, FS);
        let ceiling = db_to_gain_exact(ceiling_db);
        let mut block = AudioBlock::new(2);
        let mut n = 0usize;
        let mut max_out = 0.0f32;
        let mut seed = 12345u32;
        for _ in 0..2_000 {
            for i in 0..64 {
                seed = seed.wrapping_mul(1664525).wrapping_add(1013904223);
                let noise = (seed >> 8) as f32 / (1 << 24) as f32 * 2.0 - 1.0;
                let t = n as f32 / FS;
                // +12 dBFS sine, sharp transients every 100 ms, noise bursts.
                let sine = 4.0 * (2.0 * std::f32::consts::PI * 110.0 * t).sin();
                let click = if n.is_multiple_of(4800) { 8.0 } else { 0.0 };
                block.channel_mut(0)[i] = sine + click + noise;
                block.channel_mut(1)[i] = -sine * 0.5 + noise * 3.0;
                n += 1;
            }
            lim.process(&mut block);
            max_out = max_out.max(block.peak());
        }
        assert!(max_out <= ceiling, "peak {max_out} above ceiling {ceiling}");
        assert!(max_out > ceiling * 0.9, "the limiter should not overdo it: {max_out}");
    }

    #[test]
    fn quiet_audio_passes_unchanged_after_the_latency() {
        let mut lim = Limiter::new(LimiterSettings { ceiling_db: -0.3, release_ms: 50.0, bypass: false }, 1.0, FS);
        let latency = lim.latency_frames();
        let input: Vec<f32> = (0..640).map(|i| (i as f32 * 0.01).sin() * 0.5).collect();
        let mut output = Vec::new();
        let mut block = AudioBlock::new(2);
        for chunk in input.chunks(64) {
            block.channel_mut(0).copy_from_slice(chunk);
            block.channel_mut(1).copy_from_slice(chunk);
            lim.process(&mut block);
            output.extend_from_slice(block.channel(0));
        }
        for i in 0..input.len() - latency {
            assert!((output[i + latency] - input[i]).abs() < 1e-6);
        }
    }
}
