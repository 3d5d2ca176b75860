//! The `headroom` command: argument parsing and user-facing messages only;
//! everything else lives in the library.

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Result, bail};
use clap::{Parser, Subcommand, ValueEnum};

use headroom::audio::inputs::open_stems;
use headroom::audio::offline::{self, Format, RenderOptions};
use headroom::automation;
use headroom::control::map;
use headroom::session::load;
use headroom::session::templates;

#[cfg(debug_assertions)]
#[global_allocator]
static ALLOCATIONS_CHECKED: assert_no_alloc::AllocDisabler = assert_no_alloc::AllocDisabler;

#[derive(Parser)]
#[command(name = "headroom", version, about = "A terminal mixing console for JACK")]
#[command(args_conflicts_with_subcommands = true)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    #[command(flatten)]
    open: OpenArgs,
}

/// `headroom SESSION`: open a session in the console.
#[derive(clap::Args)]
struct OpenArgs {
    /// A session folder or a layout file.
    session: Option<PathBuf>,
    /// No console: a status line, and commands on standard input (also when output is not a terminal).
    #[arg(long)]
    headless: bool,
    /// If no JACK server is running, start a private one with the dummy driver (no sound card needed).
    #[arg(long)]
    spawn_dummy: bool,
    /// Start the JACK transport once ready.
    #[arg(long)]
    roll: bool,
    /// Locate the transport to this many seconds first.
    #[arg(long)]
    from: Option<f64>,
    /// A controller map to use: a shipped one by name (`korg-nanokontrol2`) or a YAML file.
    /// Repeat for several surfaces. Without it, every shipped map whose device is plugged in.
    #[arg(long = "controller", value_name = "MAP")]
    controllers: Vec<String>,
    /// Connect the surface to the MIDI ports whose names contain PORT, instead of the map's `match`.
    /// Repeatable: the first --surface goes with the first --controller, and so on.
    #[arg(long = "surface", value_name = "PORT")]
    surfaces: Vec<String>,
    /// Headless: play on after standard input ends (a service with no input); without it the
    /// end of input stops the session, keeping unsaved changes beside it.
    #[arg(long)]
    keep_running: bool,
}

impl From<OpenArgs> for headroom::live::LiveOptions {
    fn from(a: OpenArgs) -> Self {
        headroom::live::LiveOptions {
            session: a.session,
            headless: a.headless,
            spawn_dummy: a.spawn_dummy,
            roll: a.roll,
            from: a.from,
            controllers: a.controllers,
            surfaces: a.surfaces,
            keep_running: a.keep_running,
        }
    }
}

#[derive(Subcommand)]
enum Command {
    /// Validate layouts, sessions and controller maps; print every problem with file, line, column and path.
    Check {
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// Sample rate the stems must have.
        #[arg(long, default_value_t = 48_000)]
        rate: u32,
    },
    /// Play a session or layout on JACK: the same as `headroom SESSION`.
    Play(OpenArgs),
    /// List every parameter id of a session with its range and value.
    Params { session: PathBuf },
    /// List every target a controller map can bind a control to.
    Targets,
    /// List the JACK server's ports, as a layout can name them (`physical:capture_N`, names,
    /// aliases); with a session, where each port its layout names would connect now.
    Ports { session: Option<PathBuf> },
    /// Print engine and render speed figures (median and tail per 64-frame block; times real time).
    Bench {
        /// Length of the generated session rendered, in seconds.
        #[arg(long, default_value_t = 60.0)]
        seconds: f64,
        /// Print only these figures (engine, console, render); all by default.
        #[arg(long, value_enum, value_delimiter = ',')]
        only: Vec<headroom::bench::Part>,
    },
    /// Make a session folder from a layout (a built-in name or a path).
    New {
        name: PathBuf,
        #[arg(long, default_value = "demo")]
        layout: String,
    },
    /// Print the mix to a WAV file, faster than real time.
    Render {
        /// A session folder or a layout file.
        session: PathBuf,
        /// Output file; default: renders/<session>-<date>-<n>.wav
        #[arg(short, long)]
        output: Option<PathBuf>,
        #[arg(long, value_enum, default_value_t = FormatArg::S24)]
        format: FormatArg,
        /// Bypass the master bus processing (EQ, compressor, limiter), for a mastering engineer.
        #[arg(long)]
        no_master_fx: bool,
        #[arg(long, default_value_t = 48_000)]
        rate: u32,
        /// Seconds rendered after the longest stem, for reverb and delay tails.
        #[arg(long, default_value_t = 3.0)]
        tail: f64,
        /// Render exactly this many seconds.
        #[arg(long)]
        length: Option<f64>,
        /// Print a set for mastering in one pass: the mix, the copy without master processing,
        /// and these buses as stems (`all`, or none named: every bus), lined up sample for
        /// sample in renders/<session>-<date>-<n>/ with a report of each file's levels.
        #[arg(long, value_name = "BUS,…", num_args = 0.., value_delimiter = ',', conflicts_with = "no_master_fx")]
        stems: Option<Vec<String>>,
    },
}

