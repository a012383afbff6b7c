//! Behaviour tests for `Registry`: docs/semantics.md §3.3, cases 4–13 of §3.4.
//!
//! Ported from Elixir's `lib/elixir/test/elixir/registry_test.exs`,
//! `registry/unique_test.exs` and `registry/duplicate_test.exs` (main, 2026), and
//! (case 4) `gen_server_SUITE:start` for via names. Each test names its source case.
//! Elixir runs most registry tests once per partition count; so do these, with 1
//! and 8 partitions.

mod common;

use std::sync::atomic::{AtomicUsize, Ordering};

use common::{reordered_maps, run, wait_forever};
use tether::otp::TermKey;
use tether::otp::registry::{Keys, Registry, RegistryError, RegistryEvent, RegistryOptions};
use tether::otp::supervisor::{Strategy, Supervisor, SupervisorStartError};
use tether::{Down, Exit, ExitReason, Message, Pid, Term, receive, receive_select};

static NEXT: AtomicUsize = AtomicUsize::new(0);

/// A registry with a fresh name.
async fn registry<K, V>(keys: Keys, partitions: usize) -> Registry<K, V>
where
    K: Eq + std::hash::Hash + Clone + Send + Sync + 'static,
    V: Clone + Send + Sync + 'static,
{
    let name = format!("test_registry_{}", NEXT.fetch_add(1, Ordering::Relaxed));
    Registry::start_link(RegistryOptions::new(keys, name.as_str()).partitions(partitions))
        .await
        .unwrap()
}

async fn down(mref: tether::Reference) -> ExitReason {
    let m = receive_select(move |m| {
        m.downcast_ref::<Down>()
            .is_some_and(|d| d.reference == mref)
    });
    m.await.downcast::<Down>().unwrap().reason
}

/// Spawns a process that registers `key` in `reg`, reports, and waits forever.
async fn registrant<K, V>(reg: &Registry<K, V>, key: K, value: V) -> Pid
where
    K: Eq + std::hash::Hash + Clone + Send + Sync + 'static,
    V: Clone + Send + Sync + 'static,
{
    let me = tether::self_pid();
    let reg = reg.clone();
    let pid = tether::spawn(async move {
        reg.register(key, value).unwrap();
        tether::send(me, "registered").unwrap();
        wait_forever().await
    });
    assert_eq!(receive::<&str>().await, "registered");
    pid
}

/// §3.4 case 5, `registry/unique_test.exs: "has unique registrations"`.
#[test]
fn has_unique_registrations() {
    run(async {
        for partitions in [1, 8] {
            let reg = registry::<&str, &str>(Keys::Unique, partitions).await;
            let me = tether::self_pid();
            assert!(reg.register("hello", "value").is_ok());
            assert_eq!(reg.lookup(&"hello"), vec![(me, "value")]);
            assert_eq!(
                reg.register("hello", "value"),
                Err(RegistryError::AlreadyRegistered(me))
            );
            assert_eq!(reg.keys(me), vec!["hello"]);
            assert_eq!(reg.values(&"hello", me), vec!["value"]);
            assert!(reg.register("world", "value").is_ok());
            let mut keys = reg.keys(me);
            keys.sort();
            assert_eq!(keys, vec!["hello", "world"]);
            // Another process cannot take it either.
            let other = registry_attempt(&reg, "hello").await;
            assert_eq!(other, Err(RegistryError::AlreadyRegistered(me)));
        }
    })
}

async fn registry_attempt(
    reg: &Registry<&'static str, &'static str>,
    key: &'static str,
) -> Result<Pid, RegistryError> {
    let me = tether::self_pid();
    let reg = reg.clone();
    tether::spawn(async move {
        tether::send(me, reg.register(key, "other")).unwrap();
    });
    receive().await
}

