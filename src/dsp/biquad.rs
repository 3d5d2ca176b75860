//! Second-order sections with RBJ "Audio EQ Cookbook" coefficients, run as
//! transposed direct form II (good numerical behaviour in f32 for audio).

use super::MAX_BLOCK;

use std::f64::consts::PI;

/// Normalised coefficients (a0 = 1).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Coeffs {
    pub b0: f32,
    pub b1: f32,
    pub b2: f32,
    pub a1: f32,
    pub a2: f32,
}

/// Cookbook intermediates, computed in f64 so low frequencies keep their precision.
struct Prewarp {
    cos_w0: f64,
    alpha: f64,
}

fn prewarp(freq_hz: f32, q: f32, sample_rate: f32) -> Prewarp {
    let nyquist_safe = (freq_hz as f64).clamp(1.0, sample_rate as f64 * 0.49);
    let w0 = 2.0 * PI * nyquist_safe / sample_rate as f64;
    Prewarp { cos_w0: w0.cos(), alpha: w0.sin() / (2.0 * q.max(0.01) as f64) }
}

impl Coeffs {
    pub const IDENTITY: Coeffs = Coeffs { b0: 1.0, b1: 0.0, b2: 0.0, a1: 0.0, a2: 0.0 };

    fn normalised(b0: f64, b1: f64, b2: f64, a0: f64, a1: f64, a2: f64) -> Self {
        Coeffs {
            b0: (b0 / a0) as f32,
            b1: (b1 / a0) as f32,
            b2: (b2 / a0) as f32,
            a1: (a1 / a0) as f32,
            a2: (a2 / a0) as f32,
        }
    }

    pub fn highpass(freq_hz: f32, q: f32, sample_rate: f32) -> Self {
        let Prewarp { cos_w0, alpha } = prewarp(freq_hz, q, sample_rate);
        Self::normalised(
            (1.0 + cos_w0) / 2.0,
            -(1.0 + cos_w0),
            (1.0 + cos_w0) / 2.0,
            1.0 + alpha,
            -2.0 * cos_w0,
            1.0 - alpha,
        )
    }

    pub fn lowpass(freq_hz: f32, q: f32, sample_rate: f32) -> Self {
        let Prewarp { cos_w0, alpha } = prewarp(freq_hz, q, sample_rate);
        Self::normalised(
            (1.0 - cos_w0) / 2.0,
            1.0 - cos_w0,
            (1.0 - cos_w0) / 2.0,
            1.0 + alpha,
            -2.0 * cos_w0,
            1.0 - alpha,
        )
    }

    /// Bell: `gain_db` at `freq_hz`, bandwidth set by `q`.
    pub fn peaking(freq_hz: f32, q: f32, gain_db: f32, sample_rate: f32) -> Self {
        let Prewarp { cos_w0, alpha } = prewarp(freq_hz, q, sample_rate);
        let a = 10f64.powf(gain_db as f64 / 40.0);
        Self::normalised(
            1.0 + alpha * a,
            -2.0 * cos_w0,
            1.0 - alpha * a,
            1.0 + alpha / a,
            -2.0 * cos_w0,
            1.0 - alpha / a,
        )
    }

    /// Low shelf: `gain_db` below `freq_hz` (half the gain at `freq_hz`).
    pub fn low_shelf(freq_hz: f32, q: f32, gain_db: f32, sample_rate: f32) -> Self {
        let Prewarp { cos_w0, alpha } = prewarp(freq_hz, q, sample_rate);
        let a = 10f64.powf(gain_db as f64 / 40.0);
        let two_sqrt_a_alpha = 2.0 * a.sqrt() * alpha;
        Self::normalised(
            a * ((a + 1.0) - (a - 1.0) * cos_w0 + two_sqrt_a_alpha),
            2.0 * a * ((a - 1.0) - (a + 1.0) * cos_w0),
            a * ((a + 1.0) - (a - 1.0) * cos_w0 - two_sqrt_a_alpha),
            (a + 1.0) + (a - 1.0) * cos_w0 + two_sqrt_a_alpha,
            -2.0 * ((a - 1.0) + (a + 1.0) * cos_w0),
            (a + 1.0) + (a - 1.0) * cos_w0 - two_sqrt_a_alpha,
        )
    }

