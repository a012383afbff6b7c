//! Feeding untrusted terms to the services a peer can reach: the `global` name server
//! (all it accepts, and its lock protocol on its own), the `pg` scope, a GenStage
//! producer and a GenStage consumer, `rex` (the rpc server) and `net_kernel`. Shared
//! by the stable robustness test (`tests/kernel_inputs.rs`) and the cargo-fuzz
//! targets `global`, `global_locker`, `pg`, `gen_stage`, `rex` and `net_kernel`
//! (`fuzz/`), which include this file with `#[path]`.
//!
//! An input is one selector byte and an ETF term, as a peer's message would carry it.
//! [`Harness::feed`] decodes the term (the node's default decode limits), points every
//! node name in it at a loopback address that refuses connections (so that a service
//! acting on a fuzzed node name never sends traffic off this machine), sends it to the
//! service the way a peer would (plain, as `$gen_cast`, as `$gen_call`; for the lock
//! protocol, as the `set_lock` or `del_lock` call a peer's `global` makes, see
//! [`wrap_lock`]), then checks that the service handled it and is still the same
//! process, answering. A panic in a
//! service is a finding (libFuzzer's panic hook aborts on it; the stable test sees the
//! process replaced).
#![allow(dead_code)]

use std::time::Duration;

use tether::dist::{self, EpmdMode, NodeConfig};
use tether::kernel::global::{self, LockId};
use tether::otp::gen_server::StartOpts;
use tether::otp::gen_stage::{self, Emit, GenStage, Init, Subscription};
use tether::{Atom, Node, Pid, Reference, Runtime, Term};
use tether_term::Port;
use tether_term::{DecodeLimits, Decoder};

/// The node every fuzzed node name becomes: dialing it is refused at once, on loopback.
pub const PEER: &str = "fuzzpeer@127.0.0.1";

/// Which service an input goes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Service {
    Global,
    /// The `global` name server's lock protocol (`set_lock`, `del_lock`, `lock_set`).
    GlobalLocker,
    Pg,
    GenStage,
    Rex,
    NetKernel,
}

/// A producer that emits nothing and a consumer that keeps nothing.
pub struct Quiet;

impl GenStage for Quiet {
    type Args = bool;
    type In = Term;
    type Out = Term;
    type Call = ();
    type Cast = ();
    type Reply = ();

    async fn init(producer: bool) -> Init<Self> {
        if producer {
            Init::producer(Quiet)
        } else {
            Init::consumer(Quiet)
        }
    }

    async fn handle_demand(&mut self, _demand: u64) -> Emit<Term> {
        Emit::none()
    }

    async fn handle_events(&mut self, _events: Vec<Term>, _from: &Subscription) -> Emit<Term> {
        Emit::none()
    }
}

/// A distributed runtime running the services.
pub struct Harness {
    rt: Runtime,
    _node: dist::DistNode,
    producer: Pid,
    consumer: Pid,
    /// A live local process (pids in `$gen_call`s come from it).
    me: Pid,
}

impl Harness {
    pub fn start() -> Harness {
        let rt = Runtime::builder().worker_threads(1).build().unwrap();
        static N: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
        let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let name = format!("kernel_inputs_{}_{n}", std::process::id());
        let cfg = NodeConfig::new(format!("{name}@127.0.0.1"))
            .cookie("kernel_inputs")
            .listen("127.0.0.1".parse().unwrap())
            .epmd(EpmdMode::None)
            .peer_address(PEER, "127.0.0.1:1".parse().unwrap());
        let (node, producer, consumer, me) = rt.block_on(async move {
            let node = dist::start(cfg).await.expect("start the node");
            let opts = || StartOpts::new();
            let producer = gen_stage::start::<Quiet>(true, opts()).await.unwrap().pid();
            let consumer = gen_stage::start::<Quiet>(false, opts())
                .await
                .unwrap()
                .pid();
            let me = tether::spawn(async {
                loop {
                    let _: tether::Message = tether::receive().await;
                }
            });
            (node, producer, consumer, me)
        });
        Harness {
            rt,
            _node: node,
            producer,
            consumer,
            me,
        }
    }

