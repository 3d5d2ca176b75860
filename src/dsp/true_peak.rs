//! True peak (ITU-R BS.1770-4, Annex 2): the largest magnitude of the signal between its
//! samples, found by oversampling 4× with a polyphase windowed-sinc interpolator.
//!
//! The interpolator is 32 input samples long per phase (Kaiser, β = 8), with its cutoff at
//! 97% of the input's Nyquist frequency as a converter's reconstruction filter would have
//! (and as FFmpeg's meter has): flat within 0.03 dB to 20 kHz at 48 kHz, images down about
//! 80 dB. The 12-tap-per-phase filter BS.1770 sketches (and libebur128 uses) under-reads
//! broadband material by most of a dB; this one reads full-band noise within a tenth of a
//! dB of a 32× reconstruction (see the tests). What remains is the 4× grid: a peak between
//! two interpolated points reads at most 20·log10(cos(π/8)) = -0.69 dB low for content at
//! Nyquist, and far less for music.

/// Interpolated points per input sample.
const FACTOR: usize = 4;
/// Input samples each phase looks at.
const TAPS: usize = 32;
/// Kaiser window shape: about 80 dB of image rejection at this length.
const KAISER_BETA: f64 = 8.0;
/// The cutoff, as a fraction of the input's Nyquist frequency.
const CUTOFF: f64 = 0.97;

pub struct TruePeakMeter {
    /// Taps of the phases between samples (the phase on a sample is the sample itself),
    /// in the order of the history window: oldest sample first.
    phases: [[f32; TAPS]; FACTOR - 1],
    /// Each channel's last `TAPS` samples, written twice so that the window is one slice.
    history: Vec<[f32; 2 * TAPS]>,
    cursor: usize,
    /// Largest magnitude per channel since the start or the last reset, linear.
    peaks: Vec<f32>,
}

impl TruePeakMeter {
    pub fn new(channels: usize) -> Self {
        Self { phases: interpolator(), history: vec![[0.0; 2 * TAPS]; channels], cursor: 0, peaks: vec![0.0; channels] }
    }

    /// Feeds interleaved frames of `channels` samples.
    pub fn add_interleaved(&mut self, frames: &[f32]) {
        let channels = self.history.len();
        for frame in frames.chunks_exact(channels) {
            for (ch, &x) in frame.iter().enumerate() {
                let history = &mut self.history[ch];
                history[self.cursor] = x;
                history[self.cursor + TAPS] = x;
                let window = &history[self.cursor + 1..=self.cursor + TAPS];
                let mut peak = self.peaks[ch].max(x.abs());
                for taps in &self.phases {
                    peak = peak.max(dot(window, taps).abs());
                }
                self.peaks[ch] = peak;
            }
            self.cursor = (self.cursor + 1) % TAPS;
        }
    }

    /// The largest true peak over the channels, dBTP (-inf for silence).
    pub fn dbtp(&self) -> f64 {
        20.0 * (self.peaks.iter().copied().fold(0.0f32, f32::max) as f64).log10()
    }

    pub fn reset(&mut self) {
        self.history.iter_mut().for_each(|h| *h = [0.0; 2 * TAPS]);
        self.cursor = 0;
        self.peaks.iter_mut().for_each(|p| *p = 0.0);
    }
}

/// `window · taps`, in eight running lanes: a single float sum cannot be reordered, eight
/// lanes can be vectorised.
#[inline(always)]
fn dot(window: &[f32], taps: &[f32; TAPS]) -> f32 {
    let mut lanes = [0.0f32; 8];
    for (w, h) in window.chunks_exact(8).zip(taps.chunks_exact(8)) {
        for k in 0..8 {
            lanes[k] += w[k] * h[k];
        }
    }
    lanes.iter().sum()
}

/// The phases of a Kaiser-windowed sinc cut off at `CUTOFF`, each scaled to unity gain at DC.
fn interpolator() -> [[f32; TAPS]; FACTOR - 1] {
    let half = TAPS as f64 / 2.0;
    let mut phases = [[0.0f32; TAPS]; FACTOR - 1];
    for (p, taps) in phases.iter_mut().enumerate() {
        let offset = (p + 1) as f64 / FACTOR as f64;
        // Window slot j holds the sample `TAPS-1-j` before the newest; the point wanted lies
        // `offset` after the sample `half` before the newest (so the delay is half the window).
        let t: Vec<f64> = (0..TAPS).map(|j| half - 1.0 - j as f64 + offset).collect();
        let raw: Vec<f64> = t.iter().map(|&t| sinc(CUTOFF * t) * kaiser(t / half, KAISER_BETA)).collect();
        let gain: f64 = raw.iter().sum();
        for (tap, r) in taps.iter_mut().zip(&raw) {
            *tap = (r / gain) as f32;
        }
    }
    phases
}

