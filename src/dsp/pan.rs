//! Pan laws.
//!
//! Mono sources use constant-power panning: position p in [-1, 1] maps to an
//! angle θ = (p + 1)·π/4 and gains (cos θ, sin θ). The power sum is constant,
//! so a source keeps its loudness as it moves; at the centre each side is
//! cos(π/4) = 0.7071 (-3.01 dB).
//!
//! Stereo sources use balance: at the centre both sides pass at unity; moving
//! towards one side attenuates the other by cos(|p|·π/2), down to silence at
//! the extreme. The near side is never boosted.

use std::f32::consts::{FRAC_PI_2, FRAC_PI_4};

/// (left, right) gains for a mono source at `position`.
pub fn constant_power(position: f32) -> (f32, f32) {
    // Hard left and right are exact: cos(π/2) in f32 is 4.4e-8 (-147 dB), not silence.
    match position {
        p if p <= -1.0 => (1.0, 0.0),
        p if p >= 1.0 => (0.0, 1.0),
        p => {
            let theta = (p + 1.0) * FRAC_PI_4;
            (theta.cos(), theta.sin())
        }
    }
}

/// (left, right) gains for a stereo source at balance `position`.
pub fn balance(position: f32) -> (f32, f32) {
    let p = position.clamp(-1.0, 1.0);
    let far_side = if p.abs() >= 1.0 { 0.0 } else { (p.abs() * FRAC_PI_2).cos() };
    if p > 0.0 { (far_side, 1.0) } else { (1.0, far_side) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn centre_is_minus_3_db_each_side_and_extremes_are_hard() {
        let (l, r) = constant_power(0.0);
        assert!((20.0 * l.log10() + 3.0103).abs() < 1e-3);
        assert!((l - r).abs() < 1e-7);
        // Hard positions are exact: the far side is silent, not -147 dB.
        assert_eq!(constant_power(-1.0), (1.0, 0.0));
        assert_eq!(constant_power(1.0), (0.0, 1.0));
    }

    #[test]
    fn power_is_constant_across_the_field() {
        for i in -10..=10 {
            let (l, r) = constant_power(i as f32 / 10.0);
            assert!((l * l + r * r - 1.0).abs() < 1e-6);
        }
    }

    #[test]
    fn balance_is_unity_at_centre_and_silences_the_far_side() {
        assert_eq!(balance(0.0), (1.0, 1.0));
        assert_eq!(balance(1.0), (0.0, 1.0));
        assert_eq!(balance(-1.0), (1.0, 0.0));
        let (l, r) = balance(-0.5);
        assert!(l == 1.0 && (r - std::f32::consts::FRAC_1_SQRT_2).abs() < 1e-6);
    }
}
