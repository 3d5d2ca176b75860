//! The console's state and how it changes: `App::update` takes a message (a key, a
//! mouse event, the engine's latest readings) and returns the effects for the shell to
//! carry out (commands to the engine, transport requests, saves). No I/O happens here.
//!
//! The app owns every parameter's target value: keys change it and send it to the
//! engine; nothing the engine reports is copied back over it, so fast key repeats
//! are never lost to an echo. The one handover: where automation lets go of a
//! parameter, the target takes the value automation left it at.

mod automation;
mod typed;

pub use automation::{AutomationPanel, AutomationReading};
pub use typed::{Typed, parse_line};

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers, MouseButton, MouseEvent, MouseEventKind};
use ratatui::layout::{Position, Rect};

use super::keys::{self, Action, Scope};
use super::meters::PeakMeter;
use super::view;
use crate::automation::passes::Store;
use crate::automation::recorder::Request;
use crate::control::learn::LearnRequest;
use crate::control::surface::{LinkState, SurfaceEvent};
use crate::control::targets::{StripControl, TransportAction};
use crate::engine::Command;
use crate::engine::channel::SEND_PARAMS;
use crate::engine::params::FADER_FLOOR_DB;
use crate::engine::params::{ChannelParams, ParamIndex, ParamTable, ParamValues, Section, SendParams, Unit};
use crate::engine::setup::ChannelKind as EngineKind;
use crate::session::resolve::encode;
use crate::session::schema::{ChannelDoc, MASTER, SendDoc, SessionDoc, Values};
use crate::session::write_back::doc_with_values;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ChannelKind {
    Strip,
    Group,
    Fx,
    Master,
}

/// One strip, bus or the master as the console shows it.
#[derive(Clone, Debug)]
pub struct ChannelInfo {
    pub name: String,
    pub kind: ChannelKind,
    pub stereo: bool,
    /// Where it routes: a bus name or "master"; empty for the master itself.
    pub output: String,
    /// Its parameters by role (fader, pan, mute, solo, sends, sections), as the engine declared them.
    pub roles: ChannelParams,
    /// Every parameter of the channel in declaration order: what the detail lists.
    pub params: Vec<ParamIndex>,
}

/// A channel reads as its parameters by role: `ch.fader`, `ch.send_to(bus)`.
impl std::ops::Deref for ChannelInfo {
    type Target = ChannelParams;
    fn deref(&self) -> &ChannelParams {
        &self.roles
    }
}

/// What the shell reads from the engine and the JACK client each frame.
#[derive(Clone, Debug, Default)]
pub struct Readings {
    /// Monotonic seconds: drives meter ballistics and how undo groups a gesture.
    pub now_s: f64,
    /// In engine channel order (strips, buses, master).
    pub channels: Vec<ChannelReading>,
    pub loudness: Loudness,
    pub frame: u64,
    pub rolling: bool,
    pub bars_beats: Option<(u32, u32, u32)>,
    pub dsp_load: f32,
    pub xruns: u32,
    /// Per parameter, in table order: its automation (empty: none reported).
    pub automation: Vec<AutomationReading>,
    pub write_enabled: bool,
    /// A pass is being written now.
    pub pass_open: bool,
}

#[derive(Clone, Copy, Debug, Default)]
pub struct ChannelReading {
    pub input_peak: f32,
    pub peak: [f32; 2],
    pub gain_reduction_db: f32,
}

/// The master's R128 readings; below -70 LUFS (the absolute gate) reads as nothing.
#[derive(Clone, Copy, Debug)]
pub struct Loudness {
    pub momentary_lufs: f32,
    pub short_term_lufs: f32,
    pub integrated_lufs: f32,
    pub true_peak_dbtp: f32,
}

impl Default for Loudness {
    fn default() -> Self {
        Self { momentary_lufs: -120.0, short_term_lufs: -120.0, integrated_lufs: -120.0, true_peak_dbtp: -120.0 }
    }
}

/// Fixed facts about the engine the console runs against.
#[derive(Clone, Debug)]
pub struct EngineInfo {
    pub client_name: String,
    pub sample_rate: u32,
    pub period: u32,
}

#[derive(Clone, Debug)]
pub enum Msg {
    Key(KeyEvent),
    Mouse(MouseEvent),
    Resize(u16, u16),
    Readings(Readings),
    /// The shell finished a save: the files written and the document as written, or what went wrong.
    Saved(Result<(Vec<PathBuf>, Box<SessionDoc>), String>),
    /// Something the shell could not do, to show in the status line.
    Problem(String),
    /// Something the shell did, to show in the status line.
    Info(String),
    /// The MIDI devices present, to pick a surface from.
    SurfaceDevices(Result<Vec<String>, String>),
    /// A control surface did something.
    Surface(SurfaceEvent),
    /// The automation history changed (a pass kept, taken back, named, a mode set).
    Passes(Box<Store>),
    /// A command typed as a line (headless standard input).
    Typed(Typed),
}

