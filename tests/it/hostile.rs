//! Hostile input through the `headroom` command, as someone trying to break it would give
//! it: FIFOs, devices and huge files where a file is expected, deep nesting, bytes that are
//! not UTF-8, control characters and paths in names, and a reader that goes away. Each must
//! end at once with an error that says where and what, or run to its end: never hang, grow
//! without bound, panic or write outside the session.

use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

#[cfg(feature = "midi-jack")]
use super::jack::CClient;
use super::jack::{Headroom, ONE_SERVER_AT_A_TIME, Tmux, headroom_on, layout_in, private_server};

/// headroom started with `args` in `cwd`, no input, its output piped.
fn spawn_in(cwd: &Path, args: &[&str]) -> std::process::Child {
    Command::new(env!("CARGO_BIN_EXE_headroom"))
        .current_dir(cwd)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

/// Runs headroom with `args` in `cwd`; fails the test if it is still running after 10 s.
fn headroom_in(cwd: &Path, args: &[&str]) -> Output {
    let child = spawn_in(cwd, args);
    let pid = child.id();
    let started = Instant::now();
    let (done, finished) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = done.send(child.wait_with_output().unwrap());
    });
    match finished.recv_timeout(Duration::from_secs(10)) {
        Ok(out) => out,
        Err(_) => {
            // SAFETY: kill(2) on our own child.
            unsafe { libc::kill(pid as i32, libc::SIGKILL) };
            panic!("`headroom {}` hung ({:?})", args.join(" "), started.elapsed());
        }
    }
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn mkfifo(path: &Path) {
    let c = std::ffi::CString::new(path.as_os_str().as_encoded_bytes()).unwrap();
    // SAFETY: a valid NUL-terminated path.
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o644) }, 0);
}

#[test]
fn fifos_devices_and_huge_files_where_a_file_is_expected_are_refused_at_once_by_name() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    mkfifo(&d.join("fifo.yaml"));
    mkfifo(&d.join("stem.wav"));
    mkfifo(&d.join("map.yaml"));
    std::fs::write(
        d.join("plays-a-fifo.yaml"),
        "version: 1\nname: f\nstrips:\n  - {name: A, input: {file: stem.wav}}\n",
    )
    .unwrap();
    std::fs::File::create(d.join("huge.yaml")).unwrap().set_len(1 << 30).unwrap();
    let cases: [(&[&str], &str); 6] = [
        (&["check", "fifo.yaml"], "fifo.yaml: cannot read: expected a file, found a FIFO (named pipe)"),
        (&["check", "/dev/zero"], "/dev/zero: cannot read: expected a file, found a character device"),
        (&["check", "plays-a-fifo.yaml"], "stem.wav: cannot read: expected a file, found a FIFO (named pipe)"),
        (&["check", "huge.yaml"], "huge.yaml: cannot read: 1073741824 bytes is more than the 67108864"),
        (&["play", "--headless", "fifo.yaml"], "fifo.yaml: cannot read: expected a file, found a FIFO"),
        (
            &["play", "--headless", "plays-a-fifo.yaml", "--controller", "map.yaml"],
            "map.yaml: cannot read: expected a file, found a FIFO",
        ),
    ];
    for (args, said) in cases {
        let started = Instant::now();
        let out = headroom_in(d, args);
        assert!(!out.status.success(), "{args:?}");
        assert!(stderr(&out).contains(said), "{args:?}: {}", stderr(&out));
        assert!(started.elapsed() < Duration::from_secs(3), "{args:?} took {:?}", started.elapsed());
    }
}

#[test]
fn deep_nesting_and_bytes_that_are_not_utf8_are_refused_where_they_are() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join("deep.yaml"), format!("version: 1\nname: x\nstrips: {}", "[".repeat(100_000))).unwrap();
    std::fs::write(d.join("latin1.yaml"), b"version: 1\nname: Caf\xe9\nstrips: []\n").unwrap();
    std::fs::write(d.join("binary.yaml"), [0x7f, b'E', b'L', b'F', 0xff, 0xfe, 0, 1]).unwrap();
    let cases = [
        ("deep.yaml", "deep.yaml:3:73: nested deeper than 64 levels"),
        ("latin1.yaml", "latin1.yaml:2:10: expected UTF-8 text, found byte 0xe9 that is not"),
        ("binary.yaml", "binary.yaml:1:5: expected UTF-8 text, found byte 0xff that is not"),
    ];
    for (file, said) in cases {
        let out = headroom_in(d, &["check", file]);
        assert!(!out.status.success());
        assert!(stderr(&out).starts_with(said), "{file}: {}", stderr(&out));
    }
}

