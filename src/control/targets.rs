//! Everything a control on a surface can be bound to, in one table: controller
//! maps are checked against it and `headroom targets` prints it.
//!
//! Strip targets are relative to the surface's bank (`strip.1.fader` is the first
//! strip the surface shows, whichever that is now); the others are global.

use crate::automation::Mode;

/// A control of a strip: on a bank slot, the master, or the strip selected in the console.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum StripControl {
    Fader,
    Pan,
    Mute,
    Solo,
    SoloSafe,
    /// Selects the strip in the console.
    Select,
    /// A fader's touch sensor (or a button standing in for one): touched while held.
    Touch,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TransportAction {
    Play,
    Stop,
    PlayStop,
    LocateStart,
    Rewind,
    Forward,
    Loop,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Target {
    /// `slot` counts from 0 at the first strip of the surface's bank.
    Strip {
        slot: u16,
        control: StripControl,
    },
    Master(StripControl),
    Selected(StripControl),
    Transport(TransportAction),
    /// Moves the surface's bank by a whole bank (`strips` false) or by one strip.
    Bank {
        forward: bool,
        one_strip: bool,
    },
    /// Sets the automation mode of the strip selected in the console.
    Automation(Mode),
    /// One parameter of the session by its id (`param.strip.Vox.send.Verb`), whatever the bank.
    Param(&'static str),
    Save,
    Undo,
    Redo,
}

pub struct TargetInfo {
    /// The id as written in a map; `N` stands for a strip number from 1.
    pub id: &'static str,
    pub help: &'static str,
    make: fn(u16) -> Target,
}

macro_rules! strip_targets {
    ($($control:ident $suffix:literal $help:literal),* $(,)?) => {
        [$(
            TargetInfo {
                id: concat!("strip.N.", $suffix),
                help: concat!($help, " of the N-th strip of the bank"),
                make: |slot| Target::Strip { slot, control: StripControl::$control },
            },
            TargetInfo {
                id: concat!("selected.", $suffix),
                help: concat!($help, " of the strip selected in the console"),
                make: |_| Target::Selected(StripControl::$control),
            },
        )*]
    };
}

const STRIP_TARGETS: [TargetInfo; 14] = strip_targets![
    Fader "fader" "fader",
    Pan "pan" "pan (balance on stereo strips)",
    Mute "mute" "mute",
    Solo "solo" "solo",
    SoloSafe "solo_safe" "solo-safe",
    Select "select" "select (the console follows)",
    Touch "touch" "fader touch (for Touch/Latch automation)",
];

const GLOBAL_TARGETS: &[TargetInfo] = &[
    TargetInfo { id: "master.fader", help: "master fader", make: |_| Target::Master(StripControl::Fader) },
    TargetInfo { id: "master.mute", help: "master mute", make: |_| Target::Master(StripControl::Mute) },
    TargetInfo { id: "master.touch", help: "master fader touch", make: |_| Target::Master(StripControl::Touch) },
    TargetInfo {
        id: "bank.next",
        help: "the surface's strips move one bank right",
        make: |_| Target::Bank { forward: true, one_strip: false },
    },
    TargetInfo {
        id: "bank.prev",
        help: "the surface's strips move one bank left",
        make: |_| Target::Bank { forward: false, one_strip: false },
    },
    TargetInfo {
        id: "channel.next",
        help: "the surface's strips move one strip right",
        make: |_| Target::Bank { forward: true, one_strip: true },
    },
    TargetInfo {
        id: "channel.prev",
        help: "the surface's strips move one strip left",
        make: |_| Target::Bank { forward: false, one_strip: true },
    },
    TargetInfo { id: "save", help: "save the session", make: |_| Target::Save },
    TargetInfo { id: "undo", help: "undo the last mix change", make: |_| Target::Undo },
    TargetInfo { id: "redo", help: "redo", make: |_| Target::Redo },
];

/// One target per variant of an action enum, named `<prefix><name>`.
macro_rules! action_targets {
    ($wrap:ident $kind:ident $prefix:literal: $($variant:ident $name:literal $help:literal),* $(,)?) => {
        [$(TargetInfo {
            id: concat!($prefix, $name),
            help: $help,
            make: |_| Target::$wrap($kind::$variant),
        },)*]
    };
}

const TRANSPORT_TARGETS: [TargetInfo; 7] = action_targets![Transport TransportAction "transport.":
    Play "play" "start the JACK transport",
    Stop "stop" "stop the JACK transport",
    PlayStop "play_stop" "start or stop",
    LocateStart "locate_start" "locate to the start",
    Rewind "rewind" "nudge back 1 s",
    Forward "forward" "nudge forward 1 s",
    Loop "loop" "loop on/off",
];

const AUTOMATION_TARGETS: [TargetInfo; 6] = action_targets![Automation Mode "automation.mode.":
    Off "off" "automation off on the selected strip",
    Read "read" "automation Read on the selected strip",
    Write "write" "automation Write on the selected strip",
    Touch "touch" "automation Touch on the selected strip",
    Latch "latch" "automation Latch on the selected strip",
    Trim "trim" "automation Trim on the selected strip",
];

/// Every target, strip ones first.
pub fn all() -> impl Iterator<Item = &'static TargetInfo> {
    STRIP_TARGETS.iter().chain(GLOBAL_TARGETS).chain(&TRANSPORT_TARGETS).chain(&AUTOMATION_TARGETS)
}

/// Reads a target id as a map writes it (`strip.3.mute`, `transport.play`, `param.<id>`).
pub fn parse(id: &str) -> Result<Target, String> {
    if let Some(param) = id.strip_prefix(PARAM_PREFIX) {
        if param.is_empty() {
            return Err(format!(
                "`{id}`: expected a parameter id after `param.` (`headroom params SESSION` lists them)"
            ));
        }
        return Ok(Target::Param(intern(param)));
    }
    let mut slot = 0;
    let pattern = match id.split('.').collect::<Vec<_>>().as_slice() {
        ["strip", n, rest @ ..] if !rest.is_empty() => {
            match n.parse::<u16>() {
                Ok(n) if n >= 1 => slot = n - 1,
                _ => return Err(format!("`{id}`: expected a strip number from 1 after `strip.`, found `{n}`")),
            }
            format!("strip.N.{}", rest.join("."))
        }
        _ => id.to_string(),
    };
    all()
        .find(|t| t.id == pattern)
        .map(|t| (t.make)(slot))
        .ok_or_else(|| format!("unknown target `{id}`; expected one of: {} (`headroom targets` lists them)", listing()))
}

/// Targets naming a session parameter start so.
pub const PARAM_PREFIX: &str = "param.";

/// A parameter id kept for the life of the program, so targets stay `Copy`. Ids come from
/// maps and learned bindings: a handful, each kept once.
fn intern(id: &str) -> &'static str {
    static IDS: std::sync::Mutex<Vec<&'static str>> = std::sync::Mutex::new(Vec::new());
    let mut ids = IDS.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    if let Some(kept) = ids.iter().find(|k| **k == id) {
        return kept;
    }
    let kept: &'static str = Box::leak(id.to_string().into_boxed_str());
    ids.push(kept);
    kept
}

