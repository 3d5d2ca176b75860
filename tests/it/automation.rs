//! Automation in the engine, offline: each mode driven by scripted control input against a
//! rolling transport, the values written compared with the input at frames, and what is
//! played heard at the master.

use std::path::Path;

use headroom::automation::Mode;
use headroom::automation::lane::{Lane, Point, Shape};
use headroom::engine::automation::{Record, Transport};
use headroom::engine::params::ParamIndex;
use headroom::engine::{AudioIo, Built, Command};
use headroom::session::load::parse;
use headroom::session::resolve::build_engine;

const RATE: f32 = 48_000.0;
const PERIOD: usize = 256;

/// A one-strip session fed a 1 kHz sine at -6 dBFS, rolled period by period.
struct Rig {
    built: Built,
    fader: ParamIndex,
    transport: Transport,
    records: Vec<Record>,
    /// The master's left channel, every frame processed.
    heard: Vec<f32>,
}

struct SineIo<'a> {
    start: u64,
    heard: &'a mut Vec<f32>,
}

impl AudioIo for SineIo<'_> {
    fn read_strip(&self, _strip: usize, _channel: usize, offset: usize, out: &mut [f32]) {
        for (i, x) in out.iter_mut().enumerate() {
            let t = (self.start + (offset + i) as u64) as f32 / RATE;
            *x = 0.5 * (2.0 * std::f32::consts::PI * 1000.0 * t).sin();
        }
    }
    fn write_master(&mut self, _offset: usize, left: &[f32], _right: &[f32]) {
        self.heard.extend_from_slice(left);
    }
}

impl Rig {
    fn new() -> Rig {
        let yaml = "version: 1\nname: t\nstrips:\n  - {name: V, input: {ports: [x:v]}}\n";
        let doc = parse(yaml, Path::new("t.yaml")).unwrap().0;
        let built = build_engine(&doc, RATE, 1).unwrap();
        let fader = built.params.lookup("strip.V.fader").unwrap();
        Rig { built, fader, transport: Transport::default(), records: Vec::new(), heard: Vec::new() }
    }

    fn send(&mut self, command: Command) {
        self.built.command_producers[0].push(command).unwrap();
    }

    fn lane(&mut self, points: &[(f64, f32)]) {
        let points = points.iter().map(|&(s, value)| Point { frame: frames(s), value }).collect();
        self.built.engine.automation_mut().install(self.fader, Some(Box::new(Lane::new(Shape::Linear, points))));
    }

    /// Processes `seconds` of periods; `each` runs before every period with the transport
    /// time in seconds.
    fn roll(&mut self, seconds: f64, mut each: impl FnMut(&mut Rig, f64)) {
        self.transport.rolling = true;
        let end = self.transport.frame + frames(seconds);
        while self.transport.frame < end {
            each(self, self.transport.frame as f64 / RATE as f64);
            self.period();
            self.transport.frame += PERIOD as u64;
        }
    }

    fn period(&mut self) {
        let mut io = SineIo { start: self.transport.frame, heard: &mut self.heard };
        self.built.engine.process(PERIOD, self.transport, &mut io);
        while let Ok(record) = self.built.automation.records.pop() {
            self.records.push(record);
        }
    }

    fn stop(&mut self) {
        self.transport.rolling = false;
        self.period();
    }

    /// The fader values written, as (seconds, dB).
    fn written(&self) -> Vec<(f64, f32)> {
        self.records
            .iter()
            .filter_map(|r| match *r {
                Record::Value { param, frame, value } if param == self.fader => {
                    Some((frame as f64 / RATE as f64, value))
                }
                _ => None,
            })
            .collect()
    }

    fn written_at(&self, seconds: f64) -> f32 {
        let written = self.written();
        let nearest = written.iter().min_by(|a, b| (a.0 - seconds).abs().total_cmp(&(b.0 - seconds).abs()));
        let (at, value) = *nearest.expect("something was written");
        assert!((at - seconds).abs() < 0.01, "nothing written near {seconds} s (nearest {at} s)");
        value
    }

    fn played(&self) -> f32 {
        self.built.telemetry.automation.played(self.fader)
    }

