//! headroom outliving its JACK server: the server is killed under a running session and a
//! new one started with the same name (at the same period, then at another); the session
//! plays on it without being restarted, with its mix, its passes and its unsaved changes.

use std::path::Path;
use std::time::{Duration, Instant};

use headroom::audio::jack_server::DummyServer;

use super::jack::{Headroom, ONE_SERVER_AT_A_TIME, Probe, RATE, TONE_LAYOUT, Tmux, db, layout_in, private_server, rms};

/// Kills the server as a crash would (SIGKILL: no goodbye to its clients).
fn crash(server: DummyServer) -> String {
    // SAFETY: plain kill(2) on the server's pid, a child of this process not yet reaped.
    unsafe { libc::kill(server.pid() as libc::pid_t, libc::SIGKILL) };
    let name = server.name.clone();
    drop(server);
    name
}

fn restart(name: &str, period: u32) -> DummyServer {
    // Realtime scheduling keeps the dummy driver on time where the machine allows it.
    DummyServer::start(name, RATE as u32, period, true)
        .or_else(|_| DummyServer::start(name, RATE as u32, period, false))
        .expect("jackd starts again under the same name")
}

/// Tone alone, heard 6 dB down (its fader at -6: 0.25 RMS each side at 0 dB).
fn hears_tone_at_minus_6(probe: &mut Probe, when: &str) {
    std::thread::sleep(Duration::from_millis(300));
    let (left, right) = probe.record(0.5);
    for side in [&left, &right] {
        let heard = db(rms(side) / 0.25);
        assert!((heard + 6.0).abs() < 0.1, "{when}: the master carries Tone at {heard:.2} dB, not -6");
    }
}

/// A touch pass on the muted strip's fader (so what the master carries stays Tone's).
fn write_a_pass(headroom: &mut Headroom, number: usize) {
    headroom.send("play");
    std::thread::sleep(Duration::from_millis(300));
    headroom.send("touch strip.Other.fader");
    headroom.send(&format!("move strip.Other.fader -{}", 10 + number));
    std::thread::sleep(Duration::from_millis(400));
    headroom.send("release strip.Other.fader");
    std::thread::sleep(Duration::from_millis(300));
    headroom.send("stop");
    headroom.expect_line(&format!("kept pass {number}"));
}

/// A nanoKONTROL2 on JACK MIDI, plugged in again on each new server (the JACK MIDI build;
/// the ALSA build's devices do not go with the JACK server).
struct Surface {
    #[cfg(feature = "midi-jack")]
    device: super::jack::MidiDevice,
}

impl Surface {
    const ARGS: [&str; 2] = ["--controller", "korg-nanokontrol2"];

    fn plug() -> Surface {
        Surface {
            #[cfg(feature = "midi-jack")]
            device: super::jack::MidiDevice::start("nanoKONTROL2-test"),
        }
    }

    /// headroom finds the device and follows it: M2 (CC 49) pressed twice unmutes and mutes Other.
    fn works(&mut self, headroom: &mut Headroom) {
        #[cfg(feature = "midi-jack")]
        {
            headroom.expect_line("Korg nanoKONTROL2 connected on nanoKONTROL2-test:out");
            for state in ["off", "on"] {
                self.device.send(&[0xB0, 49, 127]);
                self.device.send(&[0xB0, 49, 0]);
                headroom.send("get strip.Other.mute");
                headroom.expect_line(&format!("strip.Other.mute = {state}"));
            }
        }
        let _ = headroom;
    }
}

