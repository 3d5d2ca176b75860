//! The engine in-process: mixing arithmetic, solo, mute, smoothing, NaN recovery,
//! and the real-time rule (no allocation in `process`), checked with assert_no_alloc.

use headroom::automation::Mode;
use headroom::automation::lane::{Lane, Point, Shape};
use headroom::engine::automation::Transport;
use headroom::engine::{AudioIo, Command, Engine};
use headroom::session::load::parse;
use headroom::session::resolve::build_engine;
use std::path::Path;

#[cfg(debug_assertions)]
#[global_allocator]
static ALLOCATIONS_CHECKED: assert_no_alloc::AllocDisabler = assert_no_alloc::AllocDisabler;

const FS: f32 = 48_000.0;

/// Feeds each strip a generated signal and collects the master output.
struct TestIo<F: Fn(usize, usize, u64) -> f32> {
    signal: F,
    block_start: u64,
    left: Vec<f32>,
    right: Vec<f32>,
}

impl<F: Fn(usize, usize, u64) -> f32> AudioIo for TestIo<F> {
    fn read_strip(&self, strip: usize, channel: usize, offset: usize, out: &mut [f32]) {
        for (i, x) in out.iter_mut().enumerate() {
            *x = (self.signal)(strip, channel, self.block_start + (offset + i) as u64);
        }
    }
    fn write_master(&mut self, _offset: usize, left: &[f32], right: &[f32]) {
        self.left.extend_from_slice(left);
        self.right.extend_from_slice(right);
    }
}

fn run<F: Fn(usize, usize, u64) -> f32>(engine: &mut Engine, io: &mut TestIo<F>, frames: usize, block: usize) {
    let mut done = 0;
    while done < frames {
        engine.process(block, Transport { frame: io.block_start, rolling: true, late_frames: 0 }, io);
        io.block_start += block as u64;
        done += block;
    }
}

fn io<F: Fn(usize, usize, u64) -> f32>(signal: F) -> TestIo<F> {
    TestIo { signal, block_start: 0, left: Vec::new(), right: Vec::new() }
}

fn session(yaml: &str) -> headroom::session::schema::SessionDoc {
    parse(yaml, Path::new("test.yaml")).unwrap().0
}

fn sine(freq: f32, amp: f32, frame: u64) -> f32 {
    amp * (2.0 * std::f32::consts::PI * freq * frame as f32 / FS).sin()
}

fn rms(x: &[f32]) -> f32 {
    (x.iter().map(|v| v * v).sum::<f32>() / x.len() as f32).sqrt()
}

const TWO_STRIPS: &str = "
version: 1
name: t
strips:
  - {name: A, input: {ports: [x:a]}, output: G}
  - {name: B, input: {ports: [x:b]}, sends: [{bus: FX, level_db: 0}]}
buses:
  - {name: G, kind: group}
  - {name: FX, kind: fx}
";

#[test]
fn mono_strips_at_centre_pan_sum_at_minus_3_db_each_side() {
    let mut built = build_engine(&session(TWO_STRIPS), FS, 0).unwrap();
    let mut io = io(|strip, _, _| if strip == 0 { 0.5 } else { 0.25 });
    run(&mut built.engine, &mut io, 256, 64);
    // B reaches the master directly and through the FX bus (post-fader send).
    let expected = (0.5 + 0.25 * 2.0) * std::f32::consts::FRAC_1_SQRT_2;
    assert!((io.left[255] - expected).abs() < 1e-6, "{} vs {expected}", io.left[255]);
    assert_eq!(io.left[255], io.right[255]);
}

#[test]
fn solo_in_place_silences_the_rest_but_keeps_solo_safe_returns() {
    let mut built = build_engine(&session(TWO_STRIPS), FS, 1).unwrap();
    let solo_b = built.params.lookup("strip.B.solo").unwrap();
    let mut io = io(|strip, _, _| if strip == 0 { 0.5 } else { 0.25 });
    built.command_producers[0].push(Command::SetParam { param: solo_b, value: 1.0 }).unwrap();
    run(&mut built.engine, &mut io, 4800, 64);
    // A is muted by the solo; B plays directly and through FX (solo-safe by default).
    let expected = 0.25 * 2.0 * std::f32::consts::FRAC_1_SQRT_2;
    assert!((io.left[4799] - expected).abs() < 1e-6, "{}", io.left[4799]);

    // Soloing the group bus G lets A (which feeds it) through as well.
    let solo_g = built.params.lookup("bus.G.solo").unwrap();
    built.command_producers[0].push(Command::SetParam { param: solo_g, value: 1.0 }).unwrap();
    run(&mut built.engine, &mut io, 4800, 64);
    let expected = (0.5 + 0.25 * 2.0) * std::f32::consts::FRAC_1_SQRT_2;
    assert!((io.left[9599] - expected).abs() < 1e-6, "{}", io.left[9599]);
}

