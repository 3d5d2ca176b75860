//! What the engine reports: latest-value atomics the UI reads at its own pace.
//! Peaks accumulate with `fetch_max` until taken, so none is missed between reads.

use std::sync::atomic::{AtomicBool, AtomicU8, AtomicU32, AtomicU64, Ordering};

use super::mode::Mode;
use super::params::ParamIndex;

/// An f32 in an `AtomicU32`. Non-negative floats order like their bit patterns,
/// which makes `fetch_max` a peak hold.
#[derive(Default, Debug)]
pub struct AtomicLevel(AtomicU32);

impl AtomicLevel {
    pub fn raise_to(&self, value: f32) {
        let bits = value.max(0.0).to_bits();
        // A plain load first: most blocks do not beat the held peak, and a locked
        // read-modify-write per meter per block adds up over a large session.
        if bits > self.0.load(Ordering::Relaxed) {
            self.0.fetch_max(bits, Ordering::Relaxed);
        }
    }
    pub fn store(&self, value: f32) {
        self.0.store(value.to_bits(), Ordering::Relaxed);
    }
    pub fn load(&self) -> f32 {
        f32::from_bits(self.0.load(Ordering::Relaxed))
    }
    /// Reads and restarts the hold.
    pub fn take(&self) -> f32 {
        f32::from_bits(self.0.swap(0, Ordering::Relaxed))
    }
}

/// Frames one window of a peak history covers (5.3 ms at 48 kHz).
pub const PEAK_WINDOW_FRAMES: u64 = 256;
/// Windows a history keeps: a reader that looks at least every 0.68 s (at 48 kHz) misses no peak.
const PEAK_WINDOWS: u64 = 128;

/// A level's peaks window by window, so any number of readers each see every peak: a
/// reader keeps its own place and takes the largest since it last looked. No reader
/// changes what another sees (the console, the status line, every metering surface).
#[derive(Debug)]
pub struct PeakHistory {
    windows: [AtomicLevel; PEAK_WINDOWS as usize],
    latest: AtomicU64,
}

impl Default for PeakHistory {
    fn default() -> Self {
        Self { windows: std::array::from_fn(|_| AtomicLevel::default()), latest: AtomicU64::new(0) }
    }
}

impl PeakHistory {
    /// The engine: `peak` was reached in window `window` (frames since start / `PEAK_WINDOW_FRAMES`).
    pub fn raise(&self, window: u64, peak: f32) {
        let latest = self.latest.load(Ordering::Relaxed);
        if window > latest {
            // The windows begun since are cleared before anyone reads them (at most all of them).
            for w in (latest + 1)..=window.min(latest + PEAK_WINDOWS) {
                self.windows[(w % PEAK_WINDOWS) as usize].store(0.0);
            }
            self.latest.store(window, Ordering::Release);
        }
        self.windows[(window % PEAK_WINDOWS) as usize].raise_to(peak);
    }

    /// The largest peak from window `*seen` on, as far as the history reaches; moves `*seen` to now.
    pub fn since(&self, seen: &mut u64) -> f32 {
        let latest = self.latest.load(Ordering::Acquire);
        let from = (*seen).max(latest.saturating_sub(PEAK_WINDOWS - 1));
        *seen = latest;
        (from..=latest).map(|w| self.windows[(w % PEAK_WINDOWS) as usize].load()).fold(0.0, f32::max)
    }
}

#[derive(Default, Debug)]
pub struct ChannelMeters {
    /// Left and right output peaks, for any number of readers.
    pub peak: [PeakHistory; 2],
    pub rms: [AtomicLevel; 2],
    /// Samples at or over full scale at the meter point since the engine started (readers
    /// count from where they last looked).
    pub overs: AtomicU64,
    pub gain_reduction_db: AtomicLevel,
    /// The hardware insert's pings that have ended, and the last one's round trip in frames
    /// (`u32::MAX`: nothing came back).
    pub insert_pings: AtomicU32,
    pub insert_round_trip: AtomicU32,
    /// A bus: frames from its output until the master plays it, for compensation of
    /// hardware inserts on the way (0 without any).
    pub to_master_frames: AtomicU32,
}

/// One reader's place in every channel's peak histories.
#[derive(Clone, Debug, Default)]
pub struct PeakReader {
    seen: Vec<[u64; 2]>,
}

