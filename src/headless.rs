//! `headroom play` without the console: a status line, and commands typed (or
//! piped) on standard input, one a line:
//!
//! ```text
//! play | stop | locate SECONDS | set PARAM-ID VALUE | get PARAM-ID | quit
//! move PARAM-ID VALUE | touch PARAM-ID | release PARAM-ID       (a hand on a control)
//! mode PARAM-ID|CHANNEL MODE | write on|off | passes | undo | redo | toggle N | name N TEXT
//! ```

use std::io::{BufRead, IsTerminal, Write};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use crate::audio::jack_backend::{JackSession, send};
use crate::automation::recorder::{Event, Recorder, Request};
use crate::automation::{self, Mode};
use crate::control::surface::{LinkState, ParamMirror, SurfaceEvent};
use crate::control::targets::TransportAction;
use crate::engine::Command;
use crate::engine::automation::AutomationTelemetry;
use crate::engine::params::{ParamIndex, ParamTable};
use crate::engine::telemetry::Telemetry;
use crate::ui::shell::Surfaces;

#[derive(Clone, Debug, PartialEq)]
pub enum Typed {
    Play,
    Stop,
    Locate {
        seconds: f64,
    },
    Set {
        id: String,
        value: f32,
    },
    Get {
        id: String,
    },
    /// A hand moves a control (automation sees a touch).
    Move {
        id: String,
        value: f32,
    },
    Touch {
        id: String,
        on: bool,
    },
    /// The automation mode of a parameter, or of every parameter of a channel (`strip.Vocal`).
    Mode {
        target: String,
        mode: Mode,
    },
    WriteEnable(bool),
    Passes,
    Automation(Request),
    Quit,
}

/// Reads one command line; `Err` says what was expected.
pub fn parse_line(line: &str) -> Result<Option<Typed>, String> {
    let words: Vec<&str> = line.split_whitespace().collect();
    let number = |w: &str, what: &str| w.parse::<f64>().map_err(|_| format!("expected {what}, found \"{w}\""));
    Ok(Some(match words.as_slice() {
        [] => return Ok(None),
        ["play"] => Typed::Play,
        ["stop"] => Typed::Stop,
        ["quit"] | ["exit"] => Typed::Quit,
        ["locate", s] => Typed::Locate { seconds: number(s, "seconds")?.max(0.0) },
        ["set", id, v] => {
            let value = if *v == "-inf" { f64::NEG_INFINITY } else { number(v, "a value")? };
            Typed::Set { id: id.to_string(), value: value as f32 }
        }
        ["get", id] => Typed::Get { id: id.to_string() },
        ["move", id, v] => {
            let value = if *v == "-inf" { f64::NEG_INFINITY } else { number(v, "a value")? };
            Typed::Move { id: id.to_string(), value: value as f32 }
        }
        ["touch", id] => Typed::Touch { id: id.to_string(), on: true },
        ["release", id] => Typed::Touch { id: id.to_string(), on: false },
        ["mode", target, mode] => Typed::Mode {
            target: target.to_string(),
            mode: Mode::parse(mode)
                .ok_or_else(|| format!("expected off, read, write, touch, latch or trim, found \"{mode}\""))?,
        },
        ["write", "on"] => Typed::WriteEnable(true),
        ["write", "off"] => Typed::WriteEnable(false),
        ["passes"] => Typed::Passes,
        ["undo"] => Typed::Automation(Request::Undo),
        ["redo"] => Typed::Automation(Request::Redo),
        ["toggle", n] => Typed::Automation(Request::Toggle(number(n, "a pass number")? as u32)),
        ["name", n, name @ ..] if !name.is_empty() => {
            Typed::Automation(Request::Rename(number(n, "a pass number")? as u32, name.join(" ")))
        }
        _ => {
            return Err(format!(
                "unknown command \"{}\"; commands: play, stop, locate SECONDS, set PARAM VALUE, get PARAM, \
                 move PARAM VALUE, touch PARAM, release PARAM, mode PARAM|CHANNEL MODE, write on|off, passes, \
                 undo, redo, toggle N, name N TEXT, quit",
                line.trim()
            ));
        }
    }))
}

/// One line of status: transport, DSP load, xruns, master peak and loudness.
pub fn status_line(session: &JackSession, telemetry: &Telemetry) -> String {
    let view = &session.view;
    let frame = view.frame.load(Ordering::Relaxed);
    let seconds = frame as f64 / session.sample_rate as f64;
    let state = if view.rolling.load(Ordering::Relaxed) { "▶" } else { "■" };
    let master = telemetry.master();
    let peak = master.peak[0].take().max(master.peak[1].take());
    // Below -120 dBFS (reverb tails decaying away) reads as silence; so does loudness under
    // -70 LUFS, the absolute gate of R128.
    let peak_db = if peak > 1e-6 { format!("{:6.1}", 20.0 * peak.log10()) } else { "  -inf".to_string() };
    let lufs = |v: f32| if v > -70.0 { format!("{v:5.1}") } else { "  -  ".to_string() };
    let l = &session.loudness[0].1;
    let buses: String = session.loudness[1..]
        .iter()
        .map(|(name, view)| format!("  {name} M {}", lufs(view.momentary_lufs.load())))
        .collect();
    format!(
        "{state} {:02}:{:06.3}  DSP {:4.1}%  xruns {}  master {peak_db} dBFS  M {} S {} I {} LUFS{buses}",
        (seconds / 60.0) as u64,
        seconds % 60.0,
        session.cpu_load(),
        session.xruns.load(Ordering::Relaxed),
        lufs(l.momentary_lufs.load()),
        lufs(l.short_term_lufs.load()),
        lufs(l.integrated_lufs.load()),
    )
}

