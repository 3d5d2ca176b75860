//! The real-time backend: a JACK client whose process callback runs the engine.
//!
//! The callback reads the transport, lines up the stem player, runs
//! `Engine::process` and writes the master ports — nothing else. In debug
//! builds it runs under `assert_no_alloc`, and any allocation is counted.

use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError, mpsc};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use jack::{AudioIn, AudioOut, Client, ClientOptions, Control, Port, PortSpec, ProcessScope};

use super::inputs::OpenedStems;
use super::live_print::{PrintFiles, PrintJob, PrintNews, PrintTap};
use super::stems::{self, DiskReader, StemPlayer};
use crate::dsp::loudness::{LoudnessMeter, LoudnessReading};
use crate::engine::automation::Transport;
use crate::engine::hardware_insert::MAX_CYCLE;
use crate::engine::telemetry::AtomicLevel;
use crate::engine::{AudioIo, Command, Engine};
use crate::session::port_pattern::{PortFacts, PortPattern};
use crate::session::schema::SessionDoc;

/// What the process callback publishes about the transport, for the status line.
#[derive(Default)]
pub struct TransportView {
    pub frame: AtomicU64,
    pub rolling: AtomicBool,
    /// Callbacks that ran with stems not yet read from disk (played as silence).
    pub stem_underruns: AtomicU64,
    /// Xruns as the engine's own clock saw them: callbacks that found the server's frame
    /// time ahead of where the last one ended (periods went by without the engine).
    pub late_cycles: AtomicU32,
    /// Transport frame of the last of those, plus one (0: none yet).
    last_late_frame: AtomicU64,
    /// Allocations caught on the audio thread (debug builds only; always 0 in release).
    pub rt_allocations: AtomicU32,
    /// Bar, beat and tick when a timebase master publishes them (see `bars_beats`).
    bbt: AtomicU64,
    /// Loop playback: the callback locates to the start when the end is reached.
    pub loop_on: AtomicBool,
    pub loop_start: AtomicU64,
    pub loop_end: AtomicU64,
}

impl TransportView {
    /// Where the transport was at the last xrun the engine saw, if any.
    pub fn last_late_frame(&self) -> Option<u64> {
        self.last_late_frame.load(Ordering::Relaxed).checked_sub(1)
    }

    /// (bar, beat, tick) of the last period, if the transport carries musical time.
    pub fn bars_beats(&self) -> Option<(u32, u32, u32)> {
        let packed = self.bbt.load(Ordering::Relaxed);
        (packed != 0).then_some(((packed >> 32) as u32, (packed >> 16) as u16 as u32, packed as u16 as u32))
    }

    fn publish_bbt(&self, bbt: Option<jack::TransportBBT>) {
        let packed =
            bbt.map_or(0, |b| ((b.bar as u64) << 32) | ((b.beat as u64 & 0xffff) << 16) | (b.tick as u64 & 0xffff));
        self.bbt.store(packed, Ordering::Relaxed);
    }

    /// Where the transport must wrap to, when the period starting at `frame` reaches the loop's
    /// end or lies past it (a loop turned on, or its end set, behind the playhead plays from
    /// its start: while looping, playback stays inside the loop).
    fn loop_wraps(&self, frame: u64, frames: u64) -> Option<u64> {
        let (start, end) = (self.loop_start.load(Ordering::Relaxed), self.loop_end.load(Ordering::Relaxed));
        (self.loop_on.load(Ordering::Relaxed) && end > start && frame + frames >= end).then_some(start)
    }
}

/// Loudness of the master as measured off the audio thread.
#[derive(Default)]
pub struct LoudnessView {
    pub momentary_lufs: AtomicLevel,
    pub short_term_lufs: AtomicLevel,
    pub integrated_lufs: AtomicLevel,
    pub range_lu: AtomicLevel,
    pub true_peak_dbtp: AtomicLevel,
    /// Asks the meter to start again (integrated loudness, range and true peak forget the past).
    pub reset: AtomicBool,
}

impl LoudnessView {
    fn show(&self, r: &LoudnessReading) {
        self.momentary_lufs.store(r.momentary_lufs as f32);
        self.short_term_lufs.store(r.short_term_lufs as f32);
        self.integrated_lufs.store(r.integrated_lufs as f32);
        self.range_lu.store(r.range_lu as f32);
        self.true_peak_dbtp.store(r.true_peak_dbtp as f32);
    }
}

/// What the process callback plays with, and what outlives its JACK client: when a client
/// goes (the server shut down, or the session stops), these come home through a channel and
/// are played again by the next client.
pub struct Playing {
    engine: Engine,
    player: Option<StemPlayer>,
    prints: PrintSlot,
}

/// The audio thread's side of real-time prints: taps arrive through one ring and, once done,
/// leave through the other, to be dropped off the audio thread.
struct PrintSlot {
    incoming: rtrb::Consumer<Box<PrintTap>>,
    outgoing: rtrb::Producer<Box<PrintTap>>,
    current: Option<Box<PrintTap>>,
    /// A finished tap the outgoing ring had no room for; offered again next cycle.
    leaving: Option<Box<PrintTap>>,
}

