//! The Markdown tables (stdout) and the JSON file.

use serde_json::{Value, json};

use crate::harness::Results;
use crate::system::System;
use crate::workloads::{Metric, Workload};

/// A figure, with precision suited to its size.
pub fn num(v: f64) -> String {
    if v >= 100.0 {
        format!("{v:.0}")
    } else if v >= 10.0 {
        format!("{v:.1}")
    } else {
        format!("{v:.2}")
    }
}

/// The rows of the tables: every metric of every workload run, under each thread count.
fn rows(r: &Results) -> Vec<(&'static Workload, &'static Metric, usize)> {
    let mut rows = Vec::new();
    for w in &r.opts.workloads {
        for m in w.metrics {
            for t in &r.opts.threads {
                rows.push((*w, m, *t));
            }
        }
    }
    rows
}

fn cell(r: &Results, w: &Workload, m: &Metric, t: usize, s: System) -> String {
    if !r.opts.systems.contains(&s) {
        return "–".into();
    }
    if !w.supports(s) {
        return "n/a".into();
    }
    match r.stat((w.name, m.key, t, s)) {
        Some(st) if r.opts.runs > 1 => {
            format!("{} ({}–{})", num(st.median), num(st.min), num(st.max))
        }
        Some(st) => num(st.median),
        None => "FAILED".into(),
    }
}

fn ratio_cell(r: &Results, w: &Workload, m: &Metric, t: usize, s: System) -> String {
    match r.ratio((w.name, m.key, t, s)) {
        Some(x) if x < 1.0 => format!("**×{x:.2}**"),
        Some(x) => format!("×{x:.2}"),
        None => "n/a".into(),
    }
}

/// The Markdown report: figures (median, min–max), ratios, where Tether is behind.
pub fn markdown(r: &Results) -> String {
    let mut s = String::new();
    let systems = System::ALL;
    let heads: Vec<&str> = systems.iter().map(|x| x.title()).collect();
    s += &format!(
        "Median of {} run(s){}; every figure is a cost (lower is better).\n\n",
        r.opts.runs,
        if r.opts.runs > 1 {
            ", (min–max) in brackets"
        } else {
            ""
        }
    );
    s += &format!("| workload | unit | thr | {} |\n", heads.join(" | "));
    s += &format!("|---|---|---|{}\n", "---|".repeat(heads.len()));
    for (w, m, t) in rows(r) {
        let cells: Vec<String> = systems.iter().map(|x| cell(r, w, m, t, *x)).collect();
        s += &format!(
            "| {} | {} | {t} | {} |\n",
            m.label,
            m.unit,
            cells.join(" | ")
        );
    }
    s += "\nRatio peer ÷ Tether on medians: above 1, Tether is ahead; **bold**: Tether behind.\n\n";
    let peers = &systems[1..];
    let heads: Vec<&str> = peers.iter().map(|x| x.title()).collect();
    s += &format!("| workload | thr | {} |\n", heads.join(" | "));
    s += &format!("|---|---|{}\n", "---|".repeat(heads.len()));
    for (w, m, t) in rows(r) {
        let cells: Vec<String> = peers.iter().map(|x| ratio_cell(r, w, m, t, *x)).collect();
        s += &format!("| {} | {t} | {} |\n", m.label, cells.join(" | "));
    }
    let behind = behind(r);
    s += "\nTether behind a peer: ";
    if behind.is_empty() {
        s += "nowhere.\n";
    } else {
        s += "\n\n";
        for b in behind {
            s += &format!("- {b}\n");
        }
    }
    let notes: Vec<String> = r
        .opts
        .workloads
        .iter()
        .filter(|w| !w.na_note.is_empty())
        .map(|w| format!("- {}: n/a — {}", w.name, w.na_note))
        .collect();
    if !notes.is_empty() {
        s += "\n";
        s += &notes.join("\n");
        s += "\n";
    }
    s
}

/// Every (metric, threads, peer) where the peer's median beats Tether's.
fn behind(r: &Results) -> Vec<String> {
    let mut out = Vec::new();
    for (w, m, t) in rows(r) {
        for s in &System::ALL[1..] {
            let key = (w.name, m.key, t, *s);
            if let Some(x) = r.ratio(key).filter(|x| *x < 1.0) {
                let (p, me) = (
                    r.stat(key).unwrap(),
                    r.stat((w.name, m.key, t, System::Tether)).unwrap(),
                );
                let noise = if p.max >= me.min {
                    " (ranges overlap)"
                } else {
                    ""
                };
                out.push(format!(
                    "{} ({t} thr): {} ×{x:.2} — {} {} vs Tether {} {}{noise}",
                    m.label,
                    s.title(),
                    num(p.median),
                    m.unit,
                    num(me.median),
                    m.unit
                ));
            }
        }
    }
    out
}

/// Prints the report on stdout.
pub fn print(r: &Results) {
    println!("\n{}", markdown(r));
    println!(
        "({} run(s) per figure, {}, {:.0}s in all)",
        r.opts.runs,
        if r.opts.quick {
            "quick sizes"
        } else {
            "full sizes"
        },
        r.elapsed.as_secs_f64()
    );
}

/// Today's date (UTC), `YYYY-MM-DD`.
pub fn today() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs()) as i64;
    // Howard Hinnant's civil_from_days.
    let z = secs.div_euclid(86_400) + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}-{m:02}-{d:02}")
}

fn machine() -> Value {
    let cpu = std::fs::read_to_string("/proc/cpuinfo").ok().and_then(|s| {
        s.lines()
            .find(|l| l.starts_with("model name"))
            .and_then(|l| l.split(':').nth(1))
            .map(|s| s.trim().to_string())
    });
    let kernel = std::fs::read_to_string("/proc/sys/kernel/osrelease")
        .ok()
        .map(|s| s.trim().to_string());
    let rustc = std::process::Command::new("rustc")
        .arg("--version")
        .output()
        .ok()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string());
    json!({
        "cpu": cpu,
        "cpus": std::thread::available_parallelism().map_or(0, |n| n.get()),
        "kernel": kernel,
        "rustc": rustc,
        "otp_release": crate::beam::otp_release(),
    })
}

/// The JSON document: options, machine, every figure's samples and statistics.
pub fn json(r: &Results) -> Value {
    let mut figures = Vec::new();
    for (w, m, t) in rows(r) {
        for s in System::ALL {
            let key = (w.name, m.key, t, s);
            let samples = r.samples.get(&key).cloned().unwrap_or_default();
            let st = r.stat(key);
            figures.push(json!({
                "workload": w.name,
                "metric": m.key,
                "label": m.label,
                "unit": m.unit,
                "threads": t,
                "system": s.name(),
                "available": w.supports(s),
                "samples": samples,
                "median": st.map(|x| x.median),
                "min": st.map(|x| x.min),
                "max": st.map(|x| x.max),
                "ratio_to_tether": r.ratio(key),
            }));
        }
    }
    json!({
        "date": today(),
        "quick": r.opts.quick,
        "runs": r.opts.runs,
        "elapsed_s": r.elapsed.as_secs_f64(),
        "machine": machine(),
        "ratio": "peer median / Tether median; every figure is a cost, so above 1 = Tether ahead",
        "figures": figures,
        "failures": r.failures,
        "markdown": markdown(r),
    })
}
