//! Benchmarks shared by `headroom bench` and `cargo bench`: the engine's cost per
//! 64-frame block with full strips, and offline render speed. They print figures
//! (medians and tails), never pass or fail.

use std::path::Path;
use std::time::Instant;

use crate::audio::offline::{Format, RenderOptions, render};
use crate::audio::wav::write_wav;
use crate::engine::AudioIo;
use crate::engine::automation::Transport;
use crate::session::load::{self, Loaded};
use crate::session::resolve::build_engine;
use crate::session::schema::*;

const RATE: u32 = 48_000;

/// A session of `strips` stereo strips, every one with the full chain (HPF, four active EQ
/// bands, compressor, pan, fader, two sends), two groups, a reverb and a delay bus, and a
/// master with EQ, compressor and limiter. Strip i plays `<prefix>_{i % stems}.wav` if `stems > 0`.
pub fn full_session(strips: usize, stems: usize, channels: Channels) -> SessionDoc {
    let prefix = stem_prefix(channels);
    let n = Scalar::Number;
    let band = |freq: f32, gain: f32, q: f32| Values::from([("freq_hz", n(freq)), ("gain_db", n(gain)), ("q", n(q))]);
    let eq = vec![band(100.0, 2.0, 0.7), band(400.0, -3.0, 1.2), band(2_500.0, 2.5, 1.0), band(9_000.0, 1.5, 0.7)];
    let comp = |threshold: f32, ratio: f32| Some(Values::from([("threshold_db", n(threshold)), ("ratio", n(ratio))]));
    let send = |bus: &str, level: f32| SendDoc { bus: bus.into(), values: Values::from([("level_db", n(level))]) };
    let strip = |i: usize| ChannelDoc {
        name: format!("S{i}"),
        channels: Some(channels),
        input: Some(if stems > 0 {
            InputDoc { file: Some(format!("{prefix}_{}.wav", i % stems)), ports: None }
        } else {
            InputDoc { ports: Some(vec![format!("in:{i}_L"), format!("in:{i}_R")]), file: None }
        }),
        hpf: Some(Values::from([("freq_hz", n(60.0))])),
        eq: eq.clone(),
        comp: comp(-20.0, 3.0),
        values: Values::from([("pan", n((i as f32 / strips as f32) * 1.6 - 0.8)), ("fader_db", n(-6.0))]),
        output: Some(if i.is_multiple_of(2) { "GroupA" } else { "GroupB" }.to_string()),
        sends: vec![send("Verb", -18.0), send("Echo", -24.0)],
        ..ChannelDoc::default()
    };
    let bus = |name: &str, kind| ChannelDoc { name: name.into(), kind: Some(kind), ..ChannelDoc::default() };
    SessionDoc {
        version: FORMAT_VERSION,
        name: format!("bench-{strips}-{prefix}"),
        tempo_bpm: 120.0,
        strips: (0..strips).map(strip).collect(),
        buses: vec![
            ChannelDoc { comp: Some(Values::default()), ..bus("GroupA", BusKind::Group) },
            bus("GroupB", BusKind::Group),
            ChannelDoc { reverb: Some(Values::default()), ..bus("Verb", BusKind::Fx) },
            ChannelDoc { delay: Some(Values::default()), ..bus("Echo", BusKind::Fx) },
        ],
        master: ChannelDoc {
            eq: eq.clone(),
            comp: comp(-10.0, 2.0),
            limiter: Some(Values::default()),
            ..ChannelDoc::default()
        },
        meters: Default::default(),
    }
}

/// Pink-ish noise inputs held in memory, so the block benchmark measures the engine alone.
struct NoiseIo {
    noise: Vec<f32>,
    cursor: usize,
}

impl AudioIo for NoiseIo {
    fn read_strip(&self, strip: usize, channel: usize, offset: usize, out: &mut [f32]) {
        let start = (self.cursor + strip * 977 + channel * 131 + offset) % (self.noise.len() - out.len());
        out.copy_from_slice(&self.noise[start..start + out.len()]);
    }
    fn write_master(&mut self, _: usize, left: &[f32], _: &[f32]) {
        self.cursor = (self.cursor + left.len()) % 40_000;
        std::hint::black_box(left);
    }
}