impl PrintSlot {
    /// The start of a cycle: takes a new print, lets a finished one go. Returns the tap recording.
    /// A finished tap the ring has no room for waits in `leaving`, and no new print is taken
    /// meanwhile: none is ever dropped (freed) here.
    fn begin_cycle(&mut self, rolling: bool, frame: u64, frames: usize, xruns: u32) -> Option<&mut PrintTap> {
        if self.current.is_none() && self.leaving.is_none() {
            self.current = self.incoming.pop().ok();
        }
        if self.current.as_mut().is_some_and(|tap| !tap.begin_cycle(rolling, frame, frames, xruns)) {
            self.leaving = self.current.take();
        }
        if let Some(tap) = self.leaving.take()
            && let Err(rtrb::PushError::Full(back)) = self.outgoing.push(tap)
        {
            self.leaving = Some(back);
        }
        self.current.as_deref_mut()
    }
}

struct Processor {
    /// Always there while the client runs; taken only when the processor is dropped.
    playing: Option<Playing>,
    home: mpsc::Sender<Playing>,
    /// For each strip, its input ports (empty when it plays a file).
    strip_ports: Vec<Vec<Port<AudioIn>>>,
    master_ports: [Port<AudioOut>; 2],
    /// The hardware inserts' ports, in engine channel order.
    insert_ports: Vec<InsertPortsLive>,
    transport: jack::Transport,
    view: Arc<TransportView>,
    /// Xruns the server reported (a print notes where each fell).
    xruns: Arc<AtomicU32>,
    /// The server's frame time expected at the next cycle (this one's plus its length).
    next_cycle: Option<u32>,
    /// Frames missed in each of the last cycles, latest at `late_at`: in a burst of xruns
    /// JACK's transport has been seen to catch up a cycle or two after the late one.
    recent_late: [u64; LATE_MEMORY],
    late_at: usize,
}

struct InsertPortsLive {
    channel: usize,
    sends: Vec<Port<AudioOut>>,
    returns: Vec<Port<AudioIn>>,
}

/// The hardware inserts' returns into the engine before a callback, or (`outgoing`) their
/// sends out of it after; ports and inserts are both in engine channel order.
fn exchange_inserts(engine: &mut Engine, ports: &mut [InsertPortsLive], scope: &ProcessScope, outgoing: bool) {
    let frames = scope.n_frames() as usize;
    if frames > MAX_CYCLE {
        return;
    }
    let mut ports = ports.iter_mut();
    for (channel, insert) in engine.hardware_inserts_mut() {
        let Some(live) = ports.by_ref().find(|p| p.channel == channel) else { break };
        if outgoing {
            for (port, send) in live.sends.iter_mut().zip(&insert.send) {
                port.as_mut_slice(scope).copy_from_slice(&send[..frames]);
            }
        } else {
            for (port, back) in live.returns.iter().zip(&mut insert.ret) {
                back[..frames].copy_from_slice(port.as_slice(scope));
            }
        }
    }
}

/// How many cycles a missed period still explains a jump of the transport.
const LATE_MEMORY: usize = 4;

/// Dropped off the audio thread (by `deactivate`, or by the jack crate when its client dies):
/// the engine and the stems go home to be played again.
impl Drop for Processor {
    fn drop(&mut self) {
        if let Some(playing) = self.playing.take() {
            let _ = self.home.send(playing);
        }
    }
}

struct JackIo<'a> {
    scope: &'a ProcessScope,
    strip_ports: &'a [Vec<Port<AudioIn>>],
    master_ports: &'a mut [Port<AudioOut>; 2],
    player: Option<&'a StemPlayer>,
    print: Option<&'a mut PrintTap>,
}

impl AudioIo for JackIo<'_> {
    fn read_strip(&self, strip: usize, channel: usize, offset: usize, out: &mut [f32]) {
        match (self.strip_ports[strip].get(channel), self.player) {
            (Some(port), _) => out.copy_from_slice(&port.as_slice(self.scope)[offset..offset + out.len()]),
            (None, Some(player)) => player.read(strip, channel, offset, out),
            (None, None) => out.fill(0.0),
        }
    }

    fn write_master(&mut self, offset: usize, left: &[f32], right: &[f32]) {
        for (port, data) in self.master_ports.iter_mut().zip([left, right]) {
            port.as_mut_slice(self.scope)[offset..offset + data.len()].copy_from_slice(data);
        }
        if let Some(print) = &mut self.print {
            print.put_master(left, right);
        }
    }

    fn write_bus(&mut self, bus: usize, _offset: usize, left: &[f32], right: &[f32]) {
        if let Some(print) = &mut self.print {
            print.put_bus(bus, left, right);
        }
    }
}

impl jack::ProcessHandler for Processor {
    /// A slow-sync client: after a locate the transport waits (in Starting) until the stems are
    /// read at the new position, so playback never starts on blocks of silence.
    const SLOW_SYNC: bool = true;

    /// Called on the audio thread while the transport is Starting: lines the stems up at `pos`
    /// (asking the disk thread for it) and says whether they are there.
    fn sync(&mut self, client: &Client, _: jack::TransportState, pos: &jack::TransportPosition) -> bool {
        match self.playing.as_mut().and_then(|p| p.player.as_mut()) {
            Some(player) => player.begin_block(pos.frame() as u64, client.buffer_size() as usize, false),
            None => true,
        }
    }

