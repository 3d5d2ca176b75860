//! EBU R128 loudness (momentary, short-term, integrated, range) and true peak,
//! measured by the `ebur128` crate (the true peak by `true_peak`).
//!
//! Momentary loudness is re-evaluated after every `hop_frames` of input (the
//! JACK period in real time), not on a 100 ms grid: a 100 ms hop misses the
//! maximum momentary loudness of EBU Tech 3341's test signals by up to 0.5 LU.
//! Short-term loudness, and momentary loudness when the hop is a whole number of
//! 20 ms blocks (a render), are added up from the energies of 20 ms blocks rather
//! than re-read from seconds of audio at every step.
//! Integrated loudness is gated over the exact list of 400 ms blocks (the crate's histogram
//! mode rounds it to 0.1 LU bin centres). Loudness range is computed here from short-term
//! loudness every 100 ms, as EBU Tech 3342 asks (the crate takes it once a second).
//! This runs off the real-time thread (the histories grow as the programme goes on).

use ebur128::{EbuR128, Mode};

use super::true_peak::TruePeakMeter;

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LoudnessReading {
    pub momentary_lufs: f64,
    pub short_term_lufs: f64,
    pub integrated_lufs: f64,
    pub range_lu: f64,
    /// Largest true peak over the programme so far, dBTP.
    pub true_peak_dbtp: f64,
    pub max_momentary_lufs: f64,
    pub max_short_term_lufs: f64,
}

pub struct LoudnessMeter {
    meter: EbuR128,
    true_peak: TruePeakMeter,
    hop_frames: usize,
    /// Frames since the last momentary evaluation.
    since_momentary: usize,
    /// Frames in 20 ms: short-term loudness is kept up to date at that rate.
    block_frames: usize,
    since_block: usize,
    /// Energy of each of the last 150 blocks (a ring): the 3 s short-term window (and the
    /// 400 ms momentary one) without re-reading seconds of audio fifty times a second.
    block_energy: [f64; SHORT_TERM_BLOCKS],
    block_cursor: usize,
    /// The hop is whole blocks: momentary loudness comes from the block energies.
    momentary_from_blocks: bool,
    max_momentary: f64,
    max_short_term: f64,
    /// 20 ms blocks measured since the start (or the last reset).
    blocks_seen: u64,
    /// The mean energy of every 3 s window, one every 100 ms: what the range is taken from.
    short_term_history: Vec<f64>,
}

/// Short-term values for the loudness range are taken every this many blocks (100 ms).
const RANGE_HOP_BLOCKS: u64 = 5;

/// A block of the energy ring, in ms.
const BLOCK_MS: u32 = 20;
/// The short-term window (3 s) and the momentary one (400 ms), in blocks.
const SHORT_TERM_BLOCKS: usize = 150;
const MOMENTARY_BLOCKS: usize = 20;

/// R128 loudness of a mean weighted energy, and back.
fn loudness_of(energy: f64) -> f64 {
    if energy <= 0.0 { f64::NEG_INFINITY } else { -0.691 + 10.0 * energy.log10() }
}

fn energy_of(lufs: f64) -> f64 {
    if lufs.is_finite() { 10f64.powf((lufs + 0.691) / 10.0) } else { 0.0 }
}

impl LoudnessMeter {
    /// A stereo meter.
    pub fn new(sample_rate: u32, hop_frames: usize) -> Self {
        let meter = EbuR128::new(2, sample_rate, Mode::I | Mode::S).expect("stereo at a supported sample rate");
        let block_frames = (sample_rate * BLOCK_MS / 1000) as usize;
        let hop_frames = hop_frames.max(1);
        Self {
            meter,
            true_peak: TruePeakMeter::new(2),
            hop_frames,
            since_momentary: 0,
            block_frames,
            since_block: 0,
            block_energy: [0.0; SHORT_TERM_BLOCKS],
            block_cursor: 0,
            momentary_from_blocks: hop_frames.is_multiple_of(block_frames),
            max_momentary: f64::NEG_INFINITY,
            max_short_term: f64::NEG_INFINITY,
            blocks_seen: 0,
            short_term_history: Vec::new(),
        }
    }

