//! Sample-peak and RMS metering. Ballistics (hold, fall-back) belong to the
//! display; the engine only reports what happened.

use super::smoothing::pole_for;
use super::{AudioBlock, MAX_BLOCK};

/// Integration time of the RMS reading (a VU-like 300 ms).
const RMS_TIME_MS: f32 = 300.0;

#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct MeterReading {
    /// Largest |sample| per channel since the last reading was taken.
    pub peak: [f32; 2],
    /// Running RMS per channel.
    pub rms: [f32; 2],
    /// Samples at or over full scale (of either channel) since the last reading: what an
    /// integer file or a converter would clip.
    pub overs: u32,
}

pub struct LevelMeter {
    mean_square: [f32; 2],
    pole: f32,
    /// `pole` raised to the block length last seen.
    pole_block: f32,
    pole_frames: usize,
    peak: [f32; 2],
    overs: u32,
}

impl LevelMeter {
    pub fn new(sample_rate: f32) -> Self {
        Self {
            mean_square: [0.0; 2],
            pole: pole_for(RMS_TIME_MS, sample_rate),
            pole_block: 1.0,
            pole_frames: 0,
            peak: [0.0; 2],
            overs: 0,
        }
    }

    /// Block-rate update: the RMS average advances once per block by the block's mean square
    /// (a 300 ms average cannot tell the difference), and the loops vectorise.
    ///
    /// Returns false, and records nothing, if the block holds a NaN or an infinity
    /// (the sum of squares then is not finite): the caller can drop the block.
    pub fn measure(&mut self, block: &AudioBlock) -> bool {
        // A whole sub-block, the usual case, compiles with its loop lengths known.
        match block.frames() {
            MAX_BLOCK => self.measure_frames(block, MAX_BLOCK),
            frames => self.measure_frames(block, frames),
        }
    }

    #[inline(always)]
    fn measure_frames(&mut self, block: &AudioBlock, frames: usize) -> bool {
        if frames != self.pole_frames {
            self.pole_block = self.pole.powi(frames as i32);
            self.pole_frames = frames;
        }
        for ch in 0..block.channels() {
            let samples = &block.channel(ch)[..frames];
            // Eight running lanes: a single float sum cannot be reordered, eight can be vectorised.
            let (mut peaks, mut sums) = ([0.0f32; 8], [0.0f32; 8]);
            let chunks = samples.chunks_exact(8);
            let rest = chunks.remainder();
            for chunk in chunks {
                for k in 0..8 {
                    let a = chunk[k].abs();
                    peaks[k] = if a > peaks[k] { a } else { peaks[k] };
                    sums[k] += chunk[k] * chunk[k];
                }
            }
            for (k, &x) in rest.iter().enumerate() {
                peaks[k] = peaks[k].max(x.abs());
                sums[k] += x * x;
            }
            let peak = peaks.iter().fold(self.peak[ch], |m, &p| m.max(p));
            let block_ms = sums.iter().sum::<f32>() / frames.max(1) as f32;
            if !block_ms.is_finite() {
                return false;
            }
            self.peak[ch] = peak;
            // Counted only in a block that reached full scale: the usual block pays nothing.
            if peak >= 1.0 {
                self.overs += samples.iter().filter(|x| x.abs() >= 1.0).count() as u32;
            }
            self.mean_square[ch] = block_ms + (self.mean_square[ch] - block_ms) * self.pole_block;
        }
        if block.channels() == 1 {
            self.peak[1] = self.peak[0];
            self.mean_square[1] = self.mean_square[0];
        }
        true
    }

    /// The reading since the last call; peaks restart from zero.
    pub fn take(&mut self) -> MeterReading {
        let reading = MeterReading { peak: self.peak, rms: self.mean_square.map(f32::sqrt), overs: self.overs };
        self.peak = [0.0; 2];
        self.overs = 0;
        reading
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sine_reads_its_peak_and_rms() {
        let fs = 48_000.0;
        let mut meter = LevelMeter::new(fs);
        let mut block = AudioBlock::new(2);
        let mut n = 0;
        for _ in 0..1500 {
            for i in 0..64 {
                let x = 0.5 * (2.0 * std::f32::consts::PI * 1000.0 * n as f32 / fs).sin();
                block.channel_mut(0)[i] = x;
                block.channel_mut(1)[i] = x * 0.5;
                n += 1;
            }
            meter.measure(&block);
        }
        let r = meter.take();
        assert!((r.peak[0] - 0.5).abs() < 1e-3);
        assert!((r.rms[0] - 0.5 / 2f32.sqrt()).abs() < 5e-3, "{:?}", r.rms);
        assert!((r.rms[1] - 0.25 / 2f32.sqrt()).abs() < 5e-3);
        assert_eq!(meter.take().peak, [0.0; 2]);
    }

    #[test]
    fn samples_at_or_over_full_scale_are_counted_once_each() {
        let mut meter = LevelMeter::new(48_000.0);
        let mut block = AudioBlock::new(2);
        block.set_frames(37);
        block.channel_mut(0)[..37].copy_from_slice(&[0.5; 37]);
        block.channel_mut(1)[..37].copy_from_slice(&[0.5; 37]);
        block.channel_mut(0)[3] = 1.0;
        block.channel_mut(0)[30] = -1.5;
        block.channel_mut(1)[36] = 2.0;
        meter.measure(&block);
        assert_eq!(meter.take().overs, 3);
        assert_eq!(meter.take().overs, 0);
    }
}
