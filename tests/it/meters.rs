//! The live meters over a private JACK dummy server: `meters reset` starts the master's
//! integrated loudness, true peak and song peak again, and the strips' meters read at the
//! point each is set to.

use std::time::Duration;

use super::jack::{Headroom, ONE_SERVER_AT_A_TIME, private_server};

/// The master's true peak in a `meters` line (`TP -1.0 dBTP`; `-` reads as silence).
fn true_peak(line: &str) -> f64 {
    let tp = line.split("TP ").nth(1).and_then(|t| t.split(' ').next()).unwrap_or("-");
    tp.parse().unwrap_or(f64::NEG_INFINITY)
}

#[test]
fn meters_reset_starts_the_integrated_loudness_true_peak_and_song_peak_again() {
    let _turn = ONE_SERVER_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let server = private_server("meters");
    let mut headroom = Headroom::play(&server, std::path::Path::new("layouts/demo.yaml"), &[]);
    headroom.expect_line("on JACK as");
    headroom.send("play");
    std::thread::sleep(Duration::from_millis(3500));
    // One line a channel, in console order, then the master's.
    headroom.send("meters");
    let drums = headroom.expect_line("Drums ");
    assert!(drums.contains("(post-fader)") && !drums.contains("peak   -inf"), "{drums}");
    let before = headroom.expect_line("master target -10 .. -6 dBFS:");
    assert!(!before.contains("I - LUFS") && !before.contains("nothing played"), "{before}");
    // A strip's meter at its input reads the stem before trim, EQ, compressor and fader.
    headroom.send("set strip.Drums.meter input");
    headroom.expect_line("strip.Drums.meter = input");
    // Stopped and reset: nothing has played since, and the loudness meter starts afresh (it
    // takes the reset on its own thread, within a few milliseconds).
    headroom.send("stop");
    headroom.send("meters reset");
    headroom.expect_line("meters reset:");
    std::thread::sleep(Duration::from_millis(300));
    headroom.send("meters");
    let just_reset = headroom.expect_line("master target");
    // Only the reverb's and the echo's tails have played since: far under the song's peaks.
    assert!(just_reset.contains("I - LUFS"), "{just_reset}");
    assert!(true_peak(&just_reset) < true_peak(&before) - 6.0, "{before}\n{just_reset}");
    headroom.send("play");
    std::thread::sleep(Duration::from_millis(1500));
    headroom.send("meters");
    let drums = headroom.expect_line("Drums ");
    assert!(drums.contains("(input)"), "{drums}");
    let after = headroom.expect_line("master target");
    assert!(!after.contains("nothing played") && !after.contains("I - LUFS"), "measured again: {after}");
    headroom.quit();
}
