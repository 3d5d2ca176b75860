//! Printing a mix to a WAV file faster than real time, through the same
//! `Engine::process` the JACK backend runs.

use std::path::{Path, PathBuf};
use std::time::Instant;

use super::inputs::open_stems;
use super::stems::{self, StemView};
use super::wav::SampleSink;
use crate::automation::file;
use crate::automation::lane::Shape;
use crate::dsp::loudness::{LoudnessMeter, LoudnessReading};
use crate::engine::automation::Transport;
use crate::engine::setup::MixSetup;
use crate::engine::{AudioIo, Built, Engine};
use crate::session::load::{Loaded, Problem};
use crate::session::resolve::mix_setup;
use crate::session::schema::SessionDoc;

/// Momentary loudness is evaluated every 20 ms of a render (from 20 ms block energies; a
/// 100 ms hop would miss the maximum of short bursts): this many hops a second.
const LOUDNESS_HOPS_PER_S: u32 = 50;

/// Frames per engine call when rendering (divides the stem chunk size).
pub const RENDER_BLOCK: usize = 4096;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Int16,
    Int24,
    Float32,
}

impl Format {
    fn spec(self, sample_rate: u32) -> hound::WavSpec {
        let (bits, sample_format) = match self {
            Format::Int16 => (16, hound::SampleFormat::Int),
            Format::Int24 => (24, hound::SampleFormat::Int),
            Format::Float32 => (32, hound::SampleFormat::Float),
        };
        hound::WavSpec { channels: 2, sample_rate, bits_per_sample: bits, sample_format }
    }
}

#[derive(Clone, Debug)]
pub struct RenderOptions {
    pub sample_rate: u32,
    pub format: Format,
    /// Print without the master bus processing (EQ, compressor, limiter), for mastering.
    pub no_master_fx: bool,
    /// Extra time after the longest stem, for reverb and delay tails.
    pub tail_seconds: f64,
    /// Render this long instead of the longest stem plus the tail.
    pub length_seconds: Option<f64>,
}

#[derive(Clone, Debug)]
pub struct RenderReport {
    pub frames: u64,
    pub wall_seconds: f64,
    pub sample_peak_dbfs: f64,
    pub loudness: LoudnessReading,
    /// Samples an integer print could not hold (the mix went over full scale), written at
    /// full scale: 0 for a float print, which keeps them.
    pub clipped_samples: u64,
}

impl RenderReport {
    pub fn realtime_factor(&self, sample_rate: u32) -> f64 {
        self.frames as f64 / sample_rate as f64 / self.wall_seconds.max(1e-9)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    #[error("{}", problems.iter().map(|p| p.to_string()).collect::<Vec<_>>().join("\n"))]
    Inputs { problems: Vec<Problem> },
    #[error("{0}")]
    Engine(#[from] crate::engine::BuildError),
    #[error("{0}")]
    Automation(#[from] crate::session::load::LoadError),
    #[error("{}: nothing to render: no strip plays a file, so the print has no length; give one with --length SECONDS", file.display())]
    NoLength { file: PathBuf },
    #[error("{}: cannot write: {source}", path.display())]
    Write { path: PathBuf, source: hound::Error },
    #[error(
        "{count} reads of stem files failed during the render (a file changed or a disk error); nothing was written"
    )]
    StemReads { count: u32 },
    #[error("{0}")]
    Options(String),
    #[error(
        "\"{channel}\" has a hardware insert: an offline render cannot play through outboard gear; print in real time instead (`R` in the console, `print` typed: the master and any bus, as heard)"
    )]
    HardwareInsert { channel: String },
    #[error(
        "{}: a print of {} would be {:.2} GiB, and a WAV file holds at most 4 GiB; print a shorter stretch with --length",
        path.display(), duration(*frames, *rate), *bytes as f64 / GIB
    )]
    TooLong { path: PathBuf, frames: u64, rate: u32, bytes: u64 },
    #[error("{}: the print needs {:.1} MB and that disk has {:.1} MB free; nothing was written", path.display(), *needed as f64 / 1e6, *free as f64 / 1e6)]
    NoRoom { path: PathBuf, needed: u64, free: u64 },
}

