//! Control surfaces: MIDI fader controllers reached through midir, described by
//! YAML maps in `controllers/`, moving the mix and following it.
//!
//! - `generic`: what a generic controller's messages mean, through its map.
//! - `map`: controller maps, checked like layouts.
//! - `midi`: bytes to messages and back (running status, SysEx, real-time bytes).
//! - `surface`: a connected surface moving the mix (midir, soft takeover, banks).
//! - `targets`: everything a control can be bound to, named once.

pub mod generic;
pub mod map;
pub mod midi;
pub mod surface;
pub mod targets;