    /// The level heard at the master over the 10 ms ending at `seconds`, in dB relative to
    /// the sine at 0 dB through a centred mono strip (-6 dBFS - 3 dB pan law).
    fn heard_db(&self, seconds: f64) -> f32 {
        let end = frames(seconds) as usize;
        let window = &self.heard[end - 480..end];
        let peak = window.iter().fold(0.0f32, |m, x| m.max(x.abs()));
        20.0 * (peak / (0.5 * std::f32::consts::FRAC_1_SQRT_2)).log10()
    }
}

fn frames(seconds: f64) -> u64 {
    (seconds * RATE as f64).round() as u64
}

#[test]
fn read_plays_the_lane_heard_at_the_master_and_ignores_live_moves() {
    let mut rig = Rig::new();
    rig.lane(&[(0.0, -20.0), (2.0, 0.0)]);
    rig.send(Command::SetMode { param: rig.fader, mode: Mode::Read });
    let fader = rig.fader;
    rig.roll(2.5, |rig, t| {
        if (1.0..1.1).contains(&t) {
            rig.send(Command::Move { param: fader, value: 6.0 });
        }
    });
    // The lane rises 10 dB a second; what is heard follows it within the 10 ms glide.
    for (at, lane_db) in [(0.5, -15.0), (1.0, -10.0), (1.5, -5.0), (2.4, 0.0)] {
        assert!((rig.heard_db(at) - lane_db).abs() < 0.3, "at {at} s heard {} dB, lane {lane_db}", rig.heard_db(at));
    }
    assert_eq!(rig.played(), 0.0);
    assert!(rig.written().is_empty(), "Read writes nothing");
}

#[test]
fn write_records_the_live_value_from_start_to_stop_and_falls_back_to_touch() {
    let mut rig = Rig::new();
    rig.lane(&[(0.0, -20.0)]);
    let fader = rig.fader;
    rig.send(Command::SetMode { param: fader, mode: Mode::Write });
    rig.send(Command::WriteEnable(true));
    // A ride: -10 dB, then a move every 100 ms up to -5 dB.
    rig.send(Command::Move { param: fader, value: -10.0 });
    rig.roll(2.0, |rig, t| {
        if t >= 1.0 {
            rig.send(Command::Move { param: fader, value: (-10.0 + (t - 1.0) * 5.0) as f32 });
        }
    });
    rig.stop();
    assert_eq!(rig.records.first(), Some(&Record::PassStart { frame: 0 }));
    assert_eq!(rig.written_at(0.5), -10.0);
    // Within one period of the input.
    assert!((rig.written_at(1.5) - -7.5).abs() < 5.0 * PERIOD as f32 / RATE + 1e-3);
    assert!(rig.records.contains(&Record::PassEnd { frame: rig.transport.frame }), "the pass ends where it stopped");
    assert!(rig.records.contains(&Record::Mode { param: fader, mode: Mode::Touch }), "Write falls back to Touch");
    // Heard as written.
    assert!((rig.heard_db(0.9) - -10.0).abs() < 0.3);
}

#[test]
fn touch_reads_until_touched_writes_while_touched_and_glides_back_over_the_return_time() {
    let mut rig = Rig::new();
    rig.lane(&[(0.0, -10.0), (4.0, -10.0)]);
    let fader = rig.fader;
    rig.send(Command::SetMode { param: fader, mode: Mode::Touch });
    rig.send(Command::WriteEnable(true));
    rig.roll(3.0, |rig, t| {
        if (1.0..1.006).contains(&t) {
            rig.send(Command::Touch { param: fader, touched: true });
            rig.send(Command::Move { param: fader, value: -4.0 });
        }
        if (2.0..2.006).contains(&t) {
            rig.send(Command::Touch { param: fader, touched: false });
        }
    });
    let written = rig.written();
    assert!(written.iter().all(|&(t, _)| (1.0..2.3).contains(&t)), "writes only while touched and gliding");
    assert_eq!(rig.written_at(1.5), -4.0);
    // Released at 2.0 s: half way back at 2.125 s, on the curve by 2.25 s (250 ms).
    assert!((rig.written_at(2.125) - -7.0).abs() < 0.1, "{}", rig.written_at(2.125));
    assert!(rig.written().last().unwrap().0 < 2.26);
    assert_eq!(rig.written().last().unwrap().1, -10.0, "the glide lands on the curve exactly");
    assert!(rig.records.iter().any(|r| matches!(r, Record::Released { param, .. } if *param == fader)));
    assert!((rig.heard_db(0.9) - -10.0).abs() < 0.3 && (rig.heard_db(1.9) - -4.0).abs() < 0.3);
    assert!((rig.heard_db(2.9) - -10.0).abs() < 0.3);
}

