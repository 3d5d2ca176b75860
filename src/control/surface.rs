//! A surface's controls, read through its map, moving the mix.
//!
//! The midir callback decodes, maps and pushes: parameter changes go straight to
//! the engine through the surface's own command ring (heard within a period plus
//! smoothing, whatever the console is doing), and everything else, parameter
//! changes included, goes to the console as a `SurfaceEvent` so it shows them and
//! can undo them. Every control sets its parameters' targets in the one shared
//! `ParamTargets`, so a toggle or an encoder turned here starts from the value the
//! console last set, and the other way round; the surface's feedback reads it too.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use super::generic::Input;
use super::map::{ButtonMode, ControlDoc, ControllerMap, Curve, Takeover};
use super::targets::is_button;
use super::targets::{StripControl, Target, TransportAction};
use crate::automation::Mode;
use crate::engine::Command;
use crate::engine::params::{ChannelParams, ParamIndex, ParamSpec, ParamTable, Unit};
use crate::engine::setup::ChannelKind;
use crate::engine::targets::ParamTargets;

/// How a surface's MIDI connection stands.
#[derive(Clone, Debug, PartialEq)]
pub enum LinkState {
    Connected {
        port: String,
        /// Something about this connection the user should know (SysEx over PipeWire's JACK).
        caveat: Option<String>,
    },
    /// No port matches yet (never plugged in, or unplugged): headroom keeps looking.
    Waiting { pattern: String },
    /// MIDI itself is not there (no ALSA sequencer, no JACK for the JACK backend).
    Failed(String),
}

/// What a surface tells the console.
#[derive(Clone, Debug, PartialEq)]
pub enum SurfaceEvent {
    /// A parameter was set from the surface from `before` (the engine and the targets have it already).
    Param {
        param: ParamIndex,
        before: f32,
        value: f32,
    },
    /// An unmotorised control has not reached its parameter's value yet: it sits at
    /// `position` (0..1 of its travel) and takes over once it gets there.
    Pickup {
        param: ParamIndex,
        position: f32,
    },
    Transport(TransportAction),
    /// Select engine channel `channel` in the console.
    Select(usize),
    /// Touch or release of a fader (engine channel), for Touch/Latch automation.
    Touch {
        channel: usize,
        touched: bool,
    },
    Automation(Mode),
    /// Surface `device` now shows engine channels from `first`, `width` of them (some may
    /// be past the last channel).
    Bank {
        device: String,
        first: usize,
        width: usize,
    },
    Save,
    Undo,
    Redo,
    Link {
        device: String,
        state: LinkState,
    },
    /// MIDI learn bound a control of `device` (`binding` says how), saved in a user map.
    Learned {
        device: String,
        binding: String,
        saved: Result<std::path::PathBuf, String>,
    },
}

/// The bank shared by the units of one surface (a Mackie main unit and its extenders
/// page together); a lone surface has a bank of its own.
pub struct BankGroup {
    first: AtomicUsize,
    /// Strips over all the units.
    width: usize,
}

impl BankGroup {
    pub fn new(width: u16) -> Arc<BankGroup> {
        Arc::new(BankGroup { first: AtomicUsize::new(0), width: width.max(1) as usize })
    }

    pub fn first(&self) -> usize {
        self.first.load(Ordering::Relaxed)
    }
}

/// What a target reaches on the engine now.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Reach {
    Param {
        param: ParamIndex,
        channel: usize,
    },
    Select(usize),
    Touch(usize),
    /// Not a channel's control (transport, bank, ...), or a strip past the session's last.
    Elsewhere,
}

/// A fader without a touch sensor counts as touched this long after it last moved.
pub const TOUCH_IDLE: Duration = Duration::from_millis(500);

