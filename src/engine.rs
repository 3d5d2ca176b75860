//! The mixer: channel strips → buses → master, driven one block at a time by
//! whichever backend owns the clock (JACK in real time, the offline renderer).
//!
//! `Engine::process` is the real-time entry point: it never allocates, frees,
//! locks or blocks. Parameter changes arrive as `Command`s through rtrb rings
//! (one per producer); meters leave through `Telemetry` atomics, and the output of
//! the master (and of buses that ask) through rings to the loudness meters.

pub mod automation;
pub mod channel;
pub mod channel_params;
mod commands;
mod compensation;
pub mod hardware_insert;
pub mod lane;
mod mode;
pub mod params;
mod prints;
mod rings;
mod routing;
pub mod setup;
mod strip_groups;
mod sums;
pub mod targets;
pub mod telemetry;

use std::sync::Arc;
use std::sync::atomic::Ordering;

use automation::{Automation, AutomationLink, Transport};
use channel::{BusSum, Channel, ChannelContext, MeterPoint};
use compensation::Compensation;
pub use compensation::MOST_DELAY as MOST_COMPENSATION;
use hardware_insert::{HardwareInsert, Ping};
use params::{Declarer, ParamIndex, ParamTable, ParamValues, Role};
use prints::BareMaster;
pub use rings::{CommandRings, MAX_COMMAND_RINGS};
use routing::Routing;
use setup::{ChannelKind, ChannelSetup, MixSetup};
use strip_groups::{StripGroups, strip_group_size};
use telemetry::Telemetry;

use crate::dsp::denormal::FlushDenormals;
use crate::dsp::{AudioBlock, MAX_BLOCK};
use automation::Mode;

/// The id prefix (and the name) of the master.
pub const MASTER: &str = "master";

/// A message to the engine.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Command {
    /// Set a parameter's target to a plain value (dB, Hz, ...); clamped to its range.
    /// A bus-to-bus send raised from -inf that would close a loop of buses is refused.
    /// Not a hand on a control (an undo, a typed value): automation sees no touch.
    SetParam { param: ParamIndex, value: f32 },
    /// A hand moved the parameter's control to `value`: like `SetParam`, and for automation
    /// a touch, released after the idle time unless the control says when (`Touch`).
    Move { param: ParamIndex, value: f32 },
    /// A hand went on (or came off) the parameter's control, as its touch sensor says.
    Touch { param: ParamIndex, touched: bool },
    /// The parameter's automation mode.
    SetMode { param: ParamIndex, mode: Mode },
    /// Arms or disarms all automation writing.
    WriteEnable(bool),
    /// Touch and Trim's return time, and the idle time after which a control without touch
    /// sensing counts as released, in frames.
    AutomationTimes { glide_frames: u32, idle_frames: u32 },
    /// Route the output of engine channel `channel` (a strip or a bus) to bus `bus`
    /// (layout index), or to the master when `None`. Refused if it would close a loop.
    SetOutput { channel: usize, bus: Option<usize> },
    /// Ping the hardware insert of engine channel `channel`: measure its round trip.
    MeasureInsert { channel: usize },
}

/// Where the engine gets its strip inputs and puts the master output, for one block.
pub trait AudioIo {
    /// Fills `out` with channel `channel` of strip `strip`, frames `offset..offset + out.len()` of the block.
    fn read_strip(&self, strip: usize, channel: usize, offset: usize, out: &mut [f32]);
    /// Receives master frames `offset..offset + left.len()` of the block.
    fn write_master(&mut self, offset: usize, left: &[f32], right: &[f32]);
    /// Once `start_prints` asked for them: the output of bus `bus` (layout order) as it feeds on,
    /// frames `offset..` of the block.
    fn write_bus(&mut self, _bus: usize, _offset: usize, _left: &[f32], _right: &[f32]) {}
    /// Once `start_prints` asked for it: the master's output with its processing switched out.
    fn write_bare_master(&mut self, _offset: usize, _left: &[f32], _right: &[f32]) {}
}

/// Frames one pass of the strips covers before the buses run; longer calls are split.
const MAX_PASS: usize = 4096;

