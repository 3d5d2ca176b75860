//! A lane: a parameter's value over time, as breakpoints in frames, read with the
//! interpolation that suits the parameter (straight lines in dB or pan, a geometric glide
//! in Hz, steps for switches and choices).

use super::params::{ParamSpec, Unit};

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Point {
    pub frame: u64,
    pub value: f32,
}

/// How a lane goes from one point to the next.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Shape {
    /// A straight line in the parameter's unit (dB, pan, ms...).
    Linear,
    /// A straight line in the logarithm (frequencies: equal steps sound equal).
    Log,
    /// The value holds until the next point (switches, choices).
    Step,
}

impl Shape {
    pub fn of(spec: &ParamSpec) -> Shape {
        match spec.unit {
            Unit::Toggle | Unit::Choice(_) => Shape::Step,
            Unit::Hz => Shape::Log,
            _ => Shape::Linear,
        }
    }

    /// Between `a` and `b`, `t` (0..1) of the way.
    pub fn between(self, a: f32, b: f32, t: f32) -> f32 {
        match self {
            Shape::Linear => a + (b - a) * t,
            Shape::Log if a > 0.0 && b > 0.0 => a * (b / a).powf(t),
            Shape::Log => a + (b - a) * t,
            Shape::Step => a,
        }
    }

    /// The value as thinning measures it: differences here are what the ear compares.
    pub fn measure(self, value: f32) -> f32 {
        match self {
            Shape::Log if value > 0.0 => value.ln(),
            _ => value,
        }
    }
}

/// Points in frame order, no two at the same frame.
#[derive(Clone, Debug, PartialEq)]
pub struct Lane {
    pub shape: Shape,
    points: Vec<Point>,
}

impl Lane {
    /// A lane through `points`, sorted; of points at the same frame the last one is kept.
    pub fn new(shape: Shape, mut points: Vec<Point>) -> Lane {
        points.sort_by_key(|p| p.frame);
        let mut kept: Vec<Point> = Vec::with_capacity(points.len());
        for p in points {
            match kept.last_mut() {
                Some(last) if last.frame == p.frame => *last = p,
                _ => kept.push(p),
            }
        }
        Lane { shape, points: kept }
    }

    pub fn points(&self) -> &[Point] {
        &self.points
    }

    pub fn is_empty(&self) -> bool {
        self.points.is_empty()
    }

    /// The value at `frame`: before the first point the first value, after the last the
    /// last. None for an empty lane. Real-time safe (a binary search).
    pub fn value_at(&self, frame: u64) -> Option<f32> {
        let after = self.points.partition_point(|p| p.frame <= frame);
        match (after.checked_sub(1).map(|i| self.points[i]), self.points.get(after)) {
            (None, None) => None,
            (None, Some(next)) => Some(next.value),
            (Some(before), None) => Some(before.value),
            (Some(before), Some(next)) => {
                let t = (frame - before.frame) as f64 / (next.frame - before.frame) as f64;
                Some(self.shape.between(before.value, next.value, t as f32))
            }
        }
    }

    /// This lane with `frames` (the range a pass wrote, first..=last frame) replaced by
    /// `written`. Outside the range the curve is kept as it was: where the range cuts
    /// between two points, a point is added one frame outside it at the old value.
    pub fn splice(&self, written: &[Point]) -> Lane {
        let (Some(first), Some(last)) = (written.first(), written.last()) else { return self.clone() };
        let (start, end) = (first.frame, last.frame);
        let mut points: Vec<Point> = self.points.iter().copied().filter(|p| p.frame < start).collect();
        if start > 0
            && let Some(value) = self.value_at(start - 1)
            && points.last().is_none_or(|p| p.frame < start - 1)
            && self.points.first().is_some_and(|p| p.frame < start)
        {
            points.push(Point { frame: start - 1, value });
        }
        points.extend_from_slice(written);
        let later = self.points.iter().copied().filter(|p| p.frame > end);
        if let Some(value) = self.value_at(end + 1)
            && self.points.last().is_some_and(|p| p.frame > end)
            && self.points.iter().all(|p| p.frame != end + 1)
        {
            points.push(Point { frame: end + 1, value });
        }
        points.extend(later);
        Lane::new(self.shape, points)
    }
}

