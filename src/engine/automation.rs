//! Automation in the process callback: for every parameter not in Off, per segment of
//! [`GRID`] frames on the transport's clock, decides whether the value comes from its lane
//! or from the live control, and writes what the live control does while a pass is open.
//! Offline renders run the same code, on the same grid, so they play automation exactly as
//! real time does.
//!
//! Nothing here allocates: lanes arrive boxed through a ring and leave through another to be
//! dropped off the audio thread; the list of automated parameters has room for them all.

use std::sync::atomic::Ordering;

use super::lane::Lane;
pub use super::mode::Mode;
use super::params::ParamIndex;
use super::telemetry::Telemetry;
pub use super::telemetry::{AutomationTelemetry, Driver, PlayState};
use crate::dsp::MAX_BLOCK;

/// Lanes are read and written once every this many frames of the transport (1.33 ms at
/// 48 kHz); the parameter smoothing glides between the values.
pub const GRID: u64 = MAX_BLOCK as u64;

/// Return time of Touch and Trim after release, unless set otherwise.
pub const DEFAULT_GLIDE_MS: f32 = 250.0;
/// How long after its last move a control without touch sensing counts as released.
pub const DEFAULT_IDLE_MS: f32 = 500.0;

/// Where the transport is for the block being processed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Transport {
    pub frame: u64,
    pub rolling: bool,
    /// Frames the server went on without this client over its last few blocks (missed
    /// periods: an xrun); 0 when it was on time. A jump of the transport an xrun explains
    /// is a gap in the pass, not a locate.
    pub late_frames: u64,
}

/// What the engine tells the pass recorder, in the order it happened.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Record {
    /// The transport rolls with write enabled: a pass is open from this frame.
    PassStart { frame: u64 },
    /// A value written (and heard) at this frame.
    Value { param: ParamIndex, frame: u64, value: f32 },
    /// The parameter stopped writing (released and glided back) before this frame.
    Released { param: ParamIndex, frame: u64 },
    /// The transport jumped over missed periods (an xrun) to this frame; the pass goes on.
    Gap { frame: u64 },
    /// The pass ended (stop, locate, loop wrap, write disabled) at this frame.
    PassEnd { frame: u64 },
    /// The engine changed a mode by itself (Write falls back to Touch after a pass).
    Mode { param: ParamIndex, mode: Mode },
}

/// A new lane for a parameter (None removes it); the old one comes back through `retired`.
pub struct LaneSwap {
    pub param: ParamIndex,
    pub lane: Option<Box<Lane>>,
}

/// The non-real-time ends of the engine's automation rings.
pub struct AutomationLink {
    pub records: rtrb::Consumer<Record>,
    pub lanes: rtrb::Producer<LaneSwap>,
    pub retired: rtrb::Consumer<Box<Lane>>,
}

/// Values written per second per parameter at 48 kHz is 750; this holds seconds of a full ride.
const RECORD_RING: usize = 1 << 16;
/// Lanes in flight each way; a full ring back keeps a lane alive rather than free it here.
pub const LANE_RING: usize = 1024;
/// Lanes one callback swaps in at most.
pub const LANE_SWAPS_PER_CYCLE: usize = 64;

#[derive(Clone, Copy, Debug, Default)]
struct ParamAutomation {
    mode: Mode,
    /// The live control's value.
    live: f32,
    /// A control with touch sensing is held.
    held: bool,
    /// A control without it moved; counts as touched until this engine clock frame.
    idle_until: u64,
    /// The value when the touch began: the curve of a parameter without a lane, and the
    /// point Trim measures the control's movement from.
    touched_at: f32,
    was_touched: bool,
    /// Gliding back to the curve after a release: from (transport frame, value).
    release: Option<(u64, f32)>,
    /// Latch: touched in this pass, so it writes until the transport stops.
    latched: bool,
    /// Wrote in the last segment.
    writing: bool,
}

impl ParamAutomation {
    fn touched(&self, clock: u64) -> bool {
        self.held || clock < self.idle_until
    }
}

