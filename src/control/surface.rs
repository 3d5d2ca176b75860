//! A connected surface: its MIDI input, read through its map, moving the mix.
//!
//! The midir callback decodes, maps and pushes: parameter changes go straight to
//! the engine through the surface's own command ring (heard within a period plus
//! smoothing, whatever the console is doing), and everything else, parameter
//! changes included, goes to the console as a `SurfaceEvent` so it shows them and
//! can undo them. Every producer of parameter targets writes them into the shared
//! `ParamMirror`, so a toggle or an encoder turned here starts from the value the
//! console last set, and the other way round.

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, AtomicUsize, Ordering};

use super::generic::{GenericDecoder, Input, is_button};
use std::path::Path;

use super::map::{self, ButtonMode, ControllerMap, Curve, Protocol, Takeover};
use super::midi::Decoder;
use super::targets::{AutomationMode, StripControl, Target, TransportAction};
use crate::engine::Command;
use crate::engine::params::{ParamIndex, ParamTable, ParamValues, Unit};
use crate::ui::meters::FADER;

/// The target value of every parameter, shared by everything that sets targets.
pub struct ParamMirror(Box<[AtomicU32]>);

impl ParamMirror {
    pub fn new(values: &ParamValues, count: usize) -> ParamMirror {
        ParamMirror((0..count).map(|i| AtomicU32::new(values.get_at(i).to_bits())).collect())
    }

    pub fn get(&self, param: ParamIndex) -> f32 {
        f32::from_bits(self.0[param.0 as usize].load(Ordering::Relaxed))
    }

    pub fn set(&self, param: ParamIndex, value: f32) {
        self.0[param.0 as usize].store(value.to_bits(), Ordering::Relaxed);
    }
}

/// What a surface tells the console.
#[derive(Clone, Debug, PartialEq)]
pub enum SurfaceEvent {
    /// A parameter was set from the surface (the engine has it already).
    Param {
        param: ParamIndex,
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
    Automation(AutomationMode),
    /// The surface now shows engine channels from `first` on.
    Bank {
        first: usize,
    },
    Save,
    Undo,
    Redo,
    Connected {
        device: String,
        port: String,
    },
}

/// The parameters a surface strip reaches on one engine channel.
#[derive(Clone, Copy, Debug)]
struct ChannelParams {
    fader: ParamIndex,
    pan: ParamIndex,
    mute: ParamIndex,
    solo: ParamIndex,
    solo_safe: ParamIndex,
}

/// Turns a surface's inputs into parameter changes and console events.
pub struct Mapper {
    map: ControllerMap,
    table: ParamTable,
    /// Engine channels in order, the master last.
    channels: Vec<ChannelParams>,
    /// First engine channel of the surface's bank.
    bank_start: usize,
    /// The strip selected in the console (it publishes it here).
    selected: Arc<AtomicUsize>,
    /// Per control: where the hardware last was, and the value it last set (soft takeover).
    hardware: Vec<Option<f32>>,
    owned: Vec<Option<f32>>,
}

/// What the surface does with an input.
#[derive(Clone, Debug, PartialEq)]
pub enum Action {
    Engine(Command),
    Console(SurfaceEvent),
}

/// Within this distance (of the travel, 0..1) an unmotorised control picks its value up.
const PICKUP_DISTANCE: f32 = 2.0 / 127.0;

impl Mapper {
    pub fn new(map: ControllerMap, table: ParamTable, selected: Arc<AtomicUsize>) -> Mapper {
        let mut channels = Vec::new();
        for spec in table.specs() {
            // Every channel (strip, bus, master) declares `<prefix>.fader`, in engine order.
            if let Some(prefix) = spec.id.strip_suffix(".fader")
                && table.lookup(&format!("{prefix}.solo_safe")).is_ok()
            {
                let find = |s: &str| table.lookup(&format!("{prefix}.{s}")).expect("every channel declares it");
                channels.push(ChannelParams {
                    fader: find("fader"),
                    pan: find("pan"),
                    mute: find("mute"),
                    solo: find("solo"),
                    solo_safe: find("solo_safe"),
                });
            }
        }
        let controls = map.controls.len();
        Mapper {
            map,
            table,
            channels,
            bank_start: 0,
            selected,
            hardware: vec![None; controls],
            owned: vec![None; controls],
        }
    }

    pub fn map(&self) -> &ControllerMap {
        &self.map
    }

