//! A local, partitioned key–process registry (Elixir's `Registry`, docs/semantics.md §3.3).
//!
//! ```text
//!   Registry (handle, Clone) ──Arc──▶ Inner { kind, partitions, listeners, meta }
//!                                         │
//!        ┌────────────────────────────────┼──────────────────────────┐
//!   Partition 0: RwLock<Table>       Partition 1 ...            supervisor (one_for_all,
//!     keys: K -> [(pid, value)]        owner process ◀── links ──  max_restarts 0) of the
//!     pids: pid -> [K]                 (traps exits)   registrants   partition owners
//! ```
//!
//! * **Reads never touch a process.** [`lookup`](Registry::lookup), `match`, `count`,
//!   `keys`, `select`, `dispatch` take a read lock on one partition (or each in turn),
//!   like ETS reads: no message, no round trip, many readers at once.
//! * **Writes are made by the caller**, as Elixir writes its public ETS tables from
//!   the registering process: [`register`](Registry::register) inserts under the
//!   partition's write lock and links the caller to the partition's owner process.
//! * **Cleanup is the owner's job**: the owner traps exits, and on a registrant's
//!   `'EXIT'` deletes all of its entries in that partition. It is asynchronous (RG5):
//!   a lookup may briefly return a dead pid; [`sync`](Registry::sync) waits for it.
//! * **Partitioning** (RG8): unique registries by key, duplicate ones by pid
//!   ([`Keys::Duplicate`]) or by key ([`Keys::DuplicateByKey`]).
//!
//! Keys are any `Eq + Hash` type: with [`TermKey`](crate::otp::TermKey) they compare
//! like Elixir's `===` (RG6), so `1` and `1.0` are two keys and a map is one key
//! whatever the order of its pairs. The registry itself is a supervisor of its
//! partition owners (strategy one-for-all, no restarts), registered under the
//! registry's name.
//!
//! ```
//! use tether::otp::registry::{Keys, Registry, RegistryOptions};
//!
//! tether::Runtime::new().unwrap().block_on(async {
//!     let reg = Registry::<String, u32>::start_link(RegistryOptions::new(Keys::Unique, "doc_reg"))
//!         .await
//!         .unwrap();
//!     reg.register("hello".to_string(), 1).unwrap();
//!     assert_eq!(reg.lookup(&"hello".to_string()), vec![(tether::self_pid(), 1)]);
//!     // Any process can find the registry by its name.
//!     let again = Registry::<String, u32>::named("doc_reg").unwrap();
//!     assert_eq!(again.count(), 1);
//! });
//! ```

mod partition;
mod query;
mod via;

use std::any::Any;
use std::collections::HashMap;
use std::fmt;
use std::hash::{BuildHasher, Hash, RandomState};
use std::sync::{Arc, OnceLock, RwLock};

use tether_term::{Atom, Pid, Term};

use self::partition::Partition;
use super::supervisor::{ChildSpec, Strategy, Supervisor, SupervisorStartError};
pub use via::RegistryVia;

/// How keys are stored (RG1, RG8).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Keys {
    /// One process per key; partitioned by key.
    Unique,
    /// Many entries per key; partitioned by pid (Elixir `:duplicate`).
    Duplicate,
    /// Many entries per key; partitioned by key (`{:duplicate, :key}`).
    DuplicateByKey,
}

/// How to start a registry: kind, name, partitions, listeners, metadata.
///
/// ```
/// use tether::otp::registry::{Keys, RegistryOptions};
/// let opts = RegistryOptions::new(Keys::Duplicate, "pubsub").partitions(4).listener("audit");
/// # let _ = opts;
/// ```
#[derive(Clone, Debug)]
pub struct RegistryOptions {
    keys: Keys,
    name: Atom,
    partitions: usize,
    listeners: Vec<Atom>,
    meta: Vec<(Atom, Term)>,
}

impl RegistryOptions {
    /// A registry of this kind under this name, one partition, no listeners.
    ///
    /// ```
    /// # use tether::otp::registry::{Keys, Registry, RegistryError, RegistryOptions};
    /// # tether::Runtime::new().unwrap().block_on(async {
    /// let opts = RegistryOptions::new(Keys::Duplicate, "subs");
    /// let reg = Registry::<String, ()>::start_link(opts).await.unwrap();
    /// assert_eq!(reg.keys_kind(), Keys::Duplicate);
    /// assert_eq!(reg.name().as_str(), "subs");
    /// # });
    /// ```
    pub fn new(keys: Keys, name: impl Into<Atom>) -> RegistryOptions {
        RegistryOptions {
            keys,
            name: name.into(),
            partitions: 1,
            listeners: vec![],
            meta: vec![],
        }
    }

