//! Two nodes in one OS process: each runtime is a node, and two of them connect over
//! loopback exactly as two OS processes do (EPMD, handshake, the wire), so cluster
//! tests need no child processes. The interop suites keep testing against real `erl`
//! and `elixir` nodes; this one tests Tether against itself without them.

use std::time::Duration;

use tether::dist::{self, DistNode, EpmdMode, NodeConfig, NodeKind};
use tether::otp::gen_server::{
    self, CallError, CallResult, CastResult, GenServer, Init, ReplyTo, StartOpts, Timeout,
};
use tether::otp::gen_stage::{self, CallResult as StageCallResult, Emit, GenStage};
use tether::{ExitReason, Node, Pid, Runtime, Term};

#[path = "common/eventually.rs"]
mod eventually;
#[path = "common/names.rs"]
mod names;

use eventually::eventually;
use names::{free_port, unique};

const COOKIE: &str = "in_process_cookie";

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

/// Whether two pids name the same process. A pid one runtime handed another through
/// memory carries the first runtime's own view of its node; the same pid read from
/// the wire carries the node as everyone else knows it (`Node::canonical`).
fn same_process(a: Pid, b: Pid) -> bool {
    (a.node.name(), a.id, a.serial) == (b.node.name(), b.id, b.serial)
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
        assert_eq!(echo_a.node.canonical(), a);
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
        while !tether::process_info(victim)
            .is_some_and(|i| i.links.iter().any(|l| same_process(*l, watcher)))
        {
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
    assert!(same_process(from, victim), "{from:?} is {victim:?}");
    assert_eq!(exit_reason, ExitReason::from("boom"));
    assert!(same_ref, "the DOWN carries the monitor's reference");
    assert_eq!(down_reason, ExitReason::from("boom"));
}

/// `{is_auth, Node}` to `net_kernel` on `node`, as `net_adm:ping/1` does: `pong` or `pang`.
async fn ping(node: Node) -> &'static str {
    let req = Term::tuple([Term::atom("is_auth"), Term::Atom(Node::local().name())]);
    match dist::call(("net_kernel", node), req, Duration::from_secs(5)).await {
        Ok(t) if t.is_atom("yes") => "pong",
        _ => "pang",
    }
}

/// Spawns a process that watches `node` (`monitor_node`) and forwards what it hears.
async fn watch(node: Node) -> std::sync::mpsc::Receiver<dist::NodeEvent> {
    let (tx, rx) = std::sync::mpsc::channel();
    let (ready_tx, ready) = tokio::sync::oneshot::channel();
    tether::spawn(async move {
        dist::monitor_node(node, true).unwrap();
        ready_tx.send(()).unwrap();
        loop {
            let event: dist::NodeEvent = tether::receive().await;
            if tx.send(event).is_err() {
                return;
            }
        }
    });
    ready.await.unwrap();
    rx
}

