//! Where audio comes from and goes to: WAV stems streamed from disk, the
//! offline renderer and the JACK backend. Each drives `engine::Engine::process`.

pub mod inputs;
pub mod jack_backend;
pub mod jack_library;
pub mod jack_server;
pub mod live_print;
pub mod offline;
pub mod port_report;
pub mod print_set;
pub mod stems;
pub mod wav;
