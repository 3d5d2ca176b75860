//! Port names as a layout gives them, on a real server: hardware ports by number
//! (`physical:capture_N`, as on JACK2 or PipeWire alike), aliases, globs and regular
//! expressions; and `headroom ports`, which lists them as a layout can name them.

use std::process::Command;
use std::time::{Duration, Instant};

use super::jack::{Headroom, ONE_SERVER_AT_A_TIME, Probe, layout_in, private_server};

const PATTERN_LAYOUT: &str = "version: 1
name: pat
strips:
  - {name: Hw, input: {ports: [\"physical:capture_2\"]}}
  - {name: Alias, input: {ports: [\"dummy_pcm:dummy:out1\"]}}
  - {name: Glob, input: {ports: [\"prob?:o*\"]}}
  - {name: Regex, input: {ports: [\"/^probe:ou.$/\"]}}
master:
  ports: [\"physical:playback_2\", \"/probe:in_[R]/\"]
";

#[test]
fn ports_named_by_number_alias_glob_or_expression_are_connected_and_listed() {
    let _turn = ONE_SERVER_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let server = private_server("patterns");
    let dir = tempfile::tempdir().unwrap();
    let layout = layout_in(dir.path(), "pat.yaml", PATTERN_LAYOUT);
    let probe = Probe::start();
    let headroom = Headroom::play(&server, &layout, &[]);
    headroom.expect_line("on JACK as \"pat\"");
    let client = probe.client.as_client();
    let wanted = [
        ("system:capture_2", "pat:Hw_in"),
        ("system:capture_1", "pat:Alias_in"),
        ("probe:out", "pat:Glob_in"),
        ("probe:out", "pat:Regex_in"),
        ("pat:master_out_L", "system:playback_2"),
        ("pat:master_out_R", "probe:in_R"),
    ];
    let deadline = Instant::now() + Duration::from_secs(5);
    for (from, to) in wanted {
        let port = client.port_by_name(from).unwrap();
        while !port.is_connected_to(to).unwrap() {
            assert!(Instant::now() < deadline, "{from} was never connected to {to}");
            std::thread::sleep(Duration::from_millis(50));
        }
    }
    assert!(!client.port_by_name("system:capture_1").unwrap().is_connected_to("pat:Hw_in").unwrap());

    let listed = Command::new(env!("CARGO_BIN_EXE_headroom"))
        .args(["ports", layout.to_str().unwrap()])
        .env("JACK_DEFAULT_SERVER", &server.name)
        .output()
        .unwrap();
    assert!(listed.status.success(), "{}", String::from_utf8_lossy(&listed.stderr));
    let listed = String::from_utf8(listed.stdout).unwrap();
    for line in [
        "  system:capture_1  = physical:capture_1  (also dummy_pcm:dummy:out1)",
        "  system:playback_2  = physical:playback_2  (also dummy_pcm:dummy:in2)",
        "  probe:out\n",
        "  strip Hw (1) input: physical:capture_2 → system:capture_2",
        "  strip Glob (3) input: prob?:o* → probe:out",
        "  master: /probe:in_[R]/ → probe:in_R",
    ] {
        assert!(listed.contains(line), "`headroom ports` does not say {line:?}:\n{listed}");
    }
    headroom.quit();
}
