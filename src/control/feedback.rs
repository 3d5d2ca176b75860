//! What a surface is sent back: motor fader positions, LEDs, knob rings, and on a
//! Mackie unit the scribble strips, timecode and meters. Computed from the shared
//! values at the feedback rate and sent only where they changed, so a resync after
//! a reconnect is just forgetting what was sent.
//!
//! Rules (reference §1.9): a fader move from the surface is echoed straight back
//! (a Mackie motor returns to the last position it was sent otherwise); a fader in
//! the engineer's hand is never driven, and gets the current value once released.

use std::sync::Arc;

use super::mackie::{self, Greeting, LCD_STRIP_WIDTH, MackieDoc};
use super::map::{Control, ControlDoc, ControllerMap, Message};
use super::midi::MidiMessage;
use super::presonus::{self, PresonusDoc};
use super::surface::{Binding, Reach, travel};
use super::targets::is_button;
use super::targets::{StripControl, Target, TransportAction};
use crate::engine::params::ParamTable;
use crate::engine::targets::ParamTargets;
use crate::engine::telemetry::{PeakReader, Telemetry};

/// The transport as the surface shows it.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct TransportNow {
    pub rolling: bool,
    pub looping: bool,
    pub seconds: f64,
}

pub struct Feedback {
    map: ControllerMap,
    table: ParamTable,
    binding: Arc<Binding>,
    /// Per control: the bytes it was last sent.
    sent: Vec<Option<Vec<u8>>>,
    mackie: Option<MackieShown>,
    presonus: Option<PresonusShown>,
    /// This surface's own place in the meters' peak histories (other readers keep theirs).
    peaks: PeakReader,
}

/// The peak a strip's meter should show now (both sides, since this surface last looked),
/// if the slot has a channel.
fn strip_peak(binding: &Binding, peaks: &mut PeakReader, slot: u16, telemetry: &Telemetry) -> Option<f32> {
    binding.slot_channel(slot).map(|c| {
        let [left, right] = peaks.peaks(telemetry, c);
        left.max(right)
    })
}

/// What a FaderPort's scribble strips were last sent.
struct PresonusShown {
    unit: PresonusDoc,
    /// Per line and strip.
    text: Vec<Option<String>>,
}

/// What a Mackie unit's displays were last sent.
struct MackieShown {
    unit: MackieDoc,
    /// The model byte of our SysEx: the unit's own, once it has said it.
    model: u8,
    /// Per line and strip: the text on the LCD.
    lcd: Vec<Option<String>>,
    timecode: Option<[u8; 10]>,
}

impl Feedback {
    pub fn new(map: ControllerMap, table: ParamTable, binding: Arc<Binding>) -> Feedback {
        let mackie = map.mackie.map(|unit| MackieShown {
            unit,
            model: unit.model(),
            lcd: vec![None; 2 * map.strips as usize],
            timecode: None,
        });
        let presonus = map.presonus.map(|unit| PresonusShown { unit, text: vec![None; 2 * map.strips as usize] });
        Feedback {
            sent: vec![None; map.controls.len()],
            map,
            table,
            binding,
            mackie,
            presonus,
            peaks: PeakReader::default(),
        }
    }

    /// Forgets what the device shows and returns what brings it up: the map's init
    /// messages, and on a Mackie unit the device query and meter modes. The next
    /// `due` then sends everything.
    pub fn hello(&mut self) -> Vec<Vec<u8>> {
        self.sent.iter_mut().for_each(|s| *s = None);
        let mut out = self.map.init.clone();
        if let Some(shown) = &mut self.mackie {
            shown.lcd.iter_mut().for_each(|l| *l = None);
            shown.timecode = None;
            out.push(mackie::device_query(shown.model));
            if shown.unit.meters {
                out.extend((0..self.map.strips as u8).map(|strip| mackie::meter_mode(shown.model, strip)));
            }
        }
        if let Some(shown) = &mut self.presonus {
            shown.text.iter_mut().for_each(|t| *t = None);
            out.extend((0..self.map.strips as u8).map(|strip| presonus::strip_mode(&shown.unit, strip)));
        }
        out
    }