/// The engine's automation state.
pub struct Automation {
    params: Box<[ParamAutomation]>,
    lanes: Box<[Option<Box<Lane>>]>,
    /// Parameters not in Off, in no order (room for every parameter: never grows).
    active: Vec<u32>,
    /// The values a segment changes (room for every parameter: never grows).
    pub(super) changes: Vec<(ParamIndex, f32)>,
    write_enabled: bool,
    pass_open: bool,
    /// The transport frame the next block starts at, when rolling on.
    expected: Option<u64>,
    /// Frames processed, rolling or not: the clock touch inference counts on.
    clock: u64,
    glide_frames: u64,
    idle_frames: u64,
    records: rtrb::Producer<Record>,
    swaps: rtrb::Consumer<LaneSwap>,
    retired: rtrb::Producer<Box<Lane>>,
    telemetry: std::sync::Arc<Telemetry>,
}

/// What a segment decided for one parameter: the value (None: leave the live value) and
/// whether it is written.
struct Decision {
    value: Option<f32>,
    write: bool,
}

impl Automation {
    pub(super) fn new(
        values: &[f32],
        sample_rate: f32,
        telemetry: std::sync::Arc<Telemetry>,
    ) -> (Automation, AutomationLink) {
        let (records, records_out) = rtrb::RingBuffer::new(RECORD_RING);
        let (lanes_in, swaps) = rtrb::RingBuffer::new(LANE_RING);
        let (retired, retired_out) = rtrb::RingBuffer::new(LANE_RING);
        let frames = |ms: f32| (ms / 1000.0 * sample_rate).round() as u64;
        let automation = Automation {
            params: values.iter().map(|&live| ParamAutomation { live, ..Default::default() }).collect(),
            lanes: values.iter().map(|_| None).collect(),
            active: Vec::with_capacity(values.len()),
            changes: Vec::with_capacity(values.len()),
            write_enabled: false,
            pass_open: false,
            expected: None,
            clock: 0,
            glide_frames: frames(DEFAULT_GLIDE_MS).max(1),
            idle_frames: frames(DEFAULT_IDLE_MS),
            records,
            swaps,
            retired,
            telemetry,
        };
        (automation, AutomationLink { records: records_out, lanes: lanes_in, retired: retired_out })
    }

    /// Whether any parameter is automated (not in Off): blocks are then cut on the grid.
    pub(super) fn is_active(&self) -> bool {
        !self.active.is_empty()
    }

    /// Frames from `frame` to the next grid line.
    pub(super) fn to_grid(frame: u64) -> u64 {
        GRID - frame % GRID
    }

    /// A live value from a control that is not a hand (an undo, a typed value, a session
    /// load): the control follows, nothing is touched.
    pub(super) fn set_live(&mut self, param: ParamIndex, value: f32) {
        if let Some(p) = self.params.get_mut(param.0 as usize) {
            p.live = value;
        }
    }

    /// A hand moved a control to `value`; `current` is the parameter's value before. A
    /// control without touch sensing (or with it, moved without a touch) counts as touched
    /// until it has been still for the idle time.
    pub(super) fn moved(&mut self, param: ParamIndex, value: f32, current: f32) {
        let clock = self.clock;
        let idle = self.idle_frames;
        let Some(p) = self.params.get_mut(param.0 as usize) else { return };
        if !p.touched(clock) {
            p.touched_at = current;
        }
        p.idle_until = clock + idle;
        p.live = value;
    }

    /// A hand went on (or off) a control with touch sensing; `current` is the parameter's value.
    pub(super) fn touch(&mut self, param: ParamIndex, touched: bool, current: f32) {
        let clock = self.clock;
        let Some(p) = self.params.get_mut(param.0 as usize) else { return };
        if touched && !p.touched(clock) {
            // The control sits where the parameter is shown: it writes on from there.
            p.touched_at = current;
            p.live = current;
        }
        p.held = touched;
        if !touched {
            p.idle_until = 0;
        }
    }

