//! Property tests that throw mangled input at every reader of outside data: the YAML loaders
//! (sessions, controller maps, automation), the WAV header reader and the MIDI decoders. Each
//! starts from a real file and mutates it (bytes flipped, cut, repeated, inserted), so the
//! readers get past their first check; whatever comes in, they must answer without a panic,
//! in bounded time. A short run each time the suite runs; `PROPTEST_CASES=100000` runs longer.

use std::path::Path;

use proptest::prelude::*;

use headroom::control::midi::Decoder;
use headroom::session::load;

/// A mutation of `seed`: each edit replaces, removes, repeats or inserts a run of bytes.
fn mutated(seed: &'static [u8]) -> impl Strategy<Value = Vec<u8>> {
    let edit = (0..seed.len().max(1), 0usize..4, any::<u8>(), 1usize..40);
    prop::collection::vec(edit, 1..8).prop_map(move |edits| {
        let mut bytes = seed.to_vec();
        for (at, kind, byte, len) in edits {
            let at = at.min(bytes.len());
            let end = (at + len).min(bytes.len());
            match kind {
                0 => bytes[at..end].iter_mut().for_each(|b| *b ^= byte | 1),
                1 => drop(bytes.drain(at..end)),
                2 => {
                    let run: Vec<u8> = bytes[at..end].to_vec();
                    bytes.splice(at..at, run.iter().copied().cycle().take(run.len() * 8));
                }
                _ => bytes.splice(at..at, std::iter::repeat_n(byte, len)).for_each(drop),
            }
        }
        bytes
    })
}

const DEMO: &[u8] = include_bytes!("../../layouts/demo.yaml");
const BAND: &[u8] = include_bytes!("../../layouts/band-16.yaml");
const MACKIE: &[u8] = include_bytes!("../../controllers/mackie-control.yaml");
const NANO: &[u8] = include_bytes!("../../controllers/korg-nanokontrol2.yaml");
const AUTOMATION: &[u8] = b"version: 1
modes:
  strip.Drums.fader: touch
lanes:
  strip.Drums.fader: \"0 -4, 96000 -20\"
passes:
  - id: 1
    name: \"verse ride\"
    made: 2026-12-01 10:00:00
    start: 0
    end: 96000
    writes:
      strip.Drums.fader: [\"24000 -4, 96000 -20\", \"100000 -3\"]
    xruns: [48000]
";

/// 300 cases each in the suite; `PROPTEST_CASES` asks for more.
fn config() -> ProptestConfig {
    let cases = std::env::var("PROPTEST_CASES").ok().and_then(|n| n.parse().ok()).unwrap_or(300);
    ProptestConfig { cases, failure_persistence: None, ..ProptestConfig::default() }
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn a_mangled_session_is_read_or_refused_with_a_located_problem(bytes in prop_oneof![mutated(DEMO), mutated(BAND)]) {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("mangled.yaml");
        std::fs::write(&file, &bytes).unwrap();
        match load::load_all(&file) {
            Ok((_, problems)) => {
                for p in problems {
                    prop_assert!(p.line >= 1 && p.column >= 1, "{p}");
                }
            }
            Err(e) => prop_assert!(e.to_string().contains("mangled.yaml"), "{e}"),
        }
    }

    #[test]
    fn a_mangled_controller_map_is_read_or_refused(bytes in prop_oneof![mutated(MACKIE), mutated(NANO)]) {
        if let Ok(text) = String::from_utf8(bytes) {
            let _ = headroom::control::map::parse(&text, Path::new("mangled.yaml"));
        }
    }

    #[test]
    fn a_mangled_automation_file_is_read_or_refused(bytes in mutated(AUTOMATION)) {
        let doc = load::load(Path::new("layouts/demo.yaml")).unwrap().doc;
        let table = headroom::session::resolve::build_engine(&doc, 48_000.0, 0).unwrap().params;
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("automation.yaml");
        std::fs::write(&file, &bytes).unwrap();
        if let Ok(store) = headroom::automation::file::load(&file, &table) {
            // What loads, saves and loads back the same.
            headroom::automation::file::save(&file, &store, &table).unwrap();
            prop_assert_eq!(headroom::automation::file::load(&file, &table).unwrap(), store);
        }
    }

    #[test]
    fn a_mangled_wav_file_is_read_or_refused(bytes in mutated(&WAV), rate in prop_oneof![Just(48_000u32), Just(44_100)]) {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("stem.wav");
        std::fs::write(&file, &bytes).unwrap();
        if let Ok(mut stem) = headroom::audio::wav::WavStem::open(&file, rate) {
            let mut left = vec![0.0f32; 300];
            let mut right = vec![0.0f32; 300];
            for start in [0, stem.frames() / 2, stem.frames().saturating_sub(10), stem.frames() + 5] {
                let mut out: Vec<&mut [f32]> = vec![&mut left, &mut right];
                out.truncate(stem.channels());
                let _ = stem.read_planar(start, &mut out);
            }
        }
    }

    #[test]
    fn any_midi_byte_stream_cut_into_any_events_decodes_without_a_panic(
        events in prop::collection::vec(prop::collection::vec(any::<u8>(), 0..12), 0..200)
    ) {
        let mut decoder = Decoder::default();
        let mut count = 0usize;
        for event in &events {
            decoder.feed(event, |_| count += 1);
            decoder.end_of_event();
        }
        prop_assert!(count <= events.iter().map(Vec::len).sum::<usize>());
    }
}

/// A real 16-bit stereo WAV file of 400 frames, written by hound, as the seed of the WAV cases.
static WAV: std::sync::LazyLock<&'static [u8]> = std::sync::LazyLock::new(|| {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("seed.wav");
    let samples: Vec<f32> = (0..800).map(|i| ((i as f32) * 0.05).sin() * 0.5).collect();
    headroom::audio::wav::write_wav(&path, 2, 48_000, 16, false, &samples).unwrap();
    Vec::leak(std::fs::read(path).unwrap())
});
