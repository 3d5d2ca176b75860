//! Control surfaces: MIDI fader controllers reached through midir, described by
//! YAML maps in `controllers/`, moving the mix and following it.
//!
//! - `feedback`: what a surface is sent back (motors, LEDs, rings, displays).
//! - `generic`: what a generic controller's messages mean, through its map.
//! - `learn`: MIDI learn into a user map per device.
//! - `link`: keeping a surface connected through midir (hot-plug, resync).
//! - `mackie`: the Mackie Control protocol's fixed controls, displays and handshake.
//! - `map`: controller maps, checked like layouts.
//! - `midi`: bytes to messages and back (running status, SysEx, real-time bytes).
//! - `midi_system`: midir's clients, opened once the MIDI system is there.
//! - `presonus`: a FaderPort 8/16's scribble strips and meters (native mode).
//! - `surface`: a surface's controls moving the mix (banks, soft takeover, touch).
//! - `targets`: everything a control can be bound to, named once.

pub mod feedback;
pub mod generic;
pub mod learn;
pub mod link;
pub mod mackie;
pub mod map;
pub mod midi;
pub mod midi_system;
pub mod presonus;
pub mod surface;
pub mod targets;
