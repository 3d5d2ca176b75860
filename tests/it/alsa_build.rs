//! The default build, whose MIDI goes through ALSA's sequencer, on a machine without one
//! (these have no `/dev/snd/seq`): libasound must not print over the console, and headroom
//! says once, plainly, why there is no MIDI. The tests themselves use the JACK MIDI build,
//! so this one builds the default binary beside them (`target/alsa`).

use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

use super::jack::{ONE_SERVER_AT_A_TIME, Tmux, line_with, private_server};

/// The headroom binary of the default build, built (or found up to date) for this test.
fn default_build() -> PathBuf {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let target = root.join("target/alsa");
    let status = Command::new(env!("CARGO"))
        .current_dir(&root)
        .args(["build", "--locked", "--bin", "headroom", "--target-dir"])
        .arg(&target)
        .status()
        .expect("cargo runs");
    assert!(status.success(), "the default (ALSA MIDI) build failed");
    target.join("debug/headroom")
}

#[test]
fn the_default_build_without_an_alsa_sequencer_keeps_the_screen_clean_and_says_why_once() {
    if std::path::Path::new("/dev/snd/seq").exists() {
        eprintln!("this machine has an ALSA sequencer: nothing to show here");
        return;
    }
    // Built while no JACK test runs: a build on both cores makes their servers miss periods.
    let _turn = ONE_SERVER_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let binary = default_build();
    let server = private_server("alsa");
    let command = format!("{} layouts/demo.yaml --controller mackie-control", binary.display());
    let term = Tmux::start("alsa", (160, 30), &[("JACK_DEFAULT_SERVER", &server.name)], &command);
    term.wait_for("■ stop");
    // Surfaces are looked for twice a second: give it several looks, and a device list (C).
    std::thread::sleep(Duration::from_secs(3));
    term.keys(&["C"]);
    std::thread::sleep(Duration::from_millis(500));
    let screen = term.screen(false);
    assert!(!screen.contains("ALSA lib"), "libasound wrote over the console:\n{screen}");
    let top = screen.lines().next().unwrap();
    assert!(top.starts_with(" demo") && top.contains("✗ Mackie Control (failed)"), "{top}");
    let status = line_with(&screen, "no ALSA sequencer");
    assert!(status.contains("(/dev/snd/seq is missing): load it with `modprobe snd-seq`"), "{status}");
    assert_eq!(screen.matches("no ALSA sequencer").count(), 1, "said once:\n{screen}");
}
