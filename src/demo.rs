//! The bundled demo song, synthesised on first use: a minute of A-minor pop at
//! 120 bpm (i–VI–III–VII) as four stems: drums (stereo), bass (mono), keys
//! (stereo) and a lead (mono). Deterministic, so every machine hears, renders
//! and tests the same audio. Layouts refer to the stems as `@demo/<name>.wav`.

use std::f64::consts::TAU;
use std::path::{Path, PathBuf};

use crate::audio::wav::write_wav;

pub const STEMS: [&str; 4] = ["drums", "bass", "keys", "lead"];
const TEMPO_BPM: f64 = 120.0;
const BARS: usize = 30;
/// Bumped whenever the synthesis changes, so caches of older versions are not reused.
const VERSION: u32 = 1;
pub const PREFIX: &str = "@demo/";

/// Chord roots (MIDI notes) per bar of the 4-bar loop: A, F, C, G.
const ROOTS: [i32; 4] = [45, 41, 48, 43];
/// Chord tones above each root: minor for A, major for the rest.
const CHORDS: [[i32; 3]; 4] = [[0, 3, 7], [0, 4, 7], [0, 4, 7], [0, 4, 7]];
/// Lead melody per 4-bar phrase, (beat, MIDI note, beats long), A minor pentatonic.
const MELODY: [(f64, i32, f64); 14] = [
    (0.0, 76, 1.5),
    (1.5, 74, 0.5),
    (2.0, 72, 2.0),
    (4.0, 69, 1.0),
    (5.0, 72, 1.0),
    (6.0, 74, 2.0),
    (8.0, 76, 1.0),
    (9.0, 79, 1.0),
    (10.0, 76, 1.0),
    (11.0, 74, 1.0),
    (12.0, 72, 1.5),
    (13.5, 74, 0.5),
    (14.0, 71, 1.0),
    (15.0, 69, 1.0),
];

fn midi_hz(note: i32) -> f64 {
    440.0 * 2f64.powf((note - 69) as f64 / 12.0)
}

/// xorshift: the same noise on every machine.
struct Noise(u64);

impl Noise {
    fn next(&mut self) -> f64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 >> 11) as f64 / (1u64 << 53) as f64 * 2.0 - 1.0
    }
}

struct Song {
    rate: f64,
    frames: usize,
}

impl Song {
    fn beat_frames(&self) -> f64 {
        self.rate * 60.0 / TEMPO_BPM
    }

    /// `seconds` of `voice(t)`, t in seconds from the note start.
    fn render(&self, seconds: f64, voice: impl FnMut(f64) -> f64) -> Vec<f64> {
        (0..(seconds * self.rate) as usize).map(|i| i as f64 / self.rate).map(voice).collect()
    }

    /// Mixes `sound` into `out` at `beat`, scaled by `gain`.
    fn place(&self, out: &mut [f64], beat: f64, sound: &[f64], gain: f64) {
        let start = (beat * self.beat_frames()) as usize;
        for (o, s) in out.iter_mut().skip(start).zip(sound) {
            *o += s * gain;
        }
    }

    /// Renders `voice` for `seconds` and mixes it in at `beat`.
    fn add(&self, out: &mut [f64], beat: f64, seconds: f64, voice: impl FnMut(f64) -> f64) {
        let sound = self.render(seconds, voice);
        self.place(out, beat, &sound, 1.0);
    }
}

fn drums(song: &Song) -> [Vec<f64>; 2] {
    let (mut l, mut r) = (vec![0.0; song.frames], vec![0.0; song.frames]);
    let mut noise = Noise(0x5eed_d0c5);
    let kick = song.render(0.35, |t| {
        let freq = 50.0 + 110.0 * (-t * 30.0).exp();
        0.85 * (TAU * freq * t).sin() * (-t * 9.0).exp()
    });
    for bar in 0..BARS {
        let b = (bar * 4) as f64;
        for beat in [0.0, 1.5, 2.5] {
            song.place(&mut l, b + beat, &kick, 1.0);
            song.place(&mut r, b + beat, &kick, 1.0);
        }
        for beat in [1.0, 3.0] {
            let snare = song.render(0.25, |t| {
                0.45 * noise.next() * (-t * 18.0).exp() + 0.35 * (TAU * 190.0 * t).sin() * (-t * 25.0).exp()
            });
            song.place(&mut l, b + beat, &snare, 0.95);
            song.place(&mut r, b + beat, &snare, 1.0);
        }
        // Eighth-note hats, sixteenths in the last bar of every phrase; hats sit right of centre.
        let hats = if bar % 4 == 3 { 16 } else { 8 };
        for h in 0..hats {
            let accent = if h % 2 == 0 { 0.22 } else { 0.14 };
            let mut previous = 0.0;
            let hat = song.render(0.06, |t| {
                // First difference of white noise: a crude high-pass that leaves the sizzle.
                let n = noise.next();
                let sizzle = n - previous;
                previous = n;
                accent * sizzle * (-t * 70.0).exp()
            });
            let beat = b + h as f64 * 4.0 / hats as f64;
            song.place(&mut l, beat, &hat, 0.8);
            song.place(&mut r, beat, &hat, 1.0);
        }
    }
    [l, r]
}