    /// Changes a parameter's mode.
    pub fn set_mode(&mut self, param: ParamIndex, mode: Mode) {
        let i = param.0 as usize;
        let Some(p) = self.params.get_mut(i) else { return };
        let before = p.mode;
        p.mode = mode;
        p.release = None;
        p.latched = false;
        self.telemetry.automation.mode[i].store(mode.index(), Ordering::Relaxed);
        match (before == Mode::Off, mode == Mode::Off) {
            (true, false) => self.active.push(i as u32),
            (false, true) => {
                if let Some(at) = self.active.iter().position(|&a| a as usize == i) {
                    self.active.swap_remove(at);
                }
                let automation = &self.telemetry.automation;
                automation.publish(param, PlayState::LIVE, automation.played(param));
            }
            _ => {}
        }
    }

    pub(super) fn set_write_enabled(&mut self, on: bool) {
        self.write_enabled = on;
        self.telemetry.automation.write_enabled.store(on, Ordering::Relaxed);
    }

    pub(super) fn set_times(&mut self, glide_frames: u32, idle_frames: u32) {
        self.glide_frames = u64::from(glide_frames).max(1);
        self.idle_frames = u64::from(idle_frames);
    }

    /// Puts a lane in place before the engine runs (a session's stored automation, a render).
    pub fn install(&mut self, param: ParamIndex, lane: Option<Box<Lane>>) {
        if let Some(slot) = self.lanes.get_mut(param.0 as usize) {
            *slot = lane;
        }
    }

    /// At the start of a block: takes new lanes, and opens or closes the pass as the
    /// transport and write enable say (a jump while rolling that no xrun explains is a
    /// locate or a loop wrap: the pass ends there and a new one starts).
    pub(super) fn begin_block(&mut self, transport: Transport, frames: usize) {
        // A bounded number a callback; more wait in the ring for the next.
        for _ in 0..LANE_SWAPS_PER_CYCLE {
            let Ok(swap) = self.swaps.pop() else { break };
            let Some(slot) = self.lanes.get_mut(swap.param.0 as usize) else { continue };
            if let Some(old) = std::mem::replace(slot, swap.lane)
                && let Err(rtrb::PushError::Full(old)) = self.retired.push(old)
            {
                // Freeing here is not allowed; a lane kept alive is the lesser harm.
                std::mem::forget(old);
                self.telemetry.automation.lanes_leaked.fetch_add(1, Ordering::Relaxed);
            }
        }
        let jump = match self.expected {
            Some(expected) if transport.rolling => transport.frame as i64 - expected as i64,
            _ => 0,
        };
        // After missed periods the transport is that far on (JACK has also been seen to land
        // a period or two behind): the pass carries on over the gap. Any other jump is a locate.
        let xrun_gap =
            jump != 0 && transport.late_frames > 0 && jump.unsigned_abs() <= transport.late_frames + 2 * frames as u64;
        if xrun_gap && self.pass_open {
            self.telemetry.automation.xrun_gaps.fetch_add(1, Ordering::Relaxed);
            self.record(Record::Gap { frame: transport.frame });
        }
        let jumped = jump != 0 && !xrun_gap;
        if self.pass_open && (!transport.rolling || jumped || !self.write_enabled) {
            let end = self.expected.unwrap_or(transport.frame);
            self.end_pass(end);
        }
        if !self.pass_open && transport.rolling && self.write_enabled {
            self.pass_open = true;
            self.record(Record::PassStart { frame: transport.frame });
        }
        self.telemetry.automation.pass_open.store(self.pass_open, Ordering::Relaxed);
        self.expected = transport.rolling.then_some(transport.frame + frames as u64);
    }

    /// Closes the pass; Write falls back to Touch, so the next roll does not wipe the lane.
    fn end_pass(&mut self, frame: u64) {
        self.pass_open = false;
        self.record(Record::PassEnd { frame });
        for &i in &self.active {
            let p = &mut self.params[i as usize];
            p.release = None;
            p.latched = false;
            p.writing = false;
            if p.mode == Mode::Write {
                p.mode = Mode::Touch;
                self.telemetry.automation.mode[i as usize].store(Mode::Touch.index(), Ordering::Relaxed);
                let param = ParamIndex(i);
                push_counted(&mut self.records, Record::Mode { param, mode: Mode::Touch }, &self.telemetry.automation);
            }
        }
    }

