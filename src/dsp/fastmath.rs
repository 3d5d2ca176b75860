//! Cheap, accurate-enough log/exp for per-sample dynamics.
//!
//! `f32::log2`/`exp2` are library calls; a compressor calling them on every
//! sample costs several times more than the whole EQ. These approximations are
//! accurate to about 3e-6 (relative), i.e. ~3e-5 dB, far inside what the
//! static-curve tests demand.

const LN2: f32 = std::f32::consts::LN_2;
/// 20 / log2(10): converts log2 of a linear gain to decibels.
const DB_PER_LOG2: f32 = 6.020_6;

/// log2(x) for x > 0 (finite). Returns a very negative number for x == 0.
#[inline(always)]
pub fn log2(x: f32) -> f32 {
    let bits = x.max(1e-30).to_bits();
    let exponent = ((bits >> 23) & 0xff) as i32 - 127;
    let mantissa = f32::from_bits((bits & 0x007f_ffff) | 0x3f80_0000); // in [1, 2)
    // Centre the mantissa on 1 so the series argument stays small. Selects, not branches,
    // so loops over arrays of levels vectorise.
    let high = mantissa > std::f32::consts::SQRT_2;
    let mantissa = if high { mantissa * 0.5 } else { mantissa };
    let exponent = exponent + high as i32;
    // log(m) = 2 atanh(z), z = (m-1)/(m+1), |z| < 0.172
    let z = (mantissa - 1.0) / (mantissa + 1.0);
    let z2 = z * z;
    let series = z * (2.0 + z2 * (2.0 / 3.0 + z2 * (2.0 / 5.0 + z2 * (2.0 / 7.0))));
    exponent as f32 + series * std::f32::consts::LOG2_E
}

/// 2^x, clamped to the normal f32 range.
#[inline(always)]
pub fn exp2(x: f32) -> f32 {
    let x = x.clamp(-126.0, 126.0);
    // Round to nearest by adding 1.5·2^23: the sum's low mantissa bits are then the integer
    // itself (f32::round is a library call, and `as i32` saturates, which stops vectorising).
    const ROUNDER: f32 = 12_582_912.0;
    let shifted = x + ROUNDER;
    let whole = shifted - ROUNDER;
    let whole_int = shifted.to_bits() as i32 - ROUNDER.to_bits() as i32;
    let frac = (x - whole) * LN2; // in [-0.347, 0.347]
    // e^frac, Taylor to the 5th power: error < 3e-6 relative (3e-5 dB).
    let poly = 1.0 + frac * (1.0 + frac * (0.5 + frac * (1.0 / 6.0 + frac * (1.0 / 24.0 + frac * (1.0 / 120.0)))));
    f32::from_bits(((whole_int + 127) as u32) << 23) * poly
}

/// Linear gain to decibels (fast).
#[inline(always)]
pub fn gain_to_db(gain: f32) -> f32 {
    log2(gain) * DB_PER_LOG2
}

/// Decibels to linear gain (fast).
#[inline(always)]
pub fn db_to_gain(db: f32) -> f32 {
    exp2(db * (1.0 / DB_PER_LOG2))
}

/// Exact decibels to gain, for control-rate work where precision matters more than speed.
pub fn db_to_gain_exact(db: f32) -> f32 {
    10f32.powf(db / 20.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log2_matches_std_over_the_audio_range() {
        let mut x = 1e-7f32;
        while x < 1e4 {
            let err = (log2(x) - x.log2()).abs();
            assert!(err < 5e-6, "log2({x}) off by {err}");
            x *= 1.013;
        }
    }

    #[test]
    fn exp2_matches_std_over_the_audio_range() {
        let mut x = -40.0f32;
        while x < 10.0 {
            let rel = (exp2(x) - x.exp2()).abs() / x.exp2();
            assert!(rel < 4e-6, "exp2({x}) off by {rel}");
            x += 0.0137;
        }
    }

    #[test]
    fn db_round_trip_is_within_a_thousandth_of_a_db() {
        for db in [-120.0f32, -60.0, -18.0, -0.5, 0.0, 6.0, 10.0] {
            let back = gain_to_db(db_to_gain(db));
            assert!((back - db).abs() < 1e-3, "{db} -> {back}");
            assert!((db_to_gain(db) - db_to_gain_exact(db)).abs() <= 4e-6 * db_to_gain_exact(db).max(1.0));
        }
    }
}
