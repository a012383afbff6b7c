//! Distribution benchmarks (issue 5): Tether ↔ Tether, Tether ↔ BEAM and BEAM ↔ BEAM
//! on loopback, in one run; and Tether ↔ Tether over TLS against BEAM ↔ BEAM over TLS
//! (issue 14).
//!
//! ```text
//!   bench process: Tether node ──────────────▶ peer (this binary, --dist-peer): sink, echo   tether-tether
//!                  (sink, echo, embedded EPMD) ─▶ erl server (dist_bench:serve): sink, echo   tether-beam
//!                         ▲                    ┌─ erl driver (dist_bench:driver, on stdin)
//!                         └────────────────────┤                                              beam-tether
//!                                              └▶ erl server                                  beam-beam
//! ```
//!
//! The TLS pairings have nodes of their own (a node speaks TLS or plain TCP, not
//! both), registered with the same EPMD: a second Tether node in the bench process and
//! a second `--dist-peer` child (rustls, `dist::tls`), and a second erl server and
//! driver (`-proto_dist inet_tls`, OTP's `inet_tls_dist`). All present one certificate
//! made at bench time by `openssl` and signed by a CA made with it (`tls`), and
//! verify their peer's against that CA (mutual TLS, as `SECURITY.md` recommends).
//! `tether-tether-tls` is compared with `beam-beam-tls` (`vs_beam_beam_tls`).
//!
//! Every pairing runs the same three workloads with the same protocol (see
//! `tether_side` and `bench/erlang/dist_bench.erl`):
//!
//! - `small`: N messages `{seq, I}` one way to a `sink`, timed from the first send to the
//!   sink's verdict `{done, N, N}` (the sink checks every sequence number, so a broken
//!   path fails instead of reporting) → msgs/s;
//! - `bin`: the same with `{seq, I, <<1 KiB>>}` → msgs/s and MB/s (10⁶ bytes of
//!   payload);
//! - `rtt`: `{Self, {ping, I}}` to an `echo` and back, one at a time → p50 and p99 µs.
//!
//! Timings on a shared 2-core machine are noisy, so the pairings run interleaved
//! (A B C D A B C D …) for several rounds after a warm-up, and each figure is the
//! median of the rounds, with the min and max beside it. Ratios compare medians with
//! BEAM ↔ BEAM. The rows go to the harness; a readable table goes to stderr.
//!
//! Then, Tether → Tether only, `large`: 4 messages `{seq, I, <<64 MiB>>}` to the sink
//! (sent in fragments; the sender yields after each send, so back-pressure applies),
//! while a second process times small round trips through the echo over the same
//! connection → MB/s of payload, and p50/p99 µs of the round trips during the
//! transfer.
//!
//! Sizes: N = 1,000,000 small, 200,000 binaries, 10,000 round trips, 5 rounds;
//! `--quick`: 50,000 / 20,000 / 1,000, 3 rounds, 2 × 16 MiB large messages.
//! For instruction counts, `DIST_ONLY=small` runs only the small workload (Tether
//! senders only) and `DIST_SMALL_N` sets its N. For profiling: `DIST_ROUNDS` sets
//! the rounds, `DIST_PAIRS=tether-tether,...` keeps only some pairings, and
//! `DIST_PEER_WRAP="valgrind --tool=callgrind"` runs the Tether peer under a wrapper.
//! The TLS nodes start only if a TLS pairing is kept.

mod beam_side;
mod os_proc;
mod tether_side;
mod tls;

use std::process::Command;
use std::time::Duration;

use tether::Node;
use tether::dist::{self, DistNode, EpmdMode, NodeConfig};

use beam_side::{Beam, ErlEnv};
use os_proc::Proc;
use tls::Certs;

/// Bytes of payload in a `bin` message.
pub const BIN_SIZE: usize = 1024;

const COOKIE: &str = "tether_dist_bench";

/// Who sends to whom.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Pair {
    TetherTether,
    TetherBeam,
    BeamTether,
    BeamBeam,
    TetherTetherTls,
    BeamBeamTls,
}

impl Pair {
    const ALL: [Pair; 6] = [
        Pair::TetherTether,
        Pair::TetherBeam,
        Pair::BeamTether,
        Pair::BeamBeam,
        Pair::TetherTetherTls,
        Pair::BeamBeamTls,
    ];