    /// Acts on control `index` having done `input`.
    pub fn input(&mut self, index: usize, input: Input, mirror: &ParamMirror, act: &mut impl FnMut(Action)) {
        let control = self.map.controls[index].clone();
        let pressed = matches!(input, Input::Press(true));
        // Actions fire on the press (a latching button: on every change of state).
        let fires = pressed || (control.button == ButtonMode::Latching && matches!(input, Input::Press(_)));
        let channel_of = |slot: u16| Some(self.bank_start + slot as usize).filter(|&c| c + 1 < self.channels.len());
        let (channel, strip_control) = match control.target {
            Target::Strip { slot, control } => (channel_of(slot), control),
            Target::Master(control) => (Some(self.channels.len() - 1), control),
            Target::Selected(control) => (Some(self.selected.load(Ordering::Relaxed)), control),
            Target::Transport(action) if fires => return act(Action::Console(SurfaceEvent::Transport(action))),
            Target::Automation(mode) if fires => return act(Action::Console(SurfaceEvent::Automation(mode))),
            Target::Save if fires => return act(Action::Console(SurfaceEvent::Save)),
            Target::Undo if fires => return act(Action::Console(SurfaceEvent::Undo)),
            Target::Redo if fires => return act(Action::Console(SurfaceEvent::Redo)),
            Target::Bank { forward, one_strip } if fires => return self.bank(forward, one_strip, act),
            _ => return,
        };
        let Some(channel) = channel.filter(|&c| c < self.channels.len()) else { return };
        let p = self.channels[channel];
        let param = match strip_control {
            StripControl::Fader => p.fader,
            StripControl::Pan => p.pan,
            StripControl::Mute => p.mute,
            StripControl::Solo => p.solo,
            StripControl::SoloSafe => p.solo_safe,
            StripControl::Select if fires => return act(Action::Console(SurfaceEvent::Select(channel))),
            StripControl::Touch => {
                if let Input::Press(touched) = input {
                    act(Action::Console(SurfaceEvent::Touch { channel, touched }));
                }
                return;
            }
            StripControl::Select => return,
        };
        let spec = self.table.spec(param);
        let current = mirror.get(param);
        let value = match input {
            Input::Press(down) if is_button(control.target) => match control.button {
                ButtonMode::Latching => down as u8 as f32,
                ButtonMode::Momentary if down => (current < 0.5) as u8 as f32,
                ButtonMode::Momentary => return,
            },
            Input::Press(_) => return,
            Input::Steps(n) => (0..n.unsigned_abs()).fold(current, |v, _| spec.step(v, n.signum() as f32, false)),
            Input::Position(position) => {
                let travel = |v: f32| match (control.curve, spec.unit) {
                    (Curve::Taper, Unit::Db) => FADER.position(v),
                    _ => (v - spec.min) / (spec.max - spec.min),
                };
                let at_value = travel(current);
                let picked_up = control.takeover == Takeover::Jump
                    || self.owned[index] == Some(current)
                    || (position - at_value).abs() < PICKUP_DISTANCE
                    || self.hardware[index].is_some_and(|was| (was - at_value) * (position - at_value) <= 0.0);
                self.hardware[index] = Some(position);
                if !picked_up {
                    return act(Action::Console(SurfaceEvent::Pickup { param, position }));
                }
                match (control.curve, spec.unit) {
                    (Curve::Taper, Unit::Db) => FADER.db_at(position),
                    _ => spec.min + position * (spec.max - spec.min),
                }
            }
        };
        let value = spec.constrain(value);
        self.owned[index] = Some(value);
        if value != current {
            mirror.set(param, value);
            act(Action::Engine(Command::SetParam { param, value }));
            act(Action::Console(SurfaceEvent::Param { param, value }));
        }
    }