/// Passes shorter than this run both halves of the strips on the calling thread.
const PARALLEL_PASS: usize = 1024;

/// How many commands one ring holds; a producer finding it full is told so (`push` fails).
pub const COMMAND_RING_SIZE: usize = 4096;

/// How many commands one callback takes from each ring at most: a flood (a surface, a
/// script) costs a bounded time per period and drains over the next ones (4096 in 16
/// periods, 85 ms at 256 frames).
pub const COMMANDS_PER_RING: usize = 256;

/// The engine's copy of every parameter value, and what a change makes stale.
struct ParamState {
    values: Box<[f32]>,
    /// Per parameter: (min, max, whole values only).
    ranges: Box<[(f32, f32, bool)]>,
    /// Per parameter: the channel it belongs to.
    owners: Box<[u32]>,
    /// Per parameter: whether it is a solo or solo-safe switch (changing one re-decides every channel).
    affects_solo: Box<[bool]>,
    /// Per parameter: whether it is the level of a bus's send to another bus (raising one
    /// from -inf, or pulling it down there, changes the order the buses run in).
    bus_send_level: Box<[bool]>,
    channel_dirty: Box<[bool]>,
    solo_dirty: bool,
}

impl ParamState {
    /// Stores a value, constrained to the parameter's range; unknown parameters and NaN are ignored.
    fn store(&mut self, param: ParamIndex, value: f32) {
        let i = param.0 as usize;
        let Some(&(min, max, discrete)) = self.ranges.get(i) else { return };
        if value.is_nan() {
            return;
        }
        let v = value.clamp(min, max);
        self.values[i] = if discrete { v.round() } else { v };
        self.channel_dirty[self.owners[i] as usize] = true;
        self.solo_dirty |= self.affects_solo[i];
    }
}

pub struct Engine {
    params: ParamState,
    /// Strips, then buses (each in layout order), master last.
    channels: Vec<Channel>,
    strip_count: usize,
    /// Sum of everything feeding each bus over one pass; index 0 is the master, then the
    /// buses in layout order.
    sums: Vec<BusSum>,
    /// The strips' contributions to `sums`, from each group of `group_size` consecutive
    /// strips separately: the groups can run on any thread (offline), and real time adds
    /// them up in the same order, so a render and a real-time capture agree to the bit.
    strip_sums: Vec<Vec<BusSum>>,
    group_size: usize,
    /// The order the buses run in, and which channels reach which (for solo).
    routing: Routing,
    /// Room for `MAX_COMMAND_RINGS`; new ones arrive through `new_rings`.
    commands: Vec<rtrb::Consumer<Command>>,
    new_rings: rtrb::Consumer<rtrb::Consumer<Command>>,
    telemetry: Arc<Telemetry>,
    /// Channels whose output feeds a loudness meter: the master and buses that asked.
    loudness_metered: Vec<usize>,
    loudness_taps: Vec<(usize, rtrb::Producer<f32>)>,
    automation: Automation,
    /// Whether this callback may still work the bus order out again (once a callback, for a
    /// command or for automation; what would take a second waits for the next).
    reroute_left: bool,
    /// A render's prints beside the mix (`start_prints`): the bare master, and the buses' outputs.
    bare_master: Option<BareMaster>,
    print_buses: bool,
    /// In a session with hardware inserts: how late each sum's paths arrive, and the delay of
    /// the strips' part of each (see `compensation`).
    compensation: Option<Compensation>,
}

/// An engine ready to run, with what the other threads need to talk to it.
pub struct Built {
    pub engine: Engine,
    pub params: ParamTable,
    /// The parameters' values as built, for the non-real-time side to own from here on.
    pub values: ParamValues,
    pub telemetry: Arc<Telemetry>,
    /// One producer per command source asked for (UI, MIDI, automation...).
    pub command_producers: Vec<rtrb::Producer<Command>>,
    /// Where more command rings come from, while the engine runs.
    pub rings: CommandRings,
    /// The pass recorder's ends of the automation rings.
    pub automation: AutomationLink,
}

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum BuildError {
    /// The buses' outputs and open sends feed each other in a loop (the buses named are all of them).
    #[error("buses route into each other in a loop (buses: {0})")]
    RoutingLoop(String),
}

