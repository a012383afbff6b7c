//! The shared half of a process: its inbox and its state.
//!
//! ```text
//!   senders ──push──▶ inbox: Mutex<Inbox>  (FIFO of Signal, the parked waker, closed flag)
//!                          │ drain (owner only, in order)
//!                          ▼
//!                     state: Mutex<State>  (mailbox of unmatched messages, trap_exit,
//!                                           links, monitors, aliases, name, ...)
//! ```
//!
//! * **Push** (any thread): lock the inbox, append, take the parked waker, unlock,
//!   wake. A closed inbox (the process is exiting or gone) hands the signal back so
//!   the sender can answer for the dead process (`noproc` for a link, a `noproc` DOWN
//!   for a monitor; a message is just dropped). One short critical section; no
//!   global lock anywhere on the path.
//! * **Drain** (the owning task only): swap the whole inbox queue out under the lock
//!   and act on each signal in order while holding only the state lock. Control
//!   signals (link, exit, monitor, ...) take effect; messages move to the mailbox,
//!   where selective receive scans them.
//! * **Park**: when the process has nothing to do it re-checks the inbox and leaves
//!   its waker in it, under the same lock, so no push is ever missed.
//!
//! Lock order is state → inbox, never the reverse, and a process only ever holds its
//! *own* locks while pushing to another's inbox; so no cycle can form.
//!
//! The state lock is uncontended in practice: only the owner takes it, except for
//! introspection (`process_info`). It lets the observer read a process without
//! stopping it.

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU8, Ordering};
use std::sync::{Mutex, MutexGuard};
use std::task::Waker;

use tether_term::{Atom, Pid, Reference};

use super::signal::{ExitAction, Signal, exit_action};
use super::{Down, Exit, ExitReason, Message, Monitored};

/// Scheduling status, for introspection.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum Status {
    /// Being polled right now.
    Running = 0,
    /// Woken, waiting for a worker thread.
    Runnable = 1,
    /// Parked, waiting for a message or another event.
    Waiting = 2,
    /// Exiting: its links and monitors are being notified.
    Exiting = 3,
}

pub(crate) struct Inbox {
    queue: VecDeque<Signal>,
    waker: Option<Waker>,
    closed: bool,
}

/// How an alias is deactivated (docs/semantics.md §1.7 A3).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AliasMode {
    /// Only by [`unalias`](crate::unalias).
    Explicit,
    /// On the first message received through it.
    Reply,
    /// When its monitor is removed (demonitor or DOWN).
    Demonitor,
    /// On the first reply through it, or on DOWN (and the monitor goes too).
    ReplyDemonitor,
}

/// A monitor this process holds on another.
pub(crate) struct MonitorOut {
    /// The monitored pid, when known (always, except for a remote `{Name, Node}`).
    pub target: Option<Pid>,
    /// How the monitor named its target (what the DOWN message will carry).
    pub object: Monitored,
    /// The target's record, for a local target that was alive when the monitor was
    /// made: the demonitor goes straight to it, without a table lookup.
    pub process: Option<Arc<ProcessShared>>,
}

/// Hashes a [`Reference`] cheaply, for the per-process monitor and alias maps.
///
/// The derived `Hash` of a reference makes five small writes; through SipHash, with
/// several lookups per gen_server call, hashing was a quarter of a call's cost. This
/// hasher folds each write in with one 64×64→128-bit multiply (the scheme of foldhash,
/// hashbrown's default) under a key drawn at random once per OS process, so references
/// from other nodes cannot be chosen to collide without knowing the key.
#[derive(Clone, Copy)]
pub(crate) struct RefHash(u64);

impl Default for RefHash {
    fn default() -> Self {
        use std::hash::BuildHasher;
        static KEY: std::sync::OnceLock<u64> = std::sync::OnceLock::new();
        RefHash(*KEY.get_or_init(|| std::hash::RandomState::new().hash_one(0x7e7_4e4u64) | 1))
    }
}

impl std::hash::BuildHasher for RefHash {
    type Hasher = RefHasher;
    fn build_hasher(&self) -> RefHasher {
        RefHasher {
            acc: self.0,
            key: self.0,
        }
    }
}

/// See [`RefHash`].
pub(crate) struct RefHasher {
    acc: u64,
    key: u64,
}

impl RefHasher {
    fn mix(&mut self, word: u64) {
        let p = u128::from(self.acc ^ word) * u128::from(self.key ^ 0x243f_6a88_85a3_08d3);
        self.acc = (p as u64) ^ ((p >> 64) as u64);
    }
}