    /// Feeds interleaved stereo frames.
    pub fn add_interleaved(&mut self, frames: &[f32]) {
        self.true_peak.add_interleaved(frames);
        let mut rest = frames;
        while !rest.is_empty() {
            // Stop at whichever comes first: the next momentary hop or the next 100 ms block.
            let until = (self.hop_frames - self.since_momentary).min(self.block_frames - self.since_block);
            let take = (until * 2).min(rest.len());
            let (now, later) = rest.split_at(take);
            self.meter.add_frames_f32(now).expect("stereo frames");
            self.since_momentary += take / 2;
            self.since_block += take / 2;
            rest = later;
            if self.since_block == self.block_frames {
                self.since_block = 0;
                let block = self.meter.loudness_window(BLOCK_MS).unwrap_or(f64::NEG_INFINITY);
                self.block_energy[self.block_cursor] = energy_of(block);
                self.block_cursor = (self.block_cursor + 1) % SHORT_TERM_BLOCKS;
                // Summed afresh from the ring: no drift, and still next to nothing.
                let energy = self.block_energy.iter().sum::<f64>() / SHORT_TERM_BLOCKS as f64;
                self.max_short_term = self.max_short_term.max(loudness_of(energy));
                self.blocks_seen += 1;
                // Once a whole 3 s window has been heard, every 100 ms.
                if self.blocks_seen >= SHORT_TERM_BLOCKS as u64 && self.blocks_seen.is_multiple_of(RANGE_HOP_BLOCKS) {
                    self.short_term_history.push(energy);
                }
            }
            if self.since_momentary == self.hop_frames {
                self.since_momentary = 0;
                let m = if self.momentary_from_blocks {
                    let latest = (0..MOMENTARY_BLOCKS).map(|k| {
                        self.block_energy[(self.block_cursor + SHORT_TERM_BLOCKS - 1 - k) % SHORT_TERM_BLOCKS]
                    });
                    loudness_of(latest.sum::<f64>() / MOMENTARY_BLOCKS as f64)
                } else {
                    self.meter.loudness_momentary().unwrap_or(f64::NEG_INFINITY)
                };
                self.max_momentary = self.max_momentary.max(m);
            }
        }
    }

    pub fn reading(&self) -> LoudnessReading {
        LoudnessReading {
            momentary_lufs: self.meter.loudness_momentary().unwrap_or(f64::NEG_INFINITY),
            short_term_lufs: self.meter.loudness_shortterm().unwrap_or(f64::NEG_INFINITY),
            integrated_lufs: self.meter.loudness_global().unwrap_or(f64::NEG_INFINITY),
            range_lu: loudness_range(&self.short_term_history),
            true_peak_dbtp: self.true_peak.dbtp(),
            max_momentary_lufs: self.max_momentary,
            max_short_term_lufs: self.max_short_term,
        }
    }

    pub fn reset(&mut self) {
        self.meter.reset();
        self.true_peak.reset();
        self.since_momentary = 0;
        self.since_block = 0;
        self.block_energy = [0.0; SHORT_TERM_BLOCKS];
        self.block_cursor = 0;
        self.max_momentary = f64::NEG_INFINITY;
        self.max_short_term = f64::NEG_INFINITY;
        self.blocks_seen = 0;
        self.short_term_history.clear();
    }
}

/// EBU Tech 3342's loudness range of short-term window energies: those above -70 LUFS, then
/// those less than 20 LU below their mean, and the spread from their 10th to 95th percentile.
fn loudness_range(energies: &[f64]) -> f64 {
    let loud: Vec<f64> = energies.iter().copied().filter(|&e| loudness_of(e) > -70.0).collect();
    if loud.is_empty() {
        return 0.0;
    }
    let relative_gate = loudness_of(loud.iter().sum::<f64>() / loud.len() as f64) - 20.0;
    let mut kept: Vec<f64> = loud.into_iter().map(loudness_of).filter(|&l| l > relative_gate).collect();
    kept.sort_by(f64::total_cmp);
    let percentile = |p: f64| kept[((kept.len() - 1) as f64 * p).round() as usize];
    percentile(0.95) - percentile(0.10)
}

#[cfg(test)]
mod tests {
    //! EBU Tech 3341 (V4, 2016) and Tech 3342 (V4, 2016) cases, generated from
    //! their published definitions rather than shipped as files.
    use super::*;

    const FS: u32 = 48_000;

