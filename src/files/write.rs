//! Writing a file so that a crash, a full disk or a power cut leaves the old one or the new
//! one, never a torn one; and so that a save changes only the contents: a symlink keeps
//! pointing where it did, and the file keeps its mode and owner.

use std::io::Write;
use std::os::unix::fs::{MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

/// Symlinks followed before giving up (as the kernel's own limit).
const MOST_LINKS: usize = 40;

/// Writes `contents` to `path` atomically: a temporary file beside the real one (the target
/// of a symlink), with the old file's mode and owner, flushed to disk, renamed over it, and
/// the folder synced. On any failure the temporary file is removed and the old file stays.
pub fn atomic(path: &Path, contents: &[u8]) -> std::io::Result<()> {
    let target = follow_links(path)?;
    let dir = target.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let name = target.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let tmp = dir.join(format!(".{name}.tmp-{}", std::process::id()));
    let old = std::fs::metadata(&target).ok().filter(|m| m.is_file());
    let result = (|| {
        // A new file gets the usual mode (0666 less the umask); a file that exists keeps its own.
        let mut f = std::fs::OpenOptions::new().write(true).create_new(true).mode(0o666).open(&tmp)?;
        if let Some(old) = &old {
            f.set_permissions(std::fs::Permissions::from_mode(old.mode() & 0o7777))?;
            // Only root may give a file away; for anyone else the owner is theirs already.
            let _ = std::os::unix::fs::fchown(&f, Some(old.uid()), Some(old.gid()));
        }
        f.write_all(contents)?;
        f.sync_all()?;
        std::fs::rename(&tmp, &target)?;
        std::fs::File::open(dir)?.sync_all()
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

/// Where `path` leads after every symlink (a dangling one leads to the file it names).
fn follow_links(path: &Path) -> std::io::Result<PathBuf> {
    let mut at = path.to_path_buf();
    for _ in 0..MOST_LINKS {
        match std::fs::read_link(&at) {
            Ok(next) => at = at.parent().map_or(next.clone(), |dir| dir.join(&next)),
            Err(e) if e.kind() == std::io::ErrorKind::InvalidInput || e.kind() == std::io::ErrorKind::NotFound => {
                return Ok(at);
            }
            Err(e) => return Err(e),
        }
    }
    Err(std::io::Error::other(format!("more than {MOST_LINKS} symlinks lead on from {}", path.display())))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_save_through_a_symlink_replaces_its_target_and_keeps_the_link() {
        let dir = tempfile::tempdir().unwrap();
        let real = dir.path().join("kept").join("session.yaml");
        std::fs::create_dir(real.parent().unwrap()).unwrap();
        std::fs::write(&real, "old").unwrap();
        let link = dir.path().join("session.yaml");
        std::os::unix::fs::symlink("kept/session.yaml", &link).unwrap();
        atomic(&link, b"new").unwrap();
        assert!(std::fs::symlink_metadata(&link).unwrap().file_type().is_symlink(), "still a link");
        assert_eq!(std::fs::read_to_string(&real).unwrap(), "new");
        assert_eq!(std::fs::read_dir(real.parent().unwrap()).unwrap().count(), 1, "no temporary file left");
    }

    #[test]
    fn a_save_keeps_the_mode_of_the_file_it_replaces() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("automation.yaml");
        std::fs::write(&file, "old").unwrap();
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600)).unwrap();
        atomic(&file, b"new").unwrap();
        assert_eq!(std::fs::metadata(&file).unwrap().mode() & 0o777, 0o600);
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o640)).unwrap();
        atomic(&file, b"newer").unwrap();
        assert_eq!(std::fs::metadata(&file).unwrap().mode() & 0o777, 0o640);
    }
}
