//! Real-time prints: the master, and the buses asked for, written to WAV while the transport
//! rolls, exactly as they leave the engine (so anything played through outboard gear is in
//! them). The audio thread copies each sub-block into a ring of the print's own; a disk thread
//! writes the files. Nothing is dropped silently: a full ring (the disk fell behind), an xrun
//! and a jump of the transport are each noted with where in the print they happened, and said.
//!
//! A print is armed, starts at the next rolling cycle, and ends when the transport stops or
//! when it is stopped. Files are 32-bit float (overs are kept) and appear complete or not at all.
//! The buses' files are delayed by the master's look-ahead, so that every file of a print
//! lines up with the master's as the stems of `render --stems` line up with the mix.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use std::thread::JoinHandle;
use std::time::Duration;

use crate::dsp::MAX_BLOCK;
use crate::dsp::loudness::LoudnessMeter;

/// Seconds of audio the ring holds: how long the disk may stall before frames are lost.
const RING_SECONDS: usize = 4;
/// Notes the audio thread can leave before the disk thread takes them.
const EVENT_ROOM: usize = 1024;
/// Once asked to stop, how long the disk thread waits for the audio thread's last word (it
/// never comes when the JACK client has gone) before it finishes the files itself.
const LAST_WORD_WITHIN: Duration = Duration::from_secs(1);

/// What the audio thread notes, at a frame of the print (frames since it started).
#[derive(Clone, Copy, Debug, PartialEq)]
enum Note {
    /// The first frame, at this transport frame.
    Started { transport: u64 },
    /// Periods went by without the engine (an xrun) just before frame `at`.
    Xrun { at: u64 },
    /// The transport jumped (a locate, a loop wrap) before frame `at`.
    Jump { at: u64, from: u64, to: u64 },
    /// The ring was full: `frames` frames from `at` could not be kept (written as silence).
    Lost { at: u64, frames: u64 },
    /// The print ended after `at` frames.
    Ended { at: u64 },
}

/// What the audio thread and the rest share.
#[derive(Default)]
pub struct PrintShared {
    stop: AtomicBool,
    /// Frames printed so far (for the console's clock).
    pub frames: AtomicU64,
    pub started: AtomicBool,
    /// The audio thread is done with the print.
    pub ended: AtomicBool,
    notes_lost: AtomicU32,
}

/// The audio thread's end of a print: arrives through a ring, leaves through another.
pub struct PrintTap {
    samples: rtrb::Producer<f32>,
    notes: rtrb::Producer<Note>,
    shared: Arc<PrintShared>,
    /// Stereo sources side by side: the master, then the buses printed, by layout index.
    bus_slot: Box<[Option<usize>]>,
    channels: usize,
    /// One sub-block of every source, interleaved, until the master's arrives.
    block: Box<[f32]>,
    recording: bool,
    printed: u64,
    expected_transport: u64,
    xruns_seen: u32,
}

impl PrintTap {
    /// Whether any bus is printed (the engine then hands bus outputs over).
    pub fn has_buses(&self) -> bool {
        self.channels > 2
    }

    /// The start of a cycle: begins, notes, or ends the print. False when it ended: the
    /// caller sends it home.
    pub fn begin_cycle(&mut self, rolling: bool, frame: u64, frames: usize, xruns: u32) -> bool {
        let started = self.shared.started.load(Ordering::Relaxed);
        if self.shared.stop.load(Ordering::Relaxed) || (started && !rolling) {
            self.note(Note::Ended { at: self.printed });
            self.shared.ended.store(true, Ordering::Release);
            self.recording = false;
            return false;
        }
        self.recording = rolling;
        if !rolling {
            return true;
        }
        if !started {
            self.shared.started.store(true, Ordering::Relaxed);
            self.note(Note::Started { transport: frame });
            self.xruns_seen = xruns;
        } else if frame != self.expected_transport {
            self.note(Note::Jump { at: self.printed, from: self.expected_transport, to: frame });
        }
        if xruns != self.xruns_seen {
            self.xruns_seen = xruns;
            self.note(Note::Xrun { at: self.printed });
        }
        self.expected_transport = frame + frames as u64;
        true
    }

    /// A bus's output for one sub-block, kept until the master's arrives (every source of a
    /// sub-block comes in turn, the master last).
    pub fn put_bus(&mut self, bus: usize, left: &[f32], right: &[f32]) {
        if let (true, Some(&Some(slot))) = (self.recording, self.bus_slot.get(bus)) {
            self.put(slot, left, right);
        }
    }

