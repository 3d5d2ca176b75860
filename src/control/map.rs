//! Controller maps: one YAML file a device (`controllers/*.yaml`), saying how to
//! find its ports, which protocol it speaks, and for a generic device what each
//! control sends and what it moves. Checked like a layout: every problem with
//! file, line, column, YAML path and what was expected.
//!
//! ```yaml
//! device: Korg nanoKONTROL2
//! match: nanoKONTROL2            # part of the MIDI port name, any case
//! protocol: generic
//! controls:
//!   - {target: strip.N.fader, cc: [0, 1, 2, 3, 4, 5, 6, 7]}   # a list: strips 1, 2, 3...
//!   - {target: transport.play, cc: 41}
//! ```

use std::path::{Path, PathBuf};

pub mod doc;

pub use doc::*;

use super::mackie;
use super::targets::{self, StripControl, Target, is_button};
use crate::session::load::{LoadError, parse_with};
use crate::session::validate::Finding;

/// Maps shipped with headroom, built into the binary so they are found from anywhere.
pub const SHIPPED: &[(&str, &str)] = &[
    ("akai-midimix", include_str!("../../controllers/akai-midimix.yaml")),
    ("behringer-bcf2000", include_str!("../../controllers/behringer-bcf2000.yaml")),
    ("behringer-bcf2000-mcu", include_str!("../../controllers/behringer-bcf2000-mcu.yaml")),
    ("behringer-x-touch", include_str!("../../controllers/behringer-x-touch.yaml")),
    ("behringer-x-touch-compact", include_str!("../../controllers/behringer-x-touch-compact.yaml")),
    ("behringer-x-touch-compact-mcu", include_str!("../../controllers/behringer-x-touch-compact-mcu.yaml")),
    ("behringer-x-touch-mini", include_str!("../../controllers/behringer-x-touch-mini.yaml")),
    ("behringer-x-touch-mini-mcu", include_str!("../../controllers/behringer-x-touch-mini-mcu.yaml")),
    ("icon-platform-m-plus", include_str!("../../controllers/icon-platform-m-plus.yaml")),
    ("korg-nanokontrol2", include_str!("../../controllers/korg-nanokontrol2.yaml")),
    ("mackie-control", include_str!("../../controllers/mackie-control.yaml")),
    ("mackie-extender", include_str!("../../controllers/mackie-extender.yaml")),
    ("novation-launch-control-xl", include_str!("../../controllers/novation-launch-control-xl.yaml")),
    ("presonus-faderport16-mcu", include_str!("../../controllers/presonus-faderport16-mcu.yaml")),
    ("presonus-faderport8", include_str!("../../controllers/presonus-faderport8.yaml")),
];

/// One control of a map, for one strip.
#[derive(Clone, Debug, PartialEq)]
pub struct Control {
    pub target: Target,
    pub message: Message,
    /// 0-15.
    pub channel: u8,
    pub encoding: Encoding,
    pub button: ButtonMode,
    pub curve: Curve,
    pub range: (u16, u16),
    pub takeover: Takeover,
    pub feedback: bool,
    pub led: [u8; 2],
    pub ring: Option<Ring>,
    /// The note that lights its LED, when not its own message.
    pub led_note: Option<u8>,
}

/// Where a knob's position is shown: a CC (on the control's channel) over a range of values.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Ring {
    pub cc: u8,
    pub low: u8,
    pub high: u8,
}

/// A checked map, ready to bind.
#[derive(Clone, Debug, PartialEq)]
pub struct ControllerMap {
    pub device: String,
    pub port_match: String,
    pub protocol: Protocol,
    pub motorized: bool,
    pub strips: u16,
    /// MIDI channel (1-16) of controls that do not give one.
    pub channel: u8,
    pub init: Vec<Vec<u8>>,
    pub unverified: Vec<String>,
    pub controls: Vec<Control>,
    /// Mackie Control units: what this one has.
    pub mackie: Option<MackieDoc>,
    pub presonus: Option<PresonusDoc>,
    /// Where it came from (a file, or `shipped:<name>`), for messages.
    pub source: PathBuf,
}

/// Reads and checks a map file.
pub fn load(path: &Path) -> Result<ControllerMap, LoadError> {
    let text = crate::session::load::read_text(path)?;
    parse(&text, path)
}

/// The controls of a map file, checked (for laying learned bindings over another map).
pub fn load_docs(path: &Path) -> Result<Vec<ControlDoc>, LoadError> {
    let text = crate::session::load::read_text(path)?;
    Ok(parse_with(&text, path, check)?.0.controls)
}