fn noise(len: usize, seed: u32) -> Vec<f32> {
    let mut s = seed;
    let mut lowpassed = 0.0f32;
    (0..len)
        .map(|_| {
            s = s.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            let white = (s >> 8) as f32 / (1u32 << 24) as f32 * 2.0 - 1.0;
            lowpassed += (white - lowpassed) * 0.2;
            lowpassed * 0.5
        })
        .collect()
}

pub struct BlockCost {
    pub strips: usize,
    pub median_us: f64,
    pub p99_us: f64,
    pub p999_us: f64,
    pub max_us: f64,
}

/// Times `blocks` calls of `Engine::process` on 64-frame blocks.
pub fn block_cost(strips: usize, blocks: usize) -> BlockCost {
    let mut built =
        build_engine(&full_session(strips, 0, Channels::Stereo), RATE as f32, 0).expect("bench session builds");
    let mut io = NoiseIo { noise: noise(65_536, 7), cursor: 0 };
    // Warm up: caches, branch predictors, the compressors' envelopes.
    for _ in 0..2_000 {
        built.engine.process(64, Transport::default(), &mut io);
    }
    let mut times: Vec<f64> = (0..blocks)
        .map(|_| {
            let t = Instant::now();
            built.engine.process(64, Transport::default(), &mut io);
            t.elapsed().as_secs_f64() * 1e6
        })
        .collect();
    percentiles(strips, &mut times)
}

pub struct RenderSpeed {
    pub strips: usize,
    pub seconds: f64,
    pub wall_seconds: f64,
}

impl RenderSpeed {
    pub fn realtime(&self) -> f64 {
        self.seconds / self.wall_seconds
    }
}

fn stem_prefix(channels: Channels) -> &'static str {
    match channels {
        Channels::Mono => "mono",
        Channels::Stereo => "stereo",
    }
}

/// Writes `count` distinct 24-bit stems of `seconds` into `dir`.
pub fn write_stems(dir: &Path, count: usize, seconds: f64, channels: Channels) -> std::io::Result<()> {
    let frames = (seconds * RATE as f64) as usize;
    for i in 0..count {
        let path = dir.join(format!("{}_{i}.wav", stem_prefix(channels)));
        // Kept from an earlier run only if it is as long as this one wants.
        if hound::WavReader::open(&path).is_ok_and(|r| r.duration() as usize == frames) {
            continue;
        }
        let left = noise(frames, 11 + i as u32);
        let right = noise(frames, 101 + i as u32);
        let samples: Vec<f32> = match channels {
            Channels::Mono => left,
            Channels::Stereo => left.iter().zip(&right).flat_map(|(l, r)| [*l, *r]).collect(),
        };
        write_wav(&path, channels.count() as u16, RATE, 24, false, &samples)
            .map_err(|e| std::io::Error::other(e.to_string()))?;
    }
    Ok(())
}

/// Renders a `seconds`-long session of `strips` full strips (playing 8 distinct stems) to a
/// 24-bit file in `dir`, reading the stems from disk as a real render does; with `stems`, the
/// whole set (`render --stems all`: mix, copy without master processing, every bus).
pub fn render_speed(
    dir: &Path,
    strips: usize,
    seconds: f64,
    channels: Channels,
    stems: bool,
) -> Result<RenderSpeed, String> {
    const DISTINCT_STEMS: usize = 8;
    write_stems(dir, DISTINCT_STEMS, seconds, channels).map_err(|e| e.to_string())?;
    let doc = full_session(strips, DISTINCT_STEMS, channels);
    let file = dir.join(format!("{}.yaml", doc.name));
    load::save(&file, &doc).map_err(|e| e.to_string())?;
    let loaded: Loaded = load::load(&file).map_err(|e| e.to_string())?;
    let out = dir.join(format!("bench-{strips}-out.wav"));
    let _ = std::fs::remove_file(&out);
    let opts = RenderOptions {
        sample_rate: RATE,
        format: Format::Int24,
        no_master_fx: false,
        tail_seconds: 0.0,
        length_seconds: None,
    };
    let report = if stems {
        let folder = dir.join(format!("bench-{strips}-set"));
        let _ = std::fs::remove_dir_all(&folder);
        let buses: Vec<usize> = (0..loaded.doc.buses.len()).collect();
        let (printed, _) = crate::audio::print_set::render_set(&loaded, &folder, &buses, &opts, &mut |_| {})
            .map_err(|e| e.to_string())?;
        let _ = std::fs::remove_dir_all(&folder);
        printed.into_iter().next().expect("a mix").report
    } else {
        let report = render(&loaded, &out, &opts, &mut |_| {}).map_err(|e| e.to_string())?;
        let _ = std::fs::remove_file(&out);
        report
    };
    Ok(RenderSpeed { strips, seconds: report.frames as f64 / RATE as f64, wall_seconds: report.wall_seconds })
}

