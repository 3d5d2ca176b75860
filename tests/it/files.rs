//! Nothing lost, nobody in, against a real JACK dummy server: a second headroom on a session
//! is refused while the first rides a pass; passes ridden while the disk is full or read-only
//! (a real small tmpfs, remounted) are kept in memory, announced, guard the quit and are saved
//! once the disk allows; a pass on strips with awkward names survives a SIGKILL.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use headroom::automation::file;

use super::jack::{Headroom, ONE_SERVER_AT_A_TIME, RATE, headroom_on, layout_in, private_server};

const LAYOUT: &str = "version: 1
name: safe
strips:
  - {name: Lead Vox, input: {ports: [\"probe:out\"]}}
  - {name: \"Chœur ☆ 2\", input: {ports: [\"probe:out\"]}}
";

/// Rides `strip.<strip>.fader` down to `to_db` in Touch during one roll of half a second.
fn ride(headroom: &mut Headroom, strip: &str, to_db: i32) {
    let id = format!("\"strip.{strip}.fader\"");
    headroom.send("play");
    std::thread::sleep(Duration::from_millis(200));
    headroom.send(&format!("touch {id}"));
    for db in (to_db..0).rev() {
        headroom.send(&format!("move {id} {db}"));
        std::thread::sleep(Duration::from_millis(30));
    }
    headroom.send(&format!("release {id}"));
    std::thread::sleep(Duration::from_millis(100));
    headroom.send("stop");
}

fn passes(layout: &Path) -> Vec<headroom::automation::passes::Pass> {
    let doc = headroom::session::load::load(layout).unwrap().doc;
    let table = headroom::session::resolve::build_engine(&doc, RATE as f32, 0).unwrap().params;
    file::load(&file::path_for(layout), &table).unwrap().passes().to_vec()
}

#[test]
fn a_second_headroom_on_an_open_session_is_refused_naming_the_first_and_leaves_its_journal_alone() {
    let _turn = ONE_SERVER_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let server = private_server("lock");
    let dir = tempfile::tempdir().unwrap();
    let layout = layout_in(dir.path(), "safe.yaml", LAYOUT);
    let mut first = Headroom::play(&server, &layout, &[]);
    first.expect_line("on JACK as");
    first.send("mode \"strip.Lead Vox.fader\" touch");
    first.send("write on");
    first.expect_line("automation write enabled");
    // Mid-pass, with its journal being written, a second instance tries the same session.
    first.send("play");
    std::thread::sleep(Duration::from_millis(200));
    first.send("touch \"strip.Lead Vox.fader\"");
    first.send("move \"strip.Lead Vox.fader\" -4");
    std::thread::sleep(Duration::from_millis(400));
    let journal = dir.path().join("safe.automation.yaml.journal");
    assert!(journal.exists(), "the pass in progress is journaled");
    let second = headroom_on(&server).args(["play", "--headless"]).arg(&layout).output().unwrap();
    let said = String::from_utf8_lossy(&second.stderr);
    assert!(!second.status.success());
    let pid = first.child.id();
    assert!(said.contains(&format!("safe.yaml: already open in another headroom (pid {pid}")), "{said}");
    assert!(said.contains("safe.yaml.lock and open the session again"), "{said}");
    assert!(!said.contains("recovered"), "{said}");
    assert!(journal.exists(), "the first one's live journal is not taken for a crash's");
    first.send("release \"strip.Lead Vox.fader\"");
    first.send("stop");
    first.expect_line("kept pass 1");
    first.quit();
    assert_eq!(passes(&layout).len(), 1);
    assert!(!dir.path().join("safe.yaml.lock").exists(), "the lock goes with its holder");
}

#[test]
fn a_pass_on_strips_named_with_spaces_and_unicode_survives_a_sigkill() {
    let _turn = ONE_SERVER_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let server = private_server("kill");
    let dir = tempfile::tempdir().unwrap();
    let layout = layout_in(dir.path(), "safe.yaml", LAYOUT);
    let mut headroom = Headroom::play(&server, &layout, &[]);
    headroom.expect_line("on JACK as");
    for strip in ["Lead Vox", "Chœur ☆ 2"] {
        headroom.send(&format!("mode \"strip.{strip}.fader\" touch"));
    }
    headroom.send("write on");
    headroom.expect_line("automation write enabled");
    headroom.send("play");
    std::thread::sleep(Duration::from_millis(200));
    for strip in ["Lead Vox", "Chœur ☆ 2"] {
        headroom.send(&format!("touch \"strip.{strip}.fader\""));
    }
    for db in 1..=8 {
        for strip in ["Lead Vox", "Chœur ☆ 2"] {
            headroom.send(&format!("move \"strip.{strip}.fader\" -{db}"));
        }
        std::thread::sleep(Duration::from_millis(40));
    }
    // A quarter second for the journal to reach the OS, then the kill.
    std::thread::sleep(Duration::from_millis(600));
    headroom.child.kill().unwrap();
    headroom.child.wait().unwrap();
    assert!(dir.path().join("safe.automation.yaml.journal").exists());

    let again = Headroom::play(&server, &layout, &[]);
    let told = again.expect_line("from before the crash");
    assert!(told.contains("kept pass 1 \"recovered\""), "{told}");
    again.quit();
    let recovered = &passes(&layout)[0];
    for strip in ["Lead Vox", "Chœur ☆ 2"] {
        let stretch = &recovered.writes[&format!("strip.{strip}.fader")][0];
        let lowest = stretch.iter().map(|p| p.value).fold(0.0, f32::min);
        assert!(lowest <= -7.9, "{strip}'s ride came back to -8 dB: {stretch:?}");
    }
    assert!(!dir.path().join("safe.automation.yaml.journal").exists(), "the journal goes once its pass is saved");
}

/// A small tmpfs of its own, mounted for the test (the tests run as root, as CI does).
struct SmallDisk {
    mount: PathBuf,
    _dir: tempfile::TempDir,
}

impl SmallDisk {
    fn mount(kib: u32) -> SmallDisk {
        let dir = tempfile::tempdir().unwrap();
        let mount = dir.path().join("disk");
        std::fs::create_dir(&mount).unwrap();
        let status = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={kib}k"), "tmpfs"])
            .arg(&mount)
            .status()
            .expect("mount runs");
        assert!(status.success(), "mounting a small tmpfs needs root (CI runs as root)");
        SmallDisk { mount, _dir: dir }
    }

    /// Fills the disk to the last byte with a file of its own.
    fn fill(&self) {
        use std::io::Write;
        let mut filler = std::fs::File::create(self.mount.join("filler")).unwrap();
        let block = vec![0u8; 4096];
        while filler.write_all(&block).is_ok() {}
        let _ = filler.write_all(&[0]);
    }

    fn remount(&self, how: &str) {
        let status = Command::new("mount").args(["-o", &format!("remount,{how}")]).arg(&self.mount).status().unwrap();
        assert!(status.success(), "remount {how}");
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.mount).status();
    }
}

#[test]
fn passes_ridden_on_a_full_then_a_read_only_disk_are_kept_announced_guard_the_quit_and_are_saved_later() {
    let _turn = ONE_SERVER_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let server = private_server("full");
    let disk = SmallDisk::mount(256);
    let layout = layout_in(&disk.mount, "safe.yaml", LAYOUT);
    let mut headroom = Headroom::play(&server, &layout, &[]);
    headroom.expect_line("on JACK as");
    headroom.send("mode \"strip.Lead Vox.fader\" touch");
    headroom.send("write on");
    headroom.expect_line("automation write enabled");

    disk.fill();
    ride(&mut headroom, "Lead Vox", -6);
    headroom.expect_lines(&[
        "cannot journal the pass (No space left on device",
        "cannot save the automation (No space left on device (os error 28)); it is kept here",
        "kept pass 1",
    ]);
    headroom.expect_line("AUTOMATION NOT SAVED");
    headroom.send("quit");
    headroom.expect_line("automation not saved: the disk refused it (full or read-only)");

    // The full disk goes read-only: the second pass waits too.
    disk.remount("ro");
    ride(&mut headroom, "Lead Vox", -9);
    headroom.expect_line("kept pass 2");
    std::thread::sleep(Duration::from_millis(2500));
    headroom.send("quit");
    headroom.expect_line("automation not saved");
    assert!(passes(&layout).is_empty(), "no pass reached the disk yet");

    // Writable again, with room (a tmpfs grows on a remount).
    disk.remount("rw,size=1024k");
    headroom.expect_line("automation saved in");
    let summary = headroom.quit();
    assert!(summary.contains("stopped:"), "{summary}");
    let kept = passes(&layout);
    assert_eq!(kept.len(), 2, "both passes ridden while the disk refused them are in the file");
    assert!(!disk.mount.join("safe.automation.yaml.journal").exists());
}
