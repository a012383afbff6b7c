//! Encode/decode throughput of tether-term, against the `eetf` crate and against the
//! BEAM's own `term_to_binary/1` / `binary_to_term/1`, on the same terms in one run.
//!
//! ```text
//! cd bench/term && CARGO_TARGET_DIR=/work/target-term cargo run --release
//! ```
//!
//! Three mixes: a small tuple `{ok, 42, atom}`, a 1 KiB binary, and a nested map (a
//! list of user records with nested maps, ~0.9 KB encoded). For each mix and
//! operation the three implementations run interleaved, 5 rounds, and the median
//! round is reported as `NAME VALUE UNIT` lines, followed by ratios (how many times
//! faster tether-term is). The BEAM runs in an `erl -noshell` child started with the
//! shipped `term_bench.erl`; it decodes the very bytes tether-term encoded, so all
//! three measure the same term. Tether decodes from `Bytes` (zero-copy binaries, the
//! path the distribution layer uses); the copying `decode(&[u8])` is reported too.

use std::hint::black_box;
use std::io::{BufRead, BufReader, Write};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::time::{Duration, Instant};

use bytes::Bytes;
use tether_term::{Term, decode, decode_bytes, encode};

const ROUNDS: usize = 5;
/// Target duration of one timed sample.
const SAMPLE: Duration = Duration::from_millis(150);

struct Beam {
    child: Child,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
}

