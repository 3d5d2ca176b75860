//! One channel of the mix (a strip, a bus or the master): its processors, its
//! parameters, and how it adds itself into the buses it feeds.

use super::params::{Declarer, ParamIndex, Unit, fader_gain, ranges};
use crate::dsp::delay::{Delay, DelaySettings};
use crate::dsp::dynamics::{Compressor, CompressorSettings, Detector, Gate, GateSettings};
use crate::dsp::eq::{BandSettings, Equalizer, FrontFilters, HighPass, HpfSlope};
use crate::dsp::fastmath::db_to_gain_exact;
use crate::dsp::limiter::{Limiter, LimiterSettings};
use crate::dsp::meter::LevelMeter;
use crate::dsp::reverb::{Reverb, ReverbSettings};
use crate::dsp::smoothing::Smoother;
use crate::dsp::{AudioBlock, pan};
use crate::session::schema::{self, BAND_DEFAULTS, ChannelDoc, DEFAULT_ORDER, InsertKind};

/// Fader, pan, mute and send gains glide over this time: long enough to remove
/// zipper noise and mute clicks, short enough that a fader feels immediate.
const GAIN_GLIDE_MS: f32 = 10.0;
const HPF_SLOPES: &[&str] = &["12 dB/oct", "24 dB/oct"];
const DETECTORS: &[&str] = &["peak", "rms"];

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    Strip,
    GroupBus,
    FxBus,
    Master,
}

struct BandParams {
    freq: ParamIndex,
    gain: ParamIndex,
    q: ParamIndex,
    bypass: ParamIndex,
}

struct CompParams {
    threshold: ParamIndex,
    ratio: ParamIndex,
    knee: ParamIndex,
    attack: ParamIndex,
    release: ParamIndex,
    makeup: ParamIndex,
    detector: ParamIndex,
    bypass: ParamIndex,
}

struct GateParams {
    threshold: ParamIndex,
    range: ParamIndex,
    ratio: ParamIndex,
    attack: ParamIndex,
    hold: ParamIndex,
    release: ParamIndex,
    bypass: ParamIndex,
}

struct DelayParams {
    time: ParamIndex,
    feedback: ParamIndex,
    damping: ParamIndex,
    mix: ParamIndex,
}

struct ReverbParams {
    size: ParamIndex,
    damping: ParamIndex,
    width: ParamIndex,
    mix: ParamIndex,
}

struct LimiterParams {
    ceiling: ParamIndex,
    release: ParamIndex,
    bypass: ParamIndex,
}

struct Send {
    /// Index into the engine's bus sums.
    sum: usize,
    level: ParamIndex,
    pre: ParamIndex,
    mute: ParamIndex,
    gain: Smoother,
}

pub struct Channel {
    pub name: String,
    pub role: Role,
    /// Processing width before the pan: 1 (mono strip) or 2.
    width: usize,
    /// Where the output goes.
    route: Route,
    trim: ParamIndex,
    polarity: ParamIndex,
    hpf_params: (ParamIndex, ParamIndex, ParamIndex),
    band_params: [BandParams; 4],
    gate_params: GateParams,
    comp_params: CompParams,
    delay_params: Option<DelayParams>,
    reverb_params: Option<ReverbParams>,
    limiter_params: Option<LimiterParams>,
    fader: ParamIndex,
    pan: ParamIndex,
    mute: ParamIndex,
    pub solo: ParamIndex,
    pub solo_safe: ParamIndex,

    trim_gain: Smoother,
    hpf: HighPass,
    eq: Equalizer,
    gate: Gate,
    comp: Compressor,
    delay: Option<Delay>,
    reverb: Option<Reverb>,
    limiter: Option<Limiter>,
    order: Vec<InsertKind>,
    out_gain: [Smoother; 2],
    /// Whether solo logic lets this channel through (and its pre-fader sends).
    audible: Smoother,
    sends: Vec<Send>,

    /// The channel's audio for the current sub-block, `width` channels wide.
    pub work: AudioBlock,
    /// After fader and pan, always stereo.
    pub out: AudioBlock,
    pub input_meter: LevelMeter,
    pub output_meter: LevelMeter,
    /// Off in offline renders, where nobody watches the meters.
    pub meter_output: bool,
    /// Deepest gain reduction (dynamics and limiter) since telemetry last took it.
    pub gain_reduction_db: f32,
    /// Processors reset after their state went non-finite.
    pub nan_resets: u32,
}