#[test]
fn latch_keeps_writing_the_last_value_until_the_transport_stops() {
    let mut rig = Rig::new();
    rig.lane(&[(0.0, -10.0)]);
    let fader = rig.fader;
    rig.send(Command::SetMode { param: fader, mode: Mode::Latch });
    rig.send(Command::WriteEnable(true));
    rig.roll(3.0, |rig, t| {
        if (1.0..1.006).contains(&t) {
            rig.send(Command::Touch { param: fader, touched: true });
            rig.send(Command::Move { param: fader, value: -2.0 });
        }
        if (1.5..1.506).contains(&t) {
            rig.send(Command::Touch { param: fader, touched: false });
        }
    });
    assert_eq!(rig.written_at(2.9), -2.0);
    rig.stop();
    assert!(rig.records.iter().any(|r| matches!(r, Record::PassEnd { .. })));
}

#[test]
fn trim_offsets_the_existing_curve_by_the_controls_movement() {
    let mut rig = Rig::new();
    rig.lane(&[(0.0, -20.0), (3.0, -5.0)]);
    let fader = rig.fader;
    rig.send(Command::SetMode { param: fader, mode: Mode::Trim });
    rig.send(Command::WriteEnable(true));
    rig.roll(2.5, |rig, t| {
        if (1.0..1.006).contains(&t) {
            // Touched where the curve is (-15 dB), moved up 3 dB.
            rig.send(Command::Touch { param: fader, touched: true });
            rig.send(Command::Move { param: fader, value: -12.0 });
        }
        if (2.0..2.006).contains(&t) {
            rig.send(Command::Touch { param: fader, touched: false });
        }
    });
    // The curve (5 dB a second) plus 3 dB, while touched.
    for at in [1.2, 1.5, 1.9] {
        let curve = -20.0 + 5.0 * at as f32;
        assert!((rig.written_at(at) - (curve + 3.0)).abs() < 0.1, "at {at}: {}", rig.written_at(at));
    }
}

#[test]
fn a_control_without_touch_sensing_is_released_after_the_idle_time() {
    let mut rig = Rig::new();
    rig.lane(&[(0.0, -10.0)]);
    let fader = rig.fader;
    rig.send(Command::SetMode { param: fader, mode: Mode::Touch });
    rig.send(Command::WriteEnable(true));
    // Idle release after 200 ms, glide back over 100 ms.
    rig.send(Command::AutomationTimes { glide_frames: frames(0.1) as u32, idle_frames: frames(0.2) as u32 });
    rig.roll(2.0, |rig, t| {
        if (1.0..1.3).contains(&t) {
            rig.send(Command::Move { param: fader, value: -6.0 });
        }
    });
    // Moved until 1.3 s, still for 200 ms: released at 1.5 s, back on the curve by 1.6 s.
    assert_eq!(rig.written_at(1.45), -6.0);
    let last = rig.written().last().unwrap().0;
    assert!((1.58..1.61).contains(&last), "written until {last} s");
    assert!((rig.heard_db(1.95) - -10.0).abs() < 0.3);
}

#[test]
fn with_write_disabled_nothing_is_written_and_the_lane_plays() {
    let mut rig = Rig::new();
    rig.lane(&[(0.0, -10.0)]);
    let fader = rig.fader;
    rig.send(Command::SetMode { param: fader, mode: Mode::Touch });
    rig.roll(1.0, |rig, t| {
        if (0.5..0.6).contains(&t) {
            rig.send(Command::Touch { param: fader, touched: true });
            rig.send(Command::Move { param: fader, value: 0.0 });
        }
    });
    assert!(rig.records.is_empty(), "{:?}", rig.records.first());
    assert!((rig.heard_db(0.9) - -10.0).abs() < 0.3);
}

#[test]
fn a_locate_while_writing_ends_the_pass_and_starts_another_where_it_lands() {
    let mut rig = Rig::new();
    let fader = rig.fader;
    rig.send(Command::SetMode { param: fader, mode: Mode::Latch });
    rig.send(Command::WriteEnable(true));
    rig.roll(1.0, |_, _| {});
    rig.transport.frame = frames(10.0);
    rig.roll(0.5, |_, _| {});
    let passes: Vec<_> =
        rig.records.iter().filter(|r| matches!(r, Record::PassStart { .. } | Record::PassEnd { .. })).collect();
    let end = frames(1.0).div_ceil(PERIOD as u64) * PERIOD as u64;
    assert_eq!(
        passes,
        [&Record::PassStart { frame: 0 }, &Record::PassEnd { frame: end }, &Record::PassStart { frame: frames(10.0) }]
    );
}

