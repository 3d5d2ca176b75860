//! Offline rendering through the real engine: exact sums, determinism, and the
//! print without master processing.

use std::path::Path;

use headroom::audio::offline::{Format, RenderOptions, render, without_master_fx};
use headroom::audio::wav::write_wav;
use headroom::session::load::{self, Loaded};

fn options(length: Option<f64>) -> RenderOptions {
    RenderOptions {
        sample_rate: 48_000,
        format: Format::Float32,
        no_master_fx: false,
        tail_seconds: 0.0,
        length_seconds: length,
    }
}

fn read_f32(path: &Path) -> Vec<f32> {
    hound::WavReader::open(path).unwrap().into_samples::<f32>().map(Result::unwrap).collect()
}

fn noise(seed: u32, n: usize) -> Vec<f32> {
    let mut s = seed;
    (0..n)
        .map(|_| {
            s = s.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            ((s >> 8) as f32 / (1u32 << 24) as f32 - 0.5) * 0.6
        })
        .collect()
}

#[test]
fn unity_strips_render_to_the_exact_sum_of_their_stems() {
    let dir = tempfile::tempdir().unwrap();
    let frames = 30_000;
    let stereo = noise(1, frames * 2);
    let (mono_a, mono_b) = (noise(2, frames), noise(3, frames));
    write_wav(&dir.path().join("st.wav"), 2, 48_000, 32, true, &stereo).unwrap();
    write_wav(&dir.path().join("a.wav"), 1, 48_000, 32, true, &mono_a).unwrap();
    write_wav(&dir.path().join("b.wav"), 1, 48_000, 32, true, &mono_b).unwrap();
    // Mono strips at centre lose 3.01 dB to the pan law; their faders give it back.
    let compensate = 20.0 * std::f64::consts::SQRT_2.log10();
    let yaml = format!(
        "version: 1\nname: sum\nstrips:\n  - {{name: St, channels: stereo, input: {{file: st.wav}}}}\n  - {{name: A, input: {{file: a.wav}}, fader_db: {compensate}}}\n  - {{name: B, input: {{file: b.wav}}, fader_db: {compensate}}}\n"
    );
    std::fs::write(dir.path().join("sum.yaml"), yaml).unwrap();
    let loaded = load::load(&dir.path().join("sum.yaml")).unwrap();
    let out = dir.path().join("out.wav");
    let report = render(&loaded, &out, &options(None), &mut |_| {}).unwrap();
    assert_eq!(report.frames, frames as u64);
    let mix = read_f32(&out);
    assert_eq!(mix.len(), frames * 2);
    let mut worst = 0.0f32;
    for f in 0..frames {
        for ch in 0..2 {
            let expected = stereo[f * 2 + ch] + mono_a[f] + mono_b[f];
            worst = worst.max((mix[f * 2 + ch] - expected).abs());
        }
    }
    assert!(worst <= 1e-6, "largest difference {worst}");
}

fn demo() -> Loaded {
    load::load(Path::new("layouts/demo.yaml")).unwrap()
}

#[test]
fn two_renders_are_identical_to_the_byte() {
    let dir = tempfile::tempdir().unwrap();
    let loaded = demo();
    let opts = RenderOptions { format: Format::Int24, ..options(Some(8.0)) };
    render(&loaded, &dir.path().join("1.wav"), &opts, &mut |_| {}).unwrap();
    render(&loaded, &dir.path().join("2.wav"), &opts, &mut |_| {}).unwrap();
    let (a, b) = (std::fs::read(dir.path().join("1.wav")).unwrap(), std::fs::read(dir.path().join("2.wav")).unwrap());
    assert!(a.len() > 8 * 48_000 * 6);
    assert!(a == b, "renders differ");
}