/// §3.4 case 6, `registry/unique_test.exs: "has unique registrations even if
/// partition is delayed"`: the owner has not cleaned up a dead holder (here it
/// never hears of the death: the holder unlinked itself), yet a new registration
/// succeeds and replaces the stale entry.
#[test]
fn has_unique_registrations_even_if_partition_is_delayed() {
    run(async {
        for partitions in [1, 8] {
            let reg = registry::<&str, u32>(Keys::Unique, partitions).await;
            let me = tether::self_pid();
            let r = reg.clone();
            let (holder, mref) = tether::spawn_monitor(async move {
                let owner = r.register("hello", 1).unwrap();
                tether::unlink(owner);
                tether::send(me, "registered").unwrap();
                wait_forever().await
            });
            assert_eq!(receive::<&str>().await, "registered");
            tether::exit(holder, ExitReason::Kill);
            down(mref).await;
            assert_eq!(
                reg.lookup(&"hello"),
                vec![(holder, 1)],
                "stale entry still there"
            );
            assert!(reg.register("hello", 2).is_ok());
            assert_eq!(reg.lookup(&"hello"), vec![(me, 2)]);
            assert_eq!(reg.keys(holder), Vec::<&str>::new());
        }
    })
}

fn links_of(pid: Pid) -> Vec<Pid> {
    tether::process_info(pid).unwrap().links
}

/// §3.4 case 7, `registry/unique_test.exs: "links and unlinks on register/unregister"`.
#[test]
fn links_and_unlinks_on_register_unregister() {
    run(async {
        for keys in [Keys::Unique, Keys::Duplicate, Keys::DuplicateByKey] {
            let reg = registry::<&str, ()>(keys, 1).await;
            let me = tether::self_pid();
            let owner = reg.register("a", ()).unwrap();
            assert!(links_of(me).contains(&owner));
            reg.register("b", ()).unwrap();
            reg.unregister(&"a");
            assert!(links_of(me).contains(&owner), "still one key: still linked");
            reg.unregister(&"b");
            assert!(
                !links_of(me).contains(&owner),
                "{keys:?}: last key gone, unlinked"
            );
        }
    })
}

/// §3.4 case 8, `registry_test.exs: "clean up registry on process crash"`: after
/// the registrants die and the partitions catch up, both tables are empty.
#[test]
fn clean_up_registry_on_process_crash() {
    run(async {
        for (keys, partitions) in [
            (Keys::Unique, 1),
            (Keys::Unique, 8),
            (Keys::Duplicate, 8),
            (Keys::DuplicateByKey, 8),
        ] {
            let reg = registry::<String, u32>(keys, partitions).await;
            let mut pids = Vec::new();
            for i in 0..20 {
                pids.push(registrant(&reg, format!("key{i}"), i).await);
            }
            assert_eq!(reg.count(), 20);
            for p in &pids {
                let mref = tether::monitor(*p);
                tether::exit(*p, ExitReason::from("crash"));
                down(mref).await;
            }
            reg.sync().await;
            assert_eq!(reg.count(), 0, "{keys:?}");
            assert!(reg.select(|_, _, _| true).is_empty());
            assert!(pids.iter().all(|p| reg.keys(*p).is_empty()));
        }
    })
}

/// §3.4 case 9, `registry/unique_test.exs: "allows listeners"`: explicit register
/// and unregister are announced; a crash is not.
#[test]
fn allows_listeners() {
    run(async {
        let me = tether::self_pid();
        tether::register("registry_listener_test", me).unwrap();
        let reg = Registry::<&str, u32>::start_link(
            RegistryOptions::new(Keys::Unique, "registry_with_listener")
                .listener("registry_listener_test"),
        )
        .await
        .unwrap();
        reg.register("hello", 7).unwrap();
        let name: tether::Atom = "registry_with_listener".into();
        assert_eq!(
            receive::<RegistryEvent<&str, u32>>().await,
            RegistryEvent::Register {
                registry: name.clone(),
                key: "hello",
                pid: me,
                value: 7
            }
        );
        reg.unregister(&"hello");
        assert_eq!(
            receive::<RegistryEvent<&str, u32>>().await,
            RegistryEvent::Unregister {
                registry: name,
                key: "hello",
                pid: me
            }
        );
        let r = reg.clone();
        let (p, mref) = tether::spawn_monitor(async move {
            r.register("crashy", 1).unwrap();
            tether::exit_self("crash".into())
        });
        down(mref).await;
        let Some(RegistryEvent::Register { pid, .. }) =
            tether::receive_timeout::<RegistryEvent<&str, u32>>(std::time::Duration::from_secs(5))
                .await
        else {
            panic!("register event")
        };
        assert_eq!(pid, p);
        reg.sync().await;
        assert!(
            tether::receive_timeout::<RegistryEvent<&str, u32>>(std::time::Duration::ZERO)
                .await
                .is_none()
        );
    })
}

