//! One channel of the mix (a strip, a bus or the master): its processors, and how it
//! adds itself into the buses it feeds. Its parameters' tables are in `channel_params`.

use super::channel_params::{ChannelParams, INPUT_PARAMS, METER_PARAMS, OUTPUT_PARAMS, SEND_PARAMS, SendParams};
use super::channel_params::{declare, declare_section};
use super::compensation::DelayLine;
use super::hardware_insert::{HardwareInsert, Ping};
use super::params::{Declarer, ParamIndex, Section, fader_gain};
use super::setup::{ChannelKind, ChannelSetup, InsertKind};
pub use super::sums::BusSum;
use crate::dsp::delay::{DELAY_PARAMS, Delay, DelaySettings};
use crate::dsp::dynamics::{COMPRESSOR_PARAMS, Compressor, CompressorSettings, GATE_PARAMS, Gate, GateSettings};
use crate::dsp::eq::{BAND_PARAMS, BandSettings, Equalizer, FrontFilters, HPF_PARAMS, HighPass, HighPassSettings};
use crate::dsp::fastmath::db_to_gain_exact;
use crate::dsp::limiter::{LIMITER_PARAMS, Limiter, LimiterSettings};
use crate::dsp::meter::LevelMeter;
use crate::dsp::param::section_values;
use crate::dsp::reverb::{REVERB_PARAMS, Reverb, ReverbSettings};
use crate::dsp::smoothing::Smoother;
use crate::dsp::{AudioBlock, pan};

/// Fader, pan, mute and send gains glide over this time: long enough to remove
/// zipper noise and mute clicks, short enough that a fader feels immediate.
const GAIN_GLIDE_MS: f32 = 10.0;

/// Indices of the first parameter of each section of a channel.
struct SectionsAt {
    input: usize,
    hpf: usize,
    bands: [usize; 4],
    gate: usize,
    comp: usize,
    delay: Option<usize>,
    reverb: Option<usize>,
    limiter: Option<usize>,
    output: usize,
    meter: Option<usize>,
}

/// Where the channel's meter reads (the values of `METER_POINTS`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MeterPoint {
    /// What arrives, before the trim.
    Input,
    /// After the inserts, before the fader.
    PreFader,
    /// After fader, pan (and the master's limiter): what leaves.
    PostFader,
}

impl MeterPoint {
    fn from_value(value: f32) -> Self {
        match value.round() as i32 {
            0 => MeterPoint::Input,
            1 => MeterPoint::PreFader,
            _ => MeterPoint::PostFader,
        }
    }
}

struct Send {
    /// Index into the engine's bus sums.
    sum: usize,
    params: SendParams,
    gain: Smoother,
    /// A bus's send, in a session with hardware inserts: its delay compensation.
    delay: Option<DelayLine>,
}

pub struct Channel {
    /// Processing width before the pan: 1 (mono strip) or 2.
    width: usize,
    /// Where the output goes.
    route: Route,
    at: SectionsAt,
    pub params: ChannelParams,

    trim_gain: Smoother,
    hpf: HighPass,
    eq: Equalizer,
    gate: Gate,
    comp: Compressor,
    delay: Option<Delay>,
    reverb: Option<Reverb>,
    limiter: Option<Limiter>,
    hardware: Option<HardwareInsert>,
    inserts: Vec<InsertKind>,
    out_gain: [Smoother; 2],
    /// Whether solo logic lets this channel through (and its pre-fader sends).
    audible: Smoother,
    sends: Vec<Send>,

    /// The channel's audio for the current sub-block, `width` channels wide.
    pub work: AudioBlock,
    /// After fader and pan, always stereo.
    pub out: AudioBlock,
    /// Before the trim, always (it is also the check for NaN on the input).
    pub input_meter: LevelMeter,
    /// At the meter point, unless that is the input (then `input_meter` is the meter).
    pub output_meter: LevelMeter,
    pub meter_point: MeterPoint,
    /// Off in offline renders, where nobody watches the meters.
    pub meter_output: bool,
    /// Deepest gain reduction (dynamics and limiter) since telemetry last took it.
    pub gain_reduction_db: f32,
    /// Processors reset after their state went non-finite.
    pub nan_resets: u32,
    /// How the hardware insert's last ping ended, until telemetry takes it.
    pub ping: Option<Ping>,
    /// Delay compensation, in a session with hardware inserts (`compensation`): a strip's
    /// at its input, a bus's on its output into the bus it routes to.
    input_delay: Option<DelayLine>,
    route_delay: Option<DelayLine>,
}