/// Everything needed to build a channel besides its document.
pub struct ChannelContext<'a> {
    pub role: Role,
    pub sample_rate: f32,
    pub tempo_bpm: f32,
    pub destination: Option<usize>,
    /// Every bus the channel can send to, with its sum index: a send the document does not
    /// have is declared too, at -inf, so one can be added while the mix plays.
    pub send_targets: &'a [(&'a str, usize)],
}

impl Channel {
    /// Declares the channel's parameters under `prefix` and builds its processors
    /// from the document's values. Allocates; never called on the audio thread.
    pub(crate) fn build(doc: &ChannelDoc, ctx: &ChannelContext, d: &mut Declarer) -> Channel {
        let fs = ctx.sample_rate;
        let width = match ctx.role {
            Role::Strip => doc.channels.map_or(1, |c| c.count()),
            _ => 2,
        };
        let trim = d.declare("trim", Unit::Db, ranges::TRIM_DB, 0.0, doc.trim_db);
        let polarity = d.toggle("polarity", false, doc.polarity_invert);

        let hpf_doc = doc.hpf.unwrap_or(schema::HpfDoc { enabled: false, ..Default::default() });
        let hpf_params = (
            d.declare("hpf.freq", Unit::Hz, ranges::HPF_HZ, 80.0, hpf_doc.freq_hz),
            d.declare("hpf.slope", Unit::Choice(HPF_SLOPES), (0.0, 1.0), 0.0, (hpf_doc.slope == 24) as u8 as f32),
            d.toggle("hpf.enabled", false, hpf_doc.enabled),
        );

        let band_params = std::array::from_fn(|i| {
            let band = doc.eq.get(i).copied().unwrap_or_default();
            let (freq, q) = BAND_DEFAULTS[i];
            let n = i + 1;
            BandParams {
                freq: d.declare(&format!("eq.{n}.freq"), Unit::Hz, ranges::FREQ_HZ, freq, band.freq_hz.unwrap_or(freq)),
                gain: d.declare(
                    &format!("eq.{n}.gain"),
                    Unit::Db,
                    ranges::EQ_GAIN_DB,
                    0.0,
                    band.gain_db.unwrap_or(0.0),
                ),
                q: d.declare(&format!("eq.{n}.q"), Unit::Q, ranges::Q, q, band.q.unwrap_or(q)),
                bypass: d.toggle(&format!("eq.{n}.bypass"), false, band.bypass),
            }
        });

        // Absent dynamics sections exist, bypassed, so they can be switched in live.
        let gate_doc = doc.gate.unwrap_or(schema::GateDoc { bypass: true, ..Default::default() });
        let gate_params = GateParams {
            threshold: d.declare("gate.threshold", Unit::Db, ranges::THRESHOLD_DB, -50.0, gate_doc.threshold_db),
            range: d.declare("gate.range", Unit::Db, ranges::RANGE_DB, -60.0, gate_doc.range_db),
            ratio: d.declare("gate.ratio", Unit::Ratio, ranges::GATE_RATIO, 10.0, gate_doc.ratio),
            attack: d.declare("gate.attack", Unit::Ms, ranges::ATTACK_MS, 1.0, gate_doc.attack_ms),
            hold: d.declare("gate.hold", Unit::Ms, ranges::HOLD_MS, 20.0, gate_doc.hold_ms),
            release: d.declare("gate.release", Unit::Ms, ranges::RELEASE_MS, 150.0, gate_doc.release_ms),
            bypass: d.toggle("gate.bypass", true, gate_doc.bypass),
        };
        let comp_doc = doc.comp.unwrap_or(schema::CompDoc { bypass: true, ..Default::default() });
        let comp_params = CompParams {
            threshold: d.declare("comp.threshold", Unit::Db, ranges::THRESHOLD_DB, -18.0, comp_doc.threshold_db),
            ratio: d.declare("comp.ratio", Unit::Ratio, ranges::COMP_RATIO, 3.0, comp_doc.ratio),
            knee: d.declare("comp.knee", Unit::Db, ranges::KNEE_DB, 6.0, comp_doc.knee_db),
            attack: d.declare("comp.attack", Unit::Ms, ranges::ATTACK_MS, 10.0, comp_doc.attack_ms),
            release: d.declare("comp.release", Unit::Ms, ranges::RELEASE_MS, 120.0, comp_doc.release_ms),
            makeup: d.declare("comp.makeup", Unit::Db, ranges::MAKEUP_DB, 0.0, comp_doc.makeup_db),
            detector: d.declare(
                "comp.detector",
                Unit::Choice(DETECTORS),
                (0.0, 1.0),
                0.0,
                (comp_doc.detector == schema::DetectorDoc::Rms) as u8 as f32,
            ),
            bypass: d.toggle("comp.bypass", true, comp_doc.bypass),
        };
        let delay_params = doc.delay.as_ref().map(|delay| {
            let time_ms =
                delay.sync.as_deref().and_then(|n| schema::note_value_ms(n, ctx.tempo_bpm)).unwrap_or(delay.time_ms);
            DelayParams {
                time: d.declare("delay.time", Unit::Ms, ranges::DELAY_MS, 375.0, time_ms),
                feedback: d.declare("delay.feedback", Unit::Amount, ranges::FEEDBACK, 0.35, delay.feedback),
                damping: d.declare("delay.damping", Unit::Hz, ranges::DAMPING_HZ, 6_000.0, delay.damping_hz),
                mix: d.declare("delay.mix", Unit::Amount, ranges::AMOUNT, 1.0, delay.mix),
            }
        });
        let reverb_params = doc.reverb.map(|rev| ReverbParams {
            size: d.declare("reverb.size", Unit::Amount, ranges::AMOUNT, 0.75, rev.size),
            damping: d.declare("reverb.damping", Unit::Amount, ranges::AMOUNT, 0.5, rev.damping),
            width: d.declare("reverb.width", Unit::Amount, ranges::AMOUNT, 1.0, rev.width),
            mix: d.declare("reverb.mix", Unit::Amount, ranges::AMOUNT, 1.0, rev.mix),
        });
        let limiter_doc = match ctx.role {
            Role::Master => Some(doc.limiter.unwrap_or(schema::LimiterDoc { bypass: true, ..Default::default() })),
            _ => None,
        };
        let limiter_params = limiter_doc.map(|lim| LimiterParams {
            ceiling: d.declare("limiter.ceiling", Unit::Db, ranges::CEILING_DB, -1.0, lim.ceiling_db),
            release: d.declare("limiter.release", Unit::Ms, ranges::RELEASE_MS, 60.0, lim.release_ms),
            bypass: d.toggle("limiter.bypass", true, lim.bypass),
        });

        let fader = d.declare("fader", Unit::Db, ranges::FADER_DB, 0.0, doc.fader_db.0);
        let pan = d.declare("pan", Unit::Pan, ranges::PAN, 0.0, doc.pan);
        let mute = d.toggle("mute", false, doc.mute);
        let solo = d.toggle("solo", false, doc.solo);
        let safe_by_default = ctx.role == Role::FxBus || ctx.role == Role::Master;
        let solo_safe = d.toggle("solo_safe", safe_by_default, doc.solo_safe.unwrap_or(safe_by_default));

        let unused =
            schema::SendDoc { bus: String::new(), level_db: schema::Db(f32::NEG_INFINITY), pre: false, mute: false };
        let sends = ctx
            .send_targets
            .iter()
            .map(|&(bus, sum)| {
                let s = doc.sends.iter().find(|s| s.bus == bus).unwrap_or(&unused);
                Send {
                    sum,
                    level: d.declare(&format!("send.{bus}"), Unit::Db, ranges::FADER_DB, 0.0, s.level_db.0),
                    pre: d.toggle(&format!("send.{bus}.pre"), false, s.pre),
                    mute: d.toggle(&format!("send.{bus}.mute"), false, s.mute),
                    gain: Smoother::new(0.0, GAIN_GLIDE_MS, fs),
                }
            })
            .collect();

        // Processors start from defaults; `apply_params` below loads the declared values.
        let flat = BandSettings { freq_hz: 1000.0, gain_db: 0.0, q: 1.0, bypass: true };
        let mut channel = Channel {
            name: if ctx.role == Role::Master { schema::MASTER.to_string() } else { doc.name.clone() },
            role: ctx.role,
            width,
            route: Route {
                destination: ctx.destination,
                leaving: None,
                fade_in: Smoother::new(1.0, GAIN_GLIDE_MS, fs),
                fade_out: Smoother::new(0.0, GAIN_GLIDE_MS, fs),
            },
            trim,
            polarity,
            hpf_params,
            band_params,
            gate_params,
            comp_params,
            delay_params,
            reverb_params,
            limiter_params,
            fader,
            pan,
            mute,
            solo,
            solo_safe,
            trim_gain: Smoother::new(1.0, GAIN_GLIDE_MS, fs),
            hpf: HighPass::new(hpf_doc.freq_hz, HpfSlope::Db12, false, fs),
            eq: Equalizer::new([flat; 4], fs),
            gate: Gate::new(gate_settings(&gate_doc), fs),
            comp: Compressor::new(comp_settings(&comp_doc), fs),
            delay: doc.delay.as_ref().map(|_| {
                Delay::new(DelaySettings { time_ms: 375.0, feedback: 0.0, damping_hz: 6_000.0, mix: 1.0 }, fs)
            }),
            reverb: doc.reverb.map(|r| Reverb::new(reverb_settings(&r), fs)),
            limiter: limiter_doc.map(|l| {
                Limiter::new(
                    LimiterSettings { ceiling_db: l.ceiling_db, release_ms: l.release_ms, bypass: l.bypass },
                    l.lookahead_ms,
                    fs,
                )
            }),
            order: doc.order.clone().unwrap_or_else(|| DEFAULT_ORDER.to_vec()),
            out_gain: [Smoother::new(0.0, GAIN_GLIDE_MS, fs), Smoother::new(0.0, GAIN_GLIDE_MS, fs)],
            audible: Smoother::new(1.0, GAIN_GLIDE_MS, fs),
            sends,
            work: AudioBlock::new(width),
            out: AudioBlock::new(2),
            input_meter: LevelMeter::new(fs),
            output_meter: LevelMeter::new(fs),
            meter_output: true,
            gain_reduction_db: 0.0,
            nan_resets: 0,
        };
        channel.order.retain(|kind| match kind {
            InsertKind::Delay => channel.delay.is_some(),
            InsertKind::Reverb => channel.reverb.is_some(),
            _ => true,
        });
        channel
    }

