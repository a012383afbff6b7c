//! The driver: runs every (workload, threads, system) sample in its own OS process,
//! interleaving the systems run by run (A B C … A B C …), and aggregates the samples.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::PathBuf;
use std::process::{Command, ExitCode, Stdio};
use std::time::{Duration, Instant};

use crate::system::System;
use crate::workloads::{self, Params, Workload};
use crate::{beam, chart, report};

/// Command-line options of a harness run.
#[derive(Clone)]
pub struct Options {
    /// Smaller sizes; one run unless `--runs`.
    pub quick: bool,
    /// Samples per (workload, threads, system).
    pub runs: usize,
    /// Systems to run.
    pub systems: Vec<System>,
    /// Workloads to run.
    pub workloads: Vec<&'static Workload>,
    /// Where to write `latest.json` / `latest.svg` (default for `--all`: `bench/results`).
    pub out: Option<PathBuf>,
    /// Thread counts, in order.
    pub threads: Vec<usize>,
}

impl Options {
    /// Parses the harness's command line.
    pub fn parse(args: &[String]) -> Result<Options, String> {
        let mut quick = None;
        let mut runs = None;
        let mut systems = System::ALL.to_vec();
        let mut out = None;
        let mut threads = vec![2, 1];
        let mut chosen = Vec::new();
        let mut it = args.iter();
        while let Some(a) = it.next() {
            let mut value = || it.next().ok_or(format!("{a} needs a value"));
            match a.as_str() {
                "--all" => quick = Some(false),
                "--quick" => quick = Some(true),
                "--runs" => runs = Some(value()?.parse().map_err(|_| "bad --runs")?),
                "--out" => out = Some(PathBuf::from(value()?)),
                "--threads" => {
                    threads = value()?
                        .split(',')
                        .map(|t| t.parse().map_err(|_| "bad --threads"))
                        .collect::<Result<_, _>>()?
                }
                "--systems" => {
                    systems = value()?
                        .split(',')
                        .map(|s| System::from_name(s).ok_or(format!("unknown system {s}")))
                        .collect::<Result<_, _>>()?
                }
                w if !w.starts_with("--") => {
                    chosen.push(workloads::find(w).ok_or(format!("unknown workload {w}"))?)
                }
                other => return Err(format!("unknown option {other}")),
            }
        }
        let quick = quick.ok_or("say --all or --quick")?;
        if out.is_none() && !quick {
            out = Some(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("results"));
        }
        Ok(Options {
            quick,
            runs: runs.unwrap_or(if quick { 1 } else { 5 }),
            systems,
            workloads: if chosen.is_empty() {
                workloads::ALL.to_vec()
            } else {
                chosen
            },
            out,
            threads,
        })
    }
}

/// Which figure: `(workload, metric key, threads, system)`.
pub type Key = (&'static str, &'static str, usize, System);

/// Everything a run produced.
pub struct Results {
    /// The options it ran with.
    pub opts: Options,
    /// Samples per figure, in run order.
    pub samples: BTreeMap<Key, Vec<f64>>,
    /// Failed samples, described.
    pub failures: Vec<String>,
    /// Wall-clock time of the whole run.
    pub elapsed: Duration,
}

/// Median, min and max of some samples.
#[derive(Clone, Copy)]
pub struct Stat {
    /// Median (mean of the middle two for an even count).
    pub median: f64,
    /// Smallest sample.
    pub min: f64,
    /// Largest sample.
    pub max: f64,
}

impl Stat {
    fn of(v: &[f64]) -> Option<Stat> {
        if v.is_empty() {
            return None;
        }
        let mut s = v.to_vec();
        s.sort_by(f64::total_cmp);
        let m = s.len() / 2;
        let median = if s.len() % 2 == 1 {
            s[m]
        } else {
            (s[m - 1] + s[m]) / 2.0
        };
        Some(Stat {
            median,
            min: s[0],
            max: s[s.len() - 1],
        })
    }
}

impl Results {
    /// The statistics of one figure, if it has samples.
    pub fn stat(&self, key: Key) -> Option<Stat> {
        self.samples.get(&key).and_then(|v| Stat::of(v))
    }

    /// Peer ÷ Tether on medians (above 1: Tether ahead).
    pub fn ratio(&self, (w, m, t, s): Key) -> Option<f64> {
        let peer = self.stat((w, m, t, s))?;
        let tether = self.stat((w, m, t, System::Tether))?;
        (tether.median > 0.0).then(|| peer.median / tether.median)
    }
}

