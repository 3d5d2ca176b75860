//! Every pass kept: a lane is what its pass history adds up to, so taking a pass back (or
//! bringing it back) rebuilds the lanes it wrote, exactly, and nothing is ever thrown away.

use std::collections::BTreeMap;

use super::Mode;
use super::lane::{Lane, Point, Shape};

/// The highest pass id a file may hold: ids count up from 1, and no one mixes a billion passes.
pub const MOST_PASS_ID: u32 = 999_999_999;

/// The latest transport frame automation may name: 2^48, over 180 years at 48 kHz, and far
/// from where arithmetic on frames could overflow.
pub const MOST_FRAME: u64 = 1 << 48;

/// One roll of the transport that wrote something.
#[derive(Clone, Debug, PartialEq)]
pub struct Pass {
    pub id: u32,
    pub name: Option<String>,
    /// When it was made, local time (`2026-11-21 14:03:12`).
    pub made: String,
    /// The transport frames the pass covered.
    pub start: u64,
    pub end: u64,
    /// Whether the pass plays (taken back passes stay in the history, inactive).
    pub active: bool,
    /// Per parameter id, the stretches written, each thinned, in frame order.
    pub writes: BTreeMap<String, Vec<Vec<Point>>>,
    /// Transport frames where JACK missed periods while the pass was written (it carried on).
    pub xruns: Vec<u64>,
}

impl Pass {
    /// "pass 3 \"verse ride\" (strip.Vocal.fader, 0:12-0:31)", and the xruns it carried on over
    /// ("…, over 2 xruns: 0:14.208, 0:20.917").
    pub fn describe(&self, rate: u32) -> String {
        let name = self.name.as_ref().map(|n| format!(" \"{n}\"")).unwrap_or_default();
        let params: Vec<&str> = self.writes.keys().map(String::as_str).collect();
        let params = if params.len() > 2 { format!("{} parameters", params.len()) } else { params.join(", ") };
        let xruns = match self.xruns.len() {
            0 => String::new(),
            n => {
                let at: Vec<String> = self.xruns.iter().map(|&f| precise_clock(f, rate)).collect();
                format!(", over {n} xrun{}: {}", if n == 1 { "" } else { "s" }, at.join(", "))
            }
        };
        format!("pass {}{name} ({params}, {}-{}){xruns}", self.id, clock(self.start, rate), clock(self.end, rate))
    }
}

/// m:ss.mmm of a frame.
pub fn precise_clock(frame: u64, rate: u32) -> String {
    let rate = u64::from(rate.max(1));
    let ms = frame * 1000 / rate;
    format!("{}:{:02}.{:03}", ms / 60_000, ms / 1000 % 60, ms % 1000)
}

/// m:ss of a frame.
pub fn clock(frame: u64, rate: u32) -> String {
    let seconds = frame / u64::from(rate.max(1));
    format!("{}:{:02}", seconds / 60, seconds % 60)
}

/// The modes, the passes, and what undo and redo walk through.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Store {
    pub modes: BTreeMap<String, Mode>,
    passes: Vec<Pass>,
    /// Passes taken back by undo, the latest last: what redo brings back.
    redo: Vec<u32>,
}

impl Store {
    pub fn new(modes: BTreeMap<String, Mode>, passes: Vec<Pass>) -> Store {
        Store { modes, passes, redo: Vec::new() }
    }

    pub fn passes(&self) -> &[Pass] {
        &self.passes
    }

    /// The id of the next pass: one past the highest, or the lowest free one once the
    /// highest is the last a file may hold.
    pub fn next_id(&self) -> u32 {
        match self.passes.iter().map(|p| p.id).max().unwrap_or(0) {
            highest if highest < MOST_PASS_ID => highest + 1,
            _ => (1..=MOST_PASS_ID).find(|id| self.passes.iter().all(|p| p.id != *id)).unwrap_or(MOST_PASS_ID),
        }
    }

    /// The lane of parameter `id`: its active passes laid one over the other in order.
    pub fn lane(&self, id: &str, shape: Shape) -> Option<Lane> {
        let mut lane = Lane::new(shape, Vec::new());
        for pass in self.passes.iter().filter(|p| p.active) {
            for stretch in pass.writes.get(id).into_iter().flatten() {
                lane = lane.splice(stretch);
            }
        }
        (!lane.is_empty()).then_some(lane)
    }

