//! The inbox: a lock-free queue with many senders and one receiver, and the parking
//! protocol that wakes the receiver.
//!
//! Every signal to a process (message, link, exit, monitor, ...) goes through its inbox,
//! so the push is the hot path of every send. It takes no lock: a sender links a node
//! into a singly linked list with one compare-and-swap on the list's tail. The receiver
//! (the process's own task) takes nodes off the head without any atomic read-modify-write
//! in the common case. This is Dmitry Vyukov's intrusive multi-producer single-consumer
//! list, with two additions: the tail word also carries the *parked* flag, and the queue
//! can be *closed*.
//!
//! ```text
//!   head (receiver only)                                   tail (everyone; tagged)
//!     │                                                       │
//!     ▼                                                       ▼
//!   [stub] ──next──▶ [node a] ──next──▶ [node b] ──next──▶ [node c] ──next──▶ null
//! ```
//!
//! ## The list
//!
//! * **Push** (any thread): the new node's `next` is null. Read the tail; if it says
//!   *closed*, hand the value back. Otherwise compare-and-swap the tail from that value
//!   to the new node, then store the new node into the old tail's `next`. The swap
//!   fixes the order: two pushes by one sender are swapped in one after the other, so
//!   they are taken in that order (per-sender FIFO, docs/semantics.md §1.1 S2). Several
//!   signals can be pushed as one pre-linked chain with a single swap.
//! * **Pop** (receiver only): a node is taken once its `next` is set, or once it is the
//!   tail, in which case the receiver first pushes the *stub* behind it so that the
//!   list never becomes empty of nodes. Between a sender's swap and its store of `next`
//!   the list is briefly cut: the receiver sees a node without successor that is not
//!   the tail. It does not wait: it stops draining, remembers that the queue is
//!   *unsettled*, and tries again on its next round; the sender finishes its store in a
//!   few instructions.
//! * The **stub** is a node without a value that lives in the queue itself, so an idle
//!   process holds no node on the heap. In `head` and `tail` it is spelled as the null
//!   address; in a `next` field by its real address (a `next` must be non-null to mean
//!   "linked").
//! * A node is freed by the receiver when it takes the node's value. No sender touches
//!   a node after its push except through the old tail's `next`, and the old tail cannot
//!   be taken before that store: it is neither followed by a node nor the tail any more.
//!
//! ## Parking and waking
//!
//! The low bit of the tail word is `PARKED`. The receiver parks only when it has taken
//! everything (the tail is the stub and the queue is settled): it registers its waker,
//! then swaps the tail from *stub* to *stub + PARKED*. A sender's swap sees the bit in
//! the value it replaces, so exactly one sender, the first after the receiver parked,
//! learns that it turned the receiver from idle to busy, and it alone wakes it: one
//! wake-up per transition, and none lost, because parking and pushing are swaps of the
//! same word. A *lazy* push (bookkeeping that need not wake the receiver) carries the
//! bit over to its own node instead, so the next ordinary push still wakes. At the
//! start of each poll the receiver clears the bit if a timer or other event woke it
//! first, so that senders do not wake a process that is already running.
//!
//! The waker itself is written once, before the first park, and never changed while a
//! sender may read it; a process polled with a different waker later (not a tokio task)
//! moves to a spare slot under a mutex, which senders then read instead.
//!
//! ## Closing
//!
//! When the process exits, the receiver swaps the tail to `CLOSED` and takes every
//! node pushed before that, waiting (yielding) for senders that swapped but have not
//! yet linked. A push that sees `CLOSED` gets its value back, so every signal is either
//! handled by the exit sequence or answered by its sender (a `noproc` for a link, a
//! DOWN for a monitor).
//!
//! ## Checking it
//!
//! The tests at the bottom run the queue under [loom], which explores every
//! interleaving and memory-order outcome of small scenarios (two senders, a receiver
//! that parks, a close racing a push). Run them with
//!
//! ```text
//! RUSTFLAGS="--cfg tether_loom" CARGO_TARGET_DIR=target/loom LOOM_MAX_PREEMPTIONS=3 \
//!     cargo test -p tether --release --lib process::inbox
//! ```
//!
//! The two-sender scenario is explored with at most three preemptions per execution
//! (`LOOM_MAX_PREEMPTIONS`, loom's usual bound: bugs rarely need more); without a
//! bound it runs for hours. The one-sender scenarios finish unbounded in seconds.
//!
//! (The flag is `tether_loom`, not `loom`, because tokio reads `cfg(loom)` too and does
//! not build under it outside its own tests.) A stress test with real threads runs in
//! the ordinary suite.
//!
//! [loom]: https://docs.rs/loom