    /// The number of partitions (at least 1; default 1).
    ///
    /// ```
    /// # use tether::otp::registry::{Keys, Registry, RegistryError, RegistryOptions};
    /// # tether::Runtime::new().unwrap().block_on(async {
    /// let opts = RegistryOptions::new(Keys::Unique, "big").partitions(4);
    /// let reg = Registry::<u64, ()>::start_link(opts).await.unwrap();
    /// for k in 0..100 {
    ///     reg.register(k, ()).unwrap();
    /// }
    /// assert_eq!(reg.count(), 100); // spread over 4 partitions, counted as one
    /// # });
    /// ```
    pub fn partitions(mut self, n: usize) -> RegistryOptions {
        self.partitions = n.max(1);
        self
    }

    /// A named process to notify of explicit registrations and unregistrations (RG10).
    ///
    /// ```
    /// # use tether::otp::registry::{Keys, Registry, RegistryError, RegistryOptions};
    /// # tether::Runtime::new().unwrap().block_on(async {
    /// use tether::otp::registry::RegistryEvent;
    /// tether::register("watcher", tether::self_pid()).unwrap();
    /// let opts = RegistryOptions::new(Keys::Unique, "watched").listener("watcher");
    /// let reg = Registry::<&str, u32>::start_link(opts).await.unwrap();
    /// reg.register("k", 1).unwrap();
    /// let RegistryEvent::Register { key, value, .. } = tether::receive::<RegistryEvent<&str, u32>>().await
    /// else { panic!("expected a registration") };
    /// assert_eq!((key, value), ("k", 1));
    /// # });
    /// ```
    pub fn listener(mut self, name: impl Into<Atom>) -> RegistryOptions {
        self.listeners.push(name.into());
        self
    }

    /// Initial metadata (see [`Registry::meta`]).
    ///
    /// ```
    /// # use tether::otp::registry::{Keys, Registry, RegistryError, RegistryOptions};
    /// # tether::Runtime::new().unwrap().block_on(async {
    /// use tether::Term;
    /// let opts = RegistryOptions::new(Keys::Unique, "with_meta").meta("owner", Term::atom("ops"));
    /// let reg = Registry::<u32, ()>::start_link(opts).await.unwrap();
    /// assert_eq!(reg.meta("owner"), Some(Term::atom("ops")));
    /// # });
    /// ```
    pub fn meta(mut self, key: impl Into<Atom>, value: Term) -> RegistryOptions {
        self.meta.push((key.into(), value));
        self
    }
}

/// What listeners receive (RG10). Not sent when a registrant crashes.
#[derive(Clone, Debug, PartialEq)]
pub enum RegistryEvent<K, V> {
    /// `{:register, registry, key, pid, value}`.
    Register {
        /// The registry's name.
        registry: Atom,
        /// The key.
        key: K,
        /// The registrant.
        pid: Pid,
        /// Its value.
        value: V,
    },
    /// `{:unregister, registry, key, pid}`.
    Unregister {
        /// The registry's name.
        registry: Atom,
        /// The key.
        key: K,
        /// The process that unregistered.
        pid: Pid,
    },
}

/// Why a registry operation failed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RegistryError {
    /// The unique key is held by this live process (`{:already_registered, pid}`).
    AlreadyRegistered(Pid),
    /// The operation needs a unique registry (via names, `update_value`).
    NotUnique,
    /// The caller has no entry under that key.
    NotFound,
}

impl fmt::Display for RegistryError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RegistryError::AlreadyRegistered(p) => write!(f, "already registered by {p}"),
            RegistryError::NotUnique => f.write_str("the registry does not have unique keys"),
            RegistryError::NotFound => f.write_str("no such entry for the calling process"),
        }
    }
}

impl std::error::Error for RegistryError {}

pub(crate) struct Inner<K, V> {
    name: Atom,
    kind: Keys,
    partitions: Box<[Partition<K, V>]>,
    listeners: Vec<Atom>,
    meta: RwLock<HashMap<Atom, Term>>,
    hasher: RandomState,
    sup: OnceLock<Pid>,
}