    /// The message that puts control `control` back where the hardware says it is.
    pub fn echo(&mut self, control: usize, position: f32) -> Vec<u8> {
        let bytes = encode_position(&self.map.controls[control], position);
        self.sent[control] = Some(bytes.clone());
        bytes
    }

    pub fn map(&self) -> &ControllerMap {
        &self.map
    }

    /// Takes a learned control into the map; everything is sent anew.
    pub fn bind(&mut self, doc: &ControlDoc) {
        self.map.bind(doc);
        self.sent = vec![None; self.map.controls.len()];
    }

    /// The channels the unit shows: the first, and how many strips it has.
    pub fn shows(&self) -> (usize, usize) {
        (self.binding.first_shown(), self.map.strips as usize)
    }

    /// Answers what a Mackie unit said, if it needs an answer.
    pub fn greeting(&mut self, greeting: Greeting) -> Option<Vec<u8>> {
        let shown = self.mackie.as_mut()?;
        match greeting {
            Greeting::Challenge { model, serial, challenge } => {
                shown.model = model;
                Some(mackie::challenge_reply(model, serial, challenge))
            }
            Greeting::Model(model) if model != shown.model => {
                // Speak the unit's own model byte (as Ardour does), and redraw in it.
                shown.model = model;
                shown.lcd.iter_mut().for_each(|l| *l = None);
                None
            }
            Greeting::Model(_) => None,
        }
    }

    /// Everything whose shown state differs from the current one, as messages.
    pub fn due(&mut self, targets: &ParamTargets, transport: TransportNow, telemetry: &Telemetry) -> Vec<Vec<u8>> {
        let mut out = Vec::new();
        for (i, control) in self.map.controls.iter().enumerate() {
            if !control.feedback {
                continue;
            }
            let Some(bytes) = self.wanted(control, targets, transport, telemetry) else { continue };
            if self.sent[i].as_ref() != Some(&bytes) {
                out.push(bytes.clone());
                self.sent[i] = Some(bytes);
            }
        }
        if self.mackie.is_some() {
            self.mackie_displays(targets, transport, telemetry, &mut out);
        }
        if self.presonus.is_some() {
            self.presonus_displays(targets, telemetry, &mut out);
        }
        out
    }

    /// A FaderPort's scribble strips (name above, fader value below) and meters.
    fn presonus_displays(&mut self, targets: &ParamTargets, telemetry: &Telemetry, out: &mut Vec<Vec<u8>>) {
        let unit = self.presonus.as_ref().expect("a FaderPort").unit;
        for slot in 0..self.map.strips {
            if unit.display {
                let lines = self.strip_text(slot, targets);
                let shown = self.presonus.as_mut().expect("a FaderPort");
                for (line, text) in lines.into_iter().enumerate() {
                    let text = text.trim().to_string();
                    let index = line * self.map.strips as usize + slot as usize;
                    if shown.text[index].as_ref() != Some(&text) {
                        out.push(presonus::text(unit.model, slot as u8, line as u8, &text));
                        shown.text[index] = Some(text);
                    }
                }
            }
            if unit.meters
                && let Some(peak) = strip_peak(&self.binding, &mut self.peaks, slot, telemetry)
            {
                // The meter falls by itself: only readings above the floor are sent.
                let message = presonus::meter(slot as u8, peak);
                if message[1] != 0 {
                    out.push(message.to_vec());
                }
            }
        }
    }

