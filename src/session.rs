//! Sessions and layouts on disk: the YAML schema, loading with located errors,
//! validation, atomic saves.

pub mod load;
pub mod locate;
pub mod schema;
pub mod templates;
pub mod validate;