/// Where one surface's controls land now, shared by its input and its feedback: the
/// engine's channels, its bank, the console's selection, and which faders are in hand.
pub struct Binding {
    table: ParamTable,
    channels: Vec<ChannelParams>,
    /// Channel names, engine order (strips, buses, "Master").
    pub names: Vec<String>,
    bank: Arc<BankGroup>,
    /// This unit's first slot within its group's bank.
    offset: usize,
    /// This unit's strips.
    strips: usize,
    /// The strip selected in the console (it publishes it here).
    selected: Arc<AtomicUsize>,
    /// Per engine channel: the fader's touch sensor is held.
    touched: Box<[AtomicBool]>,
    /// Per engine channel: when (ms from `epoch`, plus one) the fader last moved here.
    moved: Box<[AtomicU64]>,
    epoch: Instant,
    /// The surface reports touch itself; otherwise touch is inferred from movement.
    touch_sensing: bool,
}

impl Binding {
    pub fn new(
        map: &ControllerMap,
        table: &ParamTable,
        bank: Arc<BankGroup>,
        offset: u16,
        selected: Arc<AtomicUsize>,
    ) -> Binding {
        let channels = table.channels().to_vec();
        // The master's name on a scribble strip.
        let names = channels
            .iter()
            .map(|ch| if ch.kind == ChannelKind::Master { "Master".to_string() } else { ch.name.clone() })
            .collect();
        let count = channels.len();
        Binding {
            table: table.clone(),
            channels,
            names,
            bank,
            offset: offset as usize,
            strips: map.strips as usize,
            selected,
            touched: (0..count).map(|_| AtomicBool::new(false)).collect(),
            moved: (0..count).map(|_| AtomicU64::new(0)).collect(),
            epoch: Instant::now(),
            touch_sensing: map.controls.iter().any(|c| {
                matches!(
                    c.target,
                    Target::Strip { control: StripControl::Touch, .. } | Target::Master(StripControl::Touch)
                )
            }),
        }
    }

    /// The engine channel on bank slot `slot` of this unit, if the session has one there.
    pub fn slot_channel(&self, slot: u16) -> Option<usize> {
        Some(self.bank.first() + self.offset + slot as usize).filter(|&c| c + 1 < self.channels.len())
    }

    pub fn master(&self) -> usize {
        self.channels.len() - 1
    }

    /// Channel `channel`'s fader: whose automation mode its strip shows.
    pub fn fader(&self, channel: usize) -> Option<ParamIndex> {
        self.channels.get(channel).map(|c| c.fader)
    }

    pub fn selected(&self) -> usize {
        self.selected.load(Ordering::Relaxed)
    }

    pub fn bank(&self) -> &BankGroup {
        &self.bank
    }

    /// How many strips this unit has.
    pub fn strips(&self) -> usize {
        self.strips
    }

    /// The first engine channel this unit shows now.
    pub fn first_shown(&self) -> usize {
        self.bank.first() + self.offset
    }

    pub fn reach(&self, target: Target) -> Reach {
        let (channel, control) = match target {
            Target::Strip { slot, control } => (self.slot_channel(slot), control),
            Target::Master(control) => (Some(self.master()), control),
            Target::Selected(control) => (Some(self.selected()).filter(|&c| c < self.channels.len()), control),
            // A parameter this session lacks (a binding learned in another) reaches nothing.
            Target::Param(id) => {
                return self
                    .table
                    .lookup(id)
                    .map_or(Reach::Elsewhere, |param| Reach::Param { param, channel: self.table.spec(param).owner });
            }
            _ => return Reach::Elsewhere,
        };
        let Some(channel) = channel else { return Reach::Elsewhere };
        let p = &self.channels[channel];
        let param = match control {
            StripControl::Fader => p.fader,
            StripControl::Pan => p.pan,
            StripControl::Mute => p.mute,
            StripControl::Solo => p.solo,
            StripControl::SoloSafe => p.solo_safe,
            StripControl::Select => return Reach::Select(channel),
            StripControl::Touch => return Reach::Touch(channel),
        };
        Reach::Param { param, channel }
    }

    /// Whether a hand is on channel `channel`'s fader here: its touch sensor is held, or,
    /// on a surface without sensors, it moved within `TOUCH_IDLE`.
    pub fn in_hand(&self, channel: usize) -> bool {
        if self.touch_sensing {
            return self.touched[channel].load(Ordering::Relaxed);
        }
        let moved = self.moved[channel].load(Ordering::Relaxed);
        moved != 0 && self.now_ms() + 1 - moved < TOUCH_IDLE.as_millis() as u64
    }