    /// High shelf: `gain_db` above `freq_hz` (half the gain at `freq_hz`).
    pub fn high_shelf(freq_hz: f32, q: f32, gain_db: f32, sample_rate: f32) -> Self {
        let Prewarp { cos_w0, alpha } = prewarp(freq_hz, q, sample_rate);
        let a = 10f64.powf(gain_db as f64 / 40.0);
        let two_sqrt_a_alpha = 2.0 * a.sqrt() * alpha;
        Self::normalised(
            a * ((a + 1.0) + (a - 1.0) * cos_w0 + two_sqrt_a_alpha),
            -2.0 * a * ((a - 1.0) + (a + 1.0) * cos_w0),
            a * ((a + 1.0) + (a - 1.0) * cos_w0 - two_sqrt_a_alpha),
            (a + 1.0) - (a - 1.0) * cos_w0 + two_sqrt_a_alpha,
            2.0 * ((a - 1.0) - (a + 1.0) * cos_w0),
            (a + 1.0) - (a - 1.0) * cos_w0 - two_sqrt_a_alpha,
        )
    }

    /// Magnitude response in dB at `freq_hz` (for tests and for drawing EQ curves).
    pub fn magnitude_db(&self, freq_hz: f32, sample_rate: f32) -> f32 {
        let w = 2.0 * PI * freq_hz as f64 / sample_rate as f64;
        let (c1, s1, c2, s2) = (w.cos(), w.sin(), (2.0 * w).cos(), (2.0 * w).sin());
        let (b0, b1, b2) = (self.b0 as f64, self.b1 as f64, self.b2 as f64);
        let (a1, a2) = (self.a1 as f64, self.a2 as f64);
        let num_re = b0 + b1 * c1 + b2 * c2;
        let num_im = -(b1 * s1 + b2 * s2);
        let den_re = 1.0 + a1 * c1 + a2 * c2;
        let den_im = -(a1 * s1 + a2 * s2);
        let mag2 = (num_re * num_re + num_im * num_im) / (den_re * den_re + den_im * den_im);
        (10.0 * mag2.log10()) as f32
    }
}

/// Filter memory of one channel of one section.
#[derive(Clone, Copy, Debug, Default)]
pub struct State {
    s1: f32,
    s2: f32,
}

impl State {
    pub fn reset(&mut self) {
        *self = State::default();
    }