use std::marker::PhantomData;
use std::mem::{ManuallyDrop, MaybeUninit};
use std::ptr;
use std::task::Waker;

use self::sync::{AtomicBool, AtomicPtr, AtomicU8, Mutex, Ordering, UnsafeCell};

/// The atomics the queue uses: std's, or loom's under `cfg(tether_loom)`.
#[cfg(not(tether_loom))]
mod sync {
    pub(crate) use std::sync::Mutex;
    pub(crate) use std::sync::atomic::{AtomicBool, AtomicPtr, AtomicU8, Ordering};

    /// `std::cell::UnsafeCell` with loom's closure API.
    #[derive(Debug)]
    pub(crate) struct UnsafeCell<T>(std::cell::UnsafeCell<T>);

    impl<T> UnsafeCell<T> {
        pub(crate) const fn new(v: T) -> Self {
            UnsafeCell(std::cell::UnsafeCell::new(v))
        }
        pub(crate) fn with<R>(&self, f: impl FnOnce(*const T) -> R) -> R {
            f(self.0.get())
        }
        pub(crate) fn with_mut<R>(&self, f: impl FnOnce(*mut T) -> R) -> R {
            f(self.0.get())
        }
    }

    /// Lets a sender that is between its swap and its link finish.
    pub(crate) fn pause() {
        std::thread::yield_now();
    }
}

#[cfg(tether_loom)]
mod sync {
    pub(crate) use loom::cell::UnsafeCell;
    pub(crate) use loom::sync::Mutex;
    pub(crate) use loom::sync::atomic::{AtomicBool, AtomicPtr, AtomicU8, Ordering};

    pub(crate) fn pause() {
        loom::thread::yield_now();
    }
}

/// Tail tag: the receiver is parked and its next push must wake it.
const PARKED: usize = 1;
/// Tail value once the queue is closed (an address no node can have).
const CLOSED: usize = 2;
/// The tag bits of a tail word.
const TAGS: usize = 3;

/// The link every node starts with (`repr(C)`: a `*mut Node<T>` is a `*mut Link`).
#[repr(C)]
struct Link {
    next: AtomicPtr<Link>,
}

#[repr(C)]
struct Node<T> {
    link: Link,
    value: ManuallyDrop<T>,
}

fn untag(p: *mut Link) -> *mut Link {
    p.map_addr(|a| a & !TAGS)
}

fn tags(p: *mut Link) -> usize {
    p.addr() & TAGS
}

fn closed() -> *mut Link {
    ptr::without_provenance_mut(CLOSED)
}

fn stub_parked() -> *mut Link {
    ptr::without_provenance_mut(PARKED)
}

fn new_node<T>(value: T) -> *mut Link {
    let node = Box::new(Node {
        link: Link {
            next: AtomicPtr::new(ptr::null_mut()),
        },
        value: ManuallyDrop::new(value),
    });
    Box::into_raw(node).cast()
}

/// Takes the value out of a node and frees it.
///
/// # Safety
///
/// `node` came from [`new_node::<T>`], its value was not taken, and nobody else will
/// touch it again.
unsafe fn take_node<T>(node: *mut Link) -> T {
    // SAFETY: by the contract, `node` is a live `Box<Node<T>>` that we now own.
    let mut node = unsafe { Box::from_raw(node.cast::<Node<T>>()) };
    // SAFETY: the value is taken once, here; the box is then dropped without it.
    unsafe { ManuallyDrop::take(&mut node.value) }
}

/// What [`Queue::push`] did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Pushed {
    /// The receiver was busy (or the push was lazy): nobody was woken.
    Queued,
    /// The receiver was parked; this push woke it.
    Woke,
}

/// A lock-free multi-producer single-consumer queue; see the module docs.
pub(crate) struct Queue<T> {
    /// The last node pushed, tagged with `PARKED`; null for the stub; `CLOSED`.
    tail: AtomicPtr<Link>,
    /// The receiver's end: the node whose value is taken next (null for the stub).
    head: UnsafeCell<*mut Link>,
    stub: Link,
    /// The parked receiver's waker, and the *unsettled* flag.
    waker: WakerSlot,
    _owns: PhantomData<T>,
}