    /// What control `control` should show now; `None` leaves it as it is.
    fn wanted(
        &self,
        control: &Control,
        targets: &ParamTargets,
        transport: TransportNow,
        telemetry: &Telemetry,
    ) -> Option<Vec<u8>> {
        let on = match (control.target, self.binding.reach(control.target)) {
            (_, Reach::Param { channel, .. }) if is_fader(control.target) && self.binding.in_hand(channel) => {
                return None;
            }
            (target, Reach::Param { param, .. }) if !is_button(target) => {
                let spec = self.table.spec(param);
                return Some(encode_position(control, travel(control.curve, spec, targets.shown(param))));
            }
            (_, Reach::Param { param, .. }) => targets.shown(param) >= 0.5,
            (_, Reach::Select(channel)) => channel == self.binding.selected(),
            (Target::Transport(action), _) => match action {
                TransportAction::Play | TransportAction::PlayStop => transport.rolling,
                TransportAction::Stop => !transport.rolling,
                TransportAction::Loop => transport.looping,
                _ => false,
            },
            // The mode of the selected strip, as its fader's lane has it.
            (Target::Automation(mode), _) => {
                self.binding.fader(self.binding.selected()).is_some_and(|f| telemetry.automation.mode(f) == mode)
            }
            // A touch sensor has no light.
            (_, Reach::Touch(_)) => return None,
            // A strip past the session's last: dark, and its fader down.
            (target, Reach::Elsewhere) if is_fader(target) => return Some(encode_position(control, 0.0)),
            _ => false,
        };
        let velocity = control.led[on as usize];
        Some(match control.led_note {
            Some(note) => vec![0x90 | control.channel, note, velocity],
            None => encode_value(control, velocity as u16),
        })
    }

    /// What bank slot `slot`'s scribble strip says: the channel's name (shortened to six
    /// characters) and its fader; blank past the session's last strip.
    fn strip_text(&self, slot: u16, targets: &ParamTargets) -> [String; 2] {
        let Some(channel) = self.binding.slot_channel(slot) else { return [String::new(), String::new()] };
        let fader = match self.binding.reach(Target::Strip { slot, control: StripControl::Fader }) {
            Reach::Param { param, .. } => targets.shown(param),
            _ => f32::NEG_INFINITY,
        };
        [mackie::scribble(&self.binding.names[channel]), fader_text(fader)]
    }

    fn mackie_displays(
        &mut self,
        targets: &ParamTargets,
        transport: TransportNow,
        telemetry: &Telemetry,
        out: &mut Vec<Vec<u8>>,
    ) {
        let strips = self.map.strips;
        let unit = self.mackie.as_ref().expect("a Mackie unit").unit;
        for slot in 0..strips {
            if unit.display {
                let width = if slot + 1 == strips { LCD_STRIP_WIDTH - 1 } else { LCD_STRIP_WIDTH };
                let lines = self.strip_text(slot, targets);
                let shown = self.mackie.as_mut().expect("a Mackie unit");
                for (line, text) in lines.into_iter().enumerate() {
                    let text = format!("{text:<width$}");
                    let index = line * strips as usize + slot as usize;
                    if shown.lcd[index].as_ref() != Some(&text) {
                        out.push(mackie::lcd(shown.model, line as u8, slot as u8 * LCD_STRIP_WIDTH as u8, &text));
                        shown.lcd[index] = Some(text);
                    }
                }
            }
            if unit.meters
                && let Some(peak) = strip_peak(&self.binding, &mut self.peaks, slot, telemetry)
            {
                // The unit lets a meter fall by itself: only peaks above the floor are sent.
                let message = mackie::meter(slot as u8, peak);
                if message[1] & 0x0F != 0 {
                    out.push(message.to_vec());
                }
            }
        }
        let shown = self.mackie.as_mut().expect("a Mackie unit");
        if shown.unit.timecode && !shown.unit.extender {
            let digits = mackie::timecode_digits(transport.seconds);
            for (i, digit) in digits.iter().enumerate() {
                if shown.timecode.is_none_or(|old| old[i] != *digit) {
                    out.push(vec![0xB0, mackie::TIMECODE_CC + i as u8, *digit]);
                }
            }
            shown.timecode = Some(digits);
        }
    }
}

fn is_fader(target: Target) -> bool {
    matches!(
        target,
        Target::Strip { control: StripControl::Fader, .. }
            | Target::Master(StripControl::Fader)
            | Target::Selected(StripControl::Fader)
    )
}