impl PeakReader {
    /// Channel `channel`'s left and right peaks since this reader last asked.
    pub fn peaks(&mut self, telemetry: &Telemetry, channel: usize) -> [f32; 2] {
        if self.seen.len() < telemetry.channels.len() {
            self.seen.resize(telemetry.channels.len(), [0; 2]);
        }
        let (meters, seen) = (&telemetry.channels[channel], &mut self.seen[channel]);
        [meters.peak[0].since(&mut seen[0]), meters.peak[1].since(&mut seen[1])]
    }
}

#[derive(Debug)]
pub struct Telemetry {
    /// In engine channel order: strips, buses, master last.
    pub channels: Box<[ChannelMeters]>,
    /// Frames processed since the engine started.
    pub frames: AtomicU64,
    /// Processor states found non-finite and reset.
    pub nan_resets: AtomicU32,
    /// Master samples the loudness meter could not take because its ring was full.
    pub loudness_overflows: AtomicU32,
    /// Commands applied.
    pub commands: AtomicU64,
    /// Times work was left for a later callback because the per-cycle budget was spent:
    /// commands left in a ring, or an automated bus send waiting for the bus order to be
    /// worked out again (once a callback).
    pub work_deferred: AtomicU64,
    /// What surfaces could not pass on because a ring was full (engine commands, echoes to
    /// motors, console events); counted by the MIDI threads.
    pub surface_drops: AtomicU32,
    pub automation: AutomationTelemetry,
}

impl Telemetry {
    pub fn new(channel_count: usize, param_count: usize) -> Self {
        Self {
            channels: (0..channel_count).map(|_| ChannelMeters::default()).collect(),
            frames: AtomicU64::new(0),
            nan_resets: AtomicU32::new(0),
            loudness_overflows: AtomicU32::new(0),
            commands: AtomicU64::new(0),
            work_deferred: AtomicU64::new(0),
            surface_drops: AtomicU32::new(0),
            automation: AutomationTelemetry::new(param_count),
        }
    }

    pub fn master(&self) -> &ChannelMeters {
        self.channels.last().expect("the master is always there")
    }
}

/// Who drives a parameter now.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Driver {
    /// The live control.
    #[default]
    Live,
    /// Its lane.
    Reading,
    /// A pass writes it (the live control, recorded).
    Writing,
}

/// How a parameter stands, published for the console and the surfaces.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PlayState {
    pub driver: Driver,
    /// A hand is on its control.
    pub touched: bool,
}

impl PlayState {
    pub const LIVE: PlayState = PlayState { driver: Driver::Live, touched: false };
    pub const READING: PlayState = PlayState { driver: Driver::Reading, touched: false };
    pub const WRITING: PlayState = PlayState { driver: Driver::Writing, touched: false };

    /// Whether automation drives the parameter (its lane plays, or a pass writes it).
    pub fn drives(self) -> bool {
        self.driver != Driver::Live
    }

    /// The hand-over, the one rule every front end that keeps a control's value follows:
    /// where automation lets go of a parameter (it drove at `was`, not at `now`), the control
    /// takes the value automation left, which the engine keeps as the live value.
    pub fn lets_go(was: PlayState, now: PlayState) -> bool {
        was.drives() && !now.drives()
    }

    /// As one byte, for an atomic.
    pub fn to_bits(self) -> u8 {
        let driver = match self.driver {
            Driver::Live => 0,
            Driver::Reading => 1,
            Driver::Writing => 2,
        };
        driver | (self.touched as u8) << 2
    }

    pub fn from_bits(bits: u8) -> PlayState {
        let driver = match bits & 3 {
            1 => Driver::Reading,
            2 => Driver::Writing,
            _ => Driver::Live,
        };
        PlayState { driver, touched: bits & 4 != 0 }
    }
}

/// What the engine publishes about automation.
#[derive(Debug)]
pub struct AutomationTelemetry {
    /// Per parameter, the value played (f32 bits); fresh for parameters not in Off.
    played: Box<[AtomicU32]>,
    /// Per parameter, a [`PlayState`] as bits.
    state: Box<[AtomicU8]>,
    /// Per parameter, how many times automation has let go of it (the value it left is in
    /// `played`): controls take that value over once per let-go ([`super::targets`]).
    released: Box<[AtomicU32]>,
    /// Per parameter, its mode ([`Mode::index`]): the engine's own, so the Write to Touch
    /// fall-back after a pass shows at once.
    pub mode: Box<[AtomicU8]>,
    pub pass_open: AtomicBool,
    pub write_enabled: AtomicBool,
    /// Records dropped because the recorder fell behind (a pass missing values).
    pub record_overflows: AtomicU32,
    /// Xruns a pass carried on over (the transport jumped by the periods missed).
    pub xrun_gaps: AtomicU32,
    /// Old lanes kept alive (leaked) because their return ring was full.
    pub lanes_leaked: AtomicU32,
}

