//! A session is open in one process at a time. The lock is a file beside the session file
//! (`session.yaml.lock`) held with `flock`, which the kernel lets go of when its holder
//! dies however it dies, so a crash leaves no lock to break; the file names its holder
//! (pid, host, since when, the command) for the refusal a second instance gets.

use std::io::Read;
use std::os::fd::AsRawFd;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

/// The session file `file` held open by this process; let go of when dropped.
#[derive(Debug)]
pub struct SessionLock {
    path: PathBuf,
    /// Open for as long as the lock is held: the kernel's lock lives with the descriptor.
    _held: std::fs::File,
}

#[derive(Debug, thiserror::Error)]
pub enum LockError {
    #[error(
        "{session}: already open in another headroom ({holder}); close it there first. If that process is gone (a lock kept by a network disk), remove {lock} and open the session again"
    )]
    Held { session: PathBuf, holder: String, lock: PathBuf },
    #[error("{}: cannot lock the session: {source}", lock.display())]
    Io { lock: PathBuf, source: std::io::Error },
}

/// Where the lock of session file `file` lives.
pub fn lock_path(file: &Path) -> PathBuf {
    let mut name = file.file_name().unwrap_or_default().to_os_string();
    name.push(".lock");
    file.with_file_name(name)
}

impl SessionLock {
    /// Takes the lock of session file `session`, or says who holds it.
    pub fn take(session: &Path) -> Result<SessionLock, LockError> {
        let path = lock_path(session);
        let io = |source| LockError::Io { lock: path.clone(), source };
        loop {
            // Held open for reading only: a lock must not keep the disk from going read-only.
            let mut file = match std::fs::File::open(&path) {
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                    std::fs::OpenOptions::new().write(true).create(true).truncate(false).open(&path).map_err(io)?;
                    continue;
                }
                opened => opened.map_err(io)?,
            };
            // SAFETY: flock on a descriptor this function owns; no memory is involved.
            if unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) } != 0 {
                let error = std::io::Error::last_os_error();
                if error.raw_os_error() != Some(libc::EWOULDBLOCK) {
                    return Err(io(error));
                }
                let mut holder = String::new();
                let _ = file.read_to_string(&mut holder);
                return Err(LockError::Held {
                    session: session.to_path_buf(),
                    holder: describe_holder(&holder),
                    lock: path.clone(),
                });
            }
            // The holder before us may have removed the file between our open and our lock:
            // then we hold a file no one else will find, and take the one at the path instead.
            let same = std::fs::metadata(&path)
                .is_ok_and(|m| file.metadata().is_ok_and(|mine| mine.ino() == m.ino() && mine.dev() == m.dev()));
            if !same {
                continue;
            }
            // Who holds it, for the refusal another instance gets (a full disk may keep it empty).
            let _ = std::fs::write(&path, holder_text());
            return Ok(SessionLock { path, _held: file });
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for SessionLock {
    fn drop(&mut self) {
        // Removed while still held, so no one takes a file that is on its way out.
        let _ = std::fs::remove_file(&self.path);
    }
}

fn holder_text() -> String {
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname").unwrap_or_default();
    let command: Vec<String> = std::env::args().collect();
    format!(
        "pid: {}\nhost: {}\nsince: {}\ncommand: {}\n",
        std::process::id(),
        host.trim(),
        chrono::Local::now().format("%Y-%m-%d %H:%M:%S"),
        command.join(" ")
    )
}

/// "pid 1234 on studio, since 2026-12-03 14:00:01: headroom play song/"
fn describe_holder(text: &str) -> String {
    let field =
        |key: &str| text.lines().find_map(|l| l.strip_prefix(key).and_then(|v| v.strip_prefix(": "))).map(str::trim);
    let Some(pid) = field("pid") else { return "its holder did not say who it is".into() };
    let mut told = format!("pid {pid}");
    if let Some(host) = field("host").filter(|h| !h.is_empty()) {
        told.push_str(&format!(" on {host}"));
    }
    if let Some(since) = field("since") {
        told.push_str(&format!(", since {since}"));
    }
    if let Some(command) = field("command") {
        // What another user typed is shown, never obeyed by the terminal.
        let shown: String = command.chars().map(|c| if c.is_control() { '?' } else { c }).take(200).collect();
        told.push_str(&format!(": {shown}"));
    }
    told
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_lock_is_refused_naming_the_holder_and_given_once_the_first_goes() {
        let dir = tempfile::tempdir().unwrap();
        let session = dir.path().join("session.yaml");
        let first = SessionLock::take(&session).unwrap();
        let refused = SessionLock::take(&session).unwrap_err().to_string();
        assert!(
            refused.contains(&format!("already open in another headroom (pid {}", std::process::id())),
            "{refused}"
        );
        assert!(refused.contains(&format!("remove {}", lock_path(&session).display())), "{refused}");
        drop(first);
        assert!(!lock_path(&session).exists(), "the lock file goes with its holder");
        let second = SessionLock::take(&session).unwrap();
        assert_eq!(second.path(), lock_path(&session));
    }

    #[test]
    fn a_lock_file_left_by_a_dead_process_is_taken_over() {
        let dir = tempfile::tempdir().unwrap();
        let session = dir.path().join("session.yaml");
        std::fs::write(lock_path(&session), "pid: 999999\nhost: gone\n").unwrap();
        let taken = SessionLock::take(&session).unwrap();
        let text = std::fs::read_to_string(taken.path()).unwrap();
        assert!(text.starts_with(&format!("pid: {}\n", std::process::id())), "{text}");
    }
}