/// A handle on a running registry; cheap to clone and to share between processes.
pub struct Registry<K, V> {
    inner: Arc<Inner<K, V>>,
}

impl<K, V> Clone for Registry<K, V> {
    fn clone(&self) -> Self {
        Registry {
            inner: self.inner.clone(),
        }
    }
}

impl<K, V> fmt::Debug for Registry<K, V> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Registry({})", self.inner.name)
    }
}

/// The runtime's registries by name, type-erased: [`Registry::named`] downcasts (a
/// runtime service).
#[derive(Default)]
struct ByName(RwLock<HashMap<Atom, Arc<dyn Any + Send + Sync>>>);

fn by_name() -> Arc<ByName> {
    crate::runtime::state::service::<ByName>()
}

impl<K, V> Registry<K, V>
where
    K: Eq + Hash + Clone + Send + Sync + 'static,
    V: Clone + Send + Sync + 'static,
{
    /// Starts a registry linked to the caller: a supervisor, registered under the
    /// registry's name, of one owner process per partition (RG1).
    ///
    /// ```
    /// # use tether::otp::registry::{Keys, Registry, RegistryError, RegistryOptions};
    /// # tether::Runtime::new().unwrap().block_on(async {
    /// let reg = Registry::<&str, u32>::start_link(RegistryOptions::new(Keys::Unique, "sessions"))
    ///     .await
    ///     .unwrap();
    /// // The registry is a supervisor registered under its name.
    /// assert_eq!(tether::whereis("sessions"), Some(reg.pid()));
    /// # });
    /// ```
    pub async fn start_link(opts: RegistryOptions) -> Result<Registry<K, V>, SupervisorStartError> {
        let inner = Arc::new(Inner {
            name: opts.name.clone(),
            kind: opts.keys,
            partitions: (0..opts.partitions).map(|_| Partition::new()).collect(),
            listeners: opts.listeners,
            meta: RwLock::new(opts.meta.into_iter().collect()),
            hasher: RandomState::new(),
            sup: OnceLock::new(),
        });
        let children = (0..opts.partitions).map(|i| {
            let inner = inner.clone();
            ChildSpec::new(format!("partition_{i}"), move || {
                let inner = inner.clone();
                async move { Ok(Some(partition::start_owner(inner, i))) }
            })
        });
        let sup = Supervisor::new(Strategy::OneForAll)
            .max_restarts(0)
            .name(opts.name.clone())
            .children(children)
            .start_link()
            .await?;
        let _ = inner.sup.set(sup);
        let reg = Registry { inner };
        let erased: Arc<dyn Any + Send + Sync> = Arc::new(reg.clone());
        by_name()
            .0
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .insert(opts.name, erased);
        Ok(reg)
    }

    /// The running registry with this name, if it exists with these key and value
    /// types.
    ///
    /// ```
    /// # use tether::otp::registry::{Keys, Registry, RegistryError, RegistryOptions};
    /// # tether::Runtime::new().unwrap().block_on(async {
    /// Registry::<&str, u32>::start_link(RegistryOptions::new(Keys::Unique, "shared")).await.unwrap();
    /// // Elsewhere in the program: find it by name (with the same key and value types).
    /// let reg = Registry::<&str, u32>::named("shared").unwrap();
    /// assert_eq!(reg.name().as_str(), "shared");
    /// assert!(Registry::<String, u32>::named("shared").is_none());
    /// # });
    /// ```
    pub fn named(name: &str) -> Option<Registry<K, V>> {
        let reg = {
            let all = by_name();
            let map = all.0.read().unwrap_or_else(|e| e.into_inner());
            map.get(name)?.downcast_ref::<Registry<K, V>>()?.clone()
        };
        let alive = reg
            .inner
            .sup
            .get()
            .is_some_and(|p| crate::whereis(name) == Some(*p));
        alive.then_some(reg)
    }

    /// The registry's name.
    ///
    /// ```
    /// # use tether::otp::registry::{Keys, Registry, RegistryError, RegistryOptions};
    /// # tether::Runtime::new().unwrap().block_on(async {
    /// let reg = Registry::<&str, u32>::start_link(RegistryOptions::new(Keys::Unique, "reg"))
    ///     .await
    ///     .unwrap();
    /// assert_eq!(reg.name().as_str(), "reg");
    /// # });
    /// ```
    pub fn name(&self) -> &Atom {
        &self.inner.name
    }

    /// The registry's supervisor process.
    ///
    /// ```
    /// # use tether::otp::registry::{Keys, Registry, RegistryError, RegistryOptions};
    /// # tether::Runtime::new().unwrap().block_on(async {
    /// let reg = Registry::<&str, u32>::start_link(RegistryOptions::new(Keys::Unique, "reg"))
    ///     .await
    ///     .unwrap();
    /// assert_eq!(tether::whereis("reg"), Some(reg.pid()));
    /// # });
    /// ```
    pub fn pid(&self) -> Pid {
        *self.inner.sup.get().expect("set at start")
    }

    /// Its kind of keys.
    ///
    /// ```
    /// # use tether::otp::registry::{Keys, Registry, RegistryError, RegistryOptions};
    /// # tether::Runtime::new().unwrap().block_on(async {
    /// let reg = Registry::<&str, u32>::start_link(RegistryOptions::new(Keys::Unique, "reg"))
    ///     .await
    ///     .unwrap();
    /// assert_eq!(reg.keys_kind(), Keys::Unique);
    /// # });
    /// ```
    pub fn keys_kind(&self) -> Keys {
        self.inner.kind
    }

    /// Metadata stored under `key` (`Registry.meta/2`).
    ///
    /// ```
    /// # use tether::otp::registry::{Keys, Registry, RegistryError, RegistryOptions};
    /// # tether::Runtime::new().unwrap().block_on(async {
    /// let reg = Registry::<&str, u32>::start_link(RegistryOptions::new(Keys::Unique, "reg"))
    ///     .await
    ///     .unwrap();
    /// use tether::Term;
    /// assert_eq!(reg.meta("version"), None);
    /// reg.put_meta("version", Term::from(2));
    /// assert_eq!(reg.meta("version"), Some(Term::from(2)));
    /// # });
    /// ```
    pub fn meta(&self, key: &str) -> Option<Term> {
        self.inner
            .meta
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .get(key)
            .cloned()
    }

    /// Stores metadata (`Registry.put_meta/3`).
    ///
    /// ```
    /// # use tether::otp::registry::{Keys, Registry, RegistryError, RegistryOptions};
    /// # tether::Runtime::new().unwrap().block_on(async {
    /// let reg = Registry::<&str, u32>::start_link(RegistryOptions::new(Keys::Unique, "reg"))
    ///     .await
    ///     .unwrap();
    /// use tether::Term;
    /// reg.put_meta("mode", Term::atom("fast"));
    /// reg.put_meta("mode", Term::atom("safe"));
    /// assert_eq!(reg.meta("mode"), Some(Term::atom("safe")));
    /// # });
    /// ```
    pub fn put_meta(&self, key: impl Into<Atom>, value: Term) {
        self.inner
            .meta
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .insert(key.into(), value);
    }

    fn hash<T: Hash>(&self, t: &T) -> usize {
        (self.inner.hasher.hash_one(t) as usize) % self.inner.partitions.len()
    }

    /// The partition that holds `key` when registered by `pid`.
    fn partition_of(&self, key: &K, pid: Pid) -> &Partition<K, V> {
        let i = match self.inner.kind {
            Keys::Unique | Keys::DuplicateByKey => self.hash(key),
            Keys::Duplicate => self.hash(&pid),
        };
        &self.inner.partitions[i]
    }

    /// The partitions a lookup of `key` must scan (RG7).
    fn partitions_for_key(&self, key: &K) -> &[Partition<K, V>] {
        match self.inner.kind {
            Keys::Unique | Keys::DuplicateByKey => {
                let i = self.hash(key);
                &self.inner.partitions[i..=i]
            }
            Keys::Duplicate => &self.inner.partitions,
        }
    }

    /// The partitions holding `pid`'s entries.
    fn partitions_for_pid(&self, pid: Pid) -> &[Partition<K, V>] {
        match self.inner.kind {
            Keys::Duplicate => {
                let i = self.hash(&pid);
                &self.inner.partitions[i..=i]
            }
            _ => &self.inner.partitions,
        }
    }

    fn notify(&self, event: impl Fn() -> RegistryEvent<K, V>) {
        for l in &self.inner.listeners {
            let _ = crate::send(l.clone(), event());
        }
    }
}