/// A fader's value for the scribble strip, in six characters.
fn fader_text(db: f32) -> String {
    if db.is_finite() { format!("{db:>6.1}") } else { "  -inf".into() }
}

/// A continuous control's message at `position` (0..1): a knob's ring if it has one,
/// else its own message over its raw range.
fn encode_position(control: &Control, position: f32) -> Vec<u8> {
    let position = position.clamp(0.0, 1.0);
    if let Some(ring) = control.ring {
        let value = ring.low as f32 + position * (ring.high as f32 - ring.low as f32);
        return cc(control.channel, ring.cc, value.round() as u8);
    }
    let (low, high) = control.range;
    let raw = (low as f32 + position * (high - low) as f32).round() as u16;
    encode_value(control, raw)
}

/// A raw value in the control's own message.
fn encode_value(control: &Control, raw: u16) -> Vec<u8> {
    let channel = control.channel;
    let mut out = Vec::new();
    let message = match control.message {
        Message::Cc(n) => MidiMessage::ControlChange { channel, controller: n, value: raw.min(127) as u8 },
        Message::Note(note) => MidiMessage::NoteOn { channel, note, velocity: raw.min(127) as u8 },
        // Motor faders are 10-bit: the low four bits of the 14 carry nothing (reference §1.2).
        Message::PitchBend => MidiMessage::PitchBend { channel, value: raw.min(16383) & !0x0F },
        Message::Cc14(msb) => {
            out = cc(channel, msb, (raw >> 7) as u8);
            MidiMessage::ControlChange { channel, controller: msb + 32, value: (raw & 0x7F) as u8 }
        }
        Message::Nrpn(number) => {
            for (controller, value) in [(99, number >> 7), (98, number & 0x7F), (6, raw >> 7)] {
                out.extend(cc(channel, controller, value as u8));
            }
            MidiMessage::ControlChange { channel, controller: 38, value: (raw & 0x7F) as u8 }
        }
    };
    message.write(&mut out);
    out
}