const GIB: f64 = (1u64 << 30) as f64;

/// "1:02:03.5" of `frames` at `rate`.
fn duration(frames: u64, rate: u32) -> String {
    let seconds = frames as f64 / rate.max(1) as f64;
    let (h, m, s) = ((seconds / 3600.0) as u64, (seconds / 60.0) as u64 % 60, seconds % 60.0);
    if h > 0 { format!("{h}:{m:02}:{s:04.1}") } else { format!("{m}:{s:04.1}") }
}

/// The largest data chunk a WAV file can describe: its RIFF size is 32 bits, and counts the
/// 36 bytes of header before the samples.
const MOST_WAV_DATA_BYTES: u64 = u32::MAX as u64 - 36;

/// The bytes free to this user on the disk that holds `dir`.
fn free_bytes(dir: &Path) -> Option<u64> {
    let c = std::ffi::CString::new(dir.as_os_str().as_encoded_bytes()).ok()?;
    let mut stat = std::mem::MaybeUninit::<libc::statvfs>::uninit();
    // SAFETY: a NUL-terminated path and room for the answer; statvfs fills it on success.
    let stat = unsafe { (libc::statvfs(c.as_ptr(), stat.as_mut_ptr()) == 0).then(|| stat.assume_init())? };
    Some(stat.f_bavail as u64 * stat.f_frsize as u64)
}

/// Refuses prints the WAV format or the disk cannot hold, before a sample is written.
fn check_prints_fit(outs: &[&Path], frames: u64, spec: hound::WavSpec) -> Result<(), RenderError> {
    let bytes = frames.saturating_mul(u64::from(spec.channels) * u64::from(spec.bits_per_sample / 8));
    let Some(first) = outs.first() else { return Ok(()) };
    if bytes > MOST_WAV_DATA_BYTES {
        return Err(RenderError::TooLong { path: first.to_path_buf(), frames, rate: spec.sample_rate, bytes });
    }
    // The prints of one render go to one folder, so to one disk.
    let needed = (bytes + 44) * outs.len() as u64;
    let dir = first.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
    match free_bytes(dir) {
        Some(free) if free < needed => Err(RenderError::NoRoom { path: first.to_path_buf(), needed, free }),
        _ => Ok(()),
    }
}

/// The mix as printed without master processing: every master insert bypassed.
pub fn without_master_fx(doc: &SessionDoc) -> MixSetup {
    let mut mix = mix_setup(doc);
    mix.master.bypass_processing();
    mix
}

/// What one file of a render holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Print {
    /// The master's outputs.
    Mix,
    /// The master with its processing switched out, lined up with the mix.
    WithoutMasterFx,
    /// Bus `n` (layout order) as it feeds the master or the bus it routes to, lined up with the mix.
    Bus(usize),
}

struct OfflineIo<'a> {
    stems: StemView<'a>,
    /// Interleaved blocks: the master's, the bare master's, and each bus's (empty: not printed).
    master: &'a mut [f32],
    bare_master: &'a mut [f32],
    buses: &'a mut [Vec<f32>],
}

/// Writes `left`/`right` into `block` interleaved from frame `offset`.
fn interleave(block: &mut [f32], offset: usize, left: &[f32], right: &[f32]) {
    for (i, (l, r)) in left.iter().zip(right).enumerate() {
        block[(offset + i) * 2] = *l;
        block[(offset + i) * 2 + 1] = *r;
    }
}

