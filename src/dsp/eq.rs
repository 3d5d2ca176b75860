//! High-pass filter and the 4-band parametric EQ (low shelf, two bells, high shelf).
//!
//! Settings glide at control rate (once per sub-block): frequency in the log
//! domain, gain in dB, so sweeps sound even and never step.
//!
//! Kept in one file with its tests (a fifth of it), which measure each filter's response
//! against its formula: the filters and the proof that they are right read together.

use super::biquad::{Coeffs, State};
use super::biquad::{PACK, cascade, cascade_pack};
use super::param::{ParamDef, Role, Unit};
use super::smoothing::Smoother;
use super::{AudioBlock, MAX_BLOCK};

/// How long a setting change takes to glide to its new value.
const GLIDE_MS: f32 = 30.0;
/// Frequency a disabled high-pass glides to before it switches out, so turning it off is silent.
const HPF_PARKED_HZ: f32 = 5.0;
const BUTTERWORTH_Q: f32 = std::f32::consts::FRAC_1_SQRT_2;

/// High-pass slope. 12 dB/oct is a 2nd-order Butterworth (-3 dB at the cutoff);
/// 24 dB/oct is a 4th-order Linkwitz-Riley, two Butterworth sections (-6 dB at the cutoff).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HpfSlope {
    Db12,
    Db24,
}

/// A glide in the log-frequency domain.
#[derive(Clone, Debug)]
struct FreqGlide {
    log2_hz: Smoother,
    /// `2^log2_hz`, recomputed only while gliding.
    hz: f32,
}

impl FreqGlide {
    fn new(freq_hz: f32, sample_rate: f32) -> Self {
        let freq_hz = freq_hz.max(1.0);
        Self { log2_hz: Smoother::new(freq_hz.log2(), GLIDE_MS, sample_rate), hz: freq_hz }
    }
    fn set(&mut self, freq_hz: f32) {
        self.log2_hz.set_target(freq_hz.max(1.0).log2());
    }
    fn advance(&mut self, frames: usize) -> f32 {
        if !self.log2_hz.is_settled() {
            self.hz = self.log2_hz.advance(frames).exp2();
        }
        self.hz
    }
    fn is_settled(&self) -> bool {
        self.log2_hz.is_settled()
    }
    fn settle(&mut self) {
        self.log2_hz.reset(self.log2_hz.target());
        self.hz = self.log2_hz.current().exp2();
    }
}

pub struct HighPass {
    sample_rate: f32,
    freq: FreqGlide,
    enabled: bool,
    slope: HpfSlope,
    coeffs: Coeffs,
    coeffs_for_hz: f32,
    /// [section][channel]
    states: [[State; 2]; 2],
}

impl HighPass {
    pub fn new(freq_hz: f32, slope: HpfSlope, enabled: bool, sample_rate: f32) -> Self {
        let start_hz = if enabled { freq_hz } else { HPF_PARKED_HZ };
        Self {
            sample_rate,
            freq: FreqGlide::new(start_hz, sample_rate),
            enabled,
            slope,
            coeffs: Coeffs::highpass(start_hz, BUTTERWORTH_Q, sample_rate),
            coeffs_for_hz: start_hz,
            states: Default::default(),
        }
    }

    pub fn set(&mut self, freq_hz: f32, slope: HpfSlope, enabled: bool) {
        self.enabled = enabled;
        if slope != self.slope {
            self.slope = slope;
            self.states[1] = Default::default();
        }
        self.freq.set(if enabled { freq_hz } else { HPF_PARKED_HZ });
    }

    /// Jumps to the settings without gliding (a session starts where it is set).
    pub fn settle(&mut self) {
        self.freq.settle();
    }

    /// Returns false if the filter state went non-finite and was reset (the block is then silenced).
    pub fn process(&mut self, block: &mut AudioBlock) -> bool {
        run_alone(self, block)
    }
}

impl SectionSource for HighPass {
    // Parked (disabled and settled), the high-pass lends no section.
    fn gather(&mut self, frames: usize, sections: &mut Sections) {
        let freq_hz = self.freq.advance(frames);
        if !self.enabled && self.freq.is_settled() {
            self.states = Default::default();
            return;
        }
        if freq_hz != self.coeffs_for_hz {
            self.coeffs = Coeffs::highpass(freq_hz, BUTTERWORTH_Q, self.sample_rate);
            self.coeffs_for_hz = freq_hz;
        }
        let count = if self.slope == HpfSlope::Db24 { 2 } else { 1 };
        for k in 0..count {
            sections.push(self.coeffs, self.states[k], k);
        }
    }