/// Everything needed to build a channel besides its setup.
pub struct ChannelContext<'a> {
    pub sample_rate: f32,
    /// The bus sum its output adds into (`None` for the master).
    pub destination: Option<usize>,
    /// Every bus the channel can send to, as (bus layout index, name, sum index): a send
    /// the setup does not have is declared too, at -inf, so one can be added while the mix plays.
    pub send_targets: &'a [(usize, &'a str, usize)],
    /// The session has a hardware insert: paths get delay lines to line up with it.
    pub compensated: bool,
}

impl Channel {
    /// Declares the channel's parameters under `d`'s prefix and builds its processors
    /// from the setup's values. Allocates; never called on the audio thread.
    pub(crate) fn build(setup: &ChannelSetup, ctx: &ChannelContext, d: &mut Declarer) -> Channel {
        let fs = ctx.sample_rate;
        let kind = setup.kind;
        let is_strip = matches!(kind, ChannelKind::Strip { .. });
        let compensated_bus = ctx.compensated && matches!(kind, ChannelKind::GroupBus | ChannelKind::FxBus);
        let width = match kind {
            ChannelKind::Strip { stereo: false } => 1,
            _ => 2,
        };
        // Declared in the order the signal meets them: the order `headroom params` lists them.
        let [trim, polarity] = declare(d, setup, Section::Input, "", &INPUT_PARAMS);
        let hpf = declare_section(d, setup, Section::Hpf, "hpf", &HPF_PARAMS);
        let bands = std::array::from_fn(|b| {
            declare_section(d, setup, Section::Band(b as u8), &format!("eq.{}", b + 1), &BAND_PARAMS[b])
        });
        let gate = declare_section(d, setup, Section::Gate, "gate", &GATE_PARAMS);
        let comp = declare_section(d, setup, Section::Comp, "comp", &COMPRESSOR_PARAMS);
        let delay =
            setup.has(InsertKind::Delay).then(|| declare_section(d, setup, Section::Delay, "delay", &DELAY_PARAMS));
        let reverb =
            setup.has(InsertKind::Reverb).then(|| declare_section(d, setup, Section::Reverb, "reverb", &REVERB_PARAMS));
        let limiter = (kind == ChannelKind::Master)
            .then(|| declare_section(d, setup, Section::Limiter, "limiter", &LIMITER_PARAMS));
        let [fader, pan, mute, solo, solo_safe] = declare(d, setup, Section::Output, "", &OUTPUT_PARAMS);
        // The master's meter reads what leaves it, always: the peaks judged against the target.
        let meter = (kind != ChannelKind::Master).then(|| declare(d, setup, Section::Meter, "", &METER_PARAMS)[0]);
        let sends: Vec<Send> = ctx
            .send_targets
            .iter()
            .map(|&(bus, name, sum)| {
                let [level, pre, mute] =
                    declare(d, setup, Section::Send(bus as u16), &format!("send.{name}"), &SEND_PARAMS);
                Send {
                    sum,
                    params: SendParams { bus, level, pre, mute },
                    gain: Smoother::new(0.0, GAIN_GLIDE_MS, fs),
                    delay: compensated_bus.then(DelayLine::new),
                }
            })
            .collect();
        let params = ChannelParams {
            name: setup.name.clone(),
            kind,
            trim,
            polarity,
            fader,
            pan,
            mute,
            solo,
            solo_safe,
            meter,
            sends: sends.iter().map(|s| s.params).collect(),
            sections: [
                (Section::Input, Some(trim.0 as usize)),
                (Section::Hpf, Some(hpf)),
                (Section::Band(0), Some(bands[0])),
                (Section::Band(1), Some(bands[1])),
                (Section::Band(2), Some(bands[2])),
                (Section::Band(3), Some(bands[3])),
                (Section::Gate, Some(gate)),
                (Section::Comp, Some(comp)),
                (Section::Delay, delay),
                (Section::Reverb, reverb),
                (Section::Limiter, limiter),
                (Section::Output, Some(fader.0 as usize)),
                (Section::Meter, meter.map(|m| m.0 as usize)),
            ]
            .into_iter()
            .filter_map(|(section, first)| first.map(|f| (section, ParamIndex(f as u32))))
            .chain(sends.iter().map(|s| (Section::Send(s.params.bus as u16), s.params.level)))
            .collect(),
        };

        // Processors start from neutral settings; `apply_params` loads the declared values.
        let flat = BandSettings { freq_hz: 1000.0, gain_db: 0.0, q: 1.0, bypass: true };
        let neutral_gate = GateSettings::from_values(&GATE_PARAMS.map(|p| p.default));
        let neutral_comp = CompressorSettings::from_values(&COMPRESSOR_PARAMS.map(|p| p.default));
        Channel {
            width,
            route: Route {
                destination: ctx.destination,
                leaving: None,
                fade_in: Smoother::new(1.0, GAIN_GLIDE_MS, fs),
                fade_out: Smoother::new(0.0, GAIN_GLIDE_MS, fs),
            },
            at: SectionsAt {
                input: trim.0 as usize,
                hpf,
                bands,
                gate,
                comp,
                delay,
                reverb,
                limiter,
                output: fader.0 as usize,
                meter: meter.map(|m| m.0 as usize),
            },
            params,
            trim_gain: Smoother::new(1.0, GAIN_GLIDE_MS, fs),
            hpf: HighPass::new(HPF_PARAMS[0].default, crate::dsp::eq::HpfSlope::Db12, false, fs),
            eq: Equalizer::new([flat; 4], fs),
            gate: Gate::new(neutral_gate, fs),
            comp: Compressor::new(neutral_comp, fs),
            delay: delay.map(|_| Delay::new(DelaySettings::from_values(&DELAY_PARAMS.map(|p| p.default)), fs)),
            reverb: reverb.map(|_| Reverb::new(ReverbSettings::from_values(&REVERB_PARAMS.map(|p| p.default)), fs)),
            limiter: limiter.map(|_| {
                Limiter::new(LimiterSettings::from_values(&LIMITER_PARAMS.map(|p| p.default)), setup.lookahead_ms, fs)
            }),
            hardware: setup.hardware_insert.map(|latency| HardwareInsert::new(width, latency, fs)),
            inserts: setup.inserts.clone(),
            out_gain: [Smoother::new(0.0, GAIN_GLIDE_MS, fs), Smoother::new(0.0, GAIN_GLIDE_MS, fs)],
            audible: Smoother::new(1.0, GAIN_GLIDE_MS, fs),
            sends,
            work: AudioBlock::new(width),
            out: AudioBlock::new(2),
            input_meter: LevelMeter::new(fs),
            output_meter: LevelMeter::new(fs),
            meter_point: MeterPoint::PostFader,
            meter_output: true,
            gain_reduction_db: 0.0,
            nan_resets: 0,
            ping: None,
            input_delay: (ctx.compensated && is_strip).then(DelayLine::new),
            route_delay: compensated_bus.then(DelayLine::new),
        }
    }