fn cc(channel: u8, controller: u8, value: u8) -> Vec<u8> {
    vec![0xB0 | channel, controller, value & 0x7F]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::control::generic::Input;
    use crate::control::map;
    use crate::control::surface::{BankGroup, Mapper};
    use crate::session::load;
    use crate::session::resolve::build_engine;
    use std::path::Path;
    use std::sync::atomic::{AtomicUsize, Ordering};

    struct Rig {
        feedback: Feedback,
        mapper: Mapper,
        targets: ParamTargets,
        table: ParamTable,
        telemetry: Arc<Telemetry>,
    }

    fn rig(map: &str) -> Rig {
        let doc = load::load(Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/layouts/demo.yaml"))).unwrap().doc;
        let built = build_engine(&doc, 48_000.0, 0).unwrap();
        let map = map::shipped(map).unwrap();
        let binding = Arc::new(Binding::new(&map, &built.params, BankGroup::new(8), 0, Arc::new(AtomicUsize::new(0))));
        Rig {
            feedback: Feedback::new(map.clone(), built.params.clone(), binding.clone()),
            mapper: Mapper::new(map, built.params.clone(), binding),
            targets: ParamTargets::new(&built.values, built.telemetry.clone()),
            telemetry: built.telemetry.clone(),
            table: built.params,
        }
    }

    impl Rig {
        fn due(&mut self) -> Vec<Vec<u8>> {
            self.feedback.due(&self.targets, TransportNow::default(), &self.telemetry)
        }

        fn control(&self, target: Target) -> usize {
            self.mapper.map().controls.iter().position(|c| c.target == target).unwrap()
        }

        fn input(&mut self, target: Target, input: Input) {
            let control = self.control(target);
            self.mapper.input(control, input, &self.targets, &mut |_| {});
        }
    }

    fn strip(slot: u16, control: StripControl) -> Target {
        Target::Strip { slot, control }
    }

    #[test]
    fn a_mackie_unit_is_sent_motor_positions_leds_names_and_only_what_changed() {
        let mut r = rig("mackie-control");
        let hello = r.feedback.hello();
        assert!(hello.contains(&mackie::device_query(0x14)), "{hello:02X?}");
        let first = r.due();
        // Drums sits at -4 dB: its motor goes to the taper position, 10-bit.
        let raw = ((crate::dsp::param::FADER_TAPER.position(-4.0) * 16383.0).round() as u16) & !0x0F;
        assert!(first.contains(&vec![0xE0, (raw & 0x7F) as u8, (raw >> 7) as u8]), "{first:02X?}");
        assert!(first.contains(&vec![0x90, 0x10, 0x00]), "Drums' mute LED off");
        assert!(first.contains(&mackie::lcd(0x14, 0, 0, "Drums  ")), "names on the upper line");
        assert!(first.contains(&mackie::lcd(0x14, 1, 0, "  -4.0 ")), "values on the lower line");
        assert_eq!(r.due(), Vec::<Vec<u8>>::new(), "nothing changed, nothing sent");

        // A change made elsewhere (the console) reaches the motor, the LED and the LCD.
        let drums_fader = r.table.lookup("strip.Drums.fader").unwrap();
        r.targets.set(drums_fader, 0.0);
        r.targets.set(r.table.lookup("strip.Drums.mute").unwrap(), 1.0);
        let changed = r.due();
        let raw = ((crate::dsp::param::FADER_TAPER.position(0.0) * 16383.0).round() as u16) & !0x0F;
        assert!(changed.contains(&vec![0xE0, (raw & 0x7F) as u8, (raw >> 7) as u8]), "{changed:02X?}");
        assert!(changed.contains(&vec![0x90, 0x10, 0x7F]));
        assert!(changed.contains(&mackie::lcd(0x14, 1, 0, "   0.0 ")));
    }

    #[test]
    fn a_faderport_8_is_sent_its_strip_modes_names_values_and_meters() {
        let mut r = rig("presonus-faderport8");
        let hello = r.feedback.hello();
        assert!(hello.contains(&vec![0xF0, 0x00, 0x01, 0x06, 0x02, 0x13, 0, 5, 0xF7]), "{hello:02X?}");
        let first = r.due();
        assert!(first.contains(&presonus::text(presonus::Model::Fp8, 0, 0, "Drums")), "{first:02X?}");
        assert!(first.contains(&presonus::text(presonus::Model::Fp8, 0, 1, "-4.0")));
        // The demo has seven strips and buses: the eighth scribble strip is blank.
        assert!(first.contains(&presonus::text(presonus::Model::Fp8, 7, 0, "")));
        r.telemetry.channels[1].peak[0].raise(0, 0.5);
        let later = r.due();
        assert_eq!(later, [vec![0xD1, presonus::meter(1, 0.5)[1]]], "only Bass's meter changed");
    }

    #[test]
    fn a_touched_motor_is_left_alone_and_gets_the_value_on_release() {
        let mut r = rig("mackie-control");
        r.feedback.hello();
        r.due();
        let drums_fader = r.table.lookup("strip.Drums.fader").unwrap();
        r.input(strip(0, StripControl::Touch), Input::Press(true));
        r.targets.set(drums_fader, -20.0);
        assert!(!r.due().iter().any(|m| m[0] == 0xE0), "no motor message to a touched fader");
        r.input(strip(0, StripControl::Touch), Input::Press(false));
        let raw = ((crate::dsp::param::FADER_TAPER.position(-20.0) * 16383.0).round() as u16) & !0x0F;
        assert!(r.due().contains(&vec![0xE0, (raw & 0x7F) as u8, (raw >> 7) as u8]));
    }

    #[test]
    fn the_mode_buttons_light_the_selected_strips_mode_and_a_touch_reaches_the_engine() {
        use crate::automation::Mode;
        let mut r = rig("mackie-control");
        r.feedback.hello();
        let first = r.due();
        assert!(first.contains(&vec![0x90, 0x4D, 0x00]), "Touch dark while Drums is Off");
        let drums_fader = r.table.lookup("strip.Drums.fader").unwrap();
        // The engine says Drums' fader is in Touch (as it does after a mode change or a fall-back).
        r.telemetry.automation.mode[drums_fader.0 as usize].store(Mode::Touch.index(), Ordering::Relaxed);
        let lit = r.due();
        assert!(lit.contains(&vec![0x90, 0x4D, 0x7F]) && !lit.contains(&vec![0x90, 0x4A, 0x7F]), "{lit:02X?}");
        let touch = r.control(strip(0, StripControl::Touch));
        let mut actions = Vec::new();
        r.mapper.input(touch, Input::Press(true), &r.targets, &mut |a| actions.push(a));
        let expected = crate::engine::Command::Touch { param: drums_fader, touched: true };
        assert!(actions.contains(&crate::control::surface::Action::Engine(expected)), "{actions:?}");
    }

    #[test]
    fn a_fader_move_is_echoed_as_sent_and_not_sent_again() {
        let mut r = rig("mackie-control");
        r.feedback.hello();
        r.due();
        let fader = r.control(strip(1, StripControl::Fader));
        let mut echoes = Vec::new();
        r.mapper.input(fader, Input::Position(0.5), &r.targets, &mut |a| {
            if let crate::control::surface::Action::Echo { control, position } = a {
                echoes.push((control, position))
            }
        });
        assert_eq!(echoes, [(fader, 0.5)]);
        assert_eq!(r.feedback.echo(fader, 0.5), [0xE1, 0x00, 0x40], "8192, as it came");
        assert!(!r.due().iter().any(|m| m[0] == 0xE1), "the echo is what the motor holds: not sent twice");
    }

    #[test]
    fn an_extender_shows_the_eight_strips_after_the_main_unit_and_pages_with_it() {
        let strips: String = (1..=24).map(|i| format!("  - {{name: S{i}, input: {{ports: [x:{i}]}}}}\n")).collect();
        let doc = load::parse(&format!("version: 1\nname: big\nstrips:\n{strips}"), Path::new("big.yaml")).unwrap().0;
        let built = build_engine(&doc, 48_000.0, 0).unwrap();
        let (main, xt) = (map::shipped("mackie-control").unwrap(), map::shipped("mackie-extender").unwrap());
        let bank = BankGroup::new(main.strips + xt.strips);
        let selected = Arc::new(AtomicUsize::new(0));
        let main_binding = Arc::new(Binding::new(&main, &built.params, bank.clone(), 0, selected.clone()));
        let xt_binding = Arc::new(Binding::new(&xt, &built.params, bank, 8, selected));
        let mut xt_feedback = Feedback::new(xt, built.params.clone(), xt_binding.clone());
        let targets = ParamTargets::new(&built.values, built.telemetry.clone());
        let telemetry = built.telemetry.clone();
        xt_feedback.hello();
        let lcd = xt_feedback.due(&targets, TransportNow::default(), &telemetry);
        assert!(lcd.contains(&mackie::lcd(mackie::MODEL_EXTENDER, 0, 0, "S9     ")), "{lcd:02X?}");
        // BANK RIGHT on the main unit moves both by the sixteen strips they show together.
        let mut mapper = Mapper::new(main.clone(), built.params.clone(), main_binding);
        let right = main.controls.iter().position(|c| c.message == map::Message::Note(0x2F)).unwrap();
        mapper.input(right, Input::Press(true), &targets, &mut |_| {});
        assert_eq!(xt_binding.first_shown(), 16, "8 (24 strips - 16 shown) + the extender's 8");
        let lcd = xt_feedback.due(&targets, TransportNow::default(), &telemetry);
        assert!(lcd.contains(&mackie::lcd(mackie::MODEL_EXTENDER, 0, 0, "S17    ")), "{lcd:02X?}");
    }
}
