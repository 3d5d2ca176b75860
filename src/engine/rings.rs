//! Command rings to the engine, handed out by name while it runs.

use super::{COMMAND_RING_SIZE, Command};

/// Command rings the engine reads at most: one per producer (console, automation, each
/// surface, a network client...), opened any time through `CommandRings`.
pub const MAX_COMMAND_RINGS: usize = 64;

/// Hands out command rings by name, before or while the engine runs: the reading end of
/// a new ring travels to the engine through a ring of its own, and the engine keeps room
/// for `MAX_COMMAND_RINGS` of them, so taking one in never allocates.
pub struct CommandRings {
    pub(super) new_rings: rtrb::Producer<rtrb::Consumer<Command>>,
    pub(super) names: Vec<String>,
}

impl CommandRings {
    /// A new ring to the engine for `name` (a surface's device, "console"...).
    pub fn open(&mut self, name: &str) -> Result<rtrb::Producer<Command>, String> {
        if self.names.len() >= MAX_COMMAND_RINGS {
            return Err(format!(
                "no command ring left for {name}: the engine reads {MAX_COMMAND_RINGS} (open: {})",
                self.names.join(", ")
            ));
        }
        let (producer, consumer) = rtrb::RingBuffer::new(COMMAND_RING_SIZE);
        // The ring of new rings holds as many as the engine takes: it cannot be full here.
        self.new_rings.push(consumer).map_err(|_| format!("no command ring left for {name}"))?;
        self.names.push(name.to_string());
        Ok(producer)
    }

    /// The rings handed out, by name, in the order opened.
    pub fn names(&self) -> &[String] {
        &self.names
    }
}