impl AudioIo for OfflineIo<'_> {
    fn read_strip(&self, strip: usize, channel: usize, offset: usize, out: &mut [f32]) {
        if self.stems.plays(strip) {
            self.stems.read(strip, channel, offset, out);
        } else {
            // Live JACK inputs are silent in a render.
            out.fill(0.0);
        }
    }

    fn write_master(&mut self, offset: usize, left: &[f32], right: &[f32]) {
        interleave(self.master, offset, left, right);
    }

    fn write_bus(&mut self, bus: usize, offset: usize, left: &[f32], right: &[f32]) {
        if let Some(block) = self.buses.get_mut(bus).filter(|b| !b.is_empty()) {
            interleave(block, offset, left, right);
        }
    }

    fn write_bare_master(&mut self, offset: usize, left: &[f32], right: &[f32]) {
        interleave(self.bare_master, offset, left, right);
    }
}

/// Puts the session's stored automation in the engine, to play exactly as in real time
/// (writing is never enabled in a render, so every mode but Off reads its lane).
fn play_automation(built: &mut Built, path: &Path) -> Result<(), RenderError> {
    let store = file::load(path, &built.params)?;
    for (id, &mode) in &store.modes {
        let Ok(param) = built.params.lookup(id) else { continue };
        let lane = store.lane(id, Shape::of(built.params.spec(param)));
        let automation = built.engine.automation_mut();
        automation.install(param, lane.map(Box::new));
        automation.set_mode(param, mode);
    }
    Ok(())
}

/// Renders `loaded` to `out`. The file appears under its name only when complete.
pub fn render(
    loaded: &Loaded,
    out: &Path,
    opts: &RenderOptions,
    progress: &mut dyn FnMut(f64),
) -> Result<RenderReport, RenderError> {
    let mix = if opts.no_master_fx { without_master_fx(&loaded.doc) } else { mix_setup(&loaded.doc) };
    let mut reports = render_prints(loaded, &mix, &[(out.to_path_buf(), Print::Mix)], opts, progress)?;
    Ok(reports.remove(0))
}

