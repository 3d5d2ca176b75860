//! Which JACK headroom runs on: JACK2's own library, or PipeWire's stand-in for it (which
//! names devices differently and, in some versions, mangles SysEx over JACK MIDI).

use std::ffi::{CStr, c_char};

/// PipeWire's release, when its libjack is the one loaded (asked of libpipewire itself,
/// which its libjack brings in); None on JACK2, or before any JACK client was opened.
pub fn pipewire_version() -> Option<String> {
    // SAFETY: RTLD_NOLOAD only looks for a library already in the process, loading nothing;
    // pw_get_library_version takes nothing and returns a static C string.
    unsafe {
        let library = libc::dlopen(c"libpipewire-0.3.so.0".as_ptr(), libc::RTLD_NOW | libc::RTLD_NOLOAD);
        if library.is_null() {
            return None;
        }
        let symbol = libc::dlsym(library, c"pw_get_library_version".as_ptr());
        let version = (!symbol.is_null()).then(|| {
            let get: extern "C" fn() -> *const c_char = std::mem::transmute(symbol);
            CStr::from_ptr(get()).to_string_lossy().into_owned()
        });
        libc::dlclose(library);
        version
    }
}

/// The server as `headroom ports` and the start-up line name it.
pub fn describe(pipewire: Option<&str>) -> String {
    match pipewire {
        Some(version) => format!("PipeWire {version} (its JACK)"),
        None => "JACK".to_string(),
    }
}

/// What to tell the user of a surface that needs SysEx (Mackie LCDs, FaderPort scribble
/// strips) over JACK MIDI on PipeWire `version`: Ardour reports SysEx over PipeWire's JACK
/// MIDI as unreliable in 1.1 to 1.5.
pub fn sysex_caveat(version: &str) -> Option<String> {
    let mut parts = version.split('.').map(|p| p.parse::<u32>().ok());
    let (major, minor) = (parts.next()??, parts.next()??);
    (major == 1 && (1..=5).contains(&minor)).then(|| {
        format!(
            "PipeWire {version}'s JACK MIDI is known to garble SysEx, which this surface's displays use: \
             if its LCD or scribble strips stay blank or show garbage, use the ALSA MIDI build of headroom \
             (the default, without --features midi-jack), or PipeWire 1.6 or later"
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sysex_caveat_is_for_the_pipewire_releases_that_garble_it() {
        for affected in ["1.1.0", "1.2.7", "1.4.9", "1.5.81"] {
            let caveat = sysex_caveat(affected).unwrap_or_else(|| panic!("{affected} is affected"));
            assert!(caveat.contains(affected) && caveat.contains("ALSA MIDI build"), "{caveat}");
        }
        for fine in ["0.3.65", "1.0.5", "1.6.0", "2.0.1", "garbage"] {
            assert_eq!(sysex_caveat(fine), None, "{fine}");
        }
    }

    #[test]
    fn on_a_machine_without_pipewire_the_jack_is_jack2s() {
        // These machines have JACK2 only: no libpipewire is in the process.
        assert_eq!(pipewire_version(), None);
        assert_eq!(describe(None), "JACK");
        assert_eq!(describe(Some("1.4.2")), "PipeWire 1.4.2 (its JACK)");
    }
}