#[test]
fn a_fader_move_through_the_ring_glides_to_its_level_without_a_click() {
    let mut built = build_engine(&session(TWO_STRIPS), FS, 1).unwrap();
    let fader = built.params.lookup("strip.A.fader").unwrap();
    let mute_b = built.params.lookup("strip.B.mute").unwrap();
    let producer = &mut built.command_producers[0];
    producer.push(Command::SetParam { param: mute_b, value: 1.0 }).unwrap();
    let mut io = io(|strip, _, f| if strip == 0 { sine(1000.0, 0.5, f) } else { 0.0 });
    run(&mut built.engine, &mut io, 4800, 64);
    let before = rms(&io.left[2400..4800]);
    built.command_producers[0].push(Command::SetParam { param: fader, value: -6.0 }).unwrap();
    run(&mut built.engine, &mut io, 4800, 64);
    let after = rms(&io.left[4800 + 2400..]);
    assert!((20.0 * (after / before).log10() + 6.0).abs() < 0.01);
    // No sample-to-sample step beyond what the sine itself makes (1 kHz at 0.5·0.707: ≈0.047).
    let max_step = io.left.windows(2).map(|w| (w[1] - w[0]).abs()).fold(0.0, f32::max);
    assert!(max_step < 0.05, "step {max_step}");
}

#[test]
fn mute_fades_out_without_a_click_and_reaches_exact_silence() {
    let mut built = build_engine(&session(TWO_STRIPS), FS, 1).unwrap();
    let mute_a = built.params.lookup("strip.A.mute").unwrap();
    let mute_b = built.params.lookup("strip.B.mute").unwrap();
    let mut io = io(|_, _, _| 0.5);
    run(&mut built.engine, &mut io, 640, 64);
    for p in [mute_a, mute_b] {
        built.command_producers[0].push(Command::SetParam { param: p, value: 1.0 }).unwrap();
    }
    run(&mut built.engine, &mut io, 4800, 64);
    let tail = &io.left[640..];
    assert!(tail[0] > 0.0, "the fade starts from where it was, not from zero");
    assert!(tail.windows(2).all(|w| w[1] <= w[0]), "monotonic fade");
    assert!(tail[480 + 64] < tail[0] * 0.011, "down by 40 dB after 10 ms");
    assert_eq!(tail[4 * 480], 0.0, "exactly silent after 40 ms");
}

#[test]
fn a_nan_on_an_input_is_contained_and_the_mix_comes_back() {
    let doc = session(
        "
version: 1
name: t
strips:
  - {name: A, input: {ports: [x:a]}, eq: [{gain_db: 3}, {gain_db: 3}], comp: {}, hpf: {freq_hz: 40}}
master:
  limiter: {}
",
    );
    let mut built = build_engine(&doc, FS, 0).unwrap();
    let mut io = io(|_, _, f| if (6400..6410).contains(&f) { f32::NAN } else { sine(440.0, 0.3, f) });
    run(&mut built.engine, &mut io, 48_000, 64);
    assert!(io.left.iter().all(|x| x.is_finite()), "no NaN reaches the output");
    let (before, after) = (rms(&io.left[2_000..6_000]), rms(&io.left[40_000..]));
    assert!(before > 0.05 && (after / before - 1.0).abs() < 0.05, "sound comes back as it was: {before} then {after}");
    assert!(built.telemetry.nan_resets.load(std::sync::atomic::Ordering::Relaxed) > 0);
}

