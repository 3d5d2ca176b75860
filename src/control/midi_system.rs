//! Opening midir's MIDI clients, after making sure the MIDI system is there. Without an
//! ALSA sequencer, libasound prints its own error straight onto the terminal, over the
//! console, each time a client is asked for; so the ALSA build looks at the sequencer's
//! device first and asks midir only once it opens.

use std::path::Path;

/// The ALSA sequencer's device, which midir's ALSA backend opens.
#[cfg(not(feature = "midi-jack"))]
const ALSA_SEQUENCER: &str = "/dev/snd/seq";

/// A MIDI input client named `name`.
pub fn input(name: &str) -> Result<midir::MidiInput, String> {
    system_ready()?;
    midir::MidiInput::new(name).map_err(|e| format!("MIDI: {e}"))
}

/// A MIDI output client named `name`.
pub fn output(name: &str) -> Result<midir::MidiOutput, String> {
    system_ready()?;
    midir::MidiOutput::new(name).map_err(|e| format!("MIDI: {e}"))
}

#[cfg(not(feature = "midi-jack"))]
fn system_ready() -> Result<(), String> {
    sequencer_opens(Path::new(ALSA_SEQUENCER))
}

/// The JACK backend needs only the JACK server, which midir reports on itself.
#[cfg(feature = "midi-jack")]
fn system_ready() -> Result<(), String> {
    Ok(())
}

/// Whether the sequencer device at `device` opens for reading and writing, and if not, why
/// and what to do about it.
pub fn sequencer_opens(device: &Path) -> Result<(), String> {
    match std::fs::OpenOptions::new().read(true).write(true).open(device) {
        Ok(_) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Err(format!(
            "MIDI: no ALSA sequencer ({} is missing): load it with `modprobe snd-seq`, \
             or build headroom with `--features midi-jack` for JACK MIDI",
            device.display()
        )),
        Err(e) => Err(format!("MIDI: cannot open the ALSA sequencer {}: {e}", device.display())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_sequencer_is_named_with_what_to_do() {
        let dir = tempfile::tempdir().unwrap();
        let why = sequencer_opens(&dir.path().join("seq")).unwrap_err();
        assert!(why.contains("seq is missing") && why.contains("modprobe snd-seq"), "{why}");
        assert!(why.contains("--features midi-jack"), "{why}");
        let present = dir.path().join("present");
        std::fs::write(&present, b"").unwrap();
        assert_eq!(sequencer_opens(&present), Ok(()));
    }
}
