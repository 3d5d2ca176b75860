//! headroom against a real JACK server (dummy driver). Each test starts its own
//! private server; a probe client feeds strips and records the master outputs.
//! Tests take turns (a mutex) because libjack picks its server from the process
//! environment.

use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex, mpsc};
use std::time::{Duration, Instant};

use headroom::audio::jack_server::DummyServer;
use jack::{AudioIn, AudioOut, Client, ClientOptions, Control, ProcessScope};

pub(crate) static ONE_SERVER_AT_A_TIME: Mutex<()> = Mutex::new(());
pub(crate) const RATE: usize = 48_000;

pub(crate) fn private_server(test: &str) -> DummyServer {
    static COUNT: AtomicU32 = AtomicU32::new(0);
    let name = format!("hr-{}-{}-{test}", std::process::id(), COUNT.fetch_add(1, Ordering::Relaxed));
    let server = DummyServer::start(&name, RATE as u32, 256, false).expect("jackd starts");
    // SAFETY: tests touching JACK hold ONE_SERVER_AT_A_TIME; nothing else reads this variable concurrently.
    unsafe { std::env::set_var("JACK_DEFAULT_SERVER", &server.name) };
    server
}

/// The `headroom` command, on `server`.
pub(crate) fn headroom_on(server: &DummyServer) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_headroom"));
    command.env("JACK_DEFAULT_SERVER", &server.name);
    command
}

/// Writes layout `text` as `file` in `dir`; returns its path.
pub(crate) fn layout_in(dir: &Path, file: &str, text: &str) -> std::path::PathBuf {
    let layout = dir.join(file);
    std::fs::write(&layout, text).unwrap();
    layout
}

pub(crate) type ProbeProcess = Box<dyn FnMut(&Client, &ProcessScope) -> Control + Send>;
type Stereo = (Vec<f32>, Vec<f32>);

/// Counts the xruns the server reports (any client's: a missed period is a gap in every recording).
pub(crate) struct XrunCounter(Arc<AtomicU32>);

impl jack::NotificationHandler for XrunCounter {
    fn xrun(&mut self, _: &Client) -> Control {
        self.0.fetch_add(1, Ordering::Relaxed);
        Control::Continue
    }
}

/// A JACK client named "probe": `out` plays a 1 kHz sine at 0.5 peak, `in_L`/`in_R` are recorded.
pub(crate) struct Probe {
    pub(crate) client: jack::AsyncClient<XrunCounter, jack::contrib::ClosureProcessHandler<(), ProbeProcess>>,
    recorded: rtrb::Consumer<f32>,
    xruns: Arc<AtomicU32>,
}

impl Probe {
    pub(crate) fn start() -> Probe {
        let (client, _) = Client::new("probe", ClientOptions::NO_START_SERVER).expect("probe client");
        let mut out = client.register_port("out", AudioOut::default()).unwrap();
        let in_l = client.register_port("in_L", AudioIn::default()).unwrap();
        let in_r = client.register_port("in_R", AudioIn::default()).unwrap();
        let (mut record, recorded) = rtrb::RingBuffer::new(RATE * 2 * 20);
        let mut phase = 0u64;
        let process: ProbeProcess = Box::new(move |_, ps| {
            for x in out.as_mut_slice(ps) {
                *x = 0.5 * (2.0 * std::f32::consts::PI * 1000.0 * phase as f32 / RATE as f32).sin();
                phase = (phase + 1) % RATE as u64;
            }
            for (l, r) in in_l.as_slice(ps).iter().zip(in_r.as_slice(ps)) {
                let _ = record.push(*l);
                let _ = record.push(*r);
            }
            Control::Continue
        });
        let xruns = Arc::new(AtomicU32::new(0));
        let notifications = XrunCounter(xruns.clone());
        let client = client.activate_async(notifications, jack::contrib::ClosureProcessHandler::new(process)).unwrap();
        Probe { client, recorded, xruns }
    }

    /// Drops what was recorded so far, records `seconds` (calling `action` once `action_after`
    /// into it) and returns (left, right), or None if JACK missed a period meanwhile: the
    /// recording then has a gap no mixer made, and only a new take tells anything.
    fn try_record(&mut self, seconds: f64, action_after: Duration, action: &mut dyn FnMut()) -> Option<Stereo> {
        while self.recorded.pop().is_ok() {}
        let xruns_before = self.xruns.load(Ordering::Relaxed);
        let wanted = (seconds * RATE as f64) as usize * 2;
        let mut samples = Vec::with_capacity(wanted);
        let started = Instant::now();
        let deadline = started + Duration::from_secs_f64(seconds * 3.0 + 5.0);
        let mut action_due = true;
        while samples.len() < wanted && Instant::now() < deadline {
            if action_due && started.elapsed() >= action_after {
                action();
                action_due = false;
            }
            match self.recorded.pop() {
                Ok(s) => samples.push(s),
                Err(_) => std::thread::sleep(Duration::from_millis(2)),
            }
        }
        assert_eq!(samples.len(), wanted, "the probe recorded too little: is the server running?");
        (self.xruns.load(Ordering::Relaxed) == xruns_before).then(|| samples.chunks(2).map(|f| (f[0], f[1])).unzip())
    }

    /// Records `seconds` in which JACK missed no period, taking up to six takes.
    pub(crate) fn record(&mut self, seconds: f64) -> Stereo {
        (0..6)
            .find_map(|_| self.try_record(seconds, Duration::ZERO, &mut || {}))
            .expect("JACK missed periods in six takes in a row")
    }
}

/// A JACK client of the test's own written in C (`source`), built with cc into `dir` as
/// `name`; `start` runs it on `server` with `args` and waits for it to print "ready".
/// It reads its standard input until it ends, then leaves JACK properly.
pub(crate) struct CClient {
    binary: std::path::PathBuf,
}

impl CClient {
    pub(crate) fn build(dir: &Path, name: &str, source: &str) -> CClient {
        let file = dir.join(format!("{name}.c"));
        std::fs::write(&file, source).unwrap();
        let binary = dir.join(name);
        let built = Command::new("cc").arg("-O2").arg("-o").arg(&binary).arg(&file).arg("-ljack").status();
        assert!(built.expect("a C compiler (cc)").success(), "{name} did not build");
        CClient { binary }
    }

    pub(crate) fn start(&self, server: &DummyServer, args: &[&str]) -> Child {
        let mut child = Command::new(&self.binary)
            .args(args)
            .env("JACK_DEFAULT_SERVER", &server.name)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut ready = String::new();
        BufReader::new(child.stdout.take().unwrap()).read_line(&mut ready).unwrap();
        assert_eq!(ready, "ready\n", "{} {args:?} joined JACK", self.binary.display());
        child
    }
}

/// The real `headroom play` process, with its standard input and output lines.
pub(crate) struct Headroom {
    pub(crate) child: Child,
    stdin: ChildStdin,
    lines: mpsc::Receiver<String>,
}

impl Headroom {
    pub(crate) fn play(server: &DummyServer, session: &Path, args: &[&str]) -> Headroom {
        Self::play_in(Path::new("."), server, session, args)
    }

    /// `headroom play` started in the folder `cwd`.
    fn play_in(cwd: &Path, server: &DummyServer, session: &Path, args: &[&str]) -> Headroom {
        Self::play_with(cwd, server, session, args, &[])
    }

    /// `headroom play` started in `cwd` with `env` added to its environment.
    pub(crate) fn play_with(
        cwd: &Path,
        server: &DummyServer,
        session: &Path,
        args: &[&str],
        env: &[(&str, &str)],
    ) -> Headroom {
        let mut child = Command::new(env!("CARGO_BIN_EXE_headroom"))
            .current_dir(cwd)
            .envs(env.iter().copied())
            .arg("play")
            .arg(session)
            .args(args)
            .env("JACK_DEFAULT_SERVER", &server.name)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("run headroom");
        let stdin = child.stdin.take().unwrap();
        let (tx, lines) = mpsc::channel();
        for stream in [
            Box::new(child.stdout.take().unwrap()) as Box<dyn std::io::Read + Send>,
            Box::new(child.stderr.take().unwrap()),
        ] {
            let tx = tx.clone();
            std::thread::spawn(move || {
                for line in BufReader::new(stream).lines().map_while(Result::ok) {
                    let _ = tx.send(line);
                }
            });
        }
        Headroom { child, stdin, lines }
    }

    /// Waits for an output line containing `text`; returns it.
    pub(crate) fn expect_line(&self, text: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(20);
        let mut seen = Vec::new();
        while Instant::now() < deadline {
            if let Ok(line) = self.lines.recv_timeout(Duration::from_millis(100)) {
                if line.contains(text) {
                    return line;
                }
                seen.push(line);
            }
        }
        panic!("headroom never said \"{text}\"; it said:\n{}", seen.join("\n"));
    }

    /// Waits for lines containing each of `texts`, in any order (standard output and error are
    /// read apart, so lines from the two come in either order).
    pub(crate) fn expect_lines(&self, texts: &[&str]) {
        let deadline = Instant::now() + Duration::from_secs(20);
        let (mut missing, mut seen) = (texts.to_vec(), Vec::new());
        while !missing.is_empty() && Instant::now() < deadline {
            if let Ok(line) = self.lines.recv_timeout(Duration::from_millis(100)) {
                missing.retain(|text| !line.contains(text));
                seen.push(line);
            }
        }
        assert!(missing.is_empty(), "headroom never said {missing:?}; it said:\n{}", seen.join("\n"));
    }