    /// Moves the bank by a whole bank or one strip, within the strips and buses.
    fn bank(&mut self, forward: bool, one_strip: bool, act: &mut impl FnMut(Action)) {
        let width = self.map.strips.max(1) as usize;
        let step = if one_strip { 1 } else { width };
        let last_start = (self.channels.len() - 1).saturating_sub(width);
        let start =
            if forward { (self.bank_start + step).min(last_start) } else { self.bank_start.saturating_sub(step) };
        if start != self.bank_start {
            self.bank_start = start;
            // The controls now sit over other values: each must pick its new one up.
            self.hardware.iter_mut().for_each(|h| *h = None);
            self.owned.iter_mut().for_each(|o| *o = None);
            act(Action::Console(SurfaceEvent::Bank { first: start }));
        }
    }
}

/// A surface connected through midir; dropping it disconnects.
pub struct SurfaceLink {
    pub device: String,
    pub port: String,
    _input: midir::MidiInputConnection<()>,
}

/// Input ports whose name contains `pattern`, any case.
pub fn matching_ports(pattern: &str) -> Result<Vec<String>, String> {
    let input = midir::MidiInput::new("headroom-scan").map_err(|e| format!("MIDI: {e}"))?;
    let wanted = pattern.to_lowercase();
    Ok(input
        .ports()
        .iter()
        .filter_map(|p| input.port_name(p).ok())
        .filter(|name| name.to_lowercase().contains(&wanted))
        .collect())
}

/// The maps to use: those named (`--controller`: a shipped map's name or a file), or, when
/// none is named, every shipped map whose device has a MIDI port now.
pub fn choose_maps(named: &[String]) -> Result<Vec<ControllerMap>, String> {
    if named.is_empty() {
        // No MIDI system (no ALSA sequencer, no JACK for the JACK backend): no surfaces, no error.
        return Ok(map::SHIPPED
            .iter()
            .filter_map(|(name, _)| map::shipped(name))
            .filter(|m| m.protocol == Protocol::Generic && matching_ports(&m.port_match).is_ok_and(|p| !p.is_empty()))
            .collect());
    }
    named
        .iter()
        .map(|n| match map::shipped(n) {
            Some(m) => Ok(m),
            None if Path::new(n).exists() => map::load(Path::new(n)).map_err(|e| e.to_string()),
            None => Err(format!(
                "no controller map \"{n}\": give a file, or one of: {}",
                map::SHIPPED.iter().map(|(n, _)| *n).collect::<Vec<_>>().join(", ")
            )),
        })
        .collect()
}

/// Connects the first input port matching `port_pattern` (or the map's `match`) and starts
/// moving the mix: parameter changes into `engine`, events to `console`.
pub fn connect(
    mut mapper: Mapper,
    port_pattern: Option<&str>,
    mirror: Arc<ParamMirror>,
    mut engine: rtrb::Producer<Command>,
    console: impl Fn(SurfaceEvent) + Send + 'static,
) -> Result<SurfaceLink, String> {
    let map = mapper.map().clone();
    if map.protocol == Protocol::Mackie {
        return Err(format!("{}: Mackie Control surfaces are not supported yet", map.source.display()));
    }
    let pattern = port_pattern.unwrap_or(&map.port_match);
    let mut input = midir::MidiInput::new("headroom-surface").map_err(|e| format!("MIDI: {e}"))?;
    input.ignore(midir::Ignore::TimeAndActiveSense);
    let wanted = pattern.to_lowercase();
    let port = input
        .ports()
        .into_iter()
        .find(|p| input.port_name(p).is_ok_and(|n| n.to_lowercase().contains(&wanted)))
        .ok_or_else(|| format!("no MIDI input port matches \"{pattern}\" (for {})", map.device))?;
    let port_name = input.port_name(&port).map_err(|e| format!("MIDI: {e}"))?;
    let mut bytes = Decoder::default();
    let mut generic = GenericDecoder::new(&map.controls);
    let connection = input
        .connect(
            &port,
            "in",
            move |_stamp, message, _| {
                let mut act = |action| match action {
                    // A full ring drops the change rather than wait: this thread must keep up with the device.
                    Action::Engine(command) => drop(engine.push(command)),
                    Action::Console(event) => console(event),
                };
                let mut inputs = Vec::new();
                let mut collect = |i, input| inputs.push((i, input));
                bytes.feed(message, |m| generic.feed(m, &mut collect));
                generic.flush(&mut collect);
                for (i, input) in inputs {
                    mapper.input(i, input, &mirror, &mut act);
                }
            },
            (),
        )
        .map_err(|e| format!("MIDI: cannot connect to {port_name}: {e}"))?;
    Ok(SurfaceLink { device: map.device.clone(), port: port_name, _input: connection })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::Engine;
    use crate::session::load;

    fn demo_mapper() -> (Mapper, ParamMirror, ParamTable) {
        let loaded = load::load(Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/layouts/demo.yaml"))).unwrap();
        let built = Engine::build(&loaded.doc, 48_000.0, 0).unwrap();
        let mirror = ParamMirror::new(&built.values, built.params.specs().len());
        let map = map::shipped("korg-nanokontrol2").unwrap();
        (Mapper::new(map, built.params.clone(), Arc::new(AtomicUsize::new(0))), mirror, built.params)
    }

    fn control(m: &Mapper, target: Target) -> usize {
        m.map().controls.iter().position(|c| c.target == target).unwrap()
    }

    fn fader(slot: u16) -> Target {
        Target::Strip { slot, control: StripControl::Fader }
    }

    #[test]
    fn an_unmotorised_fader_picks_up_the_value_before_moving_it() {
        let (mut m, mirror, table) = demo_mapper();
        let drums = table.lookup("strip.Drums.fader").unwrap();
        let at = FADER.position(mirror.get(drums)); // Drums sits at -4 dB
        let f = control(&m, fader(0));
        let mut actions = Vec::new();
        // The hardware starts far below: no jump, the console is told where it is.
        m.input(f, Input::Position(0.1), &mirror, &mut |a| actions.push(a));
        m.input(f, Input::Position(at - 0.1), &mirror, &mut |a| actions.push(a));
        assert!(actions.iter().all(|a| matches!(a, Action::Console(SurfaceEvent::Pickup { .. }))), "{actions:?}");
        assert_eq!(mirror.get(drums), -4.0);
        // Crossing the value takes over; from then on it follows.
        actions.clear();
        m.input(f, Input::Position(at + 0.05), &mirror, &mut |a| actions.push(a));
        let expected = FADER.db_at(at + 0.05);
        assert_eq!(actions[0], Action::Engine(Command::SetParam { param: drums, value: expected }));
        m.input(f, Input::Position(0.2), &mirror, &mut |_| {});
        assert_eq!(mirror.get(drums), FADER.db_at(0.2));
        // Someone else moves it (the console): the fader must pick it up again.
        mirror.set(drums, 0.0);
        m.input(f, Input::Position(0.25), &mirror, &mut |_| {});
        assert_eq!(mirror.get(drums), 0.0);
    }

    #[test]
    fn a_mute_button_toggles_on_press_and_a_bank_wider_than_the_session_stays_put() {
        let (mut m, mirror, table) = demo_mapper();
        let mute = control(&m, Target::Strip { slot: 1, control: StripControl::Mute });
        let bass_mute = table.lookup("strip.Bass.mute").unwrap();
        for input in [Input::Press(true), Input::Press(false)] {
            m.input(mute, input, &mirror, &mut |_| {});
        }
        assert_eq!(mirror.get(bass_mute), 1.0);
        m.input(mute, Input::Press(true), &mirror, &mut |_| {});
        assert_eq!(mirror.get(bass_mute), 0.0);
        let next = control(&m, Target::Bank { forward: true, one_strip: true });
        let mut events = Vec::new();
        m.input(next, Input::Press(true), &mirror, &mut |a| events.push(a));
        assert!(events.is_empty(), "a bank of 8 over the demo's 7 strips and buses cannot move: {events:?}");
        m.input(mute, Input::Press(true), &mirror, &mut |_| {});
        assert_eq!(mirror.get(bass_mute), 1.0, "still Bass");
    }

    #[test]
    fn banks_page_across_24_strips_and_stop_at_the_last_full_bank() {
        let strips: String = (1..=24).map(|i| format!("  - {{name: S{i}, input: {{ports: [x:{i}]}}}}\n")).collect();
        let doc = load::parse(&format!("version: 1\nname: big\nstrips:\n{strips}"), Path::new("big.yaml")).unwrap().0;
        let built = Engine::build(&doc, 48_000.0, 0).unwrap();
        let mirror = ParamMirror::new(&built.values, built.params.specs().len());
        let map = map::shipped("korg-nanokontrol2").unwrap();
        let mut m = Mapper::new(map, built.params.clone(), Arc::new(AtomicUsize::new(0)));
        let first_mute = control(&m, Target::Strip { slot: 0, control: StripControl::Mute });
        let press = |m: &mut Mapper, target: Target| {
            let mut events = Vec::new();
            m.input(control(m, target), Input::Press(true), &mirror, &mut |a| events.push(a));
            events
        };
        let muted = |name: &str| mirror.get(built.params.lookup(&format!("strip.{name}.mute")).unwrap()) >= 0.5;
        let bank_next = Target::Bank { forward: true, one_strip: false };
        assert_eq!(press(&mut m, bank_next), [Action::Console(SurfaceEvent::Bank { first: 8 })]);
        m.input(first_mute, Input::Press(true), &mirror, &mut |_| {});
        assert!(muted("S9") && !muted("S1"), "the first button now mutes strip 9");
        press(&mut m, bank_next);
        assert_eq!(press(&mut m, bank_next), [], "16..24 is the last full bank");
        press(&mut m, Target::Bank { forward: false, one_strip: true });
        m.input(first_mute, Input::Press(true), &mirror, &mut |_| {});
        assert!(muted("S16"), "one strip back: the first button is strip 16");
    }
}
