//! The console's state and how it changes: `App::update` takes a message (a key, a
//! mouse event, the engine's latest readings) and returns the effects for the shell to
//! carry out (commands to the engine, transport requests, saves). No I/O happens here.
//!
//! Every parameter's target value lives in the `ParamTargets` the app shares with the
//! surfaces: keys change it and send it to the engine; nothing the engine reports is
//! copied back over it, so fast key repeats are never lost to an echo. The one hand-over
//! (where automation lets go, the target takes the value it left) happens there too.

mod actions;
mod automation;
mod history;
mod inserts;
mod metering;
mod printing;
pub use crate::session::target::{PeakTarget, Verdict};
mod mouse;
mod prompts;
mod routing;
mod surfaces;
mod typed;

pub use automation::{AutomationPanel, AutomationReading};
use history::Edit;
pub use prompts::{Prompt, PromptFor};
pub use surfaces::SurfaceStatus;
pub use typed::{Typed, parse_line};

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers, MouseButton, MouseEvent, MouseEventKind};
use ratatui::layout::{Position, Rect};

use super::keys::{self, Action, Scope};
use super::layout::{self, ConsoleLayout};
use super::meters::PeakMeter;
use crate::audio::jack_backend::{PrintStatus, ServerNews, Unconnected};
use crate::audio::live_print::PrintFiles;
use crate::automation::passes::Store;
use crate::automation::recorder::Request;
use crate::control::learn::LearnRequest;
use crate::control::surface::{LinkState, SurfaceEvent};
use crate::control::targets::{StripControl, TransportAction};
use crate::engine::Command;
use crate::engine::channel_params::SEND_PARAMS;
use crate::engine::params::FADER_FLOOR_DB;
use crate::engine::params::{ChannelParams, ParamIndex, ParamTable, ParamValues, Section, SendParams, Unit};
use crate::engine::setup::ChannelKind as EngineKind;
use crate::engine::targets::ParamTargets;
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
    /// Xruns JACK reported.
    pub xruns: u32,
    /// Xruns the engine's own clock saw (periods that went by without it), and where the
    /// transport was at the last.
    pub engine_xruns: u32,
    pub last_xrun_frame: Option<u64>,
    /// Connections the layout asks for whose ports are not there (made when they appear).
    pub unconnected: Arc<[Unconnected]>,
    /// Per parameter, in table order: its automation (empty: none reported).
    pub automation: Vec<AutomationReading>,
    pub write_enabled: bool,
    /// A pass is being written now.
    pub pass_open: bool,
    /// A real-time print armed or under way.
    pub print: Option<PrintStatus>,
}

#[derive(Clone, Copy, Debug, Default)]
pub struct ChannelReading {
    pub peak: [f32; 2],
    /// Samples at or over full scale at the meter point, counted since the engine started.
    pub overs: u64,
    /// The hardware insert's pings ended so far, and the last one's round trip in frames
    /// (`u32::MAX`: nothing came back).
    pub insert_ping: (u32, u32),
    /// A bus: frames from its output until the master plays it (hardware insert compensation).
    pub to_master_frames: u32,
    pub gain_reduction_db: f32,
}

/// The master's R128 readings; below -70 LUFS (the absolute gate) reads as nothing.
#[derive(Clone, Copy, Debug)]
pub struct Loudness {
    pub momentary_lufs: f32,
    pub short_term_lufs: f32,
    pub integrated_lufs: f32,
    pub range_lu: f32,
    pub true_peak_dbtp: f32,
}