    /// Writes `bytes` to headroom's standard input as they are.
    pub(crate) fn send_bytes(&mut self, bytes: &[u8]) {
        self.stdin.write_all(bytes).unwrap();
        self.stdin.flush().unwrap();
    }

    pub(crate) fn send(&mut self, line: &str) {
        writeln!(self.stdin, "{line}").unwrap();
        self.stdin.flush().unwrap();
    }

    /// Ends the session, whatever is unsaved (`quit!`).
    pub(crate) fn quit(mut self) -> String {
        self.send("quit!");
        let summary = self.expect_line("stopped:");
        let status = self.child.wait().unwrap();
        assert!(status.success(), "headroom exited with {status}");
        summary
    }
}

/// A test that fails part way leaves no headroom running behind it. It is asked to stop
/// first (SIGTERM), and killed only if it does not: a JACK client killed outright can keep
/// its server from stopping, and a server killed in turn keeps a place in JACK's registry.
impl Drop for Headroom {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            // SAFETY: kill(2) on our own child.
            unsafe { libc::kill(self.child.id() as libc::pid_t, libc::SIGTERM) };
            let deadline = Instant::now() + Duration::from_secs(3);
            while matches!(self.child.try_wait(), Ok(None)) && Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(20));
            }
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

pub(crate) fn rms(x: &[f32]) -> f64 {
    (x.iter().map(|v| (*v as f64).powi(2)).sum::<f64>() / x.len() as f64).sqrt()
}

pub(crate) fn db(ratio: f64) -> f64 {
    20.0 * ratio.log10()
}