    pub fn is_finite(&self) -> bool {
        self.s1.is_finite() && self.s2.is_finite()
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// Reference: one section over `buf` in place, the textbook loop.
    #[inline]
    pub(crate) fn process(c: &Coeffs, state: &mut State, buf: &mut [f32]) {
        let Coeffs { b0, b1, b2, a1, a2 } = *c;
        let (mut s1, mut s2) = (state.s1, state.s2);
        for x in buf.iter_mut() {
            let input = *x;
            let y = b0 * input + s1;
            s1 = b1 * input - a1 * y + s2;
            s2 = b2 * input - a2 * y;
            *x = y;
        }
        state.s1 = s1;
        state.s2 = s2;
    }

    /// Reference: one section over two channels.
    #[inline]
    pub(crate) fn process_stereo(c: &Coeffs, states: &mut [State; 2], left: &mut [f32], right: &mut [f32]) {
        let Coeffs { b0, b1, b2, a1, a2 } = *c;
        let [l, r] = states;
        let (mut l1, mut l2, mut r1, mut r2) = (l.s1, l.s2, r.s1, r.s2);
        for (xl, xr) in left.iter_mut().zip(right.iter_mut()) {
            let (il, ir) = (*xl, *xr);
            let yl = b0 * il + l1;
            let yr = b0 * ir + r1;
            l1 = b1 * il - a1 * yl + l2;
            r1 = b1 * ir - a1 * yr + r2;
            l2 = b2 * il - a2 * yl;
            r2 = b2 * ir - a2 * yr;
            *xl = yl;
            *xr = yr;
        }
        *l = State { s1: l1, s2: l2 };
        *r = State { s1: r1, s2: r2 };
    }

    const FS: f32 = 48_000.0;

    /// Steady-state gain of a processing closure at `freq_hz`, measured with a sine:
    /// settle for a second, then compare RMS of output to input.
    pub fn measured_gain_db(freq_hz: f32, mut run: impl FnMut(&mut [f32])) -> f32 {
        let n = 48_000 * 2;
        let mut signal: Vec<f32> = (0..n)
            .map(|i| (2.0 * std::f64::consts::PI * freq_hz as f64 * i as f64 / FS as f64).sin() as f32 * 0.25)
            .collect();
        let input_rms = rms(&signal[n / 2..]);
        for chunk in signal.chunks_mut(64) {
            run(chunk);
        }
        20.0 * (rms(&signal[n / 2..]) / input_rms).log10()
    }

    pub fn rms(x: &[f32]) -> f32 {
        (x.iter().map(|v| (*v as f64) * (*v as f64)).sum::<f64>() / x.len() as f64).sqrt() as f32
    }

    #[test]
    fn peaking_band_has_its_gain_at_its_centre() {
        for gain in [-12.0, -3.0, 6.0, 15.0] {
            let c = Coeffs::peaking(1_000.0, 1.4, gain, FS);
            assert!((c.magnitude_db(1_000.0, FS) - gain).abs() < 0.01);
            let mut st = State::default();
            let measured = measured_gain_db(1_000.0, |b| process(&c, &mut st, b));
            assert!((measured - gain).abs() < 0.05, "gain {gain}: measured {measured}");
        }
    }

    #[test]
    fn shelves_have_half_their_gain_at_the_corner_and_full_gain_beyond() {
        let low = Coeffs::low_shelf(200.0, std::f32::consts::FRAC_1_SQRT_2, 8.0, FS);
        assert!((low.magnitude_db(200.0, FS) - 4.0).abs() < 0.05);
        assert!((low.magnitude_db(20.0, FS) - 8.0).abs() < 0.1);
        assert!(low.magnitude_db(10_000.0, FS).abs() < 0.05);
        let high = Coeffs::high_shelf(5_000.0, std::f32::consts::FRAC_1_SQRT_2, -6.0, FS);
        assert!((high.magnitude_db(5_000.0, FS) + 3.0).abs() < 0.05);
        assert!((high.magnitude_db(20_000.0, FS) + 6.0).abs() < 0.2);
    }

    #[test]
    fn stereo_processing_equals_two_mono_passes() {
        let c = Coeffs::peaking(300.0, 0.9, 5.0, FS);
        let input: Vec<f32> = (0..256).map(|i| ((i * 7919) % 97) as f32 / 97.0 - 0.5).collect();
        let (mut l, mut r) = (input.clone(), input.iter().map(|x| -x * 0.5).collect::<Vec<_>>());
        let (mut lm, mut rm) = (l.clone(), r.clone());
        let mut states = [State::default(); 2];
        process_stereo(&c, &mut states, &mut l, &mut r);
        let (mut a, mut b) = (State::default(), State::default());
        process(&c, &mut a, &mut lm);
        process(&c, &mut b, &mut rm);
        assert_eq!(l, lm);
        assert_eq!(r, rm);
    }

    #[test]
    fn blockwise_equals_samplewise() {
        let c = Coeffs::highpass(120.0, 0.707, FS);
        let input: Vec<f32> = (0..1000).map(|i| ((i * 31) % 17) as f32 / 17.0).collect();
        let mut whole = input.clone();
        let mut st = State::default();
        process(&c, &mut st, &mut whole);
        let mut single = input.clone();
        let mut st2 = State::default();
        for x in single.chunks_mut(1) {
            process(&c, &mut st2, x);
        }
        assert_eq!(whole, single);
    }
}

/// Runs `coeffs.len()` (up to 6) sections in series over one or two channels (`right` is
/// `None` for mono), as pair 0 of `cascade_pack`: all sections advance together, sample by sample.
pub fn cascade(coeffs: &[Coeffs], states: &mut [[State; 2]], left: &mut [f32], mut right: Option<&mut [f32]>) {
    assert!(coeffs.len() == states.len() && coeffs.len() <= 6, "up to six sections");
    if coeffs.is_empty() {
        return;
    }
    let mut pack_coeffs = [[Coeffs::IDENTITY; PACK]; 6];
    let mut pack_states = [[[State::default(); 2]; PACK]; 6];
    for k in 0..coeffs.len() {
        pack_coeffs[k][0] = coeffs[k];
        pack_states[k][0] = states[k];
    }
    let sections = coeffs.len();
    let mut at = 0;
    while at < left.len() {
        let n = (left.len() - at).min(MAX_BLOCK);
        let mut spare = [[0.0f32; MAX_BLOCK]; 2 * PACK];
        let [spare_r, rest @ ..] = &mut spare;
        let right_lane: &mut [f32] = match right.as_mut() {
            Some(r) => &mut r[at..at + n],
            None => &mut spare_r[..n],
        };
        let mut others = rest.iter_mut().map(|row| &mut row[..n]);
        let mut lanes: [&mut [f32]; 2 * PACK] = [
            &mut left[at..at + n],
            right_lane,
            others.next().expect("spare"),
            others.next().expect("spare"),
            others.next().expect("spare"),
            others.next().expect("spare"),
            others.next().expect("spare"),
            others.next().expect("spare"),
        ];
        cascade_pack(&pack_coeffs[..sections], &mut pack_states[..sections], &mut lanes, n);
        at += n;
    }
    for k in 0..sections {
        states[k] = pack_states[k][0];
    }
}

#[inline(always)]
fn tick(c: &Coeffs, s: &mut State, x: f32) -> f32 {
    let y = c.b0 * x + s.s1;
    s.s1 = c.b1 * x - c.a1 * y + s.s2;
    s.s2 = c.b2 * x - c.a2 * y;
    y
}

#[cfg(target_arch = "x86_64")]
mod simd {
    use super::{Coeffs, PACK, State};
    use std::arch::x86_64::*;