    /// Loads processor settings from parameter values. Called when a parameter of
    /// this channel changed; cheap enough for the audio thread (no allocation).
    pub fn apply_params(&mut self, v: &[f32]) {
        let at = &self.at;
        let [trim_db, polarity] = *section_values(v, at.input);
        let sign = if polarity >= 0.5 { -1.0 } else { 1.0 };
        // Polarity flips glide through zero with the trim gain: no click.
        self.trim_gain.set_target(sign * db_to_gain_exact(trim_db));
        let hpf = HighPassSettings::from_values(section_values(v, at.hpf));
        self.hpf.set(hpf.freq_hz, hpf.slope, hpf.enabled);
        for (band, &first) in at.bands.iter().enumerate() {
            self.eq.set_band(band, BandSettings::from_values(section_values(v, first)));
        }
        self.gate.set(GateSettings::from_values(section_values(v, at.gate)));
        self.comp.set(CompressorSettings::from_values(section_values(v, at.comp)));
        if let (Some(delay), Some(first)) = (&mut self.delay, at.delay) {
            delay.set(DelaySettings::from_values(section_values(v, first)));
        }
        if let (Some(reverb), Some(first)) = (&mut self.reverb, at.reverb) {
            reverb.set(ReverbSettings::from_values(section_values(v, first)));
        }
        if let (Some(limiter), Some(first)) = (&mut self.limiter, at.limiter) {
            limiter.set(LimiterSettings::from_values(section_values(v, first)));
        }
        self.meter_point = at.meter.map_or(MeterPoint::PostFader, |m| MeterPoint::from_value(v[m]));
    }