    fn name(self) -> &'static str {
        match self {
            Pair::TetherTether => "tether-tether",
            Pair::TetherBeam => "tether-beam",
            Pair::BeamTether => "beam-tether",
            Pair::BeamBeam => "beam-beam",
            Pair::TetherTetherTls => "tether-tether-tls",
            Pair::BeamBeamTls => "beam-beam-tls",
        }
    }

    fn is_tls(self) -> bool {
        matches!(self, Pair::TetherTetherTls | Pair::BeamBeamTls)
    }

    /// The pairing this one's ratio is taken against.
    fn baseline(self) -> Pair {
        if self.is_tls() {
            Pair::BeamBeamTls
        } else {
            Pair::BeamBeam
        }
    }
}

/// The figures, with their units and whether more is better.
const METRICS: [(&str, &str, bool); 5] = [
    ("small", "msgs/s", true),
    ("bin", "msgs/s", true),
    ("bin_bw", "MB/s", true),
    ("rtt_p50", "us", false),
    ("rtt_p99", "us", false),
];

/// Workload sizes.
#[derive(Clone, Copy)]
struct Sizes {
    small: u64,
    bin: u64,
    rtt: u64,
}

/// Everything that runs: the local node, the peer and the erl nodes (and the same
/// over TLS, if a TLS pairing runs).
struct Setup {
    rt: tether::Runtime,
    local: Node,
    peer: Node,
    _peer_proc: Proc,
    server: Beam,
    driver: Beam,
    tls: Option<TlsNodes>,
    ebin: std::path::PathBuf,
}

/// The TLS pairings' nodes: a Tether node on a runtime of its own, its peer, and two
/// erl nodes.
struct TlsNodes {
    rt: tether::Runtime,
    _node: DistNode,
    peer: Node,
    _peer_proc: Proc,
    server: Beam,
    driver: Beam,
}

impl Drop for Setup {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.ebin);
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

impl Setup {
    fn start(with_tls: bool) -> Result<Setup, String> {
        let id = std::process::id();
        let ebin = std::env::temp_dir().join(format!("tether-distbench-{id}"));
        std::fs::create_dir_all(&ebin).map_err(|e| e.to_string())?;
        beam_side::compile(&ebin)?;
        let rt = tether::Runtime::builder()
            .worker_threads(2)
            .build()
            .map_err(|e| e.to_string())?;
        let epmd_port = free_port();
        let name = format!("distbench_{id}");
        let node: DistNode = rt.block_on(async move {
            let cfg = NodeConfig::new(name)
                .cookie(COOKIE)
                .listen("127.0.0.1".parse().expect("address"))
                .epmd(EpmdMode::Embedded)
                .epmd_port(epmd_port);
            let node = dist::start(cfg).await.map_err(|e| e.to_string())?;
            tether_side::start_services();
            Ok::<_, String>(node)
        })?;
        if !node.serves_epmd() {
            return Err(format!("port {epmd_port} was taken: no private EPMD"));
        }
        let local = Node::intern(node.name().as_str()).map_err(|e| e.to_string())?;

        let (peer_proc, peer) = start_peer(&format!("distbench_peer_{id}"), epmd_port, "")?;

        let env = ErlEnv {
            ebin: &ebin,
            cookie: COOKIE,
            epmd_port,
            extra: &[],
        };
        let server = Beam::server(&env, &format!("distbench_beam_{id}"))?;
        let driver = Beam::driver(&env, &format!("distbench_drv_{id}"))?;
        let tls = if with_tls {
            Some(TlsNodes::start(&ebin, epmd_port)?)
        } else {
            None
        };
        Ok(Setup {
            rt,
            local,
            peer,
            _peer_proc: peer_proc,
            server,
            driver,
            tls,
            ebin,
        })
    }

