//! Reading a file the user named: a plain file (a FIFO would block forever, a device never
//! end), no larger than its kind can be, text in UTF-8 with the first bad byte located.

use std::io::Read;
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

/// The most a layout, session, controller map or automation file may be: far beyond any
/// real one (the 64-strip bench session is 60 KB; a long automation history a few MB).
pub const MOST_TEXT_BYTES: u64 = 64 << 20;

/// Why a file could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    #[error("{0}")]
    Io(#[from] std::io::Error),
    #[error("expected a file, found {0}")]
    NotAFile(&'static str),
    #[error("{size} bytes is more than the {most} a file of this kind may have")]
    TooLarge { size: u64, most: u64 },
    /// Not UTF-8: where the first bad byte is, 1-based.
    #[error("expected UTF-8 text, found byte 0x{byte:02x} that is not")]
    NotText { line: usize, column: usize, byte: u8 },
}

impl ReadError {
    pub fn not_found(&self) -> bool {
        matches!(self, ReadError::Io(e) if e.kind() == std::io::ErrorKind::NotFound)
    }
}

/// Opens `path` for reading if it is a plain file (following symlinks), without blocking on
/// a FIFO that was put there after the check.
pub fn open_plain(path: &Path) -> Result<std::fs::File, ReadError> {
    let kind = std::fs::metadata(path)?.file_type();
    if !kind.is_file() {
        return Err(ReadError::NotAFile(kind_name(kind)));
    }
    let file = std::fs::OpenOptions::new().read(true).custom_flags(libc::O_NONBLOCK).open(path)?;
    // What was opened is what was checked (it can be swapped in between).
    let kind = file.metadata()?.file_type();
    if !kind.is_file() {
        return Err(ReadError::NotAFile(kind_name(kind)));
    }
    Ok(file)
}

/// The bytes of the plain file at `path`, refused past `most`.
pub fn bytes(path: &Path, most: u64) -> Result<Vec<u8>, ReadError> {
    let file = open_plain(path)?;
    let size = file.metadata()?.len();
    if size > most {
        return Err(ReadError::TooLarge { size, most });
    }
    let mut out = Vec::with_capacity(size as usize);
    // A file that grows while it is read is cut off one byte past the limit, and refused.
    file.take(most + 1).read_to_end(&mut out)?;
    if out.len() as u64 > most {
        return Err(ReadError::TooLarge { size: out.len() as u64, most });
    }
    Ok(out)
}

/// The text of the plain file at `path`: at most [`MOST_TEXT_BYTES`], UTF-8.
pub fn text(path: &Path) -> Result<String, ReadError> {
    utf8(bytes(path, MOST_TEXT_BYTES)?)
}

/// `bytes` as text, or where the first byte that is not UTF-8 lies.
pub fn utf8(bytes: Vec<u8>) -> Result<String, ReadError> {
    String::from_utf8(bytes).map_err(|e| {
        let good = e.utf8_error().valid_up_to();
        let bytes = e.as_bytes();
        let before = &bytes[..good];
        let line_start = before.iter().rposition(|&b| b == b'\n').map_or(0, |at| at + 1);
        // Columns count characters, as editors do; the part before is valid UTF-8.
        let column = String::from_utf8_lossy(&before[line_start..]).chars().count() + 1;
        let line = before.iter().filter(|&&b| b == b'\n').count() + 1;
        ReadError::NotText { line, column, byte: bytes[good] }
    })
}

fn kind_name(kind: std::fs::FileType) -> &'static str {
    use std::os::unix::fs::FileTypeExt;
    if kind.is_dir() {
        "a folder"
    } else if kind.is_fifo() {
        "a FIFO (named pipe)"
    } else if kind.is_char_device() {
        "a character device"
    } else if kind.is_block_device() {
        "a block device"
    } else if kind.is_socket() {
        "a socket"
    } else {
        "something that is not a plain file"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fifo_and_a_device_are_refused_at_once_by_name() {
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("session.yaml");
        let c = std::ffi::CString::new(fifo.as_os_str().as_encoded_bytes()).unwrap();
        // SAFETY: a valid NUL-terminated path.
        assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o644) }, 0);
        assert_eq!(text(&fifo).unwrap_err().to_string(), "expected a file, found a FIFO (named pipe)");
        assert_eq!(text(Path::new("/dev/zero")).unwrap_err().to_string(), "expected a file, found a character device");
        assert_eq!(text(dir.path()).unwrap_err().to_string(), "expected a file, found a folder");
    }

    #[test]
    fn a_file_past_the_limit_is_refused_without_reading_it_whole() {
        let dir = tempfile::tempdir().unwrap();
        let big = dir.path().join("big.yaml");
        std::fs::File::create(&big).unwrap().set_len(5 << 30).unwrap();
        let err = bytes(&big, MOST_TEXT_BYTES).unwrap_err();
        assert_eq!(
            err.to_string(),
            format!("5368709120 bytes is more than the {MOST_TEXT_BYTES} a file of this kind may have")
        );
    }

    #[test]
    fn the_first_byte_that_is_not_utf8_is_located_by_line_and_character() {
        let err = utf8(b"version: 1\nname: Caf\xe9 \xe9\n".to_vec()).unwrap_err();
        assert!(matches!(err, ReadError::NotText { line: 2, column: 10, byte: 0xe9 }), "{err:?}");
        let err = utf8("a: \"é\"\nb: \u{1F600}".bytes().chain([0xff]).collect()).unwrap_err();
        assert!(matches!(err, ReadError::NotText { line: 2, column: 5, .. }), "{err:?}");
    }
}
