//! Memory readings from /proc (Linux).

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
