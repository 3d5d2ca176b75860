//! Carries out what `App::update` asks for, the same for every front end (the console,
//! headless standard input): engine commands, queued in order while the ring is full;
//! automation requests; the transport; saves; MIDI learn and surfaces. What an effect
//! answers goes back into the app, and what that asks is carried out too, until nothing
//! is left.

use std::collections::VecDeque;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use super::model::{App, Effect, Msg, TransportRequest};
use crate::audio::jack_backend::{JackSession, ServerNews, send};
use crate::audio::live_print::{PrintFiles, PrintNews};
use crate::automation::file as automation_file;
use crate::automation::recorder::{self, Recorder};
use crate::control::learn::Learn;
use crate::control::link::{self, Links};
use crate::engine::Command;
use crate::files::lock::SessionLock;
use crate::session::schema::SessionDoc;
use crate::session::{load, templates};

/// How long a front end that answers in order waits for the automation recorder.
const RECORDER_ANSWERS_WITHIN: Duration = Duration::from_secs(2);

pub struct Executor<'a> {
    pub session: &'a JackSession,
    pub recorder: &'a Recorder,
    pub learn: Arc<Learn>,
    pub links: Links,
    commands: rtrb::Producer<Command>,
    unsent: VecDeque<Command>,
    /// The recorder's history as last passed on (it counts its changes), and whether it was
    /// saved.
    history_seen: u64,
    unsaved_seen: bool,
    /// Wait for the recorder after asking it something, so the next command sees the result
    /// (typed commands); the console does not wait.
    in_order: bool,
    /// The locks of session folders this run saved a layout into (it holds them as it holds
    /// the one it opened).
    made_folders: Vec<SessionLock>,
}

impl<'a> Executor<'a> {
    pub fn new(
        session: &'a JackSession,
        recorder: &'a Recorder,
        (learn, links): (Arc<Learn>, Links),
        commands: rtrb::Producer<Command>,
        in_order: bool,
    ) -> Self {
        Executor {
            session,
            recorder,
            learn,
            links,
            commands,
            unsent: VecDeque::new(),
            history_seen: u64::MAX,
            unsaved_seen: false,
            in_order,
            made_folders: Vec::new(),
        }
    }

    /// Updates the app with `msg` and carries out what it asks, and what the answers ask in
    /// turn. Returns true when the app asked to quit.
    pub fn update(&mut self, app: &mut App, msg: Msg) -> bool {
        let mut messages = VecDeque::from([msg]);
        let mut quit = false;
        while let Some(msg) = messages.pop_front() {
            let mut asked_recorder = false;
            for effect in app.update(msg) {
                match effect {
                    Effect::Engine(command) => self.unsent.push_back(command),
                    Effect::Automation(request) => {
                        self.recorder.request(request);
                        asked_recorder = true;
                    }
                    Effect::Quit => quit = true,
                    other => {
                        if let Some(reply) = self.carry_out(other) {
                            // A layout saved as a session folder: its automation goes along.
                            if let Msg::Saved(Ok((files, _))) = &reply
                                && files[0] != app.file
                            {
                                self.recorder.request(recorder::Request::MoveTo(automation_file::path_for(&files[0])));
                                asked_recorder = true;
                            }
                            messages.push_back(reply);
                        }
                    }
                }
            }
            if asked_recorder && self.in_order {
                if !self.recorder.settle(RECORDER_ANSWERS_WITHIN) {
                    messages.push_back(Msg::Problem("the automation recorder is slow to answer".into()));
                }
                messages.extend(self.news());
            }
        }
        self.flush();
        quit
    }

    /// What the recorder said, and its history when it changed, and what the real-time print
    /// said, as messages for the app.
    pub fn news(&mut self) -> Vec<Msg> {
        let mut msgs: Vec<Msg> = self
            .recorder
            .events
            .try_iter()
            .map(|event| match event {
                recorder::Event::Said(text) => Msg::Info(text),
                recorder::Event::Problem(text) => Msg::Problem(text),
            })
            .collect();
        msgs.extend(self.session.print_news().into_iter().map(|news| match news {
            PrintNews::Note(text) | PrintNews::Kept(text) => Msg::Info(text),
            PrintNews::Problem(text) | PrintNews::Failed(text) => Msg::Problem(text),
        }));
        let changes = self.recorder.changes.load(Ordering::Relaxed);
        if changes != self.history_seen {
            self.history_seen = changes;
            let store = self.recorder.store.lock().unwrap_or_else(std::sync::PoisonError::into_inner).clone();
            msgs.push(Msg::Passes(Box::new(store)));
        }
        let unsaved = self.recorder.unsaved.load(Ordering::Relaxed);
        if unsaved != self.unsaved_seen {
            self.unsaved_seen = unsaved;
            msgs.push(Msg::AutomationUnsaved(unsaved));
        }
        msgs
    }

    /// Passes on what changed in the session's hold on JACK; when the server went away,
    /// unsaved changes are also written beside the session, in case nothing comes back.
    pub fn tend_server(&mut self, app: &mut App) {
        let Some(news) = self.session.tend() else { return };
        let lost = news == ServerNews::Lost;
        self.update(app, Msg::Server(news));
        if lost {
            let kept = match autosave(app) {
                Ok(Some(file)) => Msg::Info(format!("unsaved changes kept in {}", file.display())),
                Ok(None) => return,
                Err(e) => Msg::Problem(e),
            };
            self.update(app, kept);
        }
    }

