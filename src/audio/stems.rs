//! Streaming stems from disk to the audio thread.
//!
//! A disk thread fills fixed-size chunks (every stem's audio for the same
//! frame range) ahead of the play position and hands them over through an
//! rtrb ring; the audio thread hands spent chunks back through a second ring
//! to be refilled. Nothing is allocated or freed after start-up, and the audio
//! thread never touches a file.
//!
//! Locates are handled with generations: the audio thread asks for a new
//! position by bumping the generation (one atomic word holds both), and drops
//! any chunk of an older generation it still receives.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use std::thread::JoinHandle;
use std::time::Duration;

use super::wav::WavStem;

/// Frames in one chunk, and the longest block played from them. A block of a period that
/// does not divide it (480 and 1000 frames, as USB interfaces and PipeWire use) runs from
/// the end of one chunk into the next, and is played from both.
pub const CHUNK_FRAMES: usize = 8192;
/// Chunks in flight: the prefetch is CHUNKS × CHUNK_FRAMES (2.7 s at 48 kHz).
pub const CHUNKS: usize = 16;

const FRAME_BITS: u32 = 40;
const FRAME_MASK: u64 = (1 << FRAME_BITS) - 1;

fn pack(generation: u32, frame: u64) -> u64 {
    ((generation as u64) << FRAME_BITS) | (frame & FRAME_MASK)
}

fn unpack(word: u64) -> (u32, u64) {
    ((word >> FRAME_BITS) as u32, word & FRAME_MASK)
}

struct Chunk {
    generation: u32,
    start: u64,
    /// Planar: slot s occupies `s * CHUNK_FRAMES ..`.
    data: Box<[f32]>,
}

impl Chunk {
    fn end(&self) -> u64 {
        self.start + CHUNK_FRAMES as u64
    }
}

struct Shared {
    seek: AtomicU64,
    stop: AtomicBool,
    /// Read errors met by the disk thread (the chunk is then played as silence).
    read_errors: AtomicU32,
    /// Chunks the audio thread could not hand back because the return ring was full: kept
    /// (leaked) rather than freed on the audio thread. The ring is sized for every chunk, so
    /// this stays 0; it is counted so that it could not go unseen.
    chunks_kept: AtomicU32,
}

/// The audio thread's end: which strip plays which stem, and the chunk in hand.
pub struct StemPlayer {
    /// For each strip: (first slot, file channels) if it plays a file.
    strip_slots: Vec<Option<(usize, usize)>>,
    incoming: rtrb::Consumer<Box<Chunk>>,
    spent: rtrb::Producer<Box<Chunk>>,
    shared: Arc<Shared>,
    current: Option<Box<Chunk>>,
    /// The chunk after `current`, in hand while a block runs from one into the other.
    next: Option<Box<Chunk>>,
    generation: u32,
    expected_pos: Option<u64>,
    pos: u64,
    ready: bool,
    rolling: bool,
    /// Frames of the current block.
    frames: usize,
    /// Blocks played as silence because the disk had not delivered yet.
    pub underruns: u64,
}

/// The disk thread; stops and joins when dropped.
pub struct DiskReader {
    shared: Arc<Shared>,
    thread: Option<JoinHandle<()>>,
}

