//! Stereo reverb for FX buses: the Schroeder/Moorer network popularised by
//! Freeverb (eight damped feedback combs in parallel, four allpasses in series,
//! a slightly detuned set for the right channel to decorrelate the sides).

use super::AudioBlock;
use super::param::{ParamDef, Unit};

/// Comb and allpass lengths at 44.1 kHz (Freeverb's tuning), scaled to the session rate.
const COMB_TUNING: [usize; 8] = [1116, 1188, 1277, 1356, 1422, 1491, 1557, 1617];
const ALLPASS_TUNING: [usize; 4] = [556, 441, 341, 225];
const STEREO_SPREAD: usize = 23;
const INPUT_GAIN: f32 = 0.015;

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ReverbSettings {
    /// 0..1, longer tails as it grows.
    pub size: f32,
    /// 0..1, darker tails as it grows.
    pub damping: f32,
    /// 0..1 stereo width of the tail.
    pub width: f32,
    /// Wet/dry: 1 = only the reverb (the usual setting on an FX bus).
    pub mix: f32,
}

/// The reverb's parameters, in the order `ReverbSettings::from_values` reads them.
pub const REVERB_PARAMS: [ParamDef; 4] = [
    ParamDef::setting("size", "size", Unit::Amount, (0.0, 1.0), 0.75, "room size: longer tails as it grows"),
    ParamDef::setting("damping", "damping", Unit::Amount, (0.0, 1.0), 0.5, "darker tails as it grows"),
    ParamDef::setting("width", "width", Unit::Amount, (0.0, 1.0), 1.0, "stereo width of the tail"),
    ParamDef::setting("mix", "mix", Unit::Amount, (0.0, 1.0), 1.0, "wet/dry; 1 is only the reverb"),
];

impl ReverbSettings {
    /// Settings from values in the order of `REVERB_PARAMS`.
    pub fn from_values(values: &[f32; REVERB_PARAMS.len()]) -> Self {
        let [size, damping, width, mix] = *values;
        Self { size, damping, width, mix }
    }
}

struct Comb {
    buf: Vec<f32>,
    pos: usize,
    filter_state: f32,
}

impl Comb {
    #[inline(always)]
    fn tick(&mut self, input: f32, feedback: f32, damp: f32) -> f32 {
        let out = self.buf[self.pos];
        self.filter_state = out * (1.0 - damp) + self.filter_state * damp;
        self.buf[self.pos] = input + self.filter_state * feedback;
        self.pos = if self.pos + 1 == self.buf.len() { 0 } else { self.pos + 1 };
        out
    }
}

struct Allpass {
    buf: Vec<f32>,
    pos: usize,
}

impl Allpass {
    #[inline(always)]
    fn tick(&mut self, input: f32) -> f32 {
        let delayed = self.buf[self.pos];
        self.buf[self.pos] = input + delayed * 0.5;
        self.pos = if self.pos + 1 == self.buf.len() { 0 } else { self.pos + 1 };
        delayed - input
    }
}

pub struct Reverb {
    settings: ReverbSettings,
    /// [side][comb]
    combs: [Vec<Comb>; 2],
    allpasses: [Vec<Allpass>; 2],
}

impl Reverb {
    pub fn new(settings: ReverbSettings, sample_rate: f32) -> Self {
        let scale = sample_rate / 44_100.0;
        let sized = |n: usize, side: usize| ((n + side * STEREO_SPREAD) as f32 * scale).round().max(1.0) as usize;
        let combs = std::array::from_fn(|side| {
            COMB_TUNING.iter().map(|&n| Comb { buf: vec![0.0; sized(n, side)], pos: 0, filter_state: 0.0 }).collect()
        });
        let allpasses = std::array::from_fn(|side| {
            ALLPASS_TUNING.iter().map(|&n| Allpass { buf: vec![0.0; sized(n, side)], pos: 0 }).collect()
        });
        Self { settings, combs, allpasses }
    }

    pub fn set(&mut self, settings: ReverbSettings) {
        self.settings = settings;
    }

    pub fn process(&mut self, block: &mut AudioBlock) {
        let s = self.settings;
        let feedback = 0.7 + 0.28 * s.size.clamp(0.0, 1.0);
        let damp = 0.4 * s.damping.clamp(0.0, 1.0);
        let wet = s.mix.clamp(0.0, 1.0);
        let dry = 1.0 - wet;
        let width = s.width.clamp(0.0, 1.0);
        let (wet_same, wet_cross) = (wet * (0.5 + width * 0.5), wet * (0.5 - width * 0.5));
        let stereo = block.channels() == 2;
        for i in 0..block.frames() {
            let left_in = block.channel(0)[i];
            let right_in = if stereo { block.channel(1)[i] } else { left_in };
            let input = (left_in + right_in) * INPUT_GAIN;
            let mut sides = [0.0f32; 2];
            for (side, out) in sides.iter_mut().enumerate() {
                let mut acc = 0.0;
                for comb in &mut self.combs[side] {
                    acc += comb.tick(input, feedback, damp);
                }
                for ap in &mut self.allpasses[side] {
                    acc = ap.tick(acc);
                }
                *out = acc;
            }
            let [l, r] = sides;
            block.channel_mut(0)[i] = left_in * dry + l * wet_same + r * wet_cross;
            if stereo {
                block.channel_mut(1)[i] = right_in * dry + r * wet_same + l * wet_cross;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_impulse_leaves_a_decaying_decorrelated_tail() {
        let mut rev = Reverb::new(ReverbSettings { size: 0.7, damping: 0.4, width: 1.0, mix: 1.0 }, 48_000.0);
        let mut block = AudioBlock::new(2);
        let mut energy = Vec::new();
        let mut diff = 0.0f64;
        for n in 0..1500 {
            block.clear();
            if n == 0 {
                block.channel_mut(0)[0] = 1.0;
                block.channel_mut(1)[0] = 1.0;
            }
            rev.process(&mut block);
            energy.push(block.channel(0).iter().map(|x| (x * x) as f64).sum::<f64>());
            diff += block.channel(0).iter().zip(block.channel(1)).map(|(a, b)| ((a - b) * (a - b)) as f64).sum::<f64>();
        }
        let early: f64 = energy[20..200].iter().sum();
        let late: f64 = energy[1300..1500].iter().sum();
        assert!(early > 1e-4, "tail present: {early}");
        assert!(late < early * 0.01, "tail decays: {late} vs {early}");
        assert!(diff > 1e-4, "sides differ");
    }
}
