//! Restart intensity: the exact algorithm of `supervisor:add_restart/1` (docs/semantics.md §5.5).
//!
//! Erlang keeps a list of restart times in whole monotonic seconds and, on every
//! restart attempt, prepends `now` and drops entries older than `now - period`; the
//! supervisor gives up when more than `intensity` remain. The window is inclusive
//! and truncated to seconds, so the effective window is up to `period + 1` seconds.
//!
//! Rebuilding the list each time is O(restarts in window) per restart, quadratic in
//! a storm under a high limit. Because the times are whole seconds and arrive in
//! order, the same set is kept here as a queue of `(second, count)` buckets: adding
//! is O(1) and expiry pops whole seconds, with exactly the same decisions.

use std::collections::VecDeque;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// Whole seconds of monotonic time (Erlang's `erlang:monotonic_time(second)`).
fn now_secs() -> u64 {
    static BASE: OnceLock<Instant> = OnceLock::new();
    BASE.get_or_init(Instant::now).elapsed().as_secs()
}

/// The restarts of one supervisor within its period.
#[derive(Debug)]
pub(crate) struct Intensity {
    max: u32,
    period: u64,
    buckets: VecDeque<(u64, u64)>,
    in_window: u64,
}

impl Intensity {
    pub(crate) fn new(max: u32, period: Duration) -> Intensity {
        Intensity {
            max,
            period: period.as_secs(),
            buckets: VecDeque::new(),
            in_window: 0,
        }
    }

    /// Records a restart attempt; `false` means the intensity is exceeded and the
    /// supervisor must shut down.
    pub(crate) fn add_restart(&mut self) -> bool {
        self.add_restart_at(now_secs())
    }

    fn add_restart_at(&mut self, now: u64) -> bool {
        if let Some(oldest_kept) = now.checked_sub(self.period) {
            while let Some(&(t, n)) = self.buckets.front() {
                if t >= oldest_kept {
                    break;
                }
                self.buckets.pop_front();
                self.in_window -= n;
            }
        }
        match self.buckets.back_mut() {
            Some((t, n)) if *t == now => *n += 1,
            _ => self.buckets.push_back((now, 1)),
        }
        self.in_window += 1;
        self.in_window <= u64::from(self.max)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zero_intensity_fails_at_once() {
        let mut i = Intensity::new(0, Duration::from_secs(5));
        assert!(!i.add_restart_at(10));
    }

    #[test]
    fn window_is_inclusive_in_whole_seconds() {
        // intensity 1, period 5: restarts at t=10 and t=15 are in one window.
        let mut i = Intensity::new(1, Duration::from_secs(5));
        assert!(i.add_restart_at(10));
        assert!(!i.add_restart_at(15));
        let mut i = Intensity::new(1, Duration::from_secs(5));
        assert!(i.add_restart_at(10));
        assert!(i.add_restart_at(16)); // t=10 < 16-5: dropped
    }

    #[test]
    fn elixir_default_dies_on_the_fourth() {
        let mut i = Intensity::new(3, Duration::from_secs(5));
        assert!(i.add_restart_at(1));
        assert!(i.add_restart_at(1));
        assert!(i.add_restart_at(2));
        assert!(!i.add_restart_at(3));
    }
}