    /// Feeds one input (selector byte, then an ETF term) to `service`. Inputs that do
    /// not decode are skipped (the decoder has its own targets). Panics if the
    /// service did not survive the input or stopped answering.
    pub fn feed(&self, service: Service, data: &[u8]) {
        let Some((&how, etf)) = data.split_first() else {
            return;
        };
        let bytes = bytes::Bytes::copy_from_slice(etf);
        let (me, producer, consumer) = (self.me, self.producer, self.consumer);
        self.rt.block_on(async move {
            // Decoded on the runtime, as the node's reader does: our own name is us.
            let Ok(term) = Decoder::from_bytes(&bytes)
                .with_limits(DecodeLimits::default())
                .decode()
            else {
                return;
            };
            let term = loopback(term);
            let local = Node::local();
            match service {
                Service::Global => {
                    let gns = tether::whereis("global_name_server").expect("global runs");
                    tether::send(gns, wrap(how, term, me)).unwrap();
                    // A call answered after the input was handled, by the same process.
                    let known = dist::call(
                        ("global_name_server", local),
                        Term::atom("get_known"),
                        Duration::from_secs(10),
                    )
                    .await;
                    assert!(
                        known.is_ok(),
                        "global_name_server stopped answering: {known:?}"
                    );
                    assert_eq!(tether::whereis("global_name_server"), Some(gns));
                }
                Service::GlobalLocker => {
                    let gns = tether::whereis("global_name_server").expect("global runs");
                    tether::send(gns, wrap_lock(how, term, me)).unwrap();
                    // A lock on a resource no input can name (a fresh reference) is
                    // granted at once and released, by the same process.
                    let id =
                        LockId::new(Term::Ref(tether::make_ref()), Term::Pid(tether::self_pid()));
                    let here = [local];
                    assert!(
                        global::set_lock(&id, Some(&here), Some(0)).await,
                        "a free lock was refused"
                    );
                    global::del_lock(&id, Some(&here)).await;
                    assert_eq!(tether::whereis("global_name_server"), Some(gns));
                }
                Service::Rex => {
                    let rex = tether::whereis("rex").expect("rex runs");
                    tether::send(rex, wrap(how, term, me)).unwrap();
                    let req = Term::tuple([
                        Term::atom("call"),
                        Term::atom("erlang"),
                        Term::atom("node"),
                        Term::nil(),
                        Term::atom("user"),
                    ]);
                    let node = dist::call(("rex", local), req, Duration::from_secs(10)).await;
                    assert_eq!(
                        node.ok(),
                        Some(Term::Atom(local.name())),
                        "rex stopped answering"
                    );
                    assert_eq!(tether::whereis("rex"), Some(rex));
                }
                Service::NetKernel => {
                    let nk = tether::whereis("net_kernel").expect("net_kernel runs");
                    tether::send(nk, wrap(how, term, me)).unwrap();
                    let req = Term::tuple([Term::atom("is_auth"), Term::atom(PEER)]);
                    let yes = dist::call(("net_kernel", local), req, Duration::from_secs(10)).await;
                    assert_eq!(
                        yes.ok(),
                        Some(Term::atom("yes")),
                        "net_kernel stopped answering"
                    );
                    assert_eq!(tether::whereis("net_kernel"), Some(nk));
                }
                Service::Pg => {
                    let scope = tether::whereis("pg").expect("pg runs");
                    tether::send(scope, wrap(how, term, me)).unwrap();
                    let group = Term::atom("kernel_inputs_probe");
                    tether::kernel::pg::join("pg", group.clone(), &[me])
                        .await
                        .unwrap();
                    assert!(tether::kernel::pg::get_members("pg", group.clone()).contains(&me));
                    tether::kernel::pg::leave("pg", group, &[me]).await.unwrap();
                    assert_eq!(tether::whereis("pg"), Some(scope));
                }
                Service::GenStage => {
                    let stage = if how & 1 == 0 { producer } else { consumer };
                    tether::send(stage, wrap(how >> 1, term, me)).unwrap();
                    let r = gen_stage::sync_info(stage, Term::atom("probe")).await;
                    assert!(r.is_ok(), "the stage stopped answering: {r:?}");
                    assert!(tether::is_alive(stage));
                }
            }
        });
    }
}

/// The term with every node name not ours replaced by [`PEER`] (on the runtime).
fn loopback(t: Term) -> Term {
    let peer = Node::intern(PEER).unwrap();
    let local = Node::local();
    let fix = |n: Node| if n == local { n } else { peer };
    match t {
        Term::Atom(a) if a.as_str().contains('@') && a.as_str() != local.to_string() => {
            Term::Atom(Atom::new(PEER))
        }
        Term::Pid(p) => Term::Pid(Pid {
            node: fix(p.node),
            ..p
        }),
        Term::Port(p) => Term::Port(Port {
            node: fix(p.node),
            ..p
        }),
        Term::Ref(r) => Term::Ref(Reference::new(fix(r.node), r.creation, r.words())),
        Term::Tuple(v) => Term::Tuple(v.into_iter().map(loopback).collect()),
        Term::List(v) => Term::List(v.into_iter().map(loopback).collect()),
        Term::ImproperList(v, tail) => Term::ImproperList(
            v.into_iter().map(loopback).collect(),
            Box::new(loopback(*tail)),
        ),
        Term::Map(v) => Term::Map(
            v.into_iter()
                .map(|(k, v)| (loopback(k), loopback(v)))
                .collect(),
        ),
        // Funs and exports are kept, not run; their pids are never dialed.
        other => other,
    }
}

/// A lock-protocol message to the `global` name server, as a peer's `global` sends
/// them (`how % 4`): the term as is (the recorded messages), the `$gen_call`
/// `{set_lock, Id}` or `{del_lock, Id}` of `global:set_lock/3` and `del_lock/2` with
/// the term as the lock id `{ResourceId, LockRequesterId}`, or the locker's
/// `{lock_set, Pid, true, Known, Tag}` with the term as `Known`.
fn wrap_lock(how: u8, term: Term, me: Pid) -> Term {
    let call = |request: &str, id: Term| {
        let from = Term::tuple([Term::Pid(me), Term::Ref(tether::make_ref())]);
        Term::tuple([
            Term::atom("$gen_call"),
            from,
            Term::tuple([Term::atom(request), id]),
        ])
    };
    match how % 4 {
        0 => term,
        1 => call("set_lock", term),
        2 => call("del_lock", term),
        _ => Term::tuple([
            Term::atom("lock_set"),
            Term::Pid(me),
            Term::atom("true"),
            term,
            Term::Int(i64::from(how >> 2)),
        ]),
    }
}

/// The input as a peer sends it: plain (`how % 3 == 0`), a `$gen_cast`, or a
/// `$gen_call` from a live local process.
fn wrap(how: u8, term: Term, me: Pid) -> Term {
    match how % 3 {
        0 => term,
        1 => Term::tuple([Term::atom("$gen_cast"), term]),
        _ => {
            let from = Term::tuple([Term::Pid(me), Term::Ref(tether::make_ref())]);
            Term::tuple([Term::atom("$gen_call"), from, term])
        }
    }
}