impl Beam {
    fn start() -> Option<Beam> {
        let dir = std::env::temp_dir().join(format!("term-bench-{}", std::process::id()));
        std::fs::create_dir_all(&dir).ok()?;
        let src = concat!(env!("CARGO_MANIFEST_DIR"), "/term_bench.erl");
        let ok = Command::new("erlc")
            .arg("-o")
            .arg(&dir)
            .arg(src)
            .status()
            .ok()?
            .success();
        if !ok {
            return None;
        }
        let mut child = Command::new("erl")
            // No scheduler busy-waiting: a spinning BEAM would steal the CPU that the
            // Rust side is being timed on.
            .args([
                "+sbwt",
                "none",
                "+sbwtdcpu",
                "none",
                "+sbwtdio",
                "none",
                "-noshell",
                "-pa",
            ])
            .arg(&dir)
            .args(["-run", "term_bench", "main"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .ok()?;
        let stdin = child.stdin.take()?;
        let stdout = BufReader::new(child.stdout.take()?);
        Some(Beam {
            child,
            stdin,
            stdout,
        })
    }

    fn ask(&mut self, line: &str) -> String {
        writeln!(self.stdin, "{line}").unwrap();
        self.stdin.flush().unwrap();
        let mut out = String::new();
        self.stdout.read_line(&mut out).unwrap();
        out.trim().to_string()
    }

    fn load(&mut self, name: &str, etf: &[u8]) {
        let hex: String = etf.iter().map(|b| format!("{b:02X}")).collect();
        assert_eq!(self.ask(&format!("load {name} {hex}")), "ok");
    }

    /// Nanoseconds per operation.
    fn run(&mut self, name: &str, op: &str, iters: u64) -> f64 {
        let ns: f64 = self
            .ask(&format!("run {name} {op} {iters}"))
            .parse()
            .unwrap();
        ns / iters as f64
    }
}

impl Drop for Beam {
    fn drop(&mut self) {
        let _ = writeln!(self.stdin, "quit");
        let _ = self.child.wait();
    }
}

/// Nanoseconds per call of `f`, over `iters` calls.
fn time(iters: u64, mut f: impl FnMut()) -> f64 {
    let start = Instant::now();
    for _ in 0..iters {
        f();
    }
    start.elapsed().as_nanos() as f64 / iters as f64
}

/// Iterations that make one sample last about [`SAMPLE`].
fn calibrate(mut f: impl FnMut()) -> u64 {
    let mut n = 1u64;
    loop {
        let start = Instant::now();
        for _ in 0..n {
            f();
        }
        let took = start.elapsed();
        if took > SAMPLE / 10 {
            return ((n as f64) * SAMPLE.as_secs_f64() / took.as_secs_f64()).max(1.0) as u64;
        }
        n *= 4;
    }
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

fn mixes() -> Vec<(&'static str, Term)> {
    let small: Term = "{ok, 42, atom}".parse().unwrap();
    let bin = Term::binary((0..1024).map(|i| (i * 7) as u8).collect::<Vec<u8>>());
    let users: Vec<Term> = (0..8)
        .map(|i| {
            Term::map([
                (Term::atom("id"), Term::from(i)),
                (Term::atom("name"), Term::from(format!("user {i}"))),
                (
                    Term::atom("tags"),
                    Term::list([Term::atom("admin"), Term::atom("ops")]),
                ),
                (
                    Term::atom("meta"),
                    Term::map([
                        (Term::atom("score"), Term::from(1.5 * i as f64)),
                        (Term::atom("active"), Term::from(i % 2 == 0)),
                        (Term::atom("visits"), Term::from(1000 + i)),
                    ]),
                ),
            ])
        })
        .collect();
    let nested = Term::map([
        (Term::atom("users"), Term::List(users)),
        (Term::atom("total"), Term::from(8)),
    ]);
    vec![
        ("small_tuple", small),
        ("binary_1k", bin),
        ("nested_map", nested),
    ]
}

fn main() {
    let mut beam = if std::env::var_os("TERM_BENCH_NO_BEAM").is_some() {
        None
    } else {
        Beam::start()
    };
    let only = std::env::var("TERM_BENCH_ONLY").ok();
    if beam.is_none() {
        eprintln!("erl/erlc not found: BEAM figures skipped");
    }
    let mixes = mixes();
    println!(
        "# tether-term vs eetf vs BEAM (OTP term_to_binary/binary_to_term); median of {ROUNDS} interleaved rounds"
    );
    for (name, term) in &mixes {
        if only.as_deref().is_some_and(|o| o != *name) {
            continue;
        }
        let etf = encode(term).unwrap();
        let shared = Bytes::from(etf.clone());
        let eterm = eetf::Term::decode(&etf[..]).unwrap();
        if let Some(b) = beam.as_mut() {
            b.load(name, &etf);
        }
        println!("{name}.size {} bytes", etf.len());

        // Calibrate each implementation once, then interleave rounds.
        let enc_t = || {
            black_box(encode(black_box(term)).unwrap());
        };
        let enc_e = || {
            let mut v = Vec::new();
            black_box(&eterm).encode(&mut v).unwrap();
            black_box(v);
        };
        let dec_t = || {
            black_box(decode_bytes(black_box(&shared)).unwrap());
        };
        let dec_ts = || {
            black_box(decode(black_box(&etf[..])).unwrap());
        };
        let dec_e = || {
            black_box(eetf::Term::decode(black_box(&etf[..])).unwrap());
        };
        let n_enc_t = calibrate(enc_t);
        let n_enc_e = calibrate(enc_e);
        let n_dec_t = calibrate(dec_t);
        let n_dec_ts = calibrate(dec_ts);
        let n_dec_e = calibrate(dec_e);
        let n_beam = (n_enc_e / 2).max(1000);
        let (mut et, mut ee, mut eb, mut dt, mut dts, mut de, mut db) =
            (vec![], vec![], vec![], vec![], vec![], vec![], vec![]);
        for _ in 0..ROUNDS {
            et.push(time(n_enc_t, enc_t));
            ee.push(time(n_enc_e, enc_e));
            if let Some(b) = beam.as_mut() {
                eb.push(b.run(name, "enc", n_beam));
            }
            dt.push(time(n_dec_t, dec_t));
            dts.push(time(n_dec_ts, dec_ts));
            de.push(time(n_dec_e, dec_e));
            if let Some(b) = beam.as_mut() {
                db.push(b.run(name, "dec", n_beam));
            }
        }
        let mb = |ns: f64| etf.len() as f64 / ns * 1e9 / 1e6;
        for (op, t, e, b) in [
            ("encode", median(et), median(ee), eb),
            ("decode", median(dt), median(de), db),
        ] {
            println!("{name}.{op}.tether {t:.1} ns/op");
            println!("{name}.{op}.tether.throughput {:.1} MB/s", mb(t));
            println!("{name}.{op}.eetf {e:.1} ns/op");
            let b = (!b.is_empty()).then(|| median(b));
            if let Some(b) = b {
                println!("{name}.{op}.beam {b:.1} ns/op");
            }
            println!("{name}.{op}.ratio_vs_eetf {:.2} x", e / t);
            if let Some(b) = b {
                println!("{name}.{op}.ratio_vs_beam {:.2} x", b / t);
            }
        }
        println!("{name}.decode.tether_copying {:.1} ns/op", median(dts));
    }
}