fn bass(song: &Song) -> Vec<f64> {
    let mut out = vec![0.0; song.frames];
    let pattern = [(0.0, 0, 0.9), (1.0, 0, 0.4), (1.5, 12, 0.4), (2.5, 0, 0.4), (3.0, 7, 0.9)];
    for bar in 0..BARS {
        let root = ROOTS[bar % 4] - 12;
        for &(beat, interval, beats) in &pattern {
            let freq = midi_hz(root + interval);
            let seconds = beats * 60.0 / TEMPO_BPM;
            let mut lowpassed = 0.0;
            song.add(&mut out, (bar * 4) as f64 + beat, seconds, |t| {
                // Band-limited-ish saw (eight partials) through a one-pole low-pass.
                let saw: f64 = (1..=8).map(|k| (TAU * freq * k as f64 * t).sin() / k as f64).sum();
                lowpassed += (saw - lowpassed) * 0.25;
                let envelope = (t * 200.0).min(1.0) * (-t * 3.0).exp() * ((seconds - t) * 100.0).clamp(0.0, 1.0);
                0.32 * lowpassed * envelope
            });
        }
    }
    out
}

fn keys(song: &Song) -> [Vec<f64>; 2] {
    let (mut l, mut r) = (vec![0.0; song.frames], vec![0.0; song.frames]);
    for bar in 0..BARS {
        let root = ROOTS[bar % 4] + 12;
        for (beat, hold) in [(0.0, 1.5), (1.5, 1.0), (2.5, 1.5)] {
            for (v, &interval) in CHORDS[bar % 4].iter().enumerate() {
                let freq = midi_hz(root + interval);
                let seconds = hold * 60.0 / TEMPO_BPM;
                // Electric-piano-like: a sine with a decaying 2:1 FM bell; voices spread across the field.
                let voice = |t: f64| {
                    let index = 1.8 * (-t * 6.0).exp();
                    let env = (t * 400.0).min(1.0) * (-t * 2.2).exp() * ((seconds - t) * 60.0).clamp(0.0, 1.0);
                    0.11 * (TAU * freq * t + index * (TAU * 2.0 * freq * t).sin()).sin() * env
                };
                let spread = [0.8, 0.5, 0.2][v];
                let note = song.render(seconds, voice);
                song.place(&mut l, (bar * 4) as f64 + beat, &note, 1.0 - spread * 0.5);
                song.place(&mut r, (bar * 4) as f64 + beat, &note, 0.5 + spread * 0.5);
            }
        }
    }
    [l, r]
}

fn lead(song: &Song) -> Vec<f64> {
    let mut out = vec![0.0; song.frames];
    // The lead enters after the first 8 bars and rests in bars 20-23.
    for phrase in 2..BARS / 4 {
        if phrase == 5 {
            continue;
        }
        for &(beat, note, beats) in &MELODY {
            let freq = midi_hz(note);
            let seconds = beats * 60.0 / TEMPO_BPM;
            song.add(&mut out, (phrase * 16) as f64 + beat, seconds, |t| {
                let vibrato = 1.0 + 0.004 * (TAU * 5.5 * t).sin() * (t * 2.0).min(1.0);
                let phase = TAU * freq * vibrato * t;
                let tone = phase.sin() + 0.35 * (2.0 * phase).sin() + 0.15 * (3.0 * phase).sin();
                let env =
                    (t * 60.0).min(1.0) * (1.0 - 0.3 * (t * 2.0).min(1.0)) * ((seconds - t) * 40.0).clamp(0.0, 1.0);
                0.22 * tone * env
            });
        }
    }
    out
}

/// Where the demo stems for `sample_rate` live (`$XDG_CACHE_HOME/headroom/...`, else `~/.cache/headroom/...`).
pub fn cache_dir(sample_rate: u32) -> PathBuf {
    let base = std::env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")))
        .unwrap_or_else(std::env::temp_dir);
    base.join("headroom").join(format!("demo-v{VERSION}-{sample_rate}"))
}

/// Makes sure the demo stems exist at `sample_rate` and returns their folder.
/// Written into a temporary folder and renamed, so an interrupted run never leaves half a demo.
pub fn ensure_stems(sample_rate: u32) -> std::io::Result<PathBuf> {
    let dir = cache_dir(sample_rate);
    if dir.is_dir() {
        return Ok(dir);
    }
    let parent = dir.parent().expect("cache dir has a parent");
    std::fs::create_dir_all(parent)?;
    let tmp = parent.join(format!(".demo-{}-{}", sample_rate, std::process::id()));
    std::fs::create_dir_all(&tmp)?;
    write_stems(&tmp, sample_rate)?;
    match std::fs::rename(&tmp, &dir) {
        Ok(()) => Ok(dir),
        // Another process finished first: use its copy.
        Err(_) if dir.is_dir() => {
            let _ = std::fs::remove_dir_all(&tmp);
            Ok(dir)
        }
        Err(e) => Err(e),
    }
}

fn write_stems(dir: &Path, sample_rate: u32) -> std::io::Result<()> {
    let song =
        Song { rate: sample_rate as f64, frames: (BARS as f64 * 4.0 * 60.0 / TEMPO_BPM * sample_rate as f64) as usize };
    let io = |e: hound::Error| std::io::Error::other(e.to_string());
    let interleave =
        |l: &[f64], r: &[f64]| l.iter().zip(r).flat_map(|(a, b)| [*a as f32, *b as f32]).collect::<Vec<f32>>();
    let mono = |x: &[f64]| x.iter().map(|v| *v as f32).collect::<Vec<f32>>();
    let [dl, dr] = drums(&song);
    write_wav(&dir.join("drums.wav"), 2, sample_rate, 24, false, &interleave(&dl, &dr)).map_err(io)?;
    write_wav(&dir.join("bass.wav"), 1, sample_rate, 24, false, &mono(&bass(&song))).map_err(io)?;
    let [kl, kr] = keys(&song);
    write_wav(&dir.join("keys.wav"), 2, sample_rate, 24, false, &interleave(&kl, &kr)).map_err(io)?;
    write_wav(&dir.join("lead.wav"), 1, sample_rate, 24, false, &mono(&lead(&song))).map_err(io)?;
    Ok(())
}
