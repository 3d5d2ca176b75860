//! Delay compensation for hardware inserts: every path to the master is made as late as the
//! latest, so what went through outboard gear lines up with what did not.
//!
//! Strips are delayed at their input by the latest strip insert's round trip less their own,
//! so every strip's output is equally late. A bus hears the strips at that lateness and other
//! buses' outputs each as late as its own path: the strips' part of its sum, and each
//! bus-to-bus contribution, are delayed up to the latest of them. `Engine::compensate` works
//! this out on the audio thread at every pass, so it always follows the routing and the
//! latest ping, without allocating: the delay lines exist (and cost anything) only in a
//! session with a hardware insert.

use crate::dsp::AudioBlock;

/// The longest delay a line holds (170 ms at 48 kHz): a longer round trip is held to it.
pub const MOST_DELAY: usize = 8192;

/// How late each bus sum's paths arrive, and the delay of the strips' part of each.
pub(super) struct Compensation {
    /// Per sum (0: the master's, then the buses'), in frames.
    pub arrival: Box<[u32]>,
    pub strip_part: Box<[DelayLine]>,
}

impl Compensation {
    pub fn new(sums: usize) -> Self {
        Compensation {
            arrival: vec![0; sums].into_boxed_slice(),
            strip_part: (0..sums).map(|_| DelayLine::new()).collect(),
        }
    }
}

/// A stereo delay line of a set length.
pub struct DelayLine {
    ring: [Box<[f32]>; 2],
    pos: usize,
    delay: usize,
    /// The last block through `run_block`.
    out: AudioBlock,
}

impl DelayLine {
    pub fn new() -> Self {
        let ring = || vec![0.0; MOST_DELAY].into_boxed_slice();
        DelayLine { ring: [ring(), ring()], pos: 0, delay: 0, out: AudioBlock::new(2) }
    }

    pub fn set_delay(&mut self, frames: u32) {
        self.delay = (frames as usize).min(MOST_DELAY - 1);
    }

    /// Delays `sides` in place (one slice per channel, each as long).
    pub fn run(&mut self, sides: &mut [&mut [f32]]) {
        delay_in_place(&mut self.ring, &mut self.pos, self.delay, sides);
    }

    /// A delayed copy of a stereo `block`.
    pub fn run_block(&mut self, block: &AudioBlock) -> &AudioBlock {
        self.out.set_frames(block.frames());
        for ch in 0..2 {
            self.out.channel_mut(ch).copy_from_slice(block.channel(ch));
        }
        let (left, right) = self.out.stereo_mut();
        delay_in_place(&mut self.ring, &mut self.pos, self.delay, &mut [left, right]);
        &self.out
    }
}

/// The line's work: each sample goes into the ring and comes out `delay` later. The ring
/// keeps its history even at no delay, so a delay set later plays what came before.
fn delay_in_place(ring: &mut [Box<[f32]>; 2], pos: &mut usize, delay: usize, sides: &mut [&mut [f32]]) {
    let frames = sides.first().map_or(0, |s| s.len());
    for (ring, side) in ring.iter_mut().zip(sides.iter_mut()) {
        for (i, x) in side.iter_mut().enumerate() {
            let write = (*pos + i) % MOST_DELAY;
            ring[write] = *x;
            *x = ring[(write + MOST_DELAY - delay) % MOST_DELAY];
        }
    }
    *pos = (*pos + frames) % MOST_DELAY;
}