    /// One pairing's figures, in [`METRICS`] order.
    fn measure(&mut self, pair: Pair, s: Sizes) -> Result<[f64; 5], String> {
        let no_tls = || "the TLS nodes did not start".to_string();
        // Who sends: a Tether node (its runtime) or an erl driver; and to whom.
        let (sender, target) = match pair {
            Pair::TetherTether => (Sender::Tether(&self.rt), self.peer),
            Pair::TetherBeam => (Sender::Tether(&self.rt), self.server.node),
            Pair::BeamTether => (Sender::Beam(&mut self.driver), self.local),
            Pair::BeamBeam => (Sender::Beam(&mut self.driver), self.server.node),
            Pair::TetherTetherTls => {
                let tls = self.tls.as_ref().ok_or_else(no_tls)?;
                (Sender::Tether(&tls.rt), tls.peer)
            }
            Pair::BeamBeamTls => {
                let tls = self.tls.as_mut().ok_or_else(no_tls)?;
                (Sender::Beam(&mut tls.driver), tls.server.node)
            }
        };
        match sender {
            Sender::Tether(rt) => {
                let small = rt.block_on(tether_side::small(target, s.small))?;
                if only_small() {
                    return Ok([small, f64::NAN, f64::NAN, f64::NAN, f64::NAN]);
                }
                let bin = rt.block_on(tether_side::bin(target, s.bin))?;
                let mut times = rt.block_on(tether_side::rtt(target, s.rtt))?;
                times.sort_by(f64::total_cmp);
                Ok([
                    small,
                    bin,
                    bin * BIN_SIZE as f64 / 1e6,
                    percentile(&times, 0.50),
                    percentile(&times, 0.99),
                ])
            }
            Sender::Beam(driver) => {
                let mut rows = Vec::new();
                rows.extend(driver.run("small", target, s.small)?);
                rows.extend(driver.run("bin", target, s.bin)?);
                rows.extend(driver.run("rtt", target, s.rtt)?);
                let get = |name: &str| {
                    rows.iter()
                        .find(|(n, _)| n == name)
                        .map(|(_, v)| *v)
                        .ok_or_else(|| format!("the erl driver reported no {name}"))
                };
                Ok([
                    get("small")?,
                    get("bin")?,
                    get("bin_bw")?,
                    get("rtt_p50")?,
                    get("rtt_p99")?,
                ])
            }
        }
    }
}