// SAFETY: the queue moves values of `T` from senders to the receiver, so it is `Send`
// and `Sync` when `T` is `Send`. Its raw pointers are to nodes it owns; the head is only
// touched by the receiver's `unsafe fn`s, whose callers serialize them.
unsafe impl<T: Send> Send for Queue<T> {}
// SAFETY: see above.
unsafe impl<T: Send> Sync for Queue<T> {}

impl<T> Queue<T> {
    /// An empty, open queue.
    pub(crate) fn new() -> Self {
        Queue {
            tail: AtomicPtr::new(ptr::null_mut()),
            head: UnsafeCell::new(ptr::null_mut()),
            stub: Link {
                next: AtomicPtr::new(ptr::null_mut()),
            },
            waker: WakerSlot::new(),
            _owns: PhantomData,
        }
    }

    fn stub(&self) -> *mut Link {
        ptr::from_ref(&self.stub).cast_mut()
    }

    /// The node a head or tail word names (the stub for null).
    fn resolve(&self, p: *mut Link) -> *mut Link {
        let p = untag(p);
        if p.is_null() { self.stub() } else { p }
    }

    /// Pushes `value`; `wake` says whether to wake a parked receiver (a lazy push
    /// leaves it parked). Gives the value back if the queue is closed.
    pub(crate) fn push(&self, value: T, wake: bool) -> Result<Pushed, T> {
        let node = new_node(value);
        match self.push_chain(node, node, wake) {
            Ok(p) => Ok(p),
            // SAFETY: the push failed, so the node was never shared; it is ours.
            Err(()) => Err(unsafe { take_node(node) }),
        }
    }

    /// Pushes the values in order as one unit: all or none.
    pub(crate) fn push_all<const N: usize>(
        &self,
        values: [T; N],
        wake: bool,
    ) -> Result<Pushed, [T; N]> {
        if N == 0 {
            return Ok(Pushed::Queued);
        }
        let nodes = values.map(new_node);
        for pair in nodes.windows(2) {
            // SAFETY: the nodes are fresh and not shared yet.
            unsafe { (*pair[0]).next.store(pair[1], Ordering::Relaxed) };
        }
        match self.push_chain(nodes[0], nodes[N - 1], wake) {
            Ok(p) => Ok(p),
            // SAFETY: the push failed, so the nodes were never shared; they are ours.
            Err(()) => Err(nodes.map(|n| unsafe { take_node(n) })),
        }
    }

    /// Links the chain `first..=last` (already linked among itself, `last.next` null).
    fn push_chain(&self, first: *mut Link, last: *mut Link, wake: bool) -> Result<Pushed, ()> {
        let mut tail = self.tail.load(Ordering::Relaxed);
        loop {
            if tail == closed() {
                return Err(());
            }
            // A lazy push keeps the receiver parked: the flag moves to its node, for the
            // next ordinary push to find.
            let new = if wake {
                last
            } else {
                last.map_addr(|a| a | tags(tail))
            };
            // AcqRel: Release publishes our nodes to the sender that swaps after us (it
            // writes `last.next`) and to `close`; Acquire makes the old tail node, and
            // the waker registered before a park, visible to us.
            match self
                .tail
                .compare_exchange_weak(tail, new, Ordering::AcqRel, Ordering::Relaxed)
            {
                // Take the pointer the exchange returns, not the one loaded before: the
                // same address may be a newer node by now (freed and reused), and only
                // the exchanged value carries that node's provenance.
                Ok(t) => {
                    tail = t;
                    break;
                }
                Err(t) => tail = t,
            }
        }
        let prev = self.resolve(tail);
        // SAFETY: `prev` was the tail until our swap, so the receiver has not freed it: a
        // node is freed only once its `next` is set or it was followed by the stub, and
        // both need a swap from it, which is ours. The stub lives as long as `self`.
        // Release: the receiver that reads this link sees the nodes' contents.
        unsafe { (*prev).next.store(first, Ordering::Release) };
        if wake && tags(tail) & PARKED != 0 {
            self.waker.wake();
            Ok(Pushed::Woke)
        } else {
            Ok(Pushed::Queued)
        }
    }

    /// Whether the queue has been closed.
    pub(crate) fn is_closed(&self) -> bool {
        self.tail.load(Ordering::Acquire) == closed()
    }