    fn process(&mut self, _: &Client, scope: &ProcessScope) -> Control {
        let Some(Playing { engine, player, prints }) = &mut self.playing else { return Control::Continue };
        let frames = scope.n_frames() as usize;
        let (rolling, frame, bbt) = match self.transport.query() {
            Ok(t) => (t.state == jack::TransportState::Rolling, t.pos.frame() as u64, t.pos.bbt()),
            Err(_) => (false, 0, None),
        };
        // jack_transport_locate is real-time safe; the wrap lands at the start of the next period.
        if rolling && let Some(start) = self.view.loop_wraps(frame, frames as u64) {
            let _ = self.transport.locate(start as jack::Frames);
        }
        if let Some(player) = player
            && !player.begin_block(frame, frames, rolling)
            && rolling
        {
            self.view.stem_underruns.fetch_add(1, Ordering::Relaxed);
        }
        // Periods missed since the last cycle (an xrun): the server's clock went on without us.
        let cycle = scope.last_frame_time();
        let late_frames = self.next_cycle.map_or(0, |expected| cycle.wrapping_sub(expected) as i32).max(0) as u64;
        self.next_cycle = Some(cycle.wrapping_add(frames as u32));
        if late_frames > 0 {
            self.view.late_cycles.fetch_add(1, Ordering::Relaxed);
            self.view.last_late_frame.store(frame + 1, Ordering::Relaxed);
        }
        // Either count moving is an xrun a print must note.
        let xruns = self.xruns.load(Ordering::Relaxed).wrapping_add(self.view.late_cycles.load(Ordering::Relaxed));
        let print = prints.begin_cycle(rolling, frame, frames, xruns);
        engine.print_buses(print.as_ref().is_some_and(|p| p.has_buses()));
        let mut io = JackIo {
            scope,
            strip_ports: &self.strip_ports,
            master_ports: &mut self.master_ports,
            player: player.as_ref(),
            print,
        };
        self.late_at = (self.late_at + 1) % LATE_MEMORY;
        self.recent_late[self.late_at] = late_frames;
        let transport = Transport { frame, rolling, late_frames: self.recent_late.iter().sum() };
        exchange_inserts(engine, &mut self.insert_ports, scope, false);
        run_checked(&self.view, || engine.process(frames, transport, &mut io));
        exchange_inserts(engine, &mut self.insert_ports, scope, true);
        self.view.frame.store(frame, Ordering::Relaxed);
        self.view.rolling.store(rolling, Ordering::Relaxed);
        self.view.publish_bbt(bbt);
        Control::Continue
    }
}

/// What the closing summary says of allocations on the audio thread: the count in debug
/// builds, which check every callback; release builds do not check.
pub fn allocations_checked(view: &TransportView) -> String {
    if cfg!(debug_assertions) {
        format!("{} allocations on the audio thread", view.rt_allocations.load(Ordering::Relaxed))
    } else {
        "allocations on the audio thread not checked (release build)".to_string()
    }
}

/// Runs the engine; in debug builds, counts any allocation it makes.
fn run_checked(view: &TransportView, f: impl FnOnce()) {
    #[cfg(debug_assertions)]
    {
        let before = assert_no_alloc::violation_count();
        assert_no_alloc::assert_no_alloc(f);
        let after = assert_no_alloc::violation_count();
        if after != before {
            view.rt_allocations.fetch_add(after - before, Ordering::Relaxed);
        }
    }
    #[cfg(not(debug_assertions))]
    {
        let _ = view;
        f();
    }
}

/// Counts xruns reported by the server, and servers that shut down.
struct Notifications {
    xruns: Arc<AtomicU32>,
    losses: Arc<AtomicU32>,
    ports_changed: Arc<AtomicBool>,
    arrivals: Arc<PortArrivals>,
}

/// The ports that registered on the server, by name, numbered as they came (the last few
/// hundred): a surface's thread learns from it that its device went and came back between
/// two of its looks, which its port's name alone cannot tell (JACK drops the connection).
#[derive(Debug, Default)]
pub struct PortArrivals {
    count: AtomicU64,
    names: Mutex<std::collections::VecDeque<(u64, String)>>,
}

/// Arrivals remembered: far more than a second of plugging brings.
const ARRIVALS_KEPT: usize = 256;

impl PortArrivals {
    fn arrived(&self, name: String) {
        let mut names = self.names.lock().unwrap_or_else(PoisonError::into_inner);
        let number = self.count.fetch_add(1, Ordering::Relaxed) + 1;
        names.push_back((number, name));
        if names.len() > ARRIVALS_KEPT {
            names.pop_front();
        }
    }

    /// How many ports have registered so far.
    pub fn count(&self) -> u64 {
        self.count.load(Ordering::Relaxed)
    }

    /// Whether port `name` registered after arrival number `since`.
    pub fn came_since(&self, since: u64, name: &str) -> bool {
        let names = self.names.lock().unwrap_or_else(PoisonError::into_inner);
        names.iter().any(|(number, came)| *number > since && came == name)
    }
}

impl jack::NotificationHandler for Notifications {
    fn xrun(&mut self, _: &Client) -> Control {
        self.xruns.fetch_add(1, Ordering::Relaxed);
        Control::Continue
    }

    /// A port came (a device plugged in, a client started): connections still wanted may
    /// be made now.
    fn port_registration(&mut self, client: &Client, id: jack::PortId, registered: bool) {
        if registered {
            self.ports_changed.store(true, Ordering::Relaxed);
            if let Some(name) = client.port_by_id(id).and_then(|port| port.name().ok()) {
                self.arrivals.arrived(name);
            }
        }
    }