/// The ids, comma-separated, for error messages.
fn listing() -> String {
    all().map(|t| t.id).collect::<Vec<_>>().join(", ")
}

/// Whether a target is a switch or an action rather than a continuous value.
pub fn is_button(target: Target) -> bool {
    match target {
        Target::Strip { control, .. } | Target::Master(control) | Target::Selected(control) => {
            !matches!(control, StripControl::Fader | StripControl::Pan)
        }
        // A session parameter is read as a value; a switch among them takes presses too.
        Target::Param(_) => false,
        _ => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_listed_target_parses_to_what_it_says() {
        for info in all() {
            let id = info.id.replace(".N.", ".3.");
            let target = parse(&id).unwrap_or_else(|e| panic!("{e}"));
            if info.id.starts_with("strip.") {
                assert!(matches!(target, Target::Strip { slot: 2, .. }), "{id}: {target:?}");
            }
        }
        assert_eq!(parse("strip.1.fader"), Ok(Target::Strip { slot: 0, control: StripControl::Fader }));
        assert_eq!(parse("automation.mode.touch"), Ok(Target::Automation(Mode::Touch)));
        assert_eq!(parse("param.strip.Vox.send.Verb"), Ok(Target::Param("strip.Vox.send.Verb")));
    }

    #[test]
    fn unknown_targets_say_what_was_expected() {
        let e = parse("strip.0.fader").unwrap_err();
        assert!(e.contains("strip number from 1"), "{e}");
        let e = parse("transport.ply").unwrap_err();
        assert!(e.starts_with("unknown target `transport.ply`; expected one of: strip.N.fader"), "{e}");
    }
}