/// Release builds do not check allocations (assert_no_alloc is a debug-build guard).
#[cfg(debug_assertions)]
#[test]
fn process_never_allocates() {
    let text = std::fs::read_to_string("layouts/demo.yaml").unwrap();
    let mut built = build_engine(&parse(&text, Path::new("demo.yaml")).unwrap().0, FS, 1).unwrap();
    let (tap, mut loudness) = rtrb::RingBuffer::new(48_000);
    built.engine.set_loudness_taps(vec![(built.engine.loudness_metered()[0].0, tap)]);
    let ids: Vec<_> = [
        "strip.Lead.fader",
        "strip.Drums.solo",
        "strip.Keys.eq.2.gain",
        "bus.Room.reverb.size",
        "master.limiter.ceiling",
    ]
    .iter()
    .map(|id| built.params.lookup(id).unwrap())
    .collect();
    let mut io = io(|strip, ch, f| sine(110.0 * (strip + 1) as f32, 0.4, f + ch as u64));
    io.left.reserve(48_000 * 3);
    io.right.reserve(48_000 * 3);
    // The guard itself must see an allocation, or this test proves nothing.
    assert_no_alloc::reset_violation_count();
    assert_no_alloc::assert_no_alloc(|| std::hint::black_box(vec![1u8; 16]).len());
    assert!(assert_no_alloc::violation_count() > 0);
    assert_no_alloc::reset_violation_count();
    // Automation too: lanes read, a fader written by touch, lanes swapped in while it runs.
    let lane = |value: f32| {
        Box::new(Lane::new(Shape::Linear, vec![Point { frame: 0, value }, Point { frame: 96_000, value: -value }]))
    };
    built.engine.automation_mut().install(ids[0], Some(lane(-6.0)));
    let vocal = built.params.lookup("strip.Bass.fader").unwrap();
    for (param, mode) in [(ids[0], Mode::Read), (ids[2], Mode::Touch), (vocal, Mode::Latch)] {
        built.command_producers[0].push(Command::SetMode { param, mode }).unwrap();
    }
    built.command_producers[0].push(Command::WriteEnable(true)).unwrap();
    let mut frame = 0;
    for block in 0..1500 {
        let param = ids[block % ids.len()];
        built.command_producers[0].push(Command::SetParam { param, value: -((block % 7) as f32) }).unwrap();
        built.command_producers[0].push(Command::Move { param: vocal, value: -((block % 5) as f32) }).unwrap();
        if block % 200 == 0 {
            built.command_producers[0].push(Command::Touch { param: ids[2], touched: block % 400 == 0 }).unwrap();
            let _ = built
                .automation
                .lanes
                .push(headroom::engine::automation::LaneSwap { param: vocal, lane: Some(lane(-3.0)) });
        }
        while built.automation.retired.pop().is_ok() {}
        while built.automation.records.pop().is_ok() {}
        if block % 50 == 0 {
            // Reroute Keys (engine channel 2) between DrumBus and the master.
            let bus = (block % 100 == 0).then_some(0);
            built.command_producers[0].push(Command::SetOutput { channel: 2, bus }).unwrap();
        }
        // Rolls, with a locate now and then and a stop.
        let frames = if block % 3 == 0 { 64 } else { 96 };
        let transport = Transport { frame, rolling: block % 300 < 280, late_frames: 0 };
        assert_no_alloc::assert_no_alloc(|| {
            built.engine.process(frames, transport, &mut io);
        });
        frame = if block % 250 == 0 { 1000 } else { frame + frames as u64 * transport.rolling as u64 };
        while loudness.pop().is_ok() {}
    }
    assert_eq!(assert_no_alloc::violation_count(), 0, "process() allocated");
}

#[test]
fn a_bus_that_asks_for_loudness_gets_its_own_meter_feed() {
    let doc = session(
        "
version: 1
name: t
strips:
  - {name: A, input: {ports: [x:a]}, output: G}
buses:
  - {name: G, kind: group, loudness: true}
  - {name: FX, kind: fx}
",
    );
    let mut built = build_engine(&doc, FS, 0).unwrap();
    let metered = built.engine.loudness_metered();
    let names: Vec<&str> = metered.iter().map(|(_, n)| n.as_str()).collect();
    assert_eq!(names, ["master", "G"]);
    let (master_tap, mut master_feed) = rtrb::RingBuffer::new(4096);
    let (bus_tap, mut bus_feed) = rtrb::RingBuffer::new(4096);
    built.engine.set_loudness_taps(vec![(metered[0].0, master_tap), (metered[1].0, bus_tap)]);
    let mut io = io(|_, _, _| 0.5);
    run(&mut built.engine, &mut io, 256, 64);
    let bus: Vec<f32> = std::iter::from_fn(|| bus_feed.pop().ok()).collect();
    let master: Vec<f32> = std::iter::from_fn(|| master_feed.pop().ok()).collect();
    assert_eq!(bus.len(), 512, "interleaved stereo, every frame");
    // The group passes the centred strip at unity, and the master passes the group at unity
    // (behind the look-ahead of its limiter, which is kept even when bypassed).
    assert!(bus.iter().all(|&x| (x - 0.5 * std::f32::consts::FRAC_1_SQRT_2).abs() < 1e-6));
    let latency = built.engine.latency_frames() * 2;
    assert_eq!(&bus[..bus.len() - latency], &master[latency..]);
}

