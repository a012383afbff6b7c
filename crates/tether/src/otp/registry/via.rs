//! Via names backed by a unique registry: Elixir's `{:via, Registry, {reg, key}}` (RG11).

use std::fmt;
use std::hash::Hash;

use tether_term::Pid;

use super::{Keys, Registry, RegistryError};
use crate::Via;

/// A name `key` in a unique registry, usable wherever a [`Via`] is accepted:
/// [`Supervisor::via`](crate::otp::supervisor::Supervisor::via),
/// [`StartOpts::via`](crate::otp::gen_server::StartOpts::via), a [`Dest`](crate::Dest).
///
/// ```
/// use std::sync::Arc;
/// use tether::otp::registry::{Keys, Registry, RegistryOptions};
/// use tether::otp::supervisor::{Strategy, Supervisor, count_children};
///
/// tether::Runtime::new().unwrap().block_on(async {
///     let reg = Registry::<String, ()>::start_link(RegistryOptions::new(Keys::Unique, "via_doc"))
///         .await.unwrap();
///     let name = reg.via("workers".to_string(), ()).unwrap();
///     let sup = Supervisor::new(Strategy::OneForOne).via(name.clone()).start_link().await.unwrap();
///     assert_eq!(name.whereis_name(), Some(sup));
///     assert_eq!(count_children(name).await.unwrap().specs, 0);
/// });
/// ```
pub struct RegistryVia<K, V> {
    registry: Registry<K, V>,
    key: K,
    value: V,
}

impl<K: fmt::Debug, V> fmt::Debug for RegistryVia<K, V> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{{via, Registry, {{{}, {:?}}}}}",
            self.registry.inner.name, self.key
        )
    }
}

impl<K, V> Registry<K, V>
where
    K: Eq + Hash + Clone + fmt::Debug + Send + Sync + 'static,
    V: Clone + Send + Sync + 'static,
{
    /// A via name for `key`; the holder registers with `value`. Only unique
    /// registries can name processes ([`RegistryError::NotUnique`] otherwise).
    ///
    /// ```
    /// # use tether::otp::registry::{Keys, Registry, RegistryError, RegistryOptions};
    /// # tether::Runtime::new().unwrap().block_on(async {
    /// let reg = Registry::<&str, u32>::start_link(RegistryOptions::new(Keys::Unique, "reg"))
    ///     .await
    ///     .unwrap();
    /// use tether::otp::gen_server::{self, GenServer, Init, StartOpts};
    /// # struct Room;
    /// # impl GenServer for Room { type Args = (); type Call = (); type Cast = (); type Reply = (); type Continue = ();
    /// #   async fn init(_: ()) -> Init<Self> { Init::ok(Room) } }
    /// let room = gen_server::start::<Room>((), StartOpts::new().via(reg.via("lobby", 0).unwrap())).await.unwrap();
    /// assert_eq!(reg.lookup(&"lobby"), vec![(room.pid(), 0)]);
    /// // Duplicate registries cannot name processes.
    /// # let dup = Registry::<&str, u32>::start_link(RegistryOptions::new(Keys::Duplicate, "dup")).await.unwrap();
    /// assert_eq!(dup.via("x", 0).unwrap_err(), RegistryError::NotUnique);
    /// # });
    /// ```
    pub fn via(&self, key: K, value: V) -> Result<std::sync::Arc<dyn Via>, RegistryError> {
        if self.inner.kind != Keys::Unique {
            return Err(RegistryError::NotUnique);
        }
        Ok(std::sync::Arc::new(RegistryVia {
            registry: self.clone(),
            key,
            value,
        }))
    }
}

impl<K, V> Via for RegistryVia<K, V>
where
    K: Eq + Hash + Clone + fmt::Debug + Send + Sync + 'static,
    V: Clone + Send + Sync + 'static,
{
    /// Registers the calling process, which must be `pid` (behaviours register from
    /// inside the new process).
    fn register_name(&self, pid: Pid) -> bool {
        assert_eq!(
            pid,
            crate::self_pid(),
            "a Registry via name registers the calling process only"
        );
        match self.registry.register(self.key.clone(), self.value.clone()) {
            Ok(_) => true,
            Err(RegistryError::AlreadyRegistered(_)) => false,
            Err(e) => unreachable!("unique registration failed: {e}"),
        }
    }

    fn unregister_name(&self) {
        self.registry.unregister(&self.key)
    }

    /// The holder, if it is alive (RG5: the registry may still list a dead one).
    fn whereis_name(&self) -> Option<Pid> {
        let (pid, _) = self.registry.lookup(&self.key).into_iter().next()?;
        crate::is_alive(pid).then_some(pid)
    }
}