impl Engine {
    /// Builds the graph of a mix. Allocates everything the audio thread will use.
    /// `command_sources` rings are opened at once (`Built::command_producers`); more come from `Built::rings`.
    pub fn build(mix: &MixSetup, sample_rate: f32, command_sources: usize) -> Result<Built, BuildError> {
        let strip_count = mix.strips.len();
        let group_size = strip_group_size(strip_count);
        // Sum index: master 0, then the buses in layout order.
        let sum_of = |output: Option<usize>| output.map_or(0, |bus| bus + 1);
        let bus_targets: Vec<(usize, &str, usize)> =
            mix.buses.iter().enumerate().map(|(b, bus)| (b, bus.name.as_str(), b + 1)).collect();
        let mut table = ParamTable::default();
        let mut values = Vec::new();
        let mut channels = Vec::new();
        let compensated = mix.strips.iter().chain(&mix.buses).any(|c| c.hardware_insert.is_some());
        let mut add = |setup: &ChannelSetup, prefix: String, send_targets: &[(usize, &str, usize)]| {
            let destination = (setup.kind != ChannelKind::Master).then(|| sum_of(setup.output));
            let ctx = ChannelContext { sample_rate, destination, send_targets, compensated };
            let owner = channels.len();
            let mut declarer = Declarer { table: &mut table, values: &mut values, prefix, owner };
            channels.push(Channel::build(setup, &ctx, &mut declarer));
        };
        for strip in &mix.strips {
            add(strip, format!("strip.{}", strip.name), &bus_targets);
        }
        for (b, bus) in mix.buses.iter().enumerate() {
            let others: Vec<(usize, &str, usize)> = bus_targets.iter().copied().filter(|&(o, ..)| o != b).collect();
            add(bus, format!("bus.{}", bus.name), &others);
        }
        add(&mix.master, MASTER.to_string(), &[]);

        let master_index = channels.len() - 1;
        let mut loudness_metered = vec![master_index];
        loudness_metered
            .extend(mix.buses.iter().enumerate().filter(|(_, bus)| bus.loudness).map(|(b, _)| strip_count + b));
        let telemetry = Arc::new(Telemetry::new(channels.len(), values.len()));
        let (new_rings, rings_in) = rtrb::RingBuffer::new(MAX_COMMAND_RINGS);
        let mut rings = CommandRings { new_rings, names: Vec::new() };
        let producers = (0..command_sources)
            .map(|n| rings.open(&format!("source {n}")).expect("fewer sources than the engine reads"))
            .collect();
        let specs = table.specs();
        let initial = ParamValues::new(values.clone());
        let (automation, automation_link) = Automation::new(&values, sample_rate, telemetry.clone());
        let mut engine = Engine {
            params: ParamState {
                values: values.into_boxed_slice(),
                ranges: specs.iter().map(|s| (s.min, s.max, s.is_discrete())).collect(),
                owners: specs.iter().map(|s| s.owner as u32).collect(),
                affects_solo: specs.iter().map(|s| matches!(s.role, Role::Solo | Role::SoloSafe)).collect(),
                bus_send_level: specs
                    .iter()
                    .map(|s| s.owner >= strip_count && s.owner < master_index && s.role == Role::SendLevel)
                    .collect(),
                channel_dirty: vec![true; channels.len()].into_boxed_slice(),
                solo_dirty: true,
            },
            sums: (0..=mix.buses.len()).map(|_| BusSum::new(MAX_PASS)).collect(),
            strip_sums: (0..strip_count.div_ceil(group_size))
                .map(|_| (0..=mix.buses.len()).map(|_| BusSum::new(MAX_PASS)).collect())
                .collect(),
            group_size,
            routing: Routing::new(strip_count, mix.buses.len()),
            strip_count,
            channels,
            commands: Vec::with_capacity(MAX_COMMAND_RINGS),
            new_rings: rings_in,
            telemetry: telemetry.clone(),
            loudness_metered,
            loudness_taps: Vec::new(),
            automation,
            reroute_left: true,
            bare_master: None,
            print_buses: false,
            compensation: compensated.then(|| Compensation::new(mix.buses.len() + 1)),
        };
        if !engine.routing.update(&engine.channels, &engine.params.values) {
            let names: Vec<&str> = mix.buses.iter().map(|bus| bus.name.as_str()).collect();
            return Err(BuildError::RoutingLoop(names.join(", ")));
        }
        table.set_channels(engine.channels.iter().map(|c| c.params.clone()).collect());
        engine.refresh_settings();
        // Start settled: a freshly opened session must not fade in.
        for ch in &mut engine.channels {
            ch.settle();
        }
        Ok(Built {
            engine,
            params: table,
            values: initial,
            telemetry,
            command_producers: producers,
            rings,
            automation: automation_link,
        })
    }
}