#[test]
fn a_strips_meter_reads_at_its_meter_point_and_counts_samples_over_full_scale() {
    // A mono 1 kHz sine at -6 dBFS peak, trimmed +12 dB (over full scale inside the strip,
    // which a float path carries), faded to -20 dB and panned centre (-3 dB a side).
    let doc = session(
        "
version: 1
name: t
strips:
  - {name: A, input: {ports: [x:a]}, trim_db: 12, fader_db: -20, meter: input}
",
    );
    let mut built = build_engine(&doc, FS, 1).unwrap();
    let meter = built.params.lookup("strip.A.meter").unwrap();
    assert!(built.params.lookup("master.meter").is_err(), "the master always meters its outputs");
    let telemetry = built.telemetry.clone();
    let mut io = io(|_, _, f| sine(1000.0, 0.5, f));
    let mut peaks = headroom::engine::telemetry::PeakReader::default();
    let mut read = |built: &mut headroom::engine::Built, io: &mut TestIo<_>| {
        // A reader sees the window it last looked at again: the first window of the new
        // point (whole windows each time) is read once and left out.
        run(&mut built.engine, io, 256, 64);
        peaks.peaks(&telemetry, 0);
        run(&mut built.engine, io, 4864, 64);
        let [left, right] = peaks.peaks(&telemetry, 0);
        (20.0 * left.max(right).log10(), telemetry.channels[0].overs.load(std::sync::atomic::Ordering::Relaxed))
    };
    let (input_db, overs) = read(&mut built, &mut io);
    assert!((input_db + 6.02).abs() < 0.01, "input: {input_db}");
    assert_eq!(overs, 0, "nothing over full scale arrives");
    built.command_producers[0].push(Command::SetParam { param: meter, value: 1.0 }).unwrap();
    let (pre_db, overs) = read(&mut built, &mut io);
    assert!((pre_db - 5.98).abs() < 0.01, "pre-fader: {pre_db}");
    // The crest is 1.99 inside the strip: the samples of that period at or over full scale.
    let trim = 10f32.powf(12.0 / 20.0);
    let expected = (5120..10240).filter(|&f| (sine(1000.0, 0.5, f) * trim).abs() >= 1.0).count() as u64;
    assert!(expected > 2000 && overs.abs_diff(expected) <= 2, "{overs} samples over, {expected} expected");
    built.command_producers[0].push(Command::SetParam { param: meter, value: 2.0 }).unwrap();
    let (post_db, more) = read(&mut built, &mut io);
    assert!((post_db - (5.98 - 20.0 - 3.01)).abs() < 0.02, "post-fader: {post_db}");
    assert_eq!(more, overs, "after the fader nothing is over");
}

#[test]
fn insert_order_decides_whether_the_compressor_hears_the_eq() {
    // A +12 dB bell at 1 kHz before a hard compressor is squashed back; after it, it is not.
    let strip = |order: &str| {
        format!(
            "
version: 1
name: t
strips:
  - name: A
    input: {{ports: [x:a]}}
    eq: [{{}}, {{freq_hz: 1000, gain_db: 12, q: 1}}]
    comp: {{threshold_db: -30, ratio: 20, knee_db: 0, attack_ms: 1, release_ms: 50}}
    order: [{order}]
"
        )
    };
    let level_of = |order: &str| {
        let mut built = build_engine(&session(&strip(order)), FS, 0).unwrap();
        let mut io = io(|_, _, f| sine(1000.0, 0.1, f));
        run(&mut built.engine, &mut io, 24_000, 64);
        20.0 * rms(&io.left[12_000..]).log10()
    };
    let eq_first = level_of("eq, comp");
    let comp_first = level_of("comp, eq");
    // EQ first: the compressor holds the boosted tone near its threshold. Comp first: the
    // tone (-20 dBFS peak) is compressed, then boosted by the full 12 dB.
    assert!(comp_first - eq_first > 8.0, "comp→eq {comp_first:.1} dB vs eq→comp {eq_first:.1} dB");
}

