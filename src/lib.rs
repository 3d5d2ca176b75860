//! headroom: a terminal mixing console for JACK.

/// `println!` that never panics: a line whose reader went away (`headroom check … | head -1`,
/// a terminal that hung up) is dropped, and the program carries on to its end, so what it
/// was doing (a save, a render's cleanup) still gets done.
#[macro_export]
macro_rules! say {
    ($($line:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stdout(), $($line)*);
    }};
}

/// `eprintln!` that never panics (as [`say!`], on standard error).
#[macro_export]
macro_rules! say_err {
    ($($line:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stderr(), $($line)*);
    }};
}

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
