//! References and process aliases.
//!
//! [`make_ref`] returns a node-unique reference of three words, drawn from per-thread
//! blocks of a global counter so that making a reference touches no shared cache line
//! on the fast path.
//!
//! An *alias* (docs/semantics.md §1.7) is a reference that works as a send destination for the
//! process that made it. Its five words are the counter words, a marker, and the owner's
//! pid id and serial, so a send to an alias finds its owner directly, without any
//! global table; the owner then checks that the alias is still active (A1: a message
//! to an inactive alias is dropped *at the receiver*).
//!
//! An [`AliasSender`] is a send right to an alias that also carries its owner's
//! record, so a reply skips even the process-table lookup. It is what a local call
//! hands the server as its reply address.

use std::cell::Cell;
use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use tether_term::{Node, Pid, Reference};

use super::Message;
use super::core::{AliasMode, Held, ProcessShared};
use super::current;
use super::signal::Signal;

const BLOCK: u64 = 1 << 16;
const ALIAS_MARK: u32 = 0xA11A_5ED0;

fn next_counter() -> u64 {
    static GLOBAL: AtomicU64 = AtomicU64::new(1);
    thread_local! {
        static LOCAL: Cell<(u64, u64)> = const { Cell::new((0, 0)) };
    }
    LOCAL.with(|l| {
        let (mut next, mut end) = l.get();
        if next == end {
            next = GLOBAL.fetch_add(BLOCK, Ordering::Relaxed);
            end = next + BLOCK;
        }
        l.set((next + 1, end));
        next
    })
}

/// Makes a new reference, unique on this node (Erlang's `make_ref()`).
///
/// ```
/// let a = tether::make_ref();
/// let b = tether::make_ref();
/// assert_ne!(a, b);
/// ```
pub fn make_ref() -> Reference {
    let n = next_counter();
    Reference::new(
        Node::local(),
        0,
        &[n as u32 & 0x3_ffff, (n >> 18) as u32, (n >> 50) as u32],
    )
}

/// A reference that routes to `owner` (not yet active anywhere).
pub(crate) fn alias_ref(owner: Pid) -> Reference {
    let n = next_counter();
    Reference::new(
        Node::local(),
        0,
        &[
            n as u32 & 0x3_ffff,
            (n >> 18) as u32,
            ALIAS_MARK,
            owner.id,
            owner.serial,
        ],
    )
}

/// The process an alias reference routes to, if it is one of ours.
pub(crate) fn owner(r: &Reference) -> Option<Pid> {
    match r.words() {
        [_, _, ALIAS_MARK, id, serial] => Some(Pid::new(Node::local(), *id, *serial, 0)),
        _ => None,
    }
}

/// Creates an alias for the calling process (Erlang's `alias/1`).
///
/// Messages sent to the alias with [`send`](crate::send) arrive as if sent to the
/// pid, until it is deactivated as `mode` says (see [`AliasMode`]) or by [`unalias`].
///
/// ```
/// use tether::{AliasMode, Runtime};
/// Runtime::new().unwrap().block_on(async {
///     let a = tether::alias(AliasMode::Explicit);
///     tether::send(a, "via alias").unwrap();
///     assert_eq!(tether::receive::<&str>().await, "via alias");
///     assert!(tether::unalias(a));
///     tether::send(a, "dropped").unwrap();
///     assert_eq!(tether::receive_timeout::<&str>(std::time::Duration::from_millis(20)).await, None);
/// });
/// ```
pub fn alias(mode: AliasMode) -> Reference {
    current::with(|p| {
        let r = alias_ref(p.pid);
        let held = Held {
            monitor: None,
            alias: Some(mode),
        };
        p.state().rel().refs.insert(r, held);
        r
    })
}

/// Deactivates one of the calling process's aliases. Returns whether it was active.
/// An associated monitor stays.
///
/// ```
/// # use std::time::Duration;
/// # tether::Runtime::new().unwrap().block_on(async {
/// use tether::AliasMode;
/// let a = tether::alias(AliasMode::Explicit);
/// tether::send(a, 1u8).unwrap();
/// assert_eq!(tether::receive::<u8>().await, 1);
/// assert!(tether::unalias(a));
/// tether::send(a, 2u8).unwrap(); // dropped: the alias is off
/// assert_eq!(tether::receive_timeout::<u8>(Duration::from_millis(20)).await, None);
/// assert!(!tether::unalias(a));
/// # });
/// ```
pub fn unalias(alias: Reference) -> bool {
    current::with(|p| {
        let mut st = p.state();
        let Some(rel) = st.rel.as_mut() else {
            return false;
        };
        let Some(held) = rel.refs.get_mut(&alias) else {
            return false;
        };
        let active = held.alias.take().is_some();
        if held.monitor.is_none() {
            rel.refs.remove(&alias);
        }
        active
    })
}

/// A send right to an alias of a local process, holding the owner's record.
///
/// Sending through it is exactly `send(alias, msg)` (delivered only while the alias
/// is active, dropped if the owner has exited) without looking the owner up.
#[derive(Clone)]
pub(crate) struct AliasSender {
    alias: Reference,
    owner: Arc<ProcessShared>,
}

impl AliasSender {
    pub(crate) fn new(alias: Reference, owner: Arc<ProcessShared>) -> Self {
        AliasSender { alias, owner }
    }

    /// The alias.
    pub(crate) fn alias(&self) -> Reference {
        self.alias
    }

    /// The process the alias belongs to.
    pub(crate) fn owner(&self) -> Pid {
        self.owner.pid
    }

    /// Sends `msg` through the alias.
    pub(crate) fn send(&self, msg: Message) {
        let _ = self.owner.push(Signal::AliasMessage {
            alias: self.alias,
            message: msg,
        });
    }
}

impl fmt::Debug for AliasSender {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?} via {:?}", self.alias, self.owner.pid)
    }
}
