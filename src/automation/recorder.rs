//! The pass recorder: a thread beside the engine that turns what the engine wrote into
//! passes (thinned, merged into the lanes, lanes sent back to the engine), keeps the
//! history, and stores it. A pass in progress is journaled as it is written, flushed every
//! quarter second, so a crash loses at most that much of it and never an earlier pass.

use std::collections::{BTreeMap, VecDeque};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, Sender};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::JoinHandle;
use std::time::Duration;

use super::Mode;
use super::file;
use super::journal::{self, Entry, Journal, journal_path};
use super::lane::{Point, Shape, thin, tolerance};
use super::passes::{MOST_FRAME, Pass, Store};
use crate::engine::Command;
use crate::engine::automation::{AutomationLink, LaneSwap, Record};
use crate::engine::params::{ParamIndex, ParamTable};
use crate::session::load::LoadError;

const TICK: Duration = Duration::from_millis(10);
/// How often automation the disk refused is offered to it again.
const SAVE_RETRY: Duration = Duration::from_secs(2);

/// What the console (or the headless loop) asks of the automation.
#[derive(Clone, Debug, PartialEq)]
pub enum Request {
    /// The mode of these parameters (one, or a whole channel's).
    SetModes {
        params: Vec<ParamIndex>,
        mode: Mode,
    },
    WriteEnable(bool),
    /// Touch/Trim return time and the idle time that releases a control without touch sensing.
    Times {
        glide_ms: f32,
        idle_ms: f32,
    },
    Undo,
    Redo,
    /// Take a pass out (revert, or audition without it), or bring it back.
    Toggle(u32),
    Rename(u32, String),
    /// The session was saved somewhere new (a layout saved as a session folder): keep the
    /// automation there from now on.
    MoveTo(PathBuf),
}

/// What the automation tells the user.
#[derive(Clone, Debug, PartialEq)]
pub enum Event {
    Said(String),
    Problem(String),
}

/// A pass being assembled from the engine's records.
struct PassBuilder {
    start: u64,
    made: String,
    /// Per parameter, the stretch being written now.
    open: BTreeMap<ParamIndex, Vec<Point>>,
    done: BTreeMap<ParamIndex, Vec<Vec<Point>>>,
    last: u64,
    /// Where the pass carried on over xruns.
    xruns: Vec<u64>,
}

impl PassBuilder {
    fn new(start: u64, made: String) -> PassBuilder {
        PassBuilder { start, made, open: BTreeMap::new(), done: BTreeMap::new(), last: start, xruns: Vec::new() }
    }

    /// Adds a value; false when it is left out (a frame already written, or past the last
    /// a file can hold).
    fn value(&mut self, param: ParamIndex, frame: u64, value: f32) -> bool {
        let stretch = self.open.entry(param).or_default();
        // Frames rise in a stretch: a transport that came back a little after an xrun
        // plays frames already written, and those are not written twice.
        let kept = frame <= MOST_FRAME && stretch.last().is_none_or(|last| last.frame < frame);
        if kept {
            stretch.push(Point { frame, value });
            self.last = self.last.max(frame);
        }
        kept
    }

    fn released(&mut self, param: ParamIndex) {
        if let Some(stretch) = self.open.remove(&param) {
            self.done.entry(param).or_default().push(stretch);
        }
    }

    /// The pass, thinned, or None when nothing was written.
    fn finish(mut self, end: u64, id: u32, table: &ParamTable) -> Option<Pass> {
        for param in self.open.keys().copied().collect::<Vec<_>>() {
            self.released(param);
        }
        let writes: BTreeMap<String, Vec<Vec<Point>>> = self
            .done
            .into_iter()
            .filter(|(param, _)| (param.0 as usize) < table.specs().len())
            .map(|(param, stretches)| {
                let spec = table.spec(param);
                let thinned = stretches
                    .into_iter()
                    .map(|s| {
                        let constrained: Vec<Point> =
                            s.iter().map(|p| Point { frame: p.frame, value: spec.constrain(p.value) }).collect();
                        thin(Shape::of(spec), &constrained, tolerance(spec))
                    })
                    .collect();
                (spec.id.clone(), thinned)
            })
            .collect();
        (!writes.is_empty()).then(|| Pass {
            id,
            name: None,
            made: self.made,
            start: self.start,
            end: end.max(self.last),
            active: true,
            writes,
            xruns: self.xruns,
        })
    }
}