/// Something the app said, kept in order for a front end that prints it.
#[derive(Clone, Debug, PartialEq)]
pub struct Reply {
    pub text: String,
    pub problem: bool,
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum TransportRequest {
    Play,
    Stop,
    Locate(u64),
}

#[derive(Clone, Debug, PartialEq)]
pub enum Effect {
    Engine(Command),
    Transport(TransportRequest),
    Loop {
        on: bool,
        start: u64,
        end: u64,
    },
    /// Write `doc` atomically to `file` (and a copy to `version`); `new_folder` says the
    /// session folder must be made first, with relative stem paths resolved from that folder.
    Save {
        file: PathBuf,
        version: Option<PathBuf>,
        doc: Box<SessionDoc>,
        new_folder: Option<PathBuf>,
    },
    /// Bind the next control moved on a surface to this.
    Learn(LearnRequest),
    CancelLearn,
    /// List the MIDI devices present (answered with [`Msg::SurfaceDevices`]).
    ListSurfaceDevices,
    /// Connect this MIDI device as a surface.
    ConnectSurface(String),
    /// Ask the automation (modes, write enable, pass history, times).
    Automation(Request),
    Quit,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Overlay {
    None,
    Detail,
    Automation,
    Help,
}

#[derive(Clone, Debug, PartialEq)]
pub enum PromptFor {
    Value(ParamIndex),
    VersionName,
    Target,
    /// Where channel N's output goes: one of `choices`.
    Route(usize),
    /// A bus for channel N to send to: one of `choices`.
    AddSend(usize),
    /// A MIDI device to connect as a surface: one of `choices`.
    Surface,
    /// A name for pass N.
    PassName(u32),
    GlideTime,
    IdleTime,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Prompt {
    pub purpose: PromptFor,
    /// What was typed; when there are choices, the start of the one wanted.
    pub text: String,
    /// The answers to pick from (←/→ or typing); empty when the answer is typed.
    pub choices: Vec<String>,
    pub choice: usize,
}

impl Prompt {
    fn typed(purpose: PromptFor, text: String) -> Option<Prompt> {
        Some(Prompt { purpose, text, choices: Vec::new(), choice: 0 })
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Status {
    pub text: String,
    pub error: bool,
    until_s: f64,
}

/// Meter state of one channel, with UI-side ballistics.
#[derive(Clone, Copy, Debug, Default)]
pub struct ChannelMeter {
    pub sides: [PeakMeter; 2],
    pub input: PeakMeter,
    pub gain_reduction_db: f32,
}

/// Peaks the master should reach: the mix leaves room for mastering.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PeakTarget {
    pub low_db: f32,
    pub high_db: f32,
}

impl Default for PeakTarget {
    fn default() -> Self {
        Self { low_db: -10.0, high_db: -6.0 }
    }
}

/// One step of undo: a parameter change (repeats on one parameter within `GESTURE_S`
/// are one step), a reroute, or a send added or removed.
#[derive(Clone, Debug, PartialEq)]
enum Edit {
    Param {
        param: ParamIndex,
        before: f32,
        after: f32,
        at_s: f64,
    },
    Output {
        channel: usize,
        before: String,
        after: String,
    },
    /// `values`: the send's level, pre and mute as they were before it was removed.
    Send {
        channel: usize,
        bus: String,
        added: bool,
        values: Vec<(ParamIndex, f32)>,
    },
}

const GESTURE_S: f64 = 1.0;
const STATUS_S: f64 = 4.0;
const NUDGE_S: f64 = 1.0;

pub struct App {
    pub name: String,
    /// The file saves go to: a session's `session.yaml`, or a layout (saved as a new session folder).
    pub file: PathBuf,
    /// The session's structure as it stands (routing, which sends exist); the values are in `values`.
    doc: SessionDoc,
    /// `doc` as last loaded or saved.
    saved_doc: SessionDoc,
    pub table: ParamTable,
    pub values: ParamValues,
    /// Values as in `doc`: what is unsaved is what differs from these.
    saved_values: ParamValues,
    pub channels: Vec<ChannelInfo>,
    pub selected: usize,
    pub bank_start: usize,
    pub overlay: Overlay,
    pub detail_row: usize,
    pub help_scroll: u16,
    pub prompt: Option<Prompt>,
    pub meters: Vec<ChannelMeter>,
    pub readings: Readings,
    pub info: EngineInfo,
    pub target: PeakTarget,
    pub loop_on: bool,
    pub loop_start: Option<u64>,
    pub loop_end: Option<u64>,
    pub status: Option<Status>,
    done: Vec<Edit>,
    undone: Vec<Edit>,
    quit_armed: bool,
    /// Everything said, for a front end that prints it (`None`: the status line is enough).
    replies: Option<Vec<Reply>>,
    pub size: (u16, u16),
    pub monochrome: bool,
    /// The control surfaces, as they last reported.
    pub surfaces: Vec<SurfaceStatus>,
    /// Unmotorised controls that have not picked their parameter up: where they sit (0..1).
    pub pickups: HashMap<ParamIndex, f32>,
    /// Channels whose fader a hand is on (surface touch sensors).
    pub touched: HashSet<usize>,
    /// What MIDI learn waits to bind (`Bass fader`), while it waits.
    pub learning: Option<String>,
    /// The channel whose fader the mouse is dragging.
    dragging: Option<usize>,
    pub automation: AutomationPanel,
}

/// A control surface as the console shows it.
#[derive(Clone, Debug, PartialEq)]
pub struct SurfaceStatus {
    pub device: String,
    pub state: LinkState,
    /// The channels it shows: first and how many (until it pages: from the first strip).
    pub bank: Option<(usize, usize)>,
}

impl App {
    /// The strip (from 0) of a connected surface that channel `index` is on, if any.
    pub fn surface_slot(&self, index: usize) -> Option<usize> {
        self.surfaces.iter().filter(|s| matches!(s.state, LinkState::Connected { .. })).find_map(|s| {
            let (first, width) = s.bank?;
            // The master is never on a bank: surfaces reach it with master.* controls.
            (index + 1 < self.channels.len() && (first..first + width).contains(&index)).then(|| index - first)
        })
    }

    pub fn new(doc: SessionDoc, file: PathBuf, table: ParamTable, values: ParamValues, info: EngineInfo) -> App {
        let channels = channel_infos(&doc, &table);
        let meters = vec![ChannelMeter::default(); channels.len()];
        App {
            name: doc.name.clone(),
            file,
            saved_doc: doc.clone(),
            doc,
            saved_values: values.clone(),
            values,
            table,
            selected: 0,
            bank_start: 0,
            overlay: Overlay::None,
            detail_row: 0,
            help_scroll: 0,
            prompt: None,
            meters,
            readings: Readings::default(),
            info,
            target: PeakTarget::default(),
            loop_on: false,
            loop_start: None,
            loop_end: None,
            status: None,
            done: Vec::new(),
            undone: Vec::new(),
            quit_armed: false,
            replies: None,
            size: (80, 24),
            monochrome: false,
            surfaces: Vec::new(),
            pickups: HashMap::new(),
            touched: HashSet::new(),
            learning: None,
            dragging: None,
            automation: AutomationPanel::default(),
            channels,
        }
    }

    /// Whether the mix differs from the saved session.
    pub fn is_dirty(&self) -> bool {
        self.values != self.saved_values || self.doc != self.saved_doc
    }

    pub fn selected_channel(&self) -> &ChannelInfo {
        &self.channels[self.selected]
    }

    /// Whether any channel is soloed (others not solo-safe are then silent).
    pub fn solo_active(&self) -> bool {
        self.channels.iter().any(|c| self.on(c.solo))
    }

    /// Whether a switch is on, as it sounds now (automation may be playing it).
    pub fn on(&self, param: ParamIndex) -> bool {
        self.shown(param) >= 0.5
    }

    /// Strips and buses that fit beside the master at the current size.
    pub fn per_bank(&self) -> usize {
        view::strips_per_bank(self.size.0)
    }