#[derive(Clone, Copy, ValueEnum)]
enum FormatArg {
    /// 24-bit integer
    S24,
    /// 32-bit float
    F32,
    /// 16-bit integer (no dither)
    S16,
}

fn list_ports(session: Option<&std::path::Path>) -> anyhow::Result<ExitCode> {
    let doc = session.map(|s| headroom::session::load::load(s).map(|loaded| loaded.doc)).transpose()?;
    let _ = write!(std::io::stdout(), "{}", headroom::audio::port_report::report(doc.as_ref())?);
    Ok(ExitCode::SUCCESS)
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let Some(command) = cli.command.or_else(|| cli.open.session.is_some().then_some(Command::Play(cli.open))) else {
        use clap::CommandFactory;
        let _ = Cli::command().print_help();
        return ExitCode::FAILURE;
    };
    let result = match command {
        Command::Check { files, rate } => check(&files, rate),
        Command::Play(args) => headroom::live::play(&args.into()).map_err(|e| anyhow::anyhow!("{e}")),
        Command::Params { session } => list_params(&session),
        Command::Ports { session } => list_ports(session.as_deref()),
        Command::Targets => {
            for target in headroom::control::targets::all() {
                headroom::say!("{:<24} {}", target.id, target.help);
            }
            headroom::say!("{:<24} any parameter of the session by id (`headroom params SESSION`)", "param.ID");
            Ok(ExitCode::SUCCESS)
        }
        Command::Bench { seconds, only } => {
            let dir = std::env::temp_dir().join("headroom-bench");
            std::fs::create_dir_all(&dir).map_err(anyhow::Error::from).and_then(|()| {
                headroom::bench::run(if only.is_empty() { &headroom::bench::ALL_PARTS } else { &only }, &dir, seconds)
                    .map_err(anyhow::Error::msg)?;
                Ok(ExitCode::SUCCESS)
            })
        }
        Command::New { name, layout } => new_session(&name, &layout),
        Command::Render { session, output, format, no_master_fx, rate, tail, length, stems } => {
            let format = match format {
                FormatArg::S24 => Format::Int24,
                FormatArg::F32 => Format::Float32,
                FormatArg::S16 => Format::Int16,
            };
            let opts =
                RenderOptions { sample_rate: rate, format, no_master_fx, tail_seconds: tail, length_seconds: length };
            match stems {
                Some(buses) => render_set(&session, output, &buses, &opts),
                None => render(&session, output, &opts),
            }
        }
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            // Every error of ours names its cause in its own message; no chain to print.
            headroom::say_err!("headroom: {e}");
            ExitCode::FAILURE
        }
    }
}