impl std::hash::Hasher for RefHasher {
    fn write(&mut self, bytes: &[u8]) {
        for chunk in bytes.chunks(8) {
            let mut w = [0u8; 8];
            w[..chunk.len()].copy_from_slice(chunk);
            self.mix(u64::from_le_bytes(w));
        }
    }

    fn write_u8(&mut self, n: u8) {
        self.mix(u64::from(n));
    }

    fn write_u32(&mut self, n: u32) {
        self.mix(u64::from(n));
    }

    fn write_u64(&mut self, n: u64) {
        self.mix(n);
    }

    fn write_usize(&mut self, n: usize) {
        self.mix(n as u64);
    }

    fn finish(&self) -> u64 {
        let p = u128::from(self.acc) * u128::from(self.key.rotate_left(23) | 1);
        (p as u64) ^ ((p >> 64) as u64)
    }
}

/// What a process holds under one of its references: a monitor of another process,
/// an alias of itself, or both.
///
/// `monitor(process, P, [{alias, Mode}])` (every gen_server call) makes one reference
/// that is both (docs/semantics.md §1.7 A2), so it is one entry: one insert when the call starts,
/// one removal when the reply comes.
pub(crate) struct Held {
    pub monitor: Option<MonitorOut>,
    pub alias: Option<AliasMode>,
}

/// Links, monitors and the rest: boxed, because most processes have none.
#[derive(Default)]
pub(crate) struct Relations {
    pub links: HashSet<Pid>,
    /// The monitors this process holds and its aliases, by reference.
    pub refs: HashMap<Reference, Held, RefHash>,
    pub monitored_by: HashMap<Reference, (Pid, Monitored), RefHash>,
    pub timers: HashSet<Reference>,
    /// The registered name (kept here too, so the exit sequence can release it).
    pub name: Option<Atom>,
}

impl Relations {
    /// Removes the monitor `r` (demonitor, or its DOWN), deactivating an alias made
    /// with it in mode `Demonitor` or `ReplyDemonitor` (A3). `None` if there was no
    /// such monitor.
    pub fn take_monitor(&mut self, r: &Reference) -> Option<MonitorOut> {
        let held = self.refs.get_mut(r)?;
        let out = held.monitor.take()?;
        if !matches!(held.alias, Some(AliasMode::Explicit | AliasMode::Reply)) {
            self.refs.remove(r);
        }
        Some(out)
    }

    /// A message arrived through `r`: whether the alias is active, and the monitor to
    /// remove with it (mode `ReplyDemonitor`). Deactivates a `Reply` or
    /// `ReplyDemonitor` alias.
    pub fn through_alias(&mut self, r: &Reference) -> (bool, Option<MonitorOut>) {
        let Some(held) = self.refs.get_mut(r) else {
            return (false, None);
        };
        match held.alias {
            None => (false, None),
            Some(AliasMode::Explicit | AliasMode::Demonitor) => (true, None),
            Some(AliasMode::Reply) if held.monitor.is_some() => {
                held.alias = None;
                (true, None)
            }
            Some(AliasMode::Reply) => {
                self.refs.remove(r);
                (true, None)
            }
            Some(AliasMode::ReplyDemonitor) => {
                let held = self.refs.remove(r).expect("just found");
                (true, held.monitor)
            }
        }
    }

    /// The monitors this process holds.
    pub fn monitors(&self) -> impl Iterator<Item = (&Reference, &MonitorOut)> {
        self.refs
            .iter()
            .filter_map(|(r, h)| h.monitor.as_ref().map(|m| (r, m)))
    }
}

pub(crate) struct State {
    /// Messages drained from the inbox and not yet received.
    pub mailbox: VecDeque<Message>,
    /// Spare buffer swapped with the inbox queue on drain (keeps both allocations).
    spare: VecDeque<Signal>,
    pub trap_exit: bool,
    pub rel: Option<Box<Relations>>,
    /// Set when a fatal signal was handled; the process ends at its next await.
    /// Boxed: it is rare, and idle processes should stay small.
    pub pending_exit: Option<Box<ExitReason>>,
    pub received: u64,
    /// A timer kept for the next receive with a timeout (see `mailbox.rs`).
    pub spare_timer: Option<Box<super::mailbox::SpareTimer>>,
}

impl State {
    pub fn rel(&mut self) -> &mut Relations {
        self.rel.get_or_insert_with(Default::default)
    }

    pub fn name(&self) -> Option<&Atom> {
        self.rel.as_ref().and_then(|r| r.name.as_ref())
    }

