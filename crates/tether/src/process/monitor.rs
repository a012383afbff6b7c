//! Monitors (SEMANTICS §1.5).

use tether_term::{Atom, Node, Pid, Reference};

use super::core::{AliasMode, MonitorOut};
use super::{Monitored, alias, current, name, route};

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
        MonitorTarget::Pid(p)
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
        let out = match target {
            MonitorTarget::Pid(pid) => MonitorOut {
                target: Some(pid),
                object: Monitored::Pid(pid),
            },
            MonitorTarget::Name(n) => MonitorOut {
                target: name::whereis(n.as_str()),
                object: Monitored::Name(n, Node::local()),
            },
            MonitorTarget::Remote(n, node) => MonitorOut {
                target: None,
                object: Monitored::Name(n, node),
            },
        };
        let mut st = p.state();
        if let Some(m) = mode {
            st.rel().aliases.insert(reference, m);
        }
        if out.target == Some(me) {
            // Monitoring oneself is allowed and never fires (M7).
            return reference;
        }
        route::monitor(me, &out, reference);
        st.rel().monitors.insert(reference, out);
        reference
    })
}

/// Removes a monitor (Erlang's `demonitor/1`); always `true`.
///
/// After it returns no DOWN for `reference` will be newly queued, though one may
/// already be in the mailbox (use [`demonitor_flush`] to drop it).
pub fn demonitor(reference: Reference) -> bool {
    demonitor_info(reference, false);
    true
}

/// `demonitor(Ref, [flush])`: removes the monitor and any DOWN for it already queued.
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
        if let Some(AliasMode::Demonitor | AliasMode::ReplyDemonitor) = rel.aliases.get(&reference)
        {
            rel.aliases.remove(&reference);
        }
        let found = match rel.monitors.remove(&reference) {
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
