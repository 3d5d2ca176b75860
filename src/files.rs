//! The files headroom reads and writes, kept safe: reading is capped in size and refuses
//! what is not a plain file (a FIFO or `/dev/zero` cannot hang or exhaust it); writing is
//! atomic and keeps a symlink's target and a file's mode; a session is open in one process
//! at a time; names that become file names cannot leave their folder.

pub mod lock;
pub mod names;
pub mod read;
pub mod write;
