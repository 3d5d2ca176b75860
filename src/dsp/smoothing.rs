//! Parameter smoothing: one-pole glides in the linear domain, so a fader move
//! or a mute never steps (zipper noise, clicks).

/// A one-pole glide towards a target, snapped exactly onto it once close
/// (so a muted gain reaches true zero and settled gains cost nothing).
#[derive(Clone, Copy, Debug)]
pub struct Smoother {
    current: f32,
    target: f32,
    pole: f32,
}

/// Below this distance from the target the glide snaps onto it (-120 dB of full scale).
const SNAP_DISTANCE: f32 = 1e-6;

impl Smoother {
    /// `time_ms` is the time to cover ~99% of a step.
    pub fn new(value: f32, time_ms: f32, sample_rate: f32) -> Self {
        Self { current: value, target: value, pole: pole_for(time_ms, sample_rate) }
    }

    pub fn set_target(&mut self, target: f32) {
        self.target = target;
    }

    pub fn target(&self) -> f32 {
        self.target
    }

    pub fn current(&self) -> f32 {
        self.current
    }

    /// Jump to a value without gliding (used when a graph is built or reset).
    pub fn reset(&mut self, value: f32) {
        self.current = value;
        self.target = value;
    }

    pub fn is_settled(&self) -> bool {
        self.current == self.target
    }

    #[inline(always)]
    pub fn step(&mut self) -> f32 {
        self.glide(self.pole)
    }

    /// Advance by `frames` samples at once (for values read once per sub-block).
    pub fn advance(&mut self, frames: usize) -> f32 {
        if self.is_settled() {
            return self.current;
        }
        self.glide(self.pole.powi(frames as i32))
    }

    #[inline(always)]
    fn glide(&mut self, pole: f32) -> f32 {
        let next = self.target + (self.current - self.target) * pole;
        // Near the target the step can round away to nothing and the glide would stall
        // a few ulps short: snap once close or once it stops moving.
        self.current =
            if next == self.current || (next - self.target).abs() < SNAP_DISTANCE { self.target } else { next };
        self.current
    }

    /// Multiplies `buf` by the gliding gain.
    #[inline]
    pub fn apply_gain(&mut self, buf: &mut [f32]) {
        if self.is_settled() {
            let gain = self.current;
            if gain != 1.0 {
                buf.iter_mut().for_each(|x| *x *= gain);
            }
        } else {
            for x in buf.iter_mut() {
                *x *= self.step();
            }
        }
    }

    /// Writes `input` times the gliding gain into `out` (a copy and a gain in one pass).
    #[inline]
    pub fn apply_gain_into(&mut self, input: &[f32], out: &mut [f32]) {
        if self.is_settled() {
            let gain = self.current;
            out.iter_mut().zip(input).for_each(|(o, x)| *o = x * gain);
        } else {
            for (o, x) in out.iter_mut().zip(input) {
                *o = x * self.step();
            }
        }
    }
}

/// Pole of a one-pole filter that covers 99% of a step in `time_ms`.
pub fn pole_for(time_ms: f32, sample_rate: f32) -> f32 {
    let samples = (time_ms * 0.001 * sample_rate).max(1.0);
    // 99% after `samples` steps: pole^samples = 0.01
    (0.01f32.ln() / samples).exp()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reaches_99_percent_in_the_stated_time_and_then_snaps() {
        let mut s = Smoother::new(0.0, 10.0, 48_000.0);
        s.set_target(1.0);
        let mut v = 0.0;
        for _ in 0..480 {
            v = s.step();
        }
        assert!((v - 0.99).abs() < 0.002, "after 10 ms: {v}");
        for _ in 0..10_000 {
            s.step();
        }
        assert!(s.is_settled());
        assert_eq!(s.current(), 1.0);
    }

    #[test]
    fn a_mute_reaches_exact_zero() {
        let mut s = Smoother::new(1.0, 5.0, 48_000.0);
        s.set_target(0.0);
        for _ in 0..48_000 {
            s.step();
        }
        assert_eq!(s.current(), 0.0);
    }

    #[test]
    fn glide_has_no_step_larger_than_the_first() {
        // A click is a step; a one-pole glide's largest step is its first.
        let mut s = Smoother::new(0.0, 20.0, 48_000.0);
        s.set_target(1.0);
        let first = s.step();
        let mut last = first;
        for _ in 0..2000 {
            let v = s.step();
            assert!(v - last <= first + 1e-7);
            last = v;
        }
        assert!(first < 0.005, "first step {first} is a click");
    }

    #[test]
    fn advance_equals_stepping() {
        let mut a = Smoother::new(0.2, 30.0, 48_000.0);
        let mut b = a;
        a.set_target(0.9);
        b.set_target(0.9);
        for _ in 0..64 {
            a.step();
        }
        b.advance(64);
        assert!((a.current() - b.current()).abs() < 1e-5);
    }
}
