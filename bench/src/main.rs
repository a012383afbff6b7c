//! Tether's benchmark harness.
//!
//! `cargo run --release -p tether-bench -- [--quick] [WORKLOAD ...]` prints one
//! `NAME VALUE UNIT` line per figure. Workloads: spawn, ring, pingpong, fanin, skynet,
//! call (default: all). Each runs with two worker threads and with one.

mod call;
mod dist;
mod mem;
mod process;

/// The same allocator for every system measured in this binary (Tether and the Rust
/// peers alike); glibc's malloc is slow for the 128-byte-aligned task cells tokio uses.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// One reported figure.
pub struct Row {
    name: String,
    value: f64,
    unit: &'static str,
}

impl Row {
    fn new(name: String, value: f64, unit: &'static str) -> Row {
        Row { name, value, unit }
    }
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let quick = args.iter().any(|a| a == "--quick");
    let chosen: Vec<&str> = args
        .iter()
        .filter(|a| !a.starts_with("--"))
        .map(|s| s.as_str())
        .collect();
    let want = |w: &str| chosen.is_empty() || chosen.contains(&w);
    if args.iter().any(|a| a == "dist" || a.starts_with("--dist")) {
        for (name, value, unit) in dist::run(quick) {
            println!("{name} {value:.1} {unit}");
        }
    }
    let scale = if quick { 10 } else { 1 };
    for threads in [2, 1] {
        let mut rows = Vec::new();
        if want("spawn") {
            rows.extend(process::spawn_idle(threads, 1_000_000 / scale));
        }
        if want("ring") {
            rows.extend(process::ring(threads, 10_000, 1_000_000 / scale as u64));
        }
        if want("pingpong") {
            rows.extend(process::ping_pong(threads, 1_000_000 / scale as u64));
        }
        if want("fanin") {
            rows.extend(process::fan_in(threads, 100, 100_000 / scale as u64));
        }
        if want("skynet") {
            rows.extend(process::skynet(threads, 1_000_000 / scale as u64));
        }
        if want("call") && threads == 2 {
            for (name, value, unit) in call::run() {
                println!("{name} {value:.1} {unit}");
            }
        }
        for r in rows {
            println!("{} {:.1} {}", r.name, r.value, r.unit);
        }
    }
}