#[test]
fn names_with_control_characters_separators_or_past_the_limit_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let long = "x".repeat(65 * 1024);
    let layout = format!(
        "version: 1\nname: ../../X\nstrips:\n  - {{name: \"Lead\\e[31mVox\", input: {{ports: [a:b]}}}}\n  - {{name: \"Bell\\a\", input: {{ports: [a:b]}}}}\n  - {{name: {long}, input: {{ports: [a:b]}}}}\n"
    );
    std::fs::write(d.join("names.yaml"), layout).unwrap();
    let out = headroom_in(d, &["check", "names.yaml"]);
    let said = stderr(&out);
    let lines: Vec<&str> = said.lines().collect();
    assert_eq!(lines.len(), 4, "{said}");
    assert!(
        lines[0].starts_with("names.yaml:2:1: name: a session name becomes a folder and file name: it cannot hold '/'")
    );
    assert!(
        lines[1].starts_with("names.yaml:4:6: strips[0].name: a name cannot hold control characters (found U+001B)")
    );
    assert!(
        lines[2].starts_with("names.yaml:5:6: strips[1].name: a name cannot hold control characters (found U+0007)")
    );
    assert!(
        lines[3].starts_with("names.yaml:6:6: strips[2].name: a name has at most 64 characters; this one has 66560")
    );
    assert!(!said.contains('\x1b') && !said.contains('\x07'), "nothing raw reaches the terminal");
    // `new` refuses a folder name no session can have.
    let out = headroom_in(d, &["new", &"y".repeat(69)]);
    assert!(stderr(&out).contains("the folder's name is the session's name, and a name has at most 64 characters"));
    assert!(!d.join("y".repeat(69)).exists());
}

#[test]
fn every_subcommand_whose_reader_goes_away_ends_cleanly() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let layouts = concat!(env!("CARGO_MANIFEST_DIR"), "/layouts");
    let demo = format!("{layouts}/demo.yaml");
    let band = format!("{layouts}/band-16.yaml");
    let render_to = d.join("print.wav");
    let render_to = render_to.to_str().unwrap();
    let session = d.join("fresh");
    let cases: [&[&str]; 6] = [
        &["check", &demo, &band, &demo, &band],
        &["targets"],
        &["params", &band],
        &["render", &demo, "--length", "2", "-o", render_to],
        &["new", session.to_str().unwrap()],
        &["--help"],
    ];
    for args in cases {
        // A reader that reads nothing and goes away, as `| head -0` does.
        let mut child = spawn_in(d, args);
        drop(child.stdout.take());
        let out = child.wait_with_output().unwrap();
        let said = stderr(&out);
        assert!(!said.contains("panicked"), "{args:?}: {said}");
        assert!(out.status.success(), "{args:?}: {} {said}", out.status);
    }
    assert!(Path::new(render_to).exists(), "the render was written whole although nobody read what it said");
    assert!(session.join("session.yaml").exists());
}

/// CPU time (user and system) the process `pid` has used, in seconds.
fn cpu_seconds(pid: u32) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap();
    let fields: Vec<&str> = stat.rsplit_once(") ").unwrap().1.split_whitespace().collect();
    // utime and stime are fields 14 and 15 of stat(5), 12 and 13 after the name.
    let ticks: f64 = fields[11].parse::<f64>().unwrap() + fields[12].parse::<f64>().unwrap();
    // SAFETY: sysconf has no preconditions.
    ticks / unsafe { libc::sysconf(libc::_SC_CLK_TCK) } as f64
}

const ONE_STRIP: &str = "version: 1\nname: hostile\nstrips:\n  - {name: A, input: {ports: [\"probe:out\"]}}\n";