/// Runs until `quit`, end of input after `quit_on_eof`, a signal, or the JACK server going away.
pub fn run(
    session: &mut JackSession,
    params: &ParamTable,
    surfaces: Surfaces,
    telemetry: &Arc<Telemetry>,
    mut commands: rtrb::Producer<Command>,
    recorder: &Recorder,
    stop_requested: &AtomicBool,
) -> Result<(), String> {
    let (lines_tx, lines) = mpsc::channel();
    std::thread::Builder::new()
        .name("headroom-stdin".into())
        .spawn(move || {
            for line in std::io::stdin().lock().lines() {
                let Ok(line) = line else { break };
                if lines_tx.send(line).is_err() {
                    break;
                }
            }
        })
        .map_err(|e| e.to_string())?;
    let tty = std::io::stdout().is_terminal();
    let mut last_status = Instant::now();
    let status_every = if tty { Duration::from_millis(250) } else { Duration::from_secs(1) };
    loop {
        if stop_requested.load(Ordering::Relaxed) {
            break;
        }
        if session.server_gone.load(Ordering::Relaxed) {
            return Err("the JACK server shut down".into());
        }
        match lines.recv_timeout(Duration::from_millis(20)) {
            Ok(line) => match parse_line(&line) {
                Ok(Some(Typed::Quit)) => break,
                Ok(Some(typed)) => {
                    let heard = Heard { values: &surfaces.mirror, automation: &telemetry.automation };
                    if let Err(message) = apply(session, params, heard, &mut commands, recorder, typed) {
                        eprintln!("{message}");
                    }
                }
                Ok(None) => {}
                Err(message) => eprintln!("{message}"),
            },
            Err(mpsc::RecvTimeoutError::Timeout) | Err(mpsc::RecvTimeoutError::Disconnected) => {}
        }
        for event in recorder.events.try_iter() {
            match event {
                Event::Said(text) => println!("{text}"),
                Event::Problem(text) => eprintln!("{text}"),
            }
        }
        for event in surfaces.events.try_iter() {
            if let Err(message) = surface_event(session, params, &surfaces.selected, recorder, event) {
                eprintln!("{message}");
            }
        }
        if last_status.elapsed() >= status_every {
            last_status = Instant::now();
            let line = status_line(session, telemetry);
            let mut out = std::io::stdout().lock();
            let _ = if tty { write!(out, "\r{line}\x1b[K") } else { writeln!(out, "{line}") };
            let _ = out.flush();
        }
    }
    if tty {
        println!();
    }
    Ok(())
}

/// What a surface asks of a session without a console: the transport, the channel its
/// `selected.…` controls and mode buttons act on, automation modes, and a word on connecting.
fn surface_event(
    session: &JackSession,
    params: &ParamTable,
    selected: &AtomicUsize,
    recorder: &Recorder,
    event: SurfaceEvent,
) -> Result<(), String> {
    let jack = |r: Result<(), jack::Error>| r.map_err(|e| format!("JACK transport: {e}"));
    let nudge = session.sample_rate;
    let frame = session.view.frame.load(Ordering::Relaxed) as u32;
    match event {
        SurfaceEvent::Transport(action) => match action {
            TransportAction::Play => jack(session.transport.start()),
            TransportAction::Stop => jack(session.transport.stop()),
            TransportAction::PlayStop if session.view.rolling.load(Ordering::Relaxed) => jack(session.transport.stop()),
            TransportAction::PlayStop => jack(session.transport.start()),
            TransportAction::LocateStart => jack(session.transport.locate(0)),
            TransportAction::Rewind => jack(session.transport.locate(frame.saturating_sub(nudge))),
            TransportAction::Forward => jack(session.transport.locate(frame + nudge)),
            TransportAction::Loop => Ok(()),
        },
        SurfaceEvent::Link { device, state } => {
            match state {
                LinkState::Connected { port } => println!("{device} connected on {port}"),
                LinkState::Waiting { pattern } => println!("{device}: waiting for a MIDI port matching \"{pattern}\""),
                LinkState::Failed(why) => eprintln!("{device}: {why}"),
            }
            Ok(())
        }
        SurfaceEvent::Select(channel) => {
            selected.store(channel, Ordering::Relaxed);
            Ok(())
        }
        SurfaceEvent::Automation(mode) => {
            let channel = selected.load(Ordering::Relaxed);
            let chosen = automation::channel_params(params, channel);
            if let Some(fader) = chosen.iter().find_map(|&p| params.spec(p).id.strip_suffix(".fader")) {
                println!("{fader}: {} ({} parameters)", mode.name(), chosen.len());
            }
            recorder.request(Request::SetModes { params: chosen, mode });
            Ok(())
        }
        // Parameters went to the engine and the mirror already; the rest needs the console.
        _ => Ok(()),
    }
}