#[test]
fn a_pre_fader_send_ignores_the_fader_but_follows_mute() {
    let doc = session(
        "
version: 1
name: t
strips:
  - {name: A, input: {ports: [x:a]}, fader_db: -inf, sends: [{bus: FX, level_db: 0, pre: true}]}
buses:
  - {name: FX, kind: fx}
",
    );
    let mut built = build_engine(&doc, FS, 1).unwrap();
    let mute = built.params.lookup("strip.A.mute").unwrap();
    let mut io = io(|_, _, _| 0.5);
    run(&mut built.engine, &mut io, 4800, 64);
    // Fader down, yet the FX bus hears the strip (mono, centred: -3 dB each side).
    assert!((io.left[4799] - 0.5 * std::f32::consts::FRAC_1_SQRT_2).abs() < 1e-6, "{}", io.left[4799]);
    built.command_producers[0].push(Command::SetParam { param: mute, value: 1.0 }).unwrap();
    run(&mut built.engine, &mut io, 4800, 64);
    assert_eq!(io.left[9599], 0.0, "mute silences the pre-fader send too");
}

#[test]
fn rerouting_crossfades_to_the_new_bus_and_solo_follows_the_new_route() {
    let mut built = build_engine(&session(TWO_STRIPS), FS, 1).unwrap();
    let lookup = |id: &str| built.params.lookup(id).unwrap();
    let (mute_b, group_fader, solo_group) = (lookup("strip.B.mute"), lookup("bus.G.fader"), lookup("bus.G.solo"));
    let ring = &mut built.command_producers[0];
    ring.push(Command::SetParam { param: mute_b, value: 1.0 }).unwrap();
    ring.push(Command::SetParam { param: group_fader, value: -6.0 }).unwrap();
    let mut io = io(|strip, _, _| if strip == 0 { 0.5 } else { 0.0 });
    run(&mut built.engine, &mut io, 4800, 64);
    let centre = 0.5 * std::f32::consts::FRAC_1_SQRT_2;
    let through_group = centre * 10f32.powf(-6.0 / 20.0);
    assert!((io.left[4799] - through_group).abs() < 1e-5, "A plays through G at -6 dB: {}", io.left[4799]);

    // Strip A (engine channel 0) straight to the master.
    built.command_producers[0].push(Command::SetOutput { channel: 0, bus: None }).unwrap();
    run(&mut built.engine, &mut io, 4800, 64);
    assert!((io.left[9599] - centre).abs() < 1e-5, "A plays direct: {}", io.left[9599]);
    let glide = &io.left[4800..9600];
    // (Rounding wobbles the last bits as the old path snaps to zero.)
    assert!(glide.windows(2).all(|w| w[1] >= w[0] - 1e-6), "the level moves over steadily, no dip or click");
    assert!(glide[0] < centre * 0.9, "and glides rather than jumps");

    // G no longer carries A: soloing G now silences A.
    built.command_producers[0].push(Command::SetParam { param: solo_group, value: 1.0 }).unwrap();
    run(&mut built.engine, &mut io, 4800, 64);
    assert_eq!(io.left[14_399], 0.0);
}

#[test]
fn a_route_or_a_send_that_would_loop_the_buses_is_refused() {
    let mut built = build_engine(&session(TWO_STRIPS), FS, 1).unwrap();
    let fx_to_group = built.params.lookup("bus.FX.send.G").unwrap();
    let mut io = io(|strip, _, _| if strip == 0 { 0.5 } else { 0.0 });
    // Engine channels: A, B, G, FX, master. G into FX is fine; FX back into G is not.
    let ring = &mut built.command_producers[0];
    ring.push(Command::SetOutput { channel: 2, bus: Some(1) }).unwrap();
    ring.push(Command::SetOutput { channel: 3, bus: Some(0) }).unwrap();
    ring.push(Command::SetParam { param: fx_to_group, value: 0.0 }).unwrap();
    run(&mut built.engine, &mut io, 4800, 64);
    // A → G → FX → master, once: neither loop was made.
    let expected = 0.5 * std::f32::consts::FRAC_1_SQRT_2;
    assert!((io.left[4799] - expected).abs() < 1e-5, "{}", io.left[4799]);
}