impl Drop for DiskReader {
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl DiskReader {
    pub fn chunks_kept(&self) -> u32 {
        self.shared.chunks_kept.load(Ordering::Relaxed)
    }

    pub fn read_errors(&self) -> u32 {
        self.shared.read_errors.load(Ordering::Relaxed)
    }
}

/// Starts streaming `stems` from frame `start`. `strip_stem[i]` names the stem strip i plays.
pub fn start(stems: Vec<WavStem>, strip_stem: &[Option<usize>], start: u64) -> (StemPlayer, DiskReader) {
    let mut first_slot = Vec::with_capacity(stems.len());
    let mut slots = 0;
    for stem in &stems {
        first_slot.push(slots);
        slots += stem.channels();
    }
    let strip_slots = strip_stem.iter().map(|s| s.map(|i| (first_slot[i], stems[i].channels()))).collect();
    let (mut to_player, incoming) = rtrb::RingBuffer::new(CHUNKS);
    let (spent, mut returned) = rtrb::RingBuffer::<Box<Chunk>>::new(CHUNKS);
    let shared = Arc::new(Shared {
        seek: AtomicU64::new(pack(0, start)),
        stop: AtomicBool::new(false),
        read_errors: AtomicU32::new(0),
        chunks_kept: AtomicU32::new(0),
    });
    let disk_shared = shared.clone();
    let thread = std::thread::Builder::new()
        .name("headroom-disk".into())
        .spawn(move || {
            let mut stems = stems;
            let mut free: Vec<Box<Chunk>> = (0..CHUNKS)
                .map(|_| {
                    Box::new(Chunk {
                        generation: 0,
                        start: 0,
                        data: vec![0.0; slots.max(1) * CHUNK_FRAMES].into_boxed_slice(),
                    })
                })
                .collect();
            let (mut generation, mut next) = (0u32, start);
            while !disk_shared.stop.load(Ordering::Relaxed) {
                while let Ok(chunk) = returned.pop() {
                    free.push(chunk);
                }
                let (wanted_generation, frame) = unpack(disk_shared.seek.load(Ordering::Acquire));
                if wanted_generation != generation {
                    generation = wanted_generation;
                    next = frame;
                }
                match free.pop() {
                    Some(mut chunk) if to_player.slots() > 0 => {
                        chunk.generation = generation;
                        chunk.start = next;
                        fill(&mut stems, &mut chunk.data, next, &disk_shared);
                        next += CHUNK_FRAMES as u64;
                        if let Err(rtrb::PushError::Full(c)) = to_player.push(chunk) {
                            free.push(c);
                        }
                    }
                    Some(chunk) => {
                        free.push(chunk);
                        std::thread::sleep(Duration::from_millis(1));
                    }
                    None => std::thread::sleep(Duration::from_millis(1)),
                }
            }
        })
        .expect("spawn disk thread");
    let player = StemPlayer {
        strip_slots,
        incoming,
        spent,
        shared: shared.clone(),
        current: None,
        next: None,
        generation: 0,
        expected_pos: Some(start),
        pos: start,
        ready: false,
        frames: 0,
        rolling: false,
        underruns: 0,
    };
    (player, DiskReader { shared, thread: Some(thread) })
}

fn fill(stems: &mut [WavStem], data: &mut [f32], start: u64, shared: &Shared) {
    let mut slot = 0;
    for stem in stems.iter_mut() {
        let n = stem.channels();
        let region = &mut data[slot * CHUNK_FRAMES..(slot + n) * CHUNK_FRAMES];
        let mut planar: Vec<&mut [f32]> = region.chunks_mut(CHUNK_FRAMES).collect();
        if stem.read_planar(start, &mut planar).is_err() {
            shared.read_errors.fetch_add(1, Ordering::Relaxed);
            region.fill(0.0);
        }
        slot += n;
    }
}

impl StemPlayer {
    /// Lines up the chunk (or the two chunks) for frames `pos..pos + frames` (at most
    /// [`CHUNK_FRAMES`]). Returns whether stem audio is available for the block; if not,
    /// strips play silence (the disk is catching up).
    pub fn begin_block(&mut self, pos: u64, frames: usize, rolling: bool) -> bool {
        self.pos = pos;
        self.rolling = rolling;
        self.frames = frames;
        if self.expected_pos != Some(pos) && !self.holds(pos, frames) {
            // The transport jumped (locate, loop): ask for the new position.
            self.request(pos);
        }
        self.expected_pos = Some(if rolling { pos + frames as u64 } else { pos });
        let end = pos + frames as u64;
        self.ready = loop {
            let Some(chunk) = &self.current else {
                match self.next.take().or_else(|| self.incoming.pop().ok()) {
                    Some(chunk) => self.current = Some(chunk),
                    None => break false,
                }
                continue;
            };
            let fresh = chunk.generation == self.generation;
            if fresh && chunk.start <= pos && pos < chunk.end() {
                if end <= chunk.end() {
                    break true;
                }
                // The block runs on into the next chunk, which must follow this one.
                if self.next.is_none() {
                    self.next = self.incoming.pop().ok();
                }
                match &self.next {
                    None => break false,
                    Some(next) if next.generation == self.generation && next.start == chunk.end() => break true,
                    Some(next) => {
                        if next.generation == self.generation {
                            // This generation's chunks do not follow on: start over at pos.
                            self.request(pos);
                        }
                        self.retire(false);
                        continue;
                    }
                }
            }
            let behind = fresh && chunk.end() <= pos;
            if fresh && !behind {
                // Ahead of us in this generation: start over at pos.
                self.request(pos);
            }
            self.retire(true);
        };
        if rolling && !self.ready {
            self.underruns += 1;
        }
        self.ready
    }

