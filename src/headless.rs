//! `headroom play` without the console: a status line, and commands typed (or piped) on
//! standard input, one a line (the grammar is `ui::model::typed`'s). They go through the
//! console's own model and update, so a typed `set` can be undone, marks the session
//! unsaved, is saved by `save`, and `quit` will not lose it; answers come in order.

use std::io::{BufRead, IsTerminal, Read, Write};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use crate::audio::jack_backend::JackSession;
use crate::automation::recorder::Recorder;
use crate::engine::Command;
use crate::engine::telemetry::{PeakReader, Telemetry};
use crate::ui::executor::{Executor, autosave, autosave_on_panic};
use crate::ui::model::{App, Msg, parse_line};
use crate::ui::shell::{Ending, Surfaces, read_engine};

/// One line of status: transport, DSP load, xruns, master peak and loudness, and the
/// master's samples over full scale since the meters were reset. `peak` is the master's
/// since the last line.
pub fn status_line(session: &JackSession, app: &App, peak: f32) -> String {
    let readings = &app.readings;
    let seconds = readings.frame as f64 / session.sample_rate as f64;
    let state = if readings.rolling { "▶" } else { "■" };
    // Below -120 dBFS (reverb tails decaying away) reads as silence; so does loudness under
    // -70 LUFS, the absolute gate of R128.
    let peak_db = if peak > 1e-6 { format!("{:6.1}", 20.0 * peak.log10()) } else { "  -inf".to_string() };
    let lufs = |v: f32| if v > -70.0 { format!("{v:5.1}") } else { "  -  ".to_string() };
    let l = &readings.loudness;
    let unsaved = if app.automation_unsaved { "  AUTOMATION NOT SAVED" } else { "" };
    let clipped = match app.meters.last().map_or(0, |m| m.overs()) {
        0 => String::new(),
        n => format!("  CLIPPED {n}"),
    };
    let printing = match readings.print {
        Some(p) if p.armed => "  PRINT armed".to_string(),
        Some(p) => format!("  PRINT {:.1} s", p.seconds),
        None => String::new(),
    };
    let unconnected = match readings.unconnected.len() {
        0 => String::new(),
        n => format!("  unconnected {n}"),
    };
    let buses: String = session.loudness[1..]
        .iter()
        .map(|(name, view)| format!("  {name} M {}", lufs(view.momentary_lufs.load())))
        .collect();
    format!(
        "{state} {:02}:{:06.3}{printing}  DSP {:4.1}%  xruns {}{}{unconnected}{unsaved}  master {peak_db} dBFS{clipped}  M {} S {} I {} LUFS{buses}",
        (seconds / 60.0) as u64,
        seconds % 60.0,
        readings.dsp_load,
        readings.xruns,
        crate::ui::view::xrun_detail(readings, session.sample_rate),
        lufs(l.momentary_lufs),
        lufs(l.short_term_lufs),
        lufs(l.integrated_lufs),
    )
}

/// The longest command line read; a longer one is skipped with an error, not kept growing.
const MOST_LINE_BYTES: u64 = 64 << 10;

/// What standard input brought.
enum Input {
    Line(String),
    /// Line N was not one to read (not UTF-8, or longer than [`MOST_LINE_BYTES`]).
    Unreadable {
        line: u64,
        why: &'static str,
    },
    /// The end of input: end of file, or a terminal that hung up (EIO).
    End,
}

/// Reads standard input on a thread of its own, a line at a time, into `lines`.
fn read_input(lines: mpsc::Sender<Input>) {
    let mut stdin = std::io::stdin().lock();
    let mut buf = Vec::new();
    for number in 1.. {
        buf.clear();
        let input = match (&mut stdin).take(MOST_LINE_BYTES).read_until(b'\n', &mut buf) {
            Ok(0) | Err(_) => Input::End,
            Ok(_) if !buf.ends_with(b"\n") && buf.len() as u64 == MOST_LINE_BYTES => {
                // The rest of the line is read and dropped.
                let mut rest = Vec::new();
                while (&mut stdin).take(MOST_LINE_BYTES).read_until(b'\n', &mut rest).is_ok_and(|n| n > 0)
                    && !rest.ends_with(b"\n")
                {
                    rest.clear();
                }
                Input::Unreadable { line: number, why: "is longer than 64 KiB" }
            }
            Ok(_) => match std::str::from_utf8(&buf) {
                Ok(text) => Input::Line(text.trim_end_matches(['\n', '\r']).to_string()),
                Err(_) => Input::Unreadable { line: number, why: "is not UTF-8 text" },
            },
        };
        let ended = matches!(input, Input::End);
        if lines.send(input).is_err() || ended {
            return;
        }
    }
}

