//! The console's imperative shell: owns the terminal, runs the event loop, reads the
//! engine's meters, and carries out the effects `App::update` asks for.
//!
//! Terminal input and the frame clock wake one loop; input is handled and drawn as it
//! arrives, not at the next frame. The loop never waits on the engine: commands go
//! through the rtrb ring (a full ring keeps them queued here, in order), readings are
//! atomics.

use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc;

use crate::automation::recorder::Recorder;
use crate::control::learn::Learn;
use crate::control::link::Links;
use crate::control::surface::SurfaceEvent;
use std::time::{Duration, Instant};

use ratatui::Terminal;
use ratatui::backend::{Backend, CrosstermBackend};
use ratatui::buffer::Buffer;
use ratatui::crossterm::event::{self, DisableMouseCapture, EnableMouseCapture, Event, KeyEventKind};
use ratatui::crossterm::terminal::{self, EnterAlternateScreen, LeaveAlternateScreen};
use ratatui::crossterm::{cursor, execute};

use super::executor::{Executor, autosave, autosave_on_panic};
use super::model::{App, AutomationReading, ChannelReading, Loudness, Msg, Readings};
use super::view;
use crate::audio::jack_backend::JackSession;
use crate::engine::Command;
use crate::engine::telemetry::{PeakReader, Telemetry};

/// Frames a second when meters move.
const FPS: u32 = 30;

/// What wakes the loop besides the frame clock.
enum Wake {
    Terminal(Event),
    Surface(SurfaceEvent),
}

/// What the control surfaces tell the console, and what it shares with them.
pub struct Surfaces {
    pub events: mpsc::Receiver<SurfaceEvent>,
    /// The console's selected channel, for surface controls bound to `selected.…`.
    pub selected: Arc<AtomicUsize>,
    /// Where the console arms MIDI learn for the surfaces.
    pub learn: Arc<Learn>,
    /// The surfaces' links; the console connects more.
    pub links: Links,
}

/// Puts the terminal back as it was; safe to call more than once.
pub fn restore_terminal() {
    let _ = terminal::disable_raw_mode();
    let _ = execute!(std::io::stdout(), DisableMouseCapture, LeaveAlternateScreen, cursor::Show);
}

/// How the console ended.
pub enum Ending {
    /// The user quit.
    Quit,
    /// A signal asked us to stop; unsaved changes (if any) were written to this file.
    Signalled { autosaved: Option<PathBuf> },
    /// Standard input ended (headless, without `--keep-running`); unsaved changes as above.
    InputEnded { autosaved: Option<PathBuf> },
}

/// Runs the console until the user quits, a signal arrives or the JACK server goes away.
pub fn run(
    mut app: App,
    session: &mut JackSession,
    telemetry: &Arc<Telemetry>,
    commands: rtrb::Producer<Command>,
    surfaces: Surfaces,
    recorder: &Recorder,
    stop_requested: &AtomicBool,
) -> Result<Ending, String> {
    terminal::enable_raw_mode().map_err(|e| format!("terminal: {e}"))?;
    // From here on, every way out (return, error, panic) restores the terminal.
    let previous_hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        restore_terminal();
        previous_hook(info);
    }));
    let outcome = (|| {
        execute!(std::io::stdout(), EnterAlternateScreen, EnableMouseCapture, cursor::Hide)
            .map_err(|e| format!("terminal: {e}"))?;
        let mut terminal =
            Terminal::new(CrosstermBackend::new(std::io::stdout())).map_err(|e| format!("terminal: {e}"))?;
        let engine = EngineLink { session, telemetry, recorder };
        autosave_on_panic(&mut app, |app| event_loop(app, &mut terminal, &engine, commands, surfaces, stop_requested))
    })();
    restore_terminal();
    let _ = std::panic::take_hook();
    match outcome {
        Ok(true) => Ok(Ending::Quit),
        Ok(false) => Ok(Ending::Signalled { autosaved: autosave(&app)? }),
        Err(e) => {
            autosave(&app)?;
            Err(e)
        }
    }
}

/// What the console reads and asks besides the terminal: the JACK session, the engine's
/// telemetry and the automation recorder.
struct EngineLink<'a> {
    session: &'a JackSession,
    telemetry: &'a Telemetry,
    recorder: &'a Recorder,
}