    /// Takes every value that is ready, in order, handing each to `f`. Returns `false`
    /// if it stopped at a sender that had not finished linking (the queue is
    /// *unsettled*: the receiver must not park until a later drain settles it).
    ///
    /// # Safety
    ///
    /// Receiver only: calls to `drain`, `close` and `park` must not overlap. The queue
    /// must not move after its first `drain` (a sender may hold the stub's address,
    /// which lives inside the queue); in Tether it lives in the process's
    /// `Arc<ProcessShared>` and never moves.
    pub(crate) unsafe fn drain(&self, mut f: impl FnMut(T)) -> bool {
        // SAFETY: the caller serializes the receiver's methods, so we own the head.
        let mut head = self.head.with(|h| unsafe { *h });
        let stub = self.stub();
        let settled = loop {
            let mut h = self.resolve(head);
            // SAFETY: `h` is the head (this holds for the derefs below too), which only
            // the receiver frees; Acquire pairs with the sender's Release store of `next`.
            let mut next = unsafe { (*h).next.load(Ordering::Acquire) };
            if h == stub {
                if next.is_null() {
                    // Empty, unless a sender swapped the tail and is still linking.
                    let tail = self.tail.load(Ordering::Acquire);
                    break untag(tail).is_null() || tail == closed();
                }
                // Leave the stub; no sender refers to it any more (its linker is done).
                self.stub.next.store(ptr::null_mut(), Ordering::Relaxed);
                h = next;
                // SAFETY: as above.
                next = unsafe { (*h).next.load(Ordering::Acquire) };
            }
            if next.is_null() {
                // `h` is the last linked node. If it is also the tail, put the stub
                // behind it so that `h` can be taken; otherwise a sender is linking.
                let tail = self.tail.load(Ordering::Acquire);
                if untag(tail) != h {
                    head = h;
                    break false;
                }
                self.push_stub();
                // SAFETY: as above.
                next = unsafe { (*h).next.load(Ordering::Acquire) };
                if next.is_null() {
                    head = h;
                    break false;
                }
            }
            head = if next == stub { ptr::null_mut() } else { next };
            // Store the head before `f` runs: if it panics, the queue stays whole.
            // SAFETY: receiver only, as above.
            self.head.with_mut(|p| unsafe { *p = head });
            // SAFETY: `h` is a value node (not the stub) whose successor is linked: no
            // sender will touch it again, and the receiver takes it once.
            f(unsafe { take_node::<T>(h) });
        };
        // SAFETY: receiver only, as above.
        self.head.with_mut(|p| unsafe { *p = head });
        self.waker.unsettled.store(!settled, Ordering::Relaxed);
        settled
    }

    /// The receiver pushes the stub (keeping the tail's tags).
    fn push_stub(&self) {
        let stub = self.stub();
        let mut tail = self.tail.load(Ordering::Relaxed);
        loop {
            let new = ptr::null_mut::<Link>().map_addr(|a| a | tags(tail));
            match self
                .tail
                .compare_exchange_weak(tail, new, Ordering::AcqRel, Ordering::Relaxed)
            {
                // Take the pointer the exchange returns, not the one loaded before: the
                // same address may be a newer node by now (freed and reused), and only
                // the exchanged value carries that node's provenance.
                Ok(t) => {
                    tail = t;
                    break;
                }
                Err(t) => tail = t,
            }
        }
        let prev = self.resolve(tail);
        debug_assert!(
            prev != stub,
            "the stub is pushed only when it is not in the list"
        );
        // SAFETY: as in `push_chain`: `prev` was the tail until our swap.
        unsafe { (*prev).next.store(stub, Ordering::Release) };
    }

    /// Parks the receiver: registers `waker` and marks the queue parked, unless
    /// something is waiting to be drained (then returns `false`).
    ///
    /// # Safety
    ///
    /// Receiver only, as for [`drain`](Self::drain).
    pub(crate) unsafe fn park(&self, waker: &Waker) -> bool {
        if self.waker.unsettled.load(Ordering::Relaxed) {
            return false;
        }
        // SAFETY: receiver only; no sender can hold a claim on the waker now, because
        // the queue is not parked (see `unpark`).
        unsafe { self.waker.register(waker) };
        // Release: the sender that clears the flag sees the waker.
        self.tail
            .compare_exchange(
                ptr::null_mut(),
                stub_parked(),
                Ordering::AcqRel,
                Ordering::Relaxed,
            )
            .is_ok()
    }

