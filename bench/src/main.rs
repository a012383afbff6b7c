//! Tether's benchmark harness: every workload on Tether, on the BEAM and on the Rust
//! actor frameworks (ractor, kameo, actix) and raw tokio, side by side.
//!
//! ```text
//! cargo run --release -p tether-bench -- --all            # full run: table, JSON, SVG chart
//! cargo run --release -p tether-bench -- --quick          # smoke test: small sizes, one run
//! cargo run --release -p tether-bench -- --all ring call  # only some workloads
//! ```
//!
//! The harness ([`harness`]) never measures in its own process: for every sample it
//! re-invokes this binary as `--worker SYSTEM WORKLOAD THREADS [--quick]` (or runs
//! `erl` for the BEAM), reads `NAME VALUE UNIT` lines from the worker's stdout, and
//! interleaves the systems (A B C … A B C …) so that machine drift hits all alike.
//! Adding a workload is one file in `workloads/` (plus `erlang/tb_NAME.erl` for the
//! BEAM) and one line in [`workloads::ALL`].

mod beam;
mod chart;
mod dist;
mod harness;
mod mem;
mod report;
mod rt;
mod system;
mod workloads;

use std::process::ExitCode;

use system::System;

/// One allocator for every system measured by this binary (Tether and the Rust peers
/// alike): glibc's malloc is slow for the 128-byte-aligned task cells tokio allocates,
/// which would penalise every tokio-based system equally but hide their own costs.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

const USAGE: &str = "\
usage: tether-bench (--all | --quick) [--runs N] [--systems a,b,..] [--out DIR] [WORKLOAD ...]
       tether-bench --worker SYSTEM WORKLOAD THREADS [--quick]
       tether-bench --list";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("--worker") {
        return worker(&args[1..]);
    }
    if args.iter().any(|a| a == "--list") {
        for w in workloads::ALL {
            let systems: Vec<&str> = System::ALL
                .iter()
                .filter(|s| w.supports(**s))
                .map(|s| s.name())
                .collect();
            println!("{:<10} {}  [{}]", w.name, w.title, systems.join(" "));
        }
        return ExitCode::SUCCESS;
    }
    let quick = args.iter().any(|a| a == "--quick");
    if args.iter().any(|a| a == "--dist-peer") {
        dist::run(quick); // the second Tether node of the dist pairings; never returns
    }
    if args.iter().any(|a| a == "dist" || a == "--dist") {
        // Two nodes on loopback: Tether↔Tether, Tether↔BEAM, BEAM↔BEAM (see `dist`).
        print_dist(quick);
        return ExitCode::SUCCESS;
    }
    match harness::Options::parse(&args) {
        Ok(opts) => {
            let code = harness::run(&opts);
            if opts.workloads.iter().any(|w| w.name == "dist") {
                print_dist(quick);
            }
            code
        }
        Err(e) => {
            eprintln!("{e}\n{USAGE}");
            ExitCode::from(2)
        }
    }
}

/// Runs the distribution pairings and prints their rows as a Markdown table.
fn print_dist(quick: bool) {
    println!("\n### Two nodes on loopback\n");
    println!("| figure | value | unit |\n|---|---|---|");
    for (name, value, unit) in dist::run(quick) {
        println!("| {name} | {value:.2} | {unit} |");
    }
}

/// `--worker SYSTEM WORKLOAD THREADS [--quick]`: runs one measurement in this process
/// and prints `NAME VALUE UNIT` lines. A wrong result panics (non-zero exit).
fn worker(args: &[String]) -> ExitCode {
    let [system, workload, threads, rest @ ..] = args else {
        eprintln!("{USAGE}");
        return ExitCode::from(2);
    };
    let quick = rest.iter().any(|a| a == "--quick");
    let (Some(system), Some(w), Ok(threads)) = (
        System::from_name(system),
        workloads::find(workload),
        threads.parse::<usize>(),
    ) else {
        eprintln!("unknown system, workload or thread count\n{USAGE}");
        return ExitCode::from(2);
    };
    let params = workloads::Params { threads, quick };
    if system == System::Beam {
        return beam::run_worker(w, &params);
    }
    let Some(run) = w.rust_impl(system) else {
        eprintln!("{} has no {} implementation", w.name, system.name());
        return ExitCode::from(3);
    };
    for (key, value) in run(&params) {
        let unit = w.metric(key).map_or("?", |m| m.unit);
        println!("{key} {value} {unit}");
    }
    ExitCode::SUCCESS
}
