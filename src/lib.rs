//! headroom: a terminal mixing console for JACK.

pub mod audio;
pub mod automation;
pub mod bench;
pub mod control;
pub mod demo;
pub mod dsp;
pub mod engine;
pub mod files;
pub mod headless;
pub mod live;
pub mod session;
pub mod ui;

#[cfg(all(test, debug_assertions))]
#[global_allocator]
static ALLOCATIONS_CHECKED: assert_no_alloc::AllocDisabler = assert_no_alloc::AllocDisabler;

/// The lines the layout keeps, checked on the source.
#[cfg(test)]
mod boundaries;
