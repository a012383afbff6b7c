//! A producer's buffer: events emitted without demand wait here, in order, and
//! infos queued with `sync_info` / `async_info` wait behind the events buffered
//! before them (GenStage's buffer semantics).
//!
//! One deque holds both, so an info keeps its place among the events. The invariant
//! that keeps the operations simple: **the front entry is never an info** — an info
//! that reaches the front (because the events before it were taken or discarded) is
//! released at once, to be delivered by the dispatcher. Only events count against
//! the size limit.

use std::collections::VecDeque;

use super::opts::BufferKeep;
use crate::Message;

enum Entry<E> {
    Event(E),
    Info(Message),
}

pub(crate) struct Buffer<E> {
    entries: VecDeque<Entry<E>>,
    events: usize,
    /// `None`: unbounded.
    capacity: Option<usize>,
}

impl<E> Buffer<E> {
    pub(crate) fn new(capacity: Option<usize>) -> Self {
        Buffer {
            entries: VecDeque::new(),
            events: 0,
            capacity,
        }
    }

    /// The number of buffered events (infos not counted).
    pub(crate) fn len(&self) -> usize {
        self.events
    }

    /// Stores `events` after those already buffered. Returns how many events were
    /// discarded to respect the capacity, and the infos that discarding released.
    pub(crate) fn store(&mut self, events: Vec<E>, keep: BufferKeep) -> (usize, Vec<Message>) {
        let mut excess = 0;
        let mut released = Vec::new();
        let cap = self.capacity.unwrap_or(usize::MAX);
        for e in events {
            if self.events < cap {
                self.entries.push_back(Entry::Event(e));
                self.events += 1;
            } else if keep == BufferKeep::First || cap == 0 {
                excess += 1;
            } else {
                // Keep the newest: the oldest event goes.
                self.entries.pop_front();
                self.events -= 1;
                excess += 1;
                self.release_front(&mut released);
                self.entries.push_back(Entry::Event(e));
                self.events += 1;
            }
        }
        (excess, released)
    }

    /// Queues an info behind the buffered events, or gives it back if there are none
    /// (then it is due now).
    pub(crate) fn store_info(&mut self, msg: Message) -> Result<(), Message> {
        if self.events == 0 {
            return Err(msg);
        }
        self.entries.push_back(Entry::Info(msg));
        Ok(())
    }

    /// Takes up to `demand` events from the front, stopping early at an info; returns
    /// them with the infos that follow them (due once they are dispatched). Call
    /// again for the rest of the demand.
    pub(crate) fn take(&mut self, demand: usize) -> (Vec<E>, Vec<Message>) {
        let n = demand.min(self.events);
        let mut events = Vec::with_capacity(n);
        while events.len() < n {
            match self.entries.front() {
                Some(Entry::Event(_)) => {
                    if let Some(Entry::Event(e)) = self.entries.pop_front() {
                        events.push(e);
                        self.events -= 1;
                    }
                }
                _ => break,
            }
        }
        let mut infos = Vec::new();
        self.release_front(&mut infos);
        (events, infos)
    }