    fn scatter(&mut self, sections: &Sections, range: std::ops::Range<usize>) {
        for k in range {
            self.states[sections.owner[k] as usize] = sections.states[k];
        }
    }

    fn recover_if_broken(&mut self, block: &mut AudioBlock) -> bool {
        if self.states.iter().flatten().all(State::is_finite) {
            return true;
        }
        self.states = Default::default();
        block.clear();
        false
    }
}

/// A processor made of biquad sections that can lend them to a shared cascade.
trait SectionSource {
    /// Advances glides by `frames` and adds the active sections to `sections`.
    fn gather(&mut self, frames: usize, sections: &mut Sections);
    /// Takes back the states of the sections it gathered (`range` of `sections`).
    fn scatter(&mut self, sections: &Sections, range: std::ops::Range<usize>);
    /// Resets and silences the block if a state went non-finite; false then.
    fn recover_if_broken(&mut self, block: &mut AudioBlock) -> bool;
}

/// Runs one processor's sections on their own.
fn run_alone(source: &mut impl SectionSource, block: &mut AudioBlock) -> bool {
    let mut sections = Sections::default();
    source.gather(block.frames(), &mut sections);
    sections.run(block);
    source.scatter(&sections, 0..sections.count);
    source.recover_if_broken(block)
}

/// Biquad sections gathered from one or two processors, to run as a single cascade.
struct Sections {
    coeffs: [Coeffs; MAX_SECTIONS],
    states: [[State; 2]; MAX_SECTIONS],
    /// Index of each section within the processor it came from.
    owner: [u8; MAX_SECTIONS],
    count: usize,
}

const MAX_SECTIONS: usize = 6;

impl Default for Sections {
    fn default() -> Self {
        Self {
            coeffs: [Coeffs::IDENTITY; MAX_SECTIONS],
            states: [[State::default(); 2]; MAX_SECTIONS],
            owner: [0; MAX_SECTIONS],
            count: 0,
        }
    }
}

impl Sections {
    fn push(&mut self, coeffs: Coeffs, states: [State; 2], owner: usize) {
        self.coeffs[self.count] = coeffs;
        self.states[self.count] = states;
        self.owner[self.count] = owner as u8;
        self.count += 1;
    }

    fn run(&mut self, block: &mut AudioBlock) {
        let (coeffs, states) = (&self.coeffs[..self.count], &mut self.states[..self.count]);
        if block.channels() == 2 {
            let (l, r) = block.stereo_mut();
            cascade(coeffs, states, l, Some(r));
        } else {
            cascade(coeffs, states, block.channel_mut(0), None);
        }
    }
}

/// The biquad sections at the front of a channel for one sub-block: the high-pass, and the
/// EQ too when nothing active sits between them (both then run as one cascade).
#[derive(Default)]
pub struct FrontFilters {
    sections: Sections,
    /// Sections before this index are the high-pass's, the rest the EQ's.
    split: usize,
    with_eq: bool,
}

impl FrontFilters {
    /// Advances the filters' glides by `frames` and gathers their active sections
    /// (in place: the list is reused block after block rather than moved around).
    pub fn gather(&mut self, hpf: &mut HighPass, eq: Option<&mut Equalizer>, frames: usize) {
        self.sections.count = 0;
        hpf.gather(frames, &mut self.sections);
        self.split = self.sections.count;
        self.with_eq = eq.is_some();
        if let Some(eq) = eq {
            eq.gather(frames, &mut self.sections);
        }
    }

    pub fn includes_eq(&self) -> bool {
        self.with_eq
    }

    /// Runs the sections over one channel's block.
    pub fn run(&mut self, block: &mut AudioBlock) {
        self.sections.run(block);
    }

    /// Gives the filter states back. Returns false if one went non-finite: it is reset and
    /// the block silenced.
    pub fn finish(&self, hpf: &mut HighPass, eq: Option<&mut Equalizer>, block: &mut AudioBlock) -> bool {
        hpf.scatter(&self.sections, 0..self.split);
        let hpf_ok = hpf.recover_if_broken(block);
        match eq {
            Some(eq) => {
                eq.scatter(&self.sections, self.split..self.sections.count);
                eq.recover_if_broken(block) && hpf_ok
            }
            None => hpf_ok,
        }
    }
}