/// Fewer points, same shape: drops every point the line between its neighbours passes
/// within `tolerance` of (measured as `shape` measures, e.g. dB, or ln Hz). Steps keep only
/// their changes. First and last points always stay. (Ramer-Douglas-Peucker on the value
/// axis: the error that matters is how far the played value strays, not a geometric one.)
pub fn thin(shape: Shape, points: &[Point], tolerance: f32) -> Vec<Point> {
    if points.len() <= 2 {
        return points.to_vec();
    }
    if shape == Shape::Step {
        let mut kept = vec![points[0]];
        for p in &points[1..] {
            if kept.last().is_some_and(|k| k.value != p.value) {
                kept.push(*p);
            }
        }
        let last = points[points.len() - 1];
        if kept.last().is_some_and(|k| k.frame != last.frame) {
            kept.push(last);
        }
        return kept;
    }
    let measured: Vec<f64> = points.iter().map(|p| shape.measure(p.value) as f64).collect();
    let mut keep = vec![false; points.len()];
    keep[0] = true;
    keep[points.len() - 1] = true;
    let mut spans = vec![(0, points.len() - 1)];
    while let Some((a, b)) = spans.pop() {
        let (fa, fb) = (points[a].frame as f64, points[b].frame as f64);
        let (va, vb) = (measured[a], measured[b]);
        let mut worst = (0.0, a);
        for i in a + 1..b {
            let line = va + (vb - va) * (points[i].frame as f64 - fa) / (fb - fa);
            let error = (measured[i] - line).abs();
            if error > worst.0 {
                worst = (error, i);
            }
        }
        if worst.0 > tolerance as f64 {
            keep[worst.1] = true;
            spans.push((a, worst.1));
            spans.push((worst.1, b));
        }
    }
    points.iter().zip(keep).filter(|(_, k)| *k).map(|(p, _)| *p).collect()
}

/// How far a thinned pass may stray from what was played, in the unit thinning measures:
/// 0.1 dB for levels, a fraction of a percent elsewhere.
pub fn tolerance(spec: &ParamSpec) -> f32 {
    match spec.unit {
        Unit::Db => 0.1,
        // ln of 1.002: 0.2% of the frequency, under a tenth of a semitone.
        Unit::Hz => 0.002,
        Unit::Toggle | Unit::Choice(_) => 0.0,
        _ => (spec.max - spec.min) * 0.001,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(frame: u64, value: f32) -> Point {
        Point { frame, value }
    }

    #[test]
    fn a_lane_reads_between_points_by_its_shape_and_holds_at_the_ends() {
        let lane = Lane::new(Shape::Linear, vec![p(100, -10.0), p(200, 0.0)]);
        assert_eq!(lane.value_at(0), Some(-10.0));
        assert_eq!(lane.value_at(150), Some(-5.0));
        assert_eq!(lane.value_at(1000), Some(0.0));
        let hz = Lane::new(Shape::Log, vec![p(0, 100.0), p(100, 400.0)]);
        assert!((hz.value_at(50).unwrap() - 200.0).abs() < 1e-3, "half way in ln is the geometric mean");
        let mute = Lane::new(Shape::Step, vec![p(0, 0.0), p(100, 1.0)]);
        assert_eq!(mute.value_at(99), Some(0.0));
        assert_eq!(mute.value_at(100), Some(1.0));
        assert_eq!(Lane::new(Shape::Linear, vec![]).value_at(5), None);
    }

    #[test]
    fn a_splice_replaces_the_range_and_keeps_the_curve_outside_it() {
        let old = Lane::new(Shape::Linear, vec![p(0, 0.0), p(1000, -10.0)]);
        let spliced = old.splice(&[p(400, -20.0), p(600, -20.0)]);
        for frame in [0, 200, 399, 601, 800, 1000] {
            assert!(
                (spliced.value_at(frame).unwrap() - old.value_at(frame).unwrap()).abs() < 1e-4,
                "outside the pass at {frame}"
            );
        }
        assert_eq!(spliced.value_at(500), Some(-20.0));
        // Into an empty lane, the pass is the lane.
        let fresh = Lane::new(Shape::Linear, vec![]).splice(&[p(10, 1.0), p(20, 2.0)]);
        assert_eq!(fresh.points(), &[p(10, 1.0), p(20, 2.0)]);
    }

    #[test]
    fn thinning_keeps_the_shape_within_the_tolerance_with_far_fewer_points() {
        // A slow sine ride of 6 dB, one value every 64 frames for 10 s.
        let ride: Vec<Point> =
            (0..7500).map(|i| p(i * 64, -6.0 + 3.0 * (i as f32 / 7500.0 * std::f32::consts::TAU).sin())).collect();
        let thinned = thin(Shape::Linear, &ride, 0.1);
        assert!(thinned.len() < ride.len() / 50, "{} points kept of {}", thinned.len(), ride.len());
        let lane = Lane::new(Shape::Linear, thinned);
        let worst = ride.iter().map(|q| (lane.value_at(q.frame).unwrap() - q.value).abs()).fold(0.0, f32::max);
        assert!(worst <= 0.1, "strays {worst} dB");
        // A switch keeps its changes only.
        let switch = [p(0, 0.0), p(64, 0.0), p(128, 1.0), p(192, 1.0), p(256, 0.0), p(320, 0.0)];
        assert_eq!(thin(Shape::Step, &switch, 0.0), vec![p(0, 0.0), p(128, 1.0), p(256, 0.0), p(320, 0.0)]);
    }
}
