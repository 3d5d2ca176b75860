//! A session played live: the composition root that starts JACK, the engine, the stem
//! reader, the automation recorder and the surfaces, hands each its rings by name, runs
//! the console or the headless loop, and says at the end what was lost, if anything.

use std::error::Error;
use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use crate::audio::inputs::open_stems;
use crate::audio::jack_backend::{self, JackSession};
use crate::audio::jack_server::DummyServer;
use crate::automation;
use crate::control::feedback::TransportNow;
use crate::control::learn::{self, Learn};
use crate::control::link;
use crate::engine::Built;
use crate::engine::targets::ParamTargets;
use crate::engine::telemetry::Telemetry;
use crate::files::lock::SessionLock;
use crate::headless;
use crate::session::load;
use crate::ui::model::{App, EngineInfo};
use crate::ui::shell::{self, Ending};

/// How to play a session (the command line's `headroom SESSION` options).
#[derive(Clone, Debug, Default)]
pub struct LiveOptions {
    /// A session folder or a layout file.
    pub session: Option<PathBuf>,
    /// No console: a status line, and commands on standard input.
    pub headless: bool,
    /// Start a private dummy JACK server if none runs.
    pub spawn_dummy: bool,
    /// Start the transport once ready.
    pub roll: bool,
    /// Locate the transport here first, in seconds.
    pub from: Option<f64>,
    /// Controller maps, by shipped name or file.
    pub controllers: Vec<String>,
    /// Port patterns for the surfaces, in the order of `controllers`.
    pub surfaces: Vec<String>,
    /// Headless: play on after standard input ends (else that ends the session, as `quit`
    /// would, keeping unsaved changes beside the session).
    pub keep_running: bool,
}

