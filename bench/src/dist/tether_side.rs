//! The Tether side of the distribution benchmark: the `sink` and `echo` services, the
//! senders that drive them on any node (Tether or BEAM), and the peer node that the
//! bench binary runs in a child OS process for Tether ↔ Tether.
//!
//! The protocol is the one of `bench/erlang/dist_bench.erl`, so a Tether sender can
//! drive a BEAM sink and a BEAM driver a Tether sink:
//!
//! - sink: `{expect, From, N}`, then `{seq, 1}` … `{seq, N}` (or `{seq, I, Bin}`) in
//!   order; it answers `From ! {done, N, N}`, or `{bad, Last, Msg}` at the first
//!   message out of sequence;
//! - echo: `{From, Msg}` → `From ! Msg`.

use std::io::Read;
use std::time::{Duration, Instant};

use tether::dist::{self, EpmdMode, NodeConfig, TlsConfig};
use tether::{Atom, Node, Pid, Term};

/// How long any one wait may take before the workload is declared broken.
const TIMEOUT: Duration = Duration::from_secs(120);

/// The environment variable that carries a peer's `name|epmd_port|cookie`, then
/// `|cert|key|ca` (PEM files) for a peer that speaks TLS.
pub const PEER_VAR: &str = "TETHER_DIST_BENCH_PEER";

/// Starts and registers `sink` and `echo` on the running node.
pub fn start_services() {
    let sink = tether::spawn(sink());
    tether::register("sink", sink).expect("register sink");
    let echo = tether::spawn(echo());
    tether::register("echo", echo).expect("register echo");
}

/// `{Tag, Pid, Int}` → `(pid, n)` when `Tag` is `tag`.
fn tagged_pid_int(t: &Term, tag: &str) -> Option<(Pid, i64)> {
    match t.as_tuple()? {
        [a, from, n] if a.is_atom(tag) => Some((from.as_pid()?, n.as_i64()?)),
        _ => None,
    }
}

async fn sink() {
    loop {
        let t: Term = tether::receive().await;
        let Some((from, n)) = tagged_pid_int(&t, "expect") else {
            continue;
        };
        let mut last = 0i64;
        let verdict = loop {
            if last == n {
                break Term::tuple([Term::atom("done"), Term::from(n), Term::from(last)]);
            }
            let m: Term = tether::receive().await;
            let next = match m.as_tuple() {
                Some([tag, i] | [tag, i, _]) if tag.is_atom("seq") => i.as_i64(),
                _ => None,
            };
            if next != Some(last + 1) {
                break Term::tuple([Term::atom("bad"), Term::from(last), m]);
            }
            last += 1;
        };
        let _ = tether::send(from, verdict);
    }
}

async fn echo() {
    loop {
        let Term::Tuple(mut v) = tether::receive::<Term>().await else {
            continue;
        };
        let from = match v.as_slice() {
            [from, _] => from.as_pid(),
            _ => None,
        };
        if let Some(from) = from {
            let _ = tether::send(from, v.pop().expect("two elements"));
        }
    }
}

/// Waits for the sink's verdict on `n` messages.
async fn await_done(n: u64) -> Result<(), String> {
    let r = tether::receive_timeout::<Term>(TIMEOUT)
        .await
        .ok_or("no answer from the sink")?;
    let want = Term::tuple([Term::atom("done"), Term::from(n), Term::from(n)]);
    if r == want {
        Ok(())
    } else {
        Err(format!("the sink answered {r}, expected {want}"))
    }
}

/// Sends `n` messages built by `msg(i)` to the sink on `node`; messages per second,
/// timed from the first send to the sink's verdict.
async fn one_way(node: Node, n: u64, msg: impl Fn(u64) -> Term) -> Result<f64, String> {
    let dest = (Atom::new("sink"), node);
    let expect = Term::tuple([
        Term::atom("expect"),
        Term::Pid(tether::self_pid()),
        Term::from(n),
    ]);
    tether::send(dest.clone(), expect).map_err(|e| e.to_string())?;
    let t0 = Instant::now();
    for i in 1..=n {
        tether::send(dest.clone(), msg(i)).map_err(|e| e.to_string())?;
    }
    await_done(n).await?;
    Ok(n as f64 / t0.elapsed().as_secs_f64())
}

/// `n` small messages `{seq, I}` one way: messages per second.
pub async fn small(node: Node, n: u64) -> Result<f64, String> {
    let seq = Term::atom("seq");
    one_way(node, n, |i| Term::tuple([seq.clone(), Term::from(i)])).await
}

/// `n` messages `{seq, I, <<1 KiB>>}` one way: messages per second.
pub async fn bin(node: Node, n: u64) -> Result<f64, String> {
    let seq = Term::atom("seq");
    let payload = Term::binary(vec![7u8; super::BIN_SIZE]);
    one_way(node, n, |i| {
        Term::tuple([seq.clone(), Term::from(i), payload.clone()])
    })
    .await
}

