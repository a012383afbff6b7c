//! Memory readings from /proc (Linux), used by every system's spawn workload.

fn status_kb(field: &str) -> Option<u64> {
    let s = std::fs::read_to_string("/proc/self/status").ok()?;
    s.lines()
        .find(|l| l.starts_with(field))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()
}

/// Resident set size now, in bytes.
pub fn rss() -> u64 {
    status_kb("VmRSS:").unwrap_or(0) * 1024
}

/// Peak resident set size, in bytes.
pub fn peak_rss() -> u64 {
    status_kb("VmHWM:").unwrap_or(0) * 1024
}

/// Bytes per idle process: the RSS growth over `n` processes, less `handles` bytes the
/// benchmark itself keeps per process (the vector of pids / refs).
pub fn per_process(before: u64, after: u64, n: usize, handle_bytes: usize) -> f64 {
    let growth = after.saturating_sub(before) as f64;
    (growth - (n * handle_bytes) as f64).max(0.0) / n as f64
}