    /// Transposes an 8×8 tile held as eight row vectors.
    #[target_feature(enable = "avx")]
    fn transpose8(r: [__m256; 8]) -> [__m256; 8] {
        let t0 = _mm256_unpacklo_ps(r[0], r[1]);
        let t1 = _mm256_unpackhi_ps(r[0], r[1]);
        let t2 = _mm256_unpacklo_ps(r[2], r[3]);
        let t3 = _mm256_unpackhi_ps(r[2], r[3]);
        let t4 = _mm256_unpacklo_ps(r[4], r[5]);
        let t5 = _mm256_unpackhi_ps(r[4], r[5]);
        let t6 = _mm256_unpacklo_ps(r[6], r[7]);
        let t7 = _mm256_unpackhi_ps(r[6], r[7]);
        let u0 = _mm256_shuffle_ps::<0x44>(t0, t2);
        let u1 = _mm256_shuffle_ps::<0xEE>(t0, t2);
        let u2 = _mm256_shuffle_ps::<0x44>(t1, t3);
        let u3 = _mm256_shuffle_ps::<0xEE>(t1, t3);
        let u4 = _mm256_shuffle_ps::<0x44>(t4, t6);
        let u5 = _mm256_shuffle_ps::<0xEE>(t4, t6);
        let u6 = _mm256_shuffle_ps::<0x44>(t5, t7);
        let u7 = _mm256_shuffle_ps::<0xEE>(t5, t7);
        [
            _mm256_permute2f128_ps::<0x20>(u0, u4),
            _mm256_permute2f128_ps::<0x20>(u1, u5),
            _mm256_permute2f128_ps::<0x20>(u2, u6),
            _mm256_permute2f128_ps::<0x20>(u3, u7),
            _mm256_permute2f128_ps::<0x31>(u0, u4),
            _mm256_permute2f128_ps::<0x31>(u1, u5),
            _mm256_permute2f128_ps::<0x31>(u2, u6),
            _mm256_permute2f128_ps::<0x31>(u3, u7),
        ]
    }