    /// Decides every automated parameter's value for the segment starting at transport
    /// frame `frame`; the values that must change are left in `changes`.
    pub(super) fn run_segment(&mut self, frame: u64, rolling: bool, current: &[f32]) {
        self.changes.clear();
        let writing_allowed = rolling && self.pass_open;
        for k in 0..self.active.len() {
            let i = self.active[k] as usize;
            let curve = self.lanes[i].as_deref().and_then(|lane| lane.value_at(frame));
            let decision = self.decide(i, frame, curve, writing_allowed);
            let p = &mut self.params[i];
            let param = ParamIndex(i as u32);
            if decision.write {
                if !p.writing && frame > 0 {
                    // Anchors the stretch to what played before it, so the lane keeps that
                    // value up to here (a lane holds its first value back to the start).
                    // A touch has already moved the parameter: what played is where it began.
                    let value = if p.touched(self.clock) { p.touched_at } else { current[i] };
                    let before = Record::Value { param, frame: frame - 1, value };
                    push_counted(&mut self.records, before, &self.telemetry.automation);
                }
                let value = decision.value.unwrap_or(p.live);
                push_counted(&mut self.records, Record::Value { param, frame, value }, &self.telemetry.automation);
            } else if p.writing {
                push_counted(&mut self.records, Record::Released { param, frame }, &self.telemetry.automation);
            }
            p.writing = decision.write;
            let played = decision.value.unwrap_or(current[i]);
            if decision.value.is_some_and(|v| v != current[i]) {
                self.changes.push((param, played));
            }
            let driver = match (decision.write, decision.value.is_some() && curve.is_some()) {
                (true, _) => Driver::Writing,
                (false, true) => Driver::Reading,
                (false, false) => Driver::Live,
            };
            self.telemetry.automation.publish(param, PlayState { driver, touched: p.touched(self.clock) }, played);
        }
    }

    fn decide(&mut self, i: usize, frame: u64, curve: Option<f32>, writing_allowed: bool) -> Decision {
        let clock = self.clock;
        let glide = self.glide_frames;
        let p = &mut self.params[i];
        let touched = p.touched(clock);
        let released = p.was_touched && !touched;
        p.was_touched = touched;
        let read = Decision { value: curve, write: false };
        if !writing_allowed {
            return read;
        }
        match p.mode {
            Mode::Off | Mode::Read => read,
            Mode::Write => Decision { value: Some(p.live), write: true },
            Mode::Touch | Mode::Latch | Mode::Trim if touched => {
                p.release = None;
                p.latched |= p.mode == Mode::Latch;
                let value = match p.mode {
                    Mode::Trim => curve.unwrap_or(p.touched_at) + p.live - p.touched_at,
                    _ => p.live,
                };
                Decision { value: Some(value), write: true }
            }
            Mode::Latch if p.latched => Decision { value: Some(p.live), write: true },
            Mode::Touch | Mode::Trim => {
                if released && p.writing {
                    let from = match p.mode {
                        Mode::Trim => curve.unwrap_or(p.touched_at) + p.live - p.touched_at,
                        _ => p.live,
                    };
                    p.release = Some((frame, from));
                }
                let Some((start, from)) = p.release else { return read };
                let t = frame.saturating_sub(start) as f32 / glide as f32;
                let to = curve.unwrap_or(p.touched_at);
                if t >= 1.0 {
                    // The glide lands on the curve exactly, and the stretch ends there.
                    p.release = None;
                    return Decision { value: Some(to), write: true };
                }
                Decision { value: Some(from + (to - from) * t), write: true }
            }
            Mode::Latch => read,
        }
    }

    /// Moves the touch clock on past a block.
    pub(super) fn end_block(&mut self, frames: usize) {
        self.clock += frames as u64;
    }

    fn record(&mut self, record: Record) {
        push_counted(&mut self.records, record, &self.telemetry.automation);
    }
}

fn push_counted(ring: &mut rtrb::Producer<Record>, record: Record, telemetry: &AutomationTelemetry) {
    if ring.push(record).is_err() {
        telemetry.record_overflows.fetch_add(1, Ordering::Relaxed);
    }
}