#[test]
fn every_strip_can_send_to_every_bus_from_minus_inf() {
    let mut built = build_engine(&session(TWO_STRIPS), FS, 1).unwrap();
    let send = built.params.lookup("strip.A.send.FX").unwrap();
    assert_eq!(built.values.get(send), built.params.spec(send).min, "a send the layout lacks starts silent");
    let mute_b = built.params.lookup("strip.B.mute").unwrap();
    built.command_producers[0].push(Command::SetParam { param: mute_b, value: 1.0 }).unwrap();
    built.command_producers[0].push(Command::SetParam { param: send, value: -6.0 }).unwrap();
    let mut io = io(|strip, _, _| if strip == 0 { 0.5 } else { 0.0 });
    run(&mut built.engine, &mut io, 4800, 64);
    // A through G, plus A's post-fader send into FX at -6 dB.
    let centre = 0.5 * std::f32::consts::FRAC_1_SQRT_2;
    let expected = centre * (1.0 + 10f32.powf(-6.0 / 20.0));
    assert!((io.left[4799] - expected).abs() < 1e-5, "{} vs {expected}", io.left[4799]);
}

#[test]
fn a_render_on_two_threads_equals_real_time_to_the_bit_for_any_grouping_of_the_strips() {
    use headroom::session::schema::Channels;
    // 37 full strips: groups of eight and a short last one, shared out between two threads.
    let doc = headroom::bench::full_session(37, 0, Channels::Stereo);
    let signal = |strip: usize, channel: usize, frame: u64| {
        sine(110.0 * (1 + strip % 7) as f32, 0.3, frame + channel as u64 * 17)
            * if strip.is_multiple_of(3) { 1.0 } else { 0.5 }
    };
    let frames = 48_000;
    let mut real_time = build_engine(&doc, FS, 0).unwrap().engine;
    let mut heard = io(signal);
    run(&mut real_time, &mut heard, frames, 256);
    let mut offline = build_engine(&doc, FS, 0).unwrap().engine;
    let mut rendered = io(signal);
    while rendered.left.len() < frames {
        offline.process_parallel(
            4096,
            Transport { frame: rendered.block_start, rolling: true, late_frames: 0 },
            &mut rendered,
        );
        rendered.block_start += 4096;
    }
    assert!(rms(&heard.left) > 0.01, "the mix is not silent");
    assert!(heard.left[..frames] == rendered.left[..frames] && heard.right[..frames] == rendered.right[..frames]);
}

#[test]
fn a_full_command_ring_is_refused_to_its_producer_and_drains_a_bounded_number_per_callback() {
    use headroom::engine::{COMMAND_RING_SIZE, COMMANDS_PER_RING};
    use std::sync::atomic::Ordering::Relaxed;
    let mut built = build_engine(&session(TWO_STRIPS), FS, 1).unwrap();
    let fader = built.params.lookup("strip.A.fader").unwrap();
    let ring = &mut built.command_producers[0];
    // A stalled engine: the ring fills, and the producer is told (the value comes back).
    for n in 0..COMMAND_RING_SIZE {
        ring.push(Command::SetParam { param: fader, value: -(n as f32) / 100.0 }).unwrap();
    }
    let refused = ring.push(Command::SetParam { param: fader, value: 5.0 });
    assert!(matches!(refused, Err(rtrb::PushError::Full(Command::SetParam { value: 5.0, .. }))));

    // Each callback takes its budget and leaves the rest, counted, for the next.
    let mut io = io(|_, _, _| 0.1);
    let telemetry = built.telemetry.clone();
    run(&mut built.engine, &mut io, 64, 64);
    assert_eq!(telemetry.commands.load(Relaxed), COMMANDS_PER_RING as u64);
    assert_eq!(telemetry.work_deferred.load(Relaxed), 1);
    let callbacks = COMMAND_RING_SIZE.div_ceil(COMMANDS_PER_RING);
    run(&mut built.engine, &mut io, 64 * (callbacks - 1), 64);
    assert_eq!(telemetry.commands.load(Relaxed), COMMAND_RING_SIZE as u64, "all applied, in order");
    assert_eq!(telemetry.work_deferred.load(Relaxed), callbacks as u64 - 1);
    assert_eq!(built.command_producers[0].slots(), COMMAND_RING_SIZE, "the ring is empty again");
}