    /// Drops spare buffer capacity and the spare timer (gen_server hibernation).
    pub fn shrink(&mut self) {
        self.mailbox.shrink_to_fit();
        self.spare = VecDeque::new();
        self.spare_timer = None;
    }

    fn is_linked(&self, pid: &Pid) -> bool {
        self.rel.as_ref().is_some_and(|r| r.links.contains(pid))
    }
}

pub(crate) struct ProcessShared {
    pub pid: Pid,
    inbox: Mutex<Inbox>,
    state: Mutex<State>,
    status: AtomicU8,
    /// Mirror of `state.trap_exit`, readable without the state lock (for `is_alive`).
    trapping: AtomicBool,
    /// Set whenever `state.pending_exit` is set, so the task can check it cheaply.
    dying: AtomicBool,
    pub dirty: bool,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panic while holding a process lock cannot leave these structures torn (every
    // critical section is a few container operations), so poisoning is ignored.
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl ProcessShared {
    pub fn new(pid: Pid, trap_exit: bool, dirty: bool) -> ProcessShared {
        ProcessShared {
            pid,
            inbox: Mutex::new(Inbox {
                queue: VecDeque::new(),
                waker: None,
                closed: false,
            }),
            state: Mutex::new(State {
                mailbox: VecDeque::new(),
                spare: VecDeque::new(),
                trap_exit,
                rel: None,
                pending_exit: None,
                received: 0,
                spare_timer: None,
            }),
            status: AtomicU8::new(Status::Runnable as u8),
            trapping: AtomicBool::new(trap_exit),
            dying: AtomicBool::new(false),
            dirty,
        }
    }

    pub fn state(&self) -> MutexGuard<'_, State> {
        lock(&self.state)
    }

    /// Appends a signal; hands it back if the process has exited.
    pub fn push(&self, signal: Signal) -> Result<(), Signal> {
        let waker = {
            let mut inbox = lock(&self.inbox);
            if inbox.closed {
                return Err(signal);
            }
            inbox.queue.push_back(signal);
            inbox.waker.take()
        };
        if let Some(w) = waker {
            self.status.store(Status::Runnable as u8, Ordering::Relaxed);
            w.wake();
        }
        Ok(())
    }

    /// Appends signals in order under one lock, waking the process once; hands them
    /// all back if the process has exited.
    pub fn push_all<const N: usize>(&self, signals: [Signal; N]) -> Result<(), [Signal; N]> {
        let waker = {
            let mut inbox = lock(&self.inbox);
            if inbox.closed {
                return Err(signals);
            }
            inbox.queue.extend(signals);
            inbox.waker.take()
        };
        if let Some(w) = waker {
            self.status.store(Status::Runnable as u8, Ordering::Relaxed);
            w.wake();
        }
        Ok(())
    }

    /// Appends a signal *without waking* the process; hands it back if the process has
    /// exited.
    ///
    /// For signals whose only effect is bookkeeping the receiver needs by the time it
    /// exits: `Monitor` and `Demonitor` (the exit sequence handles those left in the
    /// inbox). The receiver drains them with whatever wakes it next, still in order
    /// with the sender's other signals. This saves a gen_server a wake-up per call
    /// (the caller's monitor, then its demonitor when the reply arrives).
    pub fn push_lazy(&self, signal: Signal) -> Result<(), Signal> {
        let mut inbox = lock(&self.inbox);
        if inbox.closed {
            return Err(signal);
        }
        inbox.queue.push_back(signal);
        Ok(())
    }

    /// Parks the process: stores its waker unless signals are already waiting.
    /// Returns `false` if there is work to do instead.
    pub fn park(&self, waker: &Waker) -> bool {
        let mut inbox = lock(&self.inbox);
        if !inbox.queue.is_empty() {
            return false;
        }
        match &inbox.waker {
            Some(w) if w.will_wake(waker) => {}
            _ => inbox.waker = Some(waker.clone()),
        }
        self.status.store(Status::Waiting as u8, Ordering::Relaxed);
        true
    }

    pub fn set_status(&self, s: Status) {
        self.status.store(s as u8, Ordering::Relaxed);
    }

    pub fn status(&self) -> Status {
        match self.status.load(Ordering::Relaxed) {
            0 => Status::Running,
            1 => Status::Runnable,
            2 => Status::Waiting,
            _ => Status::Exiting,
        }
    }

    /// Whether a fatal signal has been handled (the process ends at its next await).
    pub fn is_dying(&self) -> bool {
        self.dying.load(Ordering::Relaxed)
    }

    /// Number of signals not yet drained, and how many of them are messages (not
    /// control signals such as a watcher's monitor, which `push_lazy` leaves queued).
    pub fn inbox_len(&self) -> (usize, usize) {
        let inbox = lock(&self.inbox);
        let messages = inbox
            .queue
            .iter()
            .filter(|s| matches!(s, Signal::Message(_) | Signal::AliasMessage { .. }))
            .count();
        (inbox.queue.len(), messages)
    }

    pub fn set_trap_exit(&self, st: &mut State, on: bool) -> bool {
        self.trapping.store(on, Ordering::Relaxed);
        std::mem::replace(&mut st.trap_exit, on)
    }

    /// Whether the process is alive once the signals already sent to it are handled
    /// (docs/semantics.md §1.1 S7: `exit(P, kill), false = is_process_alive(P)`).
    pub fn alive_after_pending(&self) -> bool {
        let inbox = lock(&self.inbox);
        if inbox.closed {
            return false;
        }
        let trapping = self.trapping.load(Ordering::Relaxed);
        !inbox.queue.iter().any(|s| match s {
            Signal::Exit {
                reason: ExitReason::Kill,
                link: false,
                ..
            } => true,
            Signal::Exit { reason, .. } => !trapping && !reason.is_normal(),
            _ => false,
        })
    }

    /// Moves every pending signal out of the inbox and acts on it, in order.
    pub fn drain(&self, st: &mut State) {
        let mut batch = std::mem::take(&mut st.spare);
        {
            let mut inbox = lock(&self.inbox);
            if inbox.queue.is_empty() {
                st.spare = batch;
                return;
            }
            std::mem::swap(&mut inbox.queue, &mut batch);
        }
        while let Some(signal) = batch.pop_front() {
            self.handle(st, signal);
        }
        st.spare = batch;
    }

    fn handle(&self, st: &mut State, signal: Signal) {
        match signal {
            Signal::Message(m) => {
                if st.pending_exit.is_none() {
                    st.received += 1;
                    st.mailbox.push_back(m);
                }
            }
            Signal::AliasMessage { alias, message } => {
                let Some(rel) = st.rel.as_mut() else { return };
                let (active, monitor) = rel.through_alias(&alias);
                if let Some(m) = monitor {
                    super::route::demonitor(self.pid, &m, alias);
                }
                if active && st.pending_exit.is_none() {
                    st.received += 1;
                    st.mailbox.push_back(message);
                }
            }
            Signal::Exit { from, reason, link } => {
                if st.pending_exit.is_some() {
                    return; // the first fatal reason wins
                }
                let linked = link && st.is_linked(&from);
                if link && linked {
                    st.rel().links.remove(&from);
                }
                match exit_action(self.pid, from, &reason, link, linked, st.trap_exit) {
                    ExitAction::Ignore => {}
                    ExitAction::Trap => {
                        st.received += 1;
                        st.mailbox.push_back(Message::new(Exit { from, reason }));
                    }
                    ExitAction::Die(r) => {
                        st.pending_exit = Some(Box::new(r));
                        self.dying.store(true, Ordering::Relaxed);
                    }
                }
            }
            Signal::Link { from } => {
                st.rel().links.insert(from);
            }
            Signal::Unlink { from } => {
                if let Some(rel) = st.rel.as_mut() {
                    rel.links.remove(&from);
                }
            }
            Signal::Monitor {
                from,
                reference,
                object,
            } => {
                st.rel().monitored_by.insert(reference, (from, object));
            }
            Signal::Demonitor { reference } => {
                if let Some(rel) = st.rel.as_mut() {
                    rel.monitored_by.remove(&reference);
                }
            }
            Signal::Down {
                reference,
                object,
                reason,
            } => {
                let Some(rel) = st.rel.as_mut() else { return };
                if rel.take_monitor(&reference).is_none() {
                    return; // demonitored meanwhile
                }
                if st.pending_exit.is_none() {
                    st.received += 1;
                    st.mailbox.push_back(Message::new(Down {
                        reference,
                        object,
                        reason,
                    }));
                }
            }
        }
    }

    /// Whether the process has started exiting.
    pub fn is_closed(&self) -> bool {
        lock(&self.inbox).closed
    }

    /// Closes the inbox for good and returns what was still in it.
    pub fn close(&self) -> VecDeque<Signal> {
        let mut inbox = lock(&self.inbox);
        inbox.closed = true;
        inbox.waker = None;
        std::mem::take(&mut inbox.queue)
    }
}