    /// Sets the gain targets from fader, pan, mute and whether solo lets the channel through.
    pub fn apply_gains(&mut self, v: &[f32], audible: bool) {
        let [fader_db, pan, mute, _solo, _solo_safe] = *section_values(v, self.at.output);
        let open = if audible && mute < 0.5 { 1.0 } else { 0.0 };
        let level = fader_gain(fader_db) * open;
        let (l, r) = if self.width == 1 { pan::constant_power(pan) } else { pan::balance(pan) };
        self.out_gain[0].set_target(level * l);
        self.out_gain[1].set_target(level * r);
        self.audible.set_target(open);
        for send in &mut self.sends {
            let [level_db, _pre, mute] = *section_values(v, send.params.level.0 as usize);
            send.gain.set_target(if mute < 0.5 { fader_gain(level_db) } else { 0.0 });
        }
    }

    /// Jumps every glide to its target: a freshly built mix starts where it is set, without
    /// fading or sweeping in (and renders the same whenever the transport starts).
    pub fn settle(&mut self) {
        let [left, right] = &mut self.out_gain;
        for glide in [&mut self.trim_gain, &mut self.audible, left, right] {
            glide.reset(glide.target());
        }
        for send in &mut self.sends {
            send.gain.reset(send.gain.target());
        }
        self.hpf.settle();
        self.eq.settle();
        self.comp.settle();
        if let Some(delay) = &mut self.delay {
            delay.settle();
        }
    }

    /// The channel's hardware insert, if it has one.
    pub fn hardware_insert_mut(&mut self) -> Option<&mut HardwareInsert> {
        self.hardware.as_mut()
    }

    /// A strip's compensation: its input is delayed by `frames`.
    pub fn set_input_delay(&mut self, frames: u32) {
        if let Some(delay) = &mut self.input_delay {
            delay.set_delay(frames);
        }
    }

    /// A bus's compensation: what it adds into sum `s` is delayed by `delay_into(s)`.
    pub fn set_output_delays(&mut self, delay_into: impl Fn(usize) -> u32) {
        if let (Some(delay), Some(dest)) = (&mut self.route_delay, self.route.destination) {
            delay.set_delay(delay_into(dest));
        }
        for send in &mut self.sends {
            if let Some(delay) = &mut send.delay {
                delay.set_delay(delay_into(send.sum));
            }
        }
    }

    /// The round trip of the channel's hardware insert, frames (0 without one).
    pub fn insert_latency(&self) -> u32 {
        self.hardware.as_ref().map_or(0, |h| h.latency)
    }

    pub fn latency_frames(&self) -> usize {
        self.limiter.as_ref().map_or(0, Limiter::latency_frames)
    }

    fn is_pre(&self, send: &Send, v: &[f32]) -> bool {
        v[send.params.pre.0 as usize] >= 0.5
    }

    /// Runs the channel over `self.work` (already filled with its input) and adds the
    /// result into the bus sums it feeds, at frame `at` of the sums.
    pub fn process(&mut self, v: &[f32], sums: &mut [BusSum], at: usize) {
        let mut front = FrontFilters::default();
        self.begin(&mut front);
        front.run(&mut self.work);
        self.end(&front, v, sums, at);
    }