    /// Clears the parked flag if it is still set (the receiver was woken by something
    /// else, or is about to close): senders need not wake a running receiver.
    pub(crate) fn unpark(&self) {
        let mut tail = self.tail.load(Ordering::Relaxed);
        while tags(tail) & PARKED != 0 {
            match self.tail.compare_exchange_weak(
                tail,
                untag(tail),
                Ordering::AcqRel,
                Ordering::Relaxed,
            ) {
                Ok(_) => return,
                Err(t) => tail = t,
            }
        }
    }

    /// Closes the queue for good and hands every value still in it to `f`, in order.
    ///
    /// # Safety
    ///
    /// Receiver only, as for [`drain`](Self::drain).
    pub(crate) unsafe fn close(&self, mut f: impl FnMut(T)) {
        let old = self.tail.swap(closed(), Ordering::AcqRel);
        if old == closed() {
            return;
        }
        let last = self.resolve(old);
        let stub = self.stub();
        // SAFETY: receiver only.
        let mut h = self.resolve(self.head.with(|h| unsafe { *h }));
        // The head moves past each node before its value goes to `f` (which may
        // panic), so that `Drop` finds only what is left.
        loop {
            if h == last {
                // SAFETY: receiver only.
                self.head.with_mut(|p| unsafe { *p = ptr::null_mut() });
                self.stub.next.store(ptr::null_mut(), Ordering::Relaxed);
                if h != stub {
                    // SAFETY: the last node pushed; nobody links to it any more.
                    f(unsafe { take_node::<T>(h) });
                }
                return;
            }
            // Every node before `last` gets a successor: its sender is linking.
            let next = loop {
                // SAFETY: `h` is ours until we take it.
                let n = unsafe { (*h).next.load(Ordering::Acquire) };
                if !n.is_null() {
                    break n;
                }
                sync::pause();
            };
            // SAFETY: receiver only.
            self.head.with_mut(|p| unsafe { *p = next });
            if h != stub {
                // SAFETY: a value node whose successor is linked.
                f(unsafe { take_node::<T>(h) });
            }
            h = next;
        }
    }
}

impl<T> Drop for Queue<T> {
    fn drop(&mut self) {
        // `&mut self`: no sender or receiver is left, every push has finished linking.
        let stub = self.stub();
        // SAFETY: exclusive access.
        let mut h = self.resolve(self.head.with(|h| unsafe { *h }));
        loop {
            // SAFETY: `h` is a node of this queue, not freed yet.
            let next = unsafe { (*h).next.load(Ordering::Acquire) };
            if h != stub {
                // SAFETY: a value node, taken once.
                drop(unsafe { take_node::<T>(h) });
            }
            if next.is_null() {
                break;
            }
            h = next;
        }
    }
}

/// Where the parked receiver's waker is kept; see the module docs.
struct WakerSlot {
    /// `FIRST`: `first` holds a waker (written once). `SPARE`: use `spare` instead.
    state: AtomicU8,
    /// Set by the receiver when a drain stopped at a sender that was still linking
    /// (kept here, beside `state`, where it costs no space).
    unsettled: AtomicBool,
    first: UnsafeCell<MaybeUninit<Waker>>,
    /// Allocated on first use, which few processes ever need; freed with the slot.
    spare: AtomicPtr<Mutex<Option<Waker>>>,
}

const FIRST: u8 = 1;
const SPARE: u8 = 2;

impl WakerSlot {
    fn new() -> Self {
        WakerSlot {
            state: AtomicU8::new(0),
            unsettled: AtomicBool::new(false),
            first: UnsafeCell::new(MaybeUninit::uninit()),
            spare: AtomicPtr::new(ptr::null_mut()),
        }
    }

