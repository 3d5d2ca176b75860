//! The master's peak target (`meters.peak_target_db`): where a mix's peaks should sit to
//! leave room for mastering, and where a peak sits against it. The console judges its
//! meters by it, and the render report its prints.

use super::schema::PEAK_TARGET_RANGE_DB;

/// Peaks the master should reach, in dBFS.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PeakTarget {
    pub low_db: f32,
    pub high_db: f32,
}

/// Where a peak sits against the target.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Verdict {
    /// Nothing played (a peak at or below `silent_db`).
    Silent,
    /// Above the target's top by this many dB.
    Hot(f32),
    /// Below the target's bottom by this many dB (negative).
    Low(f32),
    InRange,
}

impl PeakTarget {
    pub fn of([low_db, high_db]: [f32; 2]) -> Self {
        Self { low_db, high_db }
    }

    /// Judges a peak in dBFS; at or below `silent_db` nothing played.
    pub fn judge(&self, peak_db: f32, silent_db: f32) -> Verdict {
        if peak_db <= silent_db {
            Verdict::Silent
        } else if peak_db > self.high_db {
            Verdict::Hot(peak_db - self.high_db)
        } else if peak_db < self.low_db {
            Verdict::Low(peak_db - self.low_db)
        } else {
            Verdict::InRange
        }
    }
}

/// What is wrong with a target written low then high (`None`: nothing).
pub fn target_problem([low, high]: [f32; 2]) -> Option<String> {
    let (min, max) = PEAK_TARGET_RANGE_DB;
    let within = |v: f32| (min..=max).contains(&v);
    (!(within(low) && within(high) && low < high)).then(|| {
        format!("expected two levels in dBFS, low then high, from {min} to {max} (e.g. -10 -6); found {low} {high}")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_peak_is_hot_low_in_range_or_silent() {
        let target = PeakTarget::of([-10.0, -6.0]);
        assert_eq!(target.judge(-4.2, -90.0), Verdict::Hot(1.8000002));
        assert_eq!(target.judge(-13.0, -90.0), Verdict::Low(-3.0));
        assert_eq!(target.judge(-6.0, -90.0), Verdict::InRange);
        assert_eq!(target.judge(-95.0, -90.0), Verdict::Silent);
        assert!(target_problem([-6.0, -10.0]).is_some() && target_problem([-70.0, -6.0]).is_some());
        assert_eq!(target_problem([-10.0, -6.0]), None);
    }
}
