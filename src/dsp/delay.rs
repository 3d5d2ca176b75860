//! Stereo feedback delay for FX buses, with a damped (low-passed) feedback
//! path and gliding delay time (a time change bends pitch briefly instead of clicking).

use super::AudioBlock;
use super::param::{ParamDef, Unit};
use super::smoothing::Smoother;

/// Longest delay time the buffers hold.
pub const MAX_DELAY_MS: f32 = 4_000.0;
const TIME_GLIDE_MS: f32 = 120.0;

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct DelaySettings {
    pub time_ms: f32,
    /// 0..1 (clamped below 1 so the loop always decays).
    pub feedback: f32,
    /// Corner of the low-pass in the feedback path.
    pub damping_hz: f32,
    /// Wet/dry: 1 = only the echoes (the usual setting on an FX bus).
    pub mix: f32,
}

/// The delay's parameters, in the order `DelaySettings::from_values` reads them.
pub const DELAY_PARAMS: [ParamDef; 4] = [
    ParamDef::setting("time", "time_ms", Unit::Ms, (1.0, MAX_DELAY_MS), 375.0, "echo time (a session may sync it)"),
    ParamDef::setting("feedback", "feedback", Unit::Amount, (0.0, 0.95), 0.35, "how much of each echo comes back"),
    ParamDef::setting("damping", "damping_hz", Unit::Hz, (500.0, 20_000.0), 6_000.0, "low-pass in the feedback"),
    ParamDef::setting("mix", "mix", Unit::Amount, (0.0, 1.0), 1.0, "wet/dry; 1 is only the echoes"),
];

impl DelaySettings {
    /// Settings from values in the order of `DELAY_PARAMS`.
    pub fn from_values(values: &[f32; DELAY_PARAMS.len()]) -> Self {
        let [time_ms, feedback, damping_hz, mix] = *values;
        Self { time_ms, feedback, damping_hz, mix }
    }
}

pub struct Delay {
    settings: DelaySettings,
    sample_rate: f32,
    lines: [Vec<f32>; 2],
    write: usize,
    time_samples: Smoother,
    lowpass_pole: f32,
    lowpass_state: [f32; 2],
}

impl Delay {
    pub fn new(settings: DelaySettings, sample_rate: f32) -> Self {
        let len = (MAX_DELAY_MS * 0.001 * sample_rate) as usize + 2;
        let mut d = Self {
            settings,
            sample_rate,
            lines: [vec![0.0; len], vec![0.0; len]],
            write: 0,
            time_samples: Smoother::new(Self::samples_for(settings.time_ms, sample_rate), TIME_GLIDE_MS, sample_rate),
            lowpass_pole: 0.0,
            lowpass_state: [0.0; 2],
        };
        d.set(settings);
        d
    }

    fn samples_for(time_ms: f32, sample_rate: f32) -> f32 {
        (time_ms.clamp(1.0, MAX_DELAY_MS) * 0.001 * sample_rate).max(1.0)
    }

    pub fn set(&mut self, settings: DelaySettings) {
        self.settings = settings;
        self.time_samples.set_target(Self::samples_for(settings.time_ms, self.sample_rate));
        // One-pole low-pass: pole from the corner frequency.
        self.lowpass_pole = (-2.0 * std::f32::consts::PI * settings.damping_hz / self.sample_rate).exp();
    }

    /// Jumps to the delay time without gliding.
    pub fn settle(&mut self) {
        self.time_samples.reset(self.time_samples.target());
    }

    pub fn process(&mut self, block: &mut AudioBlock) {
        let len = self.lines[0].len();
        let feedback = self.settings.feedback.clamp(0.0, 0.98);
        let (wet, dry) = (self.settings.mix.clamp(0.0, 1.0), 1.0 - self.settings.mix.clamp(0.0, 1.0));
        let channels = block.channels();
        for i in 0..block.frames() {
            let delay = self.time_samples.step();
            let read_pos = self.write as f32 + len as f32 - delay;
            let whole = read_pos.floor();
            let frac = read_pos - whole;
            let a = whole as usize % len;
            let b = (a + 1) % len;
            for ch in 0..channels {
                let line = &mut self.lines[ch];
                let echoed = line[a] + (line[b] - line[a]) * frac;
                let input = block.channel(ch)[i];
                let state = &mut self.lowpass_state[ch];
                *state = echoed + (*state - echoed) * self.lowpass_pole;
                line[self.write] = input + *state * feedback;
                block.channel_mut(ch)[i] = input * dry + echoed * wet;
            }
            self.write = (self.write + 1) % len;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_impulse_comes_back_after_the_delay_time_and_decays_by_the_feedback() {
        let fs = 48_000.0;
        let settings = DelaySettings { time_ms: 10.0, feedback: 0.5, damping_hz: 20_000.0, mix: 1.0 };
        let mut delay = Delay::new(settings, fs);
        let mut out = Vec::new();
        let mut block = AudioBlock::new(1);
        for n in 0..30 {
            block.clear();
            if n == 0 {
                block.channel_mut(0)[0] = 1.0;
            }
            delay.process(&mut block);
            out.extend_from_slice(block.channel(0));
        }
        let first = out.iter().position(|x| x.abs() > 0.1).unwrap();
        assert_eq!(first, 480);
        let second_peak = out[900..1000].iter().fold(0.0f32, |m, x| m.max(x.abs()));
        assert!((second_peak / out[480] - 0.5).abs() < 0.1, "{second_peak}");
    }
}