    /// The channels in the bank on screen (the master is always shown besides).
    pub fn bank(&self) -> std::ops::Range<usize> {
        let end = (self.bank_start + self.per_bank()).min(self.channels.len() - 1);
        self.bank_start..end
    }

    pub fn update(&mut self, msg: Msg) -> Vec<Effect> {
        let mut effects = Vec::new();
        match msg {
            Msg::Key(key) => self.key(key, &mut effects),
            Msg::Mouse(mouse) => self.mouse(mouse, &mut effects),
            Msg::Resize(w, h) => {
                self.size = (w, h);
                self.follow_selection();
            }
            Msg::Readings(r) => self.take_readings(r),
            Msg::Saved(Ok((files, doc))) => {
                self.saved_values = self.values.clone();
                self.file = files[0].clone();
                self.doc = *doc;
                self.saved_doc = self.doc.clone();
                let names: Vec<String> = files.iter().map(|f| f.display().to_string()).collect();
                self.say(format!("saved {}", names.join(" and ")), false);
            }
            Msg::Saved(Err(e)) => self.say(format!("not saved: {e}"), true),
            Msg::Problem(e) => self.say(e, true),
            Msg::Info(text) => self.say(text, false),
            Msg::SurfaceDevices(Ok(devices)) => self.ask_surface(devices),
            Msg::SurfaceDevices(Err(e)) => self.say(format!("cannot list MIDI devices: {e}"), true),
            Msg::Surface(event) => self.surface_event(event, &mut effects),
            Msg::Passes(store) => self.take_store(*store),
            Msg::Typed(typed) => self.typed(typed, &mut effects),
        }
        effects
    }

    /// From now on, keeps everything the app says for `take_replies` (a front end that prints).
    pub fn keep_replies(&mut self) {
        self.replies.get_or_insert_with(Vec::new);
    }

    /// What the app said since the last call, in order.
    pub fn take_replies(&mut self) -> Vec<Reply> {
        self.replies.as_mut().map(std::mem::take).unwrap_or_default()
    }

    fn surface_event(&mut self, event: SurfaceEvent, effects: &mut Vec<Effect>) {
        match event {
            SurfaceEvent::Param { param, value } => {
                // The surface sent it to the engine itself: record it (for undo), do not echo it.
                self.pickups.remove(&param);
                let mut echo = Vec::new();
                self.set(param, value, &mut echo);
            }
            SurfaceEvent::Pickup { param, position } => {
                self.pickups.insert(param, position);
            }
            SurfaceEvent::Touch { channel, touched: true } => {
                self.touched.insert(channel);
            }
            SurfaceEvent::Touch { channel, touched: false } => {
                self.touched.remove(&channel);
            }
            SurfaceEvent::Bank { device, first, width } => {
                // Pickup positions belonged to the controls' old strips.
                self.pickups.clear();
                if let Some(s) = self.surfaces.iter_mut().find(|s| s.device == device) {
                    s.bank = Some((first, width));
                }
            }
            SurfaceEvent::Transport(action) => {
                let perform = match action {
                    TransportAction::Play if !self.readings.rolling => Some(Action::PlayStop),
                    TransportAction::Stop if self.readings.rolling => Some(Action::PlayStop),
                    TransportAction::Play | TransportAction::Stop => None,
                    TransportAction::PlayStop => Some(Action::PlayStop),
                    TransportAction::LocateStart => Some(Action::LocateStart),
                    TransportAction::Rewind => Some(Action::NudgeBack),
                    TransportAction::Forward => Some(Action::NudgeForward),
                    TransportAction::Loop => Some(Action::LoopToggle),
                };
                if let Some(action) = perform {
                    self.perform(action, effects);
                }
            }
            SurfaceEvent::Select(channel) => self.select(channel),
            SurfaceEvent::Save => self.perform(Action::Save, effects),
            SurfaceEvent::Undo => self.perform(Action::Undo, effects),
            SurfaceEvent::Redo => self.perform(Action::Redo, effects),
            SurfaceEvent::Link { device, state } => {
                match &state {
                    LinkState::Connected { port } => self.say(format!("{device} connected on {port}"), false),
                    LinkState::Waiting { pattern } if self.surfaces.iter().any(|s| s.device == device) => self
                        .say(format!("{device} is gone (unplugged?); waiting for a port matching \"{pattern}\""), true),
                    LinkState::Waiting { .. } => {}
                    LinkState::Failed(why) => self.say(format!("{device}: {why}"), true),
                }
                match self.surfaces.iter_mut().find(|s| s.device == device) {
                    Some(s) => s.state = state,
                    None => self.surfaces.push(SurfaceStatus { device, state, bank: None }),
                }
            }
            SurfaceEvent::Learned { device, binding, saved } => {
                self.learning = None;
                match saved {
                    Ok(file) => self.say(format!("{device}: {binding}, kept in {}", file.display()), false),
                    Err(why) => self.say(format!("{device}: {binding}, for now only: not saved: {why}"), true),
                }
            }
            SurfaceEvent::Automation(mode) => self.perform(Action::StripMode(mode), effects),
        }
    }

    fn take_readings(&mut self, r: Readings) {
        let dt = (r.now_s - self.readings.now_s).clamp(0.0, 0.5) as f32;
        for (meter, reading) in self.meters.iter_mut().zip(&r.channels) {
            for (side, peak) in meter.sides.iter_mut().zip(reading.peak) {
                side.update(peak, dt);
            }
            meter.input.update(reading.input_peak, dt);
            meter.gain_reduction_db = reading.gain_reduction_db;
        }
        if self.status.as_ref().is_some_and(|s| r.now_s > s.until_s) {
            self.status = None;
        }
        if self.automation.write_asked == Some(r.write_enabled) {
            self.automation.write_asked = None;
        }
        // Where automation lets go of a parameter (a glide ends, a lane or a mode goes), the
        // console's target takes the value it left, which is what the engine keeps.
        for (i, (was, now)) in self.readings.automation.iter().zip(&r.automation).enumerate() {
            if was.drives() && !now.drives() {
                self.values.set(ParamIndex(i as u32), now.played);
            }
        }
        self.readings = r;
    }