#[test]
fn a_stopped_node_is_down_at_once_and_starts_again_under_its_name() {
    let epmd = free_port();
    // `b` serves the EPMD in-process and outlives the incarnations of `a`.
    let (b, _node_b) = node(&unique("sb"), epmd);
    let name_a = unique("sa");
    let (a, node_a) = node(&name_a, epmd);
    let full_a = node_a.name().to_string();

    let (a_node, events) = b.block_on(async move {
        let a = Node::intern(&full_a).unwrap();
        assert_eq!(ping(a).await, "pong");
        (a, watch(a).await)
    });
    a.block_on(async move {
        node_a.stop().await;
        assert!(DistNode::get().is_none());
        assert_eq!(Node::local().name().as_str(), "nonode@nohost");
    });
    // The peer hears `nodedown` when the connection closes, long before a tick
    // timeout (60 s here) could tell it.
    let down = events.recv_timeout(Duration::from_secs(5));
    assert_eq!(down, Ok(dist::NodeEvent::Down(a_node)));
    let alive = name_a.clone();
    b.block_on(async move {
        assert!(!dist::nodes(NodeKind::Connected).contains(&a_node));
        let epmd = dist::epmd::EpmdClient::new(([127, 0, 0, 1], epmd).into());
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        while epmd.names().await.unwrap().iter().any(|(n, _)| *n == alive) {
            assert!(std::time::Instant::now() < deadline, "a never left epmd");
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    });
    drop(a);

    // The same name again, in a new runtime of this OS process: for `b` it is the
    // same node as before.
    let (a2, node_a2) = node(&name_a, epmd);
    assert_eq!(node_a2.name().to_string(), a_node.name().as_str());
    a2.block_on(async { echo() });
    let events = b.block_on(async move {
        assert_eq!(ping(a_node).await, "pong");
        let me = tether::self_pid();
        tether::send(("echo", a_node), call_term(me, Term::atom("again"))).unwrap();
        assert_eq!(tether::receive::<Term>().await, Term::atom("again"));
        watch(a_node).await
    });
    // Dropping the runtime stops its node the same way.
    drop(a2);
    let down = events.recv_timeout(Duration::from_secs(5));
    assert_eq!(down, Ok(dist::NodeEvent::Down(a_node)));
}

#[test]
fn kernel_services_are_supervised_and_restarted() {
    let epmd = free_port();
    let (a, _node_a) = node(&unique("ka"), epmd);
    let (b, node_b) = node(&unique("kb"), epmd);
    let full_b = node_b.name().to_string();
    // A global name registered on b, known to a.
    let owner = b.block_on(async {
        let owner = tether::spawn(std::future::pending::<()>());
        assert!(tether::kernel::global::register_name(Term::atom("kernel_test_name"), owner).await);
        owner
    });
    let full = full_b.clone();
    a.block_on(async move {
        let b_node = Node::intern(&full).unwrap();
        assert_eq!(ping(b_node).await, "pong");
        tether::kernel::global::sync().await;
        let seen = tether::kernel::global::whereis_name(Term::atom("kernel_test_name")).unwrap();
        assert!(same_process(seen, owner));
    });
    // Kill each kernel service of b in turn: the kernel supervisor restarts it.
    for service in ["net_kernel", "rex", "global_name_server", "pg"] {
        b.block_on(async move {
            let old = tether::whereis(service).unwrap_or_else(|| panic!("{service} runs"));
            let kernel = tether::whereis("kernel_sup").expect("kernel_sup runs");
            assert!(tether::process_info(old).unwrap().links.contains(&kernel));
            tether::exit(old, ExitReason::Kill);
            eventually(service, || async move {
                tether::whereis(service).is_some_and(|p| p != old)
            })
            .await;
        });
    }
    // From a: b's restarted net_kernel answers pings and its rex answers rpc (with
    // `badrpc` for a function b does not export, rather than silence).
    a.block_on(async move {
        let b_node = Node::intern(&full_b).unwrap();
        assert_eq!(ping(b_node).await, "pong");
        let r = dist::rpc::call(b_node, "nowhere", "nothing", vec![], Duration::from_secs(5)).await;
        assert!(matches!(r, Err(dist::RpcError::BadRpc(_))), "{r:?}");
    });
    // b's restarted name server still holds the name it had, and registers new ones
    // with a as before.
    let late = b.block_on(async move {
        assert_eq!(
            tether::kernel::global::whereis_name(Term::atom("kernel_test_name")),
            Some(owner)
        );
        tether::kernel::global::sync().await;
        let late = tether::spawn(std::future::pending::<()>());
        assert!(tether::kernel::global::register_name(Term::atom("after_restart"), late).await);
        late
    });
    a.block_on(async move {
        tether::kernel::global::sync().await;
        let seen = tether::kernel::global::whereis_name(Term::atom("after_restart")).unwrap();
        assert!(same_process(seen, late));
        let seen = tether::kernel::global::whereis_name(Term::atom("kernel_test_name")).unwrap();
        assert!(same_process(seen, owner));
    });
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

/// `{queue, Events}` and `buffered` on the wire.
#[derive(serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
enum QueueCall {
    Queue(Vec<i64>),
    Buffered,
}

/// A producer whose `handle_call` emits what it is called with; its calls and casts
/// cross nodes as terms (the GenStage hooks, written with the serde bridge).
struct Queue(usize);

impl GenStage for Queue {
    type Args = ();
    type In = ();
    type Out = i64;
    type Call = QueueCall;
    type Cast = QueueCall;
    type Reply = usize;
    async fn init((): ()) -> gen_stage::Init<Self> {
        gen_stage::Init::producer(Queue(0))
    }
    async fn handle_demand(&mut self, _: u64) -> Emit<i64> {
        Emit::none()
    }
    async fn handle_call(&mut self, req: QueueCall, _: &ReplyTo<usize>) -> StageCallResult<Self> {
        match req {
            QueueCall::Queue(events) => {
                self.0 += events.len();
                StageCallResult::Reply(events.len(), events)
            }
            QueueCall::Buffered => StageCallResult::reply(self.0),
        }
    }
    async fn handle_cast(&mut self, req: QueueCall) -> Emit<i64> {
        match req {
            QueueCall::Queue(events) => {
                self.0 += events.len();
                Emit::events(events)
            }
            QueueCall::Buffered => Emit::none(),
        }
    }
    fn decode_call(request: &Term) -> Option<QueueCall> {
        gen_server::decode_term(request)
    }
    fn decode_cast(request: &Term) -> Option<QueueCall> {
        gen_server::decode_term(request)
    }
    fn encode_reply(reply: &usize) -> Option<Term> {
        gen_server::encode_term(reply)
    }
    fn encode_call(request: &QueueCall) -> Option<Term> {
        gen_server::encode_term(request)
    }
    fn encode_cast(request: &QueueCall) -> Option<Term> {
        gen_server::encode_term(request)
    }
    fn decode_reply(reply: &Term) -> Option<usize> {
        gen_server::decode_term(reply)
    }
}

/// A stage's `handle_call` from another Tether node: typed (`gen_stage::call` with
/// the stage's own hooks), as a term (`gen_stage::call_term`, as for an Elixir
/// stage; also from its own node), and a typed cast; the events each emits land in the producer's buffer.
/// A type without the hooks gets `NotPortable`, an unknown stage `NoProc`.
#[test]
fn gen_stage_calls_across_nodes_in_one_process() {
    let epmd = free_port();
    let (a, node_a) = node(&unique("sa"), epmd);
    let (b, _node_b) = node(&unique("sb"), epmd);
    let name_a = node_a.name().to_string();
    a.block_on(async {
        gen_stage::start::<Queue>((), StartOpts::new().name("queue"))
            .await
            .unwrap();
        // A term call to a local stage works the same way.
        let local = gen_stage::call_term("queue", Term::atom("buffered"), Timeout::DEFAULT).await;
        assert_eq!(local, Ok(Term::Int(0)));
    });
    b.block_on(async move {
        let a = Node::intern(&name_a).unwrap();
        let queue = ("queue", a);
        let call = |r| gen_stage::call::<Queue>(queue, r, Timeout::DEFAULT);
        assert_eq!(call(QueueCall::Queue(vec![1, 2, 3])).await, Ok(3));
        gen_stage::cast::<Queue>(queue, QueueCall::Queue(vec![4]));
        let request = "{queue, [5, 6]}".parse().unwrap();
        let reply = gen_stage::call_term(queue, request, Timeout::DEFAULT).await;
        assert_eq!(reply, Ok(Term::Int(2)));
        // The cast went before the term call, from the same process: 6 in all.
        assert_eq!(call(QueueCall::Buffered).await, Ok(6));
        assert_eq!(gen_stage::estimate_buffered_count(queue).await, Ok(6));
        let undecodable = gen_stage::call_term(queue, Term::atom("what"), Timeout::DEFAULT).await;
        assert_eq!(
            undecodable,
            Ok("{error, {bad_request, what}}".parse().unwrap())
        );
        let untyped = gen_stage::call::<NoHooks>(queue, (), Timeout::DEFAULT).await;
        assert_eq!(untyped, Err(CallError::NotPortable));
        let nobody = gen_stage::call_term(("nobody", a), Term::atom("x"), Timeout::DEFAULT).await;
        assert_eq!(nobody, Err(CallError::NoProc));
    });
}

/// A stage type with no term form for its calls.
struct NoHooks;

impl GenStage for NoHooks {
    type Args = ();
    type In = ();
    type Out = ();
    type Call = ();
    type Cast = ();
    type Reply = ();
    async fn init((): ()) -> gen_stage::Init<Self> {
        gen_stage::Init::producer(NoHooks)
    }
}

/// Dropping a runtime stops it as `init:stop/0` stops a node: its supervision trees
/// first, each child with `shutdown` in reverse start order, while the connections
/// are still up, so a peer's monitors hear `shutdown` (not `noconnection`); then the
/// node, so the peer hears `nodedown` at once; then the processes left, with
/// `shutdown`.
#[test]
fn a_dropped_runtime_stops_its_supervision_trees_in_order() {
    use tether::otp::supervisor::{self, ChildPid, ChildSpec, Strategy, Supervisor};
    let epmd = free_port();
    let (b, _node_b) = node(&unique("db"), epmd);
    let (a, node_a) = node(&unique("da"), epmd);
    let full_a = node_a.name().to_string();

    let (workers, loner) = a.block_on(async {
        let worker = |id: &'static str| ChildSpec::process(id, std::future::pending);
        let sup = Supervisor::new(Strategy::OneForOne)
            .child(worker("first"))
            .child(worker("second"))
            .start_link()
            .await
            .unwrap();
        tether::unlink(sup);
        let mut workers = Vec::new();
        for child in supervisor::which_children(sup).await.unwrap() {
            let ChildPid::Pid(pid) = child.pid else {
                panic!("{child:?} is not running")
            };
            workers.push(pid);
        }
        let loner = tether::spawn(std::future::pending());
        (workers, loner)
    });
    let (downs, events) = b.block_on(async move {
        let a_node = Node::intern(&full_a).unwrap();
        assert_eq!(ping(a_node).await, "pong");
        let events = watch(a_node).await;
        let (tx, rx) = std::sync::mpsc::channel();
        let (ready_tx, ready) = tokio::sync::oneshot::channel();
        tether::spawn(async move {
            let refs: Vec<_> = workers
                .iter()
                .chain([&loner])
                .map(|p| tether::monitor(*p))
                .collect();
            // The monitors went ahead of this call on the one connection: once it
            // is answered, `a` has set them up.
            assert_eq!(ping(a_node).await, "pong");
            ready_tx.send(()).unwrap();
            for _ in 0..refs.len() {
                let down: tether::Down = tether::receive().await;
                let which = refs.iter().position(|r| *r == down.reference).unwrap();
                tx.send((which, down.reason)).unwrap();
            }
        });
        ready.await.unwrap();
        (rx, events)
    });
    drop(a);
    let t = Duration::from_secs(10);
    // `which_children` lists the newest first: workers[0] is "second".
    assert_eq!(downs.recv_timeout(t), Ok((0, ExitReason::Shutdown)));
    assert_eq!(downs.recv_timeout(t), Ok((1, ExitReason::Shutdown)));
    // The loner ends after the node stopped: its monitor hears of the connection.
    assert_eq!(downs.recv_timeout(t), Ok((2, ExitReason::Noconnection)));
    assert!(matches!(
        events.recv_timeout(t),
        Ok(dist::NodeEvent::Down(_))
    ));
    drop(b);
}

/// A plain library node (no demo services, nothing registered for rpc) answers the
/// read-only functions BEAM tools and Elixir users call first.
#[test]
fn every_node_answers_the_read_only_rpc_built_ins() {
    let epmd = free_port();
    let (a, node_a) = node(&unique("ra"), epmd);
    let (b, node_b) = node(&unique("rb"), epmd);
    let (full_a, full_b) = (node_a.name().to_string(), node_b.name().to_string());
    let echo_a = a.block_on(async { echo() });
    b.block_on(async move {
        let a_node = Node::intern(&full_a).unwrap();
        let t = Duration::from_secs(5);
        let rpc = |m: &'static str, f: &'static str, args: Vec<Term>| {
            dist::rpc::call(a_node, m, f, args, t)
        };
        let whereis = rpc("erlang", "whereis", vec![Term::atom("echo")])
            .await
            .unwrap();
        let Term::Pid(found) = whereis else {
            panic!("whereis(echo) = {whereis}")
        };
        assert!(same_process(found, echo_a));
        let none = rpc("erlang", "whereis", vec![Term::atom("nobody")]).await;
        assert_eq!(none.unwrap(), Term::atom("undefined"));
        let name = rpc("erlang", "node", vec![]).await.unwrap();
        assert_eq!(name, Term::atom(&full_a));
        let nodes = rpc("erlang", "nodes", vec![]).await.unwrap();
        assert_eq!(nodes, Term::list([Term::atom(&full_b)]));
        let registered = rpc("erlang", "registered", vec![]).await.unwrap();
        assert!(registered.as_list().unwrap().contains(&Term::atom("echo")));
        let alive = rpc("erlang", "is_process_alive", vec![Term::Pid(found)]).await;
        assert_eq!(alive.unwrap(), Term::atom("true"));
    });
}

/// A peer address may hold only so many connections in setup: one more is closed at
/// once (while the earlier ones are still waiting), and the slots free up as those
/// end, so real peers get in again.
#[test]
fn silent_connections_from_one_address_are_capped() {
    use tokio::io::AsyncReadExt;
    let epmd = free_port();
    let rt = Runtime::builder().worker_threads(2).build().unwrap();
    let cfg = NodeConfig::new(unique("capped"))
        .cookie(COOKIE)
        .listen("127.0.0.1".parse().unwrap())
        .epmd(EpmdMode::Embedded)
        .epmd_port(epmd)
        .max_pending_handshakes_per_address(2);
    let capped = rt.block_on(async move { dist::start(cfg).await.unwrap() });
    let port = capped.port();
    let (b, _node_b) = node(&unique("peer"), epmd);
    let capped_name = Node::intern(&capped.name().to_string()).unwrap();
    rt.block_on(async move {
        let connect = || tokio::net::TcpStream::connect(("127.0.0.1", port));
        let (first, _second) = (connect().await.unwrap(), connect().await.unwrap());
        let mut third = connect().await.unwrap();
        let mut buf = [0u8; 1];
        // The third is closed without waiting for a handshake timeout ...
        assert_eq!(third.read(&mut buf).await.unwrap(), 0);
        // ... while the first, older, is still open (a timeout would have closed it
        // first).
        assert_eq!(
            first.try_read(&mut buf).map_err(|e| e.kind()),
            Err(std::io::ErrorKind::WouldBlock)
        );
    });
    // The silent connections are gone (once the node has seen them close): a real
    // peer gets in.
    b.block_on(async move {
        eventually("a real peer gets in", || async move {
            ping(capped_name).await == "pong"
        })
        .await
    });
}