    fn now_ms(&self) -> u64 {
        self.epoch.elapsed().as_millis() as u64
    }
}

/// Turns a surface's inputs into parameter changes and console events.
pub struct Mapper {
    map: ControllerMap,
    table: ParamTable,
    binding: Arc<Binding>,
    /// The bank the takeover state below belongs to.
    bank_seen: usize,
    /// Per control: where the hardware last was, and the value it last set (soft takeover).
    hardware: Vec<Option<f32>>,
    owned: Vec<Option<f32>>,
}

/// What the surface does with an input.
#[derive(Clone, Debug, PartialEq)]
pub enum Action {
    Engine(Command),
    Console(SurfaceEvent),
    /// Send control `control`'s position back to it: a motor fader holds only what the host sends.
    Echo {
        control: usize,
        position: f32,
    },
}

/// Where on a control's travel (0..1) a parameter value sits.
pub fn travel(curve: Curve, spec: &ParamSpec, value: f32) -> f32 {
    // A taper curve follows the parameter's own (a fader's); others move evenly.
    match curve {
        Curve::Taper => spec.position(value),
        _ => ((value - spec.min) / (spec.max - spec.min)).clamp(0.0, 1.0),
    }
}

/// The parameter value at a point of a control's travel.
fn value_at(curve: Curve, spec: &ParamSpec, position: f32) -> f32 {
    match curve {
        Curve::Taper => spec.value_at(position),
        _ => spec.min + position * (spec.max - spec.min),
    }
}

/// Within this distance (of the travel, 0..1) an unmotorised control picks its value up.
const PICKUP_DISTANCE: f32 = 2.0 / 127.0;

impl Mapper {
    pub fn new(map: ControllerMap, table: ParamTable, binding: Arc<Binding>) -> Mapper {
        let controls = map.controls.len();
        Mapper { map, table, binding, bank_seen: 0, hardware: vec![None; controls], owned: vec![None; controls] }
    }

    pub fn map(&self) -> &ControllerMap {
        &self.map
    }

    pub fn binding(&self) -> &Binding {
        &self.binding
    }

    /// Takes a learned control into the map; takeover starts over for every control.
    pub fn bind(&mut self, doc: &ControlDoc) {
        self.map.bind(doc);
        self.hardware = vec![None; self.map.controls.len()];
        self.owned = vec![None; self.map.controls.len()];
    }