    /// Arms MIDI learn for the parameter under the cursor in the detail, else the strip's fader.
    fn learn(&mut self, detail_param: ParamIndex, effects: &mut Vec<Effect>) {
        if !self.surfaces.iter().any(|s| matches!(s.state, LinkState::Connected { .. })) {
            return self.say("MIDI learn needs a connected surface (--controller, --surface)".into(), true);
        }
        let ch = self.selected_channel();
        let param = if self.lists_params() { detail_param } else { ch.fader };
        let control = [
            (ch.fader, StripControl::Fader),
            (ch.pan, StripControl::Pan),
            (ch.mute, StripControl::Mute),
            (ch.solo, StripControl::Solo),
            (ch.solo_safe, StripControl::SoloSafe),
        ]
        .into_iter()
        .find_map(|(p, control)| (p == param).then_some(control));
        let spec = self.table.spec(param);
        let what =
            format!("{} {}", ch.name, spec.id.rsplit_once(&format!("{}.", ch.name)).map_or(&*spec.id, |(_, p)| p));
        effects.push(Effect::Learn(LearnRequest {
            channel: self.selected,
            param,
            param_id: spec.id.clone(),
            control,
            switch: spec.unit == Unit::Toggle,
        }));
        self.learning = Some(what);
    }

    fn say(&mut self, text: String, error: bool) {
        if let Some(replies) = &mut self.replies {
            replies.push(Reply { text: text.clone(), problem: error });
        }
        self.status = Some(Status { text, error, until_s: self.readings.now_s + STATUS_S });
    }

    fn key(&mut self, key: KeyEvent, effects: &mut Vec<Effect>) {
        if self.prompt.is_some() {
            return self.prompt_key(key, effects);
        }
        let scope = match self.overlay {
            Overlay::Detail => Scope::Detail,
            Overlay::Automation => Scope::Automation,
            _ => Scope::Console,
        };
        let Some(action) = keys::action_for(key, scope) else { return };
        if action != Action::Quit {
            self.quit_armed = false;
        }
        if self.overlay == Overlay::Help {
            // Help is read-only: scroll it, or leave it with any other key.
            match action {
                Action::Down => self.help_scroll = self.help_scroll.saturating_add(1),
                Action::Up => self.help_scroll = self.help_scroll.saturating_sub(1),
                Action::Quit => self.perform(action, effects),
                _ => self.overlay = Overlay::None,
            }
            return;
        }
        self.perform(action, effects);
    }

    fn perform(&mut self, action: Action, effects: &mut Vec<Effect>) {
        if self.automation_action(action, effects) {
            return;
        }
        let ch = self.selected_channel().clone();
        let detail_param = self.detail_param();
        let listing = self.lists_params();
        match action {
            Action::SelectLeft => self.select(self.selected.saturating_sub(1)),
            Action::SelectRight => self.select(self.selected + 1),
            Action::BankLeft => self.select(self.selected.saturating_sub(self.per_bank())),
            Action::BankRight => self.select(self.selected + self.per_bank()),
            Action::Up | Action::Down if listing => {
                let last = self.detail_params().len().saturating_sub(1);
                self.detail_row = if action == Action::Up {
                    self.detail_row.saturating_sub(1)
                } else {
                    (self.detail_row + 1).min(last)
                };
            }
            Action::Up => self.step(ch.fader, 1.0, false, effects),
            Action::Down => self.step(ch.fader, -1.0, false, effects),
            Action::UpCoarse => self.step(ch.fader, 1.0, true, effects),
            Action::DownCoarse => self.step(ch.fader, -1.0, true, effects),
            Action::Adjust(d) => self.step(detail_param, d as f32, false, effects),
            Action::AdjustCoarse(d) => self.step(detail_param, d as f32, true, effects),
            Action::Reset => {
                let param = if listing { detail_param } else { ch.fader };
                let default = self.table.spec(param).default;
                self.set(param, default, effects);
            }
            Action::TypeValue => {
                let param = if listing { detail_param } else { ch.fader };
                self.prompt = Prompt::typed(PromptFor::Value(param), String::new());
            }
            Action::PanLeft => self.step(ch.pan, -1.0, false, effects),
            Action::PanRight => self.step(ch.pan, 1.0, false, effects),
            Action::PanCentre => self.set(ch.pan, 0.0, effects),
            Action::Mute => self.toggle(ch.mute, effects),
            Action::Solo => self.toggle(ch.solo, effects),
            Action::SoloSafe => self.toggle(ch.solo_safe, effects),
            Action::Detail | Action::AutomationView => {
                let wanted = if action == Action::Detail { Overlay::Detail } else { Overlay::Automation };
                self.overlay = if self.overlay == wanted { Overlay::None } else { wanted };
                self.detail_row = self.detail_row.min(self.detail_params().len().saturating_sub(1));
                // Automation opens on the fader, the lane most ridden, unless the cursor is on a lane.
                if self.overlay == Overlay::Automation
                    && !self.automation.lanes.contains_key(&self.detail_param())
                    && let Some(row) = self.detail_params().iter().position(|&p| p == ch.fader)
                {
                    self.detail_row = row;
                }
            }
            Action::Route => self.ask_route(),
            Action::AddSend => self.ask_send(),
            Action::RemoveSend => self.remove_send(detail_param, effects),
            Action::PlayStop => effects.push(Effect::Transport(if self.readings.rolling {
                TransportRequest::Stop
            } else {
                TransportRequest::Play
            })),
            Action::LocateStart => effects.push(Effect::Transport(TransportRequest::Locate(0))),
            Action::NudgeBack | Action::NudgeForward => {
                let nudge = (NUDGE_S * self.info.sample_rate as f64) as u64;
                let frame = self.readings.frame;
                let to = if action == Action::NudgeBack { frame.saturating_sub(nudge) } else { frame + nudge };
                effects.push(Effect::Transport(TransportRequest::Locate(to)));
            }
            Action::LoopIn | Action::LoopOut => {
                let frame = self.readings.frame;
                if action == Action::LoopIn {
                    self.loop_start = Some(frame)
                } else {
                    self.loop_end = Some(frame)
                }
                self.say(format!("loop {}", self.loop_text()), false);
                self.send_loop(effects);
            }
            Action::LoopToggle => match (self.loop_start, self.loop_end) {
                (Some(start), Some(end)) if end > start => {
                    self.loop_on = !self.loop_on;
                    self.say(format!("loop {} {}", if self.loop_on { "on:" } else { "off:" }, self.loop_text()), false);
                    self.send_loop(effects);
                }
                _ => self.say("set the loop start (i) and end (o) first, end after start".into(), true),
            },
            Action::Save => self.save(None, effects),
            Action::SaveVersion => {
                self.prompt = Prompt::typed(PromptFor::VersionName, String::new());
            }
            Action::Undo => self.undo(effects),
            Action::Redo => self.redo(effects),
            Action::ClearClips => {
                for m in &mut self.meters {
                    m.sides.iter_mut().chain([&mut m.input]).for_each(|s| s.clipped = false);
                }
                self.say("clip lights cleared".into(), false);
            }
            Action::SetTarget => {
                let text = format!("{} {}", self.target.low_db, self.target.high_db);
                self.prompt = Prompt::typed(PromptFor::Target, text);
            }
            Action::Help => self.overlay = if self.overlay == Overlay::Help { Overlay::None } else { Overlay::Help },
            Action::Close if self.learning.take().is_some() => {
                effects.push(Effect::CancelLearn);
                self.say("MIDI learn cancelled".into(), false);
            }
            Action::Close => self.overlay = Overlay::None,
            Action::Learn => self.learn(detail_param, effects),
            Action::ConnectSurface => effects.push(Effect::ListSurfaceDevices),
            // Handled by `automation_action` above.
            Action::WriteEnable
            | Action::StripMode(_)
            | Action::ParamMode(_)
            | Action::PassUp
            | Action::PassDown
            | Action::PassToggle
            | Action::PassName
            | Action::PassUndo
            | Action::PassRedo
            | Action::GlideTime
            | Action::IdleTime => {}
            Action::Quit => {
                if self.is_dirty() && !self.quit_armed {
                    self.quit_armed = true;
                    self.say("unsaved changes: q again quits without saving, Ctrl-S saves".into(), true);
                } else {
                    effects.push(Effect::Quit);
                }
            }
        }
    }

