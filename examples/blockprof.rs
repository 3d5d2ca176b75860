fn main() {
    let c = headroom::bench::block_cost(64, 100_000);
    println!("{} {}", c.median_us, c.p999_us);
}
