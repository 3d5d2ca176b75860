//! MIDI learn: the console names a control on screen, the next thing moved on any
//! surface is bound to it. Bindings go to a user map per device
//! (`~/.config/headroom/controllers/<device>.yaml`), never to a shipped map, keyed by
//! MIDI channel and message, and are laid over the device's map whenever it connects.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, PoisonError};

use serde::Serialize;

use super::map::{self, ControlDoc, ControllerMap, Message, Numbers};
use super::surface::Binding;
use super::targets::StripControl;
use crate::engine::params::ParamIndex;

/// What the console wants bound.
#[derive(Clone, Debug, PartialEq)]
pub struct LearnRequest {
    /// The engine channel whose control it is.
    pub channel: usize,
    pub param: ParamIndex,
    /// The parameter's session id (`strip.Bass.send.Room`).
    pub param_id: String,
    /// A strip control (fader, pan, mute, solo...): bound relative to the surface's bank
    /// when the strip is on it. `None`: any other parameter, bound by its id.
    pub control: Option<StripControl>,
    /// A switch: a button (note) may take it. A value needs a fader, knob or wheel.
    pub switch: bool,
}

/// The request waiting for a control to move, shared by the console and every surface.
#[derive(Default)]
pub struct Learn {
    armed: AtomicBool,
    request: Mutex<Option<LearnRequest>>,
}

impl Learn {
    pub fn arm(&self, request: LearnRequest) {
        *self.request.lock().unwrap_or_else(PoisonError::into_inner) = Some(request);
        self.armed.store(true, Ordering::Release);
    }

    pub fn cancel(&self) {
        self.armed.store(false, Ordering::Release);
        self.request.lock().unwrap_or_else(PoisonError::into_inner).take();
    }

    /// Whether a request waits (a cheap look for the MIDI callbacks).
    pub fn armed(&self) -> bool {
        self.armed.load(Ordering::Acquire)
    }

    /// The binding for a moved control, taking the request if `message` can serve it.
    pub fn take(&self, binding: &Binding, channel: u8, message: Message) -> Option<ControlDoc> {
        let mut slot = self.request.lock().unwrap_or_else(PoisonError::into_inner);
        let request = slot.as_ref()?;
        // A button cannot move a fader; anything that moves can work a switch.
        if matches!(message, Message::Note(_)) && !request.switch {
            return None;
        }
        let doc = control_doc(request, binding, channel, message);
        slot.take();
        self.armed.store(false, Ordering::Release);
        Some(doc)
    }
}

/// The map entry for `message` (on MIDI channel `channel`, 0-15) working `request`.
fn control_doc(request: &LearnRequest, binding: &Binding, channel: u8, message: Message) -> ControlDoc {
    let name = |control: StripControl| match control {
        StripControl::Fader => "fader",
        StripControl::Pan => "pan",
        StripControl::Mute => "mute",
        StripControl::Solo => "solo",
        StripControl::SoloSafe => "solo_safe",
        StripControl::Select => "select",
        StripControl::Touch => "touch",
    };
    let first = binding.first_shown();
    let target = match request.control {
        Some(control) if request.channel == binding.master() => format!("master.{}", name(control)),
        Some(control) if (first..first + binding.strips()).contains(&request.channel) => {
            format!("strip.{}.{}", request.channel - first + 1, name(control))
        }
        _ => format!("param.{}", request.param_id),
    };
    let mut doc = ControlDoc { target, ..ControlDoc::default() };
    match message {
        Message::Cc(n) => doc.cc = Some(Numbers::One(n as u16)),
        Message::Cc14(n) => doc.cc14 = Some(Numbers::One(n as u16)),
        Message::Note(n) => doc.note = Some(Numbers::One(n as u16)),
        Message::Nrpn(n) => doc.nrpn = Some(Numbers::One(n)),
        Message::PitchBend => doc.pitchbend = Some(Numbers::One(channel as u16 + 1)),
    }
    if message != Message::PitchBend {
        doc.channel = Some(channel + 1);
    }
    doc
}

/// How a learned binding reads in a message: `CC 7 on channel 1 → strip.2.fader`.
pub fn describe(doc: &ControlDoc) -> String {
    let number = |n: &Option<Numbers>| match n {
        Some(Numbers::One(n)) => n.to_string(),
        _ => "?".into(),
    };
    let message = if doc.cc.is_some() {
        format!("CC {}", number(&doc.cc))
    } else if doc.note.is_some() {
        format!("note {}", number(&doc.note))
    } else if doc.pitchbend.is_some() {
        "pitch bend".into()
    } else {
        "a control".into()
    };
    let channel = doc.channel.map(|c| c.to_string()).unwrap_or_else(|| number(&doc.pitchbend));
    format!("{message} on channel {channel} → {}", doc.target)
}

