//! A slow disk under a running session: every fsync and fdatasync headroom makes takes half a
//! second longer (a shim preloaded into it, built here with the system's C compiler). Motor
//! feedback must keep its rate meanwhile: nothing on the way to a surface waits on the disk.

use std::path::Path;
use std::time::{Duration, Instant};

use super::jack::{Headroom, MidiDevice, ONE_SERVER_AT_A_TIME, motor_db, private_server, ten_strip_layout};

/// Interposes fsync and fdatasync: each sleeps 500 ms first, and appends a byte to
/// `$SLOW_SYNC_LOG`, so the test can tell the disk was synced while it watched.
const SLOW_SYNC_C: &str = r#"
#define _GNU_SOURCE
#include <dlfcn.h>
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>
static void slow_and_logged(void) {
    const char *log = getenv("SLOW_SYNC_LOG");
    if (log) {
        int fd = open(log, O_WRONLY | O_APPEND | O_CREAT, 0644);
        if (fd >= 0) { (void)write(fd, "s", 1); close(fd); }
    }
    usleep(500000);
}
int fsync(int fd) {
    static int (*real)(int);
    if (!real) real = (int (*)(int))dlsym(RTLD_NEXT, "fsync");
    slow_and_logged();
    return real(fd);
}
int fdatasync(int fd) {
    static int (*real)(int);
    if (!real) real = (int (*)(int))dlsym(RTLD_NEXT, "fdatasync");
    slow_and_logged();
    return real(fd);
}
"#;

fn build_shim(dir: &Path) -> std::path::PathBuf {
    let source = dir.join("slow_sync.c");
    std::fs::write(&source, SLOW_SYNC_C).unwrap();
    let shim = dir.join("slow_sync.so");
    let status = std::process::Command::new("cc")
        .args(["-shared", "-fPIC", "-O2", "-o"])
        .arg(&shim)
        .arg(&source)
        .arg("-ldl")
        .status()
        .expect("a C compiler (cc) to build the slow-sync shim");
    assert!(status.success(), "the slow-sync shim did not build");
    shim
}

/// S1 reads a lane falling 5 dB a second, so its motor has something new every feedback tick.
const FALLING_LANE: &str = "version: 1
modes:
  strip.S1.fader: touch
passes:
  - id: 1
    made: 2026-12-01 10:00:00
    start: 0
    end: 480000
    writes:
      strip.S1.fader: [\"0 0, 384000 -40\"]
";

#[cfg(feature = "midi-jack")]
#[test]
fn motor_feedback_keeps_its_rate_while_every_disk_sync_takes_half_a_second() {
    let _turn = ONE_SERVER_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let server = private_server("slow-disk");
    let dir = tempfile::tempdir().unwrap();
    let shim = build_shim(dir.path());
    let syncs = dir.path().join("syncs.log");
    let layout = ten_strip_layout(dir.path());
    std::fs::write(dir.path().join("ten.automation.yaml"), FALLING_LANE).unwrap();
    let device = MidiDevice::start("MCU-test");
    let env = [("LD_PRELOAD", shim.to_str().unwrap()), ("SLOW_SYNC_LOG", syncs.to_str().unwrap())];
    let args = ["--controller", "mackie-control", "--surface", "MCU-test"];
    let mut headroom = Headroom::play_with(dir.path(), &server, &layout, &args, &env);
    headroom.expect_line("Mackie Control connected on MCU-test:out");

    // Roll with writing armed, and write a pass on S2 the whole time (its journal is synced
    // every second), and set a mode mid-roll (the automation file is saved and synced).
    headroom.send("mode strip.S2.fader touch");
    headroom.send("write on");
    headroom.expect_line("automation write enabled");
    headroom.send("play");
    headroom.send("touch strip.S2.fader");
    std::thread::sleep(Duration::from_millis(500));
    device.clear();
    let _ = std::fs::remove_file(&syncs);
    let watched = Instant::now();
    for step in 0..40 {
        headroom.send(&format!("move strip.S2.fader -{}", step % 10));
        if step == 15 {
            headroom.send("mode strip.S3.fader latch");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let watch = watched.elapsed();
    headroom.send("release strip.S2.fader");
    headroom.send("stop");
    headroom.expect_line("kept pass 2");

    let synced = std::fs::read(&syncs).map_or(0, |log| log.len());
    assert!(synced >= 3, "the disk was synced {synced} times while watched: the test saw no slow disk");
    let motor: Vec<Instant> =
        device.sent_with_times().into_iter().filter(|(_, m)| motor_db(0, m).is_some()).map(|(t, _)| t).collect();
    let within: Vec<Instant> = motor.into_iter().filter(|t| t.duration_since(watched) < watch).collect();
    let gaps: Vec<Duration> = within.windows(2).map(|w| w[1] - w[0]).collect();
    let longest = gaps.iter().max().copied().unwrap_or(watch);
    // About 30 a second; a sync of 500 ms that held feedback up would leave a gap that long.
    assert!(within.len() as f64 >= 20.0 * watch.as_secs_f64(), "{} motor messages in {watch:?}", within.len());
    assert!(longest < Duration::from_millis(200), "the motor got nothing for {longest:?} while the disk synced");
    headroom.quit();
}