/// §3.4 cases 4 and 10, `registry/unique_test.exs: "via callbacks"` and
/// `gen_server_SUITE:start` (via variant): a supervisor started under a via name is
/// found and reached through it; a second start returns `AlreadyStarted(pid)`.
#[test]
fn via_callbacks() {
    run(async {
        let reg = registry::<String, Term>(Keys::Unique, 4).await;
        let name = reg.via("agent".to_string(), Term::atom("meta")).unwrap();
        let sup = Supervisor::new(Strategy::OneForOne)
            .via(name.clone())
            .start_link()
            .await
            .unwrap();
        assert_eq!(name.whereis_name(), Some(sup));
        assert_eq!(
            reg.lookup(&"agent".to_string()),
            vec![(sup, Term::atom("meta"))]
        );
        let again = Supervisor::new(Strategy::OneForOne)
            .via(name.clone())
            .start_link()
            .await;
        assert_eq!(again, Err(SupervisorStartError::AlreadyStarted(sup)));
        // send/2 through the via name.
        let me = tether::self_pid();
        let echo = reg.via("echo".to_string(), Term::nil()).unwrap();
        let e2 = echo.clone();
        tether::spawn(async move {
            assert!(e2.register_name(tether::self_pid()));
            tether::send(me, "ready").unwrap();
            let m: &str = receive().await;
            tether::send(me, m).unwrap();
        });
        assert_eq!(receive::<&str>().await, "ready");
        assert!(echo.send(Message::new("hi")).is_ok());
        assert_eq!(receive::<&str>().await, "hi");
        // An unknown key cannot be sent to (badarg).
        let nobody = reg.via("nobody".to_string(), Term::nil()).unwrap();
        assert!(nobody.send(Message::new(1u8)).is_err());
        assert_eq!(nobody.whereis_name(), None);
    })
}

/// §3.4 case 10 for `gen_server` (`registry/unique_test.exs: "via callbacks"` with a
/// GenServer): a Registry via name is a `StartOpts::via` name, reached by calls.
#[test]
fn via_names_a_gen_server() {
    use tether::Dest;
    use tether::otp::gen_server::{self, CallResult, GenServer, Init, ReplyTo, StartOpts};
    struct Add(u32);
    impl GenServer for Add {
        type Args = u32;
        type Call = u32;
        type Cast = ();
        type Reply = u32;
        type Continue = ();
        async fn init(n: u32) -> Init<Self> {
            Init::ok(Add(n))
        }
        async fn handle_call(&mut self, n: u32, _: &ReplyTo<u32>) -> CallResult<Self> {
            CallResult::reply(self.0 + n)
        }
    }
    run(async {
        let reg = registry::<String, ()>(Keys::Unique, 2).await;
        let name = reg.via("adder".to_string(), ()).unwrap();
        let srv = gen_server::start::<Add>(40, StartOpts::new().via(name.clone()))
            .await
            .unwrap();
        assert_eq!(name.whereis_name(), Some(srv.pid()));
        assert_eq!(reg.lookup(&"adder".to_string()), vec![(srv.pid(), ())]);
        let r =
            gen_server::call::<Add>(Dest::Via(name.clone()), 2, gen_server::Timeout::DEFAULT).await;
        assert_eq!(r.unwrap(), 42);
        let again = gen_server::start::<Add>(0, StartOpts::new().via(name.clone())).await;
        assert_eq!(
            again.unwrap_err(),
            gen_server::ServerStartError::AlreadyStarted(srv.pid())
        );
    })
}

/// §3.4 case 11, `registry/duplicate_test.exs: "dispatches to multiple keys in serial"`.
#[test]
fn dispatches_to_multiple_keys_in_serial() {
    run(async {
        for partitions in [1, 8] {
            let reg = registry::<&str, u32>(Keys::Duplicate, partitions).await;
            let me = tether::self_pid();
            reg.dispatch(&"hello", |_| panic!("never called for a missing key"));
            reg.register("hello", 1).unwrap();
            reg.register("hello", 2).unwrap();
            let other = registrant(&reg, "hello", 3).await;
            let mut seen = Vec::new();
            reg.dispatch(&"hello", |entries| {
                assert!(!entries.is_empty());
                seen.extend(entries.iter().cloned())
            });
            seen.sort_by_key(|(_, v)| *v);
            assert_eq!(seen, vec![(me, 1), (me, 2), (other, 3)]);
        }
    })
}