/// Where a device's learned bindings live.
pub fn user_map_path(device: &str) -> Option<PathBuf> {
    let base = std::env::var_os("XDG_CONFIG_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| Path::new(&h).join(".config")))?;
    let slug: String = device
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c.to_ascii_lowercase() } else { '-' })
        .collect::<String>()
        .split('-')
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join("-");
    Some(base.join("headroom").join("controllers").join(format!("{slug}.yaml")))
}

/// The device's map with its learned bindings laid over it. A user map that does not
/// load is reported and left out: the device still works as shipped.
pub fn with_user_bindings(mut map: ControllerMap) -> (ControllerMap, Option<String>) {
    let Some(path) = user_map_path(&map.device).filter(|p| p.exists()) else { return (map, None) };
    match map::load_docs(&path) {
        Ok(docs) => {
            docs.iter().for_each(|doc| map.bind(doc));
            (map, None)
        }
        Err(e) => (map, Some(format!("{e} (learned bindings left out)"))),
    }
}

#[derive(Serialize)]
struct UserMap<'a> {
    device: &'a str,
    #[serde(rename = "match")]
    port_match: &'a str,
    controls: Vec<ControlDoc>,
}

/// Adds a learned binding to the device's user map (replacing one on the same channel and
/// message) and writes it atomically; returns the file.
pub fn save(map: &ControllerMap, learned: &ControlDoc) -> Result<PathBuf, String> {
    let path = user_map_path(&map.device).ok_or("no home folder to keep learned bindings in")?;
    let mut controls = if path.exists() { map::load_docs(&path).map_err(|e| e.to_string())? } else { Vec::new() };
    let key = |doc: &ControlDoc| (doc.channel, doc.cc.clone(), doc.note.clone(), doc.pitchbend.clone());
    controls.retain(|doc| key(doc) != key(learned));
    controls.push(learned.clone());
    let doc = UserMap { device: &map.device, port_match: &map.port_match, controls };
    let yaml = crate::session::load::to_yaml_of(&doc);
    let text = format!(
        "# Bindings learned in headroom's console for {}, laid over its map when it connects.\n# Edit freely (`headroom check` this file); learning again rewrites it.\n{yaml}",
        map.device
    );
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    }
    crate::files::write::atomic(&path, text.as_bytes()).map_err(|e| format!("{}: {e}", path.display()))?;
    Ok(path)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::control::surface::BankGroup;
    use crate::control::targets::Target;
    use crate::session::load;
    use crate::session::resolve::build_engine;
    use std::sync::Arc;
    use std::sync::atomic::AtomicUsize;

    #[test]
    fn a_learned_control_binds_by_bank_slot_or_id_and_is_kept_per_device_channel_and_message() {
        let doc = load::load(Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/layouts/demo.yaml"))).unwrap().doc;
        let built = build_engine(&doc, 48_000.0, 0).unwrap();
        let table = built.params;
        let map = map::blank("Learn Box");
        let binding = Binding::new(&map, &table, BankGroup::new(8), 0, Arc::new(AtomicUsize::new(0)));
        let learn = Learn::default();
        let request = |id: &str, control| LearnRequest {
            channel: table.spec(table.lookup(id).unwrap()).owner,
            param: table.lookup(id).unwrap(),
            param_id: id.into(),
            control,
            switch: id.ends_with("mute"),
        };
        // Bass's fader (strip 2 of the bank) from CC 7 on channel 3: a bank-relative binding.
        learn.arm(request("strip.Bass.fader", Some(StripControl::Fader)));
        assert!(learn.take(&binding, 0, Message::Note(5)).is_none(), "a button cannot move a fader");
        assert!(learn.armed());
        let fader = learn.take(&binding, 2, Message::Cc(7)).unwrap();
        assert!(!learn.armed());
        assert_eq!(describe(&fader), "CC 7 on channel 3 → strip.2.fader");
        // A send level has no bank-relative target: bound by its id.
        learn.arm(request("strip.Lead.send.Room", None));
        let send = learn.take(&binding, 0, Message::PitchBend).unwrap();
        assert_eq!(describe(&send), "pitch bend on channel 1 → param.strip.Lead.send.Room");

        let home = tempfile::tempdir().unwrap();
        // SAFETY: the only test that reads or writes this variable.
        unsafe { std::env::set_var("XDG_CONFIG_HOME", home.path()) };
        let file = save(&map, &fader).unwrap();
        assert_eq!(file, home.path().join("headroom/controllers/learn-box.yaml"));
        save(&map, &send).unwrap();
        // The same message learned again replaces the first binding.
        learn.arm(request("strip.Bass.mute", Some(StripControl::Mute)));
        save(&map, &learn.take(&binding, 2, Message::Cc(7)).unwrap()).unwrap();
        let (merged, problem) = with_user_bindings(map::blank("Learn Box"));
        assert_eq!(problem, None);
        let targets: Vec<Target> = merged.controls.iter().map(|c| c.target).collect();
        assert_eq!(
            targets,
            [Target::Param("strip.Lead.send.Room"), Target::Strip { slot: 1, control: StripControl::Mute }]
        );
        assert!(map::is_controller_map(&file), "the user map is a map `headroom check` reads");
    }
}