/// Renders `mix` of `loaded` once into every file of `prints`, each lined up with the mix
/// (the master's look-ahead taken off the start of those that pass through the master, the
/// same length for all). Each file appears under its name only when all are complete.
pub fn render_prints(
    loaded: &Loaded,
    mix: &MixSetup,
    prints: &[(PathBuf, Print)],
    opts: &RenderOptions,
    progress: &mut dyn FnMut(f64),
) -> Result<Vec<RenderReport>, RenderError> {
    if let Some(ch) = mix.strips.iter().chain(&mix.buses).find(|ch| ch.hardware_insert.is_some()) {
        return Err(RenderError::HardwareInsert { channel: ch.name.clone() });
    }
    let opened = open_stems(loaded, opts.sample_rate).map_err(|problems| RenderError::Inputs { problems })?;
    for (what, value, least) in
        [("--length", opts.length_seconds, f64::MIN_POSITIVE), ("--tail", Some(opts.tail_seconds), 0.0)]
    {
        if let Some(v) = value.filter(|v| !v.is_finite() || *v < least) {
            let range = if least > 0.0 { "more than 0" } else { "0 or more" };
            return Err(RenderError::Options(format!("{what} {v}: expected seconds, {range}")));
        }
    }
    let frames = match opts.length_seconds {
        Some(s) => (s * opts.sample_rate as f64) as u64,
        None if opened.stems.is_empty() => return Err(RenderError::NoLength { file: loaded.file.clone() }),
        None => opened.longest_frames() + (opts.tail_seconds * opts.sample_rate as f64) as u64,
    };
    let spec = opts.format.spec(opts.sample_rate);
    let paths: Vec<&Path> = prints.iter().map(|(path, _)| path.as_path()).collect();
    check_prints_fit(&paths, frames, spec)?;
    let mut built = Engine::build(mix, opts.sample_rate as f32, 0)?;
    play_automation(&mut built, &file::path_for(&loaded.file))?;
    let latency = built.engine.latency_frames() as u64;
    built.engine.set_output_metering(false);
    if prints.iter().any(|(_, print)| *print != Print::Mix) {
        built.engine.start_prints(&mix.master, opts.sample_rate as f32);
    }
    built.engine.start_at(0);
    let (mut player, disk) = stems::start(opened.stems, &opened.strip_stem, 0);

    let partial_of =
        |out: &Path| out.with_file_name(format!(".{}.partial", out.file_name().unwrap_or_default().to_string_lossy()));
    let mut writers = Vec::new();
    for (out, _) in prints {
        let partial = partial_of(out);
        let writer = match hound::WavWriter::create(&partial, spec) {
            Ok(writer) => writer,
            Err(source) => {
                writers.into_iter().for_each(|w: PrintWriter| w.abandon());
                return Err(RenderError::Write { path: out.clone(), source });
            }
        };
        writers.push(PrintWriter::start(writer, partial, out.clone(), spec));
    }
    let mut master = vec![0.0f32; RENDER_BLOCK * 2];
    let mut bare_master = vec![0.0f32; RENDER_BLOCK * 2];
    let mut buses: Vec<Vec<f32>> = vec![Vec::new(); mix.buses.len()];
    for (_, print) in prints {
        if let Print::Bus(b) = *print {
            buses[b] = vec![0.0f32; RENDER_BLOCK * 2];
        }
    }
    let started = Instant::now();
    let mut pos = 0u64;
    let total = frames + latency;
    'blocks: while pos < total {
        player.wait_block(pos, RENDER_BLOCK);
        let mut io =
            OfflineIo { stems: player.view(), master: &mut master, bare_master: &mut bare_master, buses: &mut buses };
        built.engine.process_parallel(RENDER_BLOCK, Transport { frame: pos, rolling: true, late_frames: 0 }, &mut io);
        for ((_, print), writer) in prints.iter().zip(&writers) {
            let (block, delayed) = match *print {
                Print::Mix => (&master, true),
                Print::WithoutMasterFx => (&bare_master, true),
                Print::Bus(b) => (&buses[b], false),
            };
            // What passed through the master is late by its look-ahead: drop that much at the
            // start so every print lines up with the stems.
            let (from, until) = if delayed { (latency, total) } else { (0, frames) };
            let skip = from.saturating_sub(pos).min(RENDER_BLOCK as u64) as usize;
            let keep = (until.saturating_sub(pos).min(RENDER_BLOCK as u64) as usize).saturating_sub(skip);
            if keep > 0 && !writer.send(block[skip * 2..(skip + keep) * 2].to_vec()) {
                break 'blocks; // that writer failed; its error is reported below
            }
        }
        pos += RENDER_BLOCK as u64;
        if (pos / RENDER_BLOCK as u64).is_multiple_of(64) {
            progress((pos as f64 / total as f64).min(1.0));
        }
    }
    let written: Vec<_> = writers.into_iter().map(PrintWriter::finish).collect();
    let failed_reads = disk.read_errors();
    let failed = written.iter().find_map(|w| w.result.as_ref().err().map(|e| (w.out.clone(), e.to_string())));
    if failed_reads > 0 || failed.is_some() {
        // A print with holes is worse than none: keep nothing and say why.
        for w in &written {
            let _ = std::fs::remove_file(&w.partial);
        }
        return Err(match failed {
            Some((path, message)) => {
                RenderError::Write { path, source: hound::Error::IoError(std::io::Error::other(message)) }
            }
            None => RenderError::StemReads { count: failed_reads },
        });
    }
    let wall_seconds = started.elapsed().as_secs_f64();
    let mut reports = Vec::new();
    for w in written {
        std::fs::rename(&w.partial, &w.out)
            .map_err(|e| RenderError::Write { path: w.out.clone(), source: hound::Error::IoError(e) })?;
        let (peak, loudness, clipped_samples) = w.result.expect("checked above");
        reports.push(RenderReport {
            frames,
            wall_seconds,
            sample_peak_dbfs: 20.0 * (peak as f64).log10(),
            loudness,
            clipped_samples,
        });
    }
    progress(1.0);
    Ok(reports)
}