/// Whether a file is a controller map rather than a layout: it says which device it is for.
pub fn is_controller_map(file: &Path) -> bool {
    crate::session::load::read_text(file).is_ok_and(|text| text.lines().any(|l| l.starts_with("device:")))
}

/// Checks map text; `file` names it in messages.
pub fn parse(text: &str, file: &Path) -> Result<ControllerMap, LoadError> {
    let (doc, _) = parse_with(text, file, check)?;
    Ok(compile(&doc, file))
}

/// A map with no controls yet, for a device headroom has no map of: MIDI learn fills it.
pub fn blank(port: &str) -> ControllerMap {
    let doc = MapDoc {
        device: port.to_string(),
        port_match: port.to_string(),
        protocol: Protocol::Generic,
        motorized: None,
        strips: Some(8),
        channel: 1,
        init: Vec::new(),
        unverified: Vec::new(),
        mackie: None,
        presonus: None,
        controls: Vec::new(),
    };
    compile(&doc, Path::new("(learned)"))
}

/// A shipped map by name (`korg-nanokontrol2`).
pub fn shipped(name: &str) -> Option<ControllerMap> {
    SHIPPED.iter().find(|(n, _)| *n == name).map(|(n, text)| {
        parse(text, &PathBuf::from(format!("controllers/{n}.yaml"))).expect("shipped maps are checked by the tests")
    })
}

/// The message kinds a control names, with their YAML keys.
fn messages(c: &ControlDoc) -> Vec<(&'static str, &Numbers)> {
    [("cc", &c.cc), ("cc14", &c.cc14), ("note", &c.note), ("pitchbend", &c.pitchbend), ("nrpn", &c.nrpn)]
        .into_iter()
        .filter_map(|(key, n)| n.as_ref().map(|n| (key, n)))
        .collect()
}

fn check(doc: &MapDoc) -> Vec<Finding> {
    let mut findings = Vec::new();
    let mut report = |path: String, message: String| findings.push(Finding { path, message });
    if doc.port_match.trim().is_empty() {
        report("match".into(), "expected part of the device's MIDI port name, found nothing".into());
    }
    if !(1..=16).contains(&doc.channel) {
        report("channel".into(), format!("expected a MIDI channel 1-16, found {}", doc.channel));
    }
    for (i, hex) in doc.init.iter().enumerate() {
        if let Err(e) = parse_hex(hex) {
            report(format!("init[{i}]"), e);
        }
    }
    if doc.mackie.is_some() && doc.protocol != Protocol::Mackie {
        report("mackie".into(), "`mackie:` describes a Mackie Control unit; this map's protocol is generic".into());
    }
    if doc.presonus.is_some() && doc.protocol == Protocol::Mackie {
        report("presonus".into(), "`presonus:` is a FaderPort's native mode; in Mackie mode use `mackie:`".into());
    }
    for (i, c) in doc.controls.iter().enumerate() {
        let at = |key: &str| format!("controls[{i}].{key}");
        let target = match parse_target(&c.target) {
            Ok(t) => Some(t),
            Err(e) => {
                report(at("target"), e);
                None
            }
        };
        let kinds = messages(c);
        let [(key, numbers)] = kinds.as_slice() else {
            report(
                format!("controls[{i}]"),
                format!(
                    "expected exactly one of cc, cc14, note, pitchbend, nrpn; found {}",
                    if kinds.is_empty() {
                        "none".to_string()
                    } else {
                        kinds.iter().map(|(k, _)| *k).collect::<Vec<_>>().join(" and ")
                    }
                ),
            );
            continue;
        };
        let (low, high) = match *key {
            "cc" | "note" => (0, 127),
            "cc14" => (0, 31),
            "pitchbend" => (1, 16),
            _ => (0, 16383),
        };
        for n in numbers.list() {
            if !(low..=high).contains(&n) {
                report(at(key), format!("expected {key} numbers {low}-{high}, found {n}"));
            }
        }
        if let Numbers::PerStrip(list) = numbers {
            if !matches!(target, None | Some(Target::Strip { .. })) {
                report(at(key), format!("a list binds one strip each; `{}` is not a strip.N target", c.target));
            }
            if list.is_empty() {
                report(at(key), "expected at least one number".into());
            }
        }
        if let Some(ch) = c.channel {
            if *key == "pitchbend" {
                report(at("channel"), "pitch bend names its channels itself (`pitchbend: [1, 2]`)".into());
            } else if !(1..=16).contains(&ch) {
                report(at("channel"), format!("expected a MIDI channel 1-16, found {ch}"));
            }
        }
        if c.encoding != Encoding::Absolute && !matches!(*key, "cc" | "nrpn") {
            report(at("encoding"), format!("relative encodings come as cc or nrpn, not {key}"));
        }
        for (field, what, list) in [("ring", "ring CC", &c.ring), ("led_note", "LED note", &c.led_note)] {
            let Some(list) = list else { continue };
            if list.list().len() != numbers.list().len() {
                report(
                    at(field),
                    format!("expected one {what} for each of the {} {key} numbers", numbers.list().len()),
                );
            }
            if list.list().iter().any(|&n| n > 127) {
                report(at(field), "expected numbers 0-127".into());
            }
        }
        if let Some([lo, hi]) = c.ring_range
            && (lo == hi || lo.max(hi) > 127)
        {
            report(at("ring_range"), "expected two different values 0-127".into());
        }
        let full = if matches!(*key, "cc" | "note") { 127 } else { 16383 };
        if let Some([lo, hi]) = c.range
            && !(lo < hi && hi <= full)
        {
            report(at("range"), format!("expected a low and a high raw value, low below high, at most {full}"));
        }
    }
    findings
}

