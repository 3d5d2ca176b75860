//! What the engine reports: latest-value atomics the UI reads at its own pace.
//! Peaks accumulate with `fetch_max` until taken, so none is missed between reads.

use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};

use super::automation::AutomationTelemetry;

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

#[derive(Default, Debug)]
pub struct ChannelMeters {
    pub input_peak: AtomicLevel,
    pub peak: [AtomicLevel; 2],
    pub rms: [AtomicLevel; 2],
    pub gain_reduction_db: AtomicLevel,
    /// Both sides' peak, held for the control surfaces' meters (the console takes `peak`).
    pub surface_peak: AtomicLevel,
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
    /// Callbacks that left commands in a ring for the next one (the per-cycle budget was spent).
    pub commands_deferred: AtomicU64,
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
            commands_deferred: AtomicU64::new(0),
            surface_drops: AtomicU32::new(0),
            automation: AutomationTelemetry::new(param_count),
        }
    }

    pub fn master(&self) -> &ChannelMeters {
        self.channels.last().expect("the master is always there")
    }
}