#[test]
fn the_print_without_master_fx_differs_only_by_the_master_processing() {
    let dir = tempfile::tempdir().unwrap();
    let loaded = demo();
    let with_fx = dir.path().join("with.wav");
    let without_fx = dir.path().join("without.wav");
    let by_hand = dir.path().join("by-hand.wav");
    render(&loaded, &with_fx, &options(Some(6.0)), &mut |_| {}).unwrap();
    render(&loaded, &without_fx, &RenderOptions { no_master_fx: true, ..options(Some(6.0)) }, &mut |_| {}).unwrap();
    // The same session with the master's EQ, compressor and limiter taken out by hand.
    let mut stripped = loaded.doc.clone();
    stripped.master.eq.clear();
    stripped.master.comp = None;
    stripped.master.limiter = None;
    let hand = Loaded { doc: stripped, ..demo() };
    render(&hand, &by_hand, &options(Some(6.0)), &mut |_| {}).unwrap();
    let (with, without, hand) = (read_f32(&with_fx), read_f32(&without_fx), read_f32(&by_hand));
    assert_eq!(without, hand, "--no-master-fx must equal the mix with no master processing");
    assert_ne!(with, without);
    assert_eq!(with.len(), without.len(), "both prints line up");
    // The limited print respects its ceiling; the other may go above it.
    let ceiling = 10f32.powf(-1.0 / 20.0);
    assert!(with.iter().all(|x| x.abs() <= ceiling));
    let mut twice = without_master_fx(&loaded.doc);
    twice.master.bypass_processing();
    assert_eq!(twice, without_master_fx(&loaded.doc), "bypassing twice changes nothing");
}

#[test]
fn a_print_the_wav_format_or_the_disk_cannot_hold_is_refused_before_a_sample_is_written() {
    let demo = load::load(Path::new("layouts/demo.yaml")).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("long.wav");
    let mut opts = options(Some(1e12));
    let started = std::time::Instant::now();
    let err = render(&demo, &out, &opts, &mut |_| {}).unwrap_err().to_string();
    assert!(err.contains("GiB, and a WAV file holds at most 4 GiB"), "{err}");
    // 6 h 10 min of 32-bit stereo: past the 4 GiB a RIFF size can count (it would wrap).
    opts.length_seconds = Some(6.0 * 3600.0 + 600.0);
    let err = render(&demo, &out, &opts, &mut |_| {}).unwrap_err().to_string();
    assert!(err.contains("a print of 6:10:00.0 would be 7.94 GiB"), "{err}");
    assert!(started.elapsed() < std::time::Duration::from_secs(5), "refused before rendering");
    for bad in [f64::NAN, -1.0, 0.0, f64::INFINITY] {
        opts.length_seconds = Some(bad);
        let err = render(&demo, &out, &opts, &mut |_| {}).unwrap_err().to_string();
        assert!(err.starts_with("--length ") && err.contains("expected seconds, more than 0"), "{err}");
    }
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0, "nothing was written");

    // A real disk of 2 MB (a tmpfs; the tests run as root) cannot hold a minute of the demo.
    let disk = dir.path().join("disk");
    std::fs::create_dir(&disk).unwrap();
    let mounted =
        std::process::Command::new("mount").args(["-t", "tmpfs", "-o", "size=2m", "tmpfs"]).arg(&disk).status();
    assert!(mounted.unwrap().success(), "mounting a small tmpfs needs root (CI runs as root)");
    opts.length_seconds = Some(60.0);
    let err = render(&demo, &disk.join("mix.wav"), &opts, &mut |_| {}).unwrap_err().to_string();
    let count = std::fs::read_dir(&disk).unwrap().count();
    let _ = std::process::Command::new("umount").arg("-l").arg(&disk).status();
    assert!(err.contains("the print needs 23.0 MB and that disk has 2.1 MB free; nothing was written"), "{err}");
    assert_eq!(count, 0, "no partial file is left");
}

#[test]
fn an_integer_print_of_a_mix_over_full_scale_counts_the_samples_it_clipped() {
    let dir = tempfile::tempdir().unwrap();
    // A stereo 1 kHz sine at +3 dBFS (a float stem holds it), through a unity strip.
    let amp = 10f32.powf(3.0 / 20.0);
    let sine: Vec<f32> = (0..96_000)
        .flat_map(|n| {
            let x = amp * (n as f32 * std::f32::consts::TAU * 1000.0 / 48_000.0).sin();
            [x, x]
        })
        .collect();
    write_wav(&dir.path().join("hot.wav"), 2, 48_000, 32, true, &sine).unwrap();
    let yaml = "version: 1\nname: hot\nstrips:\n  - {name: Hot, channels: stereo, input: {file: hot.wav}}\n";
    std::fs::write(dir.path().join("hot.yaml"), yaml).unwrap();
    let loaded = load::load(&dir.path().join("hot.yaml")).unwrap();
    let float = render(&loaded, &dir.path().join("f32.wav"), &options(None), &mut |_| {}).unwrap();
    assert_eq!(float.clipped_samples, 0, "a float print keeps what is over full scale");
    let kept = read_f32(&dir.path().join("f32.wav"));
    let over =
        kept.iter().filter(|x| (**x as f64 * 8_388_608.0).round().abs() > 8_388_607.0 + f64::from(**x < 0.0)).count();
    assert!(over > 80_000, "{over} samples are over full scale");
    let mut opts = options(None);
    opts.format = Format::Int24;
    let int = render(&loaded, &dir.path().join("s24.wav"), &opts, &mut |_| {}).unwrap();
    assert_eq!(int.clipped_samples, over as u64, "every sample over full scale is counted");
    assert!((int.sample_peak_dbfs - 3.0).abs() < 0.01);
    // The command says so.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_headroom"))
        .args([
            "render",
            dir.path().join("hot.yaml").to_str().unwrap(),
            "-o",
            dir.path().join("cli.wav").to_str().unwrap(),
        ])
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(said.contains(&format!("cli.wav: {over} samples CLIPPED: it peaks at +3.00 dBFS and a 24-bit file cannot go over 0 dBFS; print with --format f32")), "{said}");
    assert!(said.contains("or pull the master down by 3.0 dB"), "{said}");
}