/// A target as a map writes it: `strip.N.…` is strip 1, and with a list, strips 1, 2, ...
fn parse_target(id: &str) -> Result<Target, String> {
    let numbered = id.replacen("strip.N.", "strip.1.", 1);
    targets::parse(&numbered).map_err(|e| e.replacen(&numbered, id, 1))
}

/// The checked document as bindable controls, lists expanded into one control a strip.
fn compile(doc: &MapDoc, file: &Path) -> ControllerMap {
    let mackie = (doc.protocol == Protocol::Mackie).then(|| doc.mackie.unwrap_or_default());
    let mut map = ControllerMap {
        device: doc.device.clone(),
        port_match: doc.port_match.clone(),
        protocol: doc.protocol,
        motorized: doc.motorized.unwrap_or(mackie.is_some()),
        strips: 0,
        channel: doc.channel,
        init: doc.init.iter().map(|h| parse_hex(h).expect("checked")).collect(),
        unverified: doc.unverified.clone(),
        controls: Vec::new(),
        mackie,
        presonus: doc.presonus,
        source: file.to_path_buf(),
    };
    let protocol_controls = mackie.map(|unit| mackie::standard_controls(&unit, doc.strips.unwrap_or(8)));
    for c in protocol_controls.iter().flatten().chain(&doc.controls) {
        map.bind(c);
    }
    let used_strips = map
        .controls
        .iter()
        .filter_map(|c| match c.target {
            Target::Strip { slot, .. } => Some(slot + 1),
            _ => None,
        })
        .max()
        .unwrap_or(0);
    map.strips = doc.strips.unwrap_or(used_strips);
    map
}

impl ControllerMap {
    /// Adds a checked control (one a strip for a list); it replaces any control on the same
    /// channel and message, so a map can renumber the protocol's buttons and a learned
    /// binding takes over from a shipped one.
    pub fn bind(&mut self, c: &ControlDoc) {
        let target = parse_target(&c.target).expect("checked");
        let [(key, numbers)] = messages(c)[..] else { unreachable!("checked") };
        let rings = c.ring.as_ref().map(Numbers::list).unwrap_or_default();
        let led_notes = c.led_note.as_ref().map(Numbers::list).unwrap_or_default();
        for (strip, n) in numbers.list().into_iter().enumerate() {
            let target = match target {
                Target::Strip { control, slot } if matches!(numbers, Numbers::PerStrip(_)) => {
                    Target::Strip { control, slot: slot + strip as u16 }
                }
                t => t,
            };
            let channel = c.channel.unwrap_or(self.channel);
            let (message, channel) = match key {
                "cc" => (Message::Cc(n as u8), channel),
                "cc14" => (Message::Cc14(n as u8), channel),
                "note" => (Message::Note(n as u8), channel),
                "pitchbend" => (Message::PitchBend, n as u8),
                _ => (Message::Nrpn(n), channel),
            };
            let is_fader = matches!(
                target,
                Target::Strip { control: StripControl::Fader, .. }
                    | Target::Master(StripControl::Fader)
                    | Target::Selected(StripControl::Fader)
            );
            let [lo, hi] = c.range.unwrap_or([0, message.full_scale()]);
            let [ring_low, ring_high] = c.ring_range.unwrap_or([0, 127]);
            self.controls.retain(|old| (old.channel, old.message) != (channel - 1, message));
            self.controls.push(Control {
                target,
                message,
                channel: channel - 1,
                encoding: c.encoding,
                button: c.button,
                curve: c.curve.unwrap_or(if is_fader { Curve::Taper } else { Curve::Linear }),
                range: (lo, hi),
                takeover: c.takeover.unwrap_or(if self.motorized { Takeover::Jump } else { Takeover::Pickup }),
                feedback: c.feedback.unwrap_or(self.motorized || is_button(target) || c.ring.is_some()),
                led: c.led.unwrap_or([0, 127]),
                ring: rings.get(strip).map(|&cc| Ring { cc: cc as u8, low: ring_low, high: ring_high }),
                led_note: led_notes.get(strip).map(|&n| n as u8),
            });
        }
    }
}