fn sinc(t: f64) -> f64 {
    if t == 0.0 { 1.0 } else { (std::f64::consts::PI * t).sin() / (std::f64::consts::PI * t) }
}

/// The Kaiser window of shape `beta` at `x` in [-1, 1].
fn kaiser(x: f64, beta: f64) -> f64 {
    bessel_i0(beta * (1.0 - x * x).max(0.0).sqrt()) / bessel_i0(beta)
}

/// The modified Bessel function of the first kind, order 0, by its power series.
fn bessel_i0(x: f64) -> f64 {
    let (mut sum, mut term, mut k) = (1.0, 1.0, 1.0);
    while term > sum * 1e-12 {
        term *= (x / (2.0 * k)).powi(2);
        sum += term;
        k += 1.0;
    }
    sum
}

#[cfg(test)]
mod tests {
    use super::*;

    const FS: f64 = 48_000.0;

    /// A reproducible white noise, uniform in [-1, 1).
    fn uniform_noise(frames: usize, seed: u64) -> Vec<f32> {
        let mut state = seed;
        (0..frames)
            .map(|_| {
                state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                ((state >> 40) as f64 / (1u64 << 24) as f64 * 2.0 - 1.0) as f32
            })
            .collect()
    }

    /// The reference: the signal rebuilt 32× between samples, as `scipy.signal.resample_poly`
    /// rebuilds it (a sinc cut off at Nyquist under a Kaiser window of β = 5 reaching ten
    /// samples either side), its largest magnitude in dB.
    fn reconstructed_peak_db(x: &[f32]) -> f64 {
        const UP: usize = 32;
        const REACH: isize = 10;
        let mut peak = 0.0f64;
        for n in 0..x.len() as isize {
            for p in 0..UP {
                let t = n as f64 + p as f64 / UP as f64;
                let near = (n - REACH + 1).max(0)..=(n + REACH).min(x.len() as isize - 1);
                let y: f64 = near
                    .map(|k| {
                        let d = t - k as f64;
                        x[k as usize] as f64 * sinc(d) * kaiser(d / REACH as f64, 5.0)
                    })
                    .sum();
                peak = peak.max(y.abs());
            }
        }
        20.0 * peak.log10()
    }

    fn meter_db(x: &[f32]) -> f64 {
        let mut m = TruePeakMeter::new(1);
        // In uneven pieces, as a JACK period or a render block would bring them.
        for piece in x.chunks(37) {
            m.add_interleaved(piece);
        }
        m.dbtp()
    }

    #[test]
    fn uniform_noise_reads_within_a_tenth_of_a_db_of_a_32x_reconstruction() {
        // Uniform full-scale noise, where the short filter read 0.86 dB low.
        for seed in [1, 2, 3, 4] {
            let x = uniform_noise(6000, seed);
            let reference = reconstructed_peak_db(&x);
            let ours = meter_db(&x);
            assert!((ours - reference).abs() <= 0.1, "seed {seed}: {ours:.3} vs {reference:.3}");
            assert!(ours > 2.5, "full-scale noise peaks well over 0 dBTP: {ours}");
        }
    }

    #[test]
    fn a_sine_reads_its_amplitude_whatever_its_phase_against_the_samples() {
        // fs/4 at 45°: every sample is 3 dB under the crest. 997 Hz: the crests drift past the
        // samples. 18 kHz: 2.7 samples a period. Faded in over 10 ms: a sine that starts at
        // once overshoots there, as its reconstruction would.
        for (freq, phase) in [(12_000.0, std::f64::consts::FRAC_PI_4), (997.0, 0.3), (18_000.0, 1.1)] {
            let amp = 10f64.powf(-6.0 / 20.0);
            let x: Vec<f32> = (0..4800)
                .map(|n| {
                    let fade = (n as f64 / 480.0).min(1.0);
                    (fade * amp * (2.0 * std::f64::consts::PI * freq * n as f64 / FS + phase).sin()) as f32
                })
                .collect();
            let db = meter_db(&x);
            assert!((db + 6.0).abs() < 0.05, "{freq} Hz: {db:.3} dBTP");
        }
    }

    #[test]
    fn a_lone_sample_reads_at_its_own_level_and_the_reset_forgets_it() {
        let mut x = vec![0.0f32; 200];
        x[100] = 0.5;
        let mut m = TruePeakMeter::new(2);
        let stereo: Vec<f32> = x.iter().flat_map(|&s| [0.0, s]).collect();
        m.add_interleaved(&stereo);
        assert!((m.dbtp() - 20.0 * 0.5f64.log10()).abs() < 1e-6, "{}", m.dbtp());
        m.reset();
        assert_eq!(m.dbtp(), f64::NEG_INFINITY);
    }
}
