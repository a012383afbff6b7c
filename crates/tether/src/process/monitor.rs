//! Monitors (docs/semantics.md §1.5).

use tether_term::{Atom, Node, Pid, Reference};

use super::alias::AliasSender;
use super::core::{AliasMode, Held, MonitorOut};
use super::signal::{MonitorSignal, Signal};
use super::table;
use super::{Message, Monitored, alias, current, name, route};

/// What [`monitor`] can watch: a pid, a local registered name, or `{name, node}`.
#[derive(Clone, Debug, PartialEq)]
pub enum MonitorTarget {
    /// A process.
    Pid(Pid),
    /// A name registered on this node, resolved once, now (M5).
    Name(Atom),
    /// A name on some node.
    Remote(Atom, Node),
}

impl From<Pid> for MonitorTarget {
    fn from(p: Pid) -> Self {
        MonitorTarget::Pid(super::route::foreign(p))
    }
}

impl From<&str> for MonitorTarget {
    fn from(n: &str) -> Self {
        MonitorTarget::Name(Atom::new(n))
    }
}

impl From<Atom> for MonitorTarget {
    fn from(n: Atom) -> Self {
        MonitorTarget::Name(n)
    }
}

impl From<(Atom, Node)> for MonitorTarget {
    fn from((n, node): (Atom, Node)) -> Self {
        if node.is_local() {
            MonitorTarget::Name(n)
        } else {
            MonitorTarget::Remote(n, node)
        }
    }
}

/// Starts monitoring `target` and returns the monitor's reference (Erlang's
/// `monitor(process, Target)`).
///
/// When the target ends (or if it does not exist) a [`Down`](crate::Down) message with
/// this reference arrives. Monitors stack: each call is its own monitor.
///
/// ```
/// use tether::{Down, ExitReason, Monitored, Runtime};
/// Runtime::new().unwrap().block_on(async {
///     let r = tether::monitor("nobody_has_this_name");
///     let down: Down = tether::receive().await;
///     assert_eq!(down.reference, r);
///     assert_eq!(down.reason, ExitReason::Noproc);
///     assert!(matches!(down.object, Monitored::Name(..)));
/// });
/// ```
pub fn monitor(target: impl Into<MonitorTarget>) -> Reference {
    monitor_inner(target.into(), None)
}

/// Like [`monitor`], and the reference is also an alias of the caller with the given
/// mode (`{alias, Mode}`; gen_server calls use [`AliasMode::ReplyDemonitor`]).
///
/// ```
/// # use std::time::Duration;
/// # tether::Runtime::new().unwrap().block_on(async {
/// use tether::AliasMode;
/// let me = tether::self_pid();
/// let server = tether::spawn(async {
///     let (reply_to, n): (tether::Reference, u32) = tether::receive().await;
///     tether::send(reply_to, n + 1).unwrap();
/// });
/// // One reference: the monitor of the server and the alias its reply comes to.
/// let r = tether::monitor_alias(server, AliasMode::ReplyDemonitor);
/// tether::send(server, (r, 41u32)).unwrap();
/// assert_eq!(tether::receive::<u32>().await, 42);
/// # let _ = me;
/// # });
/// ```
pub fn monitor_alias(target: impl Into<MonitorTarget>, mode: AliasMode) -> Reference {
    monitor_inner(target.into(), Some(mode))
}

fn monitor_inner(target: MonitorTarget, mode: Option<AliasMode>) -> Reference {
    current::with(|p| {
        let me = p.pid;
        let reference = match mode {
            Some(_) => alias::alias_ref(me),
            None => alias::make_ref(),
        };
        let mut out = match target {
            MonitorTarget::Pid(pid) => MonitorOut {
                target: Some(pid),
                object: Monitored::Pid(pid),
                process: None,
            },
            MonitorTarget::Name(n) => MonitorOut {
                target: name::whereis(n.as_str()),
                object: Monitored::Name(n, Node::local()),
                process: None,
            },
            MonitorTarget::Remote(n, node) => MonitorOut {
                target: None,
                object: Monitored::Name(n, node),
                process: None,
            },
        };
        let mut st = p.state();
        if out.target == Some(me) {
            // Monitoring oneself is allowed and never fires (M7).
            if mode.is_some() {
                st.rel().refs.insert(
                    reference,
                    Held {
                        monitor: None,
                        alias: mode,
                    },
                );
            }
            return reference;
        }
        route::monitor(me, &mut out, reference);
        let held = Held {
            monitor: Some(out),
            alias: mode,
        };
        st.rel().refs.insert(reference, held);
        reference
    })
}

