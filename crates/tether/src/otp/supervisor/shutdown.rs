//! The shutdown protocol for one child, and for many at once (docs/semantics.md §5.6 O4, §5.10 DS6).
//!
//! For each child:
//!
//! 1. **monitor** it, then **unlink** it: from here on only the DOWN tells us how it
//!    ended, so a child that unlinked itself cannot hang the supervisor (O5);
//! 2. if an `'EXIT'` from it is already queued, it died on its own: take that, wait
//!    for its DOWN and report its reason;
//! 3. otherwise send `kill` (`BrutalKill`) or `shutdown`, and wait for the DOWN —
//!    for a `Timeout(t)` at most `t`, then `kill` and wait again;
//! 4. check the reason: `shutdown` (or `killed` for brutal kill; `normal` and
//!    `{shutdown, _}` too for non-permanent children) is expected, anything else is
//!    reported as a `shutdown_error` — and the shutdown proceeds regardless.
//!
//! [`shutdown_many`] does the same for a set of children concurrently: all signals
//! are sent first, then DOWNs are collected with a timer per child (DynamicSupervisor).

use std::collections::HashMap;
use std::time::Duration;

use tokio::time::Instant;

use tether_term::{Pid, Reference};

use super::{Restart, Shutdown};
use crate::{Down, Exit, ExitReason, Message};

/// One child to stop.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Stopping {
    pub pid: Pid,
    pub shutdown: Shutdown,
    pub restart: Restart,
}

fn expected(s: &Stopping, reason: &ExitReason, killed_after_timeout: bool) -> bool {
    if killed_after_timeout {
        return false;
    }
    match (s.shutdown, reason) {
        (Shutdown::BrutalKill, ExitReason::Killed) => true,
        (Shutdown::Timeout(_) | Shutdown::Infinity, ExitReason::Shutdown) => true,
        (_, r) => s.restart != Restart::Permanent && r.is_clean(),
    }
}

fn report(s: &Stopping, reason: &ExitReason, killed_after_timeout: bool) {
    if !expected(s, reason, killed_after_timeout) {
        crate::runtime::logger::report_error!(child = %s.pid, reason = %reason, "supervisor report: shutdown_error");
    }
}

pub(crate) async fn down_of(mref: Reference, timeout: Option<Duration>) -> Option<ExitReason> {
    let is_down = move |m: &Message| {
        m.downcast_ref::<Down>()
            .is_some_and(|d| d.reference == mref)
    };
    let m = match timeout {
        None => Some(crate::receive_select(is_down).await),
        Some(t) => crate::receive_select_timeout(t, is_down).await,
    }?;
    Some(
        m.downcast::<Down>()
            .unwrap_or_else(|_| unreachable!())
            .reason,
    )
}

/// Steps 1–2: monitor and unlink; `Err(reason)` if the child already died.
async fn begin(pid: Pid) -> Result<Reference, ExitReason> {
    let mref = crate::monitor(pid);
    crate::unlink(pid);
    let from_child = move |m: &Message| m.downcast_ref::<Exit>().is_some_and(|e| e.from == pid);
    if let Some(m) = crate::receive_select_timeout(Duration::ZERO, from_child).await {
        let exit = m.downcast::<Exit>().unwrap_or_else(|_| unreachable!());
        // Wait for the DOWN so no stray message is left behind.
        let _ = down_of(mref, None).await;
        return Err(exit.reason);
    }
    Ok(mref)
}

fn signal(s: &Stopping) {
    let reason = match s.shutdown {
        Shutdown::BrutalKill => ExitReason::Kill,
        _ => ExitReason::Shutdown,
    };
    crate::exit(s.pid, reason);
}

/// Stops one child with the shutdown protocol and returns how it ended.
pub(crate) async fn shutdown_one(s: Stopping) -> ExitReason {
    let mref = match begin(s.pid).await {
        Ok(m) => m,
        Err(reason) => {
            report(&s, &reason, false);
            return reason;
        }
    };
    signal(&s);
    let (reason, late) = match s.shutdown {
        Shutdown::Timeout(t) => match down_of(mref, Some(t)).await {
            Some(r) => (r, false),
            None => {
                crate::exit(s.pid, ExitReason::Kill);
                (
                    down_of(mref, None).await.unwrap_or(ExitReason::Killed),
                    true,
                )
            }
        },
        _ => (
            down_of(mref, None).await.unwrap_or(ExitReason::Killed),
            false,
        ),
    };
    report(&s, &reason, late);
    reason
}

/// Stops many children concurrently: all signals first, then the DOWNs, each child
/// with its own deadline.
pub(crate) async fn shutdown_many(children: Vec<Stopping>) {
    // monitor ref -> (child, deadline for the kill, killed already)
    let mut waiting: HashMap<Reference, (Stopping, Option<Instant>, bool)> =
        HashMap::with_capacity(children.len());
    for s in children {
        match begin(s.pid).await {
            Ok(mref) => {
                signal(&s);
                let deadline = match s.shutdown {
                    Shutdown::Timeout(t) => Some(Instant::now() + t),
                    _ => None,
                };
                waiting.insert(mref, (s, deadline, false));
            }
            Err(reason) => report(&s, &reason, false),
        }
    }
    while !waiting.is_empty() {
        let now = Instant::now();
        // Kill the children whose time is up.
        for (s, deadline, killed) in waiting.values_mut() {
            if !*killed && deadline.is_some_and(|d| d <= now) {
                crate::exit(s.pid, ExitReason::Kill);
                *killed = true;
            }
        }
        let next = waiting.values().filter(|w| !w.2).filter_map(|w| w.1).min();
        let ours = |m: &Message| {
            m.downcast_ref::<Down>()
                .is_some_and(|d| waiting.contains_key(&d.reference))
        };
        let got = match next {
            None => Some(crate::receive_select(ours).await),
            Some(d) => crate::receive_select_timeout(d.saturating_duration_since(now), ours).await,
        };
        if let Some(m) = got {
            let down = m.downcast::<Down>().unwrap_or_else(|_| unreachable!());
            if let Some((s, _, killed)) = waiting.remove(&down.reference) {
                report(&s, &down.reason, killed);
            }
        }
    }
}