    /// Eight channels (rows of `lanes`) in eight SIMD lanes; `frames` is a multiple of 8.
    #[target_feature(enable = "avx,fma")]
    pub(super) fn cascade_pack_avx<const N: usize>(
        coeffs: &[[Coeffs; PACK]],
        states: &mut [[[State; 2]; PACK]],
        lanes: &mut [&mut [f32]; 2 * PACK],
        frames: usize,
    ) {
        let per_lane = |f: &dyn Fn(&Coeffs) -> f32, section: &[Coeffs; PACK]| {
            vector8(std::array::from_fn(|lane| f(&section[lane / 2])))
        };
        let mut b0 = [_mm256_setzero_ps(); N];
        let mut b1 = b0;
        let mut b2 = b0;
        let mut neg_a1 = b0;
        let mut neg_a2 = b0;
        let mut s1 = b0;
        let mut s2 = b0;
        for k in 0..N {
            b0[k] = per_lane(&|c| c.b0, &coeffs[k]);
            b1[k] = per_lane(&|c| c.b1, &coeffs[k]);
            b2[k] = per_lane(&|c| c.b2, &coeffs[k]);
            neg_a1[k] = per_lane(&|c| -c.a1, &coeffs[k]);
            neg_a2[k] = per_lane(&|c| -c.a2, &coeffs[k]);
            s1[k] = vector8(std::array::from_fn(|lane| states[k][lane / 2][lane % 2].s1));
            s2[k] = vector8(std::array::from_fn(|lane| states[k][lane / 2][lane % 2].s2));
        }
        for tile in (0..frames).step_by(8) {
            let rows: [__m256; 8] =
                std::array::from_fn(|r| vector8(lanes[r][tile..tile + 8].try_into().expect("eight samples")));
            let mut samples = transpose8(rows);
            for x in samples.iter_mut() {
                for k in 0..N {
                    let y = _mm256_fmadd_ps(b0[k], *x, s1[k]);
                    s1[k] = _mm256_fmadd_ps(neg_a1[k], y, _mm256_fmadd_ps(b1[k], *x, s2[k]));
                    s2[k] = _mm256_fmadd_ps(neg_a2[k], y, _mm256_mul_ps(b2[k], *x));
                    *x = y;
                }
            }
            for (r, row) in transpose8(samples).into_iter().enumerate() {
                lanes[r][tile..tile + 8].copy_from_slice(&lanes8(row));
            }
        }
        for k in 0..N {
            let (st1, st2) = (lanes8(s1[k]), lanes8(s2[k]));
            for lane in 0..8 {
                states[k][lane / 2][lane % 2] = State { s1: st1[lane], s2: st2[lane] };
            }
        }
    }

    fn vector8(v: [f32; 8]) -> __m256 {
        // SAFETY: __m256 is eight f32 lanes, laid out as [f32; 8].
        unsafe { std::mem::transmute::<[f32; 8], __m256>(v) }
    }

    fn lanes8(v: __m256) -> [f32; 8] {
        // SAFETY: as above.
        unsafe { std::mem::transmute::<__m256, [f32; 8]>(v) }
    }
}

/// Stereo channels processed side by side by `cascade_pack`: four pairs in eight lanes.
pub const PACK: usize = 4;

/// Runs `coeffs.len()` (up to 6) sections in series over eight channels at once: `lanes[2p]`
/// and `lanes[2p + 1]` are the left and right of pair p (all `frames` long), and
/// `coeffs[k][p]`, `states[k][p]` its section k. With AVX and FMA one instruction serves all
/// eight lanes (the data is transposed eight samples at a time in registers). Pad unused
/// sections with `Coeffs::IDENTITY`, which passes audio through unchanged.
pub fn cascade_pack(
    coeffs: &[[Coeffs; PACK]],
    states: &mut [[[State; 2]; PACK]],
    lanes: &mut [&mut [f32]; 2 * PACK],
    frames: usize,
) {
    assert!(coeffs.len() == states.len() && coeffs.len() <= 6, "up to six sections");
    assert!(lanes.iter().all(|l| l.len() == frames), "every lane holds the block");
    #[cfg(target_arch = "x86_64")]
    if frames.is_multiple_of(8)
        && std::arch::is_x86_feature_detected!("avx")
        && std::arch::is_x86_feature_detected!("fma")
    {
        // SAFETY: AVX and FMA are present (checked just above).
        unsafe {
            match coeffs.len() {
                0 => {}
                1 => simd::cascade_pack_avx::<1>(coeffs, states, lanes, frames),
                2 => simd::cascade_pack_avx::<2>(coeffs, states, lanes, frames),
                3 => simd::cascade_pack_avx::<3>(coeffs, states, lanes, frames),
                4 => simd::cascade_pack_avx::<4>(coeffs, states, lanes, frames),
                5 => simd::cascade_pack_avx::<5>(coeffs, states, lanes, frames),
                _ => simd::cascade_pack_avx::<6>(coeffs, states, lanes, frames),
            }
        }
        return;
    }
    for (lane, samples) in lanes.iter_mut().enumerate() {
        for x in samples.iter_mut() {
            for (k, section) in coeffs.iter().enumerate() {
                *x = tick(&section[lane / 2], &mut states[k][lane / 2][lane % 2], *x);
            }
        }
    }
}

#[cfg(test)]
mod cascade_tests {
    use super::tests::process_stereo;
    use super::*;

