//! The console: a ratatui mixing desk in the terminal.
//!
//! Built as The Elm Architecture: `model::App` holds the state, `App::update` turns a
//! message (key, mouse, engine readings) into effects without doing I/O, `view::draw`
//! renders the state. `shell` is the imperative part: the terminal, the one event loop
//! that terminal input and the engine both wake; `executor` carries out the effects, for
//! the console and for headless standard input alike.

pub mod executor;
pub mod keys;
pub mod layout;
pub mod meters;
pub mod model;
pub mod shell;
pub mod view;
