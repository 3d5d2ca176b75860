//! The strips of one pass in groups of consecutive strips, each adding into sums of its
//! own, so the groups can run on any thread (renders) and be added up in one order (the
//! same bits in real time and offline). Inside a group, packs of four strips run their
//! front filters side by side.

use super::AudioIo;
use super::channel::{BusSum, Channel};
use crate::dsp::biquad::PACK;
use crate::dsp::eq::{FrontFilters, run_pack};
use crate::dsp::{AudioBlock, MAX_BLOCK};

/// How many consecutive strips run as one group: about an eighth of them (enough groups
/// for two threads to share out evenly), in whole SIMD packs.
pub(super) fn strip_group_size(strips: usize) -> usize {
    const GROUPS: usize = 8;
    strips.div_ceil(GROUPS).next_multiple_of(PACK).max(PACK)
}

/// The strip groups of one pass, each with its own sums, in order.
pub(super) struct StripGroups<'a> {
    pub(super) strips: std::slice::ChunksMut<'a, Channel>,
    pub(super) sums: std::slice::IterMut<'a, Vec<BusSum>>,
    pub(super) next_index: usize,
}

impl<'a> Iterator for StripGroups<'a> {
    type Item = StripGroup<'a>;

    fn next(&mut self) -> Option<StripGroup<'a>> {
        let (strips, sums) = (self.strips.next()?, self.sums.next()?);
        let first_index = self.next_index;
        self.next_index += strips.len();
        Some(StripGroup { strips, first_index, sums })
    }
}

/// A run of consecutive strips, with the bus sums it adds into.
pub(super) struct StripGroup<'a> {
    strips: &'a mut [Channel],
    /// Strip index (as the AudioIo knows it) of `strips[0]`.
    first_index: usize,
    sums: &'a mut [BusSum],
}

impl StripGroup<'_> {
    /// Runs the strips over one pass of `frames` frames starting at `offset` of the block,
    /// four at a time: their front filters run side by side in SIMD lanes.
    pub(super) fn run(self, values: &[f32], io: &impl AudioIo, offset: usize, frames: usize) {
        let mut fronts: [FrontFilters; PACK] = Default::default();
        for (p, pack) in self.strips.chunks_mut(PACK).enumerate() {
            let mut at = 0;
            while at < frames {
                let n = (frames - at).min(MAX_BLOCK);
                for (i, (strip, front)) in pack.iter_mut().zip(fronts.iter_mut()).enumerate() {
                    strip.work.set_frames(n);
                    for ch in 0..strip.work.channels() {
                        io.read_strip(self.first_index + p * PACK + i, ch, offset + at, strip.work.channel_mut(ch));
                    }
                    strip.begin(front);
                }
                with_work_blocks(pack, |blocks| run_pack(&mut fronts[..blocks.len()], blocks));
                for (strip, front) in pack.iter_mut().zip(&fronts) {
                    strip.end(front, values, self.sums, at);
                }
                at += n;
            }
        }
    }
}

/// Lends the work blocks of a pack of one to four strips as one slice.
fn with_work_blocks(pack: &mut [Channel], f: impl FnOnce(&mut [&mut AudioBlock])) {
    const _: () = assert!(PACK == 4, "with_work_blocks spells out packs of four");
    match pack {
        [a] => f(&mut [&mut a.work]),
        [a, b] => f(&mut [&mut a.work, &mut b.work]),
        [a, b, c] => f(&mut [&mut a.work, &mut b.work, &mut c.work]),
        [a, b, c, d] => f(&mut [&mut a.work, &mut b.work, &mut c.work, &mut d.work]),
        _ => unreachable!("packs hold one to four strips"),
    }
}
