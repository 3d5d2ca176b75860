//! headroom on PipeWire's JACK, really started: a private PipeWire with WirePlumber (in a
//! D-Bus session of their own, runtime folder of their own), two virtual devices named as
//! PipeWire names them ("Test Speakers:playback_FL"), and headroom run through `pw-jack`.
//! A layout of hardware ports by number and of patterns connects there as on JACK2.

use std::io::Write;
use std::os::unix::process::CommandExt;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use super::jack::{ONE_SERVER_AT_A_TIME, layout_in};

/// A virtual microphone and speakers, added to PipeWire's stock configuration.
const TEST_DEVICES: &str = r#"
    { factory = adapter
        args = { factory.name = support.null-audio-sink node.name = "test-mic" node.description = "Test Mic"
                 media.class = "Audio/Source/Virtual" audio.position = "FL,FR" } }
    { factory = adapter
        args = { factory.name = support.null-audio-sink node.name = "test-speakers"
                 node.description = "Test Speakers" media.class = "Audio/Sink" audio.position = "FL,FR" } }
"#;

struct PipeWire {
    session: Child,
    runtime: tempfile::TempDir,
}

impl PipeWire {
    fn start() -> PipeWire {
        let runtime = tempfile::tempdir().unwrap();
        let stock = std::fs::read_to_string("/usr/share/pipewire/pipewire.conf").expect("PipeWire is installed");
        // The devices go at the end of `context.objects`, the list before `context.exec`.
        let exec = stock.find("context.exec").expect("a stock pipewire.conf");
        let end_of_objects = stock[..exec].rfind(']').unwrap();
        let conf = runtime.path().join("pipewire.conf");
        std::fs::write(&conf, format!("{}{TEST_DEVICES}{}", &stock[..end_of_objects], &stock[end_of_objects..]))
            .unwrap();
        let script = format!("pipewire -c {} & sleep 1; wireplumber & wait", conf.display());
        let session = Command::new("dbus-run-session")
            .args(["--", "sh", "-c", &script])
            .env("XDG_RUNTIME_DIR", runtime.path())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .process_group(0)
            .spawn()
            .expect("dbus-run-session is installed");
        let pipewire = PipeWire { session, runtime };
        let deadline = Instant::now() + Duration::from_secs(20);
        while !String::from_utf8_lossy(&pipewire.run(&["jack_lsp"]).stdout).contains("Test Speakers:playback_FR") {
            assert!(Instant::now() < deadline, "PipeWire never showed its test devices");
            std::thread::sleep(Duration::from_millis(200));
        }
        pipewire
    }

    /// `command` run through `pw-jack`, against this PipeWire.
    fn command(&self, command: &[&str]) -> Command {
        let mut run = Command::new("pw-jack");
        run.args(command).env("XDG_RUNTIME_DIR", self.runtime.path()).env_remove("JACK_DEFAULT_SERVER");
        run
    }

    fn run(&self, command: &[&str]) -> Output {
        self.command(command).output().expect("pw-jack runs")
    }
}

impl Drop for PipeWire {
    fn drop(&mut self) {
        // SAFETY: kill(2) on the process group this test started.
        unsafe { libc::kill(-(self.session.id() as libc::pid_t), libc::SIGTERM) };
        let _ = self.session.wait();
    }
}

const PIPEWIRE_LAYOUT: &str = "version: 1
name: pwtest
strips:
  - {name: MicL, input: {ports: [\"*:capture_FL\"]}}
  - {name: MicR, input: {ports: [\"/Mic:capture_F[R]$/\"]}}
  - {name: Hw, input: {ports: [\"physical:capture_1\"]}}
master:
  ports: [\"physical:playback_1\", \"physical:playback_2\"]
";

#[test]
fn a_layout_of_hardware_ports_and_patterns_connects_on_pipewires_jack() {
    let _turn = ONE_SERVER_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let pipewire = PipeWire::start();
    let dir = tempfile::tempdir().unwrap();
    let layout = layout_in(dir.path(), "pw.yaml", PIPEWIRE_LAYOUT);
    let headroom = env!("CARGO_BIN_EXE_headroom");
    let layout_arg = layout.to_str().unwrap();

    let listed = pipewire.run(&[headroom, "ports", layout_arg]);
    let listed = String::from_utf8_lossy(&listed.stdout);
    for line in [
        "PipeWire ",
        "  Test Speakers:playback_FL  = physical:playback_1",
        "  strip MicL (1) input: *:capture_FL → Test Mic:capture_FL",
        "  strip MicR (2) input: /Mic:capture_F[R]$/ → Test Mic:capture_FR",
        // A virtual source has no hardware capture ports: nothing to connect, and said so.
        "  strip Hw (3) input: physical:capture_1 → nothing there now",
        "  master: physical:playback_2 → Test Speakers:playback_FR",
    ] {
        assert!(listed.contains(line), "`headroom ports` on PipeWire does not say {line:?}:\n{listed}");
    }

    let mut playing = pipewire
        .command(&[headroom, "play", layout_arg, "--headless"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let connected = |from: &str, to: &str| {
        let graph = String::from_utf8_lossy(&pipewire.run(&["jack_lsp", "-c"]).stdout).into_owned();
        graph.contains(&format!("{from}\n   {to}\n"))
    };
    let deadline = Instant::now() + Duration::from_secs(10);
    let wanted = [
        ("pwtest:master_out_L", "Test Speakers:playback_FL"),
        ("pwtest:master_out_R", "Test Speakers:playback_FR"),
        ("Test Mic:capture_FL", "pwtest:MicL_in"),
        ("Test Mic:capture_FR", "pwtest:MicR_in"),
    ];
    while !wanted.iter().all(|(from, to)| connected(from, to)) {
        assert!(Instant::now() < deadline, "headroom's ports were not all connected on PipeWire");
        std::thread::sleep(Duration::from_millis(200));
    }
    writeln!(playing.stdin.as_mut().unwrap(), "quit!").unwrap();
    let out = playing.wait_with_output().unwrap();
    assert!(out.status.success());
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(said.contains("warning: 1 connection is not made: physical:capture_1 → pwtest:Hw_in"), "{said}");
}
