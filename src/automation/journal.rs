//! The journal of the pass in progress, `<automation file>.journal`, one line a record:
//! written as the pass is, flushed every quarter second and synced every second on a thread
//! of its own (a slow disk holds up nobody), read back after a crash. Parameter ids are
//! written escaped (`strip.Lead%20Vox.fader`), so any name a layout accepts stays one word.

use std::io::{BufRead, BufWriter, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::mpsc::Sender;
use std::time::{Duration, Instant};

/// How often the journal is handed to the operating system (what a SIGKILL can lose).
const JOURNAL_FLUSH: Duration = Duration::from_millis(250);
/// How often it is forced to the disk (what a power cut can lose).
const JOURNAL_SYNC: Duration = Duration::from_secs(1);

/// One record of a journal, as read back.
pub(super) enum Entry {
    Pass { start: u64, made: String },
    Value { id: String, frame: u64, value: f32 },
    Released { id: String },
    Xrun { frame: u64 },
}

/// The journal of the pass in progress: `<automation file>.journal`, one line a record.
pub(super) struct Journal {
    path: PathBuf,
    out: Option<BufWriter<std::fs::File>>,
    flushed: Instant,
    synced: Instant,
    /// Something was written since the last sync (nothing to sync otherwise).
    unsynced: bool,
    /// The thread that syncs the journal to disk, so a slow disk holds up nobody.
    syncer: Sender<std::fs::File>,
}

impl Journal {
    pub(super) fn new(automation_file: &Path) -> Journal {
        let (syncer, files) = std::sync::mpsc::channel::<std::fs::File>();
        let _ = std::thread::Builder::new().name("automation-sync".into()).spawn(move || {
            while let Ok(file) = files.recv() {
                // Syncs asked for while one was running are one sync of the newest.
                let file = files.try_iter().last().unwrap_or(file);
                let _ = file.sync_data();
            }
        });
        Journal {
            path: journal_path(automation_file),
            out: None,
            flushed: Instant::now(),
            synced: Instant::now(),
            unsynced: false,
            syncer,
        }
    }

    pub(super) fn begin(&mut self, start: u64, made: &str) -> std::io::Result<()> {
        let mut out = BufWriter::new(std::fs::File::create(&self.path)?);
        writeln!(out, "pass {start} {made}")?;
        out.flush()?;
        self.out = Some(out);
        Ok(())
    }

    /// Parameter `id` was written `value` at transport frame `frame`.
    pub(super) fn value(&mut self, id: &str, frame: u64, value: f32) {
        self.line(format_args!("v {} {frame} {value}\n", escape(id)));
    }

    /// Parameter `id` was let go of.
    pub(super) fn released(&mut self, id: &str) {
        self.line(format_args!("r {}\n", escape(id)));
    }

    /// JACK missed periods at transport frame `frame`; the pass carried on.
    pub(super) fn xrun(&mut self, frame: u64) {
        self.line(format_args!("x {frame}\n"));
    }

    fn line(&mut self, line: std::fmt::Arguments) {
        if let Some(out) = &mut self.out {
            let _ = out.write_fmt(line);
            self.unsynced = true;
        }
    }

    /// Hands what was written to the OS every quarter second, and asks the sync thread to
    /// put it on the disk every second; a second in which nothing was written costs nothing.
    pub(super) fn keep(&mut self) {
        let Some(out) = &mut self.out else { return };
        if self.flushed.elapsed() >= JOURNAL_FLUSH {
            self.flushed = Instant::now();
            let _ = out.flush();
        }
        if self.unsynced && self.synced.elapsed() >= JOURNAL_SYNC {
            self.synced = Instant::now();
            self.unsynced = false;
            let _ = out.flush();
            if let Ok(file) = out.get_ref().try_clone() {
                let _ = self.syncer.send(file);
            }
        }
    }

    /// Follows the automation file to a new place; a pass in progress journals on there
    /// (the open file moves with its name).
    pub(super) fn move_to(&mut self, automation_file: &Path) {
        let path = journal_path(automation_file);
        if self.out.is_some() {
            let _ = std::fs::rename(&self.path, &path);
        }
        self.path = path;
    }

    /// The pass ended but the automation file could not take it: the journal is written
    /// out and closed, and stays until [`Journal::end`], so a crash before the file is
    /// saved still finds the pass (and nothing holds the disk open for writing meanwhile).
    pub(super) fn close(&mut self) {
        if let Some(mut out) = self.out.take() {
            let _ = out.flush();
            let _ = out.get_ref().sync_data();
        }
    }

    /// The pass is safe in the automation file: the journal goes.
    pub(super) fn end(&mut self) {
        self.out = None;
        let _ = std::fs::remove_file(&self.path);
    }
}

pub(super) fn journal_path(automation_file: &Path) -> PathBuf {
    let mut name = automation_file.file_name().unwrap_or_default().to_os_string();
    name.push(".journal");
    automation_file.with_file_name(name)
}

/// An id as one word: '%', whitespace and control characters as `%XX` (UTF-8 bytes).
fn escape(id: &str) -> std::borrow::Cow<'_, str> {
    let plain = |c: char| c != '%' && !c.is_whitespace() && !c.is_control();
    if id.chars().all(plain) {
        return id.into();
    }
    let mut out = String::with_capacity(id.len() + 8);
    for c in id.chars() {
        if plain(c) {
            out.push(c);
        } else {
            let mut utf8 = [0u8; 4];
            c.encode_utf8(&mut utf8).bytes().for_each(|b| out.push_str(&format!("%{b:02X}")));
        }
    }
    out.into()
}

