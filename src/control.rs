//! Control surfaces: MIDI fader controllers reached through midir, described by
//! YAML maps in `controllers/`, moving the mix and following it.
//!
//! - `midi`: bytes to messages and back (running status, SysEx, real-time bytes).
//! - `targets`: everything a control can be bound to, named once.

pub mod midi;
pub mod targets;
