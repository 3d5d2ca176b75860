//! Every integration test, in one binary: each module below linked the whole crate on its
//! own before, which on two cores cost more than the tests took to run.

mod alsa_build;
mod automation;
mod console;
mod engine;
mod files;
mod fuzz;
mod hostile;
mod inserts;
mod jack;
mod live_print;
mod meters;
mod pipewire;
mod ports;
mod render;
mod restart;
mod session;
mod slow_disk;
mod xruns;