    /// Stereo 1 kHz sine segments: (seconds, dBFS per channel).
    fn sine_segments(segments: &[(f64, f64)], freq_hz: f64) -> Vec<f32> {
        let mut out = Vec::new();
        let mut n = 0u64;
        for &(seconds, db) in segments {
            let amp = 10f64.powf(db / 20.0);
            for _ in 0..(seconds * FS as f64).round() as u64 {
                let x = (amp * (2.0 * std::f64::consts::PI * freq_hz * n as f64 / FS as f64).sin()) as f32;
                out.extend_from_slice(&[x, x]);
                n += 1;
            }
        }
        out
    }

    fn measure(signal: &[f32], hop: usize) -> LoudnessReading {
        let mut m = LoudnessMeter::new(FS, hop);
        for chunk in signal.chunks(2 * 256) {
            m.add_interleaved(chunk);
        }
        m.reading()
    }

    #[test]
    fn tech_3341_case_1_and_2_stereo_sine_reads_its_level() {
        for db in [-23.0, -33.0] {
            let r = measure(&sine_segments(&[(20.0, db)], 1000.0), 64);
            for v in [r.momentary_lufs, r.short_term_lufs, r.integrated_lufs] {
                assert!((v - db).abs() <= 0.1, "{db}: {r:?}");
            }
        }
    }

    #[test]
    fn tech_3341_cases_3_to_5_gating() {
        // Case 3: -36/-23/-36 dBFS for 10/60/10 s → I = -23 ±0.1 LUFS.
        let r = measure(&sine_segments(&[(10.0, -36.0), (60.0, -23.0), (10.0, -36.0)], 1000.0), 256);
        assert!((r.integrated_lufs + 23.0).abs() <= 0.1, "case 3: {r:?}");
        // Case 4: -72/-36/-23/-36/-72 dBFS for 10/10/60/10/10 s → I = -23 ±0.1 LUFS.
        let r = measure(
            &sine_segments(&[(10.0, -72.0), (10.0, -36.0), (60.0, -23.0), (10.0, -36.0), (10.0, -72.0)], 1000.0),
            256,
        );
        assert!((r.integrated_lufs + 23.0).abs() <= 0.1, "case 4: {r:?}");
        // Case 5: -26/-20/-26 dBFS for 20/20.1/20 s → I = -23 ±0.1 LUFS.
        let r = measure(&sine_segments(&[(20.0, -26.0), (20.1, -20.0), (20.0, -26.0)], 1000.0), 256);
        assert!((r.integrated_lufs + 23.0).abs() <= 0.1, "case 5: {r:?}");
    }

    #[test]
    fn tech_3341_case_9_short_term_of_alternating_tones_is_constant() {
        // 1.34 s at -20 dBFS, 1.66 s at -30 dBFS, repeated: every 3 s window holds the same
        // energy, so S = -23 ±0.1 LUFS from 3 s on.
        let pattern: Vec<(f64, f64)> = (0..5).flat_map(|_| [(1.34, -20.0), (1.66, -30.0)]).collect();
        let signal = sine_segments(&pattern, 1000.0);
        let mut m = LoudnessMeter::new(FS, 64);
        let mut frames = 0;
        for chunk in signal.chunks(2 * 64) {
            m.add_interleaved(chunk);
            frames += chunk.len() / 2;
            if frames >= 3 * FS as usize {
                let s = m.reading().short_term_lufs;
                assert!((s + 23.0).abs() <= 0.1, "at {frames}: {s}");
            }
        }
    }

    #[test]
    fn max_short_term_agrees_with_the_crate_evaluated_at_the_same_instants() {
        // Programme-like level changes: 2 s steps between -30 and -14 dBFS.
        let pattern: Vec<(f64, f64)> = (0..8).map(|i| (2.0, -30.0 + 16.0 * ((i * 5) % 7) as f64 / 6.0)).collect();
        let signal = sine_segments(&pattern, 997.0);
        let mut ours = LoudnessMeter::new(FS, 64);
        let mut crate_max = f64::NEG_INFINITY;
        for chunk in signal.chunks(2 * 4800) {
            ours.add_interleaved(chunk);
            crate_max = crate_max.max(ours.meter.loudness_shortterm().unwrap());
        }
        let r = ours.reading();
        assert!((r.max_short_term_lufs - crate_max).abs() < 0.01, "{} vs {crate_max}", r.max_short_term_lufs);
    }