    /// Whether the strip's parameters are listed (the detail, the automation view): keys
    /// then act on the one under the cursor rather than the fader.
    fn lists_params(&self) -> bool {
        matches!(self.overlay, Overlay::Detail | Overlay::Automation)
    }

    fn loop_text(&self) -> String {
        let at = |f: Option<u64>| f.map_or("?".to_string(), |f| view::clock(f, self.info.sample_rate));
        format!("{} – {}", at(self.loop_start), at(self.loop_end))
    }

    fn send_loop(&self, effects: &mut Vec<Effect>) {
        if let (Some(start), Some(end)) = (self.loop_start, self.loop_end) {
            effects.push(Effect::Loop { on: self.loop_on && end > start, start, end });
        }
    }

    /// The parameter under the detail's cursor.
    pub fn detail_param(&self) -> ParamIndex {
        let params = self.detail_params();
        params[self.detail_row.min(params.len() - 1)]
    }

    /// The selected channel's parameters as the detail lists them: all but the sends it
    /// does not use (every channel can send to every bus; `a` adds one to the list).
    pub fn detail_params(&self) -> Vec<ParamIndex> {
        let ch = self.selected_channel();
        let used = self.sends_in_use(self.selected);
        ch.params
            .iter()
            .copied()
            .filter(|&p| match self.table.spec(p).section {
                Section::Send(bus) => used.iter().any(|(_, send)| send.bus == bus as usize),
                _ => true,
            })
            .collect()
    }

    /// The buses channel `index` sends to, with the send's parameters: those its document
    /// lists, and any other whose send level is up (moved from a controller, say), in layout order.
    pub fn sends_in_use(&self, index: usize) -> Vec<(String, SendParams)> {
        let Some(doc) = self.channel_doc(index) else { return Vec::new() };
        let ch = &self.channels[index];
        self.doc
            .buses
            .iter()
            .enumerate()
            .filter_map(|(b, bus)| Some((bus, *ch.send_to(b)?)))
            .filter(|(bus, send)| {
                doc.sends.iter().any(|s| s.bus == bus.name) || self.values.get(send.level) > FADER_FLOOR_DB
            })
            .map(|(bus, send)| (bus.name.clone(), send))
            .collect()
    }

    /// The layout index of the bus named `name`.
    fn bus_index(&self, name: &str) -> Option<usize> {
        self.doc.buses.iter().position(|b| b.name == name)
    }

    /// Channel `index`'s part of the working document (`None` for the master, which neither sends nor routes).
    fn channel_doc(&self, index: usize) -> Option<&ChannelDoc> {
        let ch = &self.channels[index];
        match ch.kind {
            ChannelKind::Strip => self.doc.strips.iter().find(|c| c.name == ch.name),
            ChannelKind::Group | ChannelKind::Fx => self.doc.buses.iter().find(|c| c.name == ch.name),
            ChannelKind::Master => None,
        }
    }

    fn channel_doc_mut(&mut self, index: usize) -> Option<&mut ChannelDoc> {
        let ch = &self.channels[index];
        match ch.kind {
            ChannelKind::Strip => self.doc.strips.iter_mut().find(|c| c.name == ch.name),
            ChannelKind::Group | ChannelKind::Fx => self.doc.buses.iter_mut().find(|c| c.name == ch.name),
            ChannelKind::Master => None,
        }
    }

    /// Whether the session would still run with `change` made to channel `index`'s document:
    /// buses must not feed each other in a loop.
    fn allows(&self, index: usize, change: impl FnOnce(&mut ChannelDoc)) -> bool {
        let mut doc = self.current_doc();
        let ch = &self.channels[index];
        let target = match ch.kind {
            ChannelKind::Strip => return true,
            ChannelKind::Master => return false,
            _ => doc.buses.iter_mut().find(|c| c.name == ch.name),
        };
        target.map(change).is_some() && doc.bus_order().is_ok()
    }

    fn ask_route(&mut self) {
        let index = self.selected;
        if self.channels[index].kind == ChannelKind::Master {
            return self.say("the master goes to the outputs; pick a strip or a bus to route".into(), true);
        }
        let name = self.channels[index].name.clone();
        let choices: Vec<String> = std::iter::once(MASTER.to_string())
            .chain(self.doc.buses.iter().map(|b| b.name.clone()))
            .filter(|target| *target != name && self.allows(index, |c| c.output = Some(target.clone())))
            .collect();
        let current = self.channels[index].output.clone();
        let choice = choices.iter().position(|c| *c == current).unwrap_or(0);
        self.prompt = Some(Prompt { purpose: PromptFor::Route(index), text: String::new(), choices, choice });
    }

    /// Offers the MIDI devices not connected already.
    fn ask_surface(&mut self, devices: Vec<String>) {
        let connected = |device: &String| {
            let prefix = format!("{device}:");
            self.surfaces.iter().any(|s| matches!(&s.state, LinkState::Connected { port } if port.starts_with(&prefix)))
        };
        let choices: Vec<String> = devices.into_iter().filter(|d| !connected(d)).collect();
        if choices.is_empty() {
            return self.say("no MIDI device to connect: every one present is connected".into(), true);
        }
        self.prompt = Some(Prompt { purpose: PromptFor::Surface, text: String::new(), choices, choice: 0 });
    }