    /// Acts on control `index` having done `input`.
    pub fn input(&mut self, index: usize, input: Input, targets: &ParamTargets, act: &mut impl FnMut(Action)) {
        let control = &self.map.controls[index];
        let (target, button, curve, takeover, echo) =
            (control.target, control.button, control.curve, control.takeover, control.feedback);
        let pressed = matches!(input, Input::Press(true));
        // Actions fire on the press (a latching button: on every change of state).
        let fires = pressed || (button == ButtonMode::Latching && matches!(input, Input::Press(_)));
        let console = |event| Action::Console(event);
        match target {
            Target::Transport(action) if fires => return act(console(SurfaceEvent::Transport(action))),
            Target::Automation(mode) if fires => return act(console(SurfaceEvent::Automation(mode))),
            Target::Save if fires => return act(console(SurfaceEvent::Save)),
            Target::Undo if fires => return act(console(SurfaceEvent::Undo)),
            Target::Redo if fires => return act(console(SurfaceEvent::Redo)),
            Target::Bank { forward, one_strip } if fires => return self.bank(forward, one_strip),
            _ => {}
        }
        let binding = self.binding.clone();
        if binding.bank().first() != self.bank_seen {
            // The controls now sit over other values: each must pick its new one up.
            self.bank_seen = binding.bank().first();
            self.hardware.iter_mut().for_each(|h| *h = None);
            self.owned.iter_mut().for_each(|o| *o = None);
        }
        let (param, channel) = match binding.reach(target) {
            Reach::Param { param, channel } => (param, channel),
            Reach::Select(channel) if fires => return act(console(SurfaceEvent::Select(channel))),
            Reach::Touch(channel) => {
                if let Input::Press(touched) = input {
                    binding.touched[channel].store(touched, Ordering::Relaxed);
                    // Touch and Latch write while the sensor is held, from the touch on.
                    act(Action::Engine(Command::Touch { param: binding.channels[channel].fader, touched }));
                    act(console(SurfaceEvent::Touch { channel, touched }));
                }
                return;
            }
            Reach::Select(_) | Reach::Elsewhere => return,
        };
        let spec = self.table.spec(param);
        let current = targets.shown(param);
        let switch = is_button(target) || spec.unit == Unit::Toggle;
        let value = match input {
            Input::Press(down) if switch => match button {
                ButtonMode::Latching => down as u8 as f32,
                ButtonMode::Momentary if down => (current < 0.5) as u8 as f32,
                ButtonMode::Momentary => return,
            },
            Input::Press(_) => return,
            Input::Steps(n) => (0..n.unsigned_abs()).fold(current, |v, _| spec.step(v, n.signum() as f32, false)),
            Input::Position(position) => {
                let at_value = travel(curve, spec, current);
                let picked_up = takeover == Takeover::Jump
                    || self.owned[index] == Some(current)
                    || (position - at_value).abs() < PICKUP_DISTANCE
                    || self.hardware[index].is_some_and(|was| (was - at_value) * (position - at_value) <= 0.0);
                self.hardware[index] = Some(position);
                if !picked_up {
                    return act(console(SurfaceEvent::Pickup { param, position }));
                }
                binding.moved[channel].store(binding.now_ms() + 1, Ordering::Relaxed);
                if echo {
                    act(Action::Echo { control: index, position });
                }
                value_at(curve, spec, position)
            }
        };
        let value = spec.constrain(value);
        self.owned[index] = Some(value);
        if value != current {
            let before = targets.get(param);
            targets.set(param, value);
            // A hand did it: automation counts it as a touch (released after the idle time
            // unless the surface has touch sensing).
            act(Action::Engine(Command::Move { param, value }));
            act(console(SurfaceEvent::Param { param, before, value }));
        }
    }

