//! The shared half of a process: its inbox and its state.
//!
//! ```text
//!   senders ──push──▶ inbox: Queue<Signal>  (lock-free; the parked flag; closed)
//!                          │ drain (owner only, in order)
//!                          ▼
//!                     state: Mutex<State>  (mailbox of unmatched messages, trap_exit,
//!                                           links, monitors, aliases, name, ...)
//! ```
//!
//! * **Push** (any thread): one compare-and-swap links the signal into the inbox (see
//!   `inbox.rs`); the first push after the process parked wakes it, and no other does.
//!   A closed inbox (the process is exiting or gone) hands the signal back so the
//!   sender can answer for the dead process (`noproc` for a link, a `noproc` DOWN for a
//!   monitor; a message is just dropped). No lock, global or per process, is taken.
//! * **Drain** (the owning task only): take the inbox's signals in order and act on
//!   each while holding the state lock. Control signals (link, exit, monitor, ...) take
//!   effect; messages move to the mailbox, where selective receive scans them: the
//!   mailbox is the *save queue*, private to the process.
//! * **Park**: when the process has nothing to do it leaves its waker and sets the
//!   inbox's parked flag in one swap that fails if anything arrived, so no push is
//!   ever missed.
//!
//! Beside the queue, a few counters let other threads ask about it without taking
//! anything out: how many messages were pushed and drained (the queue length that
//! `process_info` reports and that the send penalty reads, see `route.rs`), and how many
//! exit signals are pending (for `is_alive`, docs/semantics.md §1.1 S7).
//!
//! The state lock is uncontended in practice: only the owner takes it, except for
//! introspection (`process_info`). It lets the observer read a process without
//! stopping it. A process only ever holds its *own* state lock while pushing to
//! another's inbox, and pushing takes no lock, so no cycle can form.

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU8, AtomicU32, AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard};
use std::task::Waker;

use tether_term::{Atom, Pid, Reference};

use super::inbox::{Pushed, Queue};
use super::signal::{DownSignal, ExitAction, MonitorSignal, Signal, exit_action};
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

/// Hashes small keys cheaply: a [`Reference`], for the per-process monitor and alias
/// maps, and the atoms of the registered-name map (looked up for every send by name,
/// including each `REG_SEND` from a peer).
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
    /// What the process runs, when its starter said (the OTP behaviours do); see
    /// `info::set_initial_call`. Kept here, not in the record, so that a plain
    /// process pays nothing for it.
    pub initial_call: Option<super::info::InitialCall>,
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
    pub trap_exit: bool,
    pub rel: Option<Box<Relations>>,
    /// Set when a fatal signal was handled; the process ends at its next await.
    /// Boxed: it is rare, and idle processes should stay small.
    pub pending_exit: Option<Box<ExitReason>>,
    pub received: u64,
    /// A timer kept for the next receive with a timeout (see `mailbox.rs`).
    pub spare_timer: Option<Box<super::mailbox::SpareTimer>>,
    /// Messages drained so far (wrapping; see `ProcessShared::drained`).
    drained: u32,
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
        self.spare_timer = None;
    }

    fn is_linked(&self, pid: &Pid) -> bool {
        self.rel.as_ref().is_some_and(|r| r.links.contains(pid))
    }
}

pub(crate) struct ProcessShared {
    pub pid: Pid,
    inbox: Queue<Signal>,
    state: Mutex<State>,
    status: AtomicU8,
    /// Mirror of `state.trap_exit`, readable without the state lock (for `is_alive`).
    trapping: AtomicBool,
    /// Set whenever `state.pending_exit` is set, so the task can check it cheaply.
    dying: AtomicBool,
    pub dirty: bool,
    /// Messages pushed so far (wrapping), counted by their senders.
    sent: AtomicU32,
    /// Messages drained so far (wrapping), published by the receiver after each drain.
    drained: AtomicU32,
    /// The mailbox's length at the last drain, published by the receiver.
    backlog: AtomicU32,
    /// Exit signals pushed and not yet handled: untrappable kills in the low half,
    /// other non-normal exits in the high half (for `alive_after_pending`).
    exits: AtomicU64,
}

