//! What a render prints beside the mix in the same pass: the mix through a master with its
//! processing switched out (the copy for mastering), and each bus's output as it feeds on
//! (the stems). Built for offline renders only; the real-time engine has none.

use super::channel::{Channel, ChannelContext};
use super::params::{Declarer, ParamTable, Role};
use super::setup::ChannelSetup;

/// A second master, fed the master's input, that plays it with every master processor
/// switched out as `ChannelSetup::bypass_processing` does. Its parameters are the master's:
/// it follows the master's fader, pan, mute and their automation, at its own indices.
pub(super) struct BareMaster {
    pub channel: Channel,
    /// The master's values, copied in when they change, with the bypasses forced on.
    pub values: Box<[f32]>,
    bypasses: Box<[usize]>,
    /// Where the master's parameters begin among the mix's.
    master_first: usize,
}

impl BareMaster {
    /// `master_first`: the index of the master's first parameter in the mix's values (its
    /// parameters are declared together and in the same order here).
    pub fn build(master: &ChannelSetup, master_first: usize, sample_rate: f32) -> Self {
        let mut bypassed = master.clone();
        bypassed.bypass_processing();
        let (mut table, mut values) = (ParamTable::default(), Vec::new());
        let ctx = ChannelContext { sample_rate, destination: None, send_targets: &[], compensated: false };
        let mut declarer = Declarer { table: &mut table, values: &mut values, prefix: "bare".into(), owner: 0 };
        let mut channel = Channel::build(&bypassed, &ctx, &mut declarer);
        let bypasses =
            table.specs().iter().enumerate().filter(|(_, s)| s.role == Role::Bypass).map(|(i, _)| i).collect();
        channel.meter_output = false;
        channel.apply_params(&values);
        channel.apply_gains(&values, true);
        channel.settle();
        Self { channel, values: values.into_boxed_slice(), bypasses, master_first }
    }

    /// Takes the master's values as they now are (no allocation: a copy into its own).
    pub fn follow(&mut self, mix_values: &[f32], audible: bool) {
        let count = self.values.len();
        self.values.copy_from_slice(&mix_values[self.master_first..self.master_first + count]);
        for &b in &self.bypasses {
            self.values[b] = 1.0;
        }
        self.channel.apply_params(&self.values);
        self.channel.apply_gains(&self.values, audible);
    }
}