    unsafe fn shutdown(&mut self, _: jack::ClientStatus, _: &str) {
        self.losses.fetch_add(1, Ordering::Relaxed);
    }
}

#[derive(Debug, thiserror::Error)]
pub enum JackError {
    #[error(
        "no JACK server is running ({0}); start one (e.g. `jackd -d alsa` for a sound card, `jackd -d dummy` for none) or use --spawn-dummy"
    )]
    NoServer(jack::Error),
    #[error("JACK refused {what}: {source}")]
    Jack { what: String, source: jack::Error },
}

fn jack_err(what: impl Into<String>) -> impl FnOnce(jack::Error) -> JackError {
    let what = what.into();
    move |source| JackError::Jack { what, source }
}

/// How often a session whose server went away looks for a new one.
const RECONNECT_EVERY: Duration = Duration::from_secs(1);

/// A running session on JACK. It outlives its JACK client: when the server goes away the
/// engine, the stems and the meters wait in memory, and `tend` plays them on the next server.
pub struct JackSession {
    /// The client name asked for (JACK adds a suffix when it is taken).
    requested_name: String,
    plan: PortPlan,
    /// The engine was built for this rate; a server at another rate is not joined.
    pub sample_rate: u32,
    link: Mutex<Link>,
    pub view: Arc<TransportView>,
    /// Loudness of the master (first) and of every bus whose layout asks for it, by channel name.
    pub loudness: Vec<(String, Arc<LoudnessView>)>,
    /// Xruns JACK reported, over every server this session ran on.
    pub xruns: Arc<AtomicU32>,
    /// JACK servers that went away under the session (the JACK MIDI surfaces watch it too).
    pub losses: Arc<AtomicU32>,
    /// Port connections the layout asked for that are not made: their ports are not there
    /// yet, or JACK refused them. Tried again whenever a port registers; replaced whole
    /// when that changes anything, so readers share one list.
    unconnected: Mutex<Arc<[Unconnected]>>,
    ports_changed: Arc<AtomicBool>,
    /// Ports that registered, for the surfaces to notice a device plugged back.
    pub arrivals: Arc<PortArrivals>,
    disk: Option<DiskReader>,
    loudness_stop: Arc<AtomicBool>,
    loudness_thread: Option<JoinHandle<()>>,
    prints: Mutex<PrintControl>,
    bus_count: usize,
    /// The master's look-ahead, frames (fixed when the session opens).
    latency: usize,
}

/// Room in the rings that carry print taps to the audio thread and back (one print at a time).
const PRINT_RING: usize = 4;

/// The real-time print, from this side: the rings to the audio thread, and the print under way.
struct PrintControl {
    to_audio: rtrb::Producer<Box<PrintTap>>,
    from_audio: rtrb::Consumer<Box<PrintTap>>,
    job: Option<PrintJob>,
}

/// Where a real-time print stands, for the console.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct PrintStatus {
    /// Waiting for the transport to roll.
    pub armed: bool,
    pub seconds: f64,
}

/// The session's hold on JACK: a client running the engine, or the engine waiting for a server.
struct Link {
    attached: Option<Attached>,
    /// The engine and stems while no client plays them.
    parked: Option<Playing>,
    home: mpsc::Receiver<Playing>,
    home_address: mpsc::Sender<Playing>,
    /// `losses` when last looked at: a new one means the server went.
    losses_seen: u32,
    next_try: Instant,
    /// Where the transport was when the server went, to be found there again.
    resume_frame: u64,
    /// The last reason a server was not joined, said once rather than at every try.
    last_refusal: Option<String>,
}

struct Attached {
    client: jack::AsyncClient<Notifications, Processor>,
    transport: jack::Transport,
    name: String,
    period: u32,
}

/// A client just attached, and the connections it could not make.
struct Joined {
    attached: Attached,
    unconnected: Vec<Unconnected>,
}

/// A connection the layout asks for that is not made.
#[derive(Clone, Debug, PartialEq)]
pub struct Unconnected {
    /// As the layout names them (a pattern, or headroom's own port).
    pub from: String,
    pub to: String,
    /// Why it will not be made as things are (a port facing the wrong way); None while a
    /// port is not there yet.
    pub refused: Option<String>,
}

impl Unconnected {
    /// Asks JACK again; the entry as it stands after, or None once made.
    fn retry(&self, client: &Client, ports: &[PortFacts]) -> Option<Unconnected> {
        let refused = match connect(client, ports, &self.from, &self.to) {
            Connecting::Made => return None,
            Connecting::Waiting => None,
            Connecting::Refused(why) => Some(why),
        };
        Some(Unconnected { refused, ..self.clone() })
    }
}

/// What changed in the session's hold on JACK, for the front ends to show.
#[derive(Clone, Debug, PartialEq)]
pub enum ServerNews {
    /// The server went away; the mix waits in memory.
    Lost,
    /// A server is there again and the session plays on it.
    Back { client_name: String, period: u32, unconnected: usize },
    /// A server is there but the session cannot join it; says why (tried again).
    NotJoined(String),
}