/// Runs up to `PACK` channels' front filters side by side, one SIMD lane a channel
/// (see `biquad::cascade_pack`); channels with fewer sections pass through identity ones.
pub fn run_pack(filters: &mut [FrontFilters], blocks: &mut [&mut AudioBlock]) {
    let sections = filters.iter().map(|f| f.sections.count).max().unwrap_or(0);
    if sections == 0 {
        return;
    }
    let frames = blocks[0].frames();
    let mut coeffs = [[Coeffs::IDENTITY; PACK]; MAX_SECTIONS];
    let mut states = [[[State::default(); 2]; PACK]; MAX_SECTIONS];
    for (p, f) in filters.iter().enumerate() {
        for k in 0..f.sections.count {
            coeffs[k][p] = f.sections.coeffs[k];
            states[k][p] = f.sections.states[k];
        }
    }
    // Lanes point straight into the blocks; missing ones (a mono strip's right, a short pack)
    // get scratch rows of silence.
    let mut spare = [[0.0f32; MAX_BLOCK]; 2 * PACK];
    let mut spare_rows = spare.iter_mut().map(|row| &mut row[..frames]);
    let mut channels = blocks.iter_mut().flat_map(|block| {
        let stereo = block.channels() == 2;
        let (left, right) = block.stereo_mut();
        [Some(left), if stereo { Some(right) } else { None }]
    });
    let mut lanes: [&mut [f32]; 2 * PACK] = std::array::from_fn(|_| {
        channels.next().flatten().unwrap_or_else(|| spare_rows.next().expect("enough spare rows"))
    });
    cascade_pack(&coeffs[..sections], &mut states[..sections], &mut lanes, frames);
    for (p, f) in filters.iter_mut().enumerate() {
        let count = f.sections.count;
        for (state, section) in f.sections.states[..count].iter_mut().zip(&states) {
            *state = section[p];
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BandShape {
    LowShelf,
    Bell,
    HighShelf,
}

impl BandShape {
    /// Shapes of the four bands, in band order.
    pub const FOUR_BAND: [BandShape; 4] = [BandShape::LowShelf, BandShape::Bell, BandShape::Bell, BandShape::HighShelf];

    pub fn coeffs(self, freq_hz: f32, q: f32, gain_db: f32, sample_rate: f32) -> Coeffs {
        match self {
            BandShape::LowShelf => Coeffs::low_shelf(freq_hz, q, gain_db, sample_rate),
            BandShape::Bell => Coeffs::peaking(freq_hz, q, gain_db, sample_rate),
            BandShape::HighShelf => Coeffs::high_shelf(freq_hz, q, gain_db, sample_rate),
        }
    }
}

/// Magnitude response in dB of the high-pass (when given) followed by the four bands, at
/// `freq_hz`: what a strip's front filters do to a steady tone, for drawing its curve.
pub fn front_response_db(
    hpf: Option<(f32, HpfSlope)>,
    bands: &[BandSettings; 4],
    freq_hz: f32,
    sample_rate: f32,
) -> f32 {
    let high_pass = hpf.map_or(0.0, |(cutoff_hz, slope)| {
        let section = Coeffs::highpass(cutoff_hz, BUTTERWORTH_Q, sample_rate).magnitude_db(freq_hz, sample_rate);
        if slope == HpfSlope::Db24 { 2.0 * section } else { section }
    });
    let bands: f32 = bands
        .iter()
        .zip(BandShape::FOUR_BAND)
        .filter(|(band, _)| !band.bypass)
        .map(|(b, shape)| shape.coeffs(b.freq_hz, b.q, b.gain_db, sample_rate).magnitude_db(freq_hz, sample_rate))
        .sum();
    high_pass + bands
}

/// The high-pass filter's parameters, in the order `HighPassSettings::from_values` reads them.
pub const HPF_PARAMS: [ParamDef; 3] = [
    ParamDef::setting("freq", "freq_hz", Unit::Hz, (20.0, 1_000.0), 80.0, "corner frequency"),
    ParamDef::setting(
        "slope",
        "slope",
        Unit::Choice(HPF_SLOPES),
        (0.0, 1.0),
        0.0,
        "Butterworth (-3 dB at the corner) or Linkwitz-Riley (-6 dB)",
    ),
    ParamDef::switch("enabled", "enabled", true, "puts the high-pass in").with_role(Role::Enable),
];

const HPF_SLOPES: &[&str] = &["12 dB/oct", "24 dB/oct"];

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct HighPassSettings {
    pub freq_hz: f32,
    pub slope: HpfSlope,
    pub enabled: bool,
}

impl HighPassSettings {
    /// Settings from values in the order of `HPF_PARAMS`.
    pub fn from_values(values: &[f32; HPF_PARAMS.len()]) -> Self {
        let [freq_hz, slope, enabled] = *values;
        Self { freq_hz, slope: if slope >= 0.5 { HpfSlope::Db24 } else { HpfSlope::Db12 }, enabled: enabled >= 0.5 }
    }
}

/// The parameters of the four EQ bands (low shelf, bell, bell, high shelf), each in the
/// order `BandSettings::from_values` reads them; the bands differ in their defaults.
pub const BAND_PARAMS: [[ParamDef; 4]; 4] =
    [band_params(100.0, 0.707), band_params(400.0, 1.0), band_params(2_500.0, 1.0), band_params(8_000.0, 0.707)];

const fn band_params(freq_hz: f32, q: f32) -> [ParamDef; 4] {
    [
        ParamDef::setting("freq", "freq_hz", Unit::Hz, (20.0, 20_000.0), freq_hz, "centre (bells) or corner (shelves)"),
        ParamDef::setting("gain", "gain_db", Unit::Db, (-18.0, 18.0), 0.0, "boost or cut"),
        ParamDef::setting("q", "q", Unit::Q, (0.1, 10.0), q, "width: higher is narrower"),
        ParamDef::switch("bypass", "bypass", false, "takes the band out").with_role(Role::Bypass),
    ]
}

/// What the user sets on one band.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct BandSettings {
    pub freq_hz: f32,
    pub gain_db: f32,
    pub q: f32,
    pub bypass: bool,
}

impl BandSettings {
    /// Settings from values in the order of a band of `BAND_PARAMS`.
    pub fn from_values(values: &[f32; 4]) -> Self {
        let [freq_hz, gain_db, q, bypass] = *values;
        Self { freq_hz, gain_db, q, bypass: bypass >= 0.5 }
    }
}

struct Band {
    shape: BandShape,
    freq: FreqGlide,
    gain_db: Smoother,
    q: Smoother,
    coeffs: Coeffs,
    /// (freq, gain, q) the coefficients were computed for.
    coeffs_for: (f32, f32, f32),
    states: [State; 2],
}

impl Band {
    fn new(shape: BandShape, s: BandSettings, sample_rate: f32) -> Self {
        let gain = if s.bypass { 0.0 } else { s.gain_db };
        Self {
            shape,
            freq: FreqGlide::new(s.freq_hz, sample_rate),
            gain_db: Smoother::new(gain, GLIDE_MS, sample_rate),
            q: Smoother::new(s.q, GLIDE_MS, sample_rate),
            coeffs: shape.coeffs(s.freq_hz, s.q, gain, sample_rate),
            coeffs_for: (s.freq_hz, gain, s.q),
            states: Default::default(),
        }
    }

    /// A bypassed band glides its gain to 0 dB (an identity filter) and then drops out.
    fn set(&mut self, s: BandSettings) {
        self.freq.set(s.freq_hz);
        self.gain_db.set_target(if s.bypass { 0.0 } else { s.gain_db });
        self.q.set_target(s.q);
    }

    /// Advances the glides by one sub-block and returns whether the band shapes the sound.
    fn update(&mut self, frames: usize, sample_rate: f32) -> bool {
        let key = (self.freq.advance(frames), self.gain_db.advance(frames), self.q.advance(frames));
        if key.1 == 0.0 && self.gain_db.is_settled() {
            self.states = Default::default();
            return false;
        }
        if key != self.coeffs_for {
            self.coeffs = self.shape.coeffs(key.0, key.2, key.1, sample_rate);
            self.coeffs_for = key;
        }
        true
    }
}

pub struct Equalizer {
    sample_rate: f32,
    bands: [Band; 4],
}

impl Equalizer {
    pub fn new(settings: [BandSettings; 4], sample_rate: f32) -> Self {
        let bands = std::array::from_fn(|i| Band::new(BandShape::FOUR_BAND[i], settings[i], sample_rate));
        Self { sample_rate, bands }
    }

    pub fn set_band(&mut self, band: usize, settings: BandSettings) {
        self.bands[band].set(settings);
    }

    /// Jumps every band to its settings without gliding.
    pub fn settle(&mut self) {
        for band in &mut self.bands {
            band.freq.settle();
            band.gain_db.reset(band.gain_db.target());
            band.q.reset(band.q.target());
        }
    }

    /// Returns false if a band's state went non-finite and the EQ was reset (the block is then silenced).
    pub fn process(&mut self, block: &mut AudioBlock) -> bool {
        run_alone(self, block)
    }
}

impl SectionSource for Equalizer {
    // Bands at 0 dB (flat or bypassed and settled) lend no section.
    fn gather(&mut self, frames: usize, sections: &mut Sections) {
        for (i, band) in self.bands.iter_mut().enumerate() {
            if band.update(frames, self.sample_rate) {
                sections.push(band.coeffs, band.states, i);
            }
        }
    }

    fn scatter(&mut self, sections: &Sections, range: std::ops::Range<usize>) {
        for k in range {
            self.bands[sections.owner[k] as usize].states = sections.states[k];
        }
    }

    fn recover_if_broken(&mut self, block: &mut AudioBlock) -> bool {
        if self.bands.iter().all(|b| b.states.iter().all(State::is_finite)) {
            return true;
        }
        for band in &mut self.bands {
            band.states = Default::default();
        }
        block.clear();
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dsp::biquad::tests::measured_gain_db;

    const FS: f32 = 48_000.0;

    fn run_mono(mut f: impl FnMut(&mut AudioBlock) -> bool) -> impl FnMut(&mut [f32]) {
        let mut block = AudioBlock::new(1);
        move |chunk: &mut [f32]| {
            block.set_frames(chunk.len());
            block.channel_mut(0).copy_from_slice(chunk);
            assert!(f(&mut block));
            chunk.copy_from_slice(block.channel(0));
        }
    }

    #[test]
    fn hpf_12_is_3_db_down_at_its_cutoff_within_2_percent() {
        let mut hpf = HighPass::new(100.0, HpfSlope::Db12, true, FS);
        let at_cutoff = measured_gain_db(100.0, run_mono(|b| hpf.process(b)));
        assert!((at_cutoff + 3.01).abs() < 0.1, "{at_cutoff}");
        // The -3 dB point lies within 2% of the cutoff: the gain at 98 Hz is below and at 102 Hz above -3 dB.
        let mut below = HighPass::new(100.0, HpfSlope::Db12, true, FS);
        let mut above = HighPass::new(100.0, HpfSlope::Db12, true, FS);
        assert!(measured_gain_db(98.0, run_mono(|b| below.process(b))) < -3.01);
        assert!(measured_gain_db(102.0, run_mono(|b| above.process(b))) > -3.01);
    }

    #[test]
    fn hpf_24_is_a_linkwitz_riley_6_db_down_at_its_cutoff() {
        let mut hpf = HighPass::new(80.0, HpfSlope::Db24, true, FS);
        let at_cutoff = measured_gain_db(80.0, run_mono(|b| hpf.process(b)));
        assert!((at_cutoff + 6.02).abs() < 0.1, "{at_cutoff}");
        let mut octave_down = HighPass::new(80.0, HpfSlope::Db24, true, FS);
        let g = measured_gain_db(40.0, run_mono(|b| octave_down.process(b)));
        assert!(g < -22.0, "24 dB/oct slope: {g} dB one octave below");
    }

    #[test]
    fn each_eq_band_has_its_gain_at_its_centre_within_0_05_db() {
        let flat = BandSettings { freq_hz: 1000.0, gain_db: 0.0, q: 0.7, bypass: false };
        for band in [1, 2] {
            let mut settings = [flat; 4];
            settings[band] = BandSettings { freq_hz: 2_500.0, gain_db: -7.5, q: 2.0, bypass: false };
            let mut eq = Equalizer::new(settings, FS);
            let g = measured_gain_db(2_500.0, run_mono(|b| eq.process(b)));
            assert!((g + 7.5).abs() < 0.05, "band {band}: {g}");
        }
        let mut shelves = [flat; 4];
        shelves[0] = BandSettings { freq_hz: 100.0, gain_db: 6.0, q: 0.707, bypass: false };
        shelves[3] = BandSettings { freq_hz: 8_000.0, gain_db: -4.0, q: 0.707, bypass: false };
        let mut eq = Equalizer::new(shelves, FS);
        assert!((measured_gain_db(30.0, run_mono(|b| eq.process(b))) - 6.0).abs() < 0.1);
        assert!((front_response_db(None, &shelves, 100.0, FS) - 3.0).abs() < 0.05);
        assert!((front_response_db(None, &shelves, 8_000.0, FS) + 2.0).abs() < 0.05);
    }

    #[test]
    fn the_drawn_curve_is_what_the_filters_measure() {
        let bands = [
            BandSettings { freq_hz: 120.0, gain_db: 3.0, q: 0.707, bypass: false },
            BandSettings { freq_hz: 400.0, gain_db: -5.0, q: 1.5, bypass: false },
            BandSettings { freq_hz: 3_000.0, gain_db: 9.0, q: 3.0, bypass: true },
            BandSettings { freq_hz: 9_000.0, gain_db: -3.0, q: 0.707, bypass: false },
        ];
        for freq_hz in [50.0, 400.0, 3_000.0, 12_000.0] {
            let mut hpf = HighPass::new(60.0, HpfSlope::Db24, true, FS);
            let mut eq = Equalizer::new(bands, FS);
            let measured = measured_gain_db(freq_hz, run_mono(|b| hpf.process(b) && eq.process(b)));
            let drawn = front_response_db(Some((60.0, HpfSlope::Db24)), &bands, freq_hz, FS);
            assert!((measured - drawn).abs() < 0.05, "{freq_hz} Hz: measured {measured}, drawn {drawn}");
        }
    }

    #[test]
    fn bypassed_band_glides_to_flat() {
        let boost = BandSettings { freq_hz: 1000.0, gain_db: 12.0, q: 1.0, bypass: false };
        let flat = BandSettings { gain_db: 0.0, ..boost };
        let mut eq = Equalizer::new([flat, boost, flat, flat], FS);
        eq.set_band(1, BandSettings { bypass: true, ..boost });
        let g = measured_gain_db(1000.0, run_mono(|b| eq.process(b)));
        assert!(g.abs() < 0.01, "{g}");
    }

    #[test]
    fn a_nan_in_the_state_is_cleared_and_sound_comes_back() {
        let boost = BandSettings { freq_hz: 1000.0, gain_db: 6.0, q: 1.0, bypass: false };
        let mut eq = Equalizer::new([boost; 4], FS);
        let mut block = AudioBlock::new(2);
        block.channel_mut(0)[3] = f32::NAN;
        assert!(!eq.process(&mut block), "a NaN must be reported");
        assert_eq!(block.peak(), 0.0);
        block.channel_mut(0).fill(0.5);
        block.channel_mut(1).fill(0.5);
        assert!(eq.process(&mut block));
        assert!(block.peak() > 0.1 && block.peak().is_finite());
    }
}

#[cfg(test)]
mod fused_tests {
    use super::*;

    #[test]
    fn hpf_and_eq_fused_sound_like_run_one_after_the_other() {
        let fs = 48_000.0;
        let bands = [
            BandSettings { freq_hz: 100.0, gain_db: 3.0, q: 0.7, bypass: false },
            BandSettings { freq_hz: 400.0, gain_db: -4.0, q: 1.2, bypass: false },
            BandSettings { freq_hz: 2_000.0, gain_db: 0.0, q: 1.0, bypass: false },
            BandSettings { freq_hz: 9_000.0, gain_db: 2.0, q: 0.7, bypass: false },
        ];
        let (mut hpf_a, mut eq_a) = (HighPass::new(80.0, HpfSlope::Db24, true, fs), Equalizer::new(bands, fs));
        let (mut hpf_b, mut eq_b) = (HighPass::new(80.0, HpfSlope::Db24, true, fs), Equalizer::new(bands, fs));
        let (mut a, mut b) = (AudioBlock::new(2), AudioBlock::new(2));
        for n in 0..200 {
            for i in 0..64 {
                let x = (((n * 64 + i) * 7919) % 211) as f32 / 211.0 - 0.5;
                for block in [&mut a, &mut b] {
                    block.channel_mut(0)[i] = x;
                    block.channel_mut(1)[i] = -x * 0.3;
                }
            }
            let mut front = FrontFilters::default();
            front.gather(&mut hpf_a, Some(&mut eq_a), 64);
            front.run(&mut a);
            assert!(front.finish(&mut hpf_a, Some(&mut eq_a), &mut a));
            assert!(hpf_b.process(&mut b) && eq_b.process(&mut b));
            for ch in 0..2 {
                for (x, y) in a.channel(ch).iter().zip(b.channel(ch)) {
                    assert!((x - y).abs() < 1e-5, "block {n}: {x} vs {y}");
                }
            }
        }
    }
}