#[test]
fn a_callback_works_the_routing_out_once_and_leaves_further_reroutes_for_the_next() {
    use std::sync::atomic::Ordering::Relaxed;
    let mut built = build_engine(&session(TWO_STRIPS), FS, 1).unwrap();
    let telemetry = built.telemetry.clone();
    for bus in [Some(0), None, Some(0)] {
        built.command_producers[0].push(Command::SetOutput { channel: 0, bus }).unwrap();
    }
    let mut io = io(|_, _, _| 0.1);
    for applied in 1..=3 {
        run(&mut built.engine, &mut io, 64, 64);
        assert_eq!(telemetry.commands.load(Relaxed), applied, "one reroute a callback");
    }
}

#[test]
fn automated_bus_sends_opening_together_rework_the_bus_order_once_a_callback_and_all_arrive() {
    use std::sync::atomic::Ordering::Relaxed;
    // A feeds bus S; S sends to three FX returns, each send's lane opening at frame 0 from -inf.
    let doc = session(
        "
version: 1
name: t
strips:
  - {name: A, input: {ports: [x:a]}, output: S}
buses:
  - {name: S, kind: group}
  - {name: F1, kind: fx}
  - {name: F2, kind: fx}
  - {name: F3, kind: fx}
",
    );
    let mut built = build_engine(&doc, FS, 1).unwrap();
    let telemetry = built.telemetry.clone();
    for fx in ["F1", "F2", "F3"] {
        let send = built.params.lookup(&format!("bus.S.send.{fx}")).unwrap();
        let lane = Lane::new(Shape::Linear, vec![Point { frame: 0, value: 0.0 }]);
        built.engine.automation_mut().install(send, Some(Box::new(lane)));
        built.command_producers[0].push(Command::SetMode { param: send, mode: Mode::Read }).unwrap();
    }
    let mut io = io(|_, _, _| 0.5);
    // Each callback opens one send and leaves the others for the next ones, counted in each of
    // its four automation segments (256 frames on a 64-frame grid) that had one waiting.
    for (callback, waiting) in [(1, 4), (2, 8), (3, 8)] {
        run(&mut built.engine, &mut io, 256, 256);
        assert_eq!(telemetry.work_deferred.load(Relaxed), waiting, "after callback {callback}");
    }
    // Once the reroute fades are over, all three returns are heard with S itself.
    run(&mut built.engine, &mut io, 9600, 256);
    let centre = 0.5 * std::f32::consts::FRAC_1_SQRT_2;
    let heard = *io.left.last().unwrap();
    assert!((heard - 4.0 * centre).abs() < 1e-4, "{heard} vs {}", 4.0 * centre);
}

#[test]
fn full_automation_rings_are_counted_lanes_swap_a_bounded_number_per_callback_and_none_is_freed_in_it() {
    use headroom::engine::automation::{LANE_RING, LANE_SWAPS_PER_CYCLE, LaneSwap};
    use std::sync::atomic::Ordering::Relaxed;
    let mut built = build_engine(&session(TWO_STRIPS), FS, 1).unwrap();
    let fader = built.params.lookup("strip.A.fader").unwrap();
    let lane = || Some(Box::new(Lane::new(Shape::Linear, vec![Point { frame: 0, value: -6.0 }])));
    let mut io = io(|_, _, _| 0.1);
    // The ring in is full after LANE_RING lanes: the next comes back to the recorder.
    for _ in 0..LANE_RING {
        built.automation.lanes.push(LaneSwap { param: fader, lane: lane() }).unwrap();
    }
    assert!(built.automation.lanes.push(LaneSwap { param: fader, lane: lane() }).is_err());
    // A callback swaps in its budget, each replacing the last; the old ones go back out.
    run(&mut built.engine, &mut io, 64, 64);
    assert_eq!(built.automation.lanes.slots(), LANE_SWAPS_PER_CYCLE);
    assert_eq!(built.automation.retired.slots(), LANE_SWAPS_PER_CYCLE - 1, "the first swap replaced no lane");
    // Nobody takes the old lanes back: once their ring is full, the rest are kept alive and counted.
    let callbacks = LANE_RING / LANE_SWAPS_PER_CYCLE;
    run(&mut built.engine, &mut io, 64 * (callbacks - 1), 64);
    assert_eq!(built.automation.retired.slots(), LANE_RING - 1);
    assert_eq!(built.telemetry.automation.lanes_leaked.load(Relaxed), 0, "none lost yet");
    for _ in 0..3 {
        built.automation.lanes.push(LaneSwap { param: fader, lane: lane() }).unwrap();
    }
    run(&mut built.engine, &mut io, 64, 64);
    assert_eq!(built.automation.retired.slots(), LANE_RING, "the ring back filled up");
    assert_eq!(built.telemetry.automation.lanes_leaked.load(Relaxed), 2, "the two that found it full");

    // A pass written while nobody reads the records: what does not fit is counted.
    built.command_producers[0].push(Command::SetMode { param: fader, mode: Mode::Write }).unwrap();
    built.command_producers[0].push(Command::WriteEnable(true)).unwrap();
    let capacity = built.automation.records.buffer().capacity();
    run(&mut built.engine, &mut io, 64 * (capacity + 500), 64);
    assert_eq!(built.automation.records.slots(), capacity, "the ring is full");
    assert!(built.telemetry.automation.record_overflows.load(Relaxed) >= 400, "writes past a full ring counted");
}