    /// Sends the engine commands waiting, in order, as far as the ring has room.
    pub fn flush(&mut self) {
        while let Some(command) = self.unsent.pop_front() {
            if let Err(back) = send(&mut self.commands, command) {
                self.unsent.push_front(back);
                break;
            }
        }
    }

    /// Carries out an effect that is not an engine command; returns what the app must hear back.
    fn carry_out(&mut self, effect: Effect) -> Option<Msg> {
        let session = self.session;
        match effect {
            Effect::Transport(request) => {
                let result = session.transport(|transport| match request {
                    TransportRequest::Play => transport.start(),
                    TransportRequest::Stop => transport.stop(),
                    TransportRequest::Locate(frame) => transport.locate(frame as jack::Frames),
                });
                result.err().map(Msg::Problem)
            }
            Effect::Loop { on, start, end } => {
                let view = &session.view;
                view.loop_start.store(start, Ordering::Relaxed);
                view.loop_end.store(end, Ordering::Relaxed);
                view.loop_on.store(on, Ordering::Relaxed);
                None
            }
            Effect::Save { file, version, doc, new_folder } => {
                let made_folder = new_folder.is_some();
                let saved = save(&file, version, doc, new_folder);
                // Made just now, so no one else holds it (unless they opened it in between,
                // and then they hold it).
                if made_folder && saved.is_ok() {
                    self.made_folders.extend(SessionLock::take(&file).ok());
                }
                Some(Msg::Saved(saved))
            }
            Effect::Learn(request) => {
                self.learn.arm(request);
                None
            }
            Effect::CancelLearn => {
                self.learn.cancel();
                None
            }
            Effect::StartPrint(files) => Some(match start_print(self.session, files) {
                Ok(text) => Msg::Info(text),
                Err(text) => Msg::Problem(text),
            }),
            Effect::StopPrint => Some(if self.session.stop_print() {
                Msg::Info("real-time print stopping: the files are finished once the ring is written".into())
            } else {
                Msg::Problem("no real-time print is under way".into())
            }),
            Effect::ResetLoudness => {
                self.session.reset_loudness();
                None
            }
            Effect::ListSurfaceDevices => Some(Msg::SurfaceDevices(link::devices())),
            Effect::ConnectSurface(device) => Some(match self.links.connect(&device) {
                Ok(told) => Msg::Info(told),
                Err(e) => Msg::Problem(e),
            }),
            Effect::Engine(_) | Effect::Automation(_) | Effect::Quit => None,
        }
    }
}

/// Writes a save the app asked for; returns the files written and the document as written.
pub fn save(
    file: &Path,
    version: Option<PathBuf>,
    doc: Box<SessionDoc>,
    new_folder: Option<PathBuf>,
) -> Result<(Vec<PathBuf>, Box<SessionDoc>), String> {
    let doc = match (new_folder, file.parent()) {
        (Some(layout_dir), Some(dir)) => {
            Box::new(templates::create_session_folder(dir, *doc, &layout_dir).map_err(|e| e.to_string())?.1)
        }
        _ => {
            load::save(file, &doc).map_err(|e| format!("{}: {e}", file.display()))?;
            doc
        }
    };
    let mut written = vec![file.to_path_buf()];
    if let Some(version) = version {
        if let Some(dir) = version.parent() {
            std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        }
        load::save(&version, &doc).map_err(|e| format!("{}: {e}", version.display()))?;
        written.push(version);
    }
    Ok((written, doc))
}

/// Arms a real-time print, making its folder first.
fn start_print(session: &JackSession, files: PrintFiles) -> Result<String, String> {
    if let Some(dir) = files.master.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| format!("real-time print not armed: {}: {e}", dir.display()))?;
    }
    let names: Vec<String> = std::iter::once(&files.master)
        .chain(files.buses.iter().map(|b| &b.path))
        .map(|p| p.display().to_string())
        .collect();
    session.start_print(files)?;
    Ok(format!("real-time print armed: {} (starts when the transport rolls, ends when it stops)", names.join(", ")))
}

/// Where unsaved changes to `file` are kept: `autosave.yaml` in a session folder, and
/// `NAME.autosave.yaml` beside a layout `NAME.yaml` (not wherever headroom was started).
fn autosave_path(file: &Path) -> PathBuf {
    if file.file_name().is_some_and(|n| n == "session.yaml") {
        return file.with_file_name("autosave.yaml");
    }
    let stem = file.file_stem().unwrap_or_default().to_string_lossy();
    file.with_file_name(format!("{stem}.autosave.yaml"))
}

/// Runs a front end's loop over `app`; should it panic, unsaved changes are written beside
/// the session (as on a signal) before the panic goes on, so a bug costs no work.
pub fn autosave_on_panic<T>(app: &mut App, front_end: impl FnOnce(&mut App) -> T) -> T {
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| front_end(app))) {
        Ok(done) => done,
        Err(panic) => {
            match autosave(app) {
                Ok(Some(file)) => crate::say_err!("headroom failed; unsaved changes kept in {}", file.display()),
                Ok(None) => {}
                Err(e) => crate::say_err!("headroom failed, and {e}"),
            }
            std::panic::resume_unwind(panic)
        }
    }
}

/// On a forced stop with unsaved changes, keeps them beside the session (never over it).
pub fn autosave(app: &App) -> Result<Option<PathBuf>, String> {
    if !app.is_dirty() {
        return Ok(None);
    }
    let file = autosave_path(&app.file);
    load::save(&file, &app.current_doc())
        .map_err(|e| format!("{}: could not keep unsaved changes: {e}", file.display()))?;
    Ok(Some(file))
}