    #[test]
    fn max_momentary_of_a_burst_needs_a_fine_hop() {
        // A single 400 ms burst at -20 dBFS in silence must show M_max = -20 LUFS (the Tech 3341
        // burst cases rely on this); a 100 ms hop misaligned with the burst under-reads it.
        let mut signal = vec![0.0f32; (FS as usize * 2) * 2 + 2 * 1234];
        signal.extend(sine_segments(&[(0.4, -20.0)], 1000.0));
        signal.extend(vec![0.0f32; FS as usize * 2]);
        let fine = measure(&signal, 64);
        assert!((fine.max_momentary_lufs + 20.0).abs() <= 0.1, "{fine:?}");
        let coarse = measure(&signal, 4800);
        assert!(coarse.max_momentary_lufs < fine.max_momentary_lufs - 0.05, "100 ms hop misses the maximum");
        // A render's 20 ms hop, added up from block energies: within 10 ms of the burst's
        // edges, so at most 10·log10(390/400) = 0.11 LU under.
        let render = measure(&signal, 960);
        assert!((render.max_momentary_lufs + 20.0).abs() <= 0.12, "{render:?}");
    }

    #[test]
    fn integrated_loudness_is_exact_not_a_histogram_bin() {
        // A steady tone's integrated loudness is its momentary loudness, to the thousandth
        // (K-weighting lifts 1 kHz by 0.007 dB); the histogram put -23.013 at -23.1.
        for db in [-23.013, -23.0, -18.47] {
            let r = measure(&sine_segments(&[(20.0, db)], 1000.0), 960);
            assert!((r.integrated_lufs - r.max_momentary_lufs).abs() < 0.001, "{db}: {r:?}");
            assert!((r.integrated_lufs - (db + 0.0067)).abs() < 0.002, "{db}: {r:?}");
        }
    }

    #[test]
    fn the_range_is_taken_from_short_term_loudness_every_100_ms() {
        // Short-term values from 3 s on, ten a second.
        let mut m = LoudnessMeter::new(FS, 960);
        for chunk in sine_segments(&[(10.0, -20.0)], 1000.0).chunks(2 * 960) {
            m.add_interleaved(chunk);
        }
        assert_eq!(m.short_term_history.len(), 71, "3.0 s, 3.1 s, … 10.0 s");
        // A steady tone has no range; a two-level one has the levels' difference.
        assert!(m.reading().range_lu.abs() < 0.01);
    }

    #[test]
    fn tech_3342_cases_1_to_4_loudness_range() {
        // Cases 1-3: two 20 s tones → LRA 10, 5, 20 ±1 LU.
        for (first_db, second_db, lra) in [(-20.0, -30.0, 10.0), (-20.0, -15.0, 5.0), (-40.0, -20.0, 20.0)] {
            let r = measure(&sine_segments(&[(20.0, first_db), (20.0, second_db)], 1000.0), 1024);
            assert!((r.range_lu - lra).abs() <= 1.0, "{first_db}/{second_db}: {r:?}");
        }
        // Case 4: -50/-35/-20/-35/-50 dBFS, 20 s each → LRA 15 ±1 LU.
        let r = measure(
            &sine_segments(&[(20.0, -50.0), (20.0, -35.0), (20.0, -20.0), (20.0, -35.0), (20.0, -50.0)], 1000.0),
            1024,
        );
        assert!((r.range_lu - 15.0).abs() <= 1.0, "case 4: {r:?}");
    }

    #[test]
    fn true_peak_of_a_quarter_rate_sine_is_above_its_sample_peak() {
        // A sine at fs/4 with 45° phase: sample peak is 0.707 of the true peak.
        let amp = 10f64.powf(-6.0 / 20.0);
        let mut signal = Vec::new();
        for n in 0..FS as usize {
            let x = (amp * (std::f64::consts::FRAC_PI_2 * n as f64 + std::f64::consts::FRAC_PI_4).sin()) as f32;
            signal.extend_from_slice(&[x, x]);
        }
        let r = measure(&signal, 64);
        assert!((r.true_peak_dbtp + 6.0).abs() <= 0.4, "{r:?}");
    }
}
