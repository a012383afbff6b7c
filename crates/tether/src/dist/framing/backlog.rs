//! Back-pressure: the bound on a connection's outgoing queue, as erts' *busy
//! distribution port* (`erl +zdbbl`, docs/distribution.md §3.4).
//!
//! Every frame handed to the writer is counted here in bytes ([`Backlog::add`]) and
//! uncounted once written ([`Backlog::written`]). When the count reaches the limit the
//! connection is *busy*: each busy episode is counted ([`Backlog::stalls`]) and the
//! process that sent is suspended at its next await until the connection is no longer
//! busy ([`crate::process`]'s `suspend` module: the process task polls
//! [`Backlog::poll_open`] before it polls the process's future again). The connection
//! stops being busy when the writer has brought the queue below half the limit, or
//! when the connection ends (the suspended senders then resume, and their later sends
//! go wherever a send to a lost node goes).
//!
//! ```text
//!   sender: add(n) ──▶ queued ≥ limit ──▶ busy (stall counted, logged) ──▶ senders wait
//!   writer: written(n) ──▶ queued < limit/2, or closed ──▶ not busy ──▶ waiters woken
//! ```
//!
//! Setting and clearing `busy` race: a sender may see the queue full just as the
//! writer drains it. Both sides re-read the other's word after writing their own
//! (sequentially consistent), so at least one of them sees the drained queue and
//! clears the flag; a busy flag is never left on an idle connection.

use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering::SeqCst};
use std::task::{Context, Poll, Waker};

/// The default bound on a connection's outgoing queue: 1 MiB, as erts' `+zdbbl`.
pub const DEFAULT_BUSY_LIMIT: usize = 1 << 20;

/// The outgoing queue of one connection, in bytes, and who waits for it to drain.
#[derive(Debug)]
pub struct Backlog {
    queued: AtomicUsize,
    limit: usize,
    busy: AtomicBool,
    closed: AtomicBool,
    stalls: AtomicU64,
    waiters: Mutex<Vec<Waker>>,
}

impl Backlog {
    /// An empty queue that is busy from `limit` bytes (at least 1).
    pub fn new(limit: usize) -> Backlog {
        Backlog {
            queued: AtomicUsize::new(0),
            limit: limit.max(1),
            busy: AtomicBool::new(false),
            closed: AtomicBool::new(false),
            stalls: AtomicU64::new(0),
            waiters: Mutex::new(Vec::new()),
        }
    }

    /// Bytes queued and not yet written.
    pub fn queued(&self) -> usize {
        self.queued.load(SeqCst)
    }

    /// The limit from which the connection is busy.
    pub fn limit(&self) -> usize {
        self.limit
    }

    /// Whether senders are being suspended.
    pub fn is_busy(&self) -> bool {
        self.busy.load(SeqCst)
    }

    /// How many times the connection became busy.
    pub fn stalls(&self) -> u64 {
        self.stalls.load(SeqCst)
    }

    /// Counts `n` bytes queued. `true` when this made the connection busy (a new
    /// stall, for the caller to report).
    pub(crate) fn add(&self, n: usize) -> bool {
        let q = self.queued.fetch_add(n, SeqCst) + n;
        if q < self.limit || self.busy.load(SeqCst) || self.closed.load(SeqCst) {
            return false;
        }
        if self.busy.swap(true, SeqCst) {
            return false; // another sender started this episode
        }
        // The writer may have drained the queue between our add and the swap, and
        // seen `busy` still clear: look again (see the module docs).
        if self.queued.load(SeqCst) < self.low_water() {
            self.open();
            return false;
        }
        self.stalls.fetch_add(1, SeqCst);
        true
    }

    /// The writer wrote `n` counted bytes.
    pub(crate) fn written(&self, n: usize) {
        let q = self.queued.fetch_sub(n, SeqCst) - n;
        if q < self.low_water() && self.busy.load(SeqCst) {
            self.open();
        }
    }

