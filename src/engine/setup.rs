//! What the engine is built from: the channels of a mix with their starting values, as
//! plain data. `session::resolve` makes one from a session file; tests and benches can
//! write one directly. The engine knows nothing of files.

use super::params::Section;

/// A whole mix: strips and buses in layout order, then the master.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct MixSetup {
    pub strips: Vec<ChannelSetup>,
    pub buses: Vec<ChannelSetup>,
    pub master: ChannelSetup,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ChannelKind {
    /// A strip; `stereo` strips process two channels, mono ones one.
    Strip { stereo: bool },
    /// A bus strips route into.
    GroupBus,
    /// A bus fed by sends (solo-safe unless told otherwise).
    FxBus,
    #[default]
    Master,
}

/// The processors that can sit after the high-pass, in the order a channel runs them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum InsertKind {
    Gate,
    Eq,
    Comp,
    Delay,
    Reverb,
    /// Out through JACK ports to outboard gear and back (`insert:` in a session).
    Hardware,
}

impl InsertKind {
    pub const ALL: [InsertKind; 6] = [
        InsertKind::Gate,
        InsertKind::Eq,
        InsertKind::Comp,
        InsertKind::Delay,
        InsertKind::Reverb,
        InsertKind::Hardware,
    ];

    pub fn name(self) -> &'static str {
        match self {
            InsertKind::Gate => "gate",
            InsertKind::Eq => "eq",
            InsertKind::Comp => "comp",
            InsertKind::Delay => "delay",
            InsertKind::Reverb => "reverb",
            InsertKind::Hardware => "insert",
        }
    }

    pub fn from_name(name: &str) -> Option<InsertKind> {
        Self::ALL.into_iter().find(|kind| kind.name() == name)
    }
}

/// One strip, bus or the master.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ChannelSetup {
    pub name: String,
    pub kind: ChannelKind,
    /// The bus (layout index) its output feeds; `None` for the master.
    pub output: Option<usize>,
    /// Inserts after the high-pass in running order; a channel has a delay or a reverb
    /// only if they are listed.
    pub inserts: Vec<InsertKind>,
    /// The master limiter's look-ahead (its latency), in ms.
    pub lookahead_ms: f32,
    /// Measure R128 loudness here (the master always is).
    pub loudness: bool,
    /// A hardware insert (listed in `inserts` where it runs), with the round trip known so
    /// far in frames (0: not measured yet).
    pub hardware_insert: Option<u32>,
    /// Starting values by section, each in its table's order. A section missing here
    /// starts at its defaults, switched out: bypassed, disabled, a send at -inf.
    pub values: Vec<(Section, Vec<f32>)>,
}

impl ChannelSetup {
    /// The starting values given for `section`, if any.
    pub fn values_of(&self, section: Section) -> Option<&[f32]> {
        self.values.iter().find(|(s, _)| *s == section).map(|(_, v)| v.as_slice())
    }

    /// Whether the channel runs `insert`.
    pub fn has(&self, insert: InsertKind) -> bool {
        self.inserts.contains(&insert)
    }
}