/// Returns true when the user quit, false when a signal stopped the console.
fn event_loop<W: Write>(
    app: &mut App,
    terminal: &mut Terminal<CrosstermBackend<W>>,
    engine: &EngineLink,
    commands: rtrb::Producer<Command>,
    surfaces: Surfaces,
    stop_requested: &AtomicBool,
) -> Result<bool, String> {
    let EngineLink { session, telemetry, recorder } = *engine;
    let (wake, woken) = mpsc::channel();
    let surface_wake = wake.clone();
    let Surfaces { events, selected, learn, links } = surfaces;
    // Surface events wake the loop like keys do.
    std::thread::Builder::new()
        .name("headroom-surface-events".into())
        .spawn(move || {
            while let Ok(event) = events.recv() {
                if surface_wake.send(Wake::Surface(event)).is_err() {
                    break;
                }
            }
        })
        .map_err(|e| e.to_string())?;
    std::thread::Builder::new()
        .name("headroom-terminal".into())
        .spawn(move || {
            while let Ok(ev) = event::read() {
                if wake.send(Wake::Terminal(ev)).is_err() {
                    break;
                }
            }
        })
        .map_err(|e| e.to_string())?;
    let mut executor = Executor::new(session, recorder, (learn, links), commands, false);
    let size = terminal.size().map_err(|e| e.to_string())?;
    app.update(Msg::Resize(size.width, size.height));
    let started = Instant::now();
    let frame = Duration::from_secs(1) / FPS;
    let mut next_frame = Instant::now();
    let mut on_screen = None;
    let mut peaks = PeakReader::default();
    loop {
        if stop_requested.load(Ordering::Relaxed) {
            return Ok(false);
        }
        executor.tend_server(app);
        let msgs = match woken.recv_timeout(next_frame.saturating_duration_since(Instant::now())) {
            Ok(first) => {
                // Take everything already waiting, so a burst of key repeats costs one redraw.
                std::iter::once(first)
                    .chain(woken.try_iter())
                    .filter_map(|wake| match wake {
                        Wake::Terminal(ev) => terminal_msg(ev),
                        Wake::Surface(event) => Some(Msg::Surface(event)),
                    })
                    .collect()
            }
            Err(mpsc::RecvTimeoutError::Timeout) => {
                next_frame = (next_frame + frame).max(Instant::now());
                let mut msgs = vec![Msg::Readings(read_engine(session, telemetry, started, &mut peaks))];
                msgs.extend(executor.news());
                msgs
            }
            Err(mpsc::RecvTimeoutError::Disconnected) => return Err("the terminal closed".into()),
        };
        for msg in msgs {
            if executor.update(app, msg) {
                return Ok(true);
            }
        }
        executor.flush();
        selected.store(app.selected, Ordering::Relaxed);
        draw_changes(terminal, &mut on_screen, app).map_err(|e| format!("terminal: {e}"))?;
    }
}

/// Draws the app, but sends nothing when the screen would not change: ratatui's diff
/// leaves only a few reset codes for an unchanged frame, and over a slow SSH link an idle
/// console should be silent. `last` keeps what is on screen.
pub fn draw_changes<B: Backend>(
    terminal: &mut Terminal<B>,
    last: &mut Option<Buffer>,
    app: &App,
) -> Result<(), B::Error> {
    terminal.autoresize()?;
    let mut frame = terminal.get_frame();
    view::draw(&mut frame, app);
    let rendered = terminal.current_buffer_mut();
    if last.as_ref() == Some(rendered) {
        rendered.reset();
        return Ok(());
    }
    *last = Some(rendered.clone());
    terminal.apply_buffer()?;
    Ok(())
}

fn terminal_msg(ev: Event) -> Option<Msg> {
    match ev {
        Event::Key(key) if key.kind != KeyEventKind::Release => Some(Msg::Key(key)),
        Event::Mouse(mouse) => Some(Msg::Mouse(mouse)),
        Event::Resize(w, h) => Some(Msg::Resize(w, h)),
        _ => None,
    }
}

/// The engine's meters, automation and the transport, as one message.
/// `peaks` is the reader's place in the meters' peak histories.
pub fn read_engine(session: &JackSession, telemetry: &Telemetry, started: Instant, peaks: &mut PeakReader) -> Readings {
    let view = &session.view;
    let loudness = &session.loudness[0].1;
    let automation = &telemetry.automation;
    Readings {
        now_s: started.elapsed().as_secs_f64(),
        channels: telemetry
            .channels
            .iter()
            .enumerate()
            .map(|(c, m)| ChannelReading {
                peak: peaks.peaks(telemetry, c),
                overs: m.overs.load(Ordering::Relaxed),
                insert_ping: (m.insert_pings.load(Ordering::Relaxed), m.insert_round_trip.load(Ordering::Relaxed)),
                to_master_frames: m.to_master_frames.load(Ordering::Relaxed),
                gain_reduction_db: m.gain_reduction_db.take(),
            })
            .collect(),
        loudness: Loudness {
            momentary_lufs: loudness.momentary_lufs.load(),
            short_term_lufs: loudness.short_term_lufs.load(),
            integrated_lufs: loudness.integrated_lufs.load(),
            range_lu: loudness.range_lu.load(),
            true_peak_dbtp: loudness.true_peak_dbtp.load(),
        },
        frame: view.frame.load(Ordering::Relaxed),
        rolling: view.rolling.load(Ordering::Relaxed),
        bars_beats: view.bars_beats(),
        dsp_load: session.cpu_load(),
        xruns: session.xruns.load(Ordering::Relaxed),
        engine_xruns: view.late_cycles.load(Ordering::Relaxed),
        last_xrun_frame: view.last_late_frame(),
        unconnected: session.unconnected(),
        automation: AutomationReading::all(automation),
        write_enabled: automation.write_enabled.load(Ordering::Relaxed),
        pass_open: automation.pass_open.load(Ordering::Relaxed),
        print: session.print_status(),
    }
}
