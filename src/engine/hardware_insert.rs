//! A hardware insert: a strip's or bus's signal sent out of JACK ports at its place in the
//! chain and taken back in from others, through outboard gear. What comes back is late by
//! the loop's round trip; a ping measures it (one impulse out, the largest sample back, as
//! Ardour's insert measurement does) and the engine lines every other path up with it (see
//! `compensation`).

use crate::dsp::AudioBlock;

/// The longest JACK period a cycle's buffers hold.
pub const MAX_CYCLE: usize = 8192;
/// The impulse a ping sends: one sample at -6 dBFS.
const PING_LEVEL: f32 = 0.5;
/// What must come back for a ping to count (-40 dB under the impulse).
const PING_HEARD: f32 = PING_LEVEL * 0.01;

/// How a ping ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ping {
    /// The impulse came back this many frames after it left.
    RoundTrip(u32),
    /// Nothing came back within the listening time (a send or return not connected).
    Silent,
}

struct Listening {
    /// Silence goes out until then first, so what was in the loop has come back before the
    /// impulse leaves (the insert's clock).
    quiet_until: u64,
    /// The insert's clock when the impulse left (None: not sent yet).
    sent_at: Option<u64>,
    loudest: f32,
    loudest_at: u64,
}

pub struct HardwareInsert {
    width: usize,
    /// This cycle's audio going out, and what came back in, per channel: the JACK side
    /// copies them from and to the ports around each callback.
    pub send: [Box<[f32]>; 2],
    pub ret: [Box<[f32]>; 2],
    cursor: usize,
    /// Frames through the insert since it was built (a ping's clock).
    clock: u64,
    listening: Option<Listening>,
    listen_frames: u64,
    /// The round trip the mix is lined up for, frames.
    pub latency: u32,
}

impl HardwareInsert {
    /// `width` channels (1 or 2) with a round trip of `latency` frames as far as known.
    pub fn new(width: usize, latency: u32, sample_rate: f32) -> Self {
        let buffer = || vec![0.0f32; MAX_CYCLE].into_boxed_slice();
        HardwareInsert {
            width,
            send: [buffer(), buffer()],
            ret: [buffer(), buffer()],
            cursor: 0,
            clock: 0,
            listening: None,
            // Half a second: any outboard loop comes back well within it.
            listen_frames: (sample_rate / 2.0) as u64,
            latency,
        }
    }

    /// At the start of a callback: the block's audio goes from the start of the buffers.
    pub fn begin_cycle(&mut self) {
        self.cursor = 0;
    }

    /// Sends a ping: a quarter of a second of silence to empty the loop, the impulse, then
    /// half a second of listening; meanwhile the insert passes silence into the mix.
    pub fn measure(&mut self) {
        let quiet_until = self.clock + self.listen_frames / 2;
        self.listening = Some(Listening { quiet_until, sent_at: None, loudest: 0.0, loudest_at: 0 });
    }

    /// Sends `block` out and puts what came back in its place; returns how a ping ended,
    /// when one did.
    pub fn process(&mut self, block: &mut AudioBlock) -> Option<Ping> {
        let (at, frames) = (self.cursor, block.frames());
        if at + frames > MAX_CYCLE {
            // A period longer than the buffers: nothing can go through.
            block.clear();
            return None;
        }
        let mut ended = None;
        match &mut self.listening {
            None => {
                for ch in 0..self.width {
                    self.send[ch][at..at + frames].copy_from_slice(&block.channel(ch)[..frames]);
                    block.channel_mut(ch)[..frames].copy_from_slice(&self.ret[ch][at..at + frames]);
                }
            }
            Some(ping) => {
                for ch in 0..self.width {
                    self.send[ch][at..at + frames].fill(0.0);
                }
                if ping.sent_at.is_none() && self.clock >= ping.quiet_until {
                    self.send.iter_mut().take(self.width).for_each(|s| s[at] = PING_LEVEL);
                    ping.sent_at = Some(self.clock);
                }
                block.clear();
                let Some(sent_at) = ping.sent_at else {
                    self.cursor += frames;
                    self.clock += frames as u64;
                    return None;
                };
                for i in 0..frames {
                    let back = (0..self.width).map(|ch| self.ret[ch][at + i].abs()).fold(0.0f32, f32::max);
                    if back > ping.loudest {
                        ping.loudest = back;
                        ping.loudest_at = self.clock + i as u64;
                    }
                }
                if self.clock + frames as u64 >= sent_at + self.listen_frames {
                    let result = if ping.loudest >= PING_HEARD {
                        Ping::RoundTrip((ping.loudest_at - sent_at) as u32)
                    } else {
                        Ping::Silent
                    };
                    if let Ping::RoundTrip(frames) = result {
                        self.latency = frames;
                    }
                    self.listening = None;
                    ended = Some(result);
                }
            }
        }
        self.cursor += frames;
        self.clock += frames as u64;
        ended
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Runs the insert over `cycles` of 256 frames with the loop played by hand (what goes out
    /// comes back `delay` frames later, `delay` ≥ 256), a ping asked at cycle `ping_at`.
    fn loop_back(insert: &mut HardwareInsert, delay: usize, cycles: usize, ping_at: usize) -> (Vec<f32>, Option<Ping>) {
        let mut wire = vec![0.0f32; delay];
        let (mut heard, mut ping) = (Vec::new(), None);
        for cycle in 0..cycles {
            if cycle == ping_at {
                insert.measure();
            }
            insert.begin_cycle();
            // What left `delay` frames ago arrives now.
            let start = wire.len() - delay;
            insert.ret[0][..256].copy_from_slice(&wire[start..start + 256]);
            for _ in 0..4 {
                // A tone louder than the impulse, so it cannot pass for it.
                let mut block = AudioBlock::new(1);
                block.channel_mut(0).fill(0.9);
                ping = insert.process(&mut block).or(ping);
                heard.extend_from_slice(block.channel(0));
            }
            wire.extend_from_slice(&insert.send[0][..256]);
        }
        (heard, ping)
    }

    #[test]
    fn a_ping_measures_the_round_trip_to_the_frame_and_the_mix_hears_silence_meanwhile() {
        for delay in [300, 256 + 17, 1000] {
            let mut insert = HardwareInsert::new(1, 0, 48_000.0);
            // The loop full of the tone when the ping starts.
            let (heard, ping) = loop_back(&mut insert, delay, 200, 10);
            assert_eq!(ping, Some(Ping::RoundTrip(delay as u32)), "the tone left in the loop is not the ping");
            assert_eq!(insert.latency, delay as u32);
            let listening = 10 * 256..10 * 256 + 36_000;
            assert!(heard[listening].iter().all(|&x| x == 0.0), "silent while it listens");
        }
    }

    #[test]
    fn audio_goes_out_and_comes_back_late_by_the_loop_and_a_dead_loop_is_said() {
        let mut insert = HardwareInsert::new(1, 0, 48_000.0);
        let (heard, _) = loop_back(&mut insert, 300, 4, usize::MAX);
        assert!(heard[..300].iter().all(|&x| x == 0.0) && heard[300..].iter().all(|&x| x == 0.9));
        let mut dead = HardwareInsert::new(1, 0, 48_000.0);
        dead.measure();
        let mut ping = None;
        // Three quarters of a second of 64-frame callbacks, and one more.
        for _ in 0..564 {
            dead.begin_cycle();
            let mut block = AudioBlock::new(1);
            ping = dead.process(&mut block).or(ping);
        }
        assert_eq!(ping, Some(Ping::Silent));
    }
}