#[test]
fn the_limiter_ceiling_holds_whatever_the_master_fader_does() {
    let dir = tempfile::tempdir().unwrap();
    let sine: Vec<f32> = (0..96_000)
        .flat_map(|n| {
            let x = (n as f32 * std::f32::consts::TAU * 1000.0 / 48_000.0).sin();
            [x, x]
        })
        .collect();
    write_wav(&dir.path().join("full.wav"), 2, 48_000, 32, true, &sine).unwrap();
    // A 0 dBFS sine, the master fader 6 dB up, a brickwall at -1 dBFS.
    let yaml = "version: 1\nname: loud\nstrips:\n  - {name: S, channels: stereo, input: {file: full.wav}}\nmaster: {fader_db: 6, limiter: {ceiling_db: -1.0}}\n";
    std::fs::write(dir.path().join("loud.yaml"), yaml).unwrap();
    let loaded = load::load(&dir.path().join("loud.yaml")).unwrap();
    let out = dir.path().join("out.wav");
    let report = render(&loaded, &out, &options(None), &mut |_| {}).unwrap();
    let ceiling = 10f32.powf(-1.0 / 20.0);
    let over = read_f32(&out).iter().filter(|x| x.abs() > ceiling * 1.0001).count();
    assert_eq!(over, 0, "samples over the ceiling (peak {:.2} dBFS)", report.sample_peak_dbfs);
    assert!(
        (report.sample_peak_dbfs + 1.0).abs() < 0.05,
        "the print sits at the ceiling: {:.2}",
        report.sample_peak_dbfs
    );
}

#[test]
fn a_lane_on_the_master_fader_plays_at_the_same_frames_as_on_a_strip_fader() {
    let dir = tempfile::tempdir().unwrap();
    let tone: Vec<f32> = (0..96_000)
        .flat_map(|n| {
            let x = 0.5 * (n as f32 * std::f32::consts::TAU * 440.0 / 48_000.0).sin();
            [x, x]
        })
        .collect();
    write_wav(&dir.path().join("tone.wav"), 2, 48_000, 32, true, &tone).unwrap();
    let mut prints = Vec::new();
    for (name, id) in [("strip", "strip.S.fader"), ("master", "master.fader")] {
        let session = dir.path().join(name);
        std::fs::create_dir(&session).unwrap();
        let yaml = "version: 1\nname: a\nstrips:\n  - {name: S, channels: stereo, input: {file: ../tone.wav}}\n";
        std::fs::write(session.join("session.yaml"), yaml).unwrap();
        let lane = format!(
            "version: 1\nmodes:\n  {id}: read\npasses:\n  - id: 1\n    made: now\n    start: 0\n    end: 96000\n    writes:\n      {id}: [\"0 0, 48000 0, 48001 -20\"]\n"
        );
        std::fs::write(session.join("automation.yaml"), lane).unwrap();
        let loaded = load::load(&session).unwrap();
        let out = session.join("out.wav");
        render(&loaded, &out, &options(None), &mut |_| {}).unwrap();
        prints.push(read_f32(&out));
    }
    let worst = prints[0].iter().zip(&prints[1]).map(|(a, b)| (a - b).abs()).fold(0.0f32, f32::max);
    assert!(worst < 1e-6, "the master's lane plays apart from the strip's: differs by {worst}");
}

