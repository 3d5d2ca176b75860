//! Sessions and layouts on disk: the YAML schema, loading with located errors,
//! validation, reading values into the engine's setup and writing them back, atomic saves.

pub mod load;
pub mod locate;
pub mod port_pattern;
pub mod resolve;
pub mod schema;
pub mod target;
pub mod templates;
pub mod validate;
pub mod write_back;