/// `n` round trips of `{Self, {ping, I}}` through the echo on `node`: every round
/// trip's time in microseconds.
pub async fn rtt(node: Node, n: u64) -> Result<Vec<f64>, String> {
    let dest = (Atom::new("echo"), node);
    let me = Term::Pid(tether::self_pid());
    let ping = Term::atom("ping");
    let mut times = Vec::with_capacity(n as usize);
    for i in 1..=n {
        let body = Term::tuple([ping.clone(), Term::from(i)]);
        let t0 = Instant::now();
        tether::send(dest.clone(), Term::tuple([me.clone(), body.clone()]))
            .map_err(|e| e.to_string())?;
        let r = tether::receive_timeout::<Term>(TIMEOUT)
            .await
            .ok_or("no answer from the echo")?;
        times.push(t0.elapsed().as_secs_f64() * 1e6);
        if r != body {
            return Err(format!("the echo answered {r}, expected {body}"));
        }
    }
    Ok(times)
}

/// `k` messages `{seq, I, <<size bytes>>}` one way to the sink on `node` (each sent in
/// fragments), the sender yielding after each send as a process does that awaits
/// anything; meanwhile another process times round trips of small messages through
/// the echo on the same node, over the same connection. Returns MB/s of payload
/// (10⁶ bytes), timed from the first send to the sink's verdict, and the round
/// trips (µs) that ran during the transfer.
pub async fn large(node: Node, k: u64, size: usize) -> Result<(f64, Vec<f64>), String> {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, Ordering};
    let dest = (Atom::new("sink"), node);
    let expect = Term::tuple([
        Term::atom("expect"),
        Term::Pid(tether::self_pid()),
        Term::from(k),
    ]);
    tether::send(dest.clone(), expect).map_err(|e| e.to_string())?;
    let payload = Term::binary(vec![7u8; size]);
    let done = Arc::new(AtomicBool::new(false));
    let (tx, rx) = tokio::sync::oneshot::channel();
    let prober_done = done.clone();
    tether::spawn(async move {
        let echo = (Atom::new("echo"), node);
        let me = Term::Pid(tether::self_pid());
        let mut times = Vec::new();
        let mut i = 0i64;
        let r = loop {
            if prober_done.load(Ordering::SeqCst) {
                break Ok(times);
            }
            i += 1;
            let body = Term::tuple([Term::atom("ping"), Term::from(i)]);
            let t0 = Instant::now();
            if let Err(e) = tether::send(echo.clone(), Term::tuple([me.clone(), body.clone()])) {
                break Err(e.to_string());
            }
            match tether::receive_timeout::<Term>(TIMEOUT).await {
                Some(r) if r == body => times.push(t0.elapsed().as_secs_f64() * 1e6),
                other => break Err(format!("the echo answered {other:?}, expected {body}")),
            }
        };
        let _ = tx.send(r);
    });
    let t0 = Instant::now();
    for i in 1..=k {
        let m = Term::tuple([Term::atom("seq"), Term::from(i), payload.clone()]);
        tether::send(dest.clone(), m).map_err(|e| e.to_string())?;
        tokio::task::yield_now().await;
    }
    let verdict = await_done(k).await;
    let secs = t0.elapsed().as_secs_f64();
    done.store(true, Ordering::SeqCst);
    let times = rx.await.map_err(|_| "the prober died".to_string())??;
    verdict?;
    if times.is_empty() {
        return Err("no round trip completed during the transfer".into());
    }
    Ok(((k as f64) * size as f64 / 1e6 / secs, times))
}

/// The peer's settings, when this process was started as a peer (`--dist-peer`).
pub fn peer_config() -> Option<PeerConfig> {
    if !std::env::args().any(|a| a == "--dist-peer") {
        return None;
    }
    let v = std::env::var(PEER_VAR).unwrap_or_else(|_| panic!("--dist-peer needs {PEER_VAR}"));
    let f: Vec<&str> = v.split('|').collect();
    let (name, port, cookie, tls) = match f.as_slice() {
        [name, port, cookie] => (name, port, cookie, None),
        [name, port, cookie, cert, key, ca] => {
            (name, port, cookie, Some(TlsConfig::new(cert, key, ca)))
        }
        _ => panic!("bad {PEER_VAR}: {v}"),
    };
    Some(PeerConfig {
        name: name.to_string(),
        epmd_port: port.parse().unwrap_or_else(|_| panic!("bad port in {v}")),
        cookie: cookie.to_string(),
        tls,
    })
}

/// The peer node's settings, from [`PEER_VAR`].
pub struct PeerConfig {
    name: String,
    epmd_port: u16,
    cookie: String,
    tls: Option<TlsConfig>,
}

/// Runs the peer node: `sink` and `echo`, registered with the parent's EPMD, until
/// stdin closes (the parent ended or dropped us); then the process exits.
pub fn peer_main(peer: PeerConfig) -> ! {
    std::thread::spawn(|| {
        let _ = std::io::stdin().read_to_end(&mut Vec::new());
        std::process::exit(0);
    });
    let rt = tether::Runtime::builder()
        .worker_threads(2)
        .build()
        .expect("peer runtime");
    rt.block_on(async move {
        let mut cfg = NodeConfig::new(peer.name)
            .cookie(peer.cookie)
            .listen("127.0.0.1".parse().expect("address"))
            .epmd(EpmdMode::External)
            .epmd_port(peer.epmd_port);
        if let Some(tls) = peer.tls {
            cfg = cfg.tls(tls);
        }
        let _node = dist::start(cfg).await.expect("peer node starts");
        start_services();
        println!("dist peer ready");
        std::future::pending::<()>().await
    });
    std::process::exit(0)
}