#[test]
fn headless_ends_cleanly_at_the_end_of_input_idles_with_keep_running_and_reads_on_past_a_bad_line() {
    let _turn = ONE_SERVER_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let server = private_server("stdin");
    let dir = tempfile::tempdir().unwrap();
    let layout = layout_in(dir.path(), "hostile.yaml", ONE_STRIP);
    let play = |extra: &[&str]| {
        headroom_on(&server)
            .arg("play")
            .arg(&layout)
            .args(extra)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap()
    };
    // `ports` lists the server's ports to a reader that went away, and ends cleanly.
    let mut ports = headroom_on(&server)
        .args(["ports"])
        .arg(&layout)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(ports.stdout.take());
    let out = ports.wait_with_output().unwrap();
    assert!(out.status.success() && !stderr(&out).contains("panicked"), "{}", stderr(&out));

    // Closed input: the session ends as `quit` would, at once.
    let started = Instant::now();
    let out = play(&[]).wait_with_output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(String::from_utf8_lossy(&out.stdout).contains("standard input ended: stopping"));
    assert!(started.elapsed() < Duration::from_secs(8), "{:?}", started.elapsed());

    // With --keep-running it plays on, idle, until a signal.
    let child = play(&["--keep-running"]);
    std::thread::sleep(Duration::from_secs(2));
    let before = cpu_seconds(child.id());
    std::thread::sleep(Duration::from_secs(2));
    let used = (cpu_seconds(child.id()) - before) / 2.0;
    assert!(used < 0.3, "after the end of input it uses {:.0} % of a core", used * 100.0);
    // SAFETY: kill(2) on our own child.
    unsafe { libc::kill(child.id() as i32, libc::SIGHUP) };
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success() && !stderr(&out).contains("panicked"), "{}", stderr(&out));
    assert!(String::from_utf8_lossy(&out.stdout).contains("stopped:"));

    // A line that is not UTF-8 is an error line; the next ones are read and obeyed.
    let mut headroom = Headroom::play(&server, &layout, &[]);
    headroom.expect_line("on JACK as");
    headroom.send_bytes(b"set strip.A.fader \xff\xfe-3\n");
    headroom.send("get strip.A.fader");
    headroom.expect_lines(&["line 1 of standard input is not UTF-8 text: skipped", "strip.A.fader = +0.0 dB"]);
    headroom.send(&"x".repeat(100_000));
    headroom.expect_line("line 3 of standard input is longer than 64 KiB: skipped");
    headroom.send("get strip.A.fader");
    headroom.expect_line("strip.A.fader = +0.0 dB");
    headroom.quit();
}

#[test]
fn a_session_name_longer_than_jack_takes_plays_under_a_shortened_client_name() {
    let _turn = ONE_SERVER_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let server = private_server("longname");
    let dir = tempfile::tempdir().unwrap();
    // 64 characters, 128 bytes: a name a layout may have, twice what JACK takes.
    let name = "é".repeat(64);
    let layout = layout_in(dir.path(), "long.yaml", &ONE_STRIP.replace("name: hostile", &format!("name: {name}")));
    let headroom = Headroom::play(&server, &layout, &[]);
    let line = headroom.expect_line("on JACK as");
    let client = line.split('"').nth(1).unwrap().to_string();
    assert!(client.len() <= 60 && client.starts_with("éé") && client.contains('~'), "{line}");
    headroom.quit();
}

/// A MIDI device as JACK shows one: a client of its own with an output port `out`, which
/// sends each line of hex bytes read on standard input as one event. A process of its own,
/// so that it can be unplugged (its input ends: it leaves JACK, and its port goes) and
/// plugged back under the very same name, as a USB device is. It leaves JACK properly: a
/// client killed outright kept its server from stopping, and a server killed in turn keeps
/// one of the eight places in JACK's shared registry until the machine restarts.
#[cfg(feature = "midi-jack")]
const FAKE_DEVICE_C: &str = r#"
#include <jack/jack.h>
#include <jack/midiport.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
static jack_port_t *port;
static unsigned char events[256][3];
static volatile unsigned written = 0, sent = 0;
static int process(jack_nframes_t frames, void *arg) {
    void *buffer = jack_port_get_buffer(port, frames);
    jack_midi_clear_buffer(buffer);
    while (sent != written) {
        jack_midi_event_write(buffer, 0, events[sent % 256], 3);
        __sync_synchronize();
        sent++;
    }
    return 0;
}
int main(int argc, char **argv) {
    jack_client_t *client = jack_client_open(argv[1], JackNoStartServer | JackUseExactName, NULL);
    if (!client) return 1;
    port = jack_port_register(client, "out", JACK_DEFAULT_MIDI_TYPE, JackPortIsOutput, 0);
    jack_set_process_callback(client, process, NULL);
    if (jack_activate(client)) return 1;
    printf("ready\n");
    fflush(stdout);
    unsigned a, b, c;
    while (scanf("%x %x %x", &a, &b, &c) == 3) {
        events[written % 256][0] = a; events[written % 256][1] = b; events[written % 256][2] = c;
        __sync_synchronize();
        written++;
    }
    jack_client_close(client);
    return 0;
}
"#;