    /// The master's output for one sub-block: the last of it, which then goes to the ring.
    pub fn put_master(&mut self, left: &[f32], right: &[f32]) {
        if !self.recording {
            return;
        }
        let frames = left.len();
        self.put(0, left, right);
        let wanted = frames * self.channels;
        match self.samples.write_chunk_uninit(wanted) {
            Ok(chunk) => {
                chunk.fill_from_iter(self.block[..wanted].iter().copied());
            }
            Err(_) => self.note(Note::Lost { at: self.printed, frames: frames as u64 }),
        }
        self.printed += frames as u64;
        self.shared.frames.store(self.printed, Ordering::Relaxed);
    }

    fn put(&mut self, slot: usize, left: &[f32], right: &[f32]) {
        for (i, (l, r)) in left.iter().zip(right).enumerate() {
            let frame = i * self.channels + slot * 2;
            self.block[frame] = *l;
            self.block[frame + 1] = *r;
        }
    }

    fn note(&mut self, note: Note) {
        if self.notes.push(note).is_err() {
            self.shared.notes_lost.fetch_add(1, Ordering::Relaxed);
        }
    }
}

/// Where a print's files go: the master's, and each printed bus's.
#[derive(Clone, Debug, PartialEq)]
pub struct PrintFiles {
    pub master: PathBuf,
    pub buses: Vec<BusFile>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct BusFile {
    /// The bus, by layout index.
    pub bus: usize,
    pub path: PathBuf,
    /// Frames from the bus's output until the master plays it, besides the master's own
    /// look-ahead (the compensation for hardware inserts on its way): its file is delayed by
    /// them to line up with the master's.
    pub to_master_frames: u32,
}

/// A print under way, off the audio thread: its disk thread and what it says.
pub struct PrintJob {
    pub shared: Arc<PrintShared>,
    pub files: PrintFiles,
    disk: Option<JoinHandle<()>>,
    pub said: std::sync::mpsc::Receiver<PrintNews>,
}

/// What a print has to say: notes as they happen, then how it ended (the last word).
#[derive(Clone, Debug, PartialEq)]
pub enum PrintNews {
    Note(String),
    Problem(String),
    /// The print ended as asked: the files are kept (what they measured, and what went wrong
    /// on the way), or there was nothing to keep.
    Kept(String),
    /// Nothing is kept, and why.
    Failed(String),
}

impl PrintNews {
    pub fn is_last(&self) -> bool {
        matches!(self, PrintNews::Kept(_) | PrintNews::Failed(_))
    }
}

impl PrintJob {
    /// Makes the tap for the audio thread (to send it through the session's ring) and starts
    /// the disk thread. `buses` is the number of buses in the mix; `latency` the master's
    /// look-ahead in frames.
    pub fn start(files: PrintFiles, buses: usize, sample_rate: u32, latency: usize) -> (PrintJob, Box<PrintTap>) {
        let channels = 2 * (1 + files.buses.len());
        let mut bus_slot = vec![None; buses].into_boxed_slice();
        for (slot, file) in files.buses.iter().enumerate() {
            bus_slot[file.bus] = Some(slot + 1);
        }
        let (samples, from_audio) = rtrb::RingBuffer::new(RING_SECONDS * sample_rate as usize * channels);
        let (notes, notes_in) = rtrb::RingBuffer::new(EVENT_ROOM);
        let shared = Arc::new(PrintShared::default());
        let tap = Box::new(PrintTap {
            samples,
            notes,
            shared: shared.clone(),
            bus_slot,
            channels,
            block: vec![0.0; MAX_BLOCK * channels].into_boxed_slice(),
            recording: false,
            printed: 0,
            expected_transport: 0,
            xruns_seen: 0,
        });
        let (tell, said) = std::sync::mpsc::channel();
        let disk_files = files.clone();
        let disk_shared = shared.clone();
        let disk = std::thread::Builder::new()
            .name("headroom-print".into())
            .spawn(move || {
                let format = (channels, sample_rate, latency);
                let news = write_print(disk_files, format, from_audio, notes_in, &disk_shared, &tell);
                let _ = tell.send(news);
            })
            .expect("spawn print thread");
        (PrintJob { shared, files, disk: Some(disk), said }, tap)
    }