pub fn play(args: &LiveOptions) -> Result<ExitCode, Box<dyn Error>> {
    let Some(session) = &args.session else {
        return Err("which session? give a session folder or a layout file".into());
    };
    let loaded = load::load(session)?;
    // One process a session: a second would keep its own passes and take the first's live
    // journal for a crash's. Held until the end of this function.
    let _lock = SessionLock::take(&loaded.file)?;
    // Every file named on the command line is read before JACK is touched: a bad one is
    // named first, whatever the server's state.
    let maps: Vec<_> = link::choose_maps(&args.controllers, &args.surfaces)?
        .into_iter()
        .map(|m| {
            let (m, problem) = learn::with_user_bindings(m);
            problem.iter().for_each(|p| crate::say_err!("warning: {p}"));
            m
        })
        .collect();
    let _dummy = if args.spawn_dummy && jack_backend::open_client("headroom-probe").is_err() {
        let name = format!("headroom-{}", std::process::id());
        // Realtime scheduling keeps the dummy driver on time; without the rights for it, run without.
        let server =
            DummyServer::start(&name, 48_000, 256, true).or_else(|_| DummyServer::start(&name, 48_000, 256, false))?;
        // SAFETY: no other thread exists yet that could read the environment concurrently.
        unsafe { std::env::set_var("JACK_DEFAULT_SERVER", &name) };
        crate::say!(
            "started a private JACK server \"{name}\" (dummy driver, 48 kHz, 256 frames; pid {})",
            server.pid()
        );
        Some(server)
    } else {
        None
    };
    let client = jack_backend::open_client(&loaded.doc.name)?;
    let rate = client.sample_rate();
    // Open every stem before anything starts: a bad file stops here, with nothing half-loaded.
    let stems = match open_stems(&loaded, rate) {
        Ok(stems) => stems,
        Err(problems) => {
            problems.iter().for_each(|p| crate::say_err!("{p}"));
            return Ok(ExitCode::FAILURE);
        }
    };
    // Each producer of commands gets a ring of its own, by name: the console (or the headless
    // loop), the automation, and every surface, at launch or connected later.
    let Built { engine, params, values, telemetry, mut rings, automation: automation_link, .. } =
        crate::session::resolve::build_engine(&loaded.doc, rate as f32, 0)?;
    let automation_file = automation::file::path_for(&loaded.file);
    let (store, recovered) = match automation::recorder::open(&automation_file, &params, rate) {
        Ok(opened) => opened,
        Err(e) => {
            crate::say_err!("{e}");
            return Ok(ExitCode::FAILURE);
        }
    };
    if let Some(recovered) = recovered {
        crate::say!("{recovered}");
    }
    let commands = rings.open("console")?;
    let automation_ring = rings.open("automation")?;
    let targets = Arc::new(ParamTargets::new(&values, telemetry.clone()));
    let selected = Arc::new(AtomicUsize::new(0));
    let (surface_tx, surface_events) = std::sync::mpsc::channel();
    let mut jack = JackSession::start(client, &loaded.doc, engine, stems)?;
    let recorder = automation::recorder::Recorder::start(
        automation_file,
        store,
        params.clone(),
        rate,
        automation_link,
        automation_ring,
    );
    let shared = link::Shared {
        targets: targets.clone(),
        telemetry: telemetry.clone(),
        transport: {
            let (view, rate) = (jack.view.clone(), jack.sample_rate as f64);
            Arc::new(move || TransportNow {
                rolling: view.rolling.load(Ordering::Relaxed),
                looping: view.loop_on.load(Ordering::Relaxed),
                seconds: view.frame.load(Ordering::Relaxed) as f64 / rate,
            })
        },
        selected: selected.clone(),
        learn: Arc::new(Learn::default()),
        jack_losses: jack.losses.clone(),
        port_arrivals: jack.arrivals.clone(),
    };
    let links = link::Links::start_all(maps, &args.surfaces, &params, &shared, rings, &surface_tx);
    let surfaces = shell::Surfaces { events: surface_events, selected, learn: shared.learn.clone(), links };
    crate::say!(
        "{} on JACK as \"{}\": {} Hz, {} frames a period; {} strips, {} buses",
        loaded.file.display(),
        jack.client_name(),
        jack.sample_rate,
        jack.buffer_size(),
        loaded.doc.strips.len(),
        loaded.doc.buses.len()
    );
    let unconnected = jack.unconnected();
    for refused in unconnected.iter().filter_map(|u| u.refused.as_ref()) {
        crate::say_err!("warning: {refused}");
    }
    if !unconnected.is_empty() {
        // One line, not one a port: the console and the status line keep the count, and
        // each is tried again when a port appears.
        let count = match unconnected.len() {
            1 => "1 connection is".to_string(),
            n => format!("{n} connections are"),
        };
        let names: Vec<String> = unconnected.iter().map(|u| format!("{} → {}", u.from, u.to)).collect();
        crate::say_err!("warning: {count} not made: {}", names.join(", "));
    }
    if let Some(seconds) = args.from {
        jack.transport(|t| t.locate((seconds * rate as f64) as u32))?;
    }
    if args.roll {
        jack.transport(|t| t.start())?;
    }
    let stop = Arc::new(AtomicBool::new(false));
    for signal in [signal_hook::consts::SIGINT, signal_hook::consts::SIGTERM, signal_hook::consts::SIGHUP] {
        signal_hook::flag::register(signal, stop.clone())?;
    }
    let console = !args.headless && std::io::stdout().is_terminal() && std::io::stdin().is_terminal();
    let info =
        EngineInfo { client_name: jack.client_name(), sample_rate: jack.sample_rate, period: jack.buffer_size() };
    let mut app = App::new(loaded.doc.clone(), loaded.file.clone(), params, targets, info);
    let ending = if console {
        app.monochrome = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
        shell::run(app, &mut jack, &telemetry, commands, surfaces, &recorder, &stop)
    } else {
        headless::run(app, &mut jack, &telemetry, commands, surfaces, &recorder, &stop, args.keep_running)
    };
    let outcome = ending.map(|ending| match ending {
        Ending::Signalled { autosaved: Some(file) } => {
            crate::say!("stopped by a signal; unsaved changes kept in {}", file.display())
        }
        Ending::InputEnded { autosaved } => crate::say!(
            "standard input ended: stopping (`--keep-running` plays on){}",
            autosaved.map(|f| format!("; unsaved changes kept in {}", f.display())).unwrap_or_default()
        ),
        _ => {}
    });
    jack.stop();
    let automation_saved = recorder.finish();
    let view = &jack.view;
    crate::say!(
        "stopped: {} xruns ({} seen by the engine's clock), {} stem underruns, {} stem read errors, {}",
        jack.xruns.load(Ordering::Relaxed),
        view.late_cycles.load(Ordering::Relaxed),
        view.stem_underruns.load(Ordering::Relaxed),
        jack.stem_read_errors(),
        jack_backend::allocations_checked(view)
    );
    warn_of_losses(&jack, &telemetry);
    outcome?;
    if !automation_saved {
        crate::say_err!(
            "headroom: {}: the automation of this run is NOT saved: the disk refused it to the end",
            automation::file::path_for(&loaded.file).display()
        );
        return Ok(ExitCode::FAILURE);
    }
    Ok(ExitCode::SUCCESS)
}

/// What a full ring lost during the session, said once it stopped (each is 0 when all went well).
fn warn_of_losses(jack: &JackSession, telemetry: &Telemetry) {
    let surface_drops = telemetry.surface_drops.load(Ordering::Relaxed);
    if surface_drops > 0 {
        crate::say_err!(
            "warning: {surface_drops} control surface messages were dropped (a ring was full: the surface sent faster than the engine or its motors took them)"
        );
    }
    let kept = jack.stem_chunks_kept();
    if kept > 0 {
        crate::say_err!(
            "warning: {kept} stem chunks were kept by the audio thread instead of being freed (a ring was too small)"
        );
    }
    let automation = &telemetry.automation;
    let dropped = automation.record_overflows.load(Ordering::Relaxed);
    if dropped > 0 {
        crate::say_err!(
            "warning: {dropped} automation values were dropped (the pass recorder fell behind); passes may have gaps"
        );
    }
    let leaked = automation.lanes_leaked.load(Ordering::Relaxed);
    if leaked > 0 {
        crate::say_err!(
            "warning: {leaked} old automation lanes could not be handed back by the audio thread and were kept in memory"
        );
    }
}
