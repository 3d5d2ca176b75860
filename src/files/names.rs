//! Names the user chooses that become file names, JACK names and parameter ids: what they
//! may hold, so that none leaves its folder, breaks a journal line or reaches a terminal raw.

/// The longest session, strip or bus name, in characters: room for any real label, and a
/// JACK port name (`<client>:<strip> in L`, 255 bytes at most) stays within JACK's limit.
pub const MOST_NAME_CHARS: usize = 64;

/// JACK's longest client name, in bytes (`jack_client_name_size()` is 64 with the NUL);
/// three are left for the `-01` JACK adds to a name already taken.
const MOST_JACK_CLIENT_BYTES: usize = 60;

/// Why a name cannot be used; None when it can. `file` is whether it becomes a file or
/// folder name (a session's), which also rules out separators and a leading dot.
pub fn name_problem(name: &str, file: bool) -> Option<String> {
    let chars = name.chars().count();
    if chars > MOST_NAME_CHARS {
        return Some(format!("a name has at most {MOST_NAME_CHARS} characters; this one has {chars}"));
    }
    if let Some(c) = name.chars().find(|c| c.is_control()) {
        return Some(format!("a name cannot hold control characters (found U+{:04X})", c as u32));
    }
    if file {
        if name.contains(['/', '\\']) {
            return Some("a session name becomes a folder and file name: it cannot hold '/' or '\\'".into());
        }
        if name.starts_with('.') {
            return Some("a session name becomes a folder and file name: it cannot start with '.'".into());
        }
    }
    None
}

/// The name as a file name: every character a file name should not hold (separators,
/// control characters, a leading dot) made '_', cut to [`MOST_NAME_CHARS`]. Names that
/// passed [`name_problem`] come out as they went in.
pub fn file_name(name: &str) -> String {
    let cleaned: String = name
        .chars()
        .take(MOST_NAME_CHARS)
        .enumerate()
        .map(|(i, c)| if c.is_control() || c == '/' || c == '\\' || (i == 0 && c == '.') { '_' } else { c })
        .collect();
    if cleaned.trim().is_empty() { "session".into() } else { cleaned }
}

/// The session's name as a JACK client name: as it is when JACK takes it, else cut to
/// JACK's limit (at a character boundary) with a short hash of the whole name, so two long
/// names that start alike stay apart and the same name always gets the same client name.
pub fn jack_client_name(name: &str) -> String {
    if name.len() <= MOST_JACK_CLIENT_BYTES {
        return name.to_string();
    }
    let hash = name.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3));
    let tag = format!("~{:04x}", hash & 0xffff);
    let mut cut = MOST_JACK_CLIENT_BYTES - tag.len();
    while !name.is_char_boundary(cut) {
        cut -= 1;
    }
    format!("{}{tag}", &name[..cut])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_that_would_leave_their_folder_or_reach_the_terminal_raw_are_refused() {
        assert!(name_problem("../../X", true).unwrap().contains("cannot hold '/'"));
        assert!(name_problem(".hidden", true).unwrap().contains("cannot start with '.'"));
        assert!(name_problem("Lead\x1b[31mVox", false).unwrap().contains("U+001B"));
        assert!(name_problem("Lead\nVox", false).unwrap().contains("U+000A"));
        assert!(name_problem(&"x".repeat(65), false).unwrap().contains("at most 64 characters; this one has 65"));
        for fine in ["Lead Vox", "Chœur ☆ 2", "a/b"] {
            assert_eq!(name_problem(fine, false), None, "{fine}");
        }
        assert_eq!(name_problem(&"é".repeat(64), true), None);
    }

    #[test]
    fn a_file_name_never_holds_a_separator_or_a_leading_dot() {
        assert_eq!(file_name("../../X"), "_._.._X");
        assert_eq!(file_name("My Song"), "My Song");
        assert_eq!(file_name("\u{7}"), "_");
        assert_eq!(file_name(" "), "session");
        assert_eq!(file_name(&"y".repeat(300)).len(), 64);
    }

    #[test]
    fn a_long_name_gets_a_jack_name_within_the_limit_the_same_each_time() {
        let long = "é".repeat(40);
        let short = jack_client_name(&long);
        assert!(short.len() <= 60, "{} bytes", short.len());
        assert_eq!(short, jack_client_name(&long));
        assert_ne!(short, jack_client_name(&format!("{long}x")), "different names stay different");
        assert_eq!(jack_client_name("Demo"), "Demo");
    }
}
