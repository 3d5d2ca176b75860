//! Every key binding, in one table: the key handler looks keys up here and the help
//! screen is printed from it, so the two cannot disagree.
//! The file is long because the table is whole on purpose: every key in one place.

use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use crate::automation::Mode;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    SelectLeft,
    SelectRight,
    BankLeft,
    BankRight,
    Up,
    Down,
    UpCoarse,
    DownCoarse,
    Adjust(i8),
    AdjustCoarse(i8),
    Reset,
    TypeValue,
    PanLeft,
    PanRight,
    PanCentre,
    Mute,
    Solo,
    SoloSafe,
    Detail,
    Route,
    AddSend,
    RemoveSend,
    PlayStop,
    LocateStart,
    NudgeBack,
    NudgeForward,
    LoopIn,
    LoopOut,
    LoopToggle,
    Save,
    SaveVersion,
    Undo,
    Redo,
    ResetMeters,
    NextMeterPoint,
    RealTimePrint,
    MeasureInsert,
    SetTarget,
    Learn,
    ConnectSurface,
    AutomationView,
    WriteEnable,
    /// The automation mode of every parameter of the selected strip (but solo).
    StripMode(Mode),
    /// The automation mode of the parameter under the automation view's cursor.
    ParamMode(Mode),
    PassUp,
    PassDown,
    /// Take the pass under the cursor out, or bring it back.
    PassToggle,
    PassName,
    PassUndo,
    PassRedo,
    GlideTime,
    IdleTime,
    Help,
    Connections,
    Close,
    Quit,
}

/// Where a binding applies.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scope {
    /// Everywhere (console and strip detail).
    Global,
    /// The strips.
    Console,
    /// The strip detail's parameter list.
    Detail,
    /// The automation view; the detail's keys work there too.
    Automation,
}

pub struct Binding {
    pub scope: Scope,
    pub keys: &'static [(KeyCode, KeyModifiers)],
    pub label: &'static str,
    pub action: Action,
    pub help: &'static str,
}

const NONE: KeyModifiers = KeyModifiers::NONE;
const SHIFT: KeyModifiers = KeyModifiers::SHIFT;
const CTRL: KeyModifiers = KeyModifiers::CONTROL;

use KeyCode::{Char, Down, End, Enter, Esc, F, Home, Left, PageDown, PageUp, Right, Tab, Up};