#[test]
fn a_render_starts_at_the_lanes_values_without_a_sweep_from_the_sessions() {
    // The fader sits at 0 dB in the session and its lane at -20 dB from the first frame: the
    // print's first sample is already 20 dB down, as real time plays it after standing there.
    let dir = tempfile::tempdir().unwrap();
    let dc = vec![0.5f32; 2 * 9_600];
    write_wav(&dir.path().join("dc.wav"), 2, 48_000, 32, true, &dc).unwrap();
    let session = dir.path().join("s");
    std::fs::create_dir(&session).unwrap();
    let yaml = "version: 1\nname: a\nstrips:\n  - {name: S, channels: stereo, input: {file: ../dc.wav}}\n";
    std::fs::write(session.join("session.yaml"), yaml).unwrap();
    let lane = "version: 1\nmodes:\n  strip.S.fader: read\npasses:\n  - id: 1\n    made: now\n    start: 0\n    end: 9600\n    writes:\n      strip.S.fader: [\"0 -20, 9600 -20\"]\n";
    std::fs::write(session.join("automation.yaml"), lane).unwrap();
    let out = session.join("out.wav");
    render(&load::load(&session).unwrap(), &out, &options(None), &mut |_| {}).unwrap();
    let print = read_f32(&out);
    let expected = 0.5 * 10f32.powf(-20.0 / 20.0);
    let worst = print.iter().map(|x| (x - expected).abs()).fold(0.0f32, f32::max);
    assert!(worst < 1e-6, "the print strays {worst} from the lane's level (first sample {})", print[0]);
}

/// Three strips through two groups and an FX return, with master processing that the
/// stems never see: the stems of the three buses sum to the print without master processing.
const THREE_BUSES: &str = "
version: 1
name: set
strips:
  - {name: Kick, input: {file: a.wav}, output: Drums, comp: {threshold_db: -20, ratio: 4}}
  - {name: Keys, channels: stereo, input: {file: st.wav}, output: Music, pan: 0.3}
  - {name: Vox, input: {file: b.wav}, output: Music, sends: [{bus: Verb, level_db: -6}]}
buses:
  - {name: Drums, kind: group, fader_db: -2}
  - {name: Music, kind: group, pan: -0.2}
  - {name: Verb, kind: fx, reverb: {}}
master:
  eq: [{gain_db: 3}]
  comp: {threshold_db: -12, ratio: 3}
  limiter: {ceiling_db: -1}
meters: {peak_target_db: [-10, -6]}
";

/// Renders of several files keep both cores busy for seconds: they wait for the JACK tests'
/// turn, so that no recording beside them misses periods for want of a core.
fn cores_to_itself() -> std::sync::MutexGuard<'static, ()> {
    super::jack::ONE_SERVER_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner())
}

fn three_bus_session(dir: &Path) -> Loaded {
    let frames = 48_000 * 3;
    write_wav(&dir.join("st.wav"), 2, 48_000, 32, true, &noise(1, frames * 2)).unwrap();
    write_wav(&dir.join("a.wav"), 1, 48_000, 32, true, &noise(2, frames)).unwrap();
    write_wav(&dir.join("b.wav"), 1, 48_000, 32, true, &noise(3, frames)).unwrap();
    std::fs::write(dir.join("set.yaml"), THREE_BUSES).unwrap();
    load::load(&dir.join("set.yaml")).unwrap()
}