impl Default for Loudness {
    fn default() -> Self {
        Self {
            momentary_lufs: -120.0,
            short_term_lufs: -120.0,
            integrated_lufs: -120.0,
            range_lu: 0.0,
            true_peak_dbtp: -120.0,
        }
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
    /// The automation file is behind the history (the disk refused a save), or caught up.
    AutomationUnsaved(bool),
    /// A command typed as a line (headless standard input).
    Typed(Typed),
    /// The JACK server went away, came back, or cannot be joined.
    Server(ServerNews),
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
    /// Start the loudness meters again (integrated loudness, range, true peak).
    ResetLoudness,
    /// Arm a real-time print into these files; stop the one under way.
    StartPrint(PrintFiles),
    StopPrint,
    Quit,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Overlay {
    None,
    Detail,
    Automation,
    Help,
    /// The connections the layout asks for that are not made, and why.
    Connections,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Status {
    pub text: String,
    pub error: bool,
    until_s: f64,
}

/// Meter state of one channel, with UI-side ballistics, and its figures since the meters
/// were last reset (`metering`).
#[derive(Clone, Copy, Debug)]
pub struct ChannelMeter {
    pub sides: [PeakMeter; 2],
    pub gain_reduction_db: f32,
    /// The largest peak since the reset, dBFS.
    pub max_db: f32,
    /// The engine's count of samples over full scale at the reset, and now.
    overs_at_reset: u64,
    overs_now: u64,
    /// The hardware insert's pings already reported.
    pings_seen: u32,
}

impl Default for ChannelMeter {
    fn default() -> Self {
        Self {
            sides: Default::default(),
            gain_reduction_db: 0.0,
            max_db: super::meters::FLOOR_DB,
            overs_at_reset: 0,
            overs_now: 0,
            pings_seen: 0,
        }
    }
}

impl ChannelMeter {
    /// Samples at or over full scale since the reset.
    pub fn overs(&self) -> u64 {
        self.overs_now - self.overs_at_reset
    }
}

/// What a quit is told while the disk refuses the automation.
pub(crate) const AUTOMATION_UNSAVED: &str = "automation not saved: the disk refused it (full or read-only); it is kept here and saved as soon as the disk allows. Free space or make it writable";

const STATUS_S: f64 = 4.0;
const NUDGE_S: f64 = 1.0;
/// The shortest loop: the transport wraps at the end of a period, so a loop spans several.
const MIN_LOOP_S: f64 = 0.1;

pub struct App {
    pub name: String,
    /// The file saves go to: a session's `session.yaml`, or a layout (saved as a new session folder).
    pub file: PathBuf,
    /// The session's structure as it stands (routing, which sends exist); the values are in `targets`.
    doc: SessionDoc,
    /// `doc` as last loaded or saved.
    saved_doc: SessionDoc,
    pub table: ParamTable,
    /// Every parameter's target, shared with the surfaces.
    pub targets: Arc<ParamTargets>,
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
    /// No JACK server: the engine waits in memory for the next one.
    pub jack_gone: bool,
    /// The disk refused the automation: passes are kept in memory only, and retried.
    pub automation_unsaved: bool,
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

impl App {
    pub fn new(doc: SessionDoc, file: PathBuf, table: ParamTable, targets: Arc<ParamTargets>, info: EngineInfo) -> App {
        let channels = channel_infos(&doc, &table);
        let meters = vec![ChannelMeter::default(); channels.len()];
        App {
            name: doc.name.clone(),
            file,
            saved_doc: doc.clone(),
            doc,
            saved_values: targets.snapshot(),
            targets,
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
            jack_gone: false,
            automation_unsaved: false,
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
        !self.targets.equals(&self.saved_values) || self.doc != self.saved_doc
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

    /// Strips and buses that fit beside the master at the size last heard of.
    pub fn per_bank(&self) -> usize {
        layout::strips_per_bank(self.size.0)
    }

    /// Where everything sits on screen in `area`, as drawn and as clicked. The bank is as
    /// wide as `area` allows: a terminal takes its new size before the console hears of it.
    pub fn layout(&self, area: Rect) -> ConsoleLayout {
        let detail_open = matches!(self.overlay, Overlay::Detail | Overlay::Automation);
        layout::console_layout(area, detail_open, self.bank_in(area.width), self.channels.len() - 1)
    }

    /// The channels in the bank on screen (the master is always shown besides).
    pub fn bank(&self) -> std::ops::Range<usize> {
        self.bank_in(self.size.0)
    }

    fn bank_in(&self, width: u16) -> std::ops::Range<usize> {
        let end = (self.bank_start + layout::strips_per_bank(width)).min(self.channels.len() - 1);
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
            Msg::Readings(r) => self.take_readings(r, &mut effects),
            Msg::Saved(Ok((files, doc))) => {
                self.saved_values = self.targets.snapshot();
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
            Msg::AutomationUnsaved(unsaved) => self.automation_unsaved = unsaved,
            Msg::Typed(typed) => self.typed(typed, &mut effects),
            Msg::Server(news) => self.server_news(news),
        }
        effects
    }

    fn server_news(&mut self, news: ServerNews) {
        match news {
            ServerNews::Lost => {
                self.jack_gone = true;
                let text = "the JACK server went away: the mix, its automation and unsaved changes are kept \
                            here, and headroom plays on the next server that starts";
                self.say(text.to_string(), true);
            }
            ServerNews::Back { client_name, period, unconnected } => {
                self.jack_gone = false;
                let waiting = match unconnected {
                    0 => String::new(),
                    n => format!("; {n} connections wait for their ports"),
                };
                self.say(
                    format!("JACK is back: playing as \"{client_name}\", {period} frames a period{waiting}"),
                    false,
                );
                self.info.client_name = client_name;
                self.info.period = period;
            }
            ServerNews::NotJoined(why) => self.say(format!("a JACK server is there but not joined: {why}"), true),
        }
    }

    /// From now on, keeps everything the app says for `take_replies` (a front end that prints).
    pub fn keep_replies(&mut self) {
        self.replies.get_or_insert_with(Vec::new);
    }

    /// What the app said since the last call, in order.
    pub fn take_replies(&mut self) -> Vec<Reply> {
        self.replies.as_mut().map(std::mem::take).unwrap_or_default()
    }

    fn take_readings(&mut self, r: Readings, effects: &mut Vec<Effect>) {
        self.take_meters(&r, effects);
        self.take_pings(&r);
        if self.status.as_ref().is_some_and(|s| r.now_s > s.until_s) {
            self.status = None;
        }
        if self.automation.write_asked == Some(r.write_enabled) {
            self.automation.write_asked = None;
        }
        self.readings = r;
    }

    fn say(&mut self, text: String, error: bool) {
        if let Some(replies) = &mut self.replies {
            replies.push(Reply { text: text.clone(), problem: error });
        }
        self.status = Some(Status { text, error, until_s: self.readings.now_s + STATUS_S });
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

    /// The session's peak target for the master (`meters.peak_target_db`).
    pub fn target(&self) -> PeakTarget {
        PeakTarget::of(self.doc.meters.peak_target_db)
    }

    /// The session document with the mix as it stands.
    pub fn current_doc(&self) -> SessionDoc {
        doc_with_values(&self.doc, &self.table, &self.saved_values, &self.targets.snapshot())
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
            let dir = PathBuf::from(crate::files::names::file_name(&self.name));
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

/// Transport time as minutes, seconds and milliseconds.
pub fn clock(frame: u64, sample_rate: u32) -> String {
    let ms = frame * 1000 / sample_rate.max(1) as u64;
    format!("{:02}:{:02}.{:03}", ms / 60_000, ms / 1000 % 60, ms % 1000)
}

/// Short label of a parameter within its channel: `strip.Vocal.eq.2.gain` → `eq.2.gain`.
pub fn short_id(id: &str) -> &str {
    if let Some(rest) = id.strip_prefix("master.") {
        return rest;
    }
    id.splitn(3, '.').nth(2).unwrap_or(id)
}