    /// Moves the bank by a whole bank or one strip, within the strips and buses.
    fn bank(&mut self, forward: bool, one_strip: bool) {
        let group = self.binding.bank();
        let step = if one_strip { 1 } else { group.width };
        let last_start = self.binding.master().saturating_sub(group.width);
        // The link threads of the group's units see the move and tell the console.
        let _ = group.first.fetch_update(Ordering::Relaxed, Ordering::Relaxed, |first| {
            let start = if forward { (first + step).min(last_start) } else { first.saturating_sub(step) };
            (start != first).then_some(start)
        });
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::control::map;
    use crate::session::load;
    use crate::session::resolve::build_engine;
    use crate::session::schema::SessionDoc;
    use std::path::Path;

    /// A mapper for a shipped map alone on its bank, and the session's parameter values.
    pub(crate) fn mapper(map: &str, doc: &SessionDoc) -> (Mapper, ParamTargets, ParamTable) {
        let built = build_engine(doc, 48_000.0, 0).unwrap();
        let targets = ParamTargets::new(&built.values, built.telemetry.clone());
        let map = map::shipped(map).unwrap();
        let binding = Binding::new(&map, &built.params, BankGroup::new(map.strips), 0, Arc::new(AtomicUsize::new(0)));
        (Mapper::new(map, built.params.clone(), Arc::new(binding)), targets, built.params)
    }

    pub(crate) fn demo() -> SessionDoc {
        load::load(Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/layouts/demo.yaml"))).unwrap().doc
    }

    fn demo_mapper() -> (Mapper, ParamTargets, ParamTable) {
        mapper("korg-nanokontrol2", &demo())
    }

    fn control(m: &Mapper, target: Target) -> usize {
        m.map().controls.iter().position(|c| c.target == target).unwrap()
    }

    fn fader(slot: u16) -> Target {
        Target::Strip { slot, control: StripControl::Fader }
    }

    use crate::dsp::param::FADER_TAPER;

    #[test]
    fn an_unmotorised_fader_picks_up_the_value_before_moving_it() {
        let (mut m, targets, table) = demo_mapper();
        let drums = table.lookup("strip.Drums.fader").unwrap();
        let at = FADER_TAPER.position(targets.get(drums)); // Drums sits at -4 dB
        let f = control(&m, fader(0));
        let mut actions = Vec::new();
        // The hardware starts far below: no jump, the console is told where it is.
        m.input(f, Input::Position(0.1), &targets, &mut |a| actions.push(a));
        m.input(f, Input::Position(at - 0.1), &targets, &mut |a| actions.push(a));
        assert!(actions.iter().all(|a| matches!(a, Action::Console(SurfaceEvent::Pickup { .. }))), "{actions:?}");
        assert_eq!(targets.get(drums), -4.0);
        // Crossing the value takes over; from then on it follows.
        actions.clear();
        m.input(f, Input::Position(at + 0.05), &targets, &mut |a| actions.push(a));
        let expected = FADER_TAPER.value_at(at + 0.05);
        assert_eq!(actions[0], Action::Engine(Command::Move { param: drums, value: expected }));
        m.input(f, Input::Position(0.2), &targets, &mut |_| {});
        assert_eq!(targets.get(drums), FADER_TAPER.value_at(0.2));
        // Someone else moves it (the console): the fader must pick it up again.
        targets.set(drums, 0.0);
        m.input(f, Input::Position(0.25), &targets, &mut |_| {});
        assert_eq!(targets.get(drums), 0.0);
    }

    #[test]
    fn a_mute_button_toggles_on_press_and_a_bank_wider_than_the_session_stays_put() {
        let (mut m, targets, table) = demo_mapper();
        let mute = control(&m, Target::Strip { slot: 1, control: StripControl::Mute });
        let bass_mute = table.lookup("strip.Bass.mute").unwrap();
        for input in [Input::Press(true), Input::Press(false)] {
            m.input(mute, input, &targets, &mut |_| {});
        }
        assert_eq!(targets.get(bass_mute), 1.0);
        m.input(mute, Input::Press(true), &targets, &mut |_| {});
        assert_eq!(targets.get(bass_mute), 0.0);
        let next = control(&m, Target::Bank { forward: true, one_strip: true });
        m.input(next, Input::Press(true), &targets, &mut |_| {});
        assert_eq!(m.binding.first_shown(), 0, "a bank of 8 over the demo's 7 strips and buses cannot move");
        m.input(mute, Input::Press(true), &targets, &mut |_| {});
        assert_eq!(targets.get(bass_mute), 1.0, "still Bass");
    }

    #[test]
    fn banks_page_across_24_strips_and_stop_at_the_last_full_bank() {
        let strips: String = (1..=24).map(|i| format!("  - {{name: S{i}, input: {{ports: [x:{i}]}}}}\n")).collect();
        let doc = load::parse(&format!("version: 1\nname: big\nstrips:\n{strips}"), Path::new("big.yaml")).unwrap().0;
        let (mut m, targets, table) = mapper("korg-nanokontrol2", &doc);
        let first_mute = control(&m, Target::Strip { slot: 0, control: StripControl::Mute });
        let press =
            |m: &mut Mapper, target: Target| m.input(control(m, target), Input::Press(true), &targets, &mut |_| {});
        let muted = |name: &str| targets.get(table.lookup(&format!("strip.{name}.mute")).unwrap()) >= 0.5;
        let bank_next = Target::Bank { forward: true, one_strip: false };
        press(&mut m, bank_next);
        assert_eq!(m.binding.first_shown(), 8);
        m.input(first_mute, Input::Press(true), &targets, &mut |_| {});
        assert!(muted("S9") && !muted("S1"), "the first button now mutes strip 9");
        press(&mut m, bank_next);
        press(&mut m, bank_next);
        assert_eq!(m.binding.first_shown(), 16, "16..24 is the last full bank");
        press(&mut m, Target::Bank { forward: false, one_strip: true });
        m.input(first_mute, Input::Press(true), &targets, &mut |_| {});
        assert!(muted("S16"), "one strip back: the first button is strip 16");
    }
}