/// `"F0 00 00 66 14 00 F7"` → bytes.
fn parse_hex(text: &str) -> Result<Vec<u8>, String> {
    text.split_whitespace()
        .map(|b| u8::from_str_radix(b, 16).map_err(|_| format!("expected hex bytes like \"B0 7F 01\", found `{b}`")))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn problems(text: &str) -> Vec<String> {
        match parse(text, Path::new("my-map.yaml")) {
            Ok(_) => Vec::new(),
            Err(LoadError::Invalid { problems }) => problems.iter().map(|p| p.to_string()).collect(),
            Err(e) => vec![e.to_string()],
        }
    }

    #[test]
    fn every_shipped_map_loads() {
        for (name, _) in SHIPPED {
            let map = shipped(name).unwrap();
            assert!(!map.controls.is_empty() || map.protocol == Protocol::Mackie, "{name}");
        }
    }

    #[test]
    fn every_map_in_the_controllers_folder_is_shipped() {
        let folder = Path::new(env!("CARGO_MANIFEST_DIR")).join("controllers");
        let mut files: Vec<String> = std::fs::read_dir(folder)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().trim_end_matches(".yaml").to_string())
            .collect();
        files.sort();
        assert_eq!(files, SHIPPED.iter().map(|(n, _)| n.to_string()).collect::<Vec<_>>());
    }

    #[test]
    fn a_list_binds_consecutive_strips() {
        let map =
            parse("device: d\nmatch: d\ncontrols:\n  - {target: strip.N.fader, cc: [7, 9, 11]}\n", Path::new("m.yaml"));
        let map = map.unwrap();
        let slots: Vec<_> = map.controls.iter().map(|c| (c.target, c.message)).collect();
        assert_eq!(slots[2], (Target::Strip { slot: 2, control: StripControl::Fader }, Message::Cc(11)));
        assert_eq!(map.strips, 3);
        assert_eq!(map.controls[0].curve, Curve::Taper);
        assert_eq!(map.controls[0].takeover, Takeover::Pickup, "not motorised: pick up");
    }

    #[test]
    fn mistakes_are_reported_with_line_path_and_what_was_expected() {
        let text = "device: d\nmatch: d\ncontrols:\n  - {target: strip.N.fadr, cc: 3}\n  - {target: master.fader, cc: [1, 2]}\n  - {target: transport.play, cc: 200, note: 4}\n  - {target: strip.1.pan, note: 5, encoding: offset64}\n";
        let got = problems(text);
        assert_eq!(got.len(), 4, "{got:#?}");
        assert!(
            got[0].starts_with("my-map.yaml:4:")
                && got[0].contains("controls[0].target: unknown target `strip.N.fadr`"),
            "{}",
            got[0]
        );
        assert!(got[1].starts_with("my-map.yaml:5:") && got[1].contains("a list binds one strip each"), "{}", got[1]);
        assert!(
            got[2].contains("controls[2]: expected exactly one of cc, cc14, note, pitchbend, nrpn; found cc and note"),
            "{}",
            got[2]
        );
        assert!(got[3].contains("controls[3].encoding: relative encodings come as cc or nrpn, not note"), "{}", got[3]);
    }

    #[test]
    fn a_syntax_error_names_the_line() {
        let got = problems("device: d\nmatch: d\ncontrols:\n  - {target: strip.1.fader, cc: 1, curve: log}\n");
        assert!(got[0].starts_with("my-map.yaml:4:") && got[0].contains("unknown variant `log`"), "{got:?}");
    }
}