    /// Every parameter id with a lane or a mode.
    pub fn automated(&self) -> Vec<String> {
        let mut ids: Vec<String> = self.modes.keys().cloned().collect();
        for pass in &self.passes {
            ids.extend(pass.writes.keys().cloned());
        }
        ids.sort();
        ids.dedup();
        ids
    }

    /// Keeps a new pass; a new pass ends what redo could bring back (it stays in the list).
    pub fn add(&mut self, pass: Pass) -> Vec<String> {
        self.redo.clear();
        let changed = pass.writes.keys().cloned().collect();
        self.passes.push(pass);
        changed
    }

    /// Takes back the latest active pass; returns it (its lanes are to be rebuilt).
    pub fn undo(&mut self) -> Option<&Pass> {
        let at = self.passes.iter().rposition(|p| p.active)?;
        self.passes[at].active = false;
        self.redo.push(self.passes[at].id);
        Some(&self.passes[at])
    }

    /// Brings back the pass undo took back last.
    pub fn redo(&mut self) -> Option<&Pass> {
        let id = self.redo.pop()?;
        let pass = self.passes.iter_mut().find(|p| p.id == id)?;
        pass.active = true;
        Some(pass)
    }

    /// Turns a pass off (revert, or audition the lanes without it) or back on.
    pub fn toggle(&mut self, id: u32) -> Option<&Pass> {
        self.redo.retain(|&r| r != id);
        let pass = self.passes.iter_mut().find(|p| p.id == id)?;
        pass.active = !pass.active;
        Some(pass)
    }

    pub fn rename(&mut self, id: u32, name: &str) -> Option<&Pass> {
        let pass = self.passes.iter_mut().find(|p| p.id == id)?;
        pass.name = Some(name.trim().to_string()).filter(|n| !n.is_empty());
        Some(pass)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pass(id: u32, stretch: &[(u64, f32)]) -> Pass {
        let points = stretch.iter().map(|&(frame, value)| Point { frame, value }).collect();
        Pass {
            id,
            name: None,
            made: "2026-11-21 10:00:00".into(),
            start: stretch[0].0,
            end: stretch[stretch.len() - 1].0,
            active: true,
            writes: BTreeMap::from([("strip.V.fader".to_string(), vec![points])]),
            xruns: Vec::new(),
        }
    }

    #[test]
    fn a_pass_names_the_xruns_it_carried_on_over_with_their_times() {
        let mut ride = pass(4, &[(48_000, -6.0), (20 * 48_000, -9.0)]);
        assert_eq!(ride.describe(48_000), "pass 4 (strip.V.fader, 0:01-0:20)");
        ride.xruns = vec![3 * 48_000 + 9_984, 65 * 48_000];
        assert_eq!(ride.describe(48_000), "pass 4 (strip.V.fader, 0:01-0:20), over 2 xruns: 0:03.208, 1:05.000");
    }

    #[test]
    fn undo_and_redo_across_passes_restore_the_lanes_exactly() {
        let mut store = Store::default();
        let lane = |s: &Store| s.lane("strip.V.fader", Shape::Linear);
        store.add(pass(1, &[(0, -10.0), (1000, -10.0)]));
        let after_first = lane(&store);
        store.add(pass(2, &[(200, -3.0), (400, -3.0)]));
        let after_second = lane(&store);
        assert_ne!(after_first, after_second);
        assert_eq!(store.undo().map(|p| p.id), Some(2));
        assert_eq!(lane(&store), after_first);
        assert_eq!(store.undo().map(|p| p.id), Some(1));
        assert_eq!(lane(&store), None);
        assert_eq!(store.redo().map(|p| p.id), Some(1));
        assert_eq!(store.redo().map(|p| p.id), Some(2));
        assert_eq!(lane(&store), after_second);
        assert!(store.redo().is_none());
        // An old pass taken out alone: the later one plays over nothing.
        store.toggle(1);
        assert_eq!(lane(&store).unwrap().points().len(), 2);
        assert_eq!(store.passes().len(), 2, "nothing is thrown away");
    }
}