/// The machine's own jitter: the same percentiles for a fixed arithmetic loop of a few µs.
/// On a shared virtual machine its p99.9 shows how much of the engine's tail is not the engine.
pub fn noise_floor(runs: usize) -> BlockCost {
    let mut data = vec![1.0001f32; 8192];
    let mut times: Vec<f64> = (0..runs)
        .map(|_| {
            let t = Instant::now();
            for _ in 0..6 {
                for x in data.iter_mut() {
                    *x = *x * 0.99991 + 0.0001;
                }
            }
            std::hint::black_box(&data);
            t.elapsed().as_secs_f64() * 1e6
        })
        .collect();
    percentiles(0, &mut times)
}

fn percentiles(strips: usize, times: &mut [f64]) -> BlockCost {
    times.sort_by(f64::total_cmp);
    let at = |q: f64| times[((times.len() - 1) as f64 * q) as usize];
    BlockCost { strips, median_us: at(0.5), p99_us: at(0.99), p999_us: at(0.999), max_us: times[times.len() - 1] }
}

/// Cost of the console: one redraw of a session at a terminal size, and the bytes a
/// second it sends to the terminal with meters moving and at rest (30 frames a second).
pub struct ConsoleCost {
    pub median_us: f64,
    pub p99_us: f64,
    pub moving_bytes_per_s: f64,
    pub idle_bytes_per_s: f64,
}

/// Counts what would go to the terminal.
struct CountingSink(std::rc::Rc<std::cell::Cell<u64>>);

impl std::io::Write for CountingSink {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.set(self.0.get() + buf.len() as u64);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

pub fn console_cost(strips: usize, (width, height): (u16, u16), frames: usize) -> ConsoleCost {
    use crate::ui::model::{App, ChannelReading, EngineInfo, Msg, Readings};
    let doc = full_session(strips, 0, Channels::Stereo);
    let built = build_engine(&doc, RATE as f32, 0).expect("the bench session builds");
    let targets = std::sync::Arc::new(crate::engine::targets::ParamTargets::new(&built.values, built.telemetry));
    let info = EngineInfo { client_name: "bench".into(), sample_rate: RATE, period: 64 };
    let mut app = App::new(doc, "bench/session.yaml".into(), built.params, targets, info);
    app.update(Msg::Resize(width, height));
    let bytes = std::rc::Rc::new(std::cell::Cell::new(0));
    let backend = ratatui::backend::CrosstermBackend::new(CountingSink(bytes.clone()));
    let mut terminal = ratatui::Terminal::with_options(
        backend,
        ratatui::TerminalOptions {
            viewport: ratatui::Viewport::Fixed(ratatui::layout::Rect::new(0, 0, width, height)),
        },
    )
    .expect("a terminal over a byte counter");
    let channels = app.channels.len();
    let mut on_screen = None;
    // Each channel's level wanders at its own pace, as music does.
    let mut frame_at = |app: &mut App, i: usize, moving: bool| {
        let t = i as f64 / 30.0;
        let level = |c: usize| if moving { (0.3 + 0.25 * ((t * (1.0 + c as f64 * 0.37)).sin())) as f32 } else { 0.0 };
        let readings = Readings {
            now_s: t,
            channels: (0..channels)
                .map(|c| ChannelReading { peak: [level(c), level(c + 1)], ..Default::default() })
                .collect(),
            frame: if moving { (t * RATE as f64) as u64 } else { 0 },
            rolling: moving,
            ..Readings::default()
        };
        app.update(Msg::Readings(readings));
        let start = Instant::now();
        crate::ui::shell::draw_changes(&mut terminal, &mut on_screen, app).expect("draws");
        start.elapsed().as_secs_f64() * 1e6
    };
    let mut times: Vec<f64> = (0..frames).map(|i| frame_at(&mut app, i, true)).collect();
    let moving_bytes_per_s = bytes.get() as f64 / (frames as f64 / 30.0);
    // Let the meters fall to rest, then count what an idle console sends.
    for i in frames..frames + 300 {
        frame_at(&mut app, i, false);
    }
    bytes.set(0);
    for i in frames + 300..frames * 2 + 300 {
        frame_at(&mut app, i, false);
    }
    let idle_bytes_per_s = bytes.get() as f64 / (frames as f64 / 30.0);
    let cost = percentiles(strips, &mut times);
    ConsoleCost { median_us: cost.median_us, p99_us: cost.p99_us, moving_bytes_per_s, idle_bytes_per_s }
}

/// A group of figures `headroom bench --only` can print alone.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Part {
    Engine,
    Console,
    Render,
}