/// Untrappable kills, in [`ProcessShared::exits`].
const KILL: u64 = 1;
/// Other non-normal exit signals, in [`ProcessShared::exits`].
const FATAL: u64 = 1 << 32;

/// How a signal counts in the process's counters: (is a message, exit weight).
fn weigh(signal: &Signal) -> (u32, u64) {
    match signal {
        Signal::Message(_) | Signal::AliasMessage { .. } => (1, 0),
        Signal::Exit {
            reason: ExitReason::Kill,
            link: false,
            ..
        } => (0, KILL),
        Signal::Exit { reason, .. } if !reason.is_normal() => (0, FATAL),
        _ => (0, 0),
    }
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
            inbox: Queue::new(),
            state: Mutex::new(State {
                mailbox: VecDeque::new(),
                trap_exit,
                rel: None,
                pending_exit: None,
                received: 0,
                spare_timer: None,
                drained: 0,
            }),
            status: AtomicU8::new(Status::Runnable as u8),
            trapping: AtomicBool::new(trap_exit),
            dying: AtomicBool::new(false),
            dirty,
            sent: AtomicU32::new(0),
            drained: AtomicU32::new(0),
            backlog: AtomicU32::new(0),
            exits: AtomicU64::new(0),
        }
    }

    pub fn state(&self) -> MutexGuard<'_, State> {
        lock(&self.state)
    }

    /// Counts signals about to be pushed; returns the number of messages.
    fn count(&self, messages: u32, exits: u64) {
        if messages != 0 {
            self.sent.fetch_add(messages, Ordering::Relaxed);
        }
        if exits != 0 {
            self.exits.fetch_add(exits, Ordering::Release);
        }
    }

    fn pushed(&self, r: Pushed) {
        if r == Pushed::Woke {
            self.status.store(Status::Runnable as u8, Ordering::Relaxed);
        }
    }

    /// Appends a signal; hands it back if the process has exited.
    pub fn push(&self, signal: Signal) -> Result<(), Signal> {
        let (m, e) = weigh(&signal);
        self.count(m, e);
        let r = self.inbox.push(signal, true)?;
        self.pushed(r);
        Ok(())
    }

    /// Appends a message; returns the receiver's queue length as the sender saw it
    /// (the message included), or hands the signal back if the process has exited.
    pub fn push_message(&self, signal: Signal) -> Result<u32, Signal> {
        debug_assert!(matches!(signal, Signal::Message(_)));
        let sent = self.sent.fetch_add(1, Ordering::Relaxed).wrapping_add(1);
        let r = self.inbox.push(signal, true)?;
        self.pushed(r);
        let undrained = sent.wrapping_sub(self.drained.load(Ordering::Relaxed));
        // The counters are read apart, so a sender can see a stale `drained`
        // ahead of `sent` (a huge difference): clamp it.
        let undrained = if undrained > u32::MAX / 2 {
            0
        } else {
            undrained
        };
        Ok(undrained.saturating_add(self.backlog.load(Ordering::Relaxed)))
    }

    /// Appends signals in order as one unit, waking the process once; hands them all
    /// back if the process has exited.
    pub fn push_all<const N: usize>(&self, signals: [Signal; N]) -> Result<(), [Signal; N]> {
        let (m, e) = signals
            .iter()
            .map(weigh)
            .fold((0, 0), |a, b| (a.0 + b.0, a.1 + b.1));
        self.count(m, e);
        let r = self.inbox.push_all(signals, true)?;
        self.pushed(r);
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
        debug_assert_eq!(weigh(&signal), (0, 0));
        self.inbox.push(signal, false).map(|_| ())
    }

    /// Parks the process: stores its waker unless signals are already waiting.
    /// Returns `false` if there is work to do instead. The process task only.
    pub fn park(&self, waker: &Waker) -> bool {
        // SAFETY: the receiver's side of the inbox (`park`, `drain`, `close`) is used
        // only by the process's own task: during its poll (directly, or by user code
        // that finds this process through `current`, which is set only during that
        // poll, on the polling thread) or in its exit sequence after the last poll.
        // tokio polls a task on one thread at a time, so these calls never overlap.
        if unsafe { self.inbox.park(waker) } {
            self.status.store(Status::Waiting as u8, Ordering::Relaxed);
            true
        } else {
            false
        }
    }

    /// The start of a poll: senders need not wake a running process.
    pub fn unpark(&self) {
        self.inbox.unpark();
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

    /// Number of messages not yet drained (exact when no send is in progress).
    pub fn inbox_len(&self) -> usize {
        let n = self
            .sent
            .load(Ordering::Relaxed)
            .wrapping_sub(self.drained.load(Ordering::Relaxed));
        if n > u32::MAX / 2 { 0 } else { n as usize }
    }

    /// Whether the process traps exits (the lock-free mirror of `State::trap_exit`).
    pub fn traps_exits(&self) -> bool {
        self.trapping.load(Ordering::Relaxed)
    }

    pub fn set_trap_exit(&self, st: &mut State, on: bool) -> bool {
        self.trapping.store(on, Ordering::Relaxed);
        std::mem::replace(&mut st.trap_exit, on)
    }

    /// Whether the process is alive once the signals already sent to it are handled
    /// (docs/semantics.md §1.1 S7: `exit(P, kill), false = is_process_alive(P)`).
    ///
    /// A sender counts an exit signal in `exits` before pushing it, and the receiver
    /// uncounts it after acting on it (after setting `dying` if it was fatal), so a
    /// caller that sent one sees either the count or its effect.
    pub fn alive_after_pending(&self) -> bool {
        if self.inbox.is_closed() {
            return false;
        }
        let exits = self.exits.load(Ordering::Acquire);
        if self.dying.load(Ordering::Relaxed) || exits % FATAL != 0 {
            return false;
        }
        exits < FATAL || self.trapping.load(Ordering::Relaxed)
    }

    /// Moves every pending signal out of the inbox and acts on it, in order.
    pub fn drain(&self, st: &mut State) {
        let before = st.drained;
        // SAFETY: see `park`; moreover every drain holds the state lock (`st`).
        unsafe {
            self.inbox.drain(|signal| {
                let (m, e) = weigh(&signal);
                st.drained = st.drained.wrapping_add(m);
                self.handle(st, signal);
                if e != 0 {
                    // Release: after `dying`, for `alive_after_pending`.
                    self.exits.fetch_sub(e, Ordering::Release);
                }
            })
        };
        if st.drained != before {
            self.drained.store(st.drained, Ordering::Relaxed);
            let backlog = u32::try_from(st.mailbox.len()).unwrap_or(u32::MAX);
            self.backlog.store(backlog, Ordering::Relaxed);
        }
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
            Signal::Monitor(signal) => {
                let MonitorSignal {
                    from,
                    reference,
                    object,
                } = *signal;
                st.rel().monitored_by.insert(reference, (from, object));
            }
            Signal::Demonitor { reference } => {
                if let Some(rel) = st.rel.as_mut() {
                    rel.monitored_by.remove(&reference);
                }
            }
            Signal::Down(signal) => {
                let DownSignal {
                    reference,
                    object,
                    reason,
                } = *signal;
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
        self.inbox.is_closed()
    }

    /// Closes the inbox for good and returns what was still in it. The process task
    /// only, in its exit sequence.
    pub fn close(&self) -> Vec<Signal> {
        let mut left = Vec::new();
        // SAFETY: see `park`: this is the exit sequence, after the task's last poll.
        unsafe { self.inbox.close(|s| left.push(s)) };
        left
    }
}
