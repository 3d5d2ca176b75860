//! Missed JACK periods during automation passes, made on purpose: headroom is stopped
//! (SIGSTOP) for 40 ms three times mid-ride, so JACK runs on without it and the transport
//! jumps ahead. Each ride must stay one pass, with no step in its lanes.

use std::time::Duration;

use headroom::automation::file;
use headroom::automation::lane::Shape;

use super::jack::{Headroom, ONE_SERVER_AT_A_TIME, RATE, layout_in, private_server};

const RIDE_LAYOUT: &str = "version: 1
name: ride
strips:
  - {name: W, input: {ports: [\"probe:out\"]}}
  - {name: L, input: {ports: [\"probe:out\"]}}
  - {name: T, input: {ports: [\"probe:out\"]}}
";
/// Write, Latch and Touch; Touch's fader already has a lane at -6 dB to return to.
const RIDE_AUTOMATION: &str = "version: 1
modes:
  strip.W.fader: write
  strip.L.fader: latch
  strip.T.fader: touch
passes:
  - id: 1
    made: 2026-12-01 10:00:00
    start: 0
    end: 960000
    writes:
      strip.T.fader: [\"0 -6, 960000 -6\"]
";

/// Stops headroom for 40 ms: JACK misses its periods and goes on without it.
pub(crate) fn freeze(headroom: &Headroom) {
    let pid = headroom.child.id() as libc::pid_t;
    // SAFETY: plain kill(2) on our own child's pid.
    unsafe { libc::kill(pid, libc::SIGSTOP) };
    std::thread::sleep(Duration::from_millis(40));
    // SAFETY: as above.
    unsafe { libc::kill(pid, libc::SIGCONT) };
}

#[test]
fn missed_periods_in_a_write_a_latch_and_a_touch_ride_leave_one_pass_with_no_step() {
    let _turn = ONE_SERVER_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let server = private_server("xruns");
    let dir = tempfile::tempdir().unwrap();
    let layout = layout_in(dir.path(), "ride.yaml", RIDE_LAYOUT);
    let automation = dir.path().join("ride.automation.yaml");
    std::fs::write(&automation, RIDE_AUTOMATION).unwrap();
    let mut headroom = Headroom::play(&server, &layout, &[]);
    headroom.expect_line("on JACK as");
    headroom.send("write on");
    headroom.expect_line("automation write enabled");
    headroom.send("play");
    std::thread::sleep(Duration::from_millis(300));
    for fader in ["W", "L", "T"] {
        headroom.send(&format!("touch strip.{fader}.fader"));
    }
    // Down a dB every 80 ms, to -12; headroom misses periods three times on the way.
    for db in 1..=12 {
        for fader in ["W", "L", "T"] {
            headroom.send(&format!("move strip.{fader}.fader -{db}"));
        }
        std::thread::sleep(Duration::from_millis(80));
        if db % 3 == 1 {
            freeze(&headroom);
        }
    }
    for fader in ["W", "L", "T"] {
        headroom.send(&format!("release strip.{fader}.fader"));
    }
    // Touch glides back to its lane; Write and Latch hold -12 until the stop.
    std::thread::sleep(Duration::from_millis(1500));
    headroom.send("stop");
    let kept = headroom.expect_line("kept pass 2");
    assert!(kept.contains("xrun"), "the pass names the xruns it carried on over: {kept}");
    // The status line counts them by JACK and by the engine's own clock, with the last one's time.
    let status = headroom.expect_line(" (engine ");
    assert!(status.contains(", last 0:0"), "{status}");

    let doc = headroom::session::load::load(&layout).unwrap().doc;
    let table = headroom::session::resolve::build_engine(&doc, RATE as f32, 0).unwrap().params;
    let store = file::load(&automation, &table).unwrap();
    assert_eq!(
        store.passes().len(),
        2,
        "the ride is one pass: {:?}",
        store.passes().iter().map(|p| p.id).collect::<Vec<_>>()
    );
    let ride = &store.passes()[1];
    assert!(
        !ride.xruns.is_empty() && ride.xruns.iter().all(|f| (ride.start..ride.end).contains(f)),
        "{:?}",
        ride.xruns
    );
    for fader in ["W", "L", "T"] {
        let id = format!("strip.{fader}.fader");
        let stretches = &ride.writes[&id];
        assert_eq!(stretches.len(), 1, "{id} is written in one stretch, not split at the xruns");
        // From its first move (-1 dB; Touch's stretch starts at the lane's -6 where it was
        // touched) the ride only goes down, until Touch's glide back after it: no step back to
        // the value before the touch, as a split pass would leave.
        let values: Vec<f32> = stretches[0].iter().map(|p| p.value).collect();
        let first_move = values.iter().position(|&v| (v + 1.0).abs() < 0.01).expect("the ride's first move");
        let lowest = values.iter().position(|&v| v <= -11.99).expect("the ride reached -12 dB");
        let ride_down = &values[first_move..=lowest];
        assert!(ride_down.windows(2).all(|w| w[1] <= w[0] + 0.01), "{id} steps back up mid-ride: {ride_down:?}");
    }
    let at_end = |id: &str| store.lane(id, Shape::Linear).unwrap().value_at(ride.end - RATE as u64 / 10).unwrap();
    assert!((at_end("strip.W.fader") + 12.0).abs() < 0.1, "Write stays Write until the stop");
    assert!((at_end("strip.L.fader") + 12.0).abs() < 0.1, "Latch holds its last value until the stop");
    let t = at_end("strip.T.fader");
    assert!((t + 6.0).abs() < 0.1, "Touch glides back to the lane as it was (-6 dB), not to its own ride: {t}");
    assert_eq!(
        store.modes["strip.W.fader"],
        headroom::automation::Mode::Touch,
        "Write falls back to Touch at the stop"
    );
    headroom.quit();
}