pub const BINDINGS: &[Binding] = &[
    Binding {
        scope: Scope::Console,
        keys: &[(Left, NONE), (Char('h'), NONE)],
        label: "← h",
        action: Action::SelectLeft,
        help: "select the strip to the left",
    },
    Binding {
        scope: Scope::Console,
        keys: &[(Right, NONE), (Char('l'), NONE)],
        label: "→ l",
        action: Action::SelectRight,
        help: "select the strip to the right",
    },
    Binding {
        scope: Scope::Console,
        keys: &[(PageUp, NONE), (Char('['), NONE)],
        label: "PgUp [",
        action: Action::BankLeft,
        help: "previous bank of strips",
    },
    Binding {
        scope: Scope::Console,
        keys: &[(PageDown, NONE), (Char(']'), NONE)],
        label: "PgDn ]",
        action: Action::BankRight,
        help: "next bank of strips",
    },
    Binding {
        scope: Scope::Console,
        keys: &[(Up, NONE), (Char('k'), NONE)],
        label: "↑ k",
        action: Action::Up,
        help: "fader up 0.5 dB",
    },
    Binding {
        scope: Scope::Console,
        keys: &[(Down, NONE), (Char('j'), NONE)],
        label: "↓ j",
        action: Action::Down,
        help: "fader down 0.5 dB",
    },
    Binding {
        scope: Scope::Console,
        keys: &[(Up, SHIFT), (Char('K'), SHIFT), (Char('K'), NONE)],
        label: "Shift-↑ K",
        action: Action::UpCoarse,
        help: "fader up 3 dB",
    },
    Binding {
        scope: Scope::Console,
        keys: &[(Down, SHIFT), (Char('J'), SHIFT), (Char('J'), NONE)],
        label: "Shift-↓ J",
        action: Action::DownCoarse,
        help: "fader down 3 dB",
    },
    Binding {
        scope: Scope::Console,
        keys: &[(Char('0'), NONE)],
        label: "0",
        action: Action::Reset,
        help: "fader to 0 dB",
    },
    Binding {
        scope: Scope::Console,
        keys: &[(Char('='), NONE), (Enter, NONE)],
        label: "= Enter",
        action: Action::TypeValue,
        help: "type a fader level (-6, -inf)",
    },
    Binding {
        scope: Scope::Console,
        keys: &[(Char(','), NONE)],
        label: ",",
        action: Action::PanLeft,
        help: "pan left 2 %",
    },
    Binding {
        scope: Scope::Console,
        keys: &[(Char('.'), NONE)],
        label: ".",
        action: Action::PanRight,
        help: "pan right 2 %",
    },
    Binding {
        scope: Scope::Console,
        keys: &[(Char('/'), NONE)],
        label: "/",
        action: Action::PanCentre,
        help: "pan to centre",
    },
    Binding {
        scope: Scope::Console,
        keys: &[(Char('m'), NONE)],
        label: "m",
        action: Action::Mute,
        help: "mute on/off",
    },
    Binding {
        scope: Scope::Console,
        keys: &[(Char('s'), NONE)],
        label: "s",
        action: Action::Solo,
        help: "solo on/off (solo in place)",
    },
    Binding {
        scope: Scope::Console,
        keys: &[(Char('S'), SHIFT), (Char('S'), NONE)],
        label: "S",
        action: Action::SoloSafe,
        help: "solo-safe on/off",
    },
    Binding {
        scope: Scope::Global,
        keys: &[(Char('d'), NONE), (Tab, NONE)],
        label: "d Tab",
        action: Action::Detail,
        help: "strip detail open/closed",
    },
    Binding {
        scope: Scope::Global,
        keys: &[(Char('r'), NONE)],
        label: "r",
        action: Action::Route,
        help: "route the output to a bus or the master",
    },
    Binding {
        scope: Scope::Global,
        keys: &[(Char('a'), NONE)],
        label: "a",
        action: Action::AddSend,
        help: "add a send to a bus (starts at -inf)",
    },
    Binding {
        scope: Scope::Detail,
        keys: &[(Up, NONE), (Char('k'), NONE)],
        label: "↑ k",
        action: Action::Up,
        help: "previous parameter",
    },
    Binding {
        scope: Scope::Detail,
        keys: &[(Down, NONE), (Char('j'), NONE)],
        label: "↓ j",
        action: Action::Down,
        help: "next parameter",
    },
    Binding {
        scope: Scope::Detail,
        keys: &[(Right, NONE), (Char('l'), NONE)],
        label: "→ l",
        action: Action::Adjust(1),
        help: "parameter up a step (on/off for switches)",
    },
    Binding {
        scope: Scope::Detail,
        keys: &[(Left, NONE), (Char('h'), NONE)],
        label: "← h",
        action: Action::Adjust(-1),
        help: "parameter down a step",
    },
    Binding {
        scope: Scope::Detail,
        keys: &[(Right, SHIFT), (Char('>'), NONE), (Char('>'), SHIFT)],
        label: "Shift-→ >",
        action: Action::AdjustCoarse(1),
        help: "parameter up a big step",
    },
    Binding {
        scope: Scope::Detail,
        keys: &[(Left, SHIFT), (Char('<'), NONE), (Char('<'), SHIFT)],
        label: "Shift-← <",
        action: Action::AdjustCoarse(-1),
        help: "parameter down a big step",
    },
    Binding {
        scope: Scope::Detail,
        keys: &[(Char('='), NONE), (Enter, NONE)],
        label: "= Enter",
        action: Action::TypeValue,
        help: "type the parameter's value",
    },
    Binding {
        scope: Scope::Detail,
        keys: &[(Char('0'), NONE)],
        label: "0",
        action: Action::Reset,
        help: "parameter to its default",
    },
    Binding {
        scope: Scope::Detail,
        keys: &[(PageUp, NONE), (Char('['), NONE)],
        label: "PgUp [",
        action: Action::SelectLeft,
        help: "detail of the strip to the left",
    },
    Binding {
        scope: Scope::Detail,
        keys: &[(PageDown, NONE), (Char(']'), NONE)],
        label: "PgDn ]",
        action: Action::SelectRight,
        help: "detail of the strip to the right",
    },
    Binding {
        scope: Scope::Detail,
        keys: &[(Char('x'), NONE), (KeyCode::Delete, NONE)],
        label: "x Del",
        action: Action::RemoveSend,
        help: "remove the send under the cursor",
    },
    Binding {
        scope: Scope::Global,
        keys: &[(Char(' '), NONE)],
        label: "Space",
        action: Action::PlayStop,
        help: "play / stop the JACK transport",
    },
    Binding {
        scope: Scope::Global,
        keys: &[(Home, NONE)],
        label: "Home",
        action: Action::LocateStart,
        help: "locate to the start",
    },
    Binding {
        scope: Scope::Global,
        keys: &[(Char('-'), NONE)],
        label: "-",
        action: Action::NudgeBack,
        help: "nudge the transport back 1 s",
    },
    Binding {
        scope: Scope::Global,
        keys: &[(Char('+'), NONE), (Char('+'), SHIFT)],
        label: "+",
        action: Action::NudgeForward,
        help: "nudge the transport forward 1 s",
    },
    Binding {
        scope: Scope::Global,
        keys: &[(Char('i'), NONE)],
        label: "i",
        action: Action::LoopIn,
        help: "loop start at the play position",
    },
    Binding {
        scope: Scope::Global,
        keys: &[(Char('o'), NONE)],
        label: "o",
        action: Action::LoopOut,
        help: "loop end at the play position",
    },
    Binding {
        scope: Scope::Global,
        keys: &[(Char('L'), SHIFT), (Char('L'), NONE), (End, NONE)],
        label: "Shift-L End",
        action: Action::LoopToggle,
        help: "loop on/off",
    },
    Binding {
        scope: Scope::Global,
        keys: &[(Char('s'), CTRL), (F(2), NONE)],
        label: "Ctrl-S F2",
        action: Action::Save,
        help: "save the session",
    },
    Binding {
        scope: Scope::Global,
        keys: &[(Char('w'), NONE)],
        label: "w",
        action: Action::SaveVersion,
        help: "save, and keep a named version in versions/",
    },
    Binding {
        scope: Scope::Global,
        keys: &[(Char('u'), NONE), (Char('z'), CTRL)],
        label: "u Ctrl-Z",
        action: Action::Undo,
        help: "undo the last mix change",
    },
    Binding {
        scope: Scope::Global,
        keys: &[(Char('U'), SHIFT), (Char('U'), NONE), (Char('r'), CTRL), (Char('y'), CTRL)],
        label: "U Ctrl-R",
        action: Action::Redo,
        help: "redo",
    },
    Binding {
        scope: Scope::Global,
        keys: &[(Char('c'), NONE)],
        label: "c",
        action: Action::ResetMeters,
        help: "reset meters: clips, peaks, I, LRA, TP",
    },
    Binding {
        scope: Scope::Global,
        keys: &[(Char('p'), NONE)],
        label: "p",
        action: Action::NextMeterPoint,
        help: "all meters to the next point (in/pre/post)",
    },
    Binding {
        scope: Scope::Global,
        keys: &[(Char('R'), SHIFT), (Char('R'), NONE)],
        label: "R",
        action: Action::RealTimePrint,
        help: "real-time print (master, buses): arm, stop",
    },
    Binding {
        scope: Scope::Global,
        keys: &[(Char('I'), SHIFT), (Char('I'), NONE)],
        label: "I",
        action: Action::MeasureInsert,
        help: "ping the selected strip's hardware insert",
    },
    Binding {
        scope: Scope::Global,
        keys: &[(Char('t'), NONE)],
        label: "t",
        action: Action::SetTarget,
        help: "set the master's peak target (e.g. -10 -6)",
    },
    Binding {
        scope: Scope::Global,
        keys: &[(Char('M'), SHIFT), (Char('M'), NONE)],
        label: "M",
        action: Action::Learn,
        help: "MIDI learn: bind the next control moved",
    },
    Binding {
        scope: Scope::Global,
        keys: &[(Char('C'), SHIFT), (Char('C'), NONE)],
        label: "C",
        action: Action::ConnectSurface,
        help: "connect a MIDI device as a surface",
    },
    Binding {
        scope: Scope::Global,
        keys: &[(Char('A'), SHIFT), (Char('A'), NONE)],
        label: "A",
        action: Action::AutomationView,
        help: "automation view open/closed",
    },
    Binding {
        scope: Scope::Global,
        keys: &[(Char('W'), SHIFT), (Char('W'), NONE)],
        label: "W",
        action: Action::WriteEnable,
        help: "automation write enable on/off",
    },
    mode_binding(Scope::Console, 0),
    mode_binding(Scope::Console, 1),
    mode_binding(Scope::Console, 2),
    mode_binding(Scope::Console, 3),
    mode_binding(Scope::Console, 4),
    mode_binding(Scope::Console, 5),
    mode_binding(Scope::Automation, 0),
    mode_binding(Scope::Automation, 1),
    mode_binding(Scope::Automation, 2),
    mode_binding(Scope::Automation, 3),
    mode_binding(Scope::Automation, 4),
    mode_binding(Scope::Automation, 5),
    Binding {
        scope: Scope::Automation,
        keys: &[(PageUp, NONE)],
        label: "PgUp",
        action: Action::PassUp,
        help: "pass list: newer pass",
    },
    Binding {
        scope: Scope::Automation,
        keys: &[(PageDown, NONE)],
        label: "PgDn",
        action: Action::PassDown,
        help: "pass list: older pass",
    },
    Binding {
        scope: Scope::Automation,
        keys: &[(Char('x'), NONE), (KeyCode::Delete, NONE)],
        label: "x Del",
        action: Action::PassToggle,
        help: "take the pass out, or bring it back",
    },
    Binding {
        scope: Scope::Automation,
        keys: &[(Char('n'), NONE)],
        label: "n",
        action: Action::PassName,
        help: "name the pass",
    },
    Binding {
        scope: Scope::Automation,
        keys: &[(Char('u'), NONE), (Char('z'), CTRL)],
        label: "u Ctrl-Z",
        action: Action::PassUndo,
        help: "take back the latest pass",
    },
    Binding {
        scope: Scope::Automation,
        keys: &[(Char('U'), SHIFT), (Char('U'), NONE), (Char('r'), CTRL), (Char('y'), CTRL)],
        label: "U Ctrl-R",
        action: Action::PassRedo,
        help: "bring back the pass taken back last",
    },
    Binding {
        scope: Scope::Automation,
        keys: &[(Char('g'), NONE)],
        label: "g",
        action: Action::GlideTime,
        help: "glide back time after a touch (ms)",
    },
    Binding {
        scope: Scope::Automation,
        keys: &[(Char('G'), SHIFT), (Char('G'), NONE)],
        label: "G",
        action: Action::IdleTime,
        help: "idle release time, no touch sensor (ms)",
    },
    Binding {
        scope: Scope::Global,
        keys: &[(Char('?'), NONE), (Char('?'), SHIFT), (F(1), NONE)],
        label: "? F1",
        action: Action::Help,
        help: "this help",
    },
    Binding {
        scope: Scope::Global,
        keys: &[(Char('P'), SHIFT), (Char('P'), NONE)],
        label: "P",
        action: Action::Connections,
        help: "JACK connections not made, and why",
    },
    Binding {
        scope: Scope::Global,
        keys: &[(Esc, NONE)],
        label: "Esc",
        action: Action::Close,
        help: "close the detail, help or a prompt",
    },
    Binding {
        scope: Scope::Global,
        keys: &[(Char('q'), NONE), (Char('c'), CTRL)],
        label: "q Ctrl-C",
        action: Action::Quit,
        help: "quit (asks first if the mix is unsaved)",
    },
];

