//! GenStage's batching rule for a consumer in automatic demand mode.
//!
//! `count` events arrive on a subscription with `pending` events asked and not yet
//! received. They are handed to `handle_events` in batches of at most
//! `max - min`; after each batch the consumer's own view of the demand in flight
//! drops by the batch size, and when it falls to `min` or below the consumer asks
//! for enough to get back to `max` (sent after that batch's `handle_events`).
//! Events beyond `pending` are "in excess": logged, handed over all the same, but
//! they do not count against the demand.

/// One batch: how many events, and how many to ask for after it (0: none).
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Batch {
    pub size: usize,
    pub ask: u64,
}

/// Splits `count` events; returns the batches and the new pending demand, and the
/// number of events in excess (to log).
pub(crate) fn split(count: usize, pending: u64, min: u64, max: u64) -> (Vec<Batch>, u64, u64) {
    let step = (max - min).max(1) as usize;
    let mut old = pending;
    let mut new = pending;
    let mut excess = 0;
    let mut left = count;
    let mut batches = Vec::with_capacity(count.div_ceil(step));
    while left > 0 {
        let size = left.min(step);
        left -= size;
        let counted = if (size as u64) > old {
            excess += size as u64 - old;
            std::mem::take(&mut old)
        } else {
            old -= size as u64;
            size as u64
        };
        let remaining = new - counted.min(new);
        let ask = if remaining <= min {
            new = max;
            max - remaining
        } else {
            new = remaining;
            0
        };
        batches.push(Batch { size, ask });
    }
    (batches, new, excess)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sizes(b: &[Batch]) -> Vec<(usize, u64)> {
        b.iter().map(|b| (b.size, b.ask)).collect()
    }

    #[test]
    fn default_demand_gives_batches_of_500() {
        let (b, pending, excess) = split(1000, 1000, 500, 1000);
        assert_eq!(sizes(&b), vec![(500, 500), (500, 500)]);
        assert_eq!((pending, excess), (1000, 0));
    }

    #[test]
    fn eighty_and_twenty_percent_min_demand() {
        let (b, _, _) = split(100, 100, 80, 100);
        assert_eq!(b.len(), 5);
        assert!(b.iter().all(|b| b.size == 20 && b.ask == 20));
        let (b, _, _) = split(100, 100, 20, 100);
        assert_eq!(sizes(&b), vec![(80, 80), (20, 0)]);
    }

    #[test]
    fn excess_events_are_counted() {
        let (b, pending, excess) = split(12, 10, 0, 10);
        assert_eq!(excess, 2);
        assert_eq!(sizes(&b), vec![(10, 10), (2, 0)]);
        assert_eq!(pending, 10);
    }
}