    /// Asks the audio thread to end the print (it ends by itself when the transport stops).
    pub fn stop(&self) {
        self.shared.stop.store(true, Ordering::Relaxed);
    }

    /// Whether the disk thread has finished (the files are complete, or gone).
    pub fn is_finished(&self) -> bool {
        self.disk.as_ref().is_none_or(JoinHandle::is_finished)
    }
}

impl Drop for PrintJob {
    fn drop(&mut self) {
        self.stop();
        if let Some(disk) = self.disk.take() {
            let _ = disk.join();
        }
    }
}

/// One file of a print being written.
struct PrintFile {
    writer: hound::WavWriter<std::io::BufWriter<std::fs::File>>,
    partial: PathBuf,
    out: PathBuf,
    meter: LoudnessMeter,
    peak: f32,
    frame: Vec<f32>,
    /// A bus's samples wait here for the master's look-ahead (empty for the master's file).
    delay: std::collections::VecDeque<f32>,
}

/// The disk thread: writes what the ring brings, in place of what it lost writes silence,
/// and reports every note with where it happened; finalises the files when the print ends.
fn write_print(
    files: PrintFiles,
    (channels, sample_rate, latency): (usize, u32, usize),
    mut from_audio: rtrb::Consumer<f32>,
    mut notes: rtrb::Consumer<Note>,
    shared: &PrintShared,
    tell: &std::sync::mpsc::Sender<PrintNews>,
) -> PrintNews {
    let spec =
        hound::WavSpec { channels: 2, sample_rate, bits_per_sample: 32, sample_format: hound::SampleFormat::Float };
    // Each file with its delay: the master's none, a bus's the way to the master.
    let paths: Vec<(PathBuf, usize)> = std::iter::once((files.master.clone(), 0))
        .chain(files.buses.iter().map(|b| (b.path.clone(), latency + b.to_master_frames as usize)))
        .collect();
    let mut out = Vec::new();
    for (path, delay) in &paths {
        let partial =
            path.with_file_name(format!(".{}.partial", path.file_name().unwrap_or_default().to_string_lossy()));
        match hound::WavWriter::create(&partial, spec) {
            Ok(writer) => out.push(PrintFile {
                writer,
                partial,
                out: path.clone(),
                meter: LoudnessMeter::new(sample_rate, sample_rate as usize / 50),
                peak: 0.0,
                frame: Vec::with_capacity(MAX_BLOCK * 2),
                delay: std::iter::repeat_n(0.0, delay * 2).collect(),
            }),
            Err(e) => {
                out.into_iter().for_each(|f: PrintFile| drop(std::fs::remove_file(f.partial)));
                // The audio thread's end is stopped so the ring does not fill for nothing.
                shared.stop.store(true, Ordering::Relaxed);
                return PrintNews::Failed(format!("real-time print not started: {}: {e}", path.display()));
            }
        }
    }
    let seconds = |frames: u64| frames as f64 / sample_rate as f64;
    let mut written = 0u64;
    let (mut xruns, mut jumps, mut lost) = (Vec::new(), 0, 0u64);
    let mut transport_start = 0;
    let mut failure = None;
    let mut quiet_since: Option<std::time::Instant> = None;
    'print: loop {
        // Samples up to the next note's place, then the note.
        let until = notes.peek().ok().map(|n| note_at(n, written));
        let available = from_audio.slots() / channels;
        let take = until.map_or(available as u64, |at| (at.saturating_sub(written)).min(available as u64)) as usize;
        if take > 0 {
            let chunk = from_audio.read_chunk(take * channels).expect("counted");
            let (a, b) = chunk.as_slices();
            for (i, &x) in a.iter().chain(b).enumerate() {
                out[(i % channels) / 2].frame.push(x);
            }
            chunk.commit_all();
            if let Err(e) = write_frames(&mut out) {
                failure = Some(e);
                break 'print;
            }
            written += take as u64;
        }
        if until.is_some_and(|at| at <= written) {
            let note = notes.pop().expect("peeked");
            match note {
                Note::Started { transport } => transport_start = transport,
                Note::Xrun { at } => {
                    xruns.push(at);
                    let _ = tell.send(PrintNews::Problem(format!(
                        "real-time print: an xrun at {:.3} s of the print (transport {:.3} s): that moment is not as heard; print again",
                        seconds(at),
                        seconds(transport_start + at)
                    )));
                }
                Note::Jump { at, from, to } => {
                    jumps += 1;
                    let _ = tell.send(PrintNews::Note(format!(
                        "real-time print: the transport jumped from {:.3} s to {:.3} s at {:.3} s of the print",
                        seconds(from),
                        seconds(to),
                        seconds(at)
                    )));
                }
                Note::Lost { at, frames } => {
                    lost += frames;
                    for f in &mut out {
                        f.frame.resize(frames as usize * 2, 0.0);
                    }
                    if let Err(e) = write_frames(&mut out) {
                        failure = Some(e);
                        break 'print;
                    }
                    written += frames;
                    let _ = tell.send(PrintNews::Problem(format!(
                        "real-time print: the disk fell behind: {frames} frames at {:.3} s of the print were written as silence",
                        seconds(at)
                    )));
                }
                Note::Ended { .. } => break 'print,
            }
            continue;
        }
        if take > 0 {
            quiet_since = None;
        } else if shared.stop.load(Ordering::Relaxed)
            && quiet_since.get_or_insert_with(std::time::Instant::now).elapsed() > LAST_WORD_WITHIN
        {
            break 'print;
        } else {
            std::thread::sleep(Duration::from_millis(5));
        }
    }
    if failure.is_some() || written == 0 {
        shared.stop.store(true, Ordering::Relaxed);
        for f in out {
            drop(f.writer);
            let _ = std::fs::remove_file(&f.partial);
        }
        return match failure {
            Some(e) => PrintNews::Failed(format!("real-time print abandoned (nothing kept): {e}")),
            None => PrintNews::Kept("real-time print stopped before the transport rolled: nothing to keep".into()),
        };
    }
    let mut lines = Vec::new();
    for f in out {
        let reading = f.meter.reading();
        let done = f
            .writer
            .finalize()
            .map_err(|e| e.to_string())
            .and_then(|()| std::fs::rename(&f.partial, &f.out).map_err(|e| format!("{}: {e}", f.out.display())));
        if let Err(e) = done {
            let _ = std::fs::remove_file(&f.partial);
            return PrintNews::Failed(format!("real-time print not kept: {e}"));
        }
        lines.push(format!(
            "{}: peak {:.2} dBFS, true peak {:.2} dBTP, integrated {:.1} LUFS",
            f.out.display(),
            20.0 * (f.peak as f64).log10(),
            reading.true_peak_dbtp,
            reading.integrated_lufs
        ));
    }
    let mut troubles = Vec::new();
    if !xruns.is_empty() {
        let at: Vec<String> = xruns.iter().map(|&x| format!("{:.3} s", seconds(x))).collect();
        troubles.push(format!("{} xrun(s), at {}", xruns.len(), at.join(", ")));
    }
    if lost > 0 {
        troubles.push(format!("{lost} frames lost to a slow disk (silence in their place)"));
    }
    if jumps > 0 {
        troubles.push(format!("{jumps} jump(s) of the transport"));
    }
    let unnoted = shared.notes_lost.load(Ordering::Relaxed);
    if unnoted > 0 {
        troubles.push(format!("{unnoted} more events the print had no room to note"));
    }
    let how = if troubles.is_empty() { "clean".to_string() } else { troubles.join("; ") };
    PrintNews::Kept(format!(
        "real-time print of {:.3} s from {:.3} s ({how}): {}",
        seconds(written),
        seconds(transport_start),
        lines.join("; ")
    ))
}

/// Where a note falls among the frames written.
fn note_at(note: &Note, written: u64) -> u64 {
    match *note {
        Note::Started { .. } => written,
        Note::Xrun { at } | Note::Jump { at, .. } | Note::Lost { at, .. } | Note::Ended { at } => at,
    }
}

/// Writes each file's gathered frames (a bus's through its delay), measuring them.
fn write_frames(files: &mut [PrintFile]) -> Result<(), String> {
    for f in files {
        if !f.delay.is_empty() {
            for x in &mut f.frame {
                f.delay.push_back(*x);
                *x = f.delay.pop_front().expect("just pushed");
            }
        }
        for &x in &f.frame {
            f.peak = f.peak.max(x.abs());
            f.writer.write_sample(x).map_err(|e| format!("{}: {e}", f.out.display()))?;
        }
        f.meter.add_interleaved(&f.frame);
        f.frame.clear();
    }
    Ok(())
}