/// The id an escaped word stands for; None if it is not one `escape` writes.
fn unescape(word: &str) -> Option<String> {
    let mut bytes = Vec::with_capacity(word.len());
    let mut rest = word.as_bytes();
    while let Some((&b, after)) = rest.split_first() {
        if b == b'%' {
            let hex = std::str::from_utf8(after.get(..2)?).ok()?;
            bytes.push(u8::from_str_radix(hex, 16).ok()?);
            rest = &after[2..];
        } else {
            bytes.push(b);
            rest = after;
        }
    }
    String::from_utf8(bytes).ok()
}

/// The most a journal can be (a pass of hours, every value of every touched control).
const MOST_JOURNAL_BYTES: u64 = 1 << 30;

/// The records of the journal at `path`, if there is one, and how many lines were not whole
/// records (the crash came mid-write, or the disk tore them) and were skipped.
pub(super) fn read(path: &Path) -> Option<(Vec<Entry>, usize)> {
    let file = crate::files::read::open_plain(path).ok()?;
    let lines = std::io::BufReader::new(file.take(MOST_JOURNAL_BYTES)).split(b'\n').map_while(Result::ok);
    let records = lines.filter(|line| !line.is_empty()).map(|line| {
        let line = String::from_utf8(line).ok()?;
        let words: Vec<&str> = line.split_whitespace().collect();
        match words.as_slice() {
            ["pass", start, made @ ..] => Some(Entry::Pass { start: start.parse().ok()?, made: made.join(" ") }),
            ["v", id, frame, value] => Some(Entry::Value {
                id: unescape(id)?,
                frame: frame.parse().ok()?,
                value: value.parse().ok().filter(|v: &f32| v.is_finite())?,
            }),
            ["r", id] => Some(Entry::Released { id: unescape(id)? }),
            ["x", frame] => Some(Entry::Xrun { frame: frame.parse().ok()? }),
            _ => None,
        }
    });
    let (mut entries, mut torn) = (Vec::new(), 0);
    for record in records {
        match record {
            Some(entry) => entries.push(entry),
            None => torn += 1,
        }
    }
    Some((entries, torn))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn any_id_a_layout_accepts_is_one_word_in_the_journal_and_reads_back_the_same() {
        for id in ["strip.Lead Vox.fader", "strip.50%.fader", "strip.Chœur ☆\t2.pan", "bus.\u{a0}x.fader", "plain.id"]
        {
            let word = escape(id);
            assert_eq!(word.split_whitespace().count(), 1, "{word}");
            assert_eq!(unescape(&word).as_deref(), Some(id));
        }
        assert_eq!(escape("strip.Lead Vox.fader"), "strip.Lead%20Vox.fader");
        assert_eq!(unescape("strip.%2"), None, "a torn escape is no id");
    }
}
