//! The synchronous start protocol behaviours share (proc_lib's `start_link`/`init_ack`).
//!
//! The starter spawns the new process linked (and trapping exits, as supervisors
//! do), monitors it, and waits for one of:
//!
//! * an [`Ack`] — the process finished initialising (`{ok, Pid}`) or reports why it
//!   could not (`{error, E}`; it then exits);
//! * its DOWN — it died before acknowledging (a crash in init).
//!
//! Name registration happens in the new process *before* its init runs, and a taken
//! name makes it exit `normal` with [`Started::Name`] (docs/semantics.md §4.1 G2).

use std::future::Future;

use tether_term::{Pid, Reference};

use super::server_ref::{NameError, StartName};
use crate::{Down, ExitReason, Message, SpawnOpts};

struct AckMsg<E> {
    tag: Reference,
    result: Result<(), E>,
}

/// The new process's side of the start protocol.
pub(crate) struct Ack<E> {
    to: Pid,
    tag: Reference,
    name: Option<StartName>,
    _e: std::marker::PhantomData<fn(E)>,
}

impl<E: Send + 'static> Ack<E> {
    /// Initialisation succeeded.
    pub(crate) fn ok(self) {
        let _ = crate::send(
            self.to,
            AckMsg::<E> {
                tag: self.tag,
                result: Ok(()),
            },
        );
    }

    /// Initialisation failed: releases the name, then tells the starter. The caller
    /// exits next.
    pub(crate) fn fail(self, e: E) {
        if let Some(n) = &self.name {
            n.unregister();
        }
        let _ = crate::send(
            self.to,
            AckMsg {
                tag: self.tag,
                result: Err(e),
            },
        );
    }
}

/// How a start ended.
pub(crate) enum Started<E> {
    Ok(Pid),
    Failed(E),
    /// The name could not be taken (`{already_started, Pid}` when someone holds it).
    Name(NameError),
    Died(ExitReason),
}

/// Spawns `body` linked to the caller, trapping exits, and waits for its [`Ack`].
pub(crate) async fn start_link<E, F, Fut>(name: Option<StartName>, body: F) -> Started<E>
where
    E: Send + 'static,
    F: FnOnce(Ack<E>) -> Fut + Send + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    let me = crate::self_pid();
    let tag = crate::make_ref();
    let taken = move |e: NameError| AckMsg::<Result<E, NameError>> {
        tag,
        result: Err(Err(e)),
    };
    let ack = Ack::<E> {
        to: me,
        tag,
        name: name.clone(),
        _e: std::marker::PhantomData,
    };
    let spawned = SpawnOpts::new()
        .link()
        .monitor()
        .trap_exit()
        .spawn(async move {
            if let Some(n) = &name
                && let Err(e) = n.register(crate::self_pid()).await
            {
                let _ = crate::send(me, taken(e));
                return;
            }
            body(ack).await
        });
    let mref = spawned.monitor.expect("asked for a monitor");
    let ours = move |m: &Message| {
        m.downcast_ref::<AckMsg<E>>().is_some_and(|a| a.tag == tag)
            || m.downcast_ref::<AckMsg<Result<E, NameError>>>()
                .is_some_and(|a| a.tag == tag)
            || m.downcast_ref::<Down>()
                .is_some_and(|d| d.reference == mref)
    };
    let m = crate::receive_select(ours).await;
    let m = match m.downcast::<AckMsg<E>>() {
        Ok(a) => {
            return match a.result {
                Ok(()) => {
                    crate::demonitor_flush(mref);
                    Started::Ok(spawned.pid)
                }
                Err(e) => {
                    reap(spawned.pid, mref).await;
                    Started::Failed(e)
                }
            };
        }
        Err(m) => m,
    };
    match m.downcast::<AckMsg<Result<E, NameError>>>() {
        Ok(a) => {
            reap(spawned.pid, mref).await;
            match a.result {
                Err(Err(e)) => Started::Name(e),
                _ => unreachable!("only a name clash is sent this way"),
            }
        }
        Err(m) => Started::Died(
            m.downcast::<Down>()
                .unwrap_or_else(|_| unreachable!())
                .reason,
        ),
    }
}

/// Waits for a process that failed to start to be gone, and drops its `'EXIT'`
/// (proc_lib does the same, so a trapping starter sees only the error).
async fn reap(pid: Pid, mref: Reference) {
    let _ = crate::receive_select(move |m: &Message| {
        m.downcast_ref::<Down>()
            .is_some_and(|d| d.reference == mref)
    })
    .await;
    crate::unlink(pid);
    let from = move |m: &Message| {
        m.downcast_ref::<crate::Exit>()
            .is_some_and(|e| e.from == pid)
    };
    let _ = crate::receive_select_timeout(std::time::Duration::ZERO, from).await;
}
