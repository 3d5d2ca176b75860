//! A surface's MIDI connection, kept up by a thread of its own: it finds the
//! device's ports by name, connects, sends the feedback at about 30 Hz, and when
//! the device goes away (USB unplugged) says so and waits for it; when it comes
//! back it is connected again and shown everything anew.

use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicUsize, Ordering};
use std::sync::mpsc::Sender;
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use super::feedback::{Feedback, TransportNow};
use super::generic::GenericDecoder;
use super::learn::{self, Learn};
use super::mackie::{self, Greeting};
use super::map::{self, ControlDoc, ControllerMap, Message};
use super::midi::{Decoder, MidiMessage};
use super::midi_system::{self, OnServer};
use super::surface::{Action, BankGroup, Binding, LinkState, Mapper, SurfaceEvent};
use crate::audio::jack_backend::PortArrivals;
use crate::engine::params::ParamTable;
use crate::engine::targets::ParamTargets;
use crate::engine::telemetry::Telemetry;
use crate::engine::{Command, CommandRings};

/// How often the ports are looked at for the device leaving or coming back.
const PORT_CHECK: Duration = Duration::from_millis(500);
/// How often the feedback is brought up to date.
const FEEDBACK_PERIOD: Duration = Duration::from_millis(33);
/// How long the thread sleeps between looks at its echo ring.
const TICK: Duration = Duration::from_millis(5);

/// Our own MIDI clients are named so; their ports are never taken for a device's.
const OWN_CLIENT: &str = "headroom-";
/// The MIDI client each surface's input connection opens (JACK numbers the second and on).
const SURFACE_CLIENT: &str = "headroom-surface";

/// The MIDI callback's side of a surface: bytes in, actions out.
struct Receiver {
    bytes: Decoder,
    generic: GenericDecoder,
    mapper: Mapper,
    targets: Arc<ParamTargets>,
    engine: rtrb::Producer<Command>,
    console: Sender<SurfaceEvent>,
    /// To the link thread: echoes for motor faders, what a Mackie unit says, learned bindings.
    replies: rtrb::Producer<Reply>,
    learn: Arc<Learn>,
    /// Where what a full ring could not take is counted (and shown at the stop).
    telemetry: Arc<Telemetry>,
}

enum Reply {
    Echo { control: usize, position: f32 },
    Greeting(Greeting),
    Learned(Box<ControlDoc>),
}

impl Receiver {
    fn receive(&mut self, bytes: &[u8]) {
        let mut inputs = Vec::new();
        let mut collect = |i, input| inputs.push((i, input));
        let mut greetings = Vec::new();
        let mut learned = None;
        let (generic, learn, binding) = (&mut self.generic, &self.learn, self.mapper.binding());
        self.bytes.feed(bytes, |m| match m {
            MidiMessage::SysEx(sysex) => greetings.extend(mackie::greeting(sysex)),
            // While the console learns, the first control moved is bound instead of acting.
            m if learned.is_none() && learn.armed() => match learnable(m) {
                Some((channel, message)) => learned = learn.take(binding, channel, message),
                None => generic.feed(m, &mut collect),
            },
            m => generic.feed(m, &mut collect),
        });
        self.bytes.end_of_event();
        generic.flush(&mut collect);
        // A full ring drops rather than waits (this thread must keep up with the device), and
        // counts what it dropped.
        let dropped = &self.telemetry.surface_drops;
        let count = |pushed: bool| {
            if !pushed {
                dropped.fetch_add(1, Ordering::Relaxed);
            }
        };
        if let Some(doc) = learned {
            self.mapper.bind(&doc);
            self.generic = GenericDecoder::new(&self.mapper.map().controls);
            count(self.replies.push(Reply::Learned(Box::new(doc))).is_ok());
        }
        greetings.into_iter().for_each(|g| count(self.replies.push(Reply::Greeting(g)).is_ok()));
        for (i, input) in inputs {
            let (engine, console, replies) = (&mut self.engine, &self.console, &mut self.replies);
            self.mapper.input(i, input, &self.targets, &mut |action| match action {
                Action::Engine(command) => count(engine.push(command).is_ok()),
                Action::Console(event) => count(console.send(event).is_ok()),
                Action::Echo { control, position } => count(replies.push(Reply::Echo { control, position }).is_ok()),
            });
        }
    }
}

