//! `cargo bench`: the same figures as `headroom bench` (see src/bench.rs).

fn main() {
    let dir = std::env::temp_dir().join("headroom-bench");
    std::fs::create_dir_all(&dir).expect("bench folder");
    if let Err(e) = headroom::bench::run_all(&dir, 60.0) {
        eprintln!("bench failed: {e}");
        std::process::exit(1);
    }
}
