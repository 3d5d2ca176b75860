//! Compressor and gate/expander, stereo-linked, with gain computed in the log
//! domain per sample (fast log/exp, see `fastmath`).

use super::fastmath::{db_to_gain, gain_to_db};
use super::param::{ParamDef, Role, Unit};
use super::smoothing::{Smoother, pole_for};
use super::{AudioBlock, MAX_BLOCK};

/// Averaging time of the RMS detector.
const RMS_WINDOW_MS: f32 = 20.0;
/// Makeup and bypass changes glide over this time.
const GLIDE_MS: f32 = 30.0;
/// The peak detectors hold a crest this long (half a period of 25 Hz), so a steady tone
/// reads its crest level between crests rather than a ripple that the gain would follow.
/// The release starts when the hold ends.
pub const PEAK_HOLD_MS: f32 = 20.0;

/// The largest level of the `PEAK_HOLD_MS` before a block (a sliding maximum kept block by
/// block): with the block's own levels on top, it reads a steady tone's crest level whatever
/// the tone's frequency, down to 25 Hz, and however its crests fall between samples; it lets
/// go one hold after the last loud block. Per block it costs a few comparisons, not one
/// bookkeeping step a sample.
#[derive(Clone, Debug)]
struct PeakHold {
    /// Each recent block's largest level and length, newest at `newest`.
    maxima: [f32; HOLD_BLOCKS],
    frames: [u32; HOLD_BLOCKS],
    newest: usize,
    hold_frames: u32,
}

/// Blocks a hold remembers: 20 ms of blocks as short as 15 frames (sub-blocks are 64).
const HOLD_BLOCKS: usize = 64;

impl PeakHold {
    fn new(sample_rate: f32) -> Self {
        let hold_frames = (PEAK_HOLD_MS * 0.001 * sample_rate).round() as u32;
        Self { maxima: [0.0; HOLD_BLOCKS], frames: [0; HOLD_BLOCKS], newest: 0, hold_frames }
    }

    /// The largest level of the hold before this block.
    #[inline(always)]
    fn before(&self) -> f32 {
        let (mut held, mut covered, mut at) = (0.0f32, 0u32, self.newest);
        for _ in 0..HOLD_BLOCKS {
            if covered >= self.hold_frames {
                break;
            }
            held = held.max(self.maxima[at]);
            covered += self.frames[at];
            at = (at + HOLD_BLOCKS - 1) % HOLD_BLOCKS;
        }
        held
    }