#[test]
fn the_stems_of_every_bus_sum_to_the_print_without_master_processing_and_line_up_with_the_mix() {
    use headroom::audio::print_set::{choose_buses, render_set};
    let _cpu = cores_to_itself();
    let dir = tempfile::tempdir().unwrap();
    let loaded = three_bus_session(dir.path());
    let folder = dir.path().join("renders").join("set-1");
    std::fs::create_dir_all(folder.parent().unwrap()).unwrap();
    let buses = choose_buses(&loaded.doc, &["all".to_string()]).unwrap();
    let opts = RenderOptions { tail_seconds: 1.0, ..options(None) };
    let (printed, report) = render_set(&loaded, &folder, &buses, &opts, &mut |_| {}).unwrap();
    let names: Vec<String> =
        printed.iter().map(|p| p.path.file_name().unwrap().to_string_lossy().into_owned()).collect();
    assert_eq!(
        names,
        ["set-1.wav", "set-1-no-master-fx.wav", "set-1-stem-Drums.wav", "set-1-stem-Music.wav", "set-1-stem-Verb.wav"]
    );
    assert!(folder.join("set-1-report.txt").is_file() && !dir.path().join("renders/.set-1.partial").exists());
    let read = |name: &str| read_f32(&folder.join(name));
    let (mix, bare) = (read("set-1.wav"), read("set-1-no-master-fx.wav"));
    let stems: Vec<Vec<f32>> = names[2..].iter().map(|n| read(n)).collect();
    assert_eq!(mix.len(), 48_000 * 4 * 2, "stems plus the tail, interleaved");
    assert!(stems.iter().all(|s| s.len() == mix.len()) && bare.len() == mix.len());
    // The stems add up to what the master receives, which the bare master passes at unity.
    let worst = (0..mix.len())
        .map(|i| (stems.iter().map(|s| s[i] as f64).sum::<f64>() - bare[i] as f64).abs())
        .fold(0.0, f64::max);
    assert!(20.0 * worst.log10() <= -120.0, "the stems' sum is {:.1} dBFS off", 20.0 * worst.log10());
    assert!(stems.iter().all(|s| s.iter().any(|x| x.abs() > 0.01)), "every stem plays");
    // One pass or three: the mix and the bare copy are the prints `render` makes on its own.
    let alone = dir.path().join("alone.wav");
    render(&loaded, &alone, &opts, &mut |_| {}).unwrap();
    assert!(read_f32(&alone) == mix, "the set's mix is the plain print");
    render(
        &loaded,
        &alone.with_file_name("bare.wav"),
        &RenderOptions { no_master_fx: true, ..opts.clone() },
        &mut |_| {},
    )
    .unwrap();
    assert!(read_f32(&alone.with_file_name("bare.wav")) == bare, "the set's copy is --no-master-fx's");
    // The report lists every file and judges the two prints of the whole mix by the target.
    assert_eq!(report.lines().filter(|l| l.starts_with("set-1")).count(), 5, "{report}");
    let mix_peak = printed[0].report.sample_peak_dbfs;
    let verdict = headroom::audio::print_set::target_check(&loaded.doc, mix_peak);
    assert!(verdict.ends_with("in range of the session's peak target -10 .. -6 dBFS"), "{verdict}");
    assert!(report.contains(&format!("the mix: {verdict}")), "{report}");
}

#[test]
fn stems_of_a_bus_the_session_lacks_are_refused_naming_its_buses() {
    let dir = tempfile::tempdir().unwrap();
    let loaded = three_bus_session(dir.path());
    let err = headroom::audio::print_set::choose_buses(&loaded.doc, &["Drums".into(), "Strings".into()]).unwrap_err();
    assert_eq!(err.to_string(), "--stems: no bus \"Strings\"; the session's buses: Drums, Music, Verb (or all)");
    let two = headroom::audio::print_set::choose_buses(&loaded.doc, &["Verb".into(), "Drums".into()]).unwrap();
    assert_eq!(two, [0, 2], "in layout order");
}

#[test]
fn render_stems_on_the_command_line_makes_a_dated_folder_of_its_own_each_time() {
    let _cpu = cores_to_itself();
    let dir = tempfile::tempdir().unwrap();
    three_bus_session(dir.path());
    let run = || {
        std::process::Command::new(env!("CARGO_BIN_EXE_headroom"))
            .current_dir(dir.path())
            .args(["render", "set.yaml", "--stems", "Verb,Drums", "--length", "1"])
            .output()
            .unwrap()
    };
    let date = chrono::Local::now().format("%Y-%m-%d").to_string();
    for n in [1, 2] {
        let out = run();
        let said = String::from_utf8_lossy(&out.stdout);
        assert!(out.status.success(), "{said}{}", String::from_utf8_lossy(&out.stderr));
        let folder = dir.path().join(format!("renders/set-{date}-{n}"));
        assert!(said.starts_with(&format!("renders/set-{date}-{n}/: 4 files, 1.0 s at 48000 Hz")), "{said}");
        let mut files: Vec<String> = std::fs::read_dir(&folder)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        files.sort();
        let base = format!("set-{date}-{n}");
        assert_eq!(
            files,
            [
                format!("{base}-no-master-fx.wav"),
                format!("{base}-report.txt"),
                format!("{base}-stem-Drums.wav"),
                format!("{base}-stem-Verb.wav"),
                format!("{base}.wav")
            ]
        );
        let report = std::fs::read_to_string(folder.join(format!("{base}-report.txt"))).unwrap();
        assert!(said.contains(report.trim_end()), "the report printed is the report kept");
    }
    // With --no-master-fx the set would hold two copies of it: refused.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_headroom"))
        .current_dir(dir.path())
        .args(["render", "set.yaml", "--stems", "--no-master-fx"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("cannot be used with"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
