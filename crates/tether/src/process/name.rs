//! Locally registered names (docs/semantics.md §3.1).
//!
//! One map per runtime from name to pid, behind a read-write lock: lookups (every send by name)
//! share the lock; registration is rare. The name is also kept in the process's own
//! state, so that the exit sequence can release it before links and monitors hear of
//! the death (S6).

use std::collections::HashMap;
use std::fmt;
use std::sync::RwLock;

use tether_term::{Atom, Pid};

use super::table;
use crate::runtime::context;

/// Runs `f` with this thread's runtime's name map.
fn names<R>(f: impl FnOnce(&RwLock<HashMap<Atom, Pid, super::RefHash>>) -> R) -> R {
    context::with(|rt| f(&rt.names))
}

/// Why [`register`] failed (all of them are Erlang's `badarg`).
#[derive(Debug, Clone, PartialEq)]
pub enum RegisterError {
    /// The pid is not a live local process.
    NotAlive(Pid),
    /// The name is taken by this process.
    NameTaken(Atom, Pid),
    /// The process already has this name.
    AlreadyNamed(Pid, Atom),
    /// The name is reserved (`undefined`, and Elixir's `nil`, `true`, `false`).
    Reserved(Atom),
}

impl fmt::Display for RegisterError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RegisterError::NotAlive(p) => write!(f, "{p} is not a live local process"),
            RegisterError::NameTaken(n, p) => write!(f, "the name {n} is taken by {p}"),
            RegisterError::AlreadyNamed(p, n) => write!(f, "{p} is already registered as {n}"),
            RegisterError::Reserved(n) => write!(f, "the name {n} is reserved"),
        }
    }
}

impl std::error::Error for RegisterError {}

/// Registers `pid` under `name` (Erlang's `register/2`).
///
/// ```
/// use tether::Runtime;
/// Runtime::new().unwrap().block_on(async {
///     let me = tether::self_pid();
///     tether::register("doc_example", me).unwrap();
///     assert_eq!(tether::whereis("doc_example"), Some(me));
///     assert!(tether::register("doc_example", me).is_err());
///     tether::unregister("doc_example").unwrap();
///     assert_eq!(tether::whereis("doc_example"), None);
/// });
/// ```
pub fn register(name: impl Into<Atom>, pid: Pid) -> Result<(), RegisterError> {
    let name = name.into();
    if matches!(name.as_str(), "undefined" | "nil" | "true" | "false") {
        return Err(RegisterError::Reserved(name));
    }
    let Some(process) = table::get(pid) else {
        return Err(RegisterError::NotAlive(pid));
    };
    // Lock order: process state, then the name map (the exit sequence does the same).
    let mut st = process.state();
    if process.is_closed() {
        return Err(RegisterError::NotAlive(pid));
    }
    if let Some(old) = st.name() {
        return Err(RegisterError::AlreadyNamed(pid, old.clone()));
    }
    names(|names| {
        let mut map = names.write().unwrap_or_else(|e| e.into_inner());
        if let Some(&holder) = map.get(&name) {
            return Err(RegisterError::NameTaken(name, holder));
        }
        map.insert(name.clone(), pid);
        st.rel().name = Some(name);
        Ok(())
    })
}

/// The name is not registered (Erlang's `badarg` from `unregister/1`).
#[derive(Debug, Clone, PartialEq)]
pub struct NotRegistered(pub Atom);

impl fmt::Display for NotRegistered {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "the name {} is not registered", self.0)
    }
}

impl std::error::Error for NotRegistered {}

/// Removes a registered name (Erlang's `unregister/1`).
///
/// ```
/// # use std::time::Duration;
/// # tether::Runtime::new().unwrap().block_on(async {
/// tether::register("svc", tether::self_pid()).unwrap();
/// tether::unregister("svc").unwrap();
/// assert_eq!(tether::whereis("svc"), None);
/// assert!(tether::unregister("svc").is_err());
/// # });
/// ```
pub fn unregister(name: impl Into<Atom>) -> Result<(), NotRegistered> {
    let name = name.into();
    let pid = names(|n| {
        n.read()
            .unwrap_or_else(|e| e.into_inner())
            .get(&name)
            .copied()
    });
    let Some(pid) = pid else {
        return Err(NotRegistered(name));
    };
    if let Some(process) = table::get(pid) {
        let mut st = process.state();
        if st.name() == Some(&name) {
            st.rel().name = None;
        }
        return names(|names| {
            let mut map = names.write().unwrap_or_else(|e| e.into_inner());
            match map.get(&name) {
                Some(&p) if p == pid => {
                    map.remove(&name);
                    Ok(())
                }
                _ => Err(NotRegistered(name)),
            }
        });
    }
    // The holder is exiting; its exit sequence releases the name.
    release(&name, pid);
    Ok(())
}

/// The pid registered under `name`, if any (Erlang's `whereis/1`).
///
/// ```
/// # use std::time::Duration;
/// # tether::Runtime::new().unwrap().block_on(async {
/// assert_eq!(tether::whereis("db"), None);
/// let db = tether::spawn(std::future::pending());
/// tether::register("db", db).unwrap();
/// assert_eq!(tether::whereis("db"), Some(db));
/// # });
/// ```
pub fn whereis(name: &str) -> Option<Pid> {
    names(|n| {
        n.read()
            .unwrap_or_else(|e| e.into_inner())
            .get(name)
            .copied()
    })
}

/// [`whereis`] for a name that is an atom already (a message's REG_SEND target):
/// hashed and compared as an atom, without reading its text as a string.
pub(crate) fn whereis_atom(name: &Atom) -> Option<Pid> {
    names(|n| {
        n.read()
            .unwrap_or_else(|e| e.into_inner())
            .get(name)
            .copied()
    })
}

/// All registered names (Erlang's `registered/0`).
///
/// ```
/// # use std::time::Duration;
/// # tether::Runtime::new().unwrap().block_on(async {
/// tether::register("one", tether::self_pid()).unwrap();
/// assert!(tether::registered().iter().any(|a| a.as_str() == "one"));
/// # });
/// ```
pub fn registered() -> Vec<Atom> {
    names(|n| {
        n.read()
            .unwrap_or_else(|e| e.into_inner())
            .keys()
            .cloned()
            .collect()
    })
}

/// Removes `name` if it still maps to `pid` (exit sequence).
pub(crate) fn release(name: &Atom, pid: Pid) {
    names(|names| {
        let mut map = names.write().unwrap_or_else(|e| e.into_inner());
        if map.get(name) == Some(&pid) {
            map.remove(name);
        }
    })
}