pub(crate) const TONE_LAYOUT: &str = "version: 1
name: tone
strips:
  - {name: Tone, input: {ports: [\"probe:out\"]}}
  - {name: Other, input: {ports: [\"probe:out\"]}, mute: true}
master:
  ports: [\"probe:in_L\", \"probe:in_R\"]
";

#[test]
fn ports_appear_and_a_sine_reaches_the_master_at_its_level_and_follows_the_fader() {
    let _turn = ONE_SERVER_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let server = private_server("tone");
    let dir = tempfile::tempdir().unwrap();
    let layout = dir.path().join("tone.yaml");
    std::fs::write(&layout, TONE_LAYOUT).unwrap();
    let mut probe = Probe::start();
    let mut headroom = Headroom::play(&server, &layout, &[]);
    headroom.expect_line("on JACK as \"tone\"");

    let ports = probe.client.as_client().ports(Some("^tone:"), None, jack::PortFlags::empty());
    assert_eq!(ports, vec!["tone:Tone_in", "tone:Other_in", "tone:master_out_L", "tone:master_out_R"]);
    let connected = probe.client.as_client().port_by_name("tone:master_out_L").unwrap();
    assert!(connected.is_connected_to("probe:in_L").unwrap());

    // 0.5 peak sine: 0.3536 RMS, panned centre (-3.01 dB) → 0.25 RMS each side.
    std::thread::sleep(Duration::from_millis(200));
    let (left, right) = probe.record(0.5);
    assert!((rms(&left) - 0.25).abs() < 0.25 * 0.012, "left RMS {}", rms(&left));
    assert!((rms(&right) - 0.25).abs() < 0.25 * 0.012, "right RMS {}", rms(&right));

    // A fader move typed into headroom travels the command ring and is heard, smoothed.
    headroom.send("set strip.Tone.fader -6");
    headroom.expect_line("strip.Tone.fader = -6.0 dB");
    std::thread::sleep(Duration::from_millis(150));
    let (after, _) = probe.record(0.5);
    assert!((db(rms(&after) / 0.25) + 6.0).abs() < 0.1, "after the move: {} dB", db(rms(&after) / 0.25));

    // The move itself is a glide: record across a move back to 0 dB and look for clicks.
    let (glide, _) = (0..4)
        .find_map(|_| {
            headroom.send("set strip.Tone.fader -6");
            std::thread::sleep(Duration::from_millis(150));
            probe.try_record(0.6, Duration::from_millis(150), &mut || headroom.send("set strip.Tone.fader 0"))
        })
        .expect("JACK missed periods in four takes of the glide");
    let max_step = glide.windows(2).map(|w| (w[1] - w[0]).abs()).fold(0.0f32, f32::max);
    // A 1 kHz sine at 0.354 peak steps by at most 0.0463 per sample; a click would jump far more.
    assert!(max_step < 0.05, "largest step {max_step}");

    let summary = headroom.quit();
    assert!(summary.contains("0 allocations on the audio thread"), "{summary}");
}

#[test]
fn a_signal_keeps_unsaved_changes_beside_the_layout_not_where_headroom_was_started() {
    let _turn = ONE_SERVER_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let server = private_server("autosave");
    let dir = tempfile::tempdir().unwrap();
    let layout = dir.path().join("tone.yaml");
    std::fs::write(&layout, TONE_LAYOUT).unwrap();
    let started_in = tempfile::tempdir().unwrap();
    let mut headroom = Headroom::play_in(started_in.path(), &server, &layout, &[]);
    headroom.expect_line("on JACK as \"tone\"");
    headroom.send("set strip.Tone.fader -6");
    headroom.expect_line("strip.Tone.fader = -6.0 dB");
    let killed = Command::new("kill").args(["-TERM", &headroom.child.id().to_string()]).status().unwrap();
    assert!(killed.success());
    headroom.expect_line("unsaved changes kept in");
    headroom.child.wait().unwrap();
    let kept = headroom::session::load::load(&dir.path().join("tone.autosave.yaml")).unwrap().doc;
    assert_eq!(kept.strips[0].values.number("fader_db"), Some(-6.0));
    assert_eq!(std::fs::read_dir(started_in.path()).unwrap().count(), 0, "nothing where headroom was started");
    assert_eq!(std::fs::read_to_string(&layout).unwrap(), TONE_LAYOUT, "the layout itself untouched");
}

#[test]
fn headless_set_undo_save_and_quit_behave_like_the_console_and_a_value_out_of_range_is_refused() {
    let _turn = ONE_SERVER_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let server = private_server("typed");
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("session.yaml"), TONE_LAYOUT).unwrap();
    let mut probe = Probe::start();
    let mut headroom = Headroom::play(&server, dir.path(), &[]);
    headroom.expect_line("on JACK as \"tone\"");

    // Out of range: refused with the parameter, the value and the range; nothing heard changes.
    headroom.send("set strip.Tone.eq.2.gain 350");
    headroom.expect_line("strip.Tone.eq.2.gain: 350 is out of range; expected -18.0 dB .. +18.0 dB");
    headroom.send("get strip.Tone.eq.2.gain");
    headroom.expect_line("strip.Tone.eq.2.gain = +0.0 dB");

    // set, then quit: refused while unsaved. undo and redo walk the change; `save` writes it.
    headroom.send("set strip.Tone.fader -6");
    headroom.expect_line("strip.Tone.fader = -6.0 dB");
    headroom.send("quit");
    headroom.expect_line("unsaved changes: `save` keeps them, `quit!` quits without saving");
    headroom.send("undo");
    headroom.expect_line("undo: strip.Tone.fader to +0.0 dB");
    headroom.send("redo");
    headroom.expect_line("redo: strip.Tone.fader to -6.0 dB");
    std::thread::sleep(Duration::from_millis(150));
    let (left, _) = probe.record(0.5);
    assert!((db(rms(&left) / 0.25) + 6.0).abs() < 0.1, "heard at {} dB", db(rms(&left) / 0.25));
    headroom.send("save-version rough");
    headroom.expect_line("saved ");
    headroom.send("quit");
    let summary = headroom.expect_line("stopped:");
    assert!(summary.contains("0 allocations on the audio thread"), "{summary}");
    let status = headroom.child.wait().unwrap();
    assert!(status.success(), "headroom exited with {status}");

    let saved = headroom::session::load::load(dir.path()).unwrap().doc;
    assert_eq!(saved.strips[0].values.number("fader_db"), Some(-6.0));
    let versions: Vec<_> = std::fs::read_dir(dir.path().join("versions")).unwrap().map(|e| e.unwrap().path()).collect();
    assert_eq!(versions.len(), 1);
    assert!(versions[0].file_name().unwrap().to_string_lossy().starts_with("rough-"), "{versions:?}");
}

/// A stem whose value tells the time: sample = 0.1 × seconds (DC; no filter touches it).
fn clock_stem(dir: &Path, seconds: usize) {
    let data: Vec<f32> = (0..seconds * RATE).map(|f| 0.1 * f as f32 / RATE as f32).collect();
    headroom::audio::wav::write_wav(&dir.join("clock.wav"), 1, RATE as u32, 32, true, &data).unwrap();
}

/// A layout in `dir` whose one strip plays 20 s of the clock stem into the probe.
fn clock_session(dir: &Path) -> std::path::PathBuf {
    clock_stem(dir, 20);
    let layout = dir.join("clock.yaml");
    let text = "version: 1\nname: clock\nstrips:\n  - {name: Clock, input: {file: clock.wav}}\n\
                master:\n  ports: [\"probe:in_L\", \"probe:in_R\"]\n";
    std::fs::write(&layout, text).unwrap();
    layout
}

fn jack_transport(server: &DummyServer, commands: &str) {
    let mut child = Command::new("jack_transport")
        .env("JACK_DEFAULT_SERVER", &server.name)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("jack_transport (jackd2) is installed");
    child.stdin.take().unwrap().write_all(commands.as_bytes()).unwrap();
    child.wait().unwrap();
}

/// Seconds of stem time heard at the master: the clock stem at centre pan arrives × 0.7071.
fn heard_time(left: &[f32]) -> f32 {
    left[left.len() / 2] / std::f32::consts::FRAC_1_SQRT_2 / 0.1
}

#[test]
fn transport_moved_by_jack_transport_moves_stem_playback() {
    let _turn = ONE_SERVER_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let server = private_server("transport");
    let dir = tempfile::tempdir().unwrap();
    let session = clock_session(dir.path());
    let mut probe = Probe::start();
    let headroom = Headroom::play(&server, &session, &[]);
    headroom.expect_line("on JACK as \"clock\"");

    let (stopped, _) = probe.record(0.3);
    assert!(stopped.iter().all(|&x| x == 0.0), "silent while the transport is stopped");

    jack_transport(&server, &format!("locate {}\nplay\n", 5 * RATE));
    std::thread::sleep(Duration::from_millis(300));
    let (rolling, _) = probe.record(0.5);
    let t = heard_time(&rolling);
    assert!((5.0..7.0).contains(&t), "playing from 5 s, heard {t} s");
    let later = heard_time(&probe.record(0.5).0);
    assert!(later > t + 0.3, "time moves on: {t} then {later}");

    jack_transport(&server, &format!("locate {}\n", 12 * RATE));
    std::thread::sleep(Duration::from_millis(300));
    let t = heard_time(&probe.record(0.3).0);
    assert!((12.0..13.5).contains(&t), "after locating to 12 s while rolling, heard {t} s");

    jack_transport(&server, "stop\n");
    std::thread::sleep(Duration::from_millis(200));
    assert!(probe.record(0.3).0.iter().all(|&x| x == 0.0), "silent after stop");

    // headroom moves the transport itself too: typed commands locate and roll it.
    let mut headroom = headroom;
    headroom.send("locate 3");
    headroom.send("play");
    std::thread::sleep(Duration::from_millis(300));
    let t = heard_time(&probe.record(0.3).0);
    assert!((3.0..4.5).contains(&t), "after `locate 3` and `play`, heard {t} s");
    headroom.send("stop");
    std::thread::sleep(Duration::from_millis(200));
    assert!(probe.record(0.3).0.iter().all(|&x| x == 0.0), "silent after `stop`");
    let summary = headroom.quit();
    assert!(summary.contains("0 allocations on the audio thread"), "{summary}");
    // headroom is a slow-sync client: after each locate JACK waits for the stems to be read.
    assert!(summary.contains(" 0 stem underruns"), "{summary}");
}

#[test]
fn stems_play_without_an_underrun_at_periods_of_480_1000_and_1024_frames() {
    let _turn = ONE_SERVER_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let dir = tempfile::tempdir().unwrap();
    let session = clock_session(dir.path());
    for period in [480, 1000, 1024] {
        let name = format!("hr-{}-period-{period}", std::process::id());
        let server = DummyServer::start(&name, RATE as u32, period, false).expect("jackd starts");
        // A roll without a missed period: a missed one may move the transport, and then the
        // stems are sought again, which is not what this counts; on a loaded machine, again.
        let mut summaries = Vec::new();
        let summary = loop {
            let mut headroom = Headroom::play(&server, &session, &[]);
            headroom.expect_line(&format!("{period} frames a period"));
            headroom.send("play");
            std::thread::sleep(Duration::from_secs(3));
            headroom.send("stop");
            let summary = headroom.quit();
            if summary.contains("(0 seen by the engine's clock)") {
                break summary;
            }
            summaries.push(summary);
            assert!(summaries.len() < 3, "JACK missed periods in every roll: {summaries:?}");
        };
        assert!(summary.contains(" 0 stem underruns"), "period {period}: {summary}");
    }
}

/// The loop as a user sets it while rolling: its end already behind the playhead, then loop
/// playback on. Playback goes back into the loop and stays there, wrapping at its end; a
/// loop too short or ending before it starts is refused, with what to do.
#[test]
fn a_loop_set_behind_the_playhead_plays_from_its_start_and_stays_inside_it() {
    let _turn = ONE_SERVER_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let server = private_server("loop");
    let dir = tempfile::tempdir().unwrap();
    let session = clock_session(dir.path());
    let mut probe = Probe::start();
    let mut headroom = Headroom::play(&server, &session, &[]);
    headroom.expect_line("on JACK as \"clock\"");
    headroom.send("loop 1 1.05");
    headroom.expect_line("a loop lasts at least 0.1 s; this one lasts 0.050 s");
    headroom.send("loop 3 2");
    headroom.send("loop on");
    headroom.expect_line("the loop ends (00:02.000) before it starts (00:03.000)");

    headroom.send("locate 5");
    headroom.send("play");
    std::thread::sleep(Duration::from_millis(400));
    headroom.send("loop 1 2");
    headroom.send("loop on");
    headroom.expect_line("loop on: 00:01.000 – 00:02.000");
    std::thread::sleep(Duration::from_millis(300));
    let (left, _) = probe.record(1.3);
    // Each wrap is a JACK relocation, during which JACK2 holds the transport in Starting for
    // two periods (silence; the transport does not move), then rolls from the loop's start.
    let mut at = 0;
    while let Some(gap) = left[at..].iter().position(|&x| x == 0.0) {
        let gap_start = at + gap;
        let gap_end = gap_start + left[gap_start..].iter().position(|&x| x != 0.0).expect("sound after the gap");
        assert!(gap_end - gap_start <= 3 * 256, "a {}-frame gap at frame {gap_start}", gap_end - gap_start);
        let resumed = left[gap_end] / std::f32::consts::FRAC_1_SQRT_2 / 0.1;
        assert!(
            (resumed - 1.0).abs() < 1e-4,
            "after the gap at frame {gap_start}, {resumed} s and not the loop's start"
        );
        at = gap_end;
    }
    // Stem time heard every 10 ms: inside the loop (a period past its end at most), and
    // back at its start more than once.
    let heard: Vec<f32> = left
        .chunks(RATE / 100)
        .map(|c| c[c.len() / 2] / std::f32::consts::FRAC_1_SQRT_2 / 0.1)
        .filter(|&t| t != 0.0)
        .collect();
    assert!(heard.iter().all(|t| (0.99..2.02).contains(t)), "heard outside the loop: {heard:?}");
    let wraps = heard.windows(2).filter(|w| w[1] < w[0] - 0.5).count();
    assert!(wraps >= 1, "1.3 s of a 1 s loop wrap at least once; wrapped {wraps} times: {heard:?}");
    headroom.send("loop off");
    std::thread::sleep(Duration::from_millis(1500));
    let t = heard_time(&probe.record(0.2).0);
    assert!(t > 2.1, "after `loop off` playback carries on past the loop's end, heard {t} s");
    headroom.quit();
}

/// Automation for the demo: the drums ride down, the bass pans left, the master (at -7 dB in
/// the demo) fades 6 dB further.
const DEMO_AUTOMATION: &str = "version: 1
modes:
  strip.Drums.fader: read
  strip.Bass.pan: read
  master.fader: read
passes:
  - id: 1
    made: 2026-12-01 10:00:00
    start: 0
    end: 144000
    writes:
      strip.Drums.fader: [\"24000 -4, 96000 -20\"]
      strip.Bass.pan: [\"0 0, 120000 -0.8\"]
      master.fader: [\"48000 -7, 144000 -13\"]
";

/// Plays the demo in `dir` over JACK from frame 0 and records 4 s of its master; returns the
/// recording (None if JACK missed a period meanwhile) and headroom's closing summary.
fn capture_demo(server: &DummyServer, dir: &Path) -> (Option<Stereo>, String) {
    let mut probe = Probe::start();
    let headroom = Headroom::play(server, &dir.join("demo.yaml"), &[]);
    headroom.expect_line("on JACK as \"demo\"");
    std::thread::sleep(Duration::from_millis(500));
    // Start recording first, then roll from frame 0 (the probe is "another client" moving the transport).
    let transport = probe.client.as_client().transport();
    transport.locate(0).unwrap();
    std::thread::sleep(Duration::from_millis(300));
    let captured = probe.try_record(4.0, Duration::from_millis(100), &mut || transport.start().unwrap());
    transport.stop().unwrap();
    (captured, headroom.quit())
}

#[test]
fn a_jack_capture_of_the_demo_with_automation_equals_its_offline_render_sample_for_sample() {
    let _turn = ONE_SERVER_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let server = private_server("capture");
    let dir = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string("layouts/demo.yaml").unwrap().replace("physical:playback_", "probe:in_");
    let text = text.replace("\"probe:in_1\", \"probe:in_2\"", "\"probe:in_L\", \"probe:in_R\"");
    std::fs::write(dir.path().join("demo.yaml"), text).unwrap();
    std::fs::write(dir.path().join("demo.automation.yaml"), DEMO_AUTOMATION).unwrap();
    // A capture is comparable only if JACK missed no period while it ran (a missed period is
    // a gap the render does not have); on a loaded machine, capture again.
    let mut attempts = Vec::new();
    let (left, right) = loop {
        let (captured, summary) = capture_demo(&server, dir.path());
        // JACK also counts other clients' xruns, and the server's while clients start: what
        // matters is that the probe's recording had none and the engine missed no period.
        if let Some(captured) = captured.filter(|_| summary.contains("(0 seen by the engine's clock)")) {
            // Without a missed period, the stems were always read in time.
            assert!(summary.contains(" 0 stem underruns"), "{summary}");
            break captured;
        }
        attempts.push(summary);
        assert!(attempts.len() < 4, "JACK missed periods in every capture: {attempts:?}");
    };

    let loaded = headroom::session::load::load(&dir.path().join("demo.yaml")).unwrap();
    let out = dir.path().join("render.wav");
    let opts = headroom::audio::offline::RenderOptions {
        sample_rate: RATE as u32,
        format: headroom::audio::offline::Format::Float32,
        no_master_fx: false,
        tail_seconds: 0.0,
        length_seconds: Some(3.0),
    };
    headroom::audio::offline::render(&loaded, &out, &opts, &mut |_| {}).unwrap();
    let rendered: Vec<f32> = hound::WavReader::open(&out).unwrap().into_samples::<f32>().map(Result::unwrap).collect();

    // Align on the first sound: the capture starts with silence (transport stopped) and the
    // limiter's look-ahead; the render starts at the first frame of the song.
    let capture_start = left.iter().position(|&v| v != 0.0).expect("the capture has sound");
    let render_start = rendered.iter().step_by(2).position(|&v| v != 0.0).expect("the render has sound");
    let n = RATE * 2;
    let mut worst = 0.0f32;
    for i in 0..n {
        let (c, r) = (capture_start + i, render_start + i);
        worst = worst.max((left[c] - rendered[r * 2]).abs()).max((right[c] - rendered[r * 2 + 1]).abs());
    }
    assert!(worst <= 1e-6, "capture and render differ by up to {worst}");

    // And the automation was heard: without it the end of the print is louder.
    std::fs::remove_file(dir.path().join("demo.automation.yaml")).unwrap();
    let plain = dir.path().join("plain.wav");
    headroom::audio::offline::render(&loaded, &plain, &opts, &mut |_| {}).unwrap();
    let plain: Vec<f32> = hound::WavReader::open(&plain).unwrap().into_samples::<f32>().map(Result::unwrap).collect();
    let end = |x: &[f32]| rms(&x[RATE * 2 * 2..RATE * 2 * 3]);
    let quieter = db(end(&plain) / end(&rendered));
    assert!(quieter > 3.0, "the automated print's last second is only {quieter:.1} dB quieter");
}

/// A private tmux server running one command in a terminal of a fixed size.
pub(crate) struct Tmux {
    socket: String,
}

impl Tmux {
    pub(crate) fn start(name: &str, size: (u16, u16), env: &[(&str, &str)], command: &str) -> Tmux {
        let socket = format!("hr-{}-{name}", std::process::id());
        let mut tmux = Command::new("tmux");
        tmux.args(["-L", &socket, "new-session", "-d", "-x", &size.0.to_string(), "-y", &size.1.to_string()]);
        for (key, value) in env {
            tmux.args(["-e", &format!("{key}={value}")]);
        }
        let status = tmux.arg(command).status().expect("tmux is installed");
        assert!(status.success(), "tmux new-session failed");
        Tmux { socket }
    }

    fn tmux(&self, args: &[&str]) -> std::process::Output {
        Command::new("tmux").args(["-L", &self.socket]).args(args).output().expect("tmux runs")
    }

    /// Types keys as a person would (tmux key names: `Right`, `Space`, `C-s`, or plain text).
    pub(crate) fn keys(&self, keys: &[&str]) {
        for key in keys {
            self.tmux(&["send-keys", key]);
            std::thread::sleep(Duration::from_millis(60));
        }
    }

    /// The screen as text; with `styles`, with the terminal's colour and attribute codes.
    pub(crate) fn screen(&self, styles: bool) -> String {
        let args: &[&str] = if styles { &["capture-pane", "-p", "-e"] } else { &["capture-pane", "-p"] };
        String::from_utf8_lossy(&self.tmux(args).stdout).into_owned()
    }

    pub(crate) fn wait_for(&self, text: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let screen = self.screen(false);
            if screen.contains(text) {
                return screen;
            }
            assert!(Instant::now() < deadline, "the screen never showed \"{text}\":\n{screen}");
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    fn is_running(&self) -> bool {
        self.tmux(&["has-session"]).status.success()
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        self.tmux(&["kill-server"]);
    }
}

/// The screen line holding `text`.
pub(crate) fn line_with<'a>(screen: &'a str, text: &str) -> &'a str {
    screen.lines().find(|l| l.contains(text)).unwrap_or_else(|| panic!("no line with \"{text}\" in:\n{screen}"))
}

#[test]
fn the_console_in_a_terminal_moves_faders_mutes_plays_and_saves() {
    let _turn = ONE_SERVER_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let server = private_server("console");
    let dir = tempfile::tempdir().unwrap();
    let session = dir.path().join("tone");
    std::fs::create_dir(&session).unwrap();
    let layout = TONE_LAYOUT.replace("mute: true", "mute: false");
    std::fs::write(session.join("session.yaml"), &layout).unwrap();
    let mut probe = Probe::start();
    let command = format!("{} {}", env!("CARGO_BIN_EXE_headroom"), session.display());
    let term = Tmux::start("console", (100, 30), &[("JACK_DEFAULT_SERVER", &server.name)], &command);
    term.wait_for("■ stop");

    // Both strips at 0 dB, centre: the sine twice over, 0.5 each side.
    std::thread::sleep(Duration::from_millis(300));
    let (both, _) = probe.record(0.3);
    assert!((rms(&both) - 0.5).abs() < 0.5 * 0.012, "before: {}", rms(&both));

    // Tone's fader down 6 dB (two coarse steps), select Other and mute it, roll.
    term.keys(&["J", "J", "Right", "m", "Space"]);
    let screen = term.wait_for("▶ play");
    // The fader values' row (a meter's readout may show -6.0 too, on a row of its own).
    let values = screen.lines().find(|l| l.contains("-6.0") && l.contains("+0.0"));
    assert!(values.is_some(), "Tone at -6.0, Other still at +0.0:\n{screen}");
    let styled = term.screen(true);
    let buttons = line_with(&styled, "sf");
    let (tone, other) = buttons.split_at(buttons.find("sf").unwrap() + 2);
    // Red background, as tmux writes it (256-colour index 1) or as plain SGR 41.
    let lit_red = |s: &str| s.contains("48;5;1mM") || s.contains("41mM");
    assert!(lit_red(other), "Other's M lit red: {other:?}");
    assert!(!lit_red(tone), "Tone's M dark: {tone:?}");

    // And the master hears it: Tone alone, 6 dB down.
    std::thread::sleep(Duration::from_millis(300));
    let (after, _) = probe.record(0.5);
    let heard = db(rms(&after) / 0.25);
    assert!((heard + 6.0).abs() < 0.1, "after the keys: {heard} dB against Tone at 0 dB");

    // Save, then quit; the session file holds the mix.
    term.keys(&["C-s"]);
    term.wait_for("saved");
    term.keys(&["q"]);
    let deadline = Instant::now() + Duration::from_secs(10);
    while term.is_running() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(100));
    }
    assert!(!term.is_running(), "q quits once the mix is saved");
    let saved = headroom::session::load::load(&session).unwrap().doc;
    assert_eq!(saved.strips[0].values.number("fader_db"), Some(-6.0));
    let muted = |i: usize| saved.strips[i].values.get("mute") == Some(&headroom::session::schema::Scalar::Bool(true));
    assert!(muted(1) && !muted(0));
}

#[test]
fn a_latch_pass_ridden_in_the_console_is_kept_listed_played_back_and_taken_out() {
    let _turn = ONE_SERVER_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let server = private_server("console-auto");
    let dir = tempfile::tempdir().unwrap();
    let session = dir.path().join("tone");
    std::fs::create_dir(&session).unwrap();
    std::fs::write(session.join("session.yaml"), TONE_LAYOUT).unwrap();
    let mut probe = Probe::start();
    let command = format!("{} {}", env!("CARGO_BIN_EXE_headroom"), session.display());
    let term = Tmux::start("console-auto", (100, 40), &[("JACK_DEFAULT_SERVER", &server.name)], &command);
    term.wait_for("■ stop");

    // Tone in Latch (5), writing armed (W), rolled; four coarse steps down take it to -12 dB.
    term.keys(&["5"]);
    term.wait_for("Tone: automation latch");
    term.keys(&["W"]);
    term.wait_for("● WRITE ARMED");
    term.keys(&["Space"]);
    term.wait_for("● WRITING");
    std::thread::sleep(Duration::from_millis(300));
    term.keys(&["J", "J", "J", "J"]);
    std::thread::sleep(Duration::from_millis(1000));
    term.keys(&["Space"]);
    term.wait_for("kept pass 1 (strip.Tone.fader, 0:00-0:0");
    term.keys(&["W"]);
    term.wait_for("write off");

    // The automation view lists it and draws its lane.
    term.keys(&["A"]);
    let screen = term.wait_for("Tone — automation");
    assert!(screen.contains("strip.Tone.fader ·") && screen.contains("points"), "{screen}");
    assert!(line_with(&screen, "pass 1").contains("(strip.Tone.fader, 0:00-0:0"), "{screen}");

    // Played back from the top: past the ride the lane holds Tone at -12 dB, heard at the master.
    term.keys(&["Home", "Space"]);
    term.wait_for("▶ play");
    std::thread::sleep(Duration::from_millis(1800));
    let heard = db(rms(&probe.record(0.3).0) / 0.25);
    assert!((heard + 12.0).abs() < 0.2, "played back: {heard} dB, the lane -12 dB");
    term.keys(&["Space"]);

    // Taken out: listed as such, and so in the session's automation file.
    term.keys(&["x"]);
    term.wait_for("took out pass 1");
    assert!(line_with(&term.screen(false), "pass 1").contains("taken out"));
    let file = std::fs::read_to_string(session.join("automation.yaml")).unwrap();
    assert!(file.contains("active: false") && file.contains("strip.Tone.fader"), "{file}");
    term.keys(&["q", "q"]);
}

#[test]
fn a_layout_saved_as_a_session_folder_takes_its_automation_along() {
    let _turn = ONE_SERVER_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let server = private_server("save-auto");
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("tone.yaml"), TONE_LAYOUT).unwrap();
    let command = format!("cd {} && {} tone.yaml", dir.path().display(), env!("CARGO_BIN_EXE_headroom"));
    let term = Tmux::start("save-auto", (100, 30), &[("JACK_DEFAULT_SERVER", &server.name)], &command);
    term.wait_for("■ stop");
    term.keys(&["5", "W", "Space"]);
    term.wait_for("● WRITING");
    term.keys(&["J", "J"]);
    std::thread::sleep(Duration::from_millis(500));
    term.keys(&["Space"]);
    term.wait_for("kept pass 1");
    let beside = std::fs::read_to_string(dir.path().join("tone.automation.yaml")).unwrap();
    // Saving the layout makes ./tone/; the automation goes there and carries on there.
    term.keys(&["C-s"]);
    term.wait_for("automation kept in");
    let moved = std::fs::read_to_string(dir.path().join("tone").join("automation.yaml")).unwrap();
    assert_eq!(moved, beside, "the same history in the new session folder");
    // Writing is still armed: the next roll writes pass 2.
    term.keys(&["Space"]);
    term.wait_for("● WRITING");
    term.keys(&["K"]);
    std::thread::sleep(Duration::from_millis(500));
    term.keys(&["Space"]);
    term.wait_for("kept pass 2");
    let later = std::fs::read_to_string(dir.path().join("tone").join("automation.yaml")).unwrap();
    assert!(later.contains("id: 2"), "the next pass is kept in the session folder: {later}");
    assert_eq!(std::fs::read_to_string(dir.path().join("tone.automation.yaml")).unwrap(), beside, "the old file stays");
    term.keys(&["q", "q"]);
}

/// A JACK client named like the device: `out` plays messages pushed into its ring, `in`
/// keeps what headroom sends it.
#[cfg(feature = "midi-jack")]
pub(crate) struct MidiDevice {
    client: Option<jack::AsyncClient<(), jack::contrib::ClosureProcessHandler<(), ProbeProcess>>>,
    messages: rtrb::Producer<Vec<u8>>,
    /// Every message headroom sent the device, with when it arrived.
    received: std::sync::Arc<Mutex<Vec<Heard>>>,
}

/// A MIDI message a test device was sent, and when it arrived.
type Heard = (Instant, Vec<u8>);

#[cfg(feature = "midi-jack")]
impl MidiDevice {
    pub(crate) fn start(name: &str) -> MidiDevice {
        let (client, _) = Client::new(name, ClientOptions::NO_START_SERVER).expect("MIDI test client");
        let mut out = client.register_port("out", jack::MidiOut::default()).unwrap();
        let input = client.register_port("in", jack::MidiIn::default()).unwrap();
        let (messages, mut pending) = rtrb::RingBuffer::<Vec<u8>>::new(1024);
        let received = std::sync::Arc::new(Mutex::new(Vec::new()));
        let keep = received.clone();
        // A test stand-in for a device, not a real-time engine: it may allocate and lock.
        let process: ProbeProcess = Box::new(move |_, ps| {
            // The writer must be taken every cycle, or the last event repeats.
            let mut writer = out.writer(ps);
            let mut time = 0;
            while let Ok(bytes) = pending.pop() {
                let _ = writer.write(&jack::RawMidi { time, bytes: &bytes });
                time = (time + 1).min(ps.n_frames() - 1);
            }
            let mut kept = keep.lock().unwrap();
            kept.extend(input.iter(ps).map(|m| (Instant::now(), m.bytes.to_vec())));
            Control::Continue
        });
        let client = client.activate_async((), jack::contrib::ClosureProcessHandler::new(process)).unwrap();
        MidiDevice { client: Some(client), messages, received }
    }

    pub(crate) fn send(&mut self, bytes: &[u8]) {
        self.messages.push(bytes.to_vec()).unwrap();
        // A message a period: the way a person's hand produces them.
        std::thread::sleep(Duration::from_millis(6));
    }

    /// What headroom sent the device since the last `clear`.
    pub(crate) fn sent(&self) -> Vec<Vec<u8>> {
        self.received.lock().unwrap().iter().map(|(_, m)| m.clone()).collect()
    }

    /// The same, with when each arrived.
    pub(crate) fn sent_with_times(&self) -> Vec<Heard> {
        self.received.lock().unwrap().clone()
    }

    /// Forgets what was received so far.
    pub(crate) fn clear(&self) {
        self.received.lock().unwrap().clear();
    }

    /// Waits up to two seconds for a message `wanted` accepts; returns it.
    fn expect(&self, what: &str, wanted: impl Fn(&[u8]) -> bool) -> Vec<u8> {
        let deadline = Instant::now() + Duration::from_secs(2);
        while Instant::now() < deadline {
            if let Some(m) = self.sent().into_iter().find(|m| wanted(m)) {
                return m;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        panic!("the device was never sent {what}; it got {:02X?}", self.sent());
    }

    /// Unplugs: the client and its ports go away.
    fn unplug(mut self) {
        if let Some(client) = self.client.take() {
            client.deactivate().unwrap();
        }
    }
}

/// A device left plugged in at the end of a test is only stopped, not closed: closing it
/// once hung a CI run inside libjack for good (jackd blocked writing the client a notice
/// its stopped reader would never take). Its server goes at the end of the test anyway.
#[cfg(feature = "midi-jack")]
impl Drop for MidiDevice {
    fn drop(&mut self) {
        if let Some(client) = self.client.take()
            && let Ok(stopped) = client.deactivate()
        {
            std::mem::forget(stopped);
        }
    }
}

#[cfg(feature = "midi-jack")]
#[test]
fn a_nanokontrol2_on_jack_midi_moves_a_fader_heard_at_the_master_and_mutes_a_strip() {
    let _turn = ONE_SERVER_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let server = private_server("surface");
    let dir = tempfile::tempdir().unwrap();
    let layout = dir.path().join("tone.yaml");
    std::fs::write(&layout, TONE_LAYOUT).unwrap();
    let mut probe = Probe::start();
    let mut device = MidiDevice::start("nanoKONTROL2-test");
    let mut headroom = Headroom::play(&server, &layout, &["--controller", "korg-nanokontrol2"]);
    headroom.expect_line("Korg nanoKONTROL2 connected on nanoKONTROL2-test:out");

    // Fader 1 sits at the bottom; Tone is at 0 dB, three quarters up. Nothing moves until the
    // fader reaches the value (soft takeover); then it follows, up to the top (+10 dB).
    for value in [0u8, 20, 40] {
        device.send(&[0xB0, 0, value]);
    }
    headroom.send("get strip.Tone.fader");
    headroom.expect_line("strip.Tone.fader = +0.0 dB");
    for value in (60..=127).step_by(6).chain([127]) {
        device.send(&[0xB0, 0, value]);
    }
    headroom.send("get strip.Tone.fader");
    headroom.expect_line("strip.Tone.fader = +10.0 dB");
    std::thread::sleep(Duration::from_millis(150));
    let (left, _) = probe.record(0.5);
    assert!((db(rms(&left) / 0.25) - 10.0).abs() < 0.1, "at the master: {} dB", db(rms(&left) / 0.25));

    // M1 (CC 48) pressed and released: Tone muted, and silent at the master.
    device.send(&[0xB0, 48, 127]);
    device.send(&[0xB0, 48, 0]);
    headroom.send("get strip.Tone.mute");
    headroom.expect_line("strip.Tone.mute = on");
    std::thread::sleep(Duration::from_millis(150));
    assert_eq!(rms(&probe.record(0.3).0), 0.0, "muted from the surface");
    let summary = headroom.quit();
    assert!(summary.contains("0 allocations on the audio thread"), "{summary}");
}

/// Ten strips fed by the probe: more than a Mackie unit's eight, for banking.
#[cfg(feature = "midi-jack")]
pub(crate) fn ten_strip_layout(dir: &Path) -> std::path::PathBuf {
    let strips: String = (1..=10).map(|i| format!("  - {{name: S{i}, input: {{ports: [\"probe:out\"]}}}}\n")).collect();
    let layout = dir.join("ten.yaml");
    std::fs::write(&layout, format!("version: 1\nname: ten\nstrips:\n{strips}")).unwrap();
    layout
}

/// A Mackie fader message (pitch bend on channel `fader`) for a point of the travel, 10-bit.
#[cfg(feature = "midi-jack")]
fn motor(fader: u8, db: f32) -> Vec<u8> {
    let raw = ((headroom::dsp::param::FADER_TAPER.position(db) * 16383.0).round() as u16) & !0x0F;
    vec![0xE0 | fader, (raw & 0x7F) as u8, (raw >> 7) as u8]
}

#[cfg(feature = "midi-jack")]
#[test]
fn an_mcu_on_jack_midi_moves_faders_pans_mutes_banks_and_the_transport() {
    let _turn = ONE_SERVER_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let server = private_server("mcu-in");
    let dir = tempfile::tempdir().unwrap();
    let layout = ten_strip_layout(dir.path());
    let mut device = MidiDevice::start("MCU-test");
    let mut headroom = Headroom::play(&server, &layout, &["--controller", "mackie-control", "--surface", "MCU-test"]);
    headroom.expect_line("Mackie Control connected on MCU-test:out");
    // A MIDI event takes a JACK period or two to reach the surface, and a line typed at once
    // can overtake it: ask again until the value is there (or two seconds went by).
    let get = |headroom: &mut Headroom, want: &str| {
        let id = want.split(" = ").next().unwrap();
        let deadline = Instant::now() + Duration::from_secs(2);
        loop {
            headroom.send(&format!("get {id}"));
            let line = headroom.expect_line(&format!("{id} = "));
            if line == want || Instant::now() > deadline {
                return line;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    };

    // Fader 1 half way (pitch bend 8192, sent with running status after a touch): jumps, motorised.
    device.send(&[0x90, 0x68, 0x7F]);
    device.send(&[0xE0, 0x00, 0x40]);
    let half = headroom::dsp::param::FADER_TAPER.value_at(8192.0 / 16383.0);
    let want = format!("strip.S1.fader = {half:+.1} dB");
    assert_eq!(get(&mut headroom, &want), want);
    // V-Pot 2 three ticks clockwise, then three back (sign bit = counter-clockwise).
    // Three ticks of the pan's fine step (2%) each.
    device.send(&[0xB0, 0x11, 0x03]);
    let want = "strip.S2.pan = R6";
    assert_eq!(get(&mut headroom, want), want);
    device.send(&[0xB0, 0x11, 0x43]);
    let want = "strip.S2.pan = C";
    assert_eq!(get(&mut headroom, want), want);
    // Mute 3 pressed and released (note-on velocity 0 is the release).
    device.send(&[0x90, 0x12, 0x7F]);
    device.send(&[0x90, 0x12, 0x00]);
    let want = "strip.S3.mute = on";
    assert_eq!(get(&mut headroom, want), want);
    // Bank right: ten strips, so the bank stops at the last full eight (S3..S10).
    device.send(&[0x90, 0x2F, 0x7F]);
    device.send(&[0x90, 0x2F, 0x00]);
    std::thread::sleep(Duration::from_millis(50));
    device.send(&[0xE7, 0x7F, 0x7F]);
    let want = "strip.S10.fader = +10.0 dB";
    assert_eq!(get(&mut headroom, want), want);
    // The master fader is pitch bend on channel 9.
    device.send(&[0xE8, 0x00, 0x00]);
    let want = "master.fader = -inf dB";
    assert_eq!(get(&mut headroom, want), want);
    // PLAY rolls the JACK transport.
    device.send(&[0x90, 0x5E, 0x7F]);
    device.send(&[0x90, 0x5E, 0x00]);
    headroom.expect_line("▶ ");
    let summary = headroom.quit();
    assert!(summary.contains("0 allocations on the audio thread"), "{summary}");
}

#[cfg(feature = "midi-jack")]
#[test]
fn an_mcu_is_sent_motors_leds_and_names_never_drives_a_touched_fader_and_is_resynced_after_a_replug() {
    let _turn = ONE_SERVER_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let server = private_server("mcu-out");
    let dir = tempfile::tempdir().unwrap();
    let layout = ten_strip_layout(dir.path());
    // A 1 kHz sine at -6 dBFS into every strip, for the meters.
    let _sine = Probe::start();
    let mut device = MidiDevice::start("MCU-test");
    let mut headroom = Headroom::play(&server, &layout, &["--controller", "mackie-control", "--surface", "MCU-test"]);
    headroom.expect_line("Mackie Control connected on MCU-test:out");
    // Brought up: asked who it is, every strip's name and value, motors at 0 dB.
    device.expect("the device query", |m| m == [0xF0, 0, 0, 0x66, 0x14, 0x00, 0xF7]);
    device
        .expect("S1 on the LCD", |m| m.starts_with(&[0xF0, 0, 0, 0x66, 0x14, 0x12, 0x00]) && m[7..].starts_with(b"S1"));
    device.expect("motor 1 at 0 dB", |m| m == motor(0, 0.0));
    // Meters by channel pressure: strip 1 (high nibble 0) near -6 dBFS, 12 steps over 60 dB.
    device.expect("meter 1 at -6 dB", |m| {
        m.len() == 2 && m[0] == 0xD0 && m[1] >> 4 == 0 && (10..=11).contains(&(m[1] & 0x0F))
    });
    // The timecode display follows the transport: 00:00:01.xxx a second into a roll.
    headroom.send("play");
    device.expect("timecode seconds 01", |m| m == [0xB0, 0x43, b'1'] || m == [0xB0, 0x43, b'2']);
    headroom.send("stop");

    // Changes made from the console (headless commands) reach the motor and the LED.
    headroom.send("set strip.S1.fader -10");
    device.expect("motor 1 at -10 dB", |m| m == motor(0, -10.0));
    headroom.send("set strip.S2.mute 1");
    device.expect("mute 2 lit", |m| m == [0x90, 0x11, 0x7F]);

    // A hand on fader 1: nothing moves it; released, it gets the value at once.
    device.send(&[0x90, 0x68, 0x7F]);
    std::thread::sleep(Duration::from_millis(50));
    device.clear();
    headroom.send("set strip.S1.fader -20");
    headroom.expect_line("strip.S1.fader = -20.0 dB");
    std::thread::sleep(Duration::from_millis(300));
    let sent: Vec<Vec<u8>> = device.sent();
    assert!(!sent.iter().any(|m| m[0] == 0xE0), "a touched fader was driven: {sent:02X?}");
    device.send(&[0x90, 0x68, 0x00]);
    device.expect("motor 1 at -20 dB after release", |m| m == motor(0, -20.0));

    // Unplugged: the console says so. Plugged back: everything is shown again and it plays.
    device.unplug();
    headroom.expect_line("waiting for a port matching \"MCU-test\"");
    let mut device = MidiDevice::start("MCU-test");
    headroom.expect_line("Mackie Control connected on MCU-test:out");
    device.expect("motor 1 at -20 dB again", |m| m == motor(0, -20.0));
    device.expect("mute 2 lit again", |m| m == [0x90, 0x11, 0x7F]);
    device.expect("S1 on the LCD again", |m| m.len() > 7 && m[5] == 0x12 && m[7..].starts_with(b"S1"));
    device.send(&[0x90, 0x11, 0x7F]);
    device.send(&[0x90, 0x11, 0x00]);
    headroom.send("get strip.S2.mute");
    headroom.expect_line("strip.S2.mute = off");
    let summary = headroom.quit();
    assert!(summary.contains("0 allocations on the audio thread"), "{summary}");
}

#[cfg(feature = "midi-jack")]
#[test]
fn a_box_connected_from_the_console_learns_a_knob_by_midi_learn_and_keeps_it_in_a_user_map() {
    let _turn = ONE_SERVER_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let server = private_server("learn");
    let dir = tempfile::tempdir().unwrap();
    let layout = dir.path().join("tone.yaml");
    std::fs::write(&layout, TONE_LAYOUT).unwrap();
    let config = dir.path().join("config");
    let mut device = MidiDevice::start("LearnBox-test");
    let command = format!("{} {}", env!("CARGO_BIN_EXE_headroom"), layout.display());
    let env = [("JACK_DEFAULT_SERVER", server.name.as_str()), ("XDG_CONFIG_HOME", config.to_str().unwrap())];
    let term = Tmux::start("learn", (120, 30), &env, &command);
    term.wait_for("no surface");

    // C lists the MIDI devices present; typing picks one, Enter connects it.
    term.keys(&["C"]);
    term.wait_for("connect the surface: ");
    term.keys(&["L", "Enter"]);
    term.wait_for("no shipped map fits");
    term.wait_for("● LearnBox-test");

    // Tone selected; M arms learn for its fader; the box's CC 20 on channel 2 is moved.
    term.keys(&["M"]);
    term.wait_for("MIDI learn: move a control on a surface for Tone fader");
    device.send(&[0xB1, 20, 10]);
    term.wait_for("CC 20 on channel 2 → strip.1.fader");
    // The knob is not motorised: it picks the fader up at 0 dB, then takes it to the top.
    for value in (0..=127).step_by(8).chain([127]) {
        device.send(&[0xB1, 20, value]);
    }
    let screen = term.wait_for("+10.0");
    // The value row: Tone at the top, Other untouched at 0 dB.
    let values = line_with(&screen, "+10.0");
    assert!(values.find("+10.0") < values.find("+0.0"), "Tone +10.0 left of Other +0.0: {values}");
    let kept = std::fs::read_to_string(config.join("headroom/controllers/learnbox-test.yaml")).unwrap();
    assert!(kept.contains("target: strip.1.fader") && kept.contains("cc: 20") && kept.contains("channel: 2"), "{kept}");
    assert!(kept.contains("match: LearnBox-test"), "{kept}");
}

#[test]
fn a_touch_pass_over_jack_is_kept_in_the_automation_file_played_back_and_taken_back_and_forth() {
    let _turn = ONE_SERVER_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let server = private_server("automation");
    let dir = tempfile::tempdir().unwrap();
    let layout = dir.path().join("ride.yaml");
    std::fs::write(&layout, "version: 1\nname: ride\nstrips:\n  - {name: Vox, input: {ports: [\"probe:out\"]}}\n")
        .unwrap();
    let mut headroom = Headroom::play(&server, &layout, &[]);
    headroom.expect_line("on JACK as");
    headroom.send("mode strip.Vox.fader touch");
    headroom.expect_line("strip.Vox.fader: touch");
    headroom.send("write on");
    headroom.send("play");
    std::thread::sleep(Duration::from_millis(500));
    // A hand without touch sensing: moves for two seconds, then lets go.
    for _ in 0..20 {
        headroom.send("move strip.Vox.fader -12");
        std::thread::sleep(Duration::from_millis(100));
    }
    std::thread::sleep(Duration::from_millis(1200));
    headroom.send("stop");
    let kept = headroom.expect_line("kept pass 1");
    assert!(kept.contains("strip.Vox.fader"), "{kept}");
    let file = std::fs::read_to_string(dir.path().join("ride.automation.yaml")).unwrap();
    assert!(file.contains("strip.Vox.fader: touch") && file.contains("id: 1"), "{file}");

    // Played back: from the top, the fader follows the lane (-12 dB in the ride, 0 dB before).
    headroom.send("locate 0");
    headroom.send("play");
    std::thread::sleep(Duration::from_millis(1500));
    headroom.send("get strip.Vox.fader");
    headroom.expect_line("strip.Vox.fader = -12.0 dB");
    headroom.send("stop");
    headroom.send("locate 0");
    std::thread::sleep(Duration::from_millis(200));
    headroom.send("get strip.Vox.fader");
    headroom.expect_line("strip.Vox.fader = +0.0 dB");

    // Taken back, the lane is gone; brought back, it is there again, exactly.
    headroom.send("undo pass");
    headroom.expect_line("took back pass 1");
    let without = std::fs::read_to_string(dir.path().join("ride.automation.yaml")).unwrap();
    assert!(without.contains("active: false") && !without.contains("lanes:"), "{without}");
    headroom.send("redo pass");
    headroom.expect_line("brought back pass 1");
    let again = std::fs::read_to_string(dir.path().join("ride.automation.yaml")).unwrap();
    assert_eq!(again, file, "the same lane and history as before the undo");
    let summary = headroom.quit();
    assert!(summary.contains("0 allocations on the audio thread"), "{summary}");
}

/// The level a Mackie motor message puts fader `fader` at, if it is one for that fader.
#[cfg(feature = "midi-jack")]
pub(crate) fn motor_db(fader: u8, m: &[u8]) -> Option<f32> {
    (m.len() == 3 && m[0] == 0xE0 | fader)
        .then(|| headroom::dsp::param::FADER_TAPER.value_at((m[1] as u16 | (m[2] as u16) << 7) as f32 / 16383.0))
}

#[cfg(feature = "midi-jack")]
#[test]
fn an_mcu_writes_a_touch_pass_with_its_fader_lights_its_mode_buttons_and_a_read_lane_drives_its_motor() {
    let _turn = ONE_SERVER_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let server = private_server("mcu-auto");
    let dir = tempfile::tempdir().unwrap();
    let layout = ten_strip_layout(dir.path());
    let mut device = MidiDevice::start("MCU-test");
    let mut headroom = Headroom::play(&server, &layout, &["--controller", "mackie-control", "--surface", "MCU-test"]);
    headroom.expect_line("Mackie Control connected on MCU-test:out");
    device.expect("the Touch light dark", |m| m == [0x90, 0x4D, 0x00]);
    // TOUCH puts the selected strip (S1) in Touch, and lights.
    device.send(&[0x90, 0x4D, 0x7F]);
    device.send(&[0x90, 0x4D, 0x00]);
    headroom.expect_line("S1: automation touch");
    device.expect("the Touch light lit", |m| m == [0x90, 0x4D, 0x7F]);

    // A pass: roll with writing armed; a hand on fader 1 takes it down to -20 dB and lets go.
    headroom.send("write on");
    headroom.send("play");
    std::thread::sleep(Duration::from_millis(300));
    device.send(&[0x90, 0x68, 0x7F]);
    for step in 1..=20 {
        let mut m = motor(0, -(step as f32));
        m[0] = 0xE0;
        device.send(&m);
        std::thread::sleep(Duration::from_millis(30));
    }
    std::thread::sleep(Duration::from_millis(300));
    device.send(&[0x90, 0x68, 0x00]);
    std::thread::sleep(Duration::from_millis(600));
    headroom.send("stop");
    let kept = headroom.expect_line("kept pass 1");
    assert!(kept.contains("strip.S1.fader"), "{kept}");

    // READ: the light moves over; played back, the lane drives the motor down to -20 dB and back.
    headroom.send("write off");
    std::thread::sleep(Duration::from_millis(100));
    device.clear();
    device.send(&[0x90, 0x4A, 0x7F]);
    device.send(&[0x90, 0x4A, 0x00]);
    headroom.expect_line("S1: automation read");
    device.expect("the Read light lit", |m| m == [0x90, 0x4A, 0x7F]);
    device.expect("the Touch light dark again", |m| m == [0x90, 0x4D, 0x00]);
    headroom.send("locate 0");
    std::thread::sleep(Duration::from_millis(300));
    device.clear();
    headroom.send("play");
    std::thread::sleep(Duration::from_millis(2500));
    headroom.send("stop");
    let sent = device.sent();
    let levels: Vec<f32> = sent.iter().filter_map(|m| motor_db(0, m)).collect();
    let low = levels.iter().position(|&db| (db + 20.0).abs() < 0.5);
    assert!(low.is_some(), "the motor never reached -20 dB: {levels:?}");
    assert!(levels[..low.unwrap()].iter().any(|&db| db < -1.0 && db > -19.0), "it glided down: {levels:?}");
    assert!(levels[low.unwrap()..].iter().any(|&db| db > -1.0), "and back after the release: {levels:?}");
    let summary = headroom.quit();
    assert!(summary.contains("0 allocations on the audio thread"), "{summary}");
}

#[test]
fn passes_follow_jack_transport_and_a_sigkill_mid_pass_loses_under_a_second_and_no_earlier_pass() {
    use headroom::automation::file;
    let _turn = ONE_SERVER_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let server = private_server("passes");
    let dir = tempfile::tempdir().unwrap();
    let layout = dir.path().join("ride.yaml");
    std::fs::write(&layout, "version: 1\nname: ride\nstrips:\n  - {name: Vox, input: {ports: [\"probe:out\"]}}\n")
        .unwrap();
    let automation = dir.path().join("ride.automation.yaml");
    let table =
        headroom::session::resolve::build_engine(&headroom::session::load::load(&layout).unwrap().doc, 48_000.0, 0)
            .unwrap()
            .params;
    let ride = |headroom: &mut Headroom, values: &mut dyn Iterator<Item = f32>| {
        for value in values {
            headroom.send(&format!("move strip.Vox.fader {value}"));
            std::thread::sleep(Duration::from_millis(100));
        }
    };
    let mut headroom = Headroom::play(&server, &layout, &[]);
    headroom.expect_line("on JACK as");
    headroom.send("mode strip.Vox.fader touch");
    headroom.send("write on");
    headroom.expect_line("automation write enabled");

    // jack_transport rolls; a locate while rolling ends the pass and starts the next; stop ends that.
    jack_transport(&server, "play\n");
    std::thread::sleep(Duration::from_millis(300));
    ride(&mut headroom, &mut std::iter::repeat_n(-6.0, 10));
    std::thread::sleep(Duration::from_millis(800));
    jack_transport(&server, &format!("locate {}\n", 10 * RATE));
    let first = headroom.expect_line("kept pass 1");
    assert!(first.contains("(strip.Vox.fader, 0:00-0:0"), "{first}");
    ride(&mut headroom, &mut std::iter::repeat_n(-3.0, 10));
    std::thread::sleep(Duration::from_millis(800));
    jack_transport(&server, "stop\n");
    let second = headroom.expect_line("kept pass 2");
    assert!(second.contains("(strip.Vox.fader, 0:10-0:1"), "{second}");
    let before_crash = file::load(&automation, &table).unwrap();
    assert_eq!(before_crash.passes().len(), 2);

    // A third pass, killed mid-ride: the last value sent is -30 dB, 100 ms after -29.
    jack_transport(&server, "play\n");
    std::thread::sleep(Duration::from_millis(300));
    ride(&mut headroom, &mut (1..=30).map(|i| -(i as f32)));
    headroom.child.kill().unwrap();
    headroom.child.wait().unwrap();
    jack_transport(&server, "stop\n");
    assert!(dir.path().join("ride.automation.yaml.journal").exists(), "the pass in progress was journaled");

    // Opened again: the journal becomes a pass of its own, the earlier ones are untouched.
    let headroom = Headroom::play(&server, &layout, &[]);
    let recovered = headroom.expect_line("kept pass 3 \"recovered\"");
    assert!(recovered.contains("from before the crash"), "{recovered}");
    let after = file::load(&automation, &table).unwrap();
    assert_eq!(after.passes()[..2], before_crash.passes()[..], "earlier passes exactly as they were");
    let third = &after.passes()[2];
    let stretch = third.writes["strip.Vox.fader"].last().unwrap();
    let last = stretch.last().unwrap().value;
    assert!(last <= -20.0, "at most a second of the ride is lost: the recovered pass ends at {last} dB");
    assert!(!dir.path().join("ride.automation.yaml.journal").exists(), "the journal is gone once kept");
    let summary = headroom.quit();
    assert!(summary.contains("0 allocations on the audio thread"), "{summary}");
}

/// Four strips, one for each mode that writes or reads, with a lane already on three of them.
const MODES_LAYOUT: &str = "version: 1
name: modes
strips:
  - {name: W, input: {ports: [\"probe:out\"]}}
  - {name: L, input: {ports: [\"probe:out\"]}}
  - {name: T, input: {ports: [\"probe:out\"]}}
  - {name: R, input: {ports: [\"probe:out\"]}}
";
const MODES_AUTOMATION: &str = "version: 1
modes:
  strip.W.fader: write
  strip.L.fader: latch
  strip.T.fader: trim
  strip.R.fader: read
passes:
  - id: 1
    made: 2026-12-01 10:00:00
    start: 0
    end: 480000
    writes:
      strip.W.fader: [\"0 -10, 480000 -10\"]
      strip.T.fader: [\"0 -20, 192000 0\"]
      strip.R.fader: [\"0 -5, 480000 -5\"]
";

#[test]
fn write_latch_trim_and_read_over_jack_leave_the_lanes_each_mode_promises() {
    use headroom::automation::file;
    use headroom::automation::lane::Shape;
    let _turn = ONE_SERVER_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let server = private_server("modes");
    let dir = tempfile::tempdir().unwrap();
    let layout = dir.path().join("modes.yaml");
    std::fs::write(&layout, MODES_LAYOUT).unwrap();
    let automation = dir.path().join("modes.automation.yaml");
    std::fs::write(&automation, MODES_AUTOMATION).unwrap();
    let mut headroom = Headroom::play(&server, &layout, &[]);
    headroom.expect_line("on JACK as");
    headroom.send("write on");
    headroom.send("play");
    std::thread::sleep(Duration::from_millis(500));
    // Trim moves the curve by how far the control moves: 3 dB up from where the lane is.
    headroom.send("get strip.T.fader");
    let t_line = headroom.expect_line("strip.T.fader = ");
    let t_now: f32 = t_line.split_whitespace().nth(2).unwrap().parse().unwrap();
    let mut read_heard = Vec::new();
    for i in 0..10 {
        headroom.send("move strip.W.fader -6");
        if i < 3 {
            headroom.send("move strip.L.fader -9");
        }
        headroom.send(&format!("move strip.T.fader {}", t_now + 3.0));
        headroom.send("move strip.R.fader -1");
        headroom.expect_line("strip.R.fader = -1.0 dB (not heard: in Read its lane plays -5.0 dB)");
        headroom.send("get strip.R.fader");
        read_heard.push(headroom.expect_line("strip.R.fader = "));
        std::thread::sleep(Duration::from_millis(100));
    }
    std::thread::sleep(Duration::from_millis(2000));
    headroom.send("stop");
    let kept = headroom.expect_line("kept pass 2");
    assert!(!kept.contains("strip.R"), "Read writes nothing: {kept}");
    assert!(read_heard.iter().all(|l| l.ends_with("-5.0 dB")), "Read ignores live moves: {read_heard:?}");

    let doc = headroom::session::load::load(&layout).unwrap().doc;
    let table = headroom::session::resolve::build_engine(&doc, 48_000.0, 0).unwrap().params;
    let store = file::load(&automation, &table).unwrap();
    let lane = |id: &str| store.lane(id, Shape::Linear).unwrap();
    let at = |id: &str, seconds: f64| lane(id).value_at((seconds * RATE as f64) as u64).unwrap();
    let near = |id: &str, seconds: f64, want: f32, within: f32| {
        let got = at(id, seconds);
        assert!((got - want).abs() <= within, "{id} at {seconds} s: {got} dB, expected {want} ± {within}");
    };
    // Write: the live value from the start of the pass to its stop; the old lane after it.
    near("strip.W.fader", 0.2, 0.0, 0.1);
    near("strip.W.fader", 1.0, -6.0, 0.1);
    near("strip.W.fader", 3.0, -6.0, 0.1);
    near("strip.W.fader", 8.0, -10.0, 0.1);
    // Latch: from the first move on, the last value is held until the stop.
    near("strip.L.fader", 3.0, -9.0, 0.1);
    // Trim: the ramp (-20 dB at 0 s up to 0 dB at 4 s, 5 dB a second) lifted by 3 dB while
    // touched, the ramp itself again once released and glided back.
    let ramp = |seconds: f64| (-20.0 + 5.0 * seconds) as f32;
    for seconds in [0.8, 1.0, 1.2] {
        near("strip.T.fader", seconds, ramp(seconds) + 3.0, 0.5);
    }
    near("strip.T.fader", 3.0, ramp(3.0), 0.2);
    assert_eq!(store.modes["strip.W.fader"], headroom::automation::Mode::Touch, "Write fell back to Touch");
    let summary = headroom.quit();
    assert!(summary.contains("0 allocations on the audio thread"), "{summary}");
}

#[cfg(feature = "midi-jack")]
#[test]
fn keys_in_the_console_move_an_mcus_motor_and_light_its_mute_and_mode_buttons() {
    let _turn = ONE_SERVER_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let server = private_server("console-mcu");
    let dir = tempfile::tempdir().unwrap();
    let layout = ten_strip_layout(dir.path());
    let device = MidiDevice::start("MCU-test");
    let command = format!(
        "{} {} --controller mackie-control --surface MCU-test",
        env!("CARGO_BIN_EXE_headroom"),
        layout.display()
    );
    let term = Tmux::start("console-mcu", (120, 30), &[("JACK_DEFAULT_SERVER", &server.name)], &command);
    term.wait_for("● Mackie Control");
    device.expect("motor 2 at 0 dB", |m| m == motor(1, 0.0));
    // S2 selected, down 6 dB, muted, put in Latch: the motor, the mute LED and LATCH follow.
    term.keys(&["Right", "J", "J", "m", "5"]);
    term.wait_for("S2: automation latch");
    device.expect("motor 2 at -6 dB", |m| m == motor(1, -6.0));
    device.expect("mute 2 lit", |m| m == [0x90, 0x11, 0x7F]);
    device.expect("select 2 lit", |m| m == [0x90, 0x19, 0x7F]);
    device.expect("LATCH lit for the selected strip", |m| m == [0x90, 0x4E, 0x7F]);
    term.keys(&["q", "q"]);
}

/// A layout may name ports that are not there yet (a device not plugged in, a client not
/// started) or that JACK will not connect: headroom says which and why, shows the count on
/// its status line, and makes a connection as soon as its port appears.
#[test]
fn connections_whose_ports_are_missing_are_counted_and_made_when_the_ports_appear() {
    let _turn = ONE_SERVER_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let server = private_server("late");
    let dir = tempfile::tempdir().unwrap();
    let layout = dir.path().join("late.yaml");
    // Line names an input port as its source: JACK refuses that, and headroom says why.
    let text = "version: 1\nname: late\nstrips:\n  - {name: Mic, input: {ports: [\"later:out\"]}}\n\
                \x20 - {name: Line, input: {ports: [\"late:Mic_in\"]}}\n";
    std::fs::write(&layout, text).unwrap();
    let headroom = Headroom::play(&server, &layout, &[]);
    headroom.expect_line(
        "warning: late:Mic_in → late:Line_in: late:Mic_in is an input port; a connection goes from an output to an input",
    );
    headroom.expect_line("warning: 2 connections are not made: later:out → late:Mic_in, late:Mic_in → late:Line_in");
    headroom.expect_line("  unconnected 2  master");

    let (client, _) = Client::new("later", ClientOptions::NO_START_SERVER).unwrap();
    let out = client.register_port("out", AudioOut::default()).unwrap();
    let process: ProbeProcess = Box::new(|_, _| Control::Continue);
    let later = client.activate_async((), jack::contrib::ClosureProcessHandler::new(process)).unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    while !out.is_connected_to("late:Mic_in").unwrap() {
        assert!(Instant::now() < deadline, "later:out was never connected to late:Mic_in");
        std::thread::sleep(Duration::from_millis(50));
    }
    // The one whose port came is made; the refused one stays counted.
    headroom.expect_line("  unconnected 1  master");
    drop(later);
    headroom.quit();
}