    fn release_front(&mut self, out: &mut Vec<Message>) {
        while let Some(Entry::Info(_)) = self.entries.front() {
            if let Some(Entry::Info(m)) = self.entries.pop_front() {
                out.push(m);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn info(n: u32) -> Message {
        Message::new(n)
    }

    fn ids(ms: Vec<Message>) -> Vec<u32> {
        ms.into_iter()
            .map(|m| m.downcast::<u32>().unwrap())
            .collect()
    }

    #[test]
    fn keeps_last_and_first() {
        let mut b = Buffer::new(Some(5));
        assert_eq!(b.store((0..8).collect(), BufferKeep::Last).0, 3);
        assert_eq!(b.take(10).0, vec![3, 4, 5, 6, 7]);
        let mut b = Buffer::new(Some(5));
        assert_eq!(b.store((0..8).collect(), BufferKeep::First).0, 3);
        assert_eq!(b.take(10).0, vec![0, 1, 2, 3, 4]);
    }

    #[test]
    fn infos_wait_behind_their_events() {
        let mut b = Buffer::new(None);
        assert!(b.store_info(info(0)).is_err());
        b.store(vec![1, 2], BufferKeep::Last);
        b.store_info(info(1)).unwrap();
        b.store(vec![3], BufferKeep::Last);
        let (e, i) = b.take(1);
        assert_eq!((e, ids(i)), (vec![1], vec![]));
        let (e, i) = b.take(1);
        assert_eq!((e, ids(i)), (vec![2], vec![1]));
        assert_eq!(b.len(), 1);
    }

    #[test]
    fn discarding_releases_infos() {
        let mut b = Buffer::new(Some(2));
        b.store(vec![1, 2], BufferKeep::Last);
        b.store_info(info(7)).unwrap();
        let (excess, released) = b.store(vec![3, 4], BufferKeep::Last);
        assert_eq!((excess, ids(released)), (2, vec![7]));
        assert_eq!(b.take(5).0, vec![3, 4]);
    }

    // ---- ported from GenStage 1.3.2 `test/gen_stage/buffer_test.exs` -----------------
    // Elixir's names: store_temporary = `store`, store_permanent_unless_empty =
    // `store_info` (`Err` is `:empty`), take_count_or_until_permanent = `take`.

    /// "estimate_size/1 does not count permanent events in size estimate".
    #[test]
    fn does_not_count_permanent_events_in_size_estimate() {
        let mut b = Buffer::new(Some(10));
        b.store(vec![1, 2], BufferKeep::First);
        b.store_info(info(3)).unwrap();
        b.store_info(info(4)).unwrap();
        assert_eq!(b.len(), 2);
    }

    /// "store_temporary/3 with :first keep strategy discards excess events when
    /// buffer is full".
    #[test]
    fn first_discards_excess_events_when_buffer_is_full() {
        let mut b = Buffer::new(Some(3));
        assert_eq!(b.store(vec!['a', 'b', 'c'], BufferKeep::First).0, 0);
        assert_eq!(b.store(vec!['d', 'e', 'f'], BufferKeep::First).0, 3);
        assert_eq!(b.len(), 3);
        let (events, infos) = b.take(3);
        assert_eq!((events, infos.len()), (vec!['a', 'b', 'c'], 0));
    }

    /// "store_temporary/3 with :first keep strategy handles infinity buffer size".
    #[test]
    fn handles_infinity_buffer_size() {
        let mut b = Buffer::new(None);
        let (excess, released) = b.store((1..=1000).collect(), BufferKeep::First);
        assert_eq!((excess, released.len()), (0, 0));
        assert_eq!(b.len(), 1000);
    }

    /// "store_temporary/3 with :last keep strategy keeps last events when buffer
    /// overflows".
    #[test]
    fn last_keeps_last_events_when_buffer_overflows() {
        let mut b = Buffer::new(Some(3));
        assert_eq!(b.store(vec!['a', 'b', 'c'], BufferKeep::Last).0, 0);
        assert_eq!(b.store(vec!['d', 'e', 'f'], BufferKeep::Last).0, 3);
        let (events, infos) = b.take(3);
        assert_eq!((events, infos.len()), (vec!['d', 'e', 'f'], 0));
    }

    /// "store_temporary/3 with :last keep strategy emits permanent events when they
    /// are displaced by new temporaries".
    #[test]
    fn last_emits_permanent_events_when_they_are_displaced_by_new_temporaries() {
        let mut b = Buffer::new(Some(3));
        b.store(vec![1, 2], BufferKeep::Last);
        b.store_info(info(3)).unwrap();
        b.store_info(info(4)).unwrap();
        let (excess, released) = b.store(vec![5, 6, 7], BufferKeep::Last);
        assert_eq!(excess, 2);
        assert_eq!(ids(released), vec![3, 4]);
        assert_eq!(b.take(3).0, vec![5, 6, 7]);
    }

    /// "store_permanent_unless_empty/2 returns :empty when buffer is empty".
    #[test]
    fn store_info_returns_empty_when_buffer_is_empty() {
        let mut b = Buffer::<u32>::new(Some(10));
        let given_back = b.store_info(info(1)).unwrap_err();
        assert_eq!(given_back.downcast::<u32>().unwrap(), 1);
    }

    /// "take_count_or_until_permanent/2 returns :empty when buffer is empty".
    #[test]
    fn take_returns_nothing_when_buffer_is_empty() {
        let mut b = Buffer::<u32>::new(Some(10));
        let (events, infos) = b.take(5);
        assert!(events.is_empty() && infos.is_empty());
    }

    /// "take_count_or_until_permanent/2 takes temporary events in FIFO order,
    /// stopping at permanent events and returning them".
    #[test]
    fn take_stops_at_permanent_events_and_returns_them() {
        let mut b = Buffer::new(Some(10));
        b.store(vec![1, 2], BufferKeep::First);
        b.store_info(info(3)).unwrap();
        b.store(vec![4], BufferKeep::First);
        let (events, infos) = b.take(5);
        assert_eq!(events, vec![1, 2]);
        assert_eq!(ids(infos), vec![3]);
        // Wanted 5, got 2: the remaining count is the caller's 5 - 2.
        assert_eq!(5 - events.len(), 3);
        assert_eq!(b.take(5).0, vec![4]);
    }

    /// "take_count_or_until_permanent/2 maintains FIFO order for permanent events
    /// stored at same position".
    #[test]
    fn take_keeps_fifo_order_of_infos_at_the_same_position() {
        let mut b = Buffer::new(Some(10));
        b.store(vec![1, 2], BufferKeep::First);
        for i in [3, 4, 5] {
            b.store_info(info(i)).unwrap();
        }
        let (events, infos) = b.take(5);
        assert_eq!((events, ids(infos)), (vec![1, 2], vec![3, 4, 5]));
    }

    /// "take_count_or_until_permanent/2 interleaves temporary and permanent events
    /// correctly across multiple wheel positions".
    #[test]
    fn take_interleaves_events_and_infos_across_positions() {
        let mut b = Buffer::new(Some(10));
        b.store(vec![1, 2], BufferKeep::First);
        b.store_info(info(3)).unwrap();
        b.store_info(info(4)).unwrap();
        b.store(vec![5, 6, 7], BufferKeep::First);
        b.store_info(info(8)).unwrap();
        b.store_info(info(9)).unwrap();
        b.store(vec![10], BufferKeep::First);
        b.store_info(info(11)).unwrap();
        let (e, i) = b.take(3);
        assert_eq!((e, ids(i)), (vec![1, 2], vec![3, 4]));
        let (e, i) = b.take(4);
        assert_eq!((e, ids(i)), (vec![5, 6, 7], vec![8, 9]));
        let (e, i) = b.take(2);
        assert_eq!((e, ids(i)), (vec![10], vec![11]));
    }
}
