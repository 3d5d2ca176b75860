//! Every key binding, in one table: the key handler looks keys up here and the help
//! screen is printed from it, so the two cannot disagree.

use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

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
    ClearClips,
    SetTarget,
    Learn,
    ConnectSurface,
    Help,
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
        action: Action::ClearClips,
        help: "clear the clip lights",
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
        keys: &[(Char('?'), NONE), (Char('?'), SHIFT), (F(1), NONE)],
        label: "? F1",
        action: Action::Help,
        help: "this help",
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

/// The action a key has where the user is; bindings of the narrower scope win.
pub fn action_for(key: KeyEvent, scope: Scope) -> Option<Action> {
    let matches = |b: &&Binding| b.keys.iter().any(|&(code, mods)| code == key.code && mods == key.modifiers);
    BINDINGS
        .iter()
        .filter(|b| b.scope == scope)
        .find(matches)
        .or_else(|| BINDINGS.iter().filter(|b| b.scope == Scope::Global).find(matches))
        .map(|b| b.action)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_key_means_two_things_in_one_place() {
        for scope in [Scope::Console, Scope::Detail] {
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
    }
}