    fn ask_send(&mut self) {
        let index = self.selected;
        if self.channels[index].kind == ChannelKind::Master {
            return self.say("the master has no sends".into(), true);
        }
        let name = self.channels[index].name.clone();
        let used = self.sends_in_use(index);
        let choices: Vec<String> = self
            .doc
            .buses
            .iter()
            .map(|b| b.name.clone())
            .filter(|bus| *bus != name && !used.iter().any(|(used, _)| used == bus))
            .filter(|bus| self.allows(index, |c| c.sends.push(unused_send(bus))))
            .collect();
        if choices.is_empty() {
            return self.say(format!("{name} sends to every bus it can already"), true);
        }
        self.prompt = Some(Prompt { purpose: PromptFor::AddSend(index), text: String::new(), choices, choice: 0 });
    }

    /// Routes channel `index` to `target` (a bus or the master) in the document and the engine.
    fn route(&mut self, index: usize, target: &str, effects: &mut Vec<Effect>) {
        let bus = self.doc.buses.iter().position(|b| b.name == target);
        if let Some(doc) = self.channel_doc_mut(index) {
            doc.output = (target != MASTER).then(|| target.to_string());
        }
        self.channels[index].output = target.to_string();
        effects.push(Effect::Engine(Command::SetOutput { channel: index, bus }));
    }

    /// Adds (`present`) or removes channel `index`'s send to `bus` in the document, and sets
    /// the send's parameters to `values`.
    fn place_send(
        &mut self,
        index: usize,
        bus: &str,
        present: bool,
        values: &[(ParamIndex, f32)],
        effects: &mut Vec<Effect>,
    ) {
        if let Some(doc) = self.channel_doc_mut(index) {
            doc.sends.retain(|s| s.bus != bus);
            if present {
                doc.sends.push(unused_send(bus));
            }
        }
        for &(param, value) in values {
            self.apply(param, value, effects);
        }
    }

    /// The level, pre and mute parameters of channel `index`'s send to `bus`.
    fn send_params(&self, index: usize, bus: &str) -> Vec<ParamIndex> {
        let send = self.bus_index(bus).and_then(|b| self.channels[index].send_to(b));
        send.map_or_else(Vec::new, |s| vec![s.level, s.pre, s.mute])
    }

    fn remove_send(&mut self, param: ParamIndex, effects: &mut Vec<Effect>) {
        let index = self.selected;
        let Section::Send(bus) = self.table.spec(param).section else {
            return self.say("x removes a send: put the cursor on one of the send's rows".into(), true);
        };
        let bus = self.doc.buses[bus as usize].name.clone();
        let params = self.send_params(index, &bus);
        let values: Vec<(ParamIndex, f32)> = params.iter().map(|&p| (p, self.values.get(p))).collect();
        let silent: Vec<(ParamIndex, f32)> = params.iter().map(|&p| (p, self.table.spec(p).min)).collect();
        self.place_send(index, &bus, false, &silent, effects);
        self.record(Edit::Send { channel: index, bus: bus.clone(), added: false, values });
        self.detail_row = self.detail_row.min(self.detail_params().len().saturating_sub(1));
        self.say(format!("removed the send from {} to {bus} (u undoes)", self.channels[index].name), false);
    }

    /// Files an edit for undo; a new edit makes the redo history obsolete.
    fn record(&mut self, edit: Edit) {
        self.undone.clear();
        self.done.push(edit);
    }

    fn select(&mut self, index: usize) {
        // The master is reached by moving past the last bus.
        self.selected = index.min(self.channels.len() - 1);
        let params = self.detail_params().len();
        self.detail_row = self.detail_row.min(params.saturating_sub(1));
        self.follow_selection();
    }

    /// Keeps the selected strip in the bank on screen, paging by whole banks.
    fn follow_selection(&mut self) {
        let per_bank = self.per_bank().max(1);
        let master = self.channels.len() - 1;
        if self.selected == master {
            return;
        }
        if !self.bank().contains(&self.selected) {
            self.bank_start = self.selected / per_bank * per_bank;
        }
    }

    fn step(&mut self, param: ParamIndex, direction: f32, coarse: bool, effects: &mut Vec<Effect>) {
        // From where it is shown: a ride taking over from a lane starts where the lane is.
        let spec = self.table.spec(param);
        let next = spec.step(self.shown(param), direction, coarse);
        let end = if direction > 0.0 { spec.max } else { spec.min };
        if next == end && !spec.is_discrete() {
            // Stepped to the end of its range: it stops there, and says so.
            let which = if direction > 0.0 { "top" } else { "bottom" };
            self.say(format!("{} is at the {which} of its range ({})", spec.id, spec.format(end)), false);
        }
        self.set(param, next, effects);
    }

    fn toggle(&mut self, param: ParamIndex, effects: &mut Vec<Effect>) {
        self.set(param, if self.on(param) { 0.0 } else { 1.0 }, effects);
    }

    /// A hand on the console sets a parameter: the target changes, goes to the engine as
    /// a move (automation sees a touch) and is recorded for undo.
    /// A hand on the control (the console's keys, mouse and prompt, a surface).
    fn set(&mut self, param: ParamIndex, value: f32, effects: &mut Vec<Effect>) {
        self.set_value(param, value, true, effects);
    }

    /// Changes a parameter's target, as one undo step with the changes of the same gesture;
    /// `by_hand` makes it a move (a touch for automation) rather than a value put in place.
    fn set_value(&mut self, param: ParamIndex, value: f32, by_hand: bool, effects: &mut Vec<Effect>) {
        let value = self.table.spec(param).constrain(value);
        let before = self.values.get(param);
        // A hand held still is still on the control (it keeps automation's touch); a value
        // put in place where it already is changes nothing.
        if value == before && value == self.shown(param) && !by_hand {
            return;
        }
        self.values.set(param, value);
        effects.push(Effect::Engine(if by_hand {
            Command::Move { param, value }
        } else {
            Command::SetParam { param, value }
        }));
        self.warn_if_lane_plays(param);
        if value == before {
            // A move over a lane that does not change the target: nothing to undo.
            return;
        }
        let now = self.readings.now_s;
        if let Some(Edit::Param { param: last, after, at_s, .. }) = self.done.last_mut()
            && *last == param
            && now - *at_s < GESTURE_S
        {
            *after = value;
            *at_s = now;
            self.undone.clear();
            return;
        }
        self.record(Edit::Param { param, before, after: value, at_s: now });
    }