#[test]
fn a_command_ring_opened_while_the_engine_runs_is_read_from_the_next_callback() {
    let mut built = build_engine(&session(TWO_STRIPS), FS, 0).unwrap();
    let mut io = io(|_, _, _| 0.5);
    run(&mut built.engine, &mut io, 640, 64);
    let mute = built.params.lookup("strip.A.mute").unwrap();
    let mut late = built.rings.open("a surface plugged in later").unwrap();
    late.push(Command::SetParam { param: mute, value: 1.0 }).unwrap();
    run(&mut built.engine, &mut io, 640, 64);
    assert_eq!(built.telemetry.commands.load(std::sync::atomic::Ordering::Relaxed), 1);
    // Every producer can have one, up to what the engine reads; then the refusal names them.
    let opened =
        (1..headroom::engine::MAX_COMMAND_RINGS).filter(|n| built.rings.open(&format!("s{n}")).is_ok()).count();
    assert_eq!(opened, headroom::engine::MAX_COMMAND_RINGS - 1);
    let refused = built.rings.open("one too many").unwrap_err();
    assert!(refused.starts_with("no command ring left for one too many"), "{refused}");
}

#[test]
fn with_a_hardware_insert_every_other_path_is_delayed_to_line_up_and_buses_say_how_far_they_are_from_the_master() {
    // Gear's insert takes 300 frames (as measured before); Plain has none; Direct goes
    // straight to the master. An impulse on every strip must reach the master at one moment.
    let doc = session(
        "
version: 1
name: t
strips:
  - {name: ThroughGear, input: {ports: [x:a]}, output: Gear}
  - {name: ThroughPlain, input: {ports: [x:b]}, output: Plain}
  - {name: Direct, input: {ports: [x:c]}}
buses:
  - {name: Gear, kind: group, insert: {send: [y:in, y:in], return: [y:out, y:out], latency_frames: 300}}
  - {name: Plain, kind: group}
",
    );
    let mut built = build_engine(&doc, FS, 0).unwrap();
    // The insert's loop, played by hand between callbacks: what went out comes back 300 frames later.
    let mut wire: Vec<[f32; 2]> = vec![[0.0; 2]; 300];
    let mut io = io(|strip, _, f| if f == 1000 + 2000 * strip as u64 { 1.0 } else { 0.0 });
    for _ in 0..(8192 / 64) {
        let start = wire.len() - 300;
        for (_, insert) in built.engine.hardware_inserts_mut() {
            for i in 0..64 {
                insert.ret[0][i] = wire[start + i][0];
                insert.ret[1][i] = wire[start + i][1];
            }
        }
        run(&mut built.engine, &mut io, 64, 64);
        for (_, insert) in built.engine.hardware_inserts_mut() {
            wire.extend((0..64).map(|i| [insert.send[0][i], insert.send[1][i]]));
        }
    }
    let heard: Vec<usize> = io.left.iter().enumerate().filter(|(_, x)| x.abs() > 0.1).map(|(i, _)| i).collect();
    let latency = built.engine.latency_frames();
    assert_eq!(
        heard,
        [1000 + 300 + latency, 3000 + 300 + latency, 5000 + 300 + latency],
        "each 300 frames late, none apart"
    );
    let plain = built.telemetry.channels[3 + 1].to_master_frames.load(std::sync::atomic::Ordering::Relaxed);
    let gear = built.telemetry.channels[3].to_master_frames.load(std::sync::atomic::Ordering::Relaxed);
    assert_eq!((gear, plain), (0, 300), "a real-time print delays Plain's stem by 300 to line up, Gear's by none");
}
