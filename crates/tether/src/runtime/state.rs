//! Everything a runtime holds: its node identity, process table, registered names,
//! timers, the distribution layer once the node is started, and the state of the
//! services above the process layer.
//!
//! The process layer's own state has fields here. Layers above it (distribution,
//! global, pg, Registry) keep theirs as *services*: values created on first use and
//! found by type, one per runtime ([`RuntimeState::service`]). So the process layer
//! knows nothing of them, and each layer's state still belongs to the runtime: a
//! second runtime in the same OS process starts with none of it.

use std::any::{Any, TypeId};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, RwLock};

use tether_term::{Atom, Node, NodeTableFull, Pid};

use crate::process::route::RemoteSignals;
use crate::process::table::Table;
use crate::process::timer::Timers;

/// One runtime's world (see the module docs).
pub(crate) struct RuntimeState {
    /// This runtime's node (a slot of its own in tether-term's node table).
    pub node: Node,
    /// The live processes.
    pub table: Table,
    /// Locally registered names.
    pub names: RwLock<HashMap<Atom, Pid, crate::process::RefHash>>,
    /// Pending `send_after` timers.
    pub timers: Timers,
    /// The distribution layer, while the node is distributed.
    pub remote: RwLock<Option<Arc<dyn RemoteSignals>>>,
    /// Activity counters (spawns, exits, messages, restarts).
    pub stats: super::stats::Stats,
    services: Mutex<HashMap<TypeId, Arc<dyn Any + Send + Sync>>>,
}

impl RuntimeState {
    pub fn new() -> Result<RuntimeState, NodeTableFull> {
        let node = Node::new_local()?;
        Ok(RuntimeState {
            node,
            table: Table::new(node),
            names: RwLock::default(),
            timers: Timers::default(),
            remote: RwLock::default(),
            stats: Default::default(),
            services: Mutex::default(),
        })
    }

    /// This runtime's instance of the service `T`, made with `T::default()` on first use.
    pub fn service<T: Default + Send + Sync + 'static>(&self) -> Arc<T> {
        let mut map = self.services.lock().unwrap_or_else(|e| e.into_inner());
        let any = map
            .entry(TypeId::of::<T>())
            .or_insert_with(|| Arc::new(T::default()));
        Arc::clone(any)
            .downcast::<T>()
            .unwrap_or_else(|_| unreachable!("services are keyed by their type"))
    }

    /// The distribution layer, if the node is distributed.
    pub fn remote(&self) -> Option<Arc<dyn RemoteSignals>> {
        self.remote
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }
}

/// The service `T` of this thread's runtime (see [`RuntimeState::service`]).
///
/// # Panics
///
/// On a thread that serves no Tether runtime.
#[track_caller]
pub(crate) fn service<T: Default + Send + Sync + 'static>() -> Arc<T> {
    super::context::with(|rt| rt.service::<T>())
}