/// The channel and message a learned binding would key on, for messages a control sends.
fn learnable(message: MidiMessage<'_>) -> Option<(u8, Message)> {
    match message {
        // NRPN and data-entry controllers are halves of something bigger: not learned.
        MidiMessage::ControlChange { controller: 6 | 38 | 98 | 99, .. } => None,
        MidiMessage::ControlChange { channel, controller, .. } => Some((channel, Message::Cc(controller))),
        MidiMessage::NoteOn { channel, note, .. } => Some((channel, Message::Note(note))),
        MidiMessage::PitchBend { channel, .. } => Some((channel, Message::PitchBend)),
        _ => None,
    }
}

/// What the link threads read to show the session on the surfaces.
#[derive(Clone)]
pub struct Shared {
    pub targets: Arc<ParamTargets>,
    pub telemetry: Arc<Telemetry>,
    pub transport: Arc<dyn Fn() -> TransportNow + Send + Sync>,
    /// The strip selected in the console (it publishes it here).
    pub selected: Arc<AtomicUsize>,
    /// A MIDI learn request from the console.
    pub learn: Arc<Learn>,
    /// JACK servers lost so far: JACK MIDI clients made before a loss are dead.
    pub jack_losses: Arc<AtomicU32>,
    /// Ports that registered on the JACK server: a device port that came again while
    /// connected was unplugged and plugged back, and its connection is gone with it.
    pub port_arrivals: Arc<PortArrivals>,
}

/// Every surface being kept connected, and what it takes to start another.
pub struct Links {
    links: Vec<SurfaceLink>,
    table: ParamTable,
    shared: Shared,
    console: Sender<SurfaceEvent>,
    /// Where each surface's own command ring to the engine comes from, at launch or later.
    rings: CommandRings,
}

impl Links {
    /// Starts every surface: `ports[i]`, when given, is the port pattern for `maps[i]`. Mackie
    /// Control units share one bank, in the order given (an extender named before the main
    /// unit sits left of it); every other surface pages on its own. Rings beyond the maps'
    /// are kept for surfaces connected later.
    pub fn start_all(
        maps: Vec<ControllerMap>,
        ports: &[String],
        table: &ParamTable,
        shared: &Shared,
        rings: CommandRings,
        console: &Sender<SurfaceEvent>,
    ) -> Links {
        let mackie_width: u16 = maps.iter().filter(|m| m.mackie.is_some()).map(|m| m.strips).sum();
        let mackie_bank = BankGroup::new(mackie_width);
        let mut mackie_offset = 0;
        let mut links =
            Links { links: Vec::new(), table: table.clone(), shared: shared.clone(), console: console.clone(), rings };
        for (i, map) in maps.into_iter().enumerate() {
            let (bank, offset) = if map.mackie.is_some() {
                mackie_offset += map.strips;
                (mackie_bank.clone(), mackie_offset - map.strips)
            } else {
                (BankGroup::new(map.strips), 0)
            };
            if let Err(e) = links.add(map, ports.get(i).map(String::as_str), bank, offset) {
                crate::say_err!("warning: {e}");
            }
        }
        links
    }

    fn add(&mut self, map: ControllerMap, port: Option<&str>, bank: Arc<BankGroup>, offset: u16) -> Result<(), String> {
        let ring = self.rings.open(&map.device)?;
        let binding = Arc::new(Binding::new(&map, &self.table, bank, offset, self.shared.selected.clone()));
        let feedback = Feedback::new(map.clone(), self.table.clone(), binding.clone());
        let mapper = Mapper::new(map, self.table.clone(), binding);
        self.links.push(start(mapper, feedback, port, self.shared.clone(), ring, self.console.clone()));
        Ok(())
    }

    /// Connects the MIDI device named `device` (as [`devices`] lists it) with the shipped map
    /// that fits it, or a blank one to fill by MIDI learn, plus the user's learned bindings;
    /// it pages on its own. Says which map it took, and any problem with the learned ones.
    pub fn connect(&mut self, device: &str) -> Result<String, String> {
        let pattern = format!("{device}:");
        let mut map = choose_maps(&[], std::slice::from_ref(&pattern))?.remove(0);
        let fitted = map.port_match != pattern;
        if !fitted {
            // Named as the user sees it: the name also keys its learned bindings.
            map = map::blank(device);
        }
        let (map, problem) = learn::with_user_bindings(map);
        let mut told = match fitted {
            true => format!("connecting {device} with the {} map", map.device),
            false => format!("connecting {device}: no shipped map fits, press M to learn its controls"),
        };
        if let Some(problem) = problem {
            told += &format!(" ({problem})");
        }
        let bank = BankGroup::new(map.strips);
        self.add(map, Some(&pattern), bank, 0)?;
        Ok(told)
    }
}