/// Runs until `quit`, a signal, or the end of standard input (unless `keep_running`); a
/// JACK server that goes away is waited for.
#[allow(clippy::too_many_arguments)]
pub fn run(
    mut app: App,
    session: &mut JackSession,
    telemetry: &Arc<Telemetry>,
    commands: rtrb::Producer<Command>,
    surfaces: Surfaces,
    recorder: &Recorder,
    stop_requested: &AtomicBool,
    keep_running: bool,
) -> Result<Ending, String> {
    let (lines_tx, lines) = mpsc::channel();
    std::thread::Builder::new()
        .name("headroom-stdin".into())
        .spawn(move || read_input(lines_tx))
        .map_err(|e| e.to_string())?;
    let mut input_open = true;
    let Surfaces { events, selected, learn, links } = surfaces;
    app.keep_replies();
    let session = &*session;
    let mut executor = Executor::new(session, recorder, (learn, links), commands, true);
    let tty = std::io::stdout().is_terminal();
    let started = Instant::now();
    let mut last_status = Instant::now();
    let status_every = if tty { Duration::from_millis(250) } else { Duration::from_secs(1) };
    let mut peak = 0.0f32;
    // What the app hears of the engine, taken fresh before anything it is asked.
    let mut peaks = PeakReader::default();
    let mut read = |peak: &mut f32| {
        let readings = read_engine(session, telemetry, started, &mut peaks);
        let master = readings.channels.last().map_or(0.0, |m| m.peak[0].max(m.peak[1]));
        *peak = peak.max(master);
        readings
    };
    let ending = autosave_on_panic(&mut app, |app| {
        loop {
            if stop_requested.load(Ordering::Relaxed) {
                break Ending::Signalled { autosaved: None };
            }
            executor.tend_server(app);
            let line = if input_open {
                match lines.recv_timeout(Duration::from_millis(20)) {
                    Ok(Input::Line(line)) => Some(line),
                    Ok(Input::Unreadable { line, why }) => {
                        crate::say_err!("line {line} of standard input {why}: skipped");
                        None
                    }
                    Ok(Input::End) | Err(mpsc::RecvTimeoutError::Disconnected) if keep_running => {
                        input_open = false;
                        None
                    }
                    Ok(Input::End) | Err(mpsc::RecvTimeoutError::Disconnected) => {
                        break Ending::InputEnded { autosaved: None };
                    }
                    Err(mpsc::RecvTimeoutError::Timeout) => None,
                }
            } else {
                std::thread::sleep(Duration::from_millis(20));
                None
            };
            // What the surfaces and the recorder did first: a line typed after them sees it.
            let mut msgs: Vec<Msg> = events.try_iter().map(Msg::Surface).collect();
            msgs.extend(executor.news());
            match line.as_deref().map(parse_line) {
                Some(Ok(Some(typed))) => msgs.extend([Msg::Readings(read(&mut peak)), Msg::Typed(typed)]),
                Some(Err(message)) => crate::say_err!("{message}"),
                Some(Ok(None)) | None => {}
            }
            let mut quit = false;
            for msg in msgs {
                quit |= executor.update(app, msg);
            }
            executor.flush();
            selected.store(app.selected, Ordering::Relaxed);
            for reply in app.take_replies() {
                if reply.problem { crate::say_err!("{}", reply.text) } else { crate::say!("{}", reply.text) }
            }
            if quit {
                break Ending::Quit;
            }
            if last_status.elapsed() >= status_every {
                last_status = Instant::now();
                let readings = read(&mut peak);
                executor.update(app, Msg::Readings(readings));
                let line = status_line(session, app, std::mem::take(&mut peak));
                let mut out = std::io::stdout().lock();
                let _ = if tty { write!(out, "\r{line}\x1b[K") } else { writeln!(out, "{line}") };
                let _ = out.flush();
            }
        }
    });
    if tty {
        crate::say!();
    }
    Ok(match ending {
        Ending::Quit => Ending::Quit,
        Ending::Signalled { .. } => Ending::Signalled { autosaved: autosave(&app)? },
        Ending::InputEnded { .. } => Ending::InputEnded { autosaved: autosave(&app)? },
    })
}