/// One file being written and measured on a thread of its own, beside the engine.
struct PrintWriter {
    blocks: std::sync::mpsc::SyncSender<Vec<f32>>,
    writing: std::thread::JoinHandle<Result<Measured, hound::Error>>,
    partial: PathBuf,
    out: PathBuf,
}

/// Sample peak, R128 loudness and the samples an integer file clipped.
type Measured = (f32, LoudnessReading, u64);

struct Written {
    result: Result<Measured, hound::Error>,
    partial: PathBuf,
    out: PathBuf,
}

impl PrintWriter {
    fn start(
        writer: hound::WavWriter<std::io::BufWriter<std::fs::File>>,
        partial: PathBuf,
        out: PathBuf,
        spec: hound::WavSpec,
    ) -> Self {
        let (blocks, received) = std::sync::mpsc::sync_channel::<Vec<f32>>(32);
        let writing = std::thread::spawn(move || write_and_measure(writer, spec, received));
        Self { blocks, writing, partial, out }
    }

    /// False once the writer has failed (it stopped taking blocks).
    fn send(&self, block: Vec<f32>) -> bool {
        self.blocks.send(block).is_ok()
    }

    fn finish(self) -> Written {
        drop(self.blocks);
        let result = self.writing.join().expect("writer thread");
        Written { result, partial: self.partial, out: self.out }
    }

    /// Stops and removes what was written.
    fn abandon(self) {
        let finished = self.finish();
        let _ = std::fs::remove_file(finished.partial);
    }
}

/// Writes the blocks to the WAV file and measures them: sample peak and R128 loudness.
fn write_and_measure(
    mut writer: hound::WavWriter<std::io::BufWriter<std::fs::File>>,
    spec: hound::WavSpec,
    blocks: std::sync::mpsc::Receiver<Vec<f32>>,
) -> Result<Measured, hound::Error> {
    let mut sink = SampleSink::new(spec);
    let mut meter = LoudnessMeter::new(spec.sample_rate, (spec.sample_rate / LOUDNESS_HOPS_PER_S) as usize);
    let mut peak = 0.0f32;
    for samples in blocks {
        for &s in &samples {
            peak = peak.max(s.abs());
            sink.write(&mut writer, s)?;
        }
        meter.add_interleaved(&samples);
    }
    writer.finalize()?;
    Ok((peak, meter.reading(), sink.clipped))
}

/// Where the prints of the session in `file` go: a session folder's `renders/` (beside its
/// `session.yaml`), or `./renders/` for a layout file.
pub fn renders_dir(file: &Path) -> PathBuf {
    match file.file_name() {
        Some(name) if name == "session.yaml" => file.parent().unwrap_or(Path::new(".")).join("renders"),
        _ => PathBuf::from("renders"),
    }
}

/// The next free dated name in `dir`: `<session>-<YYYY-MM-DD>-<n><suffix>.wav`, n counting
/// from 1 and shared with the folders of print sets (`dated_render_folder`).
pub fn dated_render_path(dir: &Path, session: &str, date: &str, suffix: &str) -> PathBuf {
    (1..)
        .map(|n| (dir.join(format!("{session}-{date}-{n}{suffix}.wav")), dir.join(format!("{session}-{date}-{n}"))))
        .find(|(file, set)| !file.exists() && !set.exists())
        .expect("some number is free")
        .0
}

/// The next free dated folder for a print set in `dir`: `<session>-<YYYY-MM-DD>-<n>`, whose
/// number no print in `dir` has either.
pub fn dated_render_folder(dir: &Path, session: &str, date: &str) -> PathBuf {
    (1..)
        .map(|n| (dir.join(format!("{session}-{date}-{n}")), dir.join(format!("{session}-{date}-{n}.wav"))))
        .find(|(set, mix)| !set.exists() && !mix.exists())
        .expect("some number is free")
        .0
}