/// The ports a layout asks for and where each connects, registered again on every new server.
struct PortPlan {
    /// For each strip, its input ports as (own port name, where it is fed from).
    strips: Vec<Vec<(String, String)>>,
    /// Where master_out_L and master_out_R go.
    master: Vec<String>,
    /// Each hardware insert, by engine channel: its send ports as (own name, where to), and
    /// its return ports as (own name, where from).
    inserts: Vec<InsertPorts>,
}

struct InsertPorts {
    channel: usize,
    sends: Vec<(String, String)>,
    returns: Vec<(String, String)>,
}

impl PortPlan {
    fn of(doc: &SessionDoc) -> PortPlan {
        let strips = doc
            .strips
            .iter()
            .map(|strip| {
                let sources = strip.input.as_ref().and_then(|i| i.ports.as_ref());
                let sides: &[&str] = if sources.is_some_and(|s| s.len() == 2) { &["_in_L", "_in_R"] } else { &["_in"] };
                sources
                    .into_iter()
                    .flatten()
                    .zip(sides)
                    .map(|(source, side)| (format!("{}{side}", strip.name), source.clone()))
                    .collect()
            })
            .collect();
        let channels = doc.strips.iter().map(|s| (s, "strip")).chain(doc.buses.iter().map(|b| (b, "bus")));
        let inserts = channels
            .enumerate()
            .filter_map(|(channel, (ch, _))| {
                let insert = ch.insert.as_ref()?;
                let ports = |ends: &[String], way: &str| {
                    let sides: &[&str] = if ends.len() == 2 { &["_L", "_R"] } else { &[""] };
                    ends.iter()
                        .zip(sides)
                        .map(|(end, side)| (format!("{}_insert_{way}{side}", ch.name), end.clone()))
                        .collect()
                };
                Some(InsertPorts {
                    channel,
                    sends: ports(&insert.send, "send"),
                    returns: ports(&insert.back, "return"),
                })
            })
            .collect();
        PortPlan { strips, master: doc.master.ports.iter().take(2).cloned().collect(), inserts }
    }

    /// Every connection wanted, as (from, to), for a client named `client_name`.
    fn connections(&self, client_name: &str) -> Vec<(String, String)> {
        let inputs =
            self.strips.iter().flatten().map(|(port, source)| (source.clone(), format!("{client_name}:{port}")));
        let outputs = self
            .master
            .iter()
            .zip(["L", "R"])
            .map(|(dest, side)| (format!("{client_name}:master_out_{side}"), dest.clone()));
        let inserts = self.inserts.iter().flat_map(|i| {
            let sends = i.sends.iter().map(|(port, dest)| (format!("{client_name}:{port}"), dest.clone()));
            let returns = i.returns.iter().map(|(port, source)| (source.clone(), format!("{client_name}:{port}")));
            sends.chain(returns).collect::<Vec<_>>()
        });
        inputs.chain(outputs).chain(inserts).collect()
    }
}

/// How asking JACK for a connection went.
enum Connecting {
    /// Made, or there already.
    Made,
    /// A port is not there (yet): a device not plugged in, a client not started.
    Waiting,
    /// Both ports are there and JACK would not connect them; says why.
    Refused(String),
}

/// The server's audio ports, as port patterns see them, in the server's order.
fn audio_ports(client: &Client) -> Vec<PortFacts> {
    server_ports(client, AudioIn::default().jack_port_type())
}

/// The server's ports of JACK type `port_type`, as port patterns see them, in its order.
pub fn server_ports(client: &Client, port_type: &str) -> Vec<PortFacts> {
    client
        .ports(None, Some(port_type), jack::PortFlags::empty())
        .into_iter()
        .filter_map(|name| {
            let port = client.port_by_name(&name)?;
            let flags = port.flags();
            Some(PortFacts {
                // PipeWire lists a port's own name among its aliases.
                aliases: port.aliases().unwrap_or_default().into_iter().filter(|a| *a != name).collect(),
                physical: flags.contains(jack::PortFlags::IS_PHYSICAL),
                output: flags.contains(jack::PortFlags::IS_OUTPUT),
                name,
            })
        })
        .collect()
}

/// Connects the port `from` names to the one `to` names (each a name, alias or pattern, see
/// `port_pattern`), among `ports`.
fn connect(client: &Client, ports: &[PortFacts], from: &str, to: &str) -> Connecting {
    let find = |text: &str, output: bool| {
        PortPattern::parse(text).ok().and_then(|p| p.pick(ports, output).map(|found| found.name.clone()))
    };
    let (source, sink) = match (find(from, true), find(to, false)) {
        (Some(source), Some(sink)) => (source, sink),
        (source, sink) => {
            // A port that is there but faces the wrong way will never do: say so.
            let backwards = [(from, source.is_none(), true), (to, sink.is_none(), false)]
                .into_iter()
                .find(|&(text, missing, output)| missing && find(text, !output).is_some());
            return match backwards {
                Some((text, _, output)) => Connecting::Refused(format!(
                    "{from} → {to}: {text} is an {} port; a connection goes from an output to an input",
                    if output { "input" } else { "output" }
                )),
                None => Connecting::Waiting,
            };
        }
    };
    match client.connect_ports_by_name(&source, &sink) {
        Ok(()) => Connecting::Made,
        Err(_) if client.port_by_name(&source).is_some_and(|p| p.is_connected_to(&sink).unwrap_or(false)) => {
            Connecting::Made
        }
        Err(e) => Connecting::Refused(format!("{source} → {sink}: JACK refused it ({e})")),
    }
}

