//! GenServer call round trip: one client calling one server in a loop.
//!
//! Measures nanoseconds per `call` (request sent, handled, reply received) on a
//! Tether runtime with 1 and 2 worker threads. The BEAM's `gen_server:call` takes
//! about 1.55 µs on this kind of machine; a raw tokio request/reply about 270 ns.

use std::time::{Duration, Instant};

use tether::Runtime;
use tether::otp::gen_server::{self, CallResult, GenServer, Init, ReplyTo, StartOpts};

/// A counter: each call adds one and replies with the total.
struct Counter(u64);

impl GenServer for Counter {
    type Args = ();
    type Call = u64;
    type Cast = ();
    type Reply = u64;
    type Continue = ();

    async fn init(_: ()) -> Init<Self> {
        Init::ok(Counter(0))
    }

    async fn handle_call(&mut self, n: u64, _: &ReplyTo<u64>) -> CallResult<Self> {
        self.0 += n;
        CallResult::reply(self.0)
    }
}

/// Nanoseconds per call with `threads` workers, best of a few rounds.
fn ns_per_call(threads: usize, calls: u64) -> f64 {
    let rt = Runtime::builder()
        .worker_threads(threads)
        .build()
        .expect("runtime");
    rt.block_on(async move {
        let server = gen_server::start::<Counter>((), StartOpts::new())
            .await
            .expect("start");
        for _ in 0..calls / 10 {
            server.call(1).await.expect("warm-up call");
        }
        let mut best = Duration::MAX;
        for _ in 0..5 {
            let t = Instant::now();
            for _ in 0..calls {
                server.call(1).await.expect("call");
            }
            best = best.min(t.elapsed());
        }
        best.as_nanos() as f64 / calls as f64
    })
}

/// Runs the workload: `(name, value, unit)` rows.
pub fn run() -> Vec<(String, f64, String)> {
    let calls = std::env::var("CALLS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(200_000);
    let threads: Vec<usize> = match std::env::var("THREADS") {
        Ok(t) => t.split(',').filter_map(|n| n.parse().ok()).collect(),
        Err(_) => vec![1, 2],
    };
    threads
        .into_iter()
        .map(|t| {
            (
                format!("gen_server call, {t} thread(s)"),
                ns_per_call(t, calls),
                "ns/call".to_string(),
            )
        })
        .collect()
}
