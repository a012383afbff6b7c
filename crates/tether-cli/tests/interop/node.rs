//! A Tether node for an interop test binary, and an Erlang *agent* to drive BEAM peers.
//!
//! A test binary runs one Tether node (the node identity is process-wide), shared by
//! its tests: [`node`] starts it once, on one runtime, with its own embedded EPMD on
//! a free port; BEAM peers started with [`beam`] register with that EPMD
//! (`ERL_EPMD_PORT`, `-start_epmd false`), so nothing collides with other tests on
//! the machine.
//!
//! A BEAM peer started with [`beam`] runs an `agent`: a registered process that
//! evaluates Erlang expressions sent as `{From, Ref, Code}` and answers
//! `{Ref, {ok, Value}}` or `{Ref, {Class, Reason}}`. [`eval`] sends one; that drives
//! the BEAM side of each scenario from Rust.
#![allow(dead_code)]

use std::future::Future;
use std::sync::OnceLock;
use std::time::Duration;

use tether::dist::{self, DistNode, EpmdMode, NodeConfig};
use tether::{Message, Node, Runtime, Term};

use super::{Beam, BeamSpec, init_tracing};

/// The cookie every peer of a test binary uses.
pub const COOKIE: &str = "tether_interop_cookie";
/// Default time allowed for one step.
pub const T: Duration = Duration::from_secs(15);

static VISIBLE: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Makes this binary's node visible (it is hidden otherwise). Call before the first
/// [`run`]; every test of a binary that wants a visible node calls it.
pub fn visible() {
    VISIBLE.store(true, std::sync::atomic::Ordering::SeqCst);
}

struct Env {
    rt: Runtime,
    node: DistNode,
    epmd_port: u16,
}

fn env() -> &'static Env {
    static ENV: OnceLock<Env> = OnceLock::new();
    ENV.get_or_init(|| {
        init_tracing();
        let rt = Runtime::builder().worker_threads(2).build().unwrap();
        let epmd_port = super::free_port();
        let name = super::unique("tether");
        let node = rt.block_on(async move {
            let cfg = NodeConfig::new(name);
            let cfg = if VISIBLE.load(std::sync::atomic::Ordering::SeqCst) {
                cfg.visible()
            } else {
                cfg.hidden()
            };
            let cfg = cfg
                .cookie(COOKIE)
                .listen("127.0.0.1".parse().unwrap())
                .epmd(EpmdMode::Embedded)
                .epmd_port(epmd_port)
                .net_ticktime(Duration::from_secs(20));
            let node = dist::start(cfg).await.expect("start the Tether node");
            tether_cli::demo::start(&node).await;
            node
        });
        Env {
            rt,
            node,
            epmd_port,
        }
    })
}

/// Serialises scenarios that change cluster-wide state (global names, pg groups,
/// nodes joining and being killed): with OTP 25's `prevent_overlapping_partitions`,
/// a node killed by one scenario makes `global` disconnect nodes that a concurrent
/// scenario is using. Hold the guard for the whole test.
pub fn one_at_a_time() -> std::sync::MutexGuard<'static, ()> {
    static SCENARIO: std::sync::Mutex<()> = std::sync::Mutex::new(());
    SCENARIO.lock().unwrap_or_else(|e| e.into_inner())
}

#[allow(unused_imports)]
pub use super::eventually::{eventually, eventually_some};

/// A Tether process that lives until it receives any term (or is killed).
pub fn sleeper() -> tether::Pid {
    tether::spawn(async {
        let _: Term = tether::receive().await;
    })
}

/// Runs a test body as a process on the shared runtime of this test binary's node.
pub fn run<F>(f: F) -> F::Output
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    env().rt.block_on(f)
}

/// This binary's Tether node.
pub fn node() -> DistNode {
    env().node.clone()
}

/// The EPMD port of this binary (served by the Tether node).
pub fn epmd_port() -> u16 {
    env().epmd_port
}

/// Our node name as a quoted Erlang atom.
pub fn me() -> String {
    format!("'{}'", node().name())
}

/// Erlang code of the agent loop, run by `-eval`.
pub const AGENT: &str = r#"
Eval = fun(Code) ->
    {ok, Toks, _} = erl_scan:string(Code),
    {ok, Exprs} = erl_parse:parse_exprs(Toks),
    {value, V, _} = erl_eval:exprs(Exprs, []),
    V
end,
Loop = fun L() ->
    receive
        {From, Ref, Code} ->
            spawn(fun() ->
                R = try {ok, Eval(Code)} catch C:E -> {C, E} end,
                From ! {Ref, R}
            end),
            L()
    end
end,
register(agent, spawn(Loop)),
io:format("agent ready~n"),
receive after infinity -> ok end.
"#;

/// Starts an `erl` peer running the agent, registered with our EPMD.
pub async fn beam(prefix: &str) -> (Beam, Node) {
    beam_with(prefix, COOKIE, &[]).await
}

/// [`beam`] with a cookie and extra `erl` arguments.
pub async fn beam_with(prefix: &str, cookie: &str, args: &[&str]) -> (Beam, Node) {
    let mut spec = BeamSpec::erl(prefix, cookie, Some(epmd_port()), AGENT);
    spec.args = args.iter().map(|s| s.to_string()).collect();
    let mut b = Beam::start(&spec);
    b.wait_line("agent ready", T).await;
    let n = Node::intern(&b.node).unwrap();
    (b, n)
}

/// Evaluates Erlang `code` on `beam` through its agent; panics on an exception.
pub async fn eval(beam: Node, code: &str) -> Term {
    match try_eval(beam, code).await {
        Ok(v) => v,
        Err(e) => panic!("{code} raised {e}"),
    }
}

/// Evaluates Erlang `code` on `beam`; `Err` holds `{Class, Reason}`.
pub async fn try_eval(beam: Node, code: &str) -> Result<Term, Term> {
    try_eval_timeout(beam, code, T).await
}

/// [`try_eval`] with a timeout.
pub async fn try_eval_timeout(beam: Node, code: &str, t: Duration) -> Result<Term, Term> {
    let r = tether::make_ref();
    let me = tether::self_pid();
    let req = Term::tuple([Term::Pid(me), Term::Ref(r), Term::charlist(code)]);
    tether::send(("agent", beam), req).unwrap();
    let m = tether::receive_select_timeout(t, |m: &Message| {
        matches!(m.downcast_ref::<Term>().and_then(Term::as_tuple), Some([Term::Ref(x), _]) if *x == r)
    })
    .await
    .unwrap_or_else(|| panic!("no answer from {beam} to {code}"));
    let t = m.downcast::<Term>().unwrap();
    let res = t.as_tuple().unwrap()[1].clone();
    match res.as_tuple() {
        Some([ok, v]) if ok.is_atom("ok") => Ok(v.clone()),
        _ => Err(res),
    }
}

/// Parses Erlang term syntax.
pub fn term(text: &str) -> Term {
    text.parse()
        .unwrap_or_else(|e| panic!("bad term {text}: {e}"))
}
