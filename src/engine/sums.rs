//! What each bus adds up over one pass, before it runs.

/// What a bus (or the master) receives: the stereo sum of everything routed or sent to it,
/// over one pass of the engine (up to `len` frames).
pub struct BusSum {
    sides: [Box<[f32]>; 2],
}

impl BusSum {
    pub fn new(len: usize) -> Self {
        Self { sides: [vec![0.0; len].into_boxed_slice(), vec![0.0; len].into_boxed_slice()] }
    }

    pub fn side(&self, side: usize, at: usize, frames: usize) -> &[f32] {
        &self.sides[side][at..at + frames]
    }

    pub fn side_mut(&mut self, side: usize, at: usize, frames: usize) -> &mut [f32] {
        &mut self.sides[side][at..at + frames]
    }

    /// Both sides mutably.
    pub fn both_mut(&mut self, at: usize, frames: usize) -> (&mut [f32], &mut [f32]) {
        let [left, right] = &mut self.sides;
        (&mut left[at..at + frames], &mut right[at..at + frames])
    }

    pub fn clear(&mut self, at: usize, frames: usize) {
        for side in 0..2 {
            self.side_mut(side, at, frames).fill(0.0);
        }
    }
}
