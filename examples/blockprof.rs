fn main() {
    let dir = std::env::temp_dir().join("headroom-bench");
    std::fs::create_dir_all(&dir).unwrap();
    let r = headroom::bench::render_speed(&dir, 64, 60.0).unwrap();
    println!("{:.1}x", r.realtime());
}