    /// Sets a parameter without a hand on it (undo, a send taken out): automation sees no touch.
    fn apply(&mut self, param: ParamIndex, value: f32, effects: &mut Vec<Effect>) {
        self.values.set(param, value);
        effects.push(Effect::Engine(Command::SetParam { param, value }));
    }

    fn undo(&mut self, effects: &mut Vec<Effect>) {
        self.step_history(false, effects);
    }

    fn redo(&mut self, effects: &mut Vec<Effect>) {
        self.step_history(true, effects);
    }

    /// Takes the newest edit off one history (undone for redo, done for undo), plays it
    /// forward or back, and files it on the other.
    fn step_history(&mut self, forward: bool, effects: &mut Vec<Effect>) {
        let word = if forward { "redo" } else { "undo" };
        let popped = if forward { self.undone.pop() } else { self.done.pop() };
        let Some(mut edit) = popped else {
            return self.say(format!("nothing to {word}"), false);
        };
        let what = match &mut edit {
            Edit::Param { param, before, after, at_s } => {
                let value = if forward { *after } else { *before };
                self.apply(*param, value, effects);
                // Stamped as old so the next change starts its own step.
                *at_s = f64::NEG_INFINITY;
                let spec = self.table.spec(*param);
                format!("{} to {}", spec.id, spec.format(value))
            }
            Edit::Output { channel, before, after } => {
                let target = if forward { after.clone() } else { before.clone() };
                self.route(*channel, &target, effects);
                format!("{} → {target}", self.channels[*channel].name)
            }
            Edit::Send { channel, bus, added, values } => {
                let present = *added == forward;
                let restore: Vec<(ParamIndex, f32)> = if present {
                    values.clone()
                } else {
                    self.send_params(*channel, bus).into_iter().map(|p| (p, self.table.spec(p).min)).collect()
                };
                self.place_send(*channel, bus, present, &restore, effects);
                let verb = if present { "added" } else { "removed" };
                format!("{verb} the send from {} to {bus}", self.channels[*channel].name)
            }
        };
        self.say(format!("{word}: {what}"), false);
        if forward {
            self.done.push(edit)
        } else {
            self.undone.push(edit)
        }
        self.detail_row = self.detail_row.min(self.detail_params().len().saturating_sub(1));
    }

    fn prompt_key(&mut self, key: KeyEvent, effects: &mut Vec<Effect>) {
        let Some(prompt) = self.prompt.as_mut() else { return };
        if !prompt.choices.is_empty() {
            return self.choice_key(key, effects);
        }
        match key.code {
            KeyCode::Esc => self.prompt = None,
            KeyCode::Backspace => {
                prompt.text.pop();
            }
            KeyCode::Char('c') if key.modifiers == KeyModifiers::CONTROL => self.prompt = None,
            KeyCode::Char(c) => prompt.text.push(c),
            KeyCode::Enter => {
                let Prompt { purpose, text, .. } = self.prompt.take().expect("prompt is open");
                self.submit(purpose, &text, effects);
            }
            _ => {}
        }
    }

    /// A key while picking one of a prompt's choices: arrows and Tab move, typing jumps to
    /// the first choice that starts with what was typed, Enter takes it.
    fn choice_key(&mut self, key: KeyEvent, effects: &mut Vec<Effect>) {
        let Some(prompt) = self.prompt.as_mut() else { return };
        let count = prompt.choices.len();
        match key.code {
            KeyCode::Esc => self.prompt = None,
            KeyCode::Char('c') if key.modifiers == KeyModifiers::CONTROL => self.prompt = None,
            KeyCode::Right | KeyCode::Down | KeyCode::Tab => prompt.choice = (prompt.choice + 1) % count,
            KeyCode::Left | KeyCode::Up | KeyCode::BackTab => prompt.choice = (prompt.choice + count - 1) % count,
            KeyCode::Backspace => {
                prompt.text.pop();
            }
            KeyCode::Char(c) => {
                let typed = format!("{}{c}", prompt.text).to_lowercase();
                if let Some(i) = prompt.choices.iter().position(|n| n.to_lowercase().starts_with(&typed)) {
                    prompt.text.push(c);
                    prompt.choice = i;
                }
            }
            KeyCode::Enter => {
                let Prompt { purpose, choices, choice, .. } = self.prompt.take().expect("prompt is open");
                self.submit(purpose, &choices[choice], effects);
            }
            _ => {}
        }
    }

    fn submit(&mut self, purpose: PromptFor, text: &str, effects: &mut Vec<Effect>) {
        match purpose {
            PromptFor::Value(param) => match self.table.spec(param).parse(text) {
                Ok(value) => self.set(param, value, effects),
                Err(e) => self.say(e, true),
            },
            PromptFor::VersionName => self.save_version(text, effects),
            PromptFor::Route(index) => {
                let before = self.channels[index].output.clone();
                if before != text {
                    self.route(index, text, effects);
                    let edit = Edit::Output { channel: index, before, after: text.to_string() };
                    self.record(edit);
                }
                self.say(format!("{} → {text}", self.channels[index].name), false);
            }
            PromptFor::AddSend(index) => {
                self.place_send(index, text, true, &[], effects);
                self.record(Edit::Send { channel: index, bus: text.to_string(), added: true, values: Vec::new() });
                let name = self.channels[index].name.clone();
                // Open the detail on the new send's level, ready to bring it up.
                self.overlay = Overlay::Detail;
                let level = self.send_params(index, text).first().copied();
                if let Some(row) = self.detail_params().iter().position(|p| Some(*p) == level) {
                    self.detail_row = row;
                }
                self.say(format!("{name} sends to {text} (at -inf: ←/→ raises it)"), false);
            }
            PromptFor::Surface => effects.push(Effect::ConnectSurface(text.to_string())),
            PromptFor::PassName(id) => effects.push(Effect::Automation(Request::Rename(id, text.to_string()))),
            PromptFor::GlideTime => self.set_time(true, text, effects),
            PromptFor::IdleTime => self.set_time(false, text, effects),
            PromptFor::Target => {
                let numbers: Vec<f32> = text.split_whitespace().filter_map(|w| w.parse().ok()).collect();
                match numbers.as_slice() {
                    &[low, high] if low < high && high <= 0.0 => {
                        self.target = PeakTarget { low_db: low, high_db: high };
                        self.say(format!("peak target {low} .. {high} dBFS"), false);
                    }
                    _ => self.say(
                        format!(
                            "expected two levels in dBFS, low then high, at most 0 (e.g. -10 -6), found \"{text}\""
                        ),
                        true,
                    ),
                }
            }
        }
    }

