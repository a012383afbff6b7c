//! How behaviours take their names when they start: [`StartName`].
//!
//! Servers are *addressed* by a [`Dest`](crate::Dest) (a pid, a local name,
//! `{Name, Node}`, or a [`Via`] name: docs/semantics.md §3.2). A behaviour started under a
//! name — a `GenServer` ([`StartOpts::via`](crate::otp::gen_server::StartOpts::via)), a
//! [`Supervisor`](crate::otp::supervisor::Supervisor::via) or a
//! [`DynamicSupervisor`](crate::otp::dynamic_supervisor::DynamicSupervisor::via) —
//! registers it the same way ([`StartName`]): from inside the new process, before its
//! init runs, through [`Via::register_name_async`] (so a registry that needs a cluster
//! round trip, like `global`, does not block a thread), and releases it if init fails.

use std::sync::Arc;

use tether_term::{Atom, Pid};

use crate::{ExitReason, Via};

/// The name a behaviour registers under when it starts (Erlang's `ServerName`).
#[derive(Clone, Debug)]
pub(crate) enum StartName {
    Local(Atom),
    Via(Arc<dyn Via>),
}

/// Why a starting process could not take its name.
#[derive(Clone, Debug)]
pub(crate) enum NameError {
    /// The name is held by this live process (`{already_started, Pid}`).
    Taken(Pid),
    /// The registry refused the name without saying who holds it (a `global` race).
    Refused,
    /// Not a name that can be registered (a local-name error other than a clash).
    BadName(Atom),
}

impl NameError {
    /// The exit reason for failures that are not `already_started`.
    pub(crate) fn reason(&self) -> ExitReason {
        match self {
            NameError::Taken(_) | NameError::Refused => ExitReason::from("already_registered"),
            NameError::BadName(_) => ExitReason::from("badarg"),
        }
    }
}

impl StartName {
    /// A via name.
    pub(crate) fn via(v: impl Via) -> StartName {
        StartName::Via(Arc::new(v))
    }

    /// The live holder of the name, if any.
    pub(crate) fn whereis(&self) -> Option<Pid> {
        match self {
            StartName::Local(n) => crate::whereis(n.as_str()),
            StartName::Via(v) => v.whereis_name(),
        }
    }

    /// Registers `pid` (the calling, starting process) under the name.
    pub(crate) async fn register(&self, pid: Pid) -> Result<(), NameError> {
        match self {
            StartName::Local(n) => match crate::register(n.clone(), pid) {
                Ok(()) => Ok(()),
                Err(crate::RegisterError::NameTaken(_, holder)) => Err(NameError::Taken(holder)),
                Err(_) => Err(NameError::BadName(n.clone())),
            },
            StartName::Via(v) => match v.register_name_async(pid).await {
                true => Ok(()),
                false => Err(v
                    .whereis_name()
                    .map_or(NameError::Refused, NameError::Taken)),
            },
        }
    }

    /// Releases the name after a failed start.
    pub(crate) fn unregister(&self) {
        match self {
            StartName::Local(n) => {
                let _ = crate::unregister(n.clone());
            }
            StartName::Via(v) => v.unregister_name(),
        }
    }
}
