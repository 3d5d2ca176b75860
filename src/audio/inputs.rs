//! Opening the WAV stems a session's strips play, with every problem reported
//! at its place in the session file.

use std::path::PathBuf;

use super::wav::WavStem;
use crate::demo;
use crate::session::load::{Loaded, Problem};

/// The stems of a session, opened and checked, and which strip plays which.
#[derive(Debug)]
pub struct OpenedStems {
    pub stems: Vec<WavStem>,
    /// For each strip, the index of the stem it plays (None: JACK ports).
    pub strip_stem: Vec<Option<usize>>,
}

impl OpenedStems {
    /// Length of the longest stem in frames.
    pub fn longest_frames(&self) -> u64 {
        self.stems.iter().map(WavStem::frames).max().unwrap_or(0)
    }
}

/// Resolves a strip's file name: `@demo/x.wav` to the demo cache (synthesised on first use),
/// relative names against the session file's folder.
pub fn resolve(loaded: &Loaded, name: &str, sample_rate: u32) -> std::io::Result<PathBuf> {
    match name.strip_prefix(demo::PREFIX) {
        Some(stem) => Ok(demo::ensure_stems(sample_rate)?.join(stem)),
        None => Ok(loaded.base_dir.join(name)),
    }
}

/// Opens every strip's file at `sample_rate`. Either all open, or every problem is returned.
pub fn open_stems(loaded: &Loaded, sample_rate: u32) -> Result<OpenedStems, Vec<Problem>> {
    let mut problems = Vec::new();
    let mut stems = Vec::new();
    let mut strip_stem = Vec::new();
    for (i, strip) in loaded.doc.strips.iter().enumerate() {
        let Some(name) = strip.input.as_ref().and_then(|input| input.file.as_deref()) else {
            strip_stem.push(None);
            continue;
        };
        let at = format!("strips[{i}].input.file");
        let opened = resolve(loaded, name, sample_rate)
            .map_err(|e| format!("cannot prepare the demo stems: {e}"))
            .and_then(|path| WavStem::open(&path, sample_rate).map_err(|e| e.to_string()));
        match opened {
            Ok(stem) => {
                let strip_channels = strip.channels.map_or(1, |c| c.count());
                if stem.channels() > strip_channels {
                    problems.push(loaded.problem(
                        &at,
                        format!(
                            "{} is stereo but the strip is mono; add `channels: stereo` to the strip",
                            stem.path().display()
                        ),
                    ));
                }
                strip_stem.push(Some(stems.len()));
                stems.push(stem);
            }
            Err(message) => {
                problems.push(loaded.problem(&at, message));
                strip_stem.push(None);
            }
        }
    }
    if problems.is_empty() { Ok(OpenedStems { stems, strip_stem }) } else { Err(problems) }
}