    /// Like `begin_block`, but waits for the disk (offline rendering, where time is free).
    pub fn wait_block(&mut self, pos: u64, frames: usize) {
        while !self.begin_block(pos, frames, true) {
            // Retrying the same block is not a jump of the transport.
            self.expected_pos = Some(pos);
            self.underruns -= 1;
            std::thread::sleep(Duration::from_micros(200));
        }
    }

    /// Whether the chunks in hand hold frames `pos..pos + frames` of this generation.
    fn holds(&self, pos: u64, frames: usize) -> bool {
        let end = pos + frames as u64;
        self.current.as_ref().is_some_and(|c| {
            c.generation == self.generation
                && c.start <= pos
                && (end <= c.end()
                    || self.next.as_ref().is_some_and(|n| n.generation == self.generation && n.start == c.end()))
        })
    }

    fn request(&mut self, pos: u64) {
        self.generation = self.generation.wrapping_add(1) & 0x00ff_ffff;
        self.shared.seek.store(pack(self.generation, pos), Ordering::Release);
    }

    /// Hands a chunk back to the disk thread: the current one (the next moves up), or the next.
    fn retire(&mut self, current: bool) {
        let chunk = if current { std::mem::replace(&mut self.current, self.next.take()) } else { self.next.take() };
        if let Some(chunk) = chunk
            && let Err(rtrb::PushError::Full(chunk)) = self.spent.push(chunk)
        {
            std::mem::forget(chunk);
            self.shared.chunks_kept.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// Strip `strip`'s channel `channel`, frames `offset..offset + out.len()` of the current block.
    /// A mono file feeds both channels of a stereo strip.
    pub fn read(&self, strip: usize, channel: usize, offset: usize, out: &mut [f32]) {
        self.view().read(strip, channel, offset, out);
    }

    /// The current block's audio as plain shared data, readable from several threads at once.
    pub fn view(&self) -> StemView<'_> {
        let chunk = self.current.as_ref().filter(|_| self.ready && self.rolling);
        let span = chunk.map(|c| {
            let then = self.next.as_ref().filter(|_| self.pos + self.frames as u64 > c.end());
            BlockSpan { data: &c.data[..], start: (self.pos - c.start) as usize, then: then.map(|n| &n.data[..]) }
        });
        StemView { chunk: span, strip_slots: &self.strip_slots }
    }
}

/// The chunk's samples, where the block starts in it, and the next chunk's samples when the
/// block runs on into it.
#[derive(Clone, Copy)]
struct BlockSpan<'a> {
    data: &'a [f32],
    start: usize,
    then: Option<&'a [f32]>,
}

/// Read-only access to the stems of the current block.
#[derive(Clone, Copy)]
pub struct StemView<'a> {
    /// Where the block's samples are; None plays silence.
    chunk: Option<BlockSpan<'a>>,
    strip_slots: &'a [Option<(usize, usize)>],
}