/// Digits 1 to 6 are the modes in [`Mode::ALL`]'s order.
const MODE_KEYS: [&[(KeyCode, KeyModifiers)]; 6] = [
    &[(Char('1'), NONE)],
    &[(Char('2'), NONE)],
    &[(Char('3'), NONE)],
    &[(Char('4'), NONE)],
    &[(Char('5'), NONE)],
    &[(Char('6'), NONE)],
];
const MODE_LABELS: [&str; 6] = ["1", "2", "3", "4", "5", "6"];
const STRIP_MODE_HELP: [&str; 6] = [
    "strip automation Off (all but solo)",
    "strip automation Read",
    "strip automation Write",
    "strip automation Touch",
    "strip automation Latch",
    "strip automation Trim",
];
const PARAM_MODE_HELP: [&str; 6] = [
    "parameter automation Off",
    "parameter automation Read",
    "parameter automation Write",
    "parameter automation Touch",
    "parameter automation Latch",
    "parameter automation Trim",
];

/// A digit that sets automation mode `Mode::ALL[at]`: for the whole strip on the strips,
/// for the parameter under the cursor in the automation view.
const fn mode_binding(scope: Scope, at: usize) -> Binding {
    let mode = Mode::ALL[at];
    let strip = matches!(scope, Scope::Console);
    Binding {
        scope,
        keys: MODE_KEYS[at],
        label: MODE_LABELS[at],
        action: if strip { Action::StripMode(mode) } else { Action::ParamMode(mode) },
        help: if strip { STRIP_MODE_HELP[at] } else { PARAM_MODE_HELP[at] },
    }
}

