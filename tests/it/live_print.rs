//! Real-time prints over a private JACK dummy server: twenty seconds of the demo printed
//! while it rolls equal its offline render sample for sample (master and a bus stem), and an
//! xrun made on purpose (headroom stopped for 40 ms) is said with where it fell in the print.

use std::path::{Path, PathBuf};
use std::time::Duration;

use headroom::audio::offline::{Format, RenderOptions};
use headroom::audio::print_set::render_set;

use super::jack::{Headroom, ONE_SERVER_AT_A_TIME, RATE, private_server};
use super::xruns::freeze;

fn read_f32(path: &Path) -> Vec<f32> {
    hound::WavReader::open(path).unwrap().into_samples::<f32>().map(Result::unwrap).collect()
}

/// A session folder made from the demo layout, as `headroom new` makes it.
fn demo_session(dir: &Path) -> PathBuf {
    let session = dir.join("song");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_headroom"))
        .args(["new", session.to_str().unwrap(), "--layout", "demo"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    session
}

/// The print's files: the master's, and the stems beside it.
fn printed_files(session: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(session.join("renders"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.to_string_lossy().contains("-live"))
        .collect();
    files.sort();
    files
}

#[test]
fn twenty_seconds_printed_while_rolling_equal_the_offline_render_master_and_bus() {
    let _turn = ONE_SERVER_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let server = private_server("print");
    let dir = tempfile::tempdir().unwrap();
    let session = demo_session(dir.path());
    // A print that JACK interrupted is said to be (and is not comparable): print again.
    let mut attempts = Vec::new();
    let kept = loop {
        let _ = std::fs::remove_dir_all(session.join("renders"));
        let mut headroom = Headroom::play(&server, &session, &[]);
        headroom.expect_line("on JACK as");
        headroom.send("locate 0");
        headroom.send("print DrumBus");
        headroom.expect_line("real-time print armed:");
        headroom.send("play");
        std::thread::sleep(Duration::from_millis(20_500));
        headroom.send("stop");
        let kept = headroom.expect_line("real-time print of");
        headroom.quit();
        if kept.contains("(clean)") {
            break kept;
        }
        attempts.push(kept);
        assert!(attempts.len() < 3, "JACK interrupted every print: {attempts:?}");
    };
    assert!(kept.contains(" from 0.000 s (clean)"), "{kept}");
    let files = printed_files(&session);
    let names: Vec<String> = files.iter().map(|p| p.file_name().unwrap().to_string_lossy().into_owned()).collect();
    let date = chrono::Local::now().format("%Y-%m-%d").to_string();
    assert_eq!(names, [format!("song-{date}-1-live-stem-DrumBus.wav"), format!("song-{date}-1-live.wav")]);
    let (stem, master) = (read_f32(&files[0]), read_f32(&files[1]));
    assert_eq!(stem.len(), master.len(), "the stem is as long as the master");
    assert!(master.len() >= RATE * 2 * 20, "{} frames printed", master.len() / 2);

    // The same session offline: the mix and the bus's stem.
    let loaded = headroom::session::load::load(&session).unwrap();
    let opts = RenderOptions {
        sample_rate: RATE as u32,
        format: Format::Float32,
        no_master_fx: false,
        tail_seconds: 0.0,
        length_seconds: Some(20.0),
    };
    let folder = dir.path().join("offline");
    let drum_bus = loaded.doc.buses.iter().position(|b| b.name == "DrumBus").unwrap();
    let (printed, _) = render_set(&loaded, &folder, &[drum_bus], &opts, &mut |_| {}).unwrap();
    let (mix, offline_stem) = (read_f32(&printed[0].path), read_f32(&printed[2].path));
    // The live print starts at transport frame 0, the master's look-ahead later than the mix.
    let latency =
        headroom::session::resolve::build_engine(&loaded.doc, RATE as f32, 0).unwrap().engine.latency_frames();
    let first_sound = |x: &[f32]| x.iter().position(|&v| v != 0.0).unwrap() / 2;
    assert_eq!(first_sound(&master), first_sound(&mix) + latency, "the print lines up with the render");
    let worst = |live: &[f32], offline: &[f32]| {
        (0..RATE * 19 * 2).map(|i| (live[latency * 2 + i] - offline[i]).abs()).fold(0.0f32, f32::max)
    };
    assert!(worst(&master, &mix) <= 1e-6, "the master's print is off the render by {}", worst(&master, &mix));
    assert!(worst(&stem, &offline_stem) <= 1e-6, "the bus's print is off its stem by {}", worst(&stem, &offline_stem));
}

#[test]
fn an_xrun_during_a_real_time_print_is_said_with_where_it_fell() {
    let _turn = ONE_SERVER_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let server = private_server("print-xrun");
    let dir = tempfile::tempdir().unwrap();
    let session = demo_session(dir.path());
    let mut headroom = Headroom::play(&server, &session, &[]);
    headroom.expect_line("on JACK as");
    // Armed and stopped before the transport rolled: no empty files are left behind.
    headroom.send("print");
    headroom.expect_line("real-time print armed:");
    headroom.send("print stop");
    headroom.expect_line("real-time print stopped before the transport rolled: nothing to keep");
    assert!(printed_files(&session).is_empty(), "{:?}", printed_files(&session));
    headroom.send("print");
    headroom.expect_line("real-time print armed:");
    headroom.send("play");
    std::thread::sleep(Duration::from_millis(1000));
    freeze(&headroom);
    std::thread::sleep(Duration::from_millis(1000));
    headroom.send("stop");
    let said = headroom.expect_line("real-time print: an xrun at ");
    let at: f64 = said.split("an xrun at ").nth(1).unwrap().split(' ').next().unwrap().parse().unwrap();
    assert!((0.8..1.6).contains(&at), "the xrun fell about a second in: {said}");
    let kept = headroom.expect_line("real-time print of");
    assert!(kept.contains("xrun(s), at "), "{kept}");
    headroom.quit();
    assert_eq!(printed_files(&session).len(), 1, "the print is kept, with its xrun said");
}