impl Engine {
    /// Processes one block of `frames` frames (any length; split internally into passes and
    /// sub-blocks) at `transport`, which automation plays and writes against.
    pub fn process(&mut self, frames: usize, transport: Transport, io: &mut impl AudioIo) {
        self.process_in_passes(frames, transport, io, |groups, values, io, offset, n| {
            groups.for_each(|group| group.run(values, io, offset, n));
        });
    }

    /// `process` for offline rendering: the groups of strips run on two threads, each
    /// taking the next group not yet taken, so a helper the system starts late costs
    /// nothing. The result is identical to `process`, bit for bit.
    pub fn process_parallel(&mut self, frames: usize, transport: Transport, io: &mut (impl AudioIo + Sync)) {
        self.process_in_passes(frames, transport, io, |groups, values, io, offset, n| {
            // A thread for a short pass (automation cuts passes on its grid) costs more than it saves.
            if n < PARALLEL_PASS {
                groups.for_each(|group| group.run(values, io, offset, n));
                return;
            }
            // Only renders come here, never the real-time callback: a lock is fine.
            let queue = std::sync::Mutex::new(groups);
            let take = || queue.lock().unwrap_or_else(std::sync::PoisonError::into_inner).next();
            std::thread::scope(|scope| {
                scope.spawn(|| {
                    let _denormals = FlushDenormals::new();
                    while let Some(group) = take() {
                        group.run(values, io, offset, n);
                    }
                });
                while let Some(group) = take() {
                    group.run(values, io, offset, n);
                }
            });
        });
    }