/// §3.4 case 11, `registry/duplicate_test.exs: "dispatches to multiple keys in parallel"`.
#[test]
fn dispatches_to_multiple_keys_in_parallel() {
    run(async {
        let reg = registry::<&str, u32>(Keys::Duplicate, 8).await;
        let me = tether::self_pid();
        reg.dispatch_parallel(&"hello", |_| panic!("never called for a missing key"))
            .await;
        reg.register("hello", 1).unwrap();
        for v in 2..6 {
            registrant(&reg, "hello", v).await;
        }
        reg.dispatch_parallel(&"hello", move |entries| {
            for (_, v) in entries {
                tether::send(me, v).unwrap();
            }
        })
        .await;
        let mut got = Vec::new();
        for _ in 0..5 {
            got.push(receive::<u32>().await);
        }
        got.sort();
        assert_eq!(got, vec![1, 2, 3, 4, 5]);
    })
}

/// §3.4 case 11, `registry/unique_test.exs: "dispatches to a single key"`.
#[test]
fn dispatches_to_a_single_key() {
    run(async {
        let reg = registry::<&str, u32>(Keys::Unique, 8).await;
        reg.dispatch(&"hello", |_| panic!("never called for a missing key"));
        reg.register("hello", 42).unwrap();
        let mut calls = 0;
        reg.dispatch(&"hello", |entries| {
            calls += 1;
            assert_eq!(entries, &[(tether::self_pid(), 42)]);
        });
        assert_eq!(calls, 1);
    })
}

/// §3.4 case 12, `registry/duplicate_test.exs: "raises if attempt to be used on via"`.
#[test]
fn raises_if_attempt_to_be_used_on_via() {
    run(async {
        let reg = registry::<String, ()>(Keys::Duplicate, 1).await;
        assert_eq!(
            reg.via("x".to_string(), ()).unwrap_err(),
            RegistryError::NotUnique
        );
        let reg = registry::<&str, u32>(Keys::DuplicateByKey, 1).await;
        reg.register("k", 1).unwrap();
        assert_eq!(
            reg.update_value(&"k", |v| v + 1),
            Err(RegistryError::NotUnique)
        );
    })
}

/// §3.4 case 13, `registry/unique_test.exs: "compares using ==="`: 1 and 1.0 are
/// two keys.
#[test]
fn compares_using_strict_equality() {
    run(async {
        let reg = registry::<TermKey, ()>(Keys::Unique, 4).await;
        reg.register(TermKey(Term::Int(1)), ()).unwrap();
        reg.register(TermKey(Term::Float(1.0)), ()).unwrap();
        assert_eq!(reg.count(), 2);
        assert_eq!(reg.lookup(&TermKey(Term::Int(1))).len(), 1);
        assert_eq!(reg.keys(tether::self_pid()).len(), 2);
    })
}

/// RG6 for maps: `=:=` compares maps as sets of pairs, so a map key found under one
/// order of its pairs is found under any other (here decoded from ETF written in two
/// orders, as two nodes may write the same map), nested maps included.
#[test]
fn map_keys_compare_whatever_their_order() {
    run(async {
        for partitions in [1, 8] {
            let reg = registry::<TermKey, u32>(Keys::Unique, partitions).await;
            let (a, b) = reordered_maps();
            reg.register(TermKey(a.clone()), 1).unwrap();
            assert_eq!(
                reg.lookup(&TermKey(b.clone())),
                vec![(tether::self_pid(), 1)]
            );
            assert_eq!(
                reg.register(TermKey(b.clone()), 2).unwrap_err(),
                RegistryError::AlreadyRegistered(tether::self_pid())
            );
            assert_eq!(reg.count(), 1);
            reg.unregister(&TermKey(b));
            assert!(reg.lookup(&TermKey(a)).is_empty());
        }
    })
}