fn check(files: &[PathBuf], rate: u32) -> Result<ExitCode> {
    let mut failed = false;
    for file in files {
        if map::is_controller_map(file) {
            match map::load(file) {
                Ok(m) => {
                    headroom::say!(
                        "{}: ok (controller map for {}, {} controls)",
                        file.display(),
                        m.device,
                        m.controls.len()
                    )
                }
                Err(e) => {
                    failed = true;
                    headroom::say_err!("{e}");
                }
            }
            continue;
        }
        // An automation file is checked with the session it belongs to.
        let file = &automation::file::session_for(file).unwrap_or_else(|| file.clone());
        // Everything one run can find: problems in the file, then its stems and automation
        // as far as the file could be read.
        let (loaded, problems) = match load::load_all(file) {
            Ok(read) => read,
            Err(e) => {
                failed = true;
                headroom::say_err!("{e}");
                continue;
            }
        };
        problems.iter().for_each(|p| headroom::say_err!("{p}"));
        let Some(loaded) = loaded else {
            failed = true;
            continue;
        };
        match (open_stems(&loaded, rate), check_automation(&loaded, rate)) {
            (Ok(opened), Ok(automation)) if problems.is_empty() => headroom::say!(
                "{}: ok ({} strips, {} buses, {} stems{automation})",
                loaded.file.display(),
                loaded.doc.strips.len(),
                loaded.doc.buses.len(),
                opened.stems.len()
            ),
            (stems, automation) => {
                failed = true;
                stems.err().into_iter().flatten().for_each(|p| headroom::say_err!("{p}"));
                automation.err().into_iter().for_each(|e| headroom::say_err!("{e}"));
            }
        }
    }
    Ok(if failed { ExitCode::FAILURE } else { ExitCode::SUCCESS })
}

/// Reads the session's automation file, if it has one, against its parameters; says how
/// many passes it keeps.
fn check_automation(loaded: &load::Loaded, rate: u32) -> Result<String> {
    let path = automation::file::path_for(&loaded.file);
    if !path.exists() {
        return Ok(String::new());
    }
    let params = headroom::session::resolve::build_engine(&loaded.doc, rate as f32, 0)?.params;
    let store = automation::file::load(&path, &params)?;
    let passes = match store.passes().len() {
        1 => "1 automation pass".to_string(),
        n => format!("{n} automation passes"),
    };
    Ok(format!(", {passes} in {}", path.display()))
}

