//! Pure signal processing: no JACK, no files, no allocation once constructed.
//!
//! Every processor here is usable offline (tests, render) exactly as in the
//! real-time callback. Constructors may allocate; `process*` methods never do.

pub mod biquad;
pub mod delay;
pub mod denormal;
pub mod dynamics;
pub mod eq;
pub mod fastmath;
pub mod limiter;
pub mod loudness;
pub mod meter;
pub mod pan;
pub mod param;
pub mod reverb;
pub mod smoothing;
pub mod true_peak;

/// The engine processes audio in sub-blocks of at most this many frames; control-rate
/// work (coefficient updates, parameter reads) happens once per sub-block.
pub const MAX_BLOCK: usize = 64;

/// One sub-block of mono or stereo audio, the unit every processor works on.
#[derive(Clone)]
pub struct AudioBlock {
    data: [[f32; MAX_BLOCK]; 2],
    channels: usize,
    frames: usize,
}

impl AudioBlock {
    pub fn new(channels: usize) -> Self {
        assert!(channels == 1 || channels == 2, "a block is mono or stereo");
        Self { data: [[0.0; MAX_BLOCK]; 2], channels, frames: MAX_BLOCK }
    }

    pub fn channels(&self) -> usize {
        self.channels
    }

    pub fn frames(&self) -> usize {
        self.frames
    }

    /// Sets the length of the next sub-block (at most `MAX_BLOCK`).
    pub fn set_frames(&mut self, frames: usize) {
        debug_assert!(frames <= MAX_BLOCK);
        self.frames = frames;
    }

    pub fn channel(&self, ch: usize) -> &[f32] {
        &self.data[ch][..self.frames]
    }

    pub fn channel_mut(&mut self, ch: usize) -> &mut [f32] {
        &mut self.data[ch][..self.frames]
    }

    /// Both channels mutably (stereo blocks only).
    pub fn stereo_mut(&mut self) -> (&mut [f32], &mut [f32]) {
        let [l, r] = &mut self.data;
        (&mut l[..self.frames], &mut r[..self.frames])
    }

    pub fn clear(&mut self) {
        for ch in 0..self.channels {
            self.channel_mut(ch).fill(0.0);
        }
    }

    /// Largest absolute sample over all channels (the meters compute their own; tests use this).
    #[cfg(test)]
    pub fn peak(&self) -> f32 {
        (0..self.channels).flat_map(|ch| self.channel(ch).iter()).fold(0.0f32, |m, x| m.max(x.abs()))
    }
}