    /// Loads processor settings from parameter values. Called when a parameter of
    /// this channel changed; cheap enough for the audio thread (no allocation).
    pub fn apply_params(&mut self, v: &[f32]) {
        let at = |p: ParamIndex| v[p.0 as usize];
        let on = |p: ParamIndex| v[p.0 as usize] >= 0.5;
        let sign = if on(self.polarity) { -1.0 } else { 1.0 };
        // Polarity flips glide through zero with the trim gain: no click.
        self.trim_gain.set_target(sign * db_to_gain_exact(at(self.trim)));
        let (freq, slope, enabled) = self.hpf_params;
        self.hpf.set(at(freq), if at(slope) >= 0.5 { HpfSlope::Db24 } else { HpfSlope::Db12 }, on(enabled));
        for (i, b) in self.band_params.iter().enumerate() {
            self.eq.set_band(
                i,
                BandSettings { freq_hz: at(b.freq), gain_db: at(b.gain), q: at(b.q), bypass: on(b.bypass) },
            );
        }
        let g = &self.gate_params;
        self.gate.set(GateSettings {
            threshold_db: at(g.threshold),
            range_db: at(g.range),
            ratio: at(g.ratio),
            attack_ms: at(g.attack),
            hold_ms: at(g.hold),
            release_ms: at(g.release),
            bypass: on(g.bypass),
        });
        let c = &self.comp_params;
        self.comp.set(CompressorSettings {
            threshold_db: at(c.threshold),
            ratio: at(c.ratio),
            knee_db: at(c.knee),
            attack_ms: at(c.attack),
            release_ms: at(c.release),
            makeup_db: at(c.makeup),
            detector: if on(c.detector) { Detector::Rms } else { Detector::Peak },
            bypass: on(c.bypass),
        });
        if let (Some(delay), Some(p)) = (&mut self.delay, &self.delay_params) {
            delay.set(DelaySettings {
                time_ms: at(p.time),
                feedback: at(p.feedback),
                damping_hz: at(p.damping),
                mix: at(p.mix),
            });
        }
        if let (Some(reverb), Some(p)) = (&mut self.reverb, &self.reverb_params) {
            reverb.set(ReverbSettings { size: at(p.size), damping: at(p.damping), width: at(p.width), mix: at(p.mix) });
        }
        if let (Some(limiter), Some(p)) = (&mut self.limiter, &self.limiter_params) {
            limiter.set(LimiterSettings { ceiling_db: at(p.ceiling), release_ms: at(p.release), bypass: on(p.bypass) });
        }
    }