fn now_local() -> String {
    chrono::Local::now().format("%Y-%m-%d %H:%M:%S").to_string()
}

/// Reads a session's automation; a pass a crash interrupted is taken back from its journal,
/// kept as a pass named "recovered", and the file saved with it. Says so when it happens.
/// Only what the file's loader accepts is recovered (values that go back in time, past the
/// last frame or to no parameter of the session are left out, and counted); the journal is
/// removed only once the file holding the pass has been written and read back. The caller
/// holds the session's lock, so no live process is writing this journal.
pub fn open(path: &Path, table: &ParamTable, rate: u32) -> Result<(Store, Option<String>), LoadError> {
    let mut store = file::load(path, table)?;
    let journal = journal_path(path);
    let Some((entries, mut left_out)) = journal::read(&journal) else { return Ok((store, None)) };
    let mut builder: Option<PassBuilder> = None;
    for entry in entries {
        match (entry, &mut builder) {
            (Entry::Pass { start, made }, _) => {
                builder = (start <= MOST_FRAME).then(|| PassBuilder::new(start, made));
            }
            (Entry::Value { id, frame, value }, Some(b)) => match table.lookup(&id) {
                Ok(p) if b.value(p, frame, value) => {}
                _ => left_out += 1,
            },
            (Entry::Released { id }, Some(b)) => {
                if let Ok(p) = table.lookup(&id) {
                    b.released(p);
                }
            }
            (Entry::Xrun { frame }, Some(b)) if frame <= MOST_FRAME => b.xruns.push(frame),
            _ => left_out += 1,
        }
    }
    let Some(mut pass) = builder.and_then(|b| b.finish(0, store.next_id(), table)) else {
        // Nothing a pass could be made of (a crash before the first value).
        let _ = std::fs::remove_file(&journal);
        return Ok((store, None));
    };
    pass.name = Some("recovered".into());
    let mut told = format!("kept {} from before the crash (its journal)", pass.describe(rate));
    if left_out > 0 {
        let records = if left_out == 1 {
            "1 record of the journal was".into()
        } else {
            format!("{left_out} records of the journal were")
        };
        told.push_str(&format!(
            "; {records} left out (torn, frames going back or past the last, or no parameter of this session)"
        ));
    }
    store.add(pass);
    let kept = |problem: String| LoadError::Read {
        file: path.to_path_buf(),
        source: std::io::Error::other(format!(
            "{problem}; the pass is still in {} (nothing was removed)",
            journal.display()
        ))
        .into(),
    };
    file::save(path, &store, table)
        .map_err(|e| kept(format!("cannot save the pass recovered from its journal: {e}")))?;
    match file::load(path, table) {
        Ok(back) if back == store => {}
        Ok(_) => return Err(kept("the pass recovered from its journal did not read back as it was written".into())),
        Err(e) => return Err(kept(format!("the pass recovered from its journal did not read back: {e}"))),
    }
    let _ = std::fs::remove_file(&journal);
    Ok((store, Some(told)))
}

