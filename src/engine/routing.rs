//! Who feeds whom, worked out again on the audio thread whenever a route or a
//! bus-to-bus send changes: the order the buses run in (each after everything
//! feeding it) and, for solo, which channels reach which through their outputs.
//! Everything lives in space allocated when the engine is built.

use super::channel::Channel;

pub(crate) struct Routing {
    strip_count: usize,
    bus_count: usize,
    /// Bus indices (layout order numbering), each after every bus that feeds it.
    order: Box<[usize]>,
    /// The order being worked out; swapped with `order` when it is complete.
    next_order: Box<[usize]>,
    /// Per bus: how many buses feed it (scratch for the sort).
    incoming: Box<[u32]>,
    /// `feeds[a * bus_count + b]`: bus `a` adds into bus `b` (scratch for the sort).
    feeds: Box<[bool]>,
    /// `reaches[c * channels + d]`: channel `c`'s output chain passes through channel `d`.
    reaches: Box<[bool]>,
}

impl Routing {
    /// Space for `strip_count` strips, `bus_count` buses and the master; `update` works the order out.
    pub fn new(strip_count: usize, bus_count: usize) -> Routing {
        let channels = strip_count + bus_count + 1;
        Routing {
            strip_count,
            bus_count,
            next_order: vec![0; bus_count].into_boxed_slice(),
            order: (0..bus_count).collect(),
            incoming: vec![0; bus_count].into_boxed_slice(),
            feeds: vec![false; bus_count * bus_count].into_boxed_slice(),
            reaches: vec![false; channels * channels].into_boxed_slice(),
        }
    }

    /// The bus to run `i`-th.
    pub fn bus_at(&self, i: usize) -> usize {
        self.order[i]
    }

    pub fn bus_count(&self) -> usize {
        self.bus_count
    }

    /// Whether `from`'s output chain (its output, that bus's output, ...) passes through `to`.
    pub fn reaches(&self, from: usize, to: usize) -> bool {
        self.reaches[from * (self.strip_count + self.bus_count + 1) + to]
    }

    /// The engine channel that reads bus sum `sum` (0 is the master's).
    fn channel_of_sum(&self, sum: usize) -> usize {
        if sum == 0 { self.strip_count + self.bus_count } else { self.strip_count + sum - 1 }
    }

    /// Works the order and the solo relations out from the channels as they are now. Returns
    /// false, changing nothing, if the buses feed each other in a loop. Never allocates.
    pub fn update(&mut self, channels: &[Channel], values: &[f32]) -> bool {
        let n = self.bus_count;
        self.feeds.fill(false);
        for a in 0..n {
            channels[self.strip_count + a].for_each_feed(values, |sum| {
                if sum > 0 {
                    self.feeds[a * n + sum - 1] = true;
                }
            });
        }
        self.incoming.fill(0);
        for a in 0..n {
            for b in 0..n {
                self.incoming[b] += self.feeds[a * n + b] as u32;
            }
        }
        // Kahn's sort with `next_order` as its own queue: buses nobody feeds, in layout order,
        // then each bus once the last bus feeding it has been placed.
        let mut placed = 0;
        for b in 0..n {
            if self.incoming[b] == 0 {
                self.next_order[placed] = b;
                placed += 1;
            }
        }
        let mut head = 0;
        while head < placed {
            let a = self.next_order[head];
            head += 1;
            for b in 0..n {
                if self.feeds[a * n + b] {
                    self.incoming[b] -= 1;
                    if self.incoming[b] == 0 {
                        self.next_order[placed] = b;
                        placed += 1;
                    }
                }
            }
        }
        if placed < n {
            return false;
        }
        std::mem::swap(&mut self.order, &mut self.next_order);

        let total = channels.len();
        self.reaches.fill(false);
        for (c, channel) in channels.iter().enumerate() {
            let mut next = channel.destination();
            // An output chain visits each bus at most once: the order above proved there is no loop.
            while let Some(sum) = next {
                let d = self.channel_of_sum(sum);
                self.reaches[c * total + d] = true;
                next = channels[d].destination();
            }
        }
        true
    }
}