/// The scopes a key is looked up in, narrowest first.
fn scopes(scope: Scope) -> &'static [Scope] {
    match scope {
        Scope::Automation => &[Scope::Automation, Scope::Detail, Scope::Global],
        Scope::Detail => &[Scope::Detail, Scope::Global],
        Scope::Console => &[Scope::Console, Scope::Global],
        Scope::Global => &[Scope::Global],
    }
}

/// The action a key has where the user is; bindings of the narrower scope win.
pub fn action_for(key: KeyEvent, scope: Scope) -> Option<Action> {
    let matches = |b: &&Binding| b.keys.iter().any(|&(code, mods)| code == key.code && mods == key.modifiers);
    scopes(scope).iter().find_map(|&s| BINDINGS.iter().filter(|b| b.scope == s).find(matches)).map(|b| b.action)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_key_means_two_things_in_one_place() {
        for scope in [Scope::Console, Scope::Detail, Scope::Automation] {
            let mut seen = Vec::new();
            for b in BINDINGS.iter().filter(|b| b.scope == scope || b.scope == Scope::Global) {
                for key in b.keys {
                    let clash = seen.iter().find(|(k, s, _): &&(_, Scope, &str)| k == key && *s == b.scope);
                    assert!(clash.is_none(), "{key:?} bound twice in {scope:?}: {} and {}", clash.unwrap().2, b.help);
                    seen.push((*key, b.scope, b.help));
                }
            }
        }
    }

    #[test]
    fn detail_keys_win_over_global_ones() {
        let right = KeyEvent::new(KeyCode::Right, KeyModifiers::NONE);
        assert_eq!(action_for(right, Scope::Console), Some(Action::SelectRight));
        assert_eq!(action_for(right, Scope::Detail), Some(Action::Adjust(1)));
        let space = KeyEvent::new(KeyCode::Char(' '), KeyModifiers::NONE);
        assert_eq!(action_for(space, Scope::Detail), Some(Action::PlayStop));
        // The automation view takes the detail's keys, but its own win.
        assert_eq!(action_for(right, Scope::Automation), Some(Action::Adjust(1)));
        let x = KeyEvent::new(KeyCode::Char('x'), KeyModifiers::NONE);
        assert_eq!(action_for(x, Scope::Detail), Some(Action::RemoveSend));
        assert_eq!(action_for(x, Scope::Automation), Some(Action::PassToggle));
        let four = KeyEvent::new(KeyCode::Char('4'), KeyModifiers::NONE);
        assert_eq!(action_for(four, Scope::Console), Some(Action::StripMode(Mode::Touch)));
        assert_eq!(action_for(four, Scope::Automation), Some(Action::ParamMode(Mode::Touch)));
    }
}