    #[test]
    fn a_cascade_equals_its_sections_run_one_after_another() {
        let fs = 48_000.0;
        let sections = [
            Coeffs::highpass(60.0, 0.707, fs),
            Coeffs::low_shelf(120.0, 0.707, 3.0, fs),
            Coeffs::peaking(900.0, 1.3, -4.0, fs),
            Coeffs::high_shelf(8_000.0, 0.707, 2.0, fs),
        ];
        let input: Vec<f32> = (0..512).map(|i| ((i * 7919) % 113) as f32 / 113.0 - 0.5).collect();
        for n in 1..=4 {
            let (mut l, mut r) = (input.clone(), input.iter().map(|x| x * -0.7).collect::<Vec<_>>());
            let (mut l_ref, mut r_ref) = (l.clone(), r.clone());
            let mut states = vec![[State::default(); 2]; n];
            for (block_l, block_r) in l.chunks_mut(64).zip(r.chunks_mut(64)) {
                cascade(&sections[..n], &mut states, block_l, Some(block_r));
            }
            for c in &sections[..n] {
                let mut st = [State::default(); 2];
                process_stereo(c, &mut st, &mut l_ref, &mut r_ref);
            }
            for i in 0..input.len() {
                assert!(
                    (l[i] - l_ref[i]).abs() < 1e-4 && (r[i] - r_ref[i]).abs() < 1e-4,
                    "{n} sections, sample {i}: {} vs {}",
                    l[i],
                    l_ref[i]
                );
            }
            // Four pairs side by side give what each pair gives alone.
            let pack_coeffs: Vec<[Coeffs; PACK]> = sections[..n].iter().map(|c| [*c; PACK]).collect();
            let mut pack_states = vec![[[State::default(); 2]; PACK]; n];
            let mut packed = Vec::new();
            for block in 0..input.len() / 64 {
                let mut lanes = [[0.0f32; 64]; 2 * PACK];
                for (lane, row) in lanes.iter_mut().enumerate() {
                    for (i, x) in row.iter_mut().enumerate() {
                        let v = input[block * 64 + i];
                        *x = if lane % 2 == 0 { v } else { v * -0.7 };
                    }
                }
                {
                    let mut rows = lanes.each_mut().map(|row| &mut row[..]);
                    cascade_pack(&pack_coeffs, &mut pack_states, &mut rows, 64);
                }
                packed.push(lanes);
            }
            for (block, lanes) in packed.iter().enumerate() {
                for pair in 0..PACK {
                    let (left, right) = (&lanes[2 * pair], &lanes[2 * pair + 1]);
                    for (i, (l, r)) in left.iter().zip(right).enumerate() {
                        let at = block * 64 + i;
                        assert!((l - l_ref[at]).abs() < 1e-4, "pack, {n} sections, sample {at}");
                        assert!((r - r_ref[at]).abs() < 1e-4);
                    }
                }
            }
            let mut mono = input.clone();
            let mut mono_states = vec![[State::default(); 2]; n];
            cascade(&sections[..n], &mut mono_states, &mut mono, None);
            assert!(mono.iter().zip(&l_ref).all(|(a, b)| (a - b).abs() < 1e-4));
        }
    }
}