/// The recorder thread, and how to reach it.
pub struct Recorder {
    requests: Sender<Request>,
    /// The history, to show; only the recorder changes it.
    pub store: Arc<Mutex<Store>>,
    /// Counts the changes to `store`, so a reader knows when to look again.
    pub changes: Arc<AtomicU64>,
    /// The history differs from the automation file: the disk refused the last save (full,
    /// read-only), and it is kept here and offered again until it is taken.
    pub unsaved: Arc<AtomicBool>,
    pub events: Receiver<Event>,
    /// Requests sent, and those the recorder has carried out: `settle` waits for the two to meet.
    asked: AtomicU64,
    answered: Arc<AtomicU64>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Recorder {
    /// Starts the recorder for automation file `path`: puts the stored lanes and modes in
    /// the engine, then keeps passes as the engine writes them.
    pub fn start(
        path: PathBuf,
        store: Store,
        table: ParamTable,
        rate: u32,
        link: AutomationLink,
        engine: rtrb::Producer<Command>,
    ) -> Recorder {
        let (requests, asked) = std::sync::mpsc::channel();
        let (told, events) = std::sync::mpsc::channel();
        let shared = Arc::new(Mutex::new(store.clone()));
        let changes = Arc::new(AtomicU64::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let unsaved = Arc::new(AtomicBool::new(false));
        let mut keeper = Keeper {
            unsaved: unsaved.clone(),
            retry_at: None,
            journal: Journal::new(&path),
            path,
            store,
            shared: shared.clone(),
            changes: changes.clone(),
            table,
            rate,
            link,
            engine,
            pending_lanes: VecDeque::new(),
            building: None,
            told,
        };
        let answered = Arc::new(AtomicU64::new(0));
        let thread = {
            let (stop, answered) = (stop.clone(), answered.clone());
            std::thread::Builder::new()
                .name("automation".into())
                .spawn(move || keeper.run(&asked, &answered, &stop))
                .expect("a thread for the automation")
        };
        Recorder {
            requests,
            store: shared,
            changes,
            unsaved,
            events,
            asked: AtomicU64::new(0),
            answered,
            stop,
            thread: Some(thread),
        }
    }

    pub fn request(&self, request: Request) {
        if self.requests.send(request).is_ok() {
            self.asked.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// Waits (up to `timeout`) until every request sent so far has been carried out, so what
    /// is read or said next follows them. Returns false if the recorder took longer.
    pub fn settle(&self, timeout: std::time::Duration) -> bool {
        let deadline = std::time::Instant::now() + timeout;
        while self.answered.load(Ordering::Acquire) < self.asked.load(Ordering::Relaxed) {
            if std::time::Instant::now() >= deadline {
                return false;
            }
            std::thread::sleep(std::time::Duration::from_millis(1));
        }
        true
    }
}

impl Recorder {
    /// Stops the recorder, keeping a pass in progress; whether the file holds everything.
    pub fn finish(mut self) -> bool {
        self.stop_thread();
        !self.unsaved.load(Ordering::Relaxed)
    }

    fn stop_thread(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl Drop for Recorder {
    fn drop(&mut self) {
        self.stop_thread();
    }
}

struct Keeper {
    path: PathBuf,
    store: Store,
    shared: Arc<Mutex<Store>>,
    changes: Arc<AtomicU64>,
    table: ParamTable,
    rate: u32,
    link: AutomationLink,
    engine: rtrb::Producer<Command>,
    /// Lanes waiting for room in the ring to the engine.
    pending_lanes: VecDeque<LaneSwap>,
    building: Option<PassBuilder>,
    journal: Journal,
    told: Sender<Event>,
    /// Set while the file is behind the history; `retry_at` is when to try again.
    unsaved: Arc<AtomicBool>,
    retry_at: Option<std::time::Instant>,
}

impl Keeper {
    fn run(&mut self, asked: &Receiver<Request>, answered: &AtomicU64, stop: &AtomicBool) {
        let ids: Vec<String> = self.store.automated();
        for (id, mode) in self.store.modes.clone() {
            if let Ok(param) = self.table.lookup(&id) {
                self.command(Command::SetMode { param, mode });
            }
        }
        self.send_lanes(&ids);
        while !stop.load(Ordering::Relaxed) {
            while let Ok(request) = asked.try_recv() {
                self.handle(request);
                answered.fetch_add(1, Ordering::Release);
            }
            while let Ok(record) = self.link.records.pop() {
                self.take(record);
            }
            // Old lanes are dropped here, off the audio thread.
            while self.link.retired.pop().is_ok() {}
            self.push_pending_lanes();
            self.journal.keep();
            if self.retry_at.is_some_and(|at| at <= std::time::Instant::now()) {
                self.save();
            }
            std::thread::sleep(TICK);
        }
        // Quitting mid-pass: keep what was written.
        if let Some(builder) = self.building.take() {
            let end = builder.last;
            self.keep_pass(builder, end);
        }
    }

    fn take(&mut self, record: Record) {
        match record {
            Record::PassStart { frame } => {
                let made = now_local();
                if let Err(e) = self.journal.begin(frame, &made) {
                    self.problem(format!("cannot journal the pass ({e}): a crash would lose it"));
                }
                self.building = Some(PassBuilder::new(frame, made));
            }
            Record::Value { param, frame, value } => {
                if let Some(b) = &mut self.building {
                    b.value(param, frame, value);
                    let id = &self.table.spec(param).id;
                    self.journal.value(id, frame, value);
                }
            }
            Record::Released { param, .. } => {
                if let Some(b) = &mut self.building {
                    b.released(param);
                    let id = &self.table.spec(param).id;
                    self.journal.released(id);
                }
            }
            Record::Gap { frame } => {
                if let Some(b) = &mut self.building {
                    b.xruns.push(frame);
                    self.journal.xrun(frame);
                }
            }
            Record::PassEnd { frame } => {
                if let Some(builder) = self.building.take() {
                    self.keep_pass(builder, frame);
                }
            }
            Record::Mode { param, mode } => {
                self.store.modes.insert(self.table.spec(param).id.clone(), mode);
                self.save();
            }
        }
    }

    fn keep_pass(&mut self, builder: PassBuilder, end: u64) {
        let Some(pass) = builder.finish(end, self.store.next_id(), &self.table) else {
            self.journal.end();
            return;
        };
        let told = format!("kept {}", pass.describe(self.rate));
        let changed = self.store.add(pass);
        self.send_lanes(&changed);
        if self.save() {
            self.journal.end();
        } else {
            self.journal.close();
        }
        self.say(told);
    }

    fn handle(&mut self, request: Request) {
        match request {
            Request::SetModes { params, mode } => {
                for param in params {
                    let id = self.table.spec(param).id.clone();
                    match mode {
                        Mode::Off => self.store.modes.remove(&id),
                        _ => self.store.modes.insert(id, mode),
                    };
                    self.command(Command::SetMode { param, mode });
                }
                self.save();
            }
            Request::MoveTo(path) => {
                self.journal.move_to(&path);
                self.path = path;
                if self.save() {
                    self.say(format!("automation kept in {}", self.path.display()));
                }
            }
            Request::WriteEnable(on) => self.command(Command::WriteEnable(on)),
            Request::Times { glide_ms, idle_ms } => {
                let frames = |ms: f32| (ms.max(0.0) / 1000.0 * self.rate as f32) as u32;
                self.command(Command::AutomationTimes { glide_frames: frames(glide_ms), idle_frames: frames(idle_ms) });
            }
            Request::Undo => self.history(|s| s.undo(), "took back", "no pass to take back"),
            Request::Redo => self.history(|s| s.redo(), "brought back", "no pass to bring back"),
            Request::Toggle(id) => {
                let active = self.store.passes().iter().find(|p| p.id == id).map(|p| !p.active);
                let verb = if active == Some(true) { "brought back" } else { "took out" };
                self.history(|s| s.toggle(id), verb, &format!("no pass {id}"))
            }
            Request::Rename(id, name) => match crate::files::names::name_problem(name.trim(), false) {
                // The file would refuse it at the next open: refused here instead.
                Some(problem) => self.problem(format!("pass {id} keeps its name: {problem}")),
                None => self.history(|s| s.rename(id, &name), "named", &format!("no pass {id}")),
            },
        }
    }

    /// Applies a change to the history, rebuilds the lanes of the pass it touched, saves.
    fn history(&mut self, change: impl FnOnce(&mut Store) -> Option<&Pass>, verb: &str, none: &str) {
        let Some(pass) = change(&mut self.store) else { return self.problem(none.to_string()) };
        let told = format!("{verb} {}", pass.describe(self.rate));
        let ids: Vec<String> = pass.writes.keys().cloned().collect();
        self.send_lanes(&ids);
        self.save();
        self.say(told);
    }

    /// Rebuilds the lanes of these parameters and sends them to the engine.
    fn send_lanes(&mut self, ids: &[String]) {
        for id in ids {
            let Ok(param) = self.table.lookup(id) else { continue };
            let lane = self.store.lane(id, Shape::of(self.table.spec(param)));
            self.pending_lanes.push_back(LaneSwap { param, lane: lane.map(Box::new) });
        }
        self.push_pending_lanes();
    }

    fn push_pending_lanes(&mut self) {
        while self.link.lanes.slots() > 0
            && let Some(swap) = self.pending_lanes.pop_front()
        {
            let _ = self.link.lanes.push(swap);
        }
    }

    fn command(&mut self, command: Command) {
        if self.engine.push(command).is_err() {
            self.problem("the engine is not taking commands (its ring is full)".into());
        }
    }

    /// Writes the file and shows the history; false when the disk refused it. Then the
    /// history is kept here and offered again every [`SAVE_RETRY`], and the front ends are
    /// told once that it is unsaved, and once that it was saved after all.
    fn save(&mut self) -> bool {
        *self.shared.lock().unwrap_or_else(PoisonError::into_inner) = self.store.clone();
        self.changes.fetch_add(1, Ordering::Relaxed);
        let was_unsaved = self.unsaved.load(Ordering::Relaxed);
        match file::save(&self.path, &self.store, &self.table) {
            Ok(()) => {
                self.retry_at = None;
                self.unsaved.store(false, Ordering::Relaxed);
                if was_unsaved {
                    // The pass the disk refused is in the file now: its journal can go.
                    if self.building.is_none() {
                        self.journal.end();
                    }
                    self.say(format!("automation saved in {} (the disk took it again)", self.path.display()));
                }
                true
            }
            Err(e) => {
                self.retry_at = Some(std::time::Instant::now() + SAVE_RETRY);
                self.unsaved.store(true, Ordering::Relaxed);
                if !was_unsaved {
                    self.problem(format!(
                        "{}: cannot save the automation ({e}); it is kept here and saved as soon as the disk allows",
                        self.path.display()
                    ));
                }
                false
            }
        }
    }

    fn say(&self, text: String) {
        let _ = self.told.send(Event::Said(text));
    }

    fn problem(&self, text: String) {
        let _ = self.told.send(Event::Problem(text));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::session::resolve::build_engine;

    #[test]
    fn frames_a_transport_played_again_after_an_xrun_are_not_written_twice() {
        let mut builder = PassBuilder::new(0, "now".into());
        let p = ParamIndex(0);
        for (frame, value) in [(100, -1.0), (356, -2.0), (100, -3.0), (356, -4.0), (612, -5.0)] {
            builder.value(p, frame, value);
        }
        let frames: Vec<u64> = builder.open[&p].iter().map(|point| point.frame).collect();
        assert_eq!(frames, [100, 356, 612], "frames rise, as the file requires");
    }

    #[test]
    fn moved_to_a_new_session_folder_the_history_is_kept_there_and_the_old_file_untouched() {
        let yaml = "version: 1\nname: t\nstrips:\n  - {name: V, input: {ports: [x:v]}}\n";
        let doc = crate::session::load::parse(yaml, Path::new("t.yaml")).unwrap().0;
        let mut built = build_engine(&doc, 48_000.0, 1).unwrap();
        let table = built.params.clone();
        let dir = tempfile::tempdir().unwrap();
        let (old, new) = (dir.path().join("t.automation.yaml"), dir.path().join("t").join(file::FILE_NAME));
        std::fs::create_dir(dir.path().join("t")).unwrap();
        let mut earlier = PassBuilder::new(0, "2026-11-21 10:00:00".into());
        earlier.value(table.lookup("strip.V.fader").unwrap(), 0, -10.0);
        let mut store = Store::default();
        store.add(earlier.finish(64, 1, &table).unwrap());
        file::save(&old, &store, &table).unwrap();
        let before = std::fs::read_to_string(&old).unwrap();
        let ring = built.command_producers.remove(0);
        let recorder = Recorder::start(old.clone(), store, table.clone(), 48_000, built.automation, ring);
        recorder.request(Request::MoveTo(new.clone()));
        let said = recorder.events.recv_timeout(Duration::from_secs(5)).unwrap();
        assert_eq!(said, Event::Said(format!("automation kept in {}", new.display())));
        assert_eq!(std::fs::read_to_string(&new).unwrap(), before, "the same history in the new place");
        assert_eq!(std::fs::read_to_string(&old).unwrap(), before, "the old file is left as it was");
    }

    #[test]
    fn a_pass_cut_short_by_a_crash_comes_back_from_its_journal_beside_the_earlier_ones() {
        let yaml = "version: 1\nname: t\nstrips:\n  - {name: V, input: {ports: [x:v]}}\n";
        let doc = crate::session::load::parse(yaml, Path::new("t.yaml")).unwrap().0;
        let table = build_engine(&doc, 48_000.0, 0).unwrap().params;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(file::FILE_NAME);
        let mut earlier = PassBuilder::new(0, "2026-11-21 10:00:00".into());
        let fader = table.lookup("strip.V.fader").unwrap();
        earlier.value(fader, 0, -10.0);
        earlier.value(fader, 64, -10.0);
        let mut store = Store::default();
        store.add(earlier.finish(64, 1, &table).unwrap());
        file::save(&path, &store, &table).unwrap();
        // The journal as a SIGKILL leaves it: a pass begun, values, a torn last line.
        let journal =
            "pass 48000 2026-11-21 10:05:00\nv strip.V.fader 48000 -3\nv strip.V.fader 48064 -4\nv strip.V.fa";
        std::fs::write(journal_path(&path), journal).unwrap();

        let (opened, told) = open(&path, &table, 48_000).unwrap();
        assert!(told.unwrap().contains("pass 2 \"recovered\""));
        assert_eq!(opened.passes()[0], store.passes()[0], "the earlier pass is untouched");
        let lane = opened.lane("strip.V.fader", Shape::Linear).unwrap();
        assert_eq!(lane.value_at(48_064), Some(-4.0));
        assert!(!journal_path(&path).exists(), "the journal is gone once its pass is saved");
        assert_eq!(file::load(&path, &table).unwrap(), opened, "the recovered pass is in the file");
    }

    /// A session whose strips have the names a layout accepts that journal lines could trip
    /// on: spaces, unicode, the longest allowed.
    fn awkward_table() -> (ParamTable, [String; 3]) {
        let longest = "Ж".repeat(crate::files::names::MOST_NAME_CHARS);
        let names = ["Lead Vox".to_string(), "Chœur ☆ 2".to_string(), longest];
        let strips: String =
            names.iter().map(|n| format!("  - {{name: \"{n}\", input: {{ports: [x:v]}}}}\n")).collect();
        let yaml = format!("version: 1\nname: t\nstrips:\n{strips}");
        let doc = crate::session::load::parse(&yaml, Path::new("t.yaml")).unwrap().0;
        (build_engine(&doc, 48_000.0, 0).unwrap().params, names)
    }

    #[test]
    fn a_journal_of_strips_named_with_spaces_unicode_and_the_longest_names_comes_back_whole() {
        let (table, names) = awkward_table();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(file::FILE_NAME);
        let mut journal = Journal::new(&path);
        journal.begin(48_000, "2026-12-03 10:00:00").unwrap();
        for (i, name) in names.iter().enumerate() {
            let id = format!("strip.{name}.fader");
            journal.value(&id, 48_000, -1.0 - i as f32);
            journal.value(&id, 48_064, -2.0 - i as f32);
            journal.released(&id);
        }
        // What a SIGKILL leaves: written, never ended.
        journal.keep();
        drop(journal);
        let (opened, told) = open(&path, &table, 48_000).unwrap();
        let told = told.unwrap();
        assert!(told.contains("3 parameters") && !told.contains("left out"), "{told}");
        for (i, name) in names.iter().enumerate() {
            let lane = opened.lane(&format!("strip.{name}.fader"), Shape::Linear).expect(name);
            assert_eq!(lane.value_at(48_064), Some(-2.0 - i as f32), "{name}");
        }
        assert_eq!(file::load(&path, &table).unwrap(), opened);
    }

    #[test]
    fn a_journal_whose_frames_fall_back_repeat_or_overflow_recovers_into_a_file_that_opens() {
        let (table, names) = awkward_table();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(file::FILE_NAME);
        let id = format!("strip.{}.fader", names[0]).replace(' ', "%20");
        let journal = format!(
            "pass 96000 2026-12-03 10:00:00\nv {id} 96100 -3\nv {id} 96050 -4\nv {id} 96100 -5\nv {id} 96200 -6\nv {id} 18446744073709551615 -7\nx 18446744073709551615\nv strip.Nobody.fader 96300 -1\nv {id} 96300 NaN\n"
        );
        std::fs::write(journal_path(&path), journal).unwrap();
        let (opened, told) = open(&path, &table, 48_000).unwrap();
        let told = told.unwrap();
        assert!(told.contains("6 records of the journal were left out"), "{told}");
        let lane = opened.lane(&format!("strip.{}.fader", names[0]), Shape::Linear).unwrap();
        let frames: Vec<u64> = lane.points().iter().map(|p| p.frame).collect();
        assert_eq!(frames, [96_100, 96_200]);
        assert_eq!(file::load(&path, &table).unwrap(), opened, "the file opens as recovered");
        assert!(!journal_path(&path).exists());
    }

    #[test]
    fn a_journal_is_kept_when_its_pass_cannot_be_saved() {
        let (table, names) = awkward_table();
        let dir = tempfile::tempdir().unwrap();
        // The automation file is a symlink into a folder that is gone: there is no automation
        // yet to read, and the save of the recovered pass fails as on a broken disk.
        let path = dir.path().join(file::FILE_NAME);
        std::os::unix::fs::symlink("gone/automation.yaml", &path).unwrap();
        let id = format!("strip.{}.fader", names[1]).replace(' ', "%20");
        std::fs::write(journal_path(&path), format!("pass 0 now\nv {id} 0 -3\nv {id} 64 -4\n")).unwrap();
        let err = open(&path, &table, 48_000).unwrap_err().to_string();
        assert!(err.contains("cannot save the pass recovered from its journal"), "{err}");
        assert!(
            err.ends_with(&format!("the pass is still in {} (nothing was removed)", journal_path(&path).display())),
            "{err}"
        );
        assert!(journal_path(&path).exists(), "the journal stays until its pass is safe");
    }

    #[test]
    fn a_pass_name_the_file_would_refuse_is_refused_when_given() {
        let yaml = "version: 1\nname: t\nstrips:\n  - {name: V, input: {ports: [x:v]}}\n";
        let doc = crate::session::load::parse(yaml, Path::new("t.yaml")).unwrap().0;
        let mut built = build_engine(&doc, 48_000.0, 1).unwrap();
        let table = built.params.clone();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(file::FILE_NAME);
        let mut pass = PassBuilder::new(0, "2026-12-03 10:00:00".into());
        pass.value(table.lookup("strip.V.fader").unwrap(), 0, -10.0);
        let mut store = Store::default();
        store.add(pass.finish(64, 1, &table).unwrap());
        let ring = built.command_producers.remove(0);
        let recorder = Recorder::start(path.clone(), store, table.clone(), 48_000, built.automation, ring);
        recorder.request(Request::Rename(1, "verse\x1b[31m".into()));
        let said = recorder.events.recv_timeout(Duration::from_secs(5)).unwrap();
        assert_eq!(
            said,
            Event::Problem("pass 1 keeps its name: a name cannot hold control characters (found U+001B)".into())
        );
        recorder.request(Request::Rename(1, "verse ride".into()));
        assert!(matches!(recorder.events.recv_timeout(Duration::from_secs(5)).unwrap(), Event::Said(_)));
        assert_eq!(file::load(&path, &table).unwrap().passes()[0].name.as_deref(), Some("verse ride"));
    }
}
