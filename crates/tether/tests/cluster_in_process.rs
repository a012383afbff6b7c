//! Two nodes in one OS process: each runtime is a node, and two of them connect over
//! loopback exactly as two OS processes do (EPMD, handshake, the wire), so cluster
//! tests need no child processes. The interop suites keep testing against real `erl`
//! and `elixir` nodes; this one tests Tether against itself without them.

use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use tether::dist::{self, DistNode, EpmdMode, NodeConfig, NodeKind};
use tether::otp::gen_server::{
    self, CallError, CallResult, CastResult, GenServer, Init, ReplyTo, StartOpts, Timeout,
};
use tether::{ExitReason, Node, Pid, Runtime, Term};

const COOKIE: &str = "in_process_cookie";

fn unique(prefix: &str) -> String {
    static N: AtomicU32 = AtomicU32::new(0);
    format!(
        "{prefix}_{}_{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    )
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A runtime that is the node `name`, registered with the EPMD on `epmd_port` (the
/// first node of a test serves that EPMD in-process, the others use it).
fn node(name: &str, epmd_port: u16) -> (Runtime, DistNode) {
    let _ = tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "tether=info".into()),
        )
        .with_test_writer()
        .try_init();
    let rt = Runtime::builder().worker_threads(2).build().unwrap();
    let cfg = NodeConfig::new(name)
        .cookie(COOKIE)
        .listen("127.0.0.1".parse().unwrap())
        .epmd(EpmdMode::Embedded)
        .epmd_port(epmd_port);
    let node = rt.block_on(async move { dist::start(cfg).await.expect("start the node") });
    (rt, node)
}

/// A process registered as `echo` that sends every `{From, Msg}` back as `Msg`.
fn echo() -> Pid {
    let pid = tether::spawn(async {
        loop {
            let t: Term = tether::receive().await;
            if let Some([Term::Pid(from), msg]) = t.as_tuple() {
                tether::send(*from, msg.clone()).unwrap();
            }
        }
    });
    tether::register("echo", pid).unwrap();
    pid
}

fn call_term(me: Pid, msg: Term) -> Term {
    Term::tuple([Term::Pid(me), msg])
}

#[test]
fn two_nodes_in_one_process_talk_over_loopback() {
    let epmd = free_port();
    let (a, node_a) = node(&unique("a"), epmd);
    let (b, node_b) = node(&unique("b"), epmd);
    let name_a = node_a.name().to_string();
    let name_b = node_b.name().to_string();
    assert_ne!(name_a, name_b);

    let echo_a = a.block_on(async { echo() });
    let from_b = b.block_on(async move {
        let a = Node::intern(&name_a).unwrap();
        assert!(!a.is_local());
        assert!(dist::connect_node(a).await);
        assert!(dist::nodes(NodeKind::Connected).contains(&a));
        // By name...
        let me = tether::self_pid();
        tether::send(("echo", a), call_term(me, Term::atom("by_name"))).unwrap();
        assert_eq!(tether::receive::<Term>().await, Term::atom("by_name"));
        // ...and by the pid a's runtime handed out in memory: it names a's node, so
        // the message crosses the wire like any remote send.
        assert_eq!(echo_a.node, a);
        tether::send(echo_a, call_term(me, Term::atom("by_pid"))).unwrap();
        assert_eq!(tether::receive::<Term>().await, Term::atom("by_pid"));
        me.node
    });
    // Each side sees the other connected, under the other's name.
    a.block_on(async move {
        let seen: Vec<String> = dist::nodes(NodeKind::Connected)
            .iter()
            .map(|n| n.name().to_string())
            .collect();
        assert_eq!(seen, vec![name_b.clone()]);
        assert_eq!(from_b.name().as_str(), name_b);
        assert!(!from_b.is_local());
    });
}

#[test]
fn links_and_monitors_cross_between_nodes_in_one_process() {
    let epmd = free_port();
    let (a, _node_a) = node(&unique("la"), epmd);
    let (b, _node_b) = node(&unique("lb"), epmd);
    let victim = a.block_on(async { tether::spawn(std::future::pending::<()>()) });
    let (heard_tx, heard) = std::sync::mpsc::channel();
    let watcher = b.block_on(async move {
        let (tx, rx) = tokio::sync::oneshot::channel();
        let watcher = tether::spawn(async move {
            tether::trap_exit(true);
            tether::link(victim).unwrap();
            let mref = tether::monitor(victim);
            let _ = tx.send(());
            let exit: tether::Exit = tether::receive().await;
            let down: tether::Down = tether::receive().await;
            let _ = heard_tx.send((exit.from, exit.reason, down.reference == mref, down.reason));
        });
        rx.await.unwrap();
        watcher
    });
    // The link request travels ahead of the exit: wait until the victim holds the
    // link, then end it from a's side.
    a.block_on(async move {
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        while !tether::process_info(victim).is_some_and(|i| i.links.contains(&watcher)) {
            assert!(
                std::time::Instant::now() < deadline,
                "the link never arrived"
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        tether::exit(victim, ExitReason::from("boom"));
    });
    let (from, exit_reason, same_ref, down_reason) = heard
        .recv_timeout(Duration::from_secs(10))
        .expect("the watcher heard of the death");
    assert_eq!(from, victim);
    assert_eq!(exit_reason, ExitReason::from("boom"));
    assert!(same_ref, "the DOWN carries the monitor's reference");
    assert_eq!(down_reason, ExitReason::from("boom"));
}

/// `get` and `{add, N}` on the wire.
#[derive(serde::Serialize, serde::Deserialize)]
enum CounterCall {
    Get,
    Add(i64),
}

/// A server whose types are serde types: `serde_wire!` gives both sides of the wire.
struct Counter(i64);

impl GenServer for Counter {
    type Args = ();
    type Call = CounterCall;
    type Cast = CounterCall;
    type Reply = i64;
    type Continue = ();
    async fn init((): ()) -> Init<Self> {
        Init::ok(Counter(0))
    }
    async fn handle_call(&mut self, req: CounterCall, _: &ReplyTo<i64>) -> CallResult<Self> {
        if let CounterCall::Add(n) = req {
            self.0 += n;
        }
        CallResult::reply(self.0)
    }
    async fn handle_cast(&mut self, req: CounterCall) -> CastResult<Self> {
        if let CounterCall::Add(n) = req {
            self.0 += n;
        }
        CastResult::noreply()
    }
    tether::serde_wire!();
}

/// What a client of another version believes the counter to be: its requests are
/// strings, which the counter cannot decode.
struct OtherCounter;

impl GenServer for OtherCounter {
    type Args = ();
    type Call = String;
    type Cast = String;
    type Reply = i64;
    type Continue = ();
    async fn init((): ()) -> Init<Self> {
        Init::ok(OtherCounter)
    }
    tether::serde_wire!(client);
}

/// A typed GenServer called from another Tether node: requests and replies cross as
/// terms with no conversion code, and a request the server cannot decode comes back
/// at once as `{error, {bad_request, Request}}` (a reply this client cannot decode,
/// so `BadReply`), not as a timeout. The server keeps running.
#[test]
fn typed_gen_server_across_nodes_in_one_process() {
    let epmd = free_port();
    let (a, node_a) = node(&unique("ga"), epmd);
    let (b, _node_b) = node(&unique("gb"), epmd);
    let name_a = node_a.name().to_string();
    a.block_on(async {
        gen_server::start::<Counter>((), StartOpts::new().name("counter"))
            .await
            .unwrap();
    });
    b.block_on(async move {
        let a = Node::intern(&name_a).unwrap();
        let counter = ("counter", a);
        let add = |n| gen_server::call::<Counter>(counter, CounterCall::Add(n), Timeout::DEFAULT);
        assert_eq!(add(2).await, Ok(2));
        gen_server::cast::<Counter>(counter, CounterCall::Add(40));
        let started = std::time::Instant::now();
        let bad = gen_server::call::<OtherCounter>(counter, "add".into(), Timeout::DEFAULT).await;
        assert!(
            started.elapsed() < Duration::from_secs(1),
            "answered at once"
        );
        assert_eq!(
            bad,
            Err(CallError::BadReply(
                "{error, {bad_request, <<\"add\">>}}".parse().unwrap()
            ))
        );
        assert_eq!(add(1).await, Ok(43));
    });
}