/// Opens a JACK client named after the session (JACK adds a suffix if the name is taken;
/// a name past JACK's limit is shortened the same way every time).
pub fn open_client(name: &str) -> Result<Client, JackError> {
    let name = crate::files::names::jack_client_name(name);
    match Client::new(&name, ClientOptions::NO_START_SERVER) {
        Ok((client, _status)) => Ok(client),
        Err(e @ jack::Error::ClientError(status)) if status.contains(jack::ClientStatus::SERVER_FAILED) => {
            Err(JackError::NoServer(e))
        }
        Err(source) => Err(JackError::Jack { what: format!("a client named \"{name}\""), source }),
    }
}

/// The counters a client's callbacks share with the session.
struct Shared<'a> {
    view: &'a Arc<TransportView>,
    xruns: &'a Arc<AtomicU32>,
    losses: &'a Arc<AtomicU32>,
    ports_changed: &'a Arc<AtomicBool>,
    arrivals: &'a Arc<PortArrivals>,
}

/// Registers the plan's ports on `client`, activates it playing `playing`, and asks for every
/// connection. Returns the running client and the connections not made (with why, if refused).
fn attach(
    client: Client,
    plan: &PortPlan,
    playing: Playing,
    home: mpsc::Sender<Playing>,
    shared: Shared,
) -> Result<Joined, JackError> {
    let name = client.name().to_string();
    let mut strip_ports = Vec::new();
    for ports in &plan.strips {
        let registered: Result<Vec<_>, _> = ports
            .iter()
            .map(|(port, _)| client.register_port(port, AudioIn::default()).map_err(jack_err(format!("port {port}"))))
            .collect();
        strip_ports.push(registered?);
    }
    let master_ports = [
        client.register_port("master_out_L", AudioOut::default()).map_err(jack_err("port master_out_L"))?,
        client.register_port("master_out_R", AudioOut::default()).map_err(jack_err("port master_out_R"))?,
    ];
    let mut insert_ports = Vec::new();
    for insert in &plan.inserts {
        let sends: Result<Vec<_>, _> = insert
            .sends
            .iter()
            .map(|(port, _)| client.register_port(port, AudioOut::default()).map_err(jack_err(format!("port {port}"))))
            .collect();
        let returns: Result<Vec<_>, _> = insert
            .returns
            .iter()
            .map(|(port, _)| client.register_port(port, AudioIn::default()).map_err(jack_err(format!("port {port}"))))
            .collect();
        insert_ports.push(InsertPortsLive { channel: insert.channel, sends: sends?, returns: returns? });
    }
    let period = client.buffer_size();
    let transport = client.transport();
    let processor = Processor {
        playing: Some(playing),
        home,
        strip_ports,
        master_ports,
        insert_ports,
        transport: client.transport(),
        view: shared.view.clone(),
        xruns: shared.xruns.clone(),
        next_cycle: None,
        recent_late: [0; LATE_MEMORY],
        late_at: 0,
    };
    let notifications = Notifications {
        xruns: shared.xruns.clone(),
        losses: shared.losses.clone(),
        ports_changed: shared.ports_changed.clone(),
        arrivals: shared.arrivals.clone(),
    };
    let client = client.activate_async(notifications, processor).map_err(jack_err("activating the client"))?;
    let ports = audio_ports(client.as_client());
    let unconnected = plan
        .connections(&name)
        .into_iter()
        .filter_map(|(from, to)| Unconnected { from, to, refused: None }.retry(client.as_client(), &ports))
        .collect();
    Ok(Joined { attached: Attached { client, transport, name, period }, unconnected })
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

impl JackSession {
    /// Registers ports, connects them as `doc` says, and starts processing `engine`.
    pub fn start(
        client: Client,
        doc: &SessionDoc,
        mut engine: Engine,
        stems: OpenedStems,
    ) -> Result<JackSession, JackError> {
        let sample_rate = client.sample_rate();
        let buffer_size = client.buffer_size();
        let view = Arc::new(TransportView::default());
        // One ring and one meter per metered channel (the master, and buses that asked).
        let mut taps = Vec::new();
        let mut meters = Vec::new();
        let mut loudness = Vec::new();
        for (channel, name) in engine.loudness_metered() {
            let (tap, reader) = rtrb::RingBuffer::new(sample_rate as usize * 2);
            let view = Arc::new(LoudnessView::default());
            taps.push((channel, tap));
            meters.push((reader, view.clone()));
            loudness.push((name, view));
        }
        engine.set_loudness_taps(taps);
        let loudness_stop = Arc::new(AtomicBool::new(false));
        let loudness_thread = spawn_loudness_meters(meters, sample_rate, buffer_size as usize, loudness_stop.clone());

        let start_frame = client.transport().query().map(|t| t.pos.frame() as u64).unwrap_or(0);
        let (player, disk) = if stems.stems.is_empty() {
            (None, None)
        } else {
            let (p, d) = stems::start(stems.stems, &stems.strip_stem, start_frame);
            (Some(p), Some(d))
        };
        let (xruns, losses, ports_changed, arrivals) = Default::default();
        let plan = PortPlan::of(doc);
        let latency = engine.latency_frames();
        let (to_audio, incoming) = rtrb::RingBuffer::new(PRINT_RING);
        let (outgoing, from_audio) = rtrb::RingBuffer::new(PRINT_RING);
        let prints = PrintSlot { incoming, outgoing, current: None, leaving: None };
        let (home_address, home) = mpsc::channel();
        let shared =
            Shared { view: &view, xruns: &xruns, losses: &losses, ports_changed: &ports_changed, arrivals: &arrivals };
        let Joined { attached, unconnected } =
            attach(client, &plan, Playing { engine, player, prints }, home_address.clone(), shared)?;
        Ok(JackSession {
            requested_name: doc.name.clone(),
            plan,
            sample_rate,
            link: Mutex::new(Link {
                attached: Some(attached),
                parked: None,
                home,
                home_address,
                losses_seen: 0,
                next_try: Instant::now(),
                resume_frame: 0,
                last_refusal: None,
            }),
            view,
            loudness,
            xruns,
            losses,
            unconnected: Mutex::new(unconnected.into()),
            ports_changed,
            arrivals,
            disk,
            loudness_stop,
            loudness_thread: Some(loudness_thread),
            prints: Mutex::new(PrintControl { to_audio, from_audio, job: None }),
            bus_count: doc.buses.len(),
            latency,
        })
    }

    /// Keeps the session on a JACK server: notices a server that went away (the engine is
    /// taken off its dead client and kept), and once a second looks for one to play on again
    /// (the same ports and connections, the transport where it was). Called by the front
    /// end's loop; returns what changed, if anything.
    pub fn tend(&self) -> Option<ServerNews> {
        let mut link = lock(&self.link);
        if link.attached.is_some() {
            let losses = self.losses.load(Ordering::Relaxed);
            if losses == link.losses_seen {
                return None;
            }
            link.losses_seen = losses;
            link.resume_frame = self.view.frame.load(Ordering::Relaxed);
            if let Some(attached) = link.attached.take() {
                // Ok or not (a dead server refuses the deactivation), the processor is dropped
                // here, off the audio thread, and sends the engine home.
                drop(attached.client.deactivate());
            }
            link.parked = link.home.try_recv().ok();
            link.next_try = Instant::now() + RECONNECT_EVERY;
            self.view.rolling.store(false, Ordering::Relaxed);
            return Some(ServerNews::Lost);
        }
        if Instant::now() < link.next_try {
            return None;
        }
        link.next_try = Instant::now() + RECONNECT_EVERY;
        let client = open_client(&self.requested_name).ok()?;
        let refusal = if client.sample_rate() != self.sample_rate {
            Some(format!(
                "the JACK server runs at {} Hz and this session at {} Hz; restart the server at {} Hz, or headroom",
                client.sample_rate(),
                self.sample_rate,
                self.sample_rate
            ))
        } else if let Some(playing) = link.parked.take() {
            let shared = Shared {
                view: &self.view,
                xruns: &self.xruns,
                losses: &self.losses,
                ports_changed: &self.ports_changed,
                arrivals: &self.arrivals,
            };
            match attach(client, &self.plan, playing, link.home_address.clone(), shared) {
                Ok(Joined { attached, unconnected }) => {
                    let _ = attached.transport.locate(link.resume_frame as jack::Frames);
                    let news = ServerNews::Back {
                        client_name: attached.name.clone(),
                        period: attached.period,
                        unconnected: unconnected.len(),
                    };
                    *lock(&self.unconnected) = unconnected.into();
                    link.attached = Some(attached);
                    link.last_refusal = None;
                    return Some(news);
                }
                Err(e) => {
                    link.parked = link.home.try_recv().ok();
                    Some(e.to_string())
                }
            }
        } else {
            Some("the engine did not come back from the client that went away; restart headroom".to_string())
        };
        match refusal {
            Some(why) if link.last_refusal.as_ref() != Some(&why) => {
                link.last_refusal = Some(why.clone());
                Some(ServerNews::NotJoined(why))
            }
            _ => None,
        }
    }

    /// The name JACK gave the client (empty while no server is there).
    pub fn client_name(&self) -> String {
        lock(&self.link).attached.as_ref().map(|a| a.name.clone()).unwrap_or_default()
    }

    /// Frames a period on the server played on (0 while no server is there).
    pub fn buffer_size(&self) -> u32 {
        lock(&self.link).attached.as_ref().map_or(0, |a| a.period)
    }

    /// Asks the transport to roll, stop or move; says why not while the server is gone.
    pub fn transport(&self, ask: impl FnOnce(&jack::Transport) -> Result<(), jack::Error>) -> Result<(), String> {
        let link = lock(&self.link);
        let attached = link.attached.as_ref().ok_or("the JACK server is gone; waiting for it to come back")?;
        ask(&attached.transport).map_err(|e| format!("JACK refused the transport request: {e}"))
    }

    /// The connections not made, tried again first when a port has registered since the last look.
    pub fn unconnected(&self) -> Arc<[Unconnected]> {
        // The link before the list, as `tend` takes them.
        let link = lock(&self.link);
        let mut pending = lock(&self.unconnected);
        if self.ports_changed.swap(false, Ordering::Relaxed)
            && let Some(attached) = &link.attached
        {
            let client = attached.client.as_client();
            let ports = audio_ports(client);
            let now: Vec<Unconnected> = pending.iter().filter_map(|u| u.retry(client, &ports)).collect();
            if *now != **pending {
                *pending = now.into();
            }
        }
        pending.clone()
    }

    /// Reads of stem files that failed (their audio played as silence).
    pub fn stem_read_errors(&self) -> u32 {
        self.disk.as_ref().map_or(0, DiskReader::read_errors)
    }

    /// Stem chunks the audio thread kept rather than free (see `stems`); 0 unless a ring was too small.
    pub fn stem_chunks_kept(&self) -> u32 {
        self.disk.as_ref().map_or(0, DiskReader::chunks_kept)
    }

    /// Arms a real-time print into `files`: it starts at the next rolling cycle and ends when
    /// the transport stops (or `stop_print`). Refused while one is under way.
    pub fn start_print(&self, files: PrintFiles) -> Result<(), String> {
        let mut prints = lock(&self.prints);
        // Taps the audio thread is done with are dropped here, off it.
        while prints.from_audio.pop().is_ok() {}
        if prints.job.as_ref().is_some_and(|job| !job.is_finished()) {
            return Err("a real-time print is under way; stop it first".into());
        }
        let (job, tap) = PrintJob::start(files, self.bus_count, self.sample_rate, self.latency);
        prints.to_audio.push(tap).map_err(|_| "the audio thread has not taken the last print back yet; try again")?;
        prints.job = Some(job);
        Ok(())
    }

    /// Ends the real-time print under way; false if there is none.
    pub fn stop_print(&self) -> bool {
        let prints = lock(&self.prints);
        match &prints.job {
            Some(job) if !job.shared.ended.load(Ordering::Relaxed) => {
                job.stop();
                true
            }
            _ => false,
        }
    }

    /// What the print said since the last call; once it is done, it is let go.
    pub fn print_news(&self) -> Vec<PrintNews> {
        let mut prints = lock(&self.prints);
        // Taps the audio thread is done with are dropped here, off it.
        while prints.from_audio.pop().is_ok() {}
        let Some(job) = &prints.job else { return Vec::new() };
        let news: Vec<PrintNews> = job.said.try_iter().collect();
        if news.iter().any(PrintNews::is_last) {
            prints.job = None;
        }
        news
    }

    /// The print under way, if any.
    pub fn print_status(&self) -> Option<PrintStatus> {
        let prints = lock(&self.prints);
        let shared = &prints.job.as_ref()?.shared;
        if shared.ended.load(Ordering::Relaxed) {
            return None;
        }
        Some(PrintStatus {
            armed: !shared.started.load(Ordering::Relaxed),
            seconds: shared.frames.load(Ordering::Relaxed) as f64 / self.sample_rate as f64,
        })
    }

    /// Starts every loudness meter again (integrated loudness, range, true peak).
    pub fn reset_loudness(&self) {
        for (_, view) in &self.loudness {
            view.reset.store(true, Ordering::Relaxed);
        }
    }

    /// DSP load of the whole JACK graph, percent.
    pub fn cpu_load(&self) -> f32 {
        lock(&self.link).attached.as_ref().map_or(0.0, |a| a.client.as_client().cpu_load())
    }

    /// Stops processing and releases the client; the engine is dropped here, off the audio thread.
    pub fn stop(&mut self) {
        let link = self.link.get_mut().unwrap_or_else(PoisonError::into_inner);
        if let Some(attached) = link.attached.take() {
            drop(attached.client.deactivate());
        }
        link.parked = None;
        while link.home.try_recv().is_ok() {}
        self.loudness_stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.loudness_thread.take() {
            let _ = t.join();
        }
    }
}

impl Drop for JackSession {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Feeds each tap to its own R128 meter, one JACK period at a time, and publishes the readings.
fn spawn_loudness_meters(
    taps: Vec<(rtrb::Consumer<f32>, Arc<LoudnessView>)>,
    sample_rate: u32,
    period: usize,
    stop: Arc<AtomicBool>,
) -> JoinHandle<()> {
    std::thread::Builder::new()
        .name("headroom-loudness".into())
        .spawn(move || {
            let mut taps: Vec<_> =
                taps.into_iter().map(|(tap, view)| (tap, view, LoudnessMeter::new(sample_rate, period))).collect();
            while !stop.load(Ordering::Relaxed) {
                let mut idle = true;
                for (tap, view, meter) in &mut taps {
                    if view.reset.swap(false, Ordering::Relaxed) {
                        meter.reset();
                        view.show(&meter.reading());
                    }
                    let available = tap.slots() & !1;
                    let Ok(chunk) = tap.read_chunk(available) else { continue };
                    if available == 0 {
                        continue;
                    }
                    idle = false;
                    let (a, b) = chunk.as_slices();
                    meter.add_interleaved(a);
                    meter.add_interleaved(b);
                    chunk.commit_all();
                    view.show(&meter.reading());
                }
                if idle {
                    std::thread::sleep(Duration::from_millis(5));
                }
            }
        })
        .expect("spawn loudness thread")
}

/// Sends commands to the engine from a non-real-time thread; reports a full ring instead of blocking.
pub fn send(producer: &mut rtrb::Producer<Command>, command: Command) -> Result<(), Command> {
    producer.push(command).map_err(|rtrb::PushError::Full(c)| c)
}