/// RG4, `registry/duplicate_test.exs: "has duplicate registrations"`: the same
/// process may register a key many times; unregister removes them all.
#[test]
fn has_duplicate_registrations() {
    run(async {
        for keys in [Keys::Duplicate, Keys::DuplicateByKey] {
            let reg = registry::<&str, u32>(keys, 8).await;
            let me = tether::self_pid();
            reg.register("hello", 1).unwrap();
            reg.register("hello", 2).unwrap();
            assert_eq!(reg.keys(me), vec!["hello", "hello"]);
            let mut vals = reg.values(&"hello", me);
            vals.sort();
            assert_eq!(vals, vec![1, 2]);
            assert_eq!(reg.count_match(&"hello", |v| *v > 1), 1);
            assert_eq!(reg.match_values(&"hello", |v| *v == 2), vec![(me, 2)]);
            reg.unregister_match(&"hello", |v| *v == 1);
            assert_eq!(reg.lookup(&"hello"), vec![(me, 2)]);
            reg.unregister(&"hello");
            assert_eq!(reg.count(), 0);
            assert_eq!(reg.keys(me), Vec::<&str>::new());
        }
    })
}

/// RG12, `registry/unique_test.exs: "updates current process value"` and
/// `registry_test.exs: "meta"`.
#[test]
fn update_value_and_meta() {
    run(async {
        let reg = registry::<&str, u32>(Keys::Unique, 1).await;
        assert_eq!(
            reg.update_value(&"hello", |v| v + 1),
            Err(RegistryError::NotFound)
        );
        reg.register("hello", 1).unwrap();
        assert_eq!(reg.update_value(&"hello", |v| v + 1), Ok((2, 1)));
        assert_eq!(reg.lookup(&"hello"), vec![(tether::self_pid(), 2)]);
        // Someone else's key cannot be updated.
        let reg2 = reg.clone();
        let me = tether::self_pid();
        tether::spawn(
            async move { tether::send(me, reg2.update_value(&"hello", |v| v + 1)).unwrap() },
        );
        assert_eq!(
            receive::<Result<(u32, u32), RegistryError>>().await,
            Err(RegistryError::NotFound)
        );
        assert_eq!(reg.meta("custom"), None);
        reg.put_meta("custom", Term::Int(1));
        assert_eq!(reg.meta("custom"), Some(Term::Int(1)));
        let selected = reg.select(|k, _, v| *k == "hello" && *v == 2);
        assert_eq!(selected, vec![("hello", me, 2)]);
    })
}

/// RG2: a registrant not trapping exits dies with its partition; the registry is a
/// supervisor with no restarts, so a partition crash stops it.
#[test]
fn partition_crash_kills_linked_registrants() {
    run(async {
        tether::trap_exit(true);
        let reg = registry::<&str, ()>(Keys::Unique, 1).await;
        let me = tether::self_pid();
        let r = reg.clone();
        let (p, mref) = tether::spawn_monitor(async move {
            let owner = r.register("k", ()).unwrap();
            tether::send(me, owner).unwrap();
            wait_forever().await
        });
        let owner: Pid = receive().await;
        let sup_ref = tether::monitor(reg.pid());
        tether::exit(owner, ExitReason::Kill);
        assert_eq!(down(mref).await, ExitReason::Killed);
        assert_eq!(down(sup_ref).await, ExitReason::Shutdown);
        let _: Exit = receive().await;
        assert!(!tether::is_alive(p));
    })
}

/// Handles are found by name, and only with the right types.
#[test]
fn registry_by_name() {
    run(async {
        let reg = Registry::<String, u32>::start_link(
            RegistryOptions::new(Keys::Unique, "named_reg_test").meta("m", Term::Int(3)),
        )
        .await
        .unwrap();
        assert_eq!(tether::whereis("named_reg_test"), Some(reg.pid()));
        assert!(Registry::<String, u32>::named("named_reg_test").is_some());
        assert!(Registry::<String, String>::named("named_reg_test").is_none());
        assert!(Registry::<String, u32>::named("no_such_registry").is_none());
        assert_eq!(reg.meta("m"), Some(Term::Int(3)));
        let again = Registry::<String, u32>::start_link(RegistryOptions::new(
            Keys::Unique,
            "named_reg_test",
        ))
        .await;
        assert_eq!(
            again.unwrap_err(),
            SupervisorStartError::AlreadyStarted(reg.pid())
        );
    })
}