    /// The pass loop shared by both: commands, then per pass automation, settings, the groups
    /// of strips (run by `strip_stage`), then buses and master. While anything is
    /// automated and the transport rolls, passes end on the automation grid.
    fn process_in_passes<I: AudioIo>(
        &mut self,
        frames: usize,
        transport: Transport,
        io: &mut I,
        strip_stage: impl Fn(StripGroups<'_>, &[f32], &I, usize, usize),
    ) {
        let _denormals = FlushDenormals::new();
        self.reroute_left = true;
        for insert in self.channels.iter_mut().filter_map(Channel::hardware_insert_mut) {
            insert.begin_cycle();
        }
        self.drain_commands();
        self.automation.begin_block(transport, frames);
        let mut offset = 0;
        while offset < frames {
            let mut n = (frames - offset).min(MAX_PASS);
            if self.automation.is_active() {
                let frame = transport.frame + if transport.rolling { offset as u64 } else { 0 };
                if transport.rolling {
                    n = n.min(Automation::to_grid(frame) as usize);
                }
                self.run_automation(frame, transport.rolling);
            }
            self.refresh_settings();
            self.compensate();
            let groups = StripGroups {
                strips: self.channels[..self.strip_count].chunks_mut(self.group_size),
                sums: self.strip_sums.iter_mut(),
                next_index: 0,
            };
            strip_stage(groups, &self.params.values, &*io, offset, n);
            self.mix_buses(offset, n, io);
            offset += n;
        }
        self.automation.end_block(frames);
        self.finish(frames);
    }

    /// Plays and writes the automated parameters for the segment at transport `frame`.
    fn run_automation(&mut self, frame: u64, rolling: bool) {
        self.automation.run_segment(frame, rolling, &self.params.values);
        let mut deferred = false;
        for k in 0..self.automation.changes.len() {
            let (param, value) = self.automation.changes[k];
            // A second rework of the bus order waits: the lane asks again next segment.
            if self.reworks_routing(param, value) && !self.take_reroute() {
                deferred = true;
                continue;
            }
            self.set_param(param, value);
        }
        if deferred {
            self.telemetry.work_deferred.fetch_add(1, Ordering::Relaxed);
        }
    }

    fn finish(&mut self, frames: usize) {
        self.publish_meters();
        self.telemetry.frames.fetch_add(frames as u64, Ordering::Relaxed);
    }

    /// The automation, to set up before the engine runs (stored lanes and modes, a render).
    pub fn automation_mut(&mut self) -> &mut Automation {
        &mut self.automation
    }

    /// Loads changed parameters into their channels: processor settings and gains of the
    /// channels touched, and every channel's gains when a solo changed.
    fn refresh_settings(&mut self) {
        let solo_changed = std::mem::take(&mut self.params.solo_dirty);
        let any_solo = (0..self.channels.len()).any(|c| self.is_soloed(c));
        for c in 0..self.channels.len() {
            let dirty = std::mem::take(&mut self.params.channel_dirty[c]);
            if dirty {
                self.channels[c].apply_params(&self.params.values);
            }
            if dirty || solo_changed {
                let audible = !any_solo || self.passes_solo(c);
                self.channels[c].apply_gains(&self.params.values, audible);
                if c == self.channels.len() - 1
                    && let Some(bare) = &mut self.bare_master
                {
                    bare.follow(&self.params.values, audible);
                }
            }
        }
    }

    fn is_soloed(&self, c: usize) -> bool {
        self.params.values[self.channels[c].params.solo.0 as usize] >= 0.5
    }

    /// Solo in place: a channel plays while something is soloed if it is soloed or solo-safe,
    /// routes into a soloed bus, or is a bus a soloed channel routes into.
    fn passes_solo(&self, c: usize) -> bool {
        self.is_soloed(c)
            || self.params.values[self.channels[c].params.solo_safe.0 as usize] >= 0.5
            || (0..self.channels.len())
                .any(|d| (self.routing.reaches(c, d) || self.routing.reaches(d, c)) && self.is_soloed(d))
    }

    /// Adds up the strip groups' sums, then runs buses and master sub-block by sub-block.
    fn mix_buses(&mut self, offset: usize, frames: usize, io: &mut impl AudioIo) {
        // The groups' sums, added in group order whichever thread ran them.
        for (s, sum) in self.sums.iter_mut().enumerate() {
            for side in 0..2 {
                let total = sum.side_mut(side, 0, frames);
                total.fill(0.0);
                for group in &mut self.strip_sums {
                    for (t, x) in total.iter_mut().zip(group[s].side_mut(side, 0, frames)) {
                        *t += *x;
                        *x = 0.0;
                    }
                }
            }
            if let Some(compensation) = &mut self.compensation {
                let (left, right) = sum.both_mut(0, frames);
                compensation.strip_part[s].run(&mut [left, right]);
            }
        }
        let mut at = 0;
        while at < frames {
            let n = (frames - at).min(MAX_BLOCK);
            // Buses come after everything that feeds them, so their sum is complete when they run.
            for i in 0..self.routing.bus_count() {
                let b = self.routing.bus_at(i);
                self.run_bus(self.strip_count + b, b + 1, at, n);
                if self.print_buses {
                    let out = &self.channels[self.strip_count + b].out;
                    io.write_bus(b, offset + at, out.channel(0), out.channel(1));
                }
            }
            if let Some(bare) = &mut self.bare_master {
                // The master's input, before `run_bus` takes it from the sum.
                bare.channel.work.set_frames(n);
                for side in 0..2 {
                    bare.channel.work.channel_mut(side).copy_from_slice(self.sums[0].side(side, at, n));
                }
                bare.channel.process(&bare.values, &mut self.sums, at);
                io.write_bare_master(offset + at, bare.channel.out.channel(0), bare.channel.out.channel(1));
            }
            self.run_bus(self.channels.len() - 1, 0, at, n);
            let master = self.channels.last().expect("master");
            io.write_master(offset + at, master.out.channel(0), master.out.channel(1));
            for (c, tap) in &mut self.loudness_taps {
                tap_interleaved(tap, &self.channels[*c].out, &self.telemetry);
            }
            at += n;
        }
    }

    /// Runs bus (or master) channel `c` over frames `at..at + frames` of its sum `sum`.
    fn run_bus(&mut self, c: usize, sum: usize, at: usize, frames: usize) {
        let channel = &mut self.channels[c];
        channel.work.set_frames(frames);
        for side in 0..2 {
            channel.work.channel_mut(side).copy_from_slice(self.sums[sum].side(side, at, frames));
        }
        self.sums[sum].clear(at, frames);
        channel.process(&self.params.values, &mut self.sums, at);
    }

    fn publish_meters(&mut self) {
        let window = self.telemetry.frames.load(Ordering::Relaxed) / telemetry::PEAK_WINDOW_FRAMES;
        let mut resets = 0;
        for (channel, meters) in self.channels.iter_mut().zip(self.telemetry.channels.iter()) {
            let input = channel.input_meter.take();
            let output = if channel.meter_point == MeterPoint::Input { input } else { channel.output_meter.take() };
            for side in 0..2 {
                meters.peak[side].raise(window, output.peak[side]);
                meters.rms[side].store(output.rms[side]);
            }
            if output.overs > 0 {
                meters.overs.fetch_add(output.overs as u64, Ordering::Relaxed);
            }
            meters.gain_reduction_db.raise_to(std::mem::take(&mut channel.gain_reduction_db));
            if let Some(ping) = channel.ping.take() {
                let frames = match ping {
                    Ping::RoundTrip(frames) => frames,
                    Ping::Silent => u32::MAX,
                };
                meters.insert_round_trip.store(frames, Ordering::Relaxed);
                meters.insert_pings.fetch_add(1, Ordering::Relaxed);
            }
            resets += std::mem::take(&mut channel.nan_resets);
        }
        if resets > 0 {
            self.telemetry.nan_resets.fetch_add(resets, Ordering::Relaxed);
        }
    }

    /// Turns the output meters off (offline renders) or on; the audio is the same either way.
    pub fn set_output_metering(&mut self, on: bool) {
        for channel in &mut self.channels {
            channel.meter_output = on;
        }
    }

    /// The channels to measure loudness on, as (engine channel index, name): the master
    /// first, then every bus whose layout asks for it.
    pub fn loudness_metered(&self) -> Vec<(usize, String)> {
        self.loudness_metered.iter().map(|&c| (c, self.channels[c].params.name.clone())).collect()
    }

    /// Sends each listed channel's output, interleaved, into its ring (for the loudness meter thread).
    pub fn set_loudness_taps(&mut self, taps: Vec<(usize, rtrb::Producer<f32>)>) {
        self.loudness_taps = taps;
    }

    /// Lines every path up with the latest, in a session with hardware inserts: each strip's
    /// input delayed to the latest strip insert's round trip, then, bus by bus in running
    /// order, the strips' part of each sum and every bus's output delayed to the latest
    /// arrival where it goes. Cheap (no allocation, a pass over strips and feeds), and
    /// always up to date with routing and pings.
    fn compensate(&mut self) {
        let Some(compensation) = &mut self.compensation else { return };
        let strips = self.strip_count;
        let latest_strip = self.channels[..strips].iter().map(Channel::insert_latency).max().unwrap_or(0);
        for strip in &mut self.channels[..strips] {
            let own = strip.insert_latency();
            strip.set_input_delay(latest_strip - own);
        }
        let arrival = &mut compensation.arrival;
        arrival.fill(latest_strip);
        for i in 0..self.routing.bus_count() {
            let b = self.routing.bus_at(i);
            let bus = &self.channels[strips + b];
            let out = arrival[b + 1] + bus.insert_latency();
            bus.for_each_feed(&self.params.values, |sum| arrival[sum] = arrival[sum].max(out));
        }
        for (line, &at) in compensation.strip_part.iter_mut().zip(arrival.iter()) {
            line.set_delay(at - latest_strip);
        }
        for b in 0..self.routing.bus_count() {
            let bus = &mut self.channels[strips + b];
            let out = arrival[b + 1] + bus.insert_latency();
            bus.set_output_delays(|sum| arrival[sum].saturating_sub(out));
        }
        // How long each bus's output takes to the master: its delay into where it goes, and
        // on from there (a chain of buses ends at the master: the order proved no loop).
        for b in 0..self.routing.bus_count() {
            let (mut at, mut channel, mut frames) = (b + 1, strips + b, 0);
            while let Some(dest) = self.channels[channel].destination() {
                let out = arrival[at] + self.channels[channel].insert_latency();
                frames += arrival[dest] - out;
                if dest == 0 {
                    break;
                }
                (at, channel) = (dest, strips + dest - 1);
                frames += self.channels[channel].insert_latency();
            }
            self.telemetry.channels[strips + b].to_master_frames.store(frames, Ordering::Relaxed);
        }
    }

    /// Puts every automated parameter at its lane's value at `frame` and every glide where it
    /// goes: a render starts as real time plays after the transport stood there, instead of
    /// sweeping from the session's values over the first milliseconds.
    pub fn start_at(&mut self, frame: u64) {
        if self.automation.is_active() {
            self.run_automation(frame, false);
        }
        self.refresh_settings();
        for ch in &mut self.channels {
            ch.settle();
        }
        if let Some(bare) = &mut self.bare_master {
            bare.channel.settle();
        }
    }

    /// The hardware inserts, by engine channel, for the JACK side to fill their returns before
    /// a callback and empty their sends after it.
    pub fn hardware_inserts_mut(&mut self) -> impl Iterator<Item = (usize, &mut HardwareInsert)> {
        self.channels.iter_mut().enumerate().filter_map(|(c, ch)| ch.hardware_insert_mut().map(|h| (c, h)))
    }

    /// Hands every bus's output to `AudioIo::write_bus` (a real-time print of buses), or not.
    pub fn print_buses(&mut self, on: bool) {
        self.print_buses = on;
    }

    /// Makes a render's prints beside the mix, from the next block on: every bus's output
    /// (`AudioIo::write_bus`) and the master with its processing switched out
    /// (`write_bare_master`), both lined up with the mix. Allocates: not for real time.
    pub fn start_prints(&mut self, master_setup: &ChannelSetup, sample_rate: f32) {
        let master = self.channels.len() - 1;
        let master_first = self.channels[master].params.trim.0 as usize;
        let audible = !(0..self.channels.len()).any(|c| self.is_soloed(c)) || self.passes_solo(master);
        let mut bare = BareMaster::build(master_setup, master_first, sample_rate);
        bare.follow(&self.params.values, audible);
        bare.channel.settle();
        self.bare_master = Some(bare);
        self.print_buses = true;
    }

    /// Frames between an input and its effect at the master output (look-ahead of the master limiter).
    pub fn latency_frames(&self) -> usize {
        self.channels.iter().map(Channel::latency_frames).max().unwrap_or(0)
    }
}

/// Copies a stereo block into the ring interleaved; what does not fit is counted, not waited for.
fn tap_interleaved(tap: &mut rtrb::Producer<f32>, block: &AudioBlock, telemetry: &Telemetry) {
    let wanted = block.frames() * 2;
    let Ok(mut chunk) = tap.write_chunk_uninit(wanted.min(tap.slots())) else {
        return;
    };
    let fits = chunk.len() / 2;
    let (first, second) = chunk.as_mut_slices();
    for i in 0..fits {
        for side in 0..2 {
            let slot = i * 2 + side;
            let value = block.channel(side)[i];
            if slot < first.len() {
                first[slot].write(value);
            } else {
                second[slot - first.len()].write(value);
            }
        }
    }
    // SAFETY: every slot of the first `fits * 2` was written above.
    unsafe { chunk.commit(fits * 2) };
    if fits < block.frames() {
        telemetry.loudness_overflows.fetch_add((block.frames() - fits) as u32, Ordering::Relaxed);
    }
}