impl AutomationTelemetry {
    pub fn new(params: usize) -> Self {
        AutomationTelemetry {
            played: (0..params).map(|_| AtomicU32::new(0)).collect(),
            state: (0..params).map(|_| AtomicU8::new(PlayState::LIVE.to_bits())).collect(),
            released: (0..params).map(|_| AtomicU32::new(0)).collect(),
            mode: (0..params).map(|_| AtomicU8::new(Mode::Off.index())).collect(),
            pass_open: AtomicBool::new(false),
            write_enabled: AtomicBool::new(false),
            record_overflows: AtomicU32::new(0),
            xrun_gaps: AtomicU32::new(0),
            lanes_leaked: AtomicU32::new(0),
        }
    }

    pub fn played(&self, param: ParamIndex) -> f32 {
        f32::from_bits(self.played[param.0 as usize].load(Ordering::Relaxed))
    }

    /// The value automation plays for the parameter, while it drives it.
    pub fn driven_value(&self, param: ParamIndex) -> Option<f32> {
        ((param.0 as usize) < self.state.len() && self.state(param).drives()).then(|| self.played(param))
    }

    /// How parameter `param` stands.
    pub fn state(&self, param: ParamIndex) -> PlayState {
        PlayState::from_bits(self.state[param.0 as usize].load(Ordering::Relaxed))
    }

    /// The engine: parameter `param` stands at `state` playing `played`. Where automation
    /// lets go, the let-go is counted after the value it left is in place.
    pub fn publish(&self, param: ParamIndex, state: PlayState, played: f32) {
        let i = param.0 as usize;
        self.played[i].store(played.to_bits(), Ordering::Relaxed);
        let was = PlayState::from_bits(self.state[i].swap(state.to_bits(), Ordering::Relaxed));
        if PlayState::lets_go(was, state) {
            self.released[i].fetch_add(1, Ordering::Release);
        }
    }

    /// How many times automation has let go of `param`; the value it left is then in `played`.
    pub fn released(&self, param: ParamIndex) -> u32 {
        self.released[param.0 as usize].load(Ordering::Acquire)
    }

    /// How many parameters it reports on.
    pub fn param_count(&self) -> usize {
        self.state.len()
    }

    pub fn mode(&self, param: ParamIndex) -> Mode {
        Mode::from_index(self.mode[param.0 as usize].load(Ordering::Relaxed))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_play_state_survives_its_trip_through_an_atomic_and_the_hand_over_is_where_driving_ends() {
        for driver in [Driver::Live, Driver::Reading, Driver::Writing] {
            for touched in [false, true] {
                let state = PlayState { driver, touched };
                assert_eq!(PlayState::from_bits(state.to_bits()), state);
            }
        }
        let touched_live = PlayState { touched: true, ..PlayState::LIVE };
        assert!(PlayState::lets_go(PlayState::READING, touched_live));
        assert!(!PlayState::lets_go(PlayState::READING, PlayState::WRITING), "still driven");
        assert!(!PlayState::lets_go(PlayState::LIVE, PlayState::LIVE));
    }

    #[test]
    fn every_reader_sees_every_peak_whatever_the_others_take() {
        let telemetry = Telemetry::new(1, 0);
        let history = &telemetry.channels[0].peak[0];
        let (mut console, mut surface_a, mut surface_b) = (PeakReader::default(), 0u64, 0u64);
        history.raise(0, 0.5);
        history.raise(1, 0.25);
        assert_eq!(console.peaks(&telemetry, 0)[0], 0.5);
        assert_eq!(history.since(&mut surface_a), 0.5, "the console taking it leaves it for the others");
        history.raise(2, 0.125);
        assert_eq!(history.since(&mut surface_a), 0.25, "from its last look on: the window it saw last, and after");
        assert_eq!(history.since(&mut surface_b), 0.5, "a reader that looked at nothing yet sees it all");
        // A reader away for longer than the history sees what it still holds.
        history.raise(PEAK_WINDOWS * 3, 0.75);
        assert_eq!(console.peaks(&telemetry, 0)[0], 0.75);
        assert_eq!(history.since(&mut surface_b), 0.75);
        assert_eq!(history.since(&mut surface_b), 0.75, "the current window still holds it");
        history.raise(PEAK_WINDOWS * 3 + 1, 0.1);
        assert_eq!(history.since(&mut surface_b), 0.75, "its window, where the reader last stood");
        assert_eq!(history.since(&mut surface_b), 0.1);
    }
}
