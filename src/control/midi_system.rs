//! Opening midir's MIDI clients, after making sure the MIDI system is there. Without an
//! ALSA sequencer, libasound prints its own error straight onto the terminal, over the
//! console, each time a client is asked for; so the ALSA build looks at the sequencer's
//! device first and asks midir only once it opens.

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

/// midir's JACK backend makes JACK clients, which die with their server. Closing one whose
/// server is gone crashes inside libjack (it unregisters ports of a client with no server).
const CLIENTS_DIE_WITH_JACK: bool = cfg!(feature = "midi-jack");

/// A MIDI client or connection, with the count of JACK server losses when it was opened
/// (`jack_backend` counts them). Dropped after a loss, a JACK MIDI one is left as it is,
/// not closed: a few kilobytes kept for each server restart, instead of a crash.
pub struct OnServer<T> {
    inner: Option<T>,
    /// Its server is known to be gone.
    abandoned: bool,
    losses_when_opened: u32,
    losses: Arc<AtomicU32>,
}

impl<T> OnServer<T> {
    pub fn new(inner: T, losses: &Arc<AtomicU32>) -> Self {
        OnServer {
            inner: Some(inner),
            abandoned: false,
            losses_when_opened: losses.load(Ordering::Relaxed),
            losses: losses.clone(),
        }
    }

    /// Its JACK server went away since it was opened (never, on ALSA).
    pub fn outlived_its_server(&self) -> bool {
        CLIENTS_DIE_WITH_JACK && (self.abandoned || self.losses.load(Ordering::Relaxed) != self.losses_when_opened)
    }

    /// Its server is gone (seen before the loss was counted): it is not to be closed.
    pub fn abandon(&mut self) {
        self.abandoned = true;
    }
}

impl<T> std::ops::Deref for OnServer<T> {
    type Target = T;
    fn deref(&self) -> &T {
        self.inner.as_ref().expect("only taken on drop")
    }
}

impl<T> std::ops::DerefMut for OnServer<T> {
    fn deref_mut(&mut self) -> &mut T {
        self.inner.as_mut().expect("only taken on drop")
    }
}

impl<T> Drop for OnServer<T> {
    fn drop(&mut self) {
        if self.outlived_its_server() {
            std::mem::forget(self.inner.take());
        }
    }
}

/// A warning for a surface that uses SysEx, when MIDI goes through a PipeWire JACK that
/// garbles it (see `jack_library::sysex_caveat`); never on ALSA MIDI.
pub fn sysex_caveat() -> Option<String> {
    use crate::audio::jack_library;
    CLIENTS_DIE_WITH_JACK.then(jack_library::pipewire_version).flatten().and_then(|v| jack_library::sysex_caveat(&v))
}

/// Whether the JACK server under `scanner` died, judged by a port of ours it should list:
/// a live server lists the input port of every connection still open, a dead one lists
/// nothing. Never, on ALSA, whose ports do not go with the JACK server.
pub fn server_died(scanner: &midir::MidiOutput, own_port_prefix: &str) -> bool {
    CLIENTS_DIE_WITH_JACK
        && !scanner.ports().iter().filter_map(|p| scanner.port_name(p).ok()).any(|n| n.starts_with(own_port_prefix))
}

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