impl StemView<'_> {
    /// Whether strip `strip` plays a file.
    pub fn plays(&self, strip: usize) -> bool {
        self.strip_slots.get(strip).is_some_and(Option::is_some)
    }

    /// See `StemPlayer::read`.
    pub fn read(&self, strip: usize, channel: usize, offset: usize, out: &mut [f32]) {
        match (self.chunk, self.strip_slots[strip]) {
            (Some(BlockSpan { data, start, then }), Some((first, channels))) => {
                let slot = first + channel.min(channels - 1);
                let from = start + offset;
                // What is left of this chunk, then the start of the next.
                let here = out.len().min(CHUNK_FRAMES.saturating_sub(from));
                let (this_part, next_part) = out.split_at_mut(here);
                this_part.copy_from_slice(&data[slot * CHUNK_FRAMES + from..][..here]);
                match then {
                    Some(next) => {
                        let at = slot * CHUNK_FRAMES + (from + here).saturating_sub(CHUNK_FRAMES);
                        next_part.copy_from_slice(&next[at..at + next_part.len()]);
                    }
                    None => next_part.fill(0.0),
                }
            }
            _ => out.fill(0.0),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audio::wav::write_wav;

    /// A stem whose every sample encodes its own frame number, so any misplaced read shows.
    fn counting_stem(dir: &std::path::Path, frames: usize) -> WavStem {
        let path = dir.join("count.wav");
        let data: Vec<f32> = (0..frames).map(|f| f as f32).collect();
        write_wav(&path, 1, 48_000, 32, true, &data).unwrap();
        WavStem::open(&path, 48_000).unwrap()
    }

    fn play(player: &mut StemPlayer, pos: u64, frames: usize) -> Vec<f32> {
        player.wait_block(pos, frames);
        let mut out = vec![0.0; frames];
        player.read(0, 0, 0, &mut out);
        out
    }

    #[test]
    fn plays_in_order_and_follows_locates() {
        let dir = tempfile::tempdir().unwrap();
        let (mut player, _disk) = start(vec![counting_stem(dir.path(), 200_000)], &[Some(0)], 0);
        let mut pos = 0u64;
        for _ in 0..500 {
            let got = play(&mut player, pos, 256);
            assert_eq!(got[0], pos as f32);
            assert_eq!(got[255], (pos + 255) as f32);
            pos += 256;
        }
        // Locate backwards, then far forward, then to an unaligned frame.
        for target in [1000u64, 150_000, 77_777] {
            let got = play(&mut player, target, 256);
            assert_eq!(got[0], target as f32, "after locate to {target}");
            let got = play(&mut player, target + 256, 256);
            assert_eq!(got[10], (target + 266) as f32);
        }
        // Past the end of the file: silence.
        assert!(play(&mut player, 300_000, 64).iter().all(|&x| x == 0.0));
    }

    #[test]
    fn a_file_cut_short_after_opening_is_counted_and_played_as_silence() {
        let dir = tempfile::tempdir().unwrap();
        let stem = counting_stem(dir.path(), 100_000);
        // Cut the file behind the reader's back, keeping only the header and a little audio.
        std::fs::OpenOptions::new().write(true).open(dir.path().join("count.wav")).unwrap().set_len(1000).unwrap();
        let (mut player, disk) = start(vec![stem], &[Some(0)], 0);
        assert!(play(&mut player, 0, 256).iter().all(|&x| x == 0.0));
        assert!(disk.read_errors() > 0);
    }

    #[test]
    fn stopped_transport_plays_silence_but_keeps_the_position() {
        let dir = tempfile::tempdir().unwrap();
        let (mut player, _disk) = start(vec![counting_stem(dir.path(), 50_000)], &[Some(0)], 4096);
        while !player.begin_block(4096, 64, false) {
            std::thread::sleep(Duration::from_millis(1));
        }
        let mut out = vec![1.0; 64];
        player.read(0, 0, 0, &mut out);
        assert!(out.iter().all(|&x| x == 0.0));
        assert_eq!(play(&mut player, 4096, 64)[0], 4096.0);
    }

    #[test]
    fn blocks_of_periods_that_do_not_divide_a_chunk_play_across_chunks_without_a_gap() {
        let dir = tempfile::tempdir().unwrap();
        for period in [480usize, 1000, 1024, 64] {
            let (mut player, _disk) = start(vec![counting_stem(dir.path(), 200_000)], &[Some(0)], 0);
            play(&mut player, 0, period);
            // The disk reads ahead as it does while the transport rolls; the blocks then come as
            // in real time, without waiting, across the whole prefetch.
            std::thread::sleep(Duration::from_millis(200));
            let mut pos = 0u64;
            while pos + (period as u64) < (CHUNKS * CHUNK_FRAMES) as u64 - 8192 {
                assert!(player.begin_block(pos, period, true), "period {period}: underrun at {pos}");
                let mut got = vec![0.0; period];
                player.read(0, 0, 0, &mut got);
                let want: Vec<f32> = (pos..pos + period as u64).map(|f| f as f32).collect();
                assert_eq!(got, want, "period {period} at {pos}");
                pos += period as u64;
            }
        }
    }
}