fn list_params(session: &Path) -> Result<ExitCode> {
    let loaded = load::load(session)?;
    let built = headroom::session::resolve::build_engine(&loaded.doc, 48_000.0, 0)?;
    let mut out = std::io::stdout().lock();
    // A reader that stops early (`| head`) ends the listing quietly.
    let mut line = |text: String| writeln!(out, "{}", text.trim_end()).is_ok();
    line(format!("{:<36} {:>10}  {:<30} {:>10}  {:<11} what it does", "id", "value", "range", "default", "role"));
    for (i, spec) in built.params.specs().iter().enumerate() {
        let value = built.values.get(headroom::engine::params::ParamIndex(i as u32));
        let range = match spec.unit {
            headroom::engine::params::Unit::Choice(names) => names.join(" | "),
            _ => format!("{} .. {}", spec.format(spec.min), spec.format(spec.max)),
        };
        let shown = format!(
            "{:<36} {:>10}  {:<30} {:>10}  {:<11} {}",
            spec.id,
            spec.format(value),
            range,
            spec.format(spec.default),
            spec.role.name(),
            spec.doc
        );
        if !line(shown) {
            break;
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn new_session(dir: &Path, layout: &str) -> Result<ExitCode> {
    let file = templates::new_session(dir, layout)?;
    headroom::say!("created {} from layout {layout}", file.display());
    headroom::say!("play it with `headroom play {}`, print it with `headroom render {}`", dir.display(), dir.display());
    Ok(ExitCode::SUCCESS)
}

/// The session's renders folder (`offline::renders_dir`), made if it is not there.
fn renders_dir(loaded: &load::Loaded) -> Result<PathBuf> {
    let dir = offline::renders_dir(&loaded.file);
    std::fs::create_dir_all(&dir).map_err(|e| anyhow::anyhow!("{}: cannot create: {e}", dir.display()))?;
    Ok(dir)
}

fn today() -> String {
    chrono::Local::now().format("%Y-%m-%d").to_string()
}

/// A progress bar on standard error when it is a terminal; `finish` ends its line.
struct Progress {
    tty: bool,
}

impl Progress {
    fn new() -> Self {
        Self { tty: std::io::stderr().is_terminal() }
    }

    fn show(&self, done: f64) {
        if self.tty {
            let filled = (done * 30.0) as usize;
            let bar = format!("\r[{}{}] {:3.0}%", "#".repeat(filled), " ".repeat(30 - filled), done * 100.0);
            let _ = write!(std::io::stderr(), "{bar}");
            let _ = std::io::stderr().flush();
        }
    }

    fn finish(&self) {
        if self.tty {
            headroom::say_err!();
        }
    }
}

/// Says loudly when an integer print clipped, and what to do about it.
fn warn_if_clipped(what: &Path, report: &offline::RenderReport, format: Format) {
    if report.clipped_samples > 0 {
        headroom::say_err!(
            "warning: {}: {} samples CLIPPED: it peaks at {:+.2} dBFS and a {} file cannot go over 0 dBFS; print with --format f32 (which keeps them), or pull the master down by {:.1} dB",
            what.display(),
            report.clipped_samples,
            report.sample_peak_dbfs,
            headroom::audio::print_set::format_name(format),
            report.sample_peak_dbfs.max(0.1)
        );
    }
}

fn render(session: &Path, output: Option<PathBuf>, opts: &RenderOptions) -> Result<ExitCode> {
    let loaded = load::load(session)?;
    let out = match output {
        Some(path) => path,
        None => {
            let suffix = if opts.no_master_fx { "-no-master-fx" } else { "" };
            let name = headroom::files::names::file_name(&loaded.doc.name);
            offline::dated_render_path(&renders_dir(&loaded)?, &name, &today(), suffix)
        }
    };
    if out.exists() {
        bail!("{}: already exists; renders never overwrite (pick another -o or remove it)", out.display());
    }
    let progress = Progress::new();
    let report = offline::render(&loaded, &out, opts, &mut |done| progress.show(done))?;
    progress.finish();
    let l = &report.loudness;
    headroom::say!(
        "{}: {:.1} s at {} Hz in {:.2} s ({:.0}x real time)",
        out.display(),
        report.frames as f64 / opts.sample_rate as f64,
        opts.sample_rate,
        report.wall_seconds,
        report.realtime_factor(opts.sample_rate)
    );
    headroom::say!(
        "peak {:.2} dBFS, true peak {:.2} dBTP, integrated {:.1} LUFS, range {:.1} LU, max short-term {:.1} LUFS, max momentary {:.1} LUFS",
        report.sample_peak_dbfs,
        l.true_peak_dbtp,
        l.integrated_lufs,
        l.range_lu,
        l.max_short_term_lufs,
        l.max_momentary_lufs
    );
    headroom::say!("{}", headroom::audio::print_set::target_check(&loaded.doc, report.sample_peak_dbfs));
    warn_if_clipped(&out, &report, opts.format);
    Ok(ExitCode::SUCCESS)
}

/// `render --stems`: the mix, the copy without master processing and the buses' stems.
fn render_set(session: &Path, output: Option<PathBuf>, buses: &[String], opts: &RenderOptions) -> Result<ExitCode> {
    use headroom::audio::print_set;
    let loaded = load::load(session)?;
    let buses = print_set::choose_buses(&loaded.doc, buses)?;
    let folder = match output {
        Some(path) => path,
        None => {
            let name = headroom::files::names::file_name(&loaded.doc.name);
            offline::dated_render_folder(&renders_dir(&loaded)?, &name, &today())
        }
    };
    if folder.exists() {
        bail!("{}: already exists; renders never overwrite (pick another -o or remove it)", folder.display());
    }
    let progress = Progress::new();
    let (printed, report) = print_set::render_set(&loaded, &folder, &buses, opts, &mut |done| progress.show(done))?;
    progress.finish();
    let first = &printed[0].report;
    headroom::say!(
        "{}/: {} files, {:.1} s at {} Hz in {:.2} s ({:.0}x real time)",
        folder.display(),
        printed.len(),
        first.frames as f64 / opts.sample_rate as f64,
        opts.sample_rate,
        first.wall_seconds,
        first.realtime_factor(opts.sample_rate)
    );
    headroom::say!("{}", report.trim_end());
    for p in &printed {
        warn_if_clipped(&p.path, &p.report, opts.format);
    }
    Ok(ExitCode::SUCCESS)
}