    /// After the block: its largest level and its length join the hold.
    #[inline(always)]
    fn push(&mut self, level: f32, frames: usize) {
        self.newest = (self.newest + 1) % HOLD_BLOCKS;
        self.maxima[self.newest] = level;
        self.frames[self.newest] = frames as u32;
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Detector {
    /// Reacts to the largest sample of either channel.
    Peak,
    /// Reacts to the mean square over ~20 ms (louder-sounding material compresses more).
    Rms,
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct CompressorSettings {
    pub threshold_db: f32,
    pub ratio: f32,
    pub knee_db: f32,
    pub attack_ms: f32,
    pub release_ms: f32,
    pub makeup_db: f32,
    pub detector: Detector,
    /// How much of the compressed signal is heard beside the dry one (parallel compression):
    /// the gain is `1 - mix + mix * compressed gain`, so 1 is the compressor alone.
    pub mix: f32,
    pub bypass: bool,
}

/// The compressor's parameters, in the order `CompressorSettings::from_values` reads them.
pub const COMPRESSOR_PARAMS: [ParamDef; 9] = [
    ParamDef::setting("threshold", "threshold_db", Unit::Db, (-80.0, 0.0), -18.0, "level where compression starts"),
    ParamDef::setting("ratio", "ratio", Unit::Ratio, (1.0, 20.0), 3.0, "dB in for each dB out above the threshold"),
    ParamDef::setting("knee", "knee_db", Unit::Db, (0.0, 24.0), 6.0, "width of the soft knee around the threshold"),
    ParamDef::setting("attack", "attack_ms", Unit::Ms, (0.1, 200.0), 10.0, "time to clamp down on a rise"),
    ParamDef::setting("release", "release_ms", Unit::Ms, (5.0, 3_000.0), 120.0, "time to let go after a fall"),
    ParamDef::setting("makeup", "makeup_db", Unit::Db, (0.0, 24.0), 0.0, "gain added after compression"),
    ParamDef::setting("detector", "detector", Unit::Choice(DETECTORS), (0.0, 1.0), 0.0, "peak or RMS level detection"),
    ParamDef::setting(
        "mix",
        "mix",
        Unit::Amount,
        (0.0, 1.0),
        1.0,
        "parallel compression: the share of compressed signal (100%: all)",
    ),
    ParamDef::switch("bypass", "bypass", false, "takes the compressor out").with_role(Role::Bypass),
];

const DETECTORS: &[&str] = &["peak", "rms"];

impl CompressorSettings {
    /// Settings from values in the order of `COMPRESSOR_PARAMS`.
    pub fn from_values(values: &[f32; COMPRESSOR_PARAMS.len()]) -> Self {
        let [threshold_db, ratio, knee_db, attack_ms, release_ms, makeup_db, detector, mix, bypass] = *values;
        Self {
            threshold_db,
            ratio,
            knee_db,
            attack_ms,
            release_ms,
            makeup_db,
            detector: if detector >= 0.5 { Detector::Rms } else { Detector::Peak },
            mix,
            bypass: bypass >= 0.5,
        }
    }

    /// Output level for a steady input level (the static curve, soft knee as in
    /// Giannoulis, Massberg & Reiss, JAES 2012).
    pub fn static_curve_db(&self, input_db: f32) -> f32 {
        input_db + self.gain_change_db(input_db)
    }

    /// `static_curve_db(x) - x`, written without branches so loops over levels vectorise
    /// and noisy input costs no mispredictions. With `over` = x - threshold and knee width k:
    /// below the knee 0; in it (1/R - 1)·(over + k/2)²/(2k); above it (1/R - 1)·over.
    #[inline(always)]
    pub fn gain_change_db(&self, input_db: f32) -> f32 {
        let over = input_db - self.threshold_db;
        let knee = self.knee_db.max(1e-6);
        let into_knee = (over + 0.5 * knee).clamp(0.0, knee);
        let past_knee = (over - 0.5 * knee).max(0.0);
        (1.0 / self.ratio - 1.0) * (into_knee * into_knee / (2.0 * knee) + past_knee)
    }
}

pub struct Compressor {
    settings: CompressorSettings,
    sample_rate: f32,
    attack_pole: f32,
    release_pole: f32,
    rms_pole: f32,
    mean_square: f32,
    /// The peak detector, one step per gain computation.
    peak: PeakHold,
    /// Attack and release poles raised to `GAIN_STEP` (one gain computation covers that many samples).
    attack_pole_step: f32,
    release_pole_step: f32,
    /// Smoothed gain change in dB (<= 0).
    reduction_db: f32,
    makeup_db: Smoother,
    mix: Smoother,
    /// Linear gain applied at the end of the last block (interpolation starts here).
    gain: f32,
}

/// Samples per gain computation.
const GAIN_STEP: usize = 8;

impl Compressor {
    pub fn new(settings: CompressorSettings, sample_rate: f32) -> Self {
        let mut c = Self {
            settings,
            sample_rate,
            attack_pole: 0.0,
            release_pole: 0.0,
            rms_pole: pole_for(RMS_WINDOW_MS, sample_rate),
            mean_square: 0.0,
            peak: PeakHold::new(sample_rate),
            attack_pole_step: 0.0,
            release_pole_step: 0.0,
            reduction_db: 0.0,
            gain: db_to_gain(if settings.bypass { 0.0 } else { settings.makeup_db }),
            makeup_db: Smoother::new(if settings.bypass { 0.0 } else { settings.makeup_db }, GLIDE_MS, sample_rate),
            mix: Smoother::new(settings.mix, GLIDE_MS, sample_rate),
        };
        c.set(settings);
        c
    }

    pub fn set(&mut self, settings: CompressorSettings) {
        self.settings = settings;
        self.attack_pole = pole_for(settings.attack_ms, self.sample_rate);
        self.release_pole = pole_for(settings.release_ms, self.sample_rate);
        self.attack_pole_step = self.attack_pole.powi(GAIN_STEP as i32);
        self.release_pole_step = self.release_pole.powi(GAIN_STEP as i32);
        self.makeup_db.set_target(if settings.bypass { 0.0 } else { settings.makeup_db });
        self.mix.set_target(settings.mix);
    }

    /// Jumps the makeup gain and the mix to their settings without gliding.
    pub fn settle(&mut self) {
        self.makeup_db.reset(self.makeup_db.target());
        self.mix.reset(self.mix.target());
        self.gain = parallel_gain(self.mix.current(), db_to_gain(self.reduction_db + self.makeup_db.current()));
    }

    /// Compresses the block in place; returns the largest gain reduction in dB (>= 0).
    ///
    /// The detector sees every sample, but the gain is computed in the log domain once per
    /// `GAIN_STEP` samples (the per-sample log/exp would cost more than all the EQ bands) and
    /// interpolated linearly in between, which keeps the static curve exact and the gain smooth.
    pub fn process(&mut self, block: &mut AudioBlock) -> f32 {
        if self.settings.bypass && self.reduction_db == 0.0 && self.makeup_db.is_settled() && self.gain == 1.0 {
            return 0.0;
        }
        // A whole sub-block, the usual case, compiles with every loop length known.
        match (block.frames(), block.channels()) {
            (MAX_BLOCK, 2) => self.compress(block, MAX_BLOCK, 2),
            (MAX_BLOCK, 1) => self.compress(block, MAX_BLOCK, 1),
            (frames, channels) => self.compress(block, frames, channels),
        }
    }

    #[inline(always)]
    fn compress(&mut self, block: &mut AudioBlock, frames: usize, channels: usize) -> f32 {
        let s = self.settings;
        // Detector input: the louder channel, sample by sample (a vectorisable pass).
        let mut levels = [0.0f32; MAX_BLOCK];
        let levels = &mut levels[..frames];
        for (level, x) in levels.iter_mut().zip(block.channel(0)) {
            *level = x.abs();
        }
        if channels == 2 {
            for (level, x) in levels.iter_mut().zip(block.channel(1)) {
                let a = x.abs();
                *level = if a > *level { a } else { *level };
            }
        }
        // Makeup and mix changes are rare: glide them once per block (the gain is interpolated).
        let makeup_db = self.makeup_db.advance(frames);
        let mix = self.mix.advance(frames);
        // Passes over the groups so that only the smoothing is serial: the logs and
        // exponentials of different groups are independent, and their loops vectorise.
        const GROUPS: usize = MAX_BLOCK / GAIN_STEP;
        let groups = frames.div_ceil(GAIN_STEP);
        let mut group_level = [0.0f32; GROUPS];
        // The peak detector: each group's crest on top of the hold before the block.
        let mut held = self.peak.before();
        for (g, group) in levels.chunks(GAIN_STEP).enumerate() {
            group_level[g] = match s.detector {
                Detector::Peak => {
                    held = held.max(group.iter().fold(0.0f32, |m, &l| if l > m { l } else { m }));
                    held
                }
                Detector::Rms => {
                    for &l in group {
                        self.mean_square = l * l + (self.mean_square - l * l) * self.rms_pole;
                    }
                    self.mean_square
                }
            };
        }
        if s.detector == Detector::Peak {
            let block_peak = levels.iter().fold(0.0f32, |m, &l| if l > m { l } else { m });
            self.peak.push(block_peak, frames);
        }
        // An RMS level is a mean square: half the dB of its value.
        let db_scale = if s.detector == Detector::Rms { 0.5 } else { 1.0 };
        let mut level_db = [0.0f32; GROUPS];
        for (db, level) in level_db.iter_mut().zip(&group_level) {
            *db = db_scale * gain_to_db(*level);
        }
        let mut wanted = [0.0f32; GROUPS];
        if !s.bypass {
            for (w, level) in wanted.iter_mut().zip(&level_db) {
                *w = s.gain_change_db(*level);
            }
        }
        // A block that is not a whole number of groups ends with a shorter one.
        let last = frames - (groups - 1) * GAIN_STEP;
        let mut reduction_db = [0.0f32; GROUPS];
        let mut deepest = 0.0f32;
        for g in 0..groups {
            let (attack, release) = if g + 1 == groups && last != GAIN_STEP {
                (self.attack_pole.powi(last as i32), self.release_pole.powi(last as i32))
            } else {
                (self.attack_pole_step, self.release_pole_step)
            };
            let pole = if wanted[g] < self.reduction_db { attack } else { release };
            let next = wanted[g] + (self.reduction_db - wanted[g]) * pole;
            self.reduction_db = if next > -1e-6 && wanted[g] == 0.0 { 0.0 } else { next };
            reduction_db[g] = self.reduction_db;
            deepest = deepest.min(self.reduction_db);
        }
        let mut targets = [0.0f32; GROUPS];
        for (target, reduction) in targets.iter_mut().zip(&reduction_db) {
            *target = parallel_gain(mix, db_to_gain(reduction + makeup_db));
        }
        let mut gains = [0.0f32; MAX_BLOCK];
        for (g, gains) in gains[..frames].chunks_mut(GAIN_STEP).enumerate() {
            let target = targets[g];
            let step = (target - self.gain) / gains.len() as f32;
            for (k, gain) in gains.iter_mut().enumerate() {
                *gain = self.gain + step * (k + 1) as f32;
            }
            self.gain = target;
        }
        for ch in 0..channels {
            for (x, g) in block.channel_mut(ch)[..frames].iter_mut().zip(&gains[..frames]) {
                *x *= g;
            }
        }
        -deepest
    }
}

/// The gain of the dry signal plus `mix` of the compressed one. At mix 1 it is exactly the
/// compressed gain (0 + 1 * g), so a compressor without parallel mix sounds as it always did.
#[inline(always)]
fn parallel_gain(mix: f32, compressed: f32) -> f32 {
    (1.0 - mix) + mix * compressed
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct GateSettings {
    pub threshold_db: f32,
    /// Deepest attenuation, e.g. -80 for a gate, -10 for gentle expansion.
    pub range_db: f32,
    /// Expansion ratio below threshold; large values make a hard gate.
    pub ratio: f32,
    pub attack_ms: f32,
    pub hold_ms: f32,
    pub release_ms: f32,
    pub bypass: bool,
}

/// The gate's parameters, in the order `GateSettings::from_values` reads them.
pub const GATE_PARAMS: [ParamDef; 7] = [
    ParamDef::setting("threshold", "threshold_db", Unit::Db, (-80.0, 0.0), -50.0, "level below which it closes"),
    ParamDef::setting("range", "range_db", Unit::Db, (-80.0, 0.0), -60.0, "deepest attenuation when closed"),
    ParamDef::setting("ratio", "ratio", Unit::Ratio, (1.0, 100.0), 10.0, "expansion below the threshold"),
    ParamDef::setting("attack", "attack_ms", Unit::Ms, (0.1, 200.0), 1.0, "time to open"),
    ParamDef::setting("hold", "hold_ms", Unit::Ms, (0.0, 500.0), 20.0, "time held open after the level falls"),
    ParamDef::setting("release", "release_ms", Unit::Ms, (5.0, 3_000.0), 150.0, "time to close"),
    ParamDef::switch("bypass", "bypass", false, "takes the gate out").with_role(Role::Bypass),
];

impl GateSettings {
    /// Settings from values in the order of `GATE_PARAMS`.
    pub fn from_values(values: &[f32; GATE_PARAMS.len()]) -> Self {
        let [threshold_db, range_db, ratio, attack_ms, hold_ms, release_ms, bypass] = *values;
        Self { threshold_db, range_db, ratio, attack_ms, hold_ms, release_ms, bypass: bypass >= 0.5 }
    }

    /// Gain change for a steady level (<= 0 dB).
    pub fn static_gain_db(&self, level_db: f32) -> f32 {
        if self.bypass || level_db >= self.threshold_db {
            0.0
        } else {
            ((level_db - self.threshold_db) * (self.ratio - 1.0)).max(self.range_db)
        }
    }
}

pub struct Gate {
    settings: GateSettings,
    sample_rate: f32,
    envelope: PeakHold,
    attack_pole: f32,
    release_pole: f32,
    hold_samples: u32,
    held_for: u32,
    gain_db: f32,
}

impl Gate {
    pub fn new(settings: GateSettings, sample_rate: f32) -> Self {
        let mut g = Self {
            settings,
            sample_rate,
            envelope: PeakHold::new(sample_rate),
            attack_pole: 0.0,
            release_pole: 0.0,
            hold_samples: 0,
            held_for: 0,
            gain_db: 0.0,
        };
        g.set(settings);
        g
    }

    pub fn set(&mut self, settings: GateSettings) {
        self.settings = settings;
        self.attack_pole = pole_for(settings.attack_ms, self.sample_rate);
        self.release_pole = pole_for(settings.release_ms, self.sample_rate);
        self.hold_samples = (settings.hold_ms * 0.001 * self.sample_rate) as u32;
    }

    /// Bypassed and fully open: processing would change nothing.
    pub fn is_idle(&self) -> bool {
        self.settings.bypass && self.gain_db == 0.0
    }

    /// Gates the block in place; returns the largest attenuation in dB (>= 0).
    pub fn process(&mut self, block: &mut AudioBlock) -> f32 {
        if self.is_idle() {
            return 0.0;
        }
        let mut deepest = 0.0f32;
        let (mut held, mut block_peak) = (self.envelope.before(), 0.0f32);
        for i in 0..block.frames() {
            let level = (0..block.channels()).fold(0.0f32, |m, ch| m.max(block.channel(ch)[i].abs()));
            block_peak = block_peak.max(level);
            held = held.max(level);
            let wanted = self.settings.static_gain_db(gain_to_db(held));
            if wanted >= self.gain_db {
                self.held_for = 0;
                self.gain_db = wanted + (self.gain_db - wanted) * self.attack_pole;
            } else if self.held_for < self.hold_samples {
                self.held_for += 1;
            } else {
                self.gain_db = wanted + (self.gain_db - wanted) * self.release_pole;
            }
            if self.gain_db > -1e-6 && wanted == 0.0 {
                self.gain_db = 0.0;
            }
            deepest = deepest.min(self.gain_db);
            let gain = db_to_gain(self.gain_db);
            for ch in 0..block.channels() {
                block.channel_mut(ch)[i] *= gain;
            }
        }
        self.envelope.push(block_peak, block.frames());
        -deepest
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dsp::fastmath::db_to_gain_exact;
    use crate::dsp::smoothing::pole_for;

    const FS: f32 = 48_000.0;

    fn settings() -> CompressorSettings {
        CompressorSettings {
            threshold_db: -20.0,
            ratio: 4.0,
            knee_db: 6.0,
            attack_ms: 5.0,
            release_ms: 50.0,
            makeup_db: 2.0,
            detector: Detector::Peak,
            mix: 1.0,
            bypass: false,
        }
    }

    /// Level out of the compressor after it settles on a steady input level.
    fn settled_output_db(comp: &mut Compressor, input_db: f32, channels: usize) -> f32 {
        let mut block = AudioBlock::new(channels);
        let level = db_to_gain_exact(input_db);
        for _ in 0..(FS as usize / 64) {
            for ch in 0..channels {
                block.channel_mut(ch).fill(level);
            }
            comp.process(&mut block);
        }
        20.0 * block.channel(0)[63].log10()
    }

    #[test]
    fn static_curve_is_met_within_0_1_db() {
        let s = settings();
        for input_db in [-40.0, -24.0, -22.0, -20.0, -18.0, -10.0, 0.0] {
            let formula = s.static_curve_db(input_db) + s.makeup_db;
            for detector in [Detector::Peak, Detector::Rms] {
                let mut comp = Compressor::new(CompressorSettings { detector, ..s }, FS);
                let out = settled_output_db(&mut comp, input_db, 2);
                assert!((out - formula).abs() < 0.1, "{detector:?} at {input_db} dB: {out} vs {formula}");
            }
        }
    }

    #[test]
    fn gain_reduction_follows_the_attack_and_release_times() {
        // A 1 kHz square wave (its level is the same at every sample, so the detector's
        // envelope is the formula's): 16 dB over a hard-knee threshold at 4:1 wants 12 dB.
        let s = CompressorSettings { knee_db: 0.0, attack_ms: 10.0, release_ms: 100.0, makeup_db: 0.0, ..settings() };
        let mut comp = Compressor::new(s, FS);
        let square = |level_db: f32, block: &mut AudioBlock, start: usize| {
            for (i, x) in block.channel_mut(0).iter_mut().enumerate() {
                let sign = if (start + i) % 48 < 24 { 1.0 } else { -1.0 };
                *x = sign * db_to_gain_exact(level_db);
            }
        };
        let mut block = AudioBlock::new(1);
        let (attack, release) = (pole_for(s.attack_ms, FS), pole_for(s.release_ms, FS));
        for k in 1..=30 {
            square(-4.0, &mut block, k * 64);
            let reduction = comp.process(&mut block);
            let formula = 12.0 * (1.0 - attack.powi(64 * k as i32));
            assert!((reduction - formula).abs() < 0.05, "attack, block {k}: {reduction} dB vs {formula}");
        }
        // The release starts when the detector's hold ends.
        let hold = (PEAK_HOLD_MS * 0.001 * FS) as i32;
        for k in 1..=300 {
            square(-40.0, &mut block, k * 64);
            comp.process(&mut block);
            let reduction = -comp.reduction_db;
            let formula = 12.0 * release.powi((64 * k as i32 - hold).max(0));
            assert!((reduction - formula).abs() < 0.05, "release, block {k}: {reduction} dB vs {formula}");
        }
    }

    /// Peak of a steady sine out of a settled processor: one second to settle, the next
    /// half second measured.
    fn settled_sine_peak_db(process: &mut dyn FnMut(&mut AudioBlock), freq_hz: f32, peak_db: f32) -> f32 {
        let mut block = AudioBlock::new(2);
        let mut out_peak = 0.0f32;
        for b in 0..(FS as usize * 3 / 2 / 64) {
            for i in 0..64 {
                let t = (b * 64 + i) as f64 / FS as f64;
                let x = (db_to_gain_exact(peak_db) as f64 * (std::f64::consts::TAU * freq_hz as f64 * t).sin()) as f32;
                block.channel_mut(0)[i] = x;
                block.channel_mut(1)[i] = x;
            }
            process(&mut block);
            if b >= FS as usize / 64 {
                out_peak = block.channel(0).iter().fold(out_peak, |m, x| m.max(x.abs()));
            }
        }
        20.0 * out_peak.log10()
    }

    #[test]
    fn the_peak_detector_meets_the_static_curve_on_steady_tones() {
        // A tone's crests fall between the detector's samples and its level swings through
        // zero twice a period: the gain must still be the curve's at the crest level (it
        // missed by 0.5-0.9 dB at 1 kHz and 1.3 dB at 100 Hz).
        let s = CompressorSettings { knee_db: 6.0, attack_ms: 10.0, release_ms: 120.0, makeup_db: 0.0, ..settings() };
        for freq in [1000.0, 997.0, 100.0, 50.0, 30.0, 5000.0] {
            for peak_db in [-30.0, -22.0, -12.0, -3.0] {
                let mut comp = Compressor::new(s, FS);
                let out = settled_sine_peak_db(&mut |b| _ = comp.process(b), freq, peak_db);
                let formula = s.static_curve_db(peak_db);
                assert!((out - formula).abs() < 0.05, "{freq} Hz at {peak_db} dBFS: {out:.3} vs {formula:.3}");
            }
        }
    }

    #[test]
    fn parallel_mix_adds_the_dry_signal_to_the_compressed_one() {
        // A 1 kHz sine at -6 dBFS peak, 14 dB over the threshold: the peak detector sees its
        // peaks, the compressed gain is the static curve's (a slow release holds it between
        // peaks), and the mix adds the dry sine.
        let s = CompressorSettings { attack_ms: 1.0, release_ms: 1_000.0, ..settings() };
        let peak_db = -6.0;
        let compressed = db_to_gain_exact(s.gain_change_db(peak_db) + s.makeup_db);
        for mix in [1.0, 0.5, 0.25, 0.0] {
            let mut comp = Compressor::new(CompressorSettings { mix, ..s }, FS);
            let mut block = AudioBlock::new(1);
            let mut phase = 0usize;
            let mut out_peak = 0.0f32;
            for b in 0..(FS as usize / 64) {
                for x in block.channel_mut(0) {
                    *x = db_to_gain_exact(peak_db) * (2.0 * std::f32::consts::PI * 1000.0 * phase as f32 / FS).sin();
                    phase += 1;
                }
                comp.process(&mut block);
                if b > FS as usize / 128 {
                    out_peak = block.channel(0).iter().fold(out_peak, |m, x| m.max(x.abs()));
                }
            }
            let formula = db_to_gain_exact(peak_db) * ((1.0 - mix) + mix * compressed);
            let error_db = 20.0 * (out_peak / formula).log10();
            assert!(error_db.abs() < 0.2, "mix {mix}: peak {out_peak}, formula {formula} ({error_db:+.2} dB)");
        }
    }

    #[test]
    fn curve_is_continuous_through_the_knee() {
        let s = settings();
        let below = s.static_curve_db(-23.0);
        assert_eq!(below, -23.0);
        assert!((s.static_curve_db(-17.0) - (-20.0 + 3.0 / 4.0)).abs() < 1e-5);
        let mut prev = s.static_curve_db(-30.0);
        let mut x = -30.0;
        while x < -10.0 {
            x += 0.01;
            let y = s.static_curve_db(x);
            assert!(y >= prev && y - prev < 0.011);
            prev = y;
        }
    }

    #[test]
    fn reports_gain_reduction() {
        let mut comp = Compressor::new(settings(), FS);
        settled_output_db(&mut comp, 0.0, 1);
        let mut block = AudioBlock::new(1);
        block.channel_mut(0).fill(1.0);
        let gr = comp.process(&mut block);
        assert!((gr - 15.0).abs() < 0.05, "gr {gr}");
    }

    #[test]
    fn bypass_releases_to_unity() {
        let mut comp = Compressor::new(settings(), FS);
        settled_output_db(&mut comp, -6.0, 1);
        comp.set(CompressorSettings { bypass: true, ..settings() });
        let out = settled_output_db(&mut comp, -6.0, 1);
        assert!((out + 6.0).abs() < 1e-3, "{out}");
    }

    #[test]
    fn the_gate_expands_a_steady_tone_by_the_formula_with_or_without_hold() {
        // 1.25 dB under the threshold at 3:1 wants -2.50 dB; with no hold the detector's decay
        // between crests rippled it to -2.57.
        for hold_ms in [0.0, 20.0] {
            for freq in [1000.0, 100.0, 40.0] {
                let s = GateSettings {
                    threshold_db: -20.0,
                    range_db: -40.0,
                    ratio: 3.0,
                    attack_ms: 1.0,
                    hold_ms,
                    release_ms: 100.0,
                    bypass: false,
                };
                let mut gate = Gate::new(s, FS);
                let out = settled_sine_peak_db(&mut |b| _ = gate.process(b), freq, -21.25);
                let gain = out + 21.25;
                assert!((gain - s.static_gain_db(-21.25)).abs() < 0.02, "hold {hold_ms}, {freq} Hz: {gain:.3} dB");
            }
        }
    }

    #[test]
    fn gate_attenuates_by_ratio_down_to_its_range() {
        let s = GateSettings {
            threshold_db: -40.0,
            range_db: -30.0,
            ratio: 3.0,
            attack_ms: 1.0,
            hold_ms: 5.0,
            release_ms: 50.0,
            bypass: false,
        };
        let mut gate = Gate::new(s, FS);
        for (input_db, expected_gain_db) in [(-30.0, 0.0), (-45.0, -10.0), (-70.0, -30.0)] {
            let mut block = AudioBlock::new(1);
            for _ in 0..(FS as usize / 64) {
                block.channel_mut(0).fill(db_to_gain_exact(input_db));
                gate.process(&mut block);
            }
            let out_db = 20.0 * block.channel(0)[63].log10();
            assert!((out_db - input_db - expected_gain_db).abs() < 0.1, "{input_db}: {out_db}");
        }
    }
}