/// Runs the harness: all samples, then the table, JSON and chart.
pub fn run(opts: &Options) -> ExitCode {
    let opts = opts.clone();
    let started = Instant::now();
    let exe = std::env::current_exe().expect("own path");
    let mut failures = Vec::new();
    let compiled = if opts.systems.contains(&System::Beam) {
        match beam::compile(&opts.workloads) {
            Ok(c) => Some(c),
            Err(e) => {
                failures.push(format!("beam: {e}"));
                None
            }
        }
    } else {
        None
    };
    let mut samples: BTreeMap<Key, Vec<f64>> = BTreeMap::new();
    let timeout = Duration::from_secs(if opts.quick { 90 } else { 300 });
    let plan: Vec<(&Workload, usize)> = opts
        .workloads
        .iter()
        .flat_map(|w| opts.threads.iter().map(move |t| (*w, *t)))
        .collect();
    for (i, (w, threads)) in plan.iter().enumerate() {
        let systems: Vec<System> = opts
            .systems
            .iter()
            .copied()
            .filter(|s| w.supports(*s) && (*s != System::Beam || compiled.is_some()))
            .collect();
        let params = Params {
            threads: *threads,
            quick: opts.quick,
        };
        for run in 0..opts.runs {
            for &sys in &systems {
                eprint!(
                    "[{}/{}] {} t{} run {}/{} {:<7} ",
                    i + 1,
                    plan.len(),
                    w.name,
                    threads,
                    run + 1,
                    opts.runs,
                    sys.name()
                );
                let cmd = if sys == System::Beam {
                    beam::command(compiled.as_ref().unwrap(), w, &params)
                } else {
                    let mut c = Command::new(&exe);
                    c.args(["--worker", sys.name(), w.name, &threads.to_string()]);
                    if opts.quick {
                        c.arg("--quick");
                    }
                    Ok(c)
                };
                let t = Instant::now();
                match cmd.and_then(|cmd| sample(cmd, w, timeout)) {
                    Ok(figures) => {
                        let shown: Vec<String> = figures
                            .iter()
                            .map(|(k, v)| format!("{k}={}", report::num(*v)))
                            .collect();
                        eprintln!("{} ({:.1}s)", shown.join(" "), t.elapsed().as_secs_f64());
                        for (key, v) in figures {
                            samples
                                .entry((w.name, key, *threads, sys))
                                .or_default()
                                .push(v);
                        }
                    }
                    Err(e) => {
                        eprintln!("FAILED");
                        let msg = format!("{} t{threads} {}: {e}", w.name, sys.name());
                        eprintln!("  {}", msg.replace('\n', "\n  "));
                        failures.push(msg);
                    }
                }
            }
        }
    }
    let results = Results {
        opts,
        samples,
        failures,
        elapsed: started.elapsed(),
    };
    report::print(&results);
    if let Some(dir) = &results.opts.out {
        if let Err(e) = write_outputs(dir, &results) {
            eprintln!("writing results: {e}");
            return ExitCode::FAILURE;
        }
        eprintln!("wrote {0}/latest.json and {0}/latest.svg", dir.display());
    }
    if results.failures.is_empty() {
        ExitCode::SUCCESS
    } else {
        eprintln!("{} sample(s) failed:", results.failures.len());
        for f in &results.failures {
            eprintln!("  {}", f.lines().next().unwrap_or(""));
        }
        ExitCode::FAILURE
    }
}

fn write_outputs(dir: &std::path::Path, r: &Results) -> Result<(), String> {
    std::fs::create_dir_all(dir).map_err(|e| e.to_string())?;
    let json = serde_json::to_string_pretty(&report::json(r)).map_err(|e| e.to_string())?;
    std::fs::write(dir.join("latest.json"), json + "\n").map_err(|e| e.to_string())?;
    chart::write(&dir.join("latest.svg"), r)
}

/// Runs one worker process and parses its `KEY VALUE UNIT` lines. Fails on a non-zero
/// exit, a timeout, or a missing / non-finite figure.
fn sample(
    mut cmd: Command,
    w: &Workload,
    timeout: Duration,
) -> Result<Vec<(&'static str, f64)>, String> {
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("spawn: {e}"))?;
    let mut out = child.stdout.take().unwrap();
    let mut err = child.stderr.take().unwrap();
    let out_reader = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = out.read_to_string(&mut s);
        s
    });
    let err_reader = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = err.read_to_string(&mut s);
        s
    });
    let deadline = Instant::now() + timeout;
    let status = loop {
        if let Some(s) = child.try_wait().map_err(|e| e.to_string())? {
            break Some(s);
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let stdout = out_reader.join().unwrap_or_default();
    let stderr = err_reader.join().unwrap_or_default();
    let tail = |s: &str| {
        let lines: Vec<&str> = s.lines().collect();
        lines[lines.len().saturating_sub(8)..].join("\n")
    };
    match status {
        None => return Err(format!("timed out after {}s", timeout.as_secs())),
        Some(s) if !s.success() => return Err(format!("{s}\n{}", tail(&stderr))),
        Some(_) => {}
    }
    let mut figures = Vec::new();
    for m in w.metrics {
        let line = stdout
            .lines()
            .find(|l| l.split_whitespace().next() == Some(m.key))
            .ok_or_else(|| format!("no `{}` line in output:\n{}", m.key, tail(&stdout)))?;
        let v: f64 = line
            .split_whitespace()
            .nth(1)
            .and_then(|v| v.parse().ok())
            .filter(|v: &f64| v.is_finite() && *v >= 0.0)
            .ok_or_else(|| format!("bad figure line `{line}`"))?;
        figures.push((m.key, v));
    }
    Ok(figures)
}