    /// Records the receiver's waker.
    ///
    /// # Safety
    ///
    /// Receiver only, while the queue is not parked.
    unsafe fn register(&self, waker: &Waker) {
        // Only the receiver writes `state`, so its own last write is what it reads.
        let state = self.state.load(Ordering::Relaxed);
        if state == 0 {
            // SAFETY: no waker was ever registered, so no sender has claimed a wake-up
            // (claims need a park, which comes after this) and none reads `first`.
            self.first
                .with_mut(|w| unsafe { (*w).write(waker.clone()) });
            self.state.store(FIRST, Ordering::Release);
            return;
        }
        if state == FIRST {
            // SAFETY: `first` is initialised (FIRST) and never written again.
            let same = self
                .first
                .with(|w| unsafe { (*w).assume_init_ref().will_wake(waker) });
            if same {
                return;
            }
            let spare = Box::new(Mutex::new(Some(waker.clone())));
            // Release: a sender that sees SPARE sees the mutex.
            self.spare.store(Box::into_raw(spare), Ordering::Release);
            self.state.store(FIRST | SPARE, Ordering::Release);
            return;
        }
        // SAFETY: SPARE is set, so `spare` points to the mutex, freed only with `self`.
        let spare = unsafe { &*self.spare.load(Ordering::Relaxed) };
        let mut spare = spare.lock().unwrap_or_else(|e| e.into_inner());
        if !spare.as_ref().is_some_and(|w| w.will_wake(waker)) {
            *spare = Some(waker.clone());
        }
    }

    /// Wakes the receiver (by the one sender that cleared its parked flag).
    fn wake(&self) {
        let state = self.state.load(Ordering::Acquire);
        if state & SPARE != 0 {
            // SAFETY: SPARE is set (seen with Acquire, after the pointer's Release
            // store), so `spare` points to the mutex, freed only with `self`.
            let spare = unsafe { &*self.spare.load(Ordering::Acquire) };
            let w = spare.lock().unwrap_or_else(|e| e.into_inner()).clone();
            if let Some(w) = w {
                w.wake();
            }
        } else if state & FIRST != 0 {
            // SAFETY: `first` is initialised (FIRST, seen with Acquire) and never
            // written again while the slot lives.
            self.first
                .with(|w| unsafe { (*w).assume_init_ref().wake_by_ref() });
        }
    }
}

impl Drop for WakerSlot {
    fn drop(&mut self) {
        let state = self.state.load(Ordering::Relaxed);
        if state & FIRST != 0 {
            // SAFETY: initialised (FIRST), dropped once, here.
            self.first.with_mut(|w| unsafe { (*w).assume_init_drop() });
        }
        if state & SPARE != 0 {
            // SAFETY: allocated by `register` with `Box::new`, freed once, here.
            drop(unsafe { Box::from_raw(self.spare.load(Ordering::Relaxed)) });
        }
    }
}

