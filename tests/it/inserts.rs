//! Hardware inserts over a private JACK dummy server, with a loop of our own standing in for
//! outboard gear: a JACK client that plays back what it hears a known number of samples
//! later. The ping measures the round trip to the sample, and once measured the strip
//! through the loop lines up with one that is not: a polarity-inverted copy nulls it.

use std::process::Command;
use std::time::Duration;

use super::jack::{CClient, Headroom, ONE_SERVER_AT_A_TIME, Probe, layout_in, private_server, rms};

/// Copies its input `in` to its output `out` DELAY samples later (argv: name, delay).
const LOOP_C: &str = r#"
#include <jack/jack.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#define RING 16384
static jack_port_t *in, *out;
static float ring[RING];
static unsigned pos = 0, delay;
static int process(jack_nframes_t frames, void *arg) {
    float *x = jack_port_get_buffer(in, frames), *y = jack_port_get_buffer(out, frames);
    for (jack_nframes_t i = 0; i < frames; i++) {
        ring[pos % RING] = x[i];
        y[i] = ring[(pos + RING - delay) % RING];
        pos++;
    }
    return 0;
}
int main(int argc, char **argv) {
    delay = atoi(argv[2]);
    jack_client_t *client = jack_client_open(argv[1], JackNoStartServer | JackUseExactName, NULL);
    if (!client) return 1;
    in = jack_port_register(client, "in", JACK_DEFAULT_AUDIO_TYPE, JackPortIsInput, 0);
    out = jack_port_register(client, "out", JACK_DEFAULT_AUDIO_TYPE, JackPortIsOutput, 0);
    jack_set_process_callback(client, process, NULL);
    if (jack_activate(client)) return 1;
    printf("ready\n");
    fflush(stdout);
    char line[16];
    while (fgets(line, sizeof line, stdin)) {}
    jack_client_close(client);
    return 0;
}
"#;

/// The loop, as a process of its own: it leaves JACK when its input ends.
struct Loop(std::process::Child);

impl Loop {
    fn start(binary: &CClient, server: &headroom::audio::jack_server::DummyServer, name: &str, delay: u32) -> Loop {
        Loop(binary.start(server, &[name, &delay.to_string()]))
    }
}

impl Drop for Loop {
    fn drop(&mut self) {
        drop(self.0.stdin.take());
        let _ = self.0.wait();
    }
}

const LOOPED: &str = "version: 1
name: looped
strips:
  - {name: Wet, input: {ports: [\"probe:out\"]}, insert: {send: [\"loop:in\"], return: [\"loop:out\"]}}
  - {name: Dry, input: {ports: [\"probe:out\"]}, polarity_invert: true}
master:
  ports: [\"probe:in_L\", \"probe:in_R\"]
";

/// The same on a group bus (stereo: a loop each side): the strip through the bus and its
/// insert against a dry copy routed straight to the master.
const LOOPED_BUS: &str = "version: 1
name: looped
strips:
  - {name: Wet, input: {ports: [\"probe:out\"]}, output: Gear}
  - {name: Dry, input: {ports: [\"probe:out\"]}, polarity_invert: true}
buses:
  - {name: Gear, kind: group, insert: {send: [\"loop:in\", \"loopR:in\"], return: [\"loop:out\", \"loopR:out\"]}}
master:
  ports: [\"probe:in_L\", \"probe:in_R\"]
";

#[test]
fn a_ping_measures_the_loop_to_the_sample_and_the_strip_through_it_then_nulls_against_its_dry_copy() {
    measures_and_nulls(LOOPED, "strip.Wet", "Wet");
}

#[test]
fn a_bus_insert_is_measured_and_compensated_like_a_strips() {
    measures_and_nulls(LOOPED_BUS, "bus.Gear", "Gear");
}

fn measures_and_nulls(layout_text: &str, target: &str, name: &str) {
    let _turn = ONE_SERVER_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let server = private_server("insert");
    let dir = tempfile::tempdir().unwrap();
    // 100 samples in the loop, and a period of graph feedback (the loop runs through headroom
    // and back): 356 frames, not a whole number of the probe's 1 kHz periods.
    let delay = 100;
    let binary = CClient::build(dir.path(), "loop", LOOP_C);
    let _gear = [Loop::start(&binary, &server, "loop", delay), Loop::start(&binary, &server, "loopR", delay)];
    let mut probe = Probe::start();
    let layout = layout_in(dir.path(), "looped.yaml", layout_text);
    let mut headroom = Headroom::play(&server, &layout, &[]);
    headroom.expect_line("on JACK as");
    std::thread::sleep(Duration::from_millis(500));
    // Not measured yet: the wet strip comes back late and does not cancel the dry one.
    let (before, _) = probe.record(0.3);
    assert!(rms(&before) > 0.1, "uncompensated, the two strips do not cancel: rms {}", rms(&before));

    headroom.send(&format!("insert measure {target}"));
    headroom.expect_line(&format!("{name}: pinging its hardware insert"));
    let said = headroom.expect_line(&format!("{name}: hardware insert round trip "));
    let frames: u32 = said.split("round trip ").nth(1).unwrap().split(' ').next().unwrap().parse().unwrap();
    let period = 256;
    assert!(frames.abs_diff(delay + period) <= 1, "measured {frames} frames for a loop of {}: {said}", delay + period);

    std::thread::sleep(Duration::from_millis(300));
    let (after, _) = probe.record(0.5);
    let left = rms(&after);
    assert!(left < 1e-5, "compensated, the wet strip cancels its dry copy: rms {left}");
    eprintln!("{target} ping: {frames} frames; left over once compensated: rms {left:e} (before: {})", rms(&before));
    let summary = headroom.quit();
    assert!(summary.contains("0 allocations on the audio thread"), "{summary}");
}

#[test]
fn a_session_with_a_hardware_insert_is_not_rendered_offline_and_says_what_to_do() {
    let dir = tempfile::tempdir().unwrap();
    let layout = layout_in(dir.path(), "looped.yaml", LOOPED);
    let out = Command::new(env!("CARGO_BIN_EXE_headroom"))
        .args(["render", layout.to_str().unwrap(), "--length", "1", "-o"])
        .arg(dir.path().join("x.wav"))
        .output()
        .unwrap();
    assert!(!out.status.success());
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(said.contains("\"Wet\" has a hardware insert: an offline render cannot play through outboard gear; print in real time instead"), "{said}");
    assert!(!dir.path().join("x.wav").exists());
}