    /// The session document with the mix as it stands.
    pub fn current_doc(&self) -> SessionDoc {
        doc_with_values(&self.doc, &self.table, &self.saved_values, &self.values)
    }

    /// Saves, and keeps a copy named `name` (letters, digits and dashes) and dated in `versions/`.
    fn save_version(&mut self, name: &str, effects: &mut Vec<Effect>) {
        let name: String = name.trim().chars().map(|c| if c.is_alphanumeric() || c == '-' { c } else { '_' }).collect();
        if name.is_empty() {
            return self.say("a version needs a name".into(), true);
        }
        self.save(Some(name), effects);
    }

    fn save(&mut self, version: Option<String>, effects: &mut Vec<Effect>) {
        let doc = Box::new(self.current_doc());
        let (file, new_folder) = if self.file.file_name().is_some_and(|n| n == "session.yaml") {
            (self.file.clone(), None)
        } else {
            // A layout is a template: the mix goes to a session folder of its own, next to where we run.
            let dir = PathBuf::from(&self.name);
            if dir.exists() {
                return self.say(
                    format!(
                        "not saved: {}/ exists already; open it (`headroom {}/`) to carry on that session",
                        dir.display(),
                        dir.display()
                    ),
                    true,
                );
            }
            (dir.join("session.yaml"), Some(self.file.parent().unwrap_or(Path::new(".")).to_path_buf()))
        };
        let version = version.map(|name| {
            let date = chrono::Local::now().format("%Y-%m-%d-%H%M");
            file.parent().unwrap_or(Path::new(".")).join("versions").join(format!("{name}-{date}.yaml"))
        });
        effects.push(Effect::Save { file, version, doc, new_folder });
    }

    fn mouse(&mut self, m: MouseEvent, effects: &mut Vec<Effect>) {
        if self.overlay != Overlay::None || self.prompt.is_some() {
            return;
        }
        let area = Rect::new(0, 0, self.size.0, self.size.1);
        let layout = view::console_layout(area, self);
        let at = Position::new(m.column, m.row);
        let hit = layout.strips.iter().find(|(_, r)| r.contains(at)).copied();
        match m.kind {
            MouseEventKind::Down(MouseButton::Left) => {
                let Some((index, rect)) = hit else { return };
                self.select(index);
                let rows = view::strip_rows(rect);
                let ch = self.channels[index].clone();
                if rows.travel.contains(at) {
                    // A hand on the fader until the button comes up: Touch and Latch write meanwhile.
                    self.dragging = Some(index);
                    effects.push(Effect::Engine(Command::Touch { param: ch.fader, touched: true }));
                    self.fader_to(index, rows.travel, m.row, effects);
                } else if rows.buttons.contains(at) {
                    let x = m.column - rows.buttons.x;
                    let param =
                        [ch.mute, ch.mute, ch.solo, ch.solo, ch.solo_safe, ch.solo_safe].get(x as usize).copied();
                    if let Some(param) = param {
                        self.toggle(param, effects);
                    }
                } else if rows.pan.contains(at) {
                    self.set(ch.pan, 0.0, effects);
                }
            }
            MouseEventKind::Drag(MouseButton::Left) => {
                if let Some(index) = self.dragging
                    && let Some((_, rect)) = layout.strips.iter().find(|(i, _)| *i == index)
                {
                    self.fader_to(index, view::strip_rows(*rect).travel, m.row, effects);
                }
            }
            MouseEventKind::Up(_) => {
                if let Some(index) = self.dragging.take() {
                    let fader = self.channels[index].fader;
                    effects.push(Effect::Engine(Command::Touch { param: fader, touched: false }));
                }
            }
            MouseEventKind::ScrollUp | MouseEventKind::ScrollDown => {
                let Some((index, rect)) = hit else { return };
                let direction = if m.kind == MouseEventKind::ScrollUp { 1.0 } else { -1.0 };
                let ch = &self.channels[index];
                let param = if view::strip_rows(rect).pan.contains(at) { ch.pan } else { ch.fader };
                self.step(param, direction, false, effects);
            }
            _ => {}
        }
    }

    /// Moves a fader to where the mouse is on its travel.
    fn fader_to(&mut self, index: usize, travel: Rect, row: u16, effects: &mut Vec<Effect>) {
        let span = travel.height.saturating_sub(1).max(1) as f32;
        let position = 1.0 - (row.saturating_sub(travel.y) as f32 / span).clamp(0.0, 1.0);
        // Whole tenths of a dB: a mouse cannot place finer, and the value reads cleanly.
        let fader = self.channels[index].fader;
        let db = (self.table.spec(fader).value_at(position) * 10.0).round() / 10.0;
        self.set(fader, db, effects);
    }
}

/// The console's view of every channel, in engine order (strips, buses, master last).
fn channel_infos(doc: &SessionDoc, table: &ParamTable) -> Vec<ChannelInfo> {
    let channel_docs = doc.strips.iter().chain(&doc.buses).chain([&doc.master]);
    table
        .channels()
        .iter()
        .zip(channel_docs)
        .enumerate()
        .map(|(owner, (ch, channel_doc))| {
            let kind = match ch.kind {
                EngineKind::Strip { .. } => ChannelKind::Strip,
                EngineKind::GroupBus => ChannelKind::Group,
                EngineKind::FxBus => ChannelKind::Fx,
                EngineKind::Master => ChannelKind::Master,
            };
            ChannelInfo {
                name: ch.name.clone(),
                kind,
                stereo: ch.kind != EngineKind::Strip { stereo: false },
                output: match kind {
                    ChannelKind::Master => String::new(),
                    _ => channel_doc.output.clone().unwrap_or_else(|| MASTER.to_string()),
                },
                roles: ch.clone(),
                params: table.of_channel(owner).collect(),
            }
        })
        .collect()
}

/// A send as added from the console: at -inf, post-fader, until the user brings it up.
fn unused_send(bus: &str) -> SendDoc {
    let level = &SEND_PARAMS[0];
    SendDoc { bus: bus.to_string(), values: Values::from([(level.file_key, encode(level, level.min))]) }
}

/// Short label of a parameter within its channel: `strip.Vocal.eq.2.gain` → `eq.2.gain`.
pub fn short_id(id: &str) -> &str {
    if let Some(rest) = id.strip_prefix("master.") {
        return rest;
    }
    id.splitn(3, '.').nth(2).unwrap_or(id)
}