#[cfg(all(test, not(tether_loom)))]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::sync::atomic::AtomicUsize;
    use std::task::Wake;

    struct Count(AtomicUsize);
    impl Wake for Count {
        fn wake(self: Arc<Self>) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }

    fn drain_all<T>(q: &Queue<T>) -> Vec<T> {
        let mut out = Vec::new();
        // SAFETY: single-threaded test: this is the only receiver.
        while !unsafe { q.drain(|v| out.push(v)) } {}
        out
    }

    #[test]
    fn fifo_and_close() {
        let q = Queue::new();
        for i in 0..5 {
            assert_eq!(q.push(i, true), Ok(Pushed::Queued));
        }
        assert_eq!(drain_all(&q), vec![0, 1, 2, 3, 4]);
        assert_eq!(drain_all(&q), Vec::<i32>::new());
        q.push_all([5, 6], true).unwrap();
        q.push(7, true).unwrap();
        let mut left = Vec::new();
        // SAFETY: the only receiver.
        unsafe { q.close(|v| left.push(v)) };
        assert_eq!(left, vec![5, 6, 7]);
        assert!(q.is_closed());
        assert_eq!(q.push(8, true), Err(8));
        assert_eq!(q.push_all([9, 10], true), Err([9, 10]));
        assert_eq!(drain_all(&q), Vec::<i32>::new());
    }

    #[test]
    fn one_wake_per_park_and_lazy_pushes_do_not_wake() {
        let q = Queue::new();
        let count = Arc::new(Count(AtomicUsize::new(0)));
        let waker = Waker::from(count.clone());
        // SAFETY: the only receiver.
        assert!(unsafe { q.park(&waker) });
        assert_eq!(q.push(1, false), Ok(Pushed::Queued));
        assert_eq!(count.0.load(Ordering::SeqCst), 0);
        assert_eq!(q.push(2, true), Ok(Pushed::Woke));
        assert_eq!(q.push(3, true), Ok(Pushed::Queued));
        assert_eq!(count.0.load(Ordering::SeqCst), 1);
        // SAFETY: the only receiver.
        assert!(!unsafe { q.park(&waker) }, "not empty");
        assert_eq!(drain_all(&q), vec![1, 2, 3]);
        // SAFETY: the only receiver.
        assert!(unsafe { q.park(&waker) });
        q.unpark();
        assert_eq!(q.push(4, true), Ok(Pushed::Queued), "unparked: no wake");
        assert_eq!(count.0.load(Ordering::SeqCst), 1);
        // A different waker goes to the spare slot and is the one woken.
        let other = Arc::new(Count(AtomicUsize::new(0)));
        assert_eq!(drain_all(&q), vec![4]);
        // SAFETY: the only receiver.
        assert!(unsafe { q.park(&Waker::from(other.clone())) });
        assert_eq!(q.push(5, true), Ok(Pushed::Woke));
        assert_eq!(other.0.load(Ordering::SeqCst), 1);
        assert_eq!(count.0.load(Ordering::SeqCst), 1);
    }

    #[test]
    fn values_left_in_a_dropped_queue_are_dropped() {
        let q = Queue::new();
        let v = Arc::new(());
        q.push(v.clone(), true).unwrap();
        q.push_all([v.clone(), v.clone()], false).unwrap();
        drop(q);
        assert_eq!(Arc::strong_count(&v), 1);
    }

    /// Two sender threads against a receiver that parks for real: every value arrives
    /// exactly once and in each sender's order, and the receiver is never left parked
    /// with values waiting (it would hang).
    #[test]
    fn stress_two_senders_one_parking_receiver() {
        struct Unpark(std::thread::Thread);
        impl Wake for Unpark {
            fn wake(self: Arc<Self>) {
                self.0.unpark();
            }
        }
        const PER: u64 = 200_000;
        let q = Arc::new(Queue::<(u8, u64)>::new());
        let receiver = {
            let q = q.clone();
            std::thread::spawn(move || {
                let waker = Waker::from(Arc::new(Unpark(std::thread::current())));
                let mut next = [0u64; 2];
                let mut got = 0u64;
                while got < 2 * PER {
                    q.unpark();
                    // SAFETY: this thread is the only receiver.
                    unsafe {
                        q.drain(|(s, i)| {
                            if i == u64::MAX {
                                return; // a sender's last push
                            }
                            assert_eq!(i, next[s as usize], "sender {s} out of order");
                            next[s as usize] += 1;
                            got += 1;
                        })
                    };
                    // SAFETY: as above.
                    if got < 2 * PER && unsafe { q.park(&waker) } {
                        std::thread::park();
                    }
                }
                next
            })
        };
        let senders: Vec<_> = (0..2u8)
            .map(|s| {
                let q = q.clone();
                std::thread::spawn(move || {
                    let mut i = 0;
                    while i < PER {
                        if i % 7 == 3 && i + 1 < PER {
                            q.push_all([(s, i), (s, i + 1)], true).unwrap();
                            i += 2;
                        } else {
                            q.push((s, i), i % 5 != 0).unwrap();
                            i += 1;
                        }
                    }
                    // A last ordinary push, so that lazy pushes are never the last.
                    q.push((s, u64::MAX), true).ok();
                })
            })
            .collect();
        for s in senders {
            s.join().unwrap();
        }
        let next = receiver.join().unwrap();
        assert_eq!(next, [PER, PER]);
    }

    /// A close racing two senders: every value is taken exactly once, by the drains,
    /// by the close, or handed back to its sender.
    #[test]
    fn stress_close_against_senders() {
        for _ in 0..200 {
            let q = Arc::new(Queue::<(u8, u32)>::new());
            let senders: Vec<_> = (0..2u8)
                .map(|s| {
                    let q = q.clone();
                    std::thread::spawn(move || {
                        let mut back = Vec::new();
                        for i in 0..500 {
                            if let Err(v) = q.push((s, i), true) {
                                back.push(v);
                            }
                        }
                        back
                    })
                })
                .collect();
            let mut seen = Vec::new();
            // SAFETY: this thread is the only receiver.
            unsafe { q.drain(|v| seen.push(v)) };
            // SAFETY: as above.
            unsafe { q.close(|v| seen.push(v)) };
            for s in senders {
                seen.extend(s.join().unwrap());
            }
            seen.sort_unstable();
            let want: Vec<_> = (0..2u8)
                .flat_map(|s| (0..500).map(move |i| (s, i)))
                .collect();
            assert_eq!(seen, want);
        }
    }
}