pub const ALL_PARTS: [Part; 3] = [Part::Engine, Part::Console, Part::Render];

/// Runs everything and prints the figures.
pub fn run_all(work_dir: &Path, render_seconds: f64) -> Result<(), String> {
    run(&ALL_PARTS, work_dir, render_seconds)
}

pub fn run(parts: &[Part], work_dir: &Path, render_seconds: f64) -> Result<(), String> {
    if parts.contains(&Part::Engine) {
        print_engine();
    }
    if parts.contains(&Part::Console) {
        print_console();
    }
    if parts.contains(&Part::Render) {
        print_render(work_dir, render_seconds)?;
    }
    Ok(())
}

fn print_engine() {
    let noise = noise_floor(50_000);
    crate::say!(
        "machine jitter, a fixed loop: median {:6.1} µs   p99 {:6.1} µs   p99.9 {:6.1} µs   max {:7.1} µs",
        noise.median_us,
        noise.p99_us,
        noise.p999_us,
        noise.max_us
    );
    crate::say!("engine cost per 64-frame block at 48 kHz (budget 1333 µs), full strips + 4 buses + master:");
    for strips in [16, 64] {
        let c = block_cost(strips, 50_000);
        crate::say!(
            "  {:>2} stereo strips: median {:6.1} µs   p99 {:6.1} µs   p99.9 {:6.1} µs   max {:7.1} µs",
            c.strips,
            c.median_us,
            c.p99_us,
            c.p999_us,
            c.max_us
        );
    }
}

fn print_console() {
    crate::say!("console redraw, 30 frames a second, meters moving / at rest:");
    for size in [(200, 50), (80, 24)] {
        let c = console_cost(64, size, 900);
        crate::say!(
            "  64 strips at {}x{}: median {:6.0} µs   p99 {:6.0} µs   {:6.1} kB/s moving   {:5.0} B/s idle",
            size.0,
            size.1,
            c.median_us,
            c.p99_us,
            c.moving_bytes_per_s / 1000.0,
            c.idle_bytes_per_s
        );
    }
}

fn print_render(work_dir: &Path, render_seconds: f64) -> Result<(), String> {
    crate::say!("offline render of a {render_seconds:.0} s session, 24-bit out, 24-bit stems read from disk:");
    let mut plain_64_stereo = None;
    for (strips, channels) in [(16, Channels::Stereo), (64, Channels::Stereo), (64, Channels::Mono)] {
        let r = render_speed(work_dir, strips, render_seconds, channels, false)?;
        crate::say!(
            "  {:>2} {:<6} strips: {:6.2} s for {:.0} s = {:5.1}x real time",
            r.strips,
            stem_prefix(channels),
            r.wall_seconds,
            r.seconds,
            r.realtime()
        );
        if strips == 64 && channels == Channels::Stereo {
            plain_64_stereo = Some(r.realtime());
        }
    }
    let set = render_speed(work_dir, 64, render_seconds, Channels::Stereo, true)?;
    crate::say!(
        "  64 stereo strips, --stems all (mix, no-master-fx copy, 4 bus stems): {:6.2} s = {:5.1}x real time, {:.0}% of the plain render's speed",
        set.wall_seconds,
        set.realtime(),
        100.0 * set.realtime() / plain_64_stereo.unwrap_or(set.realtime())
    );
    Ok(())
}