/// A surface kept connected by its thread; dropping it disconnects.
pub struct SurfaceLink {
    pub device: String,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Drop for SurfaceLink {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// Starts keeping the surface connected to the first ports whose names contain `pattern`
/// (or the map's `match`): parameter changes into `engine`, events to `console`.
pub fn start(
    mapper: Mapper,
    feedback: Feedback,
    pattern: Option<&str>,
    shared: Shared,
    engine: rtrb::Producer<Command>,
    console: Sender<SurfaceEvent>,
) -> SurfaceLink {
    let map = mapper.map().clone();
    let pattern = pattern.unwrap_or(&map.port_match).to_string();
    let (replies, echoes) = rtrb::RingBuffer::new(256);
    let receiver = Receiver {
        bytes: Decoder::default(),
        generic: GenericDecoder::new(&map.controls),
        mapper,
        targets: shared.targets.clone(),
        engine,
        console: console.clone(),
        replies,
        learn: shared.learn.clone(),
        telemetry: shared.telemetry.clone(),
    };
    let stop = Arc::new(AtomicBool::new(false));
    let keeper = Keeper {
        device: map.device.clone(),
        pattern,
        receiver: Arc::new(Mutex::new(receiver)),
        feedback,
        echoes,
        shared,
        console,
        connection: None,
        state: None,
        bank_told: None,
    };
    let thread = {
        let stop = stop.clone();
        std::thread::Builder::new()
            .name(format!("surface {}", map.device))
            .spawn(move || keeper.run(&stop))
            .expect("a thread for the surface")
    };
    SurfaceLink { device: map.device, stop, thread: Some(thread) }
}

/// The link thread's state.
struct Keeper {
    device: String,
    pattern: String,
    /// Shared with the MIDI callback of the current connection (only one at a time, so
    /// the lock is never contended); kept here so it outlives a disconnection.
    receiver: Arc<Mutex<Receiver>>,
    feedback: Feedback,
    echoes: rtrb::Consumer<Reply>,
    shared: Shared,
    console: Sender<SurfaceEvent>,
    connection: Option<Connection>,
    state: Option<LinkState>,
    /// The first channel the console was told this unit shows.
    bank_told: Option<usize>,
}

struct Connection {
    port: String,
    /// Ports that had registered on the server when it was made.
    arrivals_seen: u64,
    input: OnServer<midir::MidiInputConnection<Arc<Mutex<Receiver>>>>,
    output: Option<OnServer<midir::MidiOutputConnection>>,
}

impl Connection {
    fn abandon(&mut self) {
        self.input.abandon();
        if let Some(output) = &mut self.output {
            output.abandon();
        }
    }
}

type Scanner = (OnServer<midir::MidiInput>, OnServer<midir::MidiOutput>);

impl Keeper {
    fn run(mut self, stop: &AtomicBool) {
        let mut scanner: Option<Scanner> = None;
        let mut last_check: Option<Instant> = None;
        let mut last_feedback = Instant::now();
        while !stop.load(Ordering::Relaxed) {
            if last_check.is_none_or(|t| t.elapsed() >= PORT_CHECK) {
                last_check = Some(Instant::now());
                if scanner.as_ref().is_some_and(|(input, _)| input.outlived_its_server()) {
                    // The JACK server went: its MIDI clients with it. Look again on the next one.
                    scanner = None;
                    if self.connection.take().is_some() {
                        self.report(LinkState::Waiting { pattern: self.pattern.clone() });
                    }
                }
                match &scanner {
                    Some((input, output)) => self.check_ports(input, output),
                    None => match open_scanner(&self.shared.jack_losses) {
                        Ok(s) => scanner = Some(s),
                        Err(e) => self.report(LinkState::Failed(e)),
                    },
                }
            }
            while let Ok(reply) = self.echoes.pop() {
                let message = match reply {
                    Reply::Echo { control, position } => Some(self.feedback.echo(control, position)),
                    Reply::Greeting(greeting) => self.feedback.greeting(greeting),
                    Reply::Learned(doc) => {
                        self.feedback.bind(&doc);
                        let saved = learn::save(self.feedback.map(), &doc);
                        let event = SurfaceEvent::Learned {
                            device: self.device.clone(),
                            binding: learn::describe(&doc),
                            saved,
                        };
                        let _ = self.console.send(event);
                        None
                    }
                };
                self.send(message.into_iter());
            }
            if last_feedback.elapsed() >= FEEDBACK_PERIOD && self.connection.is_some() {
                last_feedback = Instant::now();
                let (first, width) = self.feedback.shows();
                if self.bank_told != Some(first) {
                    self.bank_told = Some(first);
                    let _ = self.console.send(SurfaceEvent::Bank { device: self.device.clone(), first, width });
                }
                // Motors and displays show what automation plays, read here, on this thread:
                // nothing on the way to a surface waits on the recorder or the disk.
                let due = self.feedback.due(&self.shared.targets, (self.shared.transport)(), &self.shared.telemetry);
                self.send(due.into_iter());
            }
            std::thread::sleep(TICK);
        }
    }

    /// Notices the device leaving, or connects to it when it is there.
    fn check_ports(&mut self, input: &midir::MidiInput, output: &midir::MidiOutput) {
        let sources = device_ports(input.ports().iter().filter_map(|p| input.port_name(p).ok()), &self.pattern);
        if let Some(connection) = &self.connection {
            // Unplugged and plugged back between two looks: its port came again, and the
            // connection went with the old one. Connected again at once.
            let replugged = self.shared.port_arrivals.came_since(connection.arrivals_seen, &connection.port);
            if sources.contains(&connection.port) && !replugged {
                return;
            }
            if !replugged
                && midi_system::server_died(output, SURFACE_CLIENT)
                && let Some(dead) = &mut self.connection
            {
                dead.abandon();
            }
            self.connection = None;
            if !replugged {
                return self.report(LinkState::Waiting { pattern: self.pattern.clone() });
            }
        }
        let Some(port) = sources.first() else {
            return self.report(LinkState::Waiting { pattern: self.pattern.clone() });
        };
        match self.connect(port, output) {
            Ok(connection) => {
                let port = connection.port.clone();
                self.connection = Some(connection);
                let hello = self.feedback.hello();
                let speaks_sysex = hello.iter().any(|m| m.first() == Some(&0xF0));
                self.send(hello.into_iter());
                let caveat = speaks_sysex.then(midi_system::sysex_caveat).flatten();
                self.report(LinkState::Connected { port, caveat });
                self.bank_told = None;
            }
            Err(e) => self.report(LinkState::Failed(e)),
        }
    }

    fn connect(&self, port_name: &str, scanner_out: &midir::MidiOutput) -> Result<Connection, String> {
        let arrivals_seen = self.shared.port_arrivals.count();
        let mut input = midi_system::input(SURFACE_CLIENT)?;
        input.ignore(midir::Ignore::TimeAndActiveSense);
        let port = input
            .ports()
            .into_iter()
            .find(|p| input.port_name(p).is_ok_and(|n| n == port_name))
            .ok_or_else(|| format!("MIDI port {port_name} went away"))?;
        let connection = input
            .connect(
                &port,
                "in",
                |_stamp, bytes, receiver: &mut Arc<Mutex<Receiver>>| {
                    receiver.lock().unwrap_or_else(PoisonError::into_inner).receive(bytes)
                },
                self.receiver.clone(),
            )
            .map_err(|e| format!("MIDI: cannot connect to {port_name}: {e}"))?;
        // The device's input, for feedback; a device without one is only read.
        let sinks =
            device_ports(scanner_out.ports().iter().filter_map(|p| scanner_out.port_name(p).ok()), &self.pattern);
        let output = match sinks.first() {
            Some(sink) => {
                let out = midi_system::output("headroom-feedback")?;
                let port = out.ports().into_iter().find(|p| out.port_name(p).is_ok_and(|n| &n == sink));
                port.and_then(|p| out.connect(&p, "out").ok())
            }
            None => None,
        };
        let losses = &self.shared.jack_losses;
        Ok(Connection {
            port: port_name.to_string(),
            arrivals_seen,
            input: OnServer::new(connection, losses),
            output: output.map(|o| OnServer::new(o, losses)),
        })
    }

    fn send(&mut self, messages: impl Iterator<Item = Vec<u8>>) {
        let Some(output) = self.connection.as_mut().and_then(|c| c.output.as_mut()) else { return };
        for message in messages {
            // A send fails only when the port is going away; the port check notices that.
            let _ = output.send(&message);
        }
    }

    /// Tells the console how the link stands, once per change.
    fn report(&mut self, state: LinkState) {
        if self.state.as_ref() != Some(&state) {
            self.state = Some(state.clone());
            let _ = self.console.send(SurfaceEvent::Link { device: self.device.clone(), state });
        }
    }
}

fn open_scanner(losses: &Arc<AtomicU32>) -> Result<Scanner, String> {
    let input = midi_system::input("headroom-scan")?;
    let output = midi_system::output("headroom-scan")?;
    Ok((OnServer::new(input, losses), OnServer::new(output, losses)))
}

/// The port names that contain `pattern`, any case, other than headroom's own.
fn device_ports(names: impl Iterator<Item = String>, pattern: &str) -> Vec<String> {
    let wanted = pattern.to_lowercase();
    names.filter(|n| !n.contains(OWN_CLIENT) && n.to_lowercase().contains(&wanted)).collect()
}

/// The shipped maps, longest port pattern first.
fn shipped_by_specificity() -> Vec<ControllerMap> {
    let mut shipped: Vec<ControllerMap> = map::SHIPPED.iter().filter_map(|(name, _)| map::shipped(name)).collect();
    shipped.sort_by_key(|m| std::cmp::Reverse(m.port_match.len()));
    shipped
}

/// The MIDI devices that send to us, by client name (the part of a port's name before the
/// first ':', in both ALSA's and JACK's naming), other than headroom's own.
pub fn devices() -> Result<Vec<String>, String> {
    let mut devices: Vec<String> = Vec::new();
    for port in matching_ports("")? {
        let device = port.split(':').next().unwrap_or(&port).to_string();
        if !devices.contains(&device) {
            devices.push(device);
        }
    }
    Ok(devices)
}

/// Input ports whose name contains `pattern`, any case.
pub fn matching_ports(pattern: &str) -> Result<Vec<String>, String> {
    let input = midi_system::input("headroom-scan")?;
    Ok(device_ports(input.ports().iter().filter_map(|p| input.port_name(p).ok()), pattern))
}

/// The maps to use: those named (`--controller`: a shipped map's name or a file). When none
/// is named but ports are (`--surface`), the shipped map fitting each port, or a blank map to
/// fill by MIDI learn. When neither is, a shipped map for each MIDI port one matches now (the
/// most specific match: "X-TOUCH MINI" before "X-TOUCH").
pub fn choose_maps(named: &[String], ports: &[String]) -> Result<Vec<ControllerMap>, String> {
    if named.is_empty() && !ports.is_empty() {
        let present = matching_ports("").unwrap_or_default();
        return Ok(ports
            .iter()
            .map(|pattern| {
                let fits = |m: &ControllerMap| {
                    present.iter().any(|p| {
                        let p = p.to_lowercase();
                        p.contains(&pattern.to_lowercase()) && p.contains(&m.port_match.to_lowercase())
                    })
                };
                shipped_by_specificity().into_iter().find(fits).unwrap_or_else(|| map::blank(pattern))
            })
            .collect());
    }
    if named.is_empty() {
        let shipped = shipped_by_specificity();
        // No MIDI system (no ALSA sequencer, no JACK for the JACK backend): no surfaces, no error.
        let Ok(ports) = matching_ports("") else { return Ok(Vec::new()) };
        let mut chosen: Vec<ControllerMap> = Vec::new();
        for port in ports {
            let fits = |m: &&ControllerMap| port.to_lowercase().contains(&m.port_match.to_lowercase());
            if let Some(m) = shipped.iter().find(fits)
                && !chosen.iter().any(|c| c.source == m.source)
            {
                chosen.push(m.clone());
            }
        }
        return Ok(chosen);
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::control::surface::tests::{demo, mapper};

    #[test]
    fn a_midi_flood_into_a_full_engine_ring_is_counted_not_waited_for() {
        let (mapper, targets, table) = mapper("korg-nanokontrol2", &demo());
        // A stalled engine: a ring of four, never read.
        let (engine, _stalled) = rtrb::RingBuffer::new(4);
        let (replies, _echoes) = rtrb::RingBuffer::new(256);
        let (console, _events) = std::sync::mpsc::channel();
        let telemetry = Arc::new(Telemetry::new(table.channels().len(), table.specs().len()));
        let mut receiver = Receiver {
            bytes: Decoder::default(),
            generic: GenericDecoder::new(&mapper.map().controls),
            mapper,
            targets: Arc::new(targets),
            engine,
            console,
            replies,
            learn: Arc::new(Learn::default()),
            telemetry: telemetry.clone(),
        };
        // M1 pressed and released 50 times: 50 mute toggles for the engine, 4 of which fit.
        for _ in 0..50 {
            receiver.receive(&[0xB0, 48, 127]);
            receiver.receive(&[0xB0, 48, 0]);
        }
        assert_eq!(telemetry.surface_drops.load(Ordering::Relaxed), 46);
    }
}