/// Who sends in a pairing: a Tether node (the runtime it runs on) or an erl driver.
enum Sender<'a> {
    Tether(&'a tether::Runtime),
    Beam(&'a mut Beam),
}

/// Starts a `--dist-peer` child of this binary named `name` (`tls`: what
/// [`Certs::peer_var_suffix`] gives, or nothing for plain TCP), once it is ready.
fn start_peer(name: &str, epmd_port: u16, tls: &str) -> Result<(Proc, Node), String> {
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    let wrap = std::env::var("DIST_PEER_WRAP").unwrap_or_default();
    let mut words = wrap.split_whitespace();
    let mut cmd = match words.next() {
        Some(w) => {
            let mut c = Command::new(w);
            c.args(words).arg(exe);
            c
        }
        None => Command::new(exe),
    };
    cmd.arg("--dist-peer").env(
        tether_side::PEER_VAR,
        format!("{name}|{epmd_port}|{COOKIE}{tls}"),
    );
    let mut proc = Proc::start("the Tether peer", cmd)?;
    proc.wait_line("dist peer ready", Duration::from_secs(120))?;
    let full = dist::host::full_name(name, false).map_err(|e| e.to_string())?;
    let node = Node::intern(&full).map_err(|e| e.to_string())?;
    Ok((proc, node))
}

impl TlsNodes {
    /// Makes the certificates in `dir` and starts the TLS nodes, registered with the
    /// EPMD on `epmd_port` (the plain node's).
    fn start(dir: &std::path::Path, epmd_port: u16) -> Result<TlsNodes, String> {
        let id = std::process::id();
        let certs = Certs::make(dir)?;
        let rt = tether::Runtime::builder()
            .worker_threads(2)
            .build()
            .map_err(|e| e.to_string())?;
        let cfg = NodeConfig::new(format!("distbench_tls_{id}"))
            .cookie(COOKIE)
            .listen("127.0.0.1".parse().expect("address"))
            .epmd(EpmdMode::External)
            .epmd_port(epmd_port)
            .tls(certs.tether());
        let node = rt
            .block_on(dist::start(cfg))
            .map_err(|e| format!("the TLS node: {e}"))?;
        let (peer_proc, peer) = start_peer(
            &format!("distbench_tls_peer_{id}"),
            epmd_port,
            &certs.peer_var_suffix(),
        )?;
        let extra = certs.erl_args();
        let env = ErlEnv {
            ebin: dir,
            cookie: COOKIE,
            epmd_port,
            extra: &extra,
        };
        let server = Beam::server(&env, &format!("distbench_tls_beam_{id}"))?;
        let driver = Beam::driver(&env, &format!("distbench_tls_drv_{id}"))?;
        Ok(TlsNodes {
            rt,
            _node: node,
            peer,
            _peer_proc: peer_proc,
            server,
            driver,
        })
    }
}

/// Nearest-rank percentile of sorted samples (as `dist_bench:pct/3`).
fn percentile(sorted: &[f64], p: f64) -> f64 {
    let n = sorted.len();
    let rank = ((p * n as f64).ceil() as usize).clamp(1, n);
    sorted[rank - 1]
}

/// Median, min and max.
fn stats(v: &[f64]) -> (f64, f64, f64) {
    let mut s = v.to_vec();
    s.sort_by(f64::total_cmp);
    let n = s.len();
    if n == 0 {
        return (f64::NAN, f64::NAN, f64::NAN);
    }
    let med = if n % 2 == 1 {
        s[n / 2]
    } else {
        (s[n / 2 - 1] + s[n / 2]) / 2.0
    };
    (med, s[0], s[n - 1])
}

/// `DIST_ONLY=small`: only the small-message workload runs (for instruction counts).
fn only_small() -> bool {
    std::env::var("DIST_ONLY").is_ok_and(|v| v == "small")
}

/// Runs every pairing and returns `(name, value, unit)` rows: for each pairing and
/// figure its median, min and max over the rounds, and the median's ratio to BEAM ↔
/// BEAM. In a `--dist-peer` child, runs the peer node instead and never returns.
pub fn run(quick: bool) -> Vec<(String, f64, String)> {
    if let Some(cfg) = tether_side::peer_config() {
        tether_side::peer_main(cfg);
    }
    let sizes = if quick {
        Sizes {
            small: 50_000,
            bin: 20_000,
            rtt: 1_000,
        }
    } else {
        Sizes {
            small: 1_000_000,
            bin: 200_000,
            rtt: 10_000,
        }
    };
    let mut sizes = sizes;
    if let Some(n) = std::env::var("DIST_SMALL_N")
        .ok()
        .and_then(|s| s.parse().ok())
    {
        sizes.small = n;
    }
    let rounds: usize = std::env::var("DIST_ROUNDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(if quick { 3 } else { 5 });
    let only = std::env::var("DIST_PAIRS").unwrap_or_default();
    let chosen = |p: Pair| only.is_empty() || only.split(',').any(|o| o == p.name());
    let with_tls = Pair::ALL.iter().any(|p| p.is_tls() && chosen(*p));
    let mut setup = Setup::start(with_tls).unwrap_or_else(|e| panic!("dist bench setup: {e}"));
    let warm = Sizes {
        small: sizes.small / 10,
        bin: sizes.bin / 10,
        rtt: sizes.rtt / 10,
    };
    let mut results: Vec<Vec<[f64; 5]>> = vec![Vec::new(); Pair::ALL.len()];
    for round in 0..=rounds {
        for (i, pair) in Pair::ALL.into_iter().enumerate() {
            if !chosen(pair) {
                continue;
            }
            let s = if round == 0 { warm } else { sizes };
            let r = setup
                .measure(pair, s)
                .unwrap_or_else(|e| panic!("dist bench {}: {e}", pair.name()));
            if round > 0 {
                eprintln!("dist round {round} {:<17} {r:.1?}", pair.name());
                results[i].push(r);
            }
        }
    }
    // Large messages, Tether → Tether only: throughput and small-message latency
    // during the transfer, interleaved rounds as above.
    let (k, size) = if quick {
        (2, 16 << 20)
    } else {
        (4, LARGE_SIZE)
    };
    let mut large = Vec::new();
    if chosen(Pair::TetherTether) && !only_small() {
        for round in 0..=rounds {
            let k = if round == 0 { 1 } else { k };
            let (bw, mut times) = setup
                .rt
                .block_on(tether_side::large(setup.peer, k, size))
                .unwrap_or_else(|e| panic!("dist bench large: {e}"));
            if round > 0 {
                times.sort_by(f64::total_cmp);
                let r = [bw, percentile(&times, 0.5), percentile(&times, 0.99)];
                eprintln!(
                    "dist round {round} large         {r:.1?} ({} round trips)",
                    times.len()
                );
                large.push(r);
            }
        }
    }
    drop(setup);
    let mut rows = report(&results);
    rows.extend(report_large(&large, size));
    rows
}

/// Bytes of payload in a `large` message (64 MiB).
pub const LARGE_SIZE: usize = 64 << 20;

fn report_large(large: &[[f64; 3]], size: usize) -> Vec<(String, f64, String)> {
    let mut rows = Vec::new();
    if large.is_empty() {
        return rows;
    }
    eprintln!(
        "\nlarge: {} MiB messages tether-tether, round trips during the transfer",
        size >> 20
    );
    for (i, (metric, unit)) in [
        ("large_bw", "MB/s"),
        ("large_rtt_p50", "us"),
        ("large_rtt_p99", "us"),
    ]
    .into_iter()
    .enumerate()
    {
        let (med, min, max) = stats(&large.iter().map(|r| r[i]).collect::<Vec<_>>());
        eprintln!("tether-tether  {metric:<14} {med:>12.1} {min:>12.1} {max:>12.1} {unit:>8}");
        let base = format!("dist.tether-tether.{metric}");
        rows.push((format!("{base}.median"), med, unit.to_string()));
        rows.push((format!("{base}.min"), min, unit.to_string()));
        rows.push((format!("{base}.max"), max, unit.to_string()));
    }
    let bw = stats(&large.iter().map(|r| r[0]).collect::<Vec<_>>()).0;
    let verdict = if bw >= 1000.0 { "met" } else { "NOT met" };
    eprintln!(
        "goal: tether-tether {} MiB messages >= 1 GB/s: {verdict}",
        size >> 20
    );
    rows
}

fn report(results: &[Vec<[f64; 5]>]) -> Vec<(String, f64, String)> {
    let index = |pair: Pair| Pair::ALL.iter().position(|p| *p == pair).expect("a pair");
    let mut rows = Vec::new();
    eprintln!(
        "\n{:<17} {:<8} {:>12} {:>12} {:>12} {:>8} {:>7}",
        "pairing", "figure", "median", "min", "max", "unit", "vs BEAM"
    );
    for (m, (metric, unit, _)) in METRICS.iter().enumerate() {
        let column = |p: usize| results[p].iter().map(|r| r[m]).collect::<Vec<_>>();
        for (p, pair) in Pair::ALL.iter().enumerate() {
            if results[p].is_empty() {
                continue;
            }
            let beam = index(pair.baseline());
            let (med, min, max) = stats(&column(p));
            let ratio = med / stats(&column(beam)).0;
            let base = format!("dist.{}.{metric}", pair.name());
            eprintln!(
                "{:<17} {:<8} {med:>12.1} {min:>12.1} {max:>12.1} {unit:>8} {ratio:>7.2}",
                pair.name(),
                metric
            );
            rows.push((format!("{base}.median"), med, unit.to_string()));
            rows.push((format!("{base}.min"), min, unit.to_string()));
            rows.push((format!("{base}.max"), max, unit.to_string()));
            if *pair != pair.baseline() && !results[beam].is_empty() {
                let vs = pair.baseline().name().replace('-', "_");
                rows.push((format!("{base}.vs_{vs}"), ratio, "x".to_string()));
            }
        }
    }
    goals(&rows);
    rows
}

/// Prints the issue's goals against the medians.
fn goals(rows: &[(String, f64, String)]) {
    let get = |name: &str| rows.iter().find(|r| r.0 == name).map(|r| r.1);
    let mut checks: Vec<(String, Option<bool>)> = vec![
        (
            "tether-tether small >= 1,000,000 msgs/s".into(),
            get("dist.tether-tether.small.median").map(|v| v >= 1e6),
        ),
        (
            "tether-tether 1 KiB >= 300 MB/s".into(),
            get("dist.tether-tether.bin_bw.median").map(|v| v >= 300.0),
        ),
        (
            "tether-tether rtt p50 <= 40 us".into(),
            get("dist.tether-tether.rtt_p50.median").map(|v| v <= 40.0),
        ),
    ];
    for pair in ["tether-beam", "beam-tether"] {
        for (metric, _, more_is_better) in METRICS {
            let ratio = get(&format!("dist.{pair}.{metric}.vs_beam_beam"));
            checks.push((
                format!("{pair} {metric} no slower than beam-beam"),
                ratio.map(|r| if more_is_better { r >= 1.0 } else { r <= 1.0 }),
            ));
        }
    }
    eprintln!();
    for (what, ok) in checks {
        let verdict = match ok {
            Some(true) => "met",
            Some(false) => "NOT met",
            None => "not measured",
        };
        eprintln!("goal: {what}: {verdict}");
    }
}