/// `monitor(process, To, [{alias, Mode}])` then `To ! build(alias)`, for a local
/// pid, as one step: the first half of a local call (`otp::request`).
///
/// The same as [`monitor_alias`] followed by a send, only cheaper: `to` is looked up
/// once, the monitor and the message go into its inbox under one lock (in that order,
/// as two signals from one sender), the caller's own record comes from the current
/// process (so `build` gets an [`AliasSender`] the reply can go through without a
/// lookup), and the caller's state is locked once. Returns the reference and the
/// mailbox mark (see `mailbox_mark`). If `to` is not alive nothing is sent or kept
/// ([`NotSent::NoProc`], where the slow path would deliver a `noproc` DOWN); nor if
/// `build` has no message.
pub(crate) fn monitor_alias_send(
    to: Pid,
    mode: AliasMode,
    build: impl FnOnce(AliasSender) -> Option<Message>,
) -> Result<(Reference, usize), NotSent> {
    debug_assert!(to.node.is_local());
    current::with_arc(|me| {
        let target = table::get(to).ok_or(NotSent::NoProc)?;
        let reference = alias::alias_ref(me.pid);
        let msg = build(AliasSender::new(reference, me.clone())).ok_or(NotSent::NoMessage)?;
        let mut st = me.state();
        // The mark: the reply, carrying a fresh reference, can only come after it.
        // Signals still in the inbox land after it too, so no drain is needed.
        let mark = st.mailbox.len();
        let monitor = Signal::Monitor(Box::new(MonitorSignal {
            from: me.pid,
            reference,
            object: Monitored::Pid(to),
        }));
        if target.push_all([monitor, Signal::Message(msg)]).is_err() {
            return Err(NotSent::NoProc);
        }
        let out = MonitorOut {
            target: Some(to),
            object: Monitored::Pid(to),
            process: Some(target),
        };
        let held = Held {
            monitor: Some(out),
            alias: Some(mode),
        };
        st.rel().refs.insert(reference, held);
        Ok((reference, mark))
    })
}

/// Why [`monitor_alias_send`] sent nothing.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum NotSent {
    /// The target is not alive.
    NoProc,
    /// The builder gave no message.
    NoMessage,
}

/// Removes a monitor (Erlang's `demonitor/1`); always `true`.
///
/// After it returns no DOWN for `reference` will be newly queued, though one may
/// already be in the mailbox (use [`demonitor_flush`] to drop it).
///
/// ```
/// # use std::time::Duration;
/// # tether::Runtime::new().unwrap().block_on(async {
/// let p = tether::spawn(std::future::pending());
/// let r = tether::monitor(p);
/// assert!(tether::demonitor(r)); // true, as Erlang's demonitor/1
/// tether::exit(p, tether::ExitReason::Kill);
/// // No DOWN comes for a removed monitor.
/// assert_eq!(tether::receive_timeout::<tether::Down>(Duration::from_millis(20)).await, None);
/// # });
/// ```
pub fn demonitor(reference: Reference) -> bool {
    demonitor_info(reference, false);
    true
}

/// `demonitor(Ref, [flush])`: removes the monitor and any DOWN for it already queued.
///
/// ```
/// # use std::time::Duration;
/// # tether::Runtime::new().unwrap().block_on(async {
/// use tether::{Down, ExitReason};
/// let p = tether::spawn(std::future::pending());
/// let r = tether::monitor(p);
/// tether::exit(p, ExitReason::Kill);
/// tether::sleep(Duration::from_millis(20)).await; // the DOWN is in the mailbox now
/// tether::demonitor_flush(r);
/// assert_eq!(tether::receive_timeout::<Down>(Duration::from_millis(10)).await, None);
/// # });
/// ```
pub fn demonitor_flush(reference: Reference) -> bool {
    demonitor_info(reference, true);
    true
}

/// `demonitor(Ref, [info])` / `[flush, info]`: returns `true` if the monitor was
/// found and removed (so no DOWN was or will be delivered), `false` if not (its DOWN
/// is already queued or was received).
///
/// ```
/// use tether::Runtime;
/// Runtime::new().unwrap().block_on(async {
///     let (pid, r) = tether::spawn_monitor(std::future::pending::<()>());
///     assert!(tether::demonitor_info(r, false));
///     tether::exit(pid, tether::ExitReason::Kill);
///     assert!(!tether::demonitor_info(r, false));
/// });
/// ```
pub fn demonitor_info(reference: Reference, flush: bool) -> bool {
    current::with(|p| {
        let mut st = p.state();
        p.drain(&mut st);
        let Some(rel) = st.rel.as_mut() else {
            return false;
        };
        let found = match rel.take_monitor(&reference) {
            Some(out) => {
                route::demonitor(p.pid, &out, reference);
                true
            }
            None => false,
        };
        if flush {
            let pos = st.mailbox.iter().position(|m| {
                m.downcast_ref::<super::Down>()
                    .is_some_and(|d| d.reference == reference)
            });
            if let Some(i) = pos {
                st.mailbox.remove(i);
            }
        }
        found
    })
}