#[test]
fn switched_off_the_parameter_stays_where_its_lane_left_it_and_the_control_takes_over_from_there() {
    let mut rig = Rig::new();
    rig.lane(&[(0.0, -20.0), (1.0, -20.0)]);
    let fader = rig.fader;
    // The live control last sat at +6 dB; the lane plays -20 dB over it.
    rig.send(Command::SetParam { param: fader, value: 6.0 });
    rig.send(Command::SetMode { param: fader, mode: Mode::Read });
    rig.roll(0.5, |_, _| {});
    assert!((rig.heard_db(0.5) + 20.0).abs() < 0.1, "the lane plays: {}", rig.heard_db(0.5));
    rig.send(Command::SetMode { param: fader, mode: Mode::Off });
    rig.roll(0.5, |_, _| {});
    assert!((rig.heard_db(1.0) + 20.0).abs() < 0.1, "no jump to the old +6 dB: {}", rig.heard_db(1.0));
    rig.send(Command::Move { param: fader, value: -10.0 });
    rig.roll(0.2, |_, _| {});
    assert!((rig.heard_db(1.2) + 10.0).abs() < 0.1, "then the control moves it: {}", rig.heard_db(1.2));
}

#[test]
fn an_xrun_in_a_latch_pass_is_a_gap_a_locate_ends_the_pass() {
    let mut rig = Rig::new();
    rig.send(Command::SetMode { param: rig.fader, mode: Mode::Latch });
    rig.send(Command::WriteEnable(true));
    let fader = rig.fader;
    rig.roll(0.5, |rig, t| {
        if t > 0.1 {
            rig.send(Command::Move { param: fader, value: -9.0 });
        }
    });
    // Three periods missed: the transport is that far on. Then one where JACK landed a period behind.
    for jump in [3 * PERIOD as i64, -(PERIOD as i64)] {
        rig.transport.late_frames = 3 * PERIOD as u64;
        rig.transport.frame = (rig.transport.frame as i64 + jump) as u64;
        rig.period();
        rig.transport.late_frames = 0;
        rig.transport.frame += PERIOD as u64;
        rig.roll(0.2, |_, _| {});
    }
    let ends = |rig: &Rig| rig.records.iter().filter(|r| matches!(r, Record::PassEnd { .. })).count();
    let gaps = rig.records.iter().filter(|r| matches!(r, Record::Gap { .. })).count();
    assert_eq!((ends(&rig), gaps), (0, 2), "one pass, over two xruns");
    assert_eq!(rig.played(), -9.0, "Latch still holds the ride");
    assert_eq!(rig.built.telemetry.automation.xrun_gaps.load(std::sync::atomic::Ordering::Relaxed), 2);

    // A jump no xrun explains is a locate: the pass ends there.
    rig.transport.late_frames = PERIOD as u64;
    rig.transport.frame += frames(10.0);
    rig.period();
    assert_eq!(ends(&rig), 1);
}

#[test]
fn switched_to_write_over_a_lane_the_pass_starts_where_the_lane_left_the_parameter() {
    let mut rig = Rig::new();
    rig.lane(&[(0.0, -1.0), (2.0, -1.0)]);
    let fader = rig.fader;
    // The saved value under the lane is -4 dB; the lane plays -1 dB (a Touch ride kept earlier).
    rig.send(Command::SetParam { param: fader, value: -4.0 });
    rig.send(Command::SetMode { param: fader, mode: Mode::Touch });
    rig.roll(0.5, |_, _| {});
    assert_eq!(rig.played(), -1.0);
    rig.stop();
    rig.send(Command::SetMode { param: fader, mode: Mode::Write });
    rig.send(Command::WriteEnable(true));
    rig.roll(0.5, |_, _| {});
    let written = rig.written();
    assert!(!written.is_empty());
    assert!(
        written.iter().all(|&(_, v)| v == -1.0),
        "no jump to the -4 dB underneath: {:?}",
        &written[..written.len().min(3)]
    );
    assert!((rig.heard_db(0.9) + 1.0).abs() < 0.1, "heard at -1 dB: {}", rig.heard_db(0.9));
}