    /// The connection ended: nobody waits for it any more.
    pub(crate) fn close(&self) {
        self.closed.store(true, SeqCst);
        self.open();
    }

    /// Ready once the connection is not busy; otherwise `cx`'s waker is woken when it
    /// stops being busy.
    pub fn poll_open(&self, cx: &mut Context<'_>) -> Poll<()> {
        if !self.is_busy() {
            return Poll::Ready(());
        }
        let mut w = self.waiters.lock().unwrap_or_else(|e| e.into_inner());
        // `open` clears the flag before it takes the list: checked under the lock,
        // a clear flag means we were not missed.
        if !self.is_busy() {
            return Poll::Ready(());
        }
        if !w.iter().any(|x| x.will_wake(cx.waker())) {
            w.push(cx.waker().clone());
        }
        Poll::Pending
    }

    fn low_water(&self) -> usize {
        self.limit / 2
    }

    fn open(&self) {
        self.busy.store(false, SeqCst);
        let waiters = std::mem::take(&mut *self.waiters.lock().unwrap_or_else(|e| e.into_inner()));
        for w in waiters {
            w.wake();
        }
    }
}

impl crate::process::suspend::Gate for Backlog {
    fn poll_open(&self, cx: &mut Context<'_>) -> Poll<()> {
        Backlog::poll_open(self, cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::sync::atomic::AtomicUsize;
    use std::task::Wake;

    struct Count(AtomicUsize);
    impl Wake for Count {
        fn wake(self: Arc<Self>) {
            self.0.fetch_add(1, SeqCst);
        }
    }

    #[test]
    fn busy_from_the_limit_until_half_is_written() {
        let b = Backlog::new(100);
        let woken = Arc::new(Count(AtomicUsize::new(0)));
        let waker = Waker::from(woken.clone());
        let mut cx = Context::from_waker(&waker);
        assert!(!b.add(60));
        assert!(b.poll_open(&mut cx).is_ready());
        assert!(b.add(40), "100 bytes reach the limit");
        assert!(!b.add(10), "the same episode");
        assert_eq!(b.stalls(), 1);
        assert!(b.poll_open(&mut cx).is_pending());
        assert!(b.poll_open(&mut cx).is_pending());
        b.written(50); // 60 left: still at or above half
        assert!(b.is_busy());
        assert_eq!(woken.0.load(SeqCst), 0);
        b.written(20); // 40 left
        assert!(!b.is_busy());
        assert_eq!(woken.0.load(SeqCst), 1, "one waker, registered once");
        assert!(b.poll_open(&mut cx).is_ready());
        assert_eq!(b.queued(), 40);
        assert!(b.add(60));
        assert_eq!(b.stalls(), 2);
    }

    #[test]
    fn closing_releases_the_waiters_for_good() {
        let b = Backlog::new(10);
        let woken = Arc::new(Count(AtomicUsize::new(0)));
        let waker = Waker::from(woken.clone());
        let mut cx = Context::from_waker(&waker);
        assert!(b.add(20));
        assert!(b.poll_open(&mut cx).is_pending());
        b.close();
        assert_eq!(woken.0.load(SeqCst), 1);
        assert!(!b.add(20), "a closed connection is never busy");
        assert!(b.poll_open(&mut cx).is_ready());
    }

    #[test]
    fn a_drain_racing_the_busy_flag_never_leaves_it_set() {
        for _ in 0..200 {
            let b = Arc::new(Backlog::new(64));
            let writer = {
                let b = b.clone();
                std::thread::spawn(move || {
                    for _ in 0..1000 {
                        while b.queued() < 8 {
                            std::hint::spin_loop();
                        }
                        b.written(8);
                    }
                })
            };
            for _ in 0..1000 {
                b.add(8);
            }
            writer.join().unwrap();
            assert_eq!(b.queued(), 0);
            assert!(!b.is_busy(), "an empty queue is not busy");
        }
    }
}
