//! Registration and queries. Everything here runs in the calling process; only
//! [`Registry::sync`] talks to the partition owners.

use std::hash::Hash;
use std::sync::Arc;

use tether_term::Pid;

use super::partition::Sync;
use super::{Keys, Registry, RegistryError, RegistryEvent};
use crate::otp::call::call_pid;
use crate::{Down, Message};

impl<K, V> Registry<K, V>
where
    K: Eq + Hash + Clone + Send + std::marker::Sync + 'static,
    V: Clone + Send + std::marker::Sync + 'static,
{
    /// Registers the **calling process** under `key` with `value` (RG2) and returns
    /// the partition owner it is now linked to.
    ///
    /// In a unique registry a live holder makes this fail with
    /// [`RegistryError::AlreadyRegistered`] — also when the holder is the caller —
    /// while a dead one that was not yet cleaned up is replaced (RG3). In duplicate
    /// registries the same process may register a key many times (RG4).
    ///
    /// ```
    /// use tether::otp::registry::{Keys, Registry, RegistryError, RegistryOptions};
    /// tether::Runtime::new().unwrap().block_on(async {
    ///     let reg = Registry::<&str, ()>::start_link(RegistryOptions::new(Keys::Unique, "reg_doc_register"))
    ///         .await.unwrap();
    ///     reg.register("k", ()).unwrap();
    ///     assert_eq!(reg.register("k", ()), Err(RegistryError::AlreadyRegistered(tether::self_pid())));
    /// });
    /// ```
    ///
    /// # Panics
    ///
    /// Outside a process.
    pub fn register(&self, key: K, value: V) -> Result<Pid, RegistryError> {
        let me = crate::self_pid();
        let partition = self.partition_of(&key, me);
        {
            let mut t = partition.write();
            if self.inner.kind == Keys::Unique
                && let Some(&(holder, _)) = t.keys.get(&key).and_then(|e| e.first())
            {
                if crate::is_alive(holder) {
                    return Err(RegistryError::AlreadyRegistered(holder));
                }
                t.remove(&key, holder, |_| true); // stale: its owner has not caught up
            }
            t.keys
                .entry(key.clone())
                .or_default()
                .push((me, value.clone()));
            t.pids.entry(me).or_default().push(key.clone());
        }
        let owner = partition.owner();
        let _ = crate::link(owner);
        let registry = self.inner.name.clone();
        self.notify(|| RegistryEvent::Register {
            registry: registry.clone(),
            key: key.clone(),
            pid: me,
            value: value.clone(),
        });
        Ok(owner)
    }

    /// Removes all of the caller's entries under `key` (RG4); unlinks from the
    /// partition owner when the caller has no entries left there (RG2).
    ///
    /// ```
    /// # use tether::otp::registry::{Keys, Registry, RegistryError, RegistryOptions};
    /// # tether::Runtime::new().unwrap().block_on(async {
    /// let reg = Registry::<&str, u32>::start_link(RegistryOptions::new(Keys::Unique, "reg"))
    ///     .await
    ///     .unwrap();
    /// reg.register("alice", 1).unwrap();
    /// reg.unregister(&"alice");
    /// assert!(reg.lookup(&"alice").is_empty());
    /// # });
    /// ```
    pub fn unregister(&self, key: &K) {
        self.unregister_match(key, |_| true);
    }

    /// Removes the caller's entries under `key` whose value satisfies `pred`
    /// (`Registry.unregister_match/4`, with a closure for the match spec).
    ///
    /// ```
    /// # use tether::otp::registry::{Keys, Registry, RegistryError, RegistryOptions};
    /// # tether::Runtime::new().unwrap().block_on(async {
    /// let reg = Registry::<&str, u32>::start_link(RegistryOptions::new(Keys::Duplicate, "topics"))
    ///     .await
    ///     .unwrap();
    /// for v in [1, 2, 3] {
    ///     reg.register("news", v).unwrap();
    /// }
    /// reg.unregister_match(&"news", |v| v % 2 == 1);
    /// assert_eq!(reg.values(&"news", tether::self_pid()), [2]);
    /// # });
    /// ```
    pub fn unregister_match(&self, key: &K, pred: impl Fn(&V) -> bool) {
        let me = crate::self_pid();
        let partition = self.partition_of(key, me);
        let (_, none_left) = partition.write().remove(key, me, pred);
        if none_left {
            crate::unlink(partition.owner());
        }
        let registry = self.inner.name.clone();
        self.notify(|| RegistryEvent::Unregister {
            registry: registry.clone(),
            key: key.clone(),
            pid: me,
        });
    }

    /// Replaces the caller's value under a unique `key` with `f(old)`; returns
    /// `(new, old)` (`Registry.update_value/3`).
    ///
    /// ```
    /// # use tether::otp::registry::{Keys, Registry, RegistryError, RegistryOptions};
    /// # tether::Runtime::new().unwrap().block_on(async {
    /// let reg = Registry::<&str, u32>::start_link(RegistryOptions::new(Keys::Unique, "reg"))
    ///     .await
    ///     .unwrap();
    /// reg.register("visits", 1).unwrap();
    /// assert_eq!(reg.update_value(&"visits", |n| n + 1), Ok((2, 1)));
    /// assert_eq!(reg.update_value(&"nobody", |n| n + 1), Err(RegistryError::NotFound));
    /// # });
    /// ```
    pub fn update_value(&self, key: &K, f: impl FnOnce(&V) -> V) -> Result<(V, V), RegistryError> {
        if self.inner.kind != Keys::Unique {
            return Err(RegistryError::NotUnique);
        }
        let me = crate::self_pid();
        let mut t = self.partition_of(key, me).write();
        match t.keys.get_mut(key).and_then(|e| e.first_mut()) {
            Some((pid, v)) if *pid == me => {
                let new = f(v);
                let old = std::mem::replace(v, new.clone());
                Ok((new, old))
            }
            _ => Err(RegistryError::NotFound),
        }
    }

    /// The entries under `key`: `(pid, value)`, in no particular order (RG7). May
    /// include a process that just died (RG5).
    ///
    /// ```
    /// # use tether::otp::registry::{Keys, Registry, RegistryError, RegistryOptions};
    /// # tether::Runtime::new().unwrap().block_on(async {
    /// let reg = Registry::<&str, u32>::start_link(RegistryOptions::new(Keys::Unique, "reg"))
    ///     .await
    ///     .unwrap();
    /// let me = tether::self_pid();
    /// reg.register("alice", 7).unwrap();
    /// assert_eq!(reg.lookup(&"alice"), vec![(me, 7)]);
    /// assert!(reg.lookup(&"bob").is_empty());
    /// # });
    /// ```
    pub fn lookup(&self, key: &K) -> Vec<(Pid, V)> {
        self.match_values(key, |_| true)
    }

    /// The entries under `key` whose value satisfies `pred` (`Registry.match/3`).
    ///
    /// ```
    /// # use tether::otp::registry::{Keys, Registry, RegistryError, RegistryOptions};
    /// # tether::Runtime::new().unwrap().block_on(async {
    /// let reg = Registry::<&str, u32>::start_link(RegistryOptions::new(Keys::Duplicate, "topics"))
    ///     .await
    ///     .unwrap();
    /// for v in [1, 10, 100] {
    ///     reg.register("scores", v).unwrap();
    /// }
    /// let big: Vec<u32> = reg.match_values(&"scores", |v| *v >= 10).into_iter().map(|(_, v)| v).collect();
    /// assert_eq!(big.len(), 2);
    /// assert!(big.contains(&10) && big.contains(&100));
    /// # });
    /// ```
    pub fn match_values(&self, key: &K, pred: impl Fn(&V) -> bool) -> Vec<(Pid, V)> {
        let mut out = Vec::new();
        for p in self.partitions_for_key(key) {
            if let Some(entries) = p.read().keys.get(key) {
                out.extend(entries.iter().filter(|(_, v)| pred(v)).cloned());
            }
        }
        out
    }

    /// The number of entries under `key` whose value satisfies `pred`.
    ///
    /// ```
    /// # use tether::otp::registry::{Keys, Registry, RegistryError, RegistryOptions};
    /// # tether::Runtime::new().unwrap().block_on(async {
    /// let reg = Registry::<&str, u32>::start_link(RegistryOptions::new(Keys::Duplicate, "topics"))
    ///     .await
    ///     .unwrap();
    /// for v in [1, 2, 3, 4] {
    ///     reg.register("n", v).unwrap();
    /// }
    /// assert_eq!(reg.count_match(&"n", |v| v % 2 == 0), 2);
    /// # });
    /// ```
    pub fn count_match(&self, key: &K, pred: impl Fn(&V) -> bool) -> usize {
        self.partitions_for_key(key)
            .iter()
            .map(|p| {
                p.read()
                    .keys
                    .get(key)
                    .map_or(0, |e| e.iter().filter(|(_, v)| pred(v)).count())
            })
            .sum()
    }

    /// The number of entries in the registry (`Registry.count/1`).
    ///
    /// ```
    /// # use tether::otp::registry::{Keys, Registry, RegistryError, RegistryOptions};
    /// # tether::Runtime::new().unwrap().block_on(async {
    /// let reg = Registry::<&str, u32>::start_link(RegistryOptions::new(Keys::Unique, "reg"))
    ///     .await
    ///     .unwrap();
    /// assert_eq!(reg.count(), 0);
    /// reg.register("a", 1).unwrap();
    /// reg.register("b", 2).unwrap();
    /// assert_eq!(reg.count(), 2);
    /// # });
    /// ```
    pub fn count(&self) -> usize {
        self.inner
            .partitions
            .iter()
            .map(|p| p.read().pids.values().map(Vec::len).sum::<usize>())
            .sum()
    }

    /// The keys `pid` is registered under, repeated for duplicate entries (`keys/2`).
    ///
    /// ```
    /// # use tether::otp::registry::{Keys, Registry, RegistryError, RegistryOptions};
    /// # tether::Runtime::new().unwrap().block_on(async {
    /// let reg = Registry::<&str, u32>::start_link(RegistryOptions::new(Keys::Unique, "reg"))
    ///     .await
    ///     .unwrap();
    /// reg.register("a", 1).unwrap();
    /// reg.register("b", 2).unwrap();
    /// let mut keys = reg.keys(tether::self_pid());
    /// keys.sort();
    /// assert_eq!(keys, ["a", "b"]);
    /// # });
    /// ```
    pub fn keys(&self, pid: Pid) -> Vec<K> {
        let mut out = Vec::new();
        for p in self.partitions_for_pid(pid) {
            if let Some(keys) = p.read().pids.get(&pid) {
                out.extend(keys.iter().cloned());
            }
        }
        out
    }

    /// The values `pid` registered under `key` (`values/3`).
    ///
    /// ```
    /// # use tether::otp::registry::{Keys, Registry, RegistryError, RegistryOptions};
    /// # tether::Runtime::new().unwrap().block_on(async {
    /// let reg = Registry::<&str, u32>::start_link(RegistryOptions::new(Keys::Duplicate, "topics"))
    ///     .await
    ///     .unwrap();
    /// reg.register("t", 1).unwrap();
    /// reg.register("t", 2).unwrap();
    /// let mut vs = reg.values(&"t", tether::self_pid());
    /// vs.sort();
    /// assert_eq!(vs, [1, 2]);
    /// # });
    /// ```
    pub fn values(&self, key: &K, pid: Pid) -> Vec<V> {
        let mut out = Vec::new();
        for p in self.partitions_for_key(key) {
            if let Some(entries) = p.read().keys.get(key) {
                out.extend(
                    entries
                        .iter()
                        .filter(|(q, _)| *q == pid)
                        .map(|(_, v)| v.clone()),
                );
            }
        }
        out
    }

    /// Every entry satisfying `pred`, as `(key, pid, value)` (`select/2` with a
    /// closure for the match spec).
    ///
    /// ```
    /// # use tether::otp::registry::{Keys, Registry, RegistryError, RegistryOptions};
    /// # tether::Runtime::new().unwrap().block_on(async {
    /// let reg = Registry::<&str, u32>::start_link(RegistryOptions::new(Keys::Unique, "reg"))
    ///     .await
    ///     .unwrap();
    /// reg.register("a", 1).unwrap();
    /// reg.register("b", 20).unwrap();
    /// let big = reg.select(|_, _, v| *v > 10);
    /// assert_eq!(big, vec![("b", tether::self_pid(), 20)]);
    /// # });
    /// ```
    pub fn select(&self, pred: impl Fn(&K, Pid, &V) -> bool) -> Vec<(K, Pid, V)> {
        let mut out = Vec::new();
        for p in self.inner.partitions.iter() {
            for (k, entries) in &p.read().keys {
                for (pid, v) in entries {
                    if pred(k, *pid, v) {
                        out.push((k.clone(), *pid, v.clone()));
                    }
                }
            }
        }
        out
    }

    /// Calls `f` in the caller once per partition holding entries under `key`, with
    /// those entries; never with an empty list (RG9). A panic in `f` propagates.
    ///
    /// ```
    /// use tether::otp::registry::{Keys, Registry, RegistryOptions};
    /// tether::Runtime::new().unwrap().block_on(async {
    ///     let reg = Registry::<&str, u32>::start_link(RegistryOptions::new(Keys::Duplicate, "reg_doc_dispatch"))
    ///         .await.unwrap();
    ///     reg.register("topic", 1).unwrap();
    ///     reg.register("topic", 2).unwrap();
    ///     let mut sum = 0;
    ///     reg.dispatch(&"topic", |entries| sum += entries.iter().map(|(_, v)| v).sum::<u32>());
    ///     assert_eq!(sum, 3);
    /// });
    /// ```
    ///
    /// ```
    /// # use tether::otp::registry::{Keys, Registry, RegistryError, RegistryOptions};
    /// # tether::Runtime::new().unwrap().block_on(async {
    /// let reg = Registry::<&str, u32>::start_link(RegistryOptions::new(Keys::Duplicate, "topics"))
    ///     .await
    ///     .unwrap();
    /// reg.register("room", 1).unwrap();
    /// let mut seen = 0;
    /// reg.dispatch(&"room", |entries| seen += entries.len());
    /// assert_eq!(seen, 1);
    /// # });
    /// ```
    pub fn dispatch(&self, key: &K, mut f: impl FnMut(&[(Pid, V)])) {
        for p in self.partitions_for_key(key) {
            let entries = p.read().keys.get(key).cloned().unwrap_or_default();
            if !entries.is_empty() {
                f(&entries);
            }
        }
    }

    /// [`dispatch`](Registry::dispatch) with one process per partition, run
    /// concurrently (`parallel: true`); waits for all. A panic in `f` is re-raised
    /// in the caller.
    ///
    /// ```
    /// # use tether::otp::registry::{Keys, Registry, RegistryError, RegistryOptions};
    /// # tether::Runtime::new().unwrap().block_on(async {
    /// let reg = Registry::<&str, u32>::start_link(RegistryOptions::new(Keys::Duplicate, "topics"))
    ///     .await
    ///     .unwrap();
    /// reg.register("room", 1).unwrap();
    /// reg.register("room", 2).unwrap();
    /// let me = tether::self_pid();
    /// reg.dispatch_parallel(&"room", move |entries| {
    ///     tether::send(me, entries.len()).unwrap();
    /// })
    /// .await;
    /// assert_eq!(tether::receive::<usize>().await, 2);
    /// # });
    /// ```
    pub async fn dispatch_parallel(
        &self,
        key: &K,
        f: impl Fn(Vec<(Pid, V)>) + Send + std::marker::Sync + 'static,
    ) {
        let f = Arc::new(f);
        let mut monitors = Vec::new();
        for p in self.partitions_for_key(key) {
            let entries = p.read().keys.get(key).cloned().unwrap_or_default();
            if !entries.is_empty() {
                let f = f.clone();
                monitors.push(crate::spawn_monitor(async move { f(entries) }).1);
            }
        }
        let mut failure = None;
        for r in monitors {
            let m = crate::receive_select(move |m: &Message| {
                m.downcast_ref::<Down>().is_some_and(|d| d.reference == r)
            })
            .await;
            let down = m.downcast::<Down>().unwrap_or_else(|_| unreachable!());
            if !down.reason.is_normal() {
                failure = Some(down.reason);
            }
        }
        if let Some(reason) = failure {
            crate::exit_self(reason);
        }
    }

    /// Waits until every partition owner has handled the exits it received before
    /// this call, so that entries of processes already known dead are gone.
    ///
    /// ```
    /// # use tether::otp::registry::{Keys, Registry, RegistryError, RegistryOptions};
    /// # tether::Runtime::new().unwrap().block_on(async {
    /// let reg = Registry::<&str, u32>::start_link(RegistryOptions::new(Keys::Unique, "reg"))
    ///     .await
    ///     .unwrap();
    /// let r = reg.clone();
    /// let (pid, mref) = tether::spawn_monitor(async move {
    ///     r.register("temp", 1).unwrap();
    /// });
    /// let _: tether::Down = tether::receive().await;
    /// # let _ = (pid, mref);
    /// reg.sync().await; // the owner has handled the registrant's exit
    /// assert!(reg.lookup(&"temp").is_empty());
    /// # });
    /// ```
    pub async fn sync(&self) {
        for p in self.inner.partitions.iter() {
            let _ = call_pid(p.owner(), Sync, None).await;
        }
    }
}