    /// First part of a sub-block: input check, input meter, trim. Gathers the front filters
    /// (high-pass, and EQ when nothing active sits before it) into `front` for the caller to
    /// run, alone or side by side with other strips' (`eq::run_pack`).
    pub fn begin(&mut self, front: &mut FrontFilters) {
        let frames = self.work.frames();
        self.out.set_frames(frames);
        if !self.input_meter.measure(&self.work) {
            // NaN or infinity on an input (a broken client, a corrupt file): keep it out of every
            // processor. Past this point only a processor's own state can go bad, and each one
            // that can (the filters) detects that, resets and silences its block.
            self.work.clear();
            self.nan_resets += 1;
        }
        if let Some(delay) = &mut self.input_delay {
            match self.width {
                1 => delay.run(&mut [self.work.channel_mut(0)]),
                _ => {
                    let (left, right) = self.work.stereo_mut();
                    delay.run(&mut [left, right]);
                }
            }
        }
        apply_linked_gain(&mut self.trim_gain, &mut self.work);
        let eq_at = self.inserts.iter().position(|k| *k == InsertKind::Eq);
        let eq_follows_hpf =
            eq_at.is_some_and(|at| self.inserts[..at].iter().all(|k| *k == InsertKind::Gate && self.gate.is_idle()));
        front.gather(&mut self.hpf, if eq_follows_hpf { Some(&mut self.eq) } else { None }, frames);
    }

    /// Rest of a sub-block, once the front filters have run over `self.work`: the other
    /// inserts, fader, pan, sends, and the sums it feeds.
    pub fn end(&mut self, front: &FrontFilters, v: &[f32], sums: &mut [BusSum], at: usize) {
        let frames = self.work.frames();
        let eq_done = front.includes_eq();
        if !front.finish(&mut self.hpf, if eq_done { Some(&mut self.eq) } else { None }, &mut self.work) {
            self.nan_resets += 1;
        }
        let mut reduction = 0.0f32;
        for i in 0..self.inserts.len() {
            match self.inserts[i] {
                InsertKind::Gate => reduction = reduction.max(self.gate.process(&mut self.work)),
                InsertKind::Eq if eq_done => {}
                InsertKind::Eq => {
                    if !self.eq.process(&mut self.work) {
                        self.nan_resets += 1;
                    }
                }
                InsertKind::Comp => reduction = reduction.max(self.comp.process(&mut self.work)),
                InsertKind::Delay => self.delay.as_mut().map_or((), |d| d.process(&mut self.work)),
                InsertKind::Reverb => self.reverb.as_mut().map_or((), |r| r.process(&mut self.work)),
                InsertKind::Hardware => {
                    if let Some(ping) = self.hardware.as_mut().and_then(|h| h.process(&mut self.work)) {
                        self.ping = Some(ping);
                    }
                }
            }
        }

        if self.meter_output && self.meter_point == MeterPoint::PreFader {
            self.output_meter.measure(&self.work);
        }
        // Pre-fader sends: after the inserts, before the fader, gated by mute and solo.
        for s in 0..self.sends.len() {
            if self.is_pre(&self.sends[s], v) {
                let send = &mut self.sends[s];
                let from = compensated(&mut send.delay, &self.work);
                add_scaled(from, &mut sums[send.sum], at, &mut send.gain, Some(self.audible));
            }
        }
        self.audible.advance(frames);

        // Fader and pan into the stereo output.
        let right_source = if self.width == 2 { 1 } else { 0 };
        for (side, source) in [(0, 0), (1, right_source)] {
            self.out_gain[side].apply_gain_into(self.work.channel(source), self.out.channel_mut(side));
        }
        // The master's limiter is the last thing before its outputs and the print: its
        // ceiling holds whatever the master fader and balance do.
        if let Some(limiter) = &mut self.limiter {
            reduction = reduction.max(limiter.process(&mut self.out));
        }
        self.gain_reduction_db = self.gain_reduction_db.max(reduction);
        if self.meter_output && self.meter_point == MeterPoint::PostFader {
            self.output_meter.measure(&self.out);
        }

        for s in 0..self.sends.len() {
            if !self.is_pre(&self.sends[s], v) {
                let send = &mut self.sends[s];
                let from = compensated(&mut send.delay, &self.out);
                add_scaled(from, &mut sums[send.sum], at, &mut send.gain, None);
            }
        }
        let route = &mut self.route;
        let from = compensated(&mut self.route_delay, &self.out);
        if let Some(dest) = route.destination {
            add_scaled(from, &mut sums[dest], at, &mut route.fade_in, None);
        }
        if let Some(old) = route.leaving {
            add_scaled(from, &mut sums[old], at, &mut route.fade_out, None);
            if route.fade_out.is_settled() {
                route.leaving = None;
            }
        }
    }