/// What a parameter sounds like now: automation's value while it drives the parameter,
/// else the target every control shares.
#[derive(Clone, Copy)]
struct Heard<'a> {
    values: &'a ParamMirror,
    automation: &'a AutomationTelemetry,
}

impl Heard<'_> {
    fn get(&self, param: ParamIndex) -> f32 {
        self.automation.driven_value(param).unwrap_or_else(|| self.values.get(param))
    }
}

fn apply(
    session: &JackSession,
    params: &ParamTable,
    heard: Heard,
    commands: &mut rtrb::Producer<Command>,
    recorder: &Recorder,
    typed: Typed,
) -> Result<(), String> {
    let jack = |r: Result<(), jack::Error>| r.map_err(|e| format!("JACK transport: {e}"));
    let lookup = |id: &str| params.lookup(id).map_err(|e| format!("{e}; `headroom params SESSION` lists them"));
    let mut engine =
        |command| send(commands, command).map_err(|_| "the engine's command ring is full; try again".to_string());
    let by_hand = matches!(typed, Typed::Move { .. });
    match typed {
        Typed::Play => jack(session.transport.start()),
        Typed::Stop => jack(session.transport.stop()),
        Typed::Locate { seconds } => jack(session.transport.locate((seconds * session.sample_rate as f64) as u32)),
        Typed::Set { id, value } | Typed::Move { id, value } => {
            let param = lookup(&id)?;
            let value = params.spec(param).constrain(value);
            heard.values.set(param, value);
            engine(if by_hand { Command::Move { param, value } } else { Command::SetParam { param, value } })?;
            let spec = params.spec(param);
            match heard.automation.driven_value(param) {
                Some(played) if heard.automation.mode(param) == Mode::Read => println!(
                    "{id} = {} (not heard: in Read its lane plays {})",
                    spec.format(value),
                    spec.format(played)
                ),
                _ => println!("{id} = {}", spec.format(value)),
            }
            Ok(())
        }
        Typed::Touch { id, on } => engine(Command::Touch { param: lookup(&id)?, touched: on }),
        Typed::Mode { target, mode } => {
            // A channel is named by the prefix of its parameters: every channel has a fader.
            let chosen: Vec<ParamIndex> = match (params.lookup(&target), params.lookup(&format!("{target}.fader"))) {
                (Ok(param), _) => vec![param],
                (_, Ok(fader)) => automation::channel_params(params, params.spec(fader).owner),
                _ => {
                    return Err(format!("no parameter or channel \"{target}\"; `headroom params SESSION` lists them"));
                }
            };
            match chosen.len() {
                1 => println!("{target}: {}", mode.name()),
                n => println!("{target}: {} ({n} parameters)", mode.name()),
            }
            recorder.request(Request::SetModes { params: chosen, mode });
            Ok(())
        }
        Typed::WriteEnable(on) => {
            recorder.request(Request::WriteEnable(on));
            println!("automation write {}", if on { "enabled" } else { "disabled" });
            Ok(())
        }
        Typed::Passes => {
            let store = recorder.store.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            if store.passes().is_empty() {
                println!("no passes yet");
            }
            for pass in store.passes() {
                let state = if pass.active { "" } else { " (taken out)" };
                println!("{} made {}{state}", pass.describe(session.sample_rate), pass.made);
            }
            Ok(())
        }
        Typed::Automation(request) => {
            recorder.request(request);
            Ok(())
        }
        Typed::Get { id } => {
            let param = params.lookup(&id).map_err(|e| e.to_string())?;
            println!("{id} = {}", params.spec(param).format(heard.get(param)));
            Ok(())
        }
        Typed::Quit => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn command_lines_parse_or_say_what_was_expected() {
        assert_eq!(parse_line("  play "), Ok(Some(Typed::Play)));
        assert_eq!(parse_line("locate 12.5"), Ok(Some(Typed::Locate { seconds: 12.5 })));
        assert_eq!(
            parse_line("set strip.Bass.fader -6"),
            Ok(Some(Typed::Set { id: "strip.Bass.fader".into(), value: -6.0 }))
        );
        assert_eq!(
            parse_line("set strip.Bass.fader -inf"),
            Ok(Some(Typed::Set { id: "strip.Bass.fader".into(), value: f32::NEG_INFINITY }))
        );
        assert_eq!(parse_line(""), Ok(None));
        assert_eq!(parse_line("locate soon"), Err("expected seconds, found \"soon\"".into()));
        assert!(parse_line("dance").unwrap_err().starts_with("unknown command \"dance\""));
    }
}