#[cfg(feature = "midi-jack")]
struct FakeDevice(std::process::Child);

#[cfg(feature = "midi-jack")]
impl FakeDevice {
    fn plug(binary: &CClient, name: &str, server: &headroom::audio::jack_server::DummyServer) -> FakeDevice {
        FakeDevice(binary.start(server, &[name]))
    }

    fn send(&mut self, bytes: [u8; 3]) {
        use std::io::Write;
        let stdin = self.0.stdin.as_mut().unwrap();
        writeln!(stdin, "{:x} {:x} {:x}", bytes[0], bytes[1], bytes[2]).unwrap();
        stdin.flush().unwrap();
    }

    fn unplug(mut self) {
        drop(self.0.stdin.take());
        let _ = self.0.wait();
    }
}

#[cfg(feature = "midi-jack")]
#[test]
fn a_surface_unplugged_and_plugged_back_between_two_port_checks_is_connected_again() {
    let _turn = ONE_SERVER_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let server = private_server("replug");
    let dir = tempfile::tempdir().unwrap();
    let binary = CClient::build(dir.path(), "fake_device", FAKE_DEVICE_C);
    let layout = layout_in(dir.path(), "hostile.yaml", ONE_STRIP);
    let device = FakeDevice::plug(&binary, "nanoKONTROL2-x", &server);
    let mut headroom = Headroom::play(&server, &layout, &["--controller", "korg-nanokontrol2"]);
    headroom.expect_line("Korg nanoKONTROL2 connected on nanoKONTROL2-x:out");
    // Out and back in within a few milliseconds: well inside the half second between looks.
    device.unplug();
    let mut device = FakeDevice::plug(&binary, "nanoKONTROL2-x", &server);
    std::thread::sleep(Duration::from_millis(1200));
    // M1 pressed and released.
    device.send([0xB0, 48, 127]);
    device.send([0xB0, 48, 0]);
    std::thread::sleep(Duration::from_millis(200));
    headroom.send("get strip.A.mute");
    headroom.expect_line("strip.A.mute = on");
    headroom.quit();
    device.unplug();
}

#[test]
fn the_console_whose_terminal_hangs_up_keeps_unsaved_changes_and_exits_without_a_panic() {
    let _turn = ONE_SERVER_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let server = private_server("hangup");
    let dir = tempfile::tempdir().unwrap();
    let layout = layout_in(dir.path(), "hostile.yaml", ONE_STRIP);
    let said = dir.path().join("said.txt");
    let command = format!("{} {} 2> {}", env!("CARGO_BIN_EXE_headroom"), layout.display(), said.display());
    let term = Tmux::start("hangup", (100, 30), &[("JACK_DEFAULT_SERVER", &server.name)], &command);
    term.wait_for("■ stop");
    term.keys(&["J"]);
    term.wait_for("● unsaved");
    // The terminal goes away under it, as an SSH connection that drops: SIGHUP, then no tty.
    drop(term);
    let lock = dir.path().join("hostile.yaml.lock");
    let deadline = Instant::now() + Duration::from_secs(10);
    while lock.exists() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(100));
    }
    assert!(!lock.exists(), "headroom ended (its lock went with it)");
    let said = std::fs::read_to_string(&said).unwrap_or_default();
    assert!(!said.contains("panicked"), "{said}");
    let kept = dir.path().join("hostile.autosave.yaml");
    let original = headroom::session::load::load(&layout).unwrap().doc;
    assert_ne!(headroom::session::load::load(&kept).unwrap().doc, original, "the fader move is in the autosave");
    assert!(std::fs::read_to_string(&kept).unwrap().contains("fader_db: -"));
}