    /// The bus sum the channel's output adds into (`None` for the master).
    pub fn destination(&self) -> Option<usize> {
        self.route.destination
    }

    /// Where the output goes, to put back with `set_route` if a reroute is refused.
    pub fn route(&self) -> Route {
        self.route
    }

    pub fn set_route(&mut self, route: Route) {
        self.route = route;
    }

    /// Sends the output to bus sum `sum` from now on, fading it out of the old one.
    pub fn route_to(&mut self, sum: usize) {
        let r = &mut self.route;
        if r.destination == Some(sum) {
            return;
        }
        // A reroute during a fade cuts the older fade short: only one sum can be fading out.
        r.leaving = r.destination;
        r.destination = Some(sum);
        r.fade_in.reset(0.0);
        r.fade_in.set_target(1.0);
        r.fade_out.reset(1.0);
        r.fade_out.set_target(0.0);
    }

    /// Calls `f` with each bus sum the channel adds into now: its output (and the one it is
    /// leaving) and its sends that are up.
    pub fn for_each_feed(&self, values: &[f32], mut f: impl FnMut(usize)) {
        self.route.destination.into_iter().chain(self.route.leaving).for_each(&mut f);
        for send in &self.sends {
            if fader_gain(values[send.params.level.0 as usize]) > 0.0 {
                f(send.sum);
            }
        }
    }
}

/// Where a channel's output goes. After a reroute the output glides up in the new sum
/// and down in the old one (an equal-gain crossfade: the same signal on both sides), so
/// the sound moves over without a click.
#[derive(Clone, Copy)]
pub struct Route {
    destination: Option<usize>,
    /// The sum added into before the last reroute, while it fades out.
    leaving: Option<usize>,
    fade_in: Smoother,
    fade_out: Smoother,
}

/// Adds `src` (mono: centred at -3 dB into both sides) into the stereo `dst`, through a gliding gain
/// and optionally a second glide (mute/solo of a pre-fader send).
fn add_scaled(src: &AudioBlock, dst: &mut BusSum, at: usize, gain: &mut Smoother, extra_gain: Option<Smoother>) {
    let frames = src.frames();
    let centre = if src.channels() == 1 { std::f32::consts::FRAC_1_SQRT_2 } else { 1.0 };
    let right_source = src.channels() - 1;
    if gain.is_settled() && extra_gain.is_none_or(|g| g.is_settled()) {
        // Steady gains (the usual case): a plain multiply-add the compiler vectorises.
        let g = gain.current() * centre * extra_gain.map_or(1.0, |e| e.current());
        if g != 0.0 {
            for (side, source) in [(0, 0), (1, right_source)] {
                for (acc, x) in dst.side_mut(side, at, frames).iter_mut().zip(src.channel(source)) {
                    *acc += x * g;
                }
            }
        }
        return;
    }
    let mut extra_gain = extra_gain;
    for i in 0..src.frames() {
        let g = gain.step() * centre * extra_gain.as_mut().map_or(1.0, |s| s.step());
        let l = src.channel(0)[i];
        let r = src.channel(right_source)[i];
        dst.side_mut(0, at + i, 1)[0] += l * g;
        dst.side_mut(1, at + i, 1)[0] += r * g;
    }
}

/// `block` through a compensation delay, or as it is without one.
fn compensated<'a>(delay: &'a mut Option<DelayLine>, block: &'a AudioBlock) -> &'a AudioBlock {
    match delay {
        Some(line) => line.run_block(block),
        None => block,
    }
}

/// Applies one gliding gain to every channel of a block, sample-aligned.
fn apply_linked_gain(glide: &mut Smoother, block: &mut AudioBlock) {
    let start = *glide;
    for ch in 0..block.channels() {
        *glide = start;
        glide.apply_gain(block.channel_mut(ch));
    }
}