    /// Sets the gain targets from fader, pan, mute and whether solo lets the channel through.
    pub fn apply_gains(&mut self, v: &[f32], audible: bool) {
        let at = |p: ParamIndex| v[p.0 as usize];
        let open = if audible && at(self.mute) < 0.5 { 1.0 } else { 0.0 };
        let level = fader_gain(at(self.fader)) * open;
        let (l, r) = if self.width == 1 { pan::constant_power(at(self.pan)) } else { pan::balance(at(self.pan)) };
        self.out_gain[0].set_target(level * l);
        self.out_gain[1].set_target(level * r);
        self.audible.set_target(open);
        for send in &mut self.sends {
            let send_open = at(send.mute) < 0.5;
            send.gain.set_target(if send_open { fader_gain(at(send.level)) } else { 0.0 });
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

    pub fn latency_frames(&self) -> usize {
        self.limiter.as_ref().map_or(0, Limiter::latency_frames)
    }

    fn is_pre(&self, send: &Send, v: &[f32]) -> bool {
        v[send.pre.0 as usize] >= 0.5
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
        apply_linked_gain(&mut self.trim_gain, &mut self.work);
        let eq_at = self.order.iter().position(|k| *k == InsertKind::Eq);
        let eq_follows_hpf =
            eq_at.is_some_and(|at| self.order[..at].iter().all(|k| *k == InsertKind::Gate && self.gate.is_idle()));
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
        for i in 0..self.order.len() {
            match self.order[i] {
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
            }
        }
        if let Some(limiter) = &mut self.limiter {
            reduction = reduction.max(limiter.process(&mut self.work));
        }
        self.gain_reduction_db = self.gain_reduction_db.max(reduction);

        // Pre-fader sends: after the inserts, before the fader, gated by mute and solo.
        for s in 0..self.sends.len() {
            if self.is_pre(&self.sends[s], v) {
                let send = &mut self.sends[s];
                add_scaled(&self.work, &mut sums[send.sum], at, &mut send.gain, Some(self.audible));
            }
        }
        self.audible.advance(frames);

        // Fader and pan into the stereo output.
        let right_source = if self.width == 2 { 1 } else { 0 };
        for (side, source) in [(0, 0), (1, right_source)] {
            self.out_gain[side].apply_gain_into(self.work.channel(source), self.out.channel_mut(side));
        }
        if self.meter_output {
            self.output_meter.measure(&self.out);
        }

        for s in 0..self.sends.len() {
            if !self.is_pre(&self.sends[s], v) {
                let send = &mut self.sends[s];
                add_scaled(&self.out, &mut sums[send.sum], at, &mut send.gain, None);
            }
        }
        let route = &mut self.route;
        if let Some(dest) = route.destination {
            add_scaled(&self.out, &mut sums[dest], at, &mut route.fade_in, None);
        }
        if let Some(old) = route.leaving {
            add_scaled(&self.out, &mut sums[old], at, &mut route.fade_out, None);
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
            if fader_gain(values[send.level.0 as usize]) > 0.0 {
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

fn gate_settings(d: &schema::GateDoc) -> GateSettings {
    GateSettings {
        threshold_db: d.threshold_db,
        range_db: d.range_db,
        ratio: d.ratio,
        attack_ms: d.attack_ms,
        hold_ms: d.hold_ms,
        release_ms: d.release_ms,
        bypass: d.bypass,
    }
}

fn comp_settings(d: &schema::CompDoc) -> CompressorSettings {
    CompressorSettings {
        threshold_db: d.threshold_db,
        ratio: d.ratio,
        knee_db: d.knee_db,
        attack_ms: d.attack_ms,
        release_ms: d.release_ms,
        makeup_db: d.makeup_db,
        detector: match d.detector {
            schema::DetectorDoc::Peak => Detector::Peak,
            schema::DetectorDoc::Rms => Detector::Rms,
        },
        bypass: d.bypass,
    }
}

fn reverb_settings(r: &schema::ReverbDoc) -> ReverbSettings {
    ReverbSettings { size: r.size, damping: r.damping, width: r.width, mix: r.mix }
}

/// What a bus (or the master) receives: the stereo sum of everything routed or sent to it,
/// over one pass of the engine (up to `len` frames).
pub struct BusSum {
    sides: [Box<[f32]>; 2],
}

impl BusSum {
    pub fn new(len: usize) -> Self {
        Self { sides: [vec![0.0; len].into_boxed_slice(), vec![0.0; len].into_boxed_slice()] }
    }

    pub fn side(&self, side: usize, at: usize, frames: usize) -> &[f32] {
        &self.sides[side][at..at + frames]
    }

    pub fn side_mut(&mut self, side: usize, at: usize, frames: usize) -> &mut [f32] {
        &mut self.sides[side][at..at + frames]
    }

    pub fn clear(&mut self, at: usize, frames: usize) {
        for side in 0..2 {
            self.side_mut(side, at, frames).fill(0.0);
        }
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