#[cfg(all(test, tether_loom))]
mod loom_tests {
    use super::*;
    use loom::sync::Arc;
    use loom::sync::atomic::AtomicUsize;
    use std::task::Wake;

    /// A waker that unparks a loom thread and counts its wake-ups.
    struct Unpark {
        thread: loom::thread::Thread,
        wakes: AtomicUsize,
    }
    impl Wake for Unpark {
        fn wake(self: std::sync::Arc<Self>) {
            self.wake_by_ref();
        }
        fn wake_by_ref(self: &std::sync::Arc<Self>) {
            self.wakes.fetch_add(1, Ordering::SeqCst);
            self.thread.unpark();
        }
    }

    /// Two senders (one pushes two values, one a value then a lazy one) and a
    /// receiver that drains, parks and sleeps until woken: the receiver gets every
    /// value, in each sender's order, and is never left asleep (loom reports a
    /// deadlock if a wake-up is lost), with at most one wake-up per park.
    #[test]
    fn senders_and_a_parking_receiver() {
        loom::model(|| {
            let q = Arc::new(Queue::<(u8, u8)>::new());
            let a = {
                let q = q.clone();
                loom::thread::spawn(move || {
                    q.push((0, 0), true).unwrap();
                    q.push((0, 1), true).unwrap();
                })
            };
            let b = {
                let q = q.clone();
                loom::thread::spawn(move || {
                    q.push_all([(1, 0), (1, 1)], true).unwrap();
                })
            };
            let unpark = std::sync::Arc::new(Unpark {
                thread: loom::thread::current(),
                wakes: AtomicUsize::new(0),
            });
            let waker = Waker::from(unpark.clone());
            let mut next = [0u8; 2];
            let mut got = 0;
            let mut parks = 0;
            while got < 4 {
                q.unpark();
                // SAFETY: this thread is the only receiver.
                unsafe {
                    q.drain(|(s, i)| {
                        assert_eq!(i, next[s as usize]);
                        next[s as usize] += 1;
                        got += 1;
                    })
                };
                if got < 4 {
                    // SAFETY: as above.
                    if unsafe { q.park(&waker) } {
                        parks += 1;
                        loom::thread::park();
                    } else {
                        loom::thread::yield_now(); // as the process task yields
                    }
                }
            }
            a.join().unwrap();
            b.join().unwrap();
            assert!(unpark.wakes.load(Ordering::SeqCst) <= parks);
        });
    }

    /// A lazy push does not wake a parked receiver, and the ordinary push after it
    /// does (so the lazy value is never stranded behind a lost wake-up).
    #[test]
    fn lazy_then_ordinary_push() {
        loom::model(|| {
            let q = Arc::new(Queue::<u8>::new());
            let s = {
                let q = q.clone();
                loom::thread::spawn(move || {
                    q.push(0, false).unwrap();
                    q.push(1, true).unwrap();
                })
            };
            let waker = Waker::from(std::sync::Arc::new(Unpark {
                thread: loom::thread::current(),
                wakes: AtomicUsize::new(0),
            }));
            let mut got = Vec::new();
            while got.len() < 2 {
                q.unpark();
                // SAFETY: this thread is the only receiver.
                unsafe { q.drain(|v| got.push(v)) };
                if got.len() < 2 {
                    // SAFETY: as above.
                    if unsafe { q.park(&waker) } {
                        loom::thread::park();
                    } else {
                        loom::thread::yield_now();
                    }
                }
            }
            assert_eq!(got, [0, 1]);
            s.join().unwrap();
        });
    }

    /// A close racing a sender: the value is drained, left for the close, or handed
    /// back, exactly once.
    #[test]
    fn close_races_a_push() {
        loom::model(|| {
            let q = Arc::new(Queue::<u8>::new());
            let s = {
                let q = q.clone();
                loom::thread::spawn(move || {
                    let a = q.push(0, true).err();
                    let b = q.push(1, true).err();
                    [a, b]
                })
            };
            let mut seen = Vec::new();
            // SAFETY: this thread is the only receiver.
            unsafe { q.drain(|v| seen.push(v)) };
            // SAFETY: as above.
            unsafe { q.close(|v| seen.push(v)) };
            let back = s.join().unwrap();
            seen.extend(back.into_iter().flatten());
            seen.sort_unstable();
            assert_eq!(seen, [0, 1]);
        });
    }
}