#[test]
fn a_headless_session_plays_on_after_its_jack_server_is_killed_and_started_again() {
    let _turn = ONE_SERVER_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let mut server = private_server("restart");
    let dir = tempfile::tempdir().unwrap();
    let layout = layout_in(dir.path(), "tone.yaml", TONE_LAYOUT);
    let mut probe = Probe::start();
    let mut device = Surface::plug();
    let mut headroom = Headroom::play(&server, &layout, &Surface::ARGS);
    headroom.expect_line("on JACK as \"tone\"");
    device.works(&mut headroom);
    headroom.send("mode strip.Other.fader touch");
    headroom.send("write on");
    headroom.expect_line("automation write enabled");
    headroom.send("set strip.Tone.fader -6");
    headroom.expect_line("strip.Tone.fader = -6.0 dB");
    hears_tone_at_minus_6(&mut probe, "before any crash");
    write_a_pass(&mut headroom, 1);

    for (crash_number, period) in [256, 512].into_iter().enumerate() {
        // The transport is stopped where the pass ended: the new server is located there.
        let stopped_at = headroom.expect_line("■ ").split_whitespace().nth(1).unwrap().to_string();
        drop((probe, device));
        let name = crash(server);
        // Nothing saved yet: the fader move is kept beside the layout, in case no server comes.
        let autosave = format!("unsaved changes kept in {}", dir.path().join("tone.autosave.yaml").display());
        headroom.expect_lines(&["the JACK server went away", &autosave]);
        server = restart(&name, period);
        headroom.expect_line(&format!("JACK is back: playing as \"tone\", {period} frames a period"));
        headroom.expect_line(&format!("■ {stopped_at} "));
        probe = Probe::start();
        device = Surface::plug();
        device.works(&mut headroom);
        let when = format!("after crash {} (a new server at {period} frames)", crash_number + 1);
        hears_tone_at_minus_6(&mut probe, &when);
        headroom.send("get strip.Tone.fader");
        headroom.expect_line("strip.Tone.fader = -6.0 dB");
        write_a_pass(&mut headroom, crash_number + 2);
    }
    headroom.send("passes");
    for number in 1..=3 {
        headroom.expect_line(&format!("pass {number} (strip.Other.fader"));
    }
    let autosaved = headroom::session::load::load(&dir.path().join("tone.autosave.yaml")).unwrap().doc;
    assert_eq!(autosaved.strips[0].values.number("fader_db"), Some(-6.0));
    let summary = headroom.quit();
    assert!(summary.contains("0 allocations on the audio thread"), "{summary}");
    drop((probe, device));
}

/// Waits until `path` exists.
fn appears(path: &Path) -> bool {
    let deadline = Instant::now() + Duration::from_secs(10);
    while !path.exists() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    path.exists()
}

#[test]
fn the_console_says_jack_is_gone_keeps_the_mix_and_plays_on_a_server_started_at_another_period() {
    let _turn = ONE_SERVER_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let server = private_server("restart-console");
    let dir = tempfile::tempdir().unwrap();
    let session = dir.path().join("tone");
    std::fs::create_dir(&session).unwrap();
    std::fs::write(session.join("session.yaml"), TONE_LAYOUT).unwrap();
    let probe = Probe::start();
    let command = format!("{} {}", env!("CARGO_BIN_EXE_headroom"), session.display());
    let term = Tmux::start("restart", (100, 30), &[("JACK_DEFAULT_SERVER", &server.name)], &command);
    term.wait_for("■ stop");
    // Tone's fader down 6 dB (two coarse steps): an unsaved change.
    term.keys(&["J", "J"]);
    term.wait_for("● unsaved");

    drop(probe);
    let name = crash(server);
    let screen = term.wait_for("✗ JACK gone");
    assert!(screen.contains("● unsaved"), "the change is still there, unsaved:\n{screen}");
    assert!(appears(&session.join("autosave.yaml")), "unsaved changes are written beside the session");

    let server = restart(&name, 512);
    let screen = term.wait_for("512 fr");
    assert!(screen.contains("■ stop") && !screen.contains("JACK gone"), "{screen}");
    let mut probe = Probe::start();
    hears_tone_at_minus_6(&mut probe, "after the restart");
    drop(probe);
    drop(server);
}
