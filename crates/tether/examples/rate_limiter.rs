//! A rate limiter: a GenServer that keeps a token bucket per client.
//!
//! Run with `cargo run -p tether --example rate_limiter`.
//!
//! Each client key has a bucket of `CAPACITY` tokens that refills by one token every
//! `REFILL_EVERY`. A request takes a token if there is one (`Allowed`), else it is
//! refused with the time until the next token (`Denied { retry_after }`). Buckets are
//! refilled lazily, from the time elapsed, when their key asks: no timers, and an idle
//! key costs nothing but its entry. One server serialises all the decisions, so two
//! clients racing for the last token cannot both get it.
//!
//! Three clients run at once: `burst` asks 12 times in a row and is cut off at the
//! bucket's capacity; `polite` asks 8 times and waits `retry_after` whenever it is
//! refused, so all of its requests go through; `quiet` asks once, in the middle of
//! the others' traffic, and is not affected by them. The requests and replies are
//! serde types and the server has `serde_wire!()`, so an Erlang or Elixir node can ask
//! it too: `GenServer.call({:rate_limiter, node}, {:acquire, "api-key"})`.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use tether::Runtime;
use tether::otp::gen_server::{self, CallResult, GenServer, Init, ReplyTo, StartOpts, Timeout};

/// Tokens in a full bucket: the burst a client may make.
pub const CAPACITY: u32 = 5;
/// One token comes back this often: the sustained rate.
pub const REFILL_EVERY: Duration = Duration::from_millis(50);

/// A request: `{acquire, Key}` on the wire.
#[derive(Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Request {
    /// Take a token from `key`'s bucket.
    Acquire(String),
}

/// The answer: `{allowed, Remaining}` or `{denied, RetryAfterMs}` on the wire.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(rename_all = "snake_case")]
pub enum Decision {
    /// Go ahead; this many tokens are left.
    Allowed(u32),
    /// Not now; a token comes back in this many milliseconds.
    Denied(u64),
}

struct Bucket {
    tokens: u32,
    /// When the last token was added (or the bucket was full).
    refilled_at: Instant,
}

/// The server's state: a bucket per key.
pub struct RateLimiter {
    buckets: HashMap<String, Bucket>,
}

impl RateLimiter {
    fn acquire(&mut self, key: String, now: Instant) -> Decision {
        let bucket = self.buckets.entry(key).or_insert(Bucket {
            tokens: CAPACITY,
            refilled_at: now,
        });
        // Whole tokens earned since the last refill; the remainder is kept by moving
        // `refilled_at` on by exactly that many periods.
        let earned = (now - bucket.refilled_at).as_nanos() / REFILL_EVERY.as_nanos();
        if earned > 0 {
            let earned = u32::try_from(earned).unwrap_or(u32::MAX);
            bucket.tokens = bucket.tokens.saturating_add(earned).min(CAPACITY);
            bucket.refilled_at = if bucket.tokens == CAPACITY {
                now
            } else {
                bucket.refilled_at + REFILL_EVERY * earned
            };
        }
        if bucket.tokens > 0 {
            if bucket.tokens == CAPACITY {
                // The refill clock starts when the first token is taken from a full bucket.
                bucket.refilled_at = now;
            }
            bucket.tokens -= 1;
            Decision::Allowed(bucket.tokens)
        } else {
            let wait = REFILL_EVERY.saturating_sub(now - bucket.refilled_at);
            Decision::Denied(wait.as_millis() as u64 + 1)
        }
    }
}

impl GenServer for RateLimiter {
    type Args = ();
    type Call = Request;
    type Cast = ();
    type Reply = Decision;
    type Continue = ();

    async fn init((): ()) -> Init<Self> {
        Init::ok(RateLimiter {
            buckets: HashMap::new(),
        })
    }

    async fn handle_call(&mut self, req: Request, _: &ReplyTo<Decision>) -> CallResult<Self> {
        let Request::Acquire(key) = req;
        CallResult::reply(self.acquire(key, Instant::now()))
    }

    tether::serde_wire!();
}

/// Asks the limiter registered as `rate_limiter` for a token for `key`.
pub async fn acquire(key: &str) -> Decision {
    gen_server::call::<RateLimiter>(
        "rate_limiter",
        Request::Acquire(key.into()),
        Timeout::DEFAULT,
    )
    .await
    .expect("the rate limiter answers")
}

/// What one client saw.
#[derive(Debug, Clone)]
pub struct ClientLog {
    /// Requests allowed.
    pub allowed: u32,
    /// Requests denied.
    pub denied: u32,
    /// The decisions, in order.
    pub decisions: Vec<Decision>,
    /// From the first request to the last answer.
    pub elapsed: Duration,
    started: Instant,
}

impl ClientLog {
    fn started() -> ClientLog {
        ClientLog {
            allowed: 0,
            denied: 0,
            decisions: Vec::new(),
            elapsed: Duration::ZERO,
            started: Instant::now(),
        }
    }

    fn record(&mut self, d: Decision) {
        match d {
            Decision::Allowed(_) => self.allowed += 1,
            Decision::Denied(_) => self.denied += 1,
        }
        self.decisions.push(d);
    }

    fn done(mut self) -> ClientLog {
        self.elapsed = self.started.elapsed();
        self
    }
}

/// What the three clients saw.
#[derive(Debug)]
pub struct Summary {
    /// 12 requests in a row, no waiting.
    pub burst: ClientLog,
    /// 8 requests, each retried after `retry_after` until allowed.
    pub polite: ClientLog,
    /// 1 request.
    pub quiet: ClientLog,
}

/// `burst`: 12 requests in a row, no waiting.
async fn burst() -> ClientLog {
    let mut log = ClientLog::started();
    for _ in 0..12 {
        log.record(acquire("burst").await);
    }
    log.done()
}

/// `polite`: 8 requests, each refusal waited out for its `retry_after`.
async fn polite() -> ClientLog {
    let mut log = ClientLog::started();
    while log.allowed < 8 {
        let decision = acquire("polite").await;
        log.record(decision.clone());
        if let Decision::Denied(ms) = decision {
            tether::sleep(Duration::from_millis(ms)).await;
        }
    }
    log.done()
}

/// `quiet`: one request, a little after the others started.
async fn quiet() -> ClientLog {
    tether::sleep(Duration::from_millis(5)).await;
    let mut log = ClientLog::started();
    log.record(acquire("quiet").await);
    log.done()
}

/// Starts the limiter, runs the three clients at once, and returns their logs.
pub fn run() -> Summary {
    Runtime::new().expect("runtime").block_on(async {
        gen_server::start_link::<RateLimiter>((), StartOpts::new().name("rate_limiter"))
            .await
            .expect("rate limiter");
        let me = tether::self_pid();
        tether::spawn(async move { tether::send(me, ("burst", burst().await)).unwrap() });
        tether::spawn(async move { tether::send(me, ("polite", polite().await)).unwrap() });
        tether::spawn(async move { tether::send(me, ("quiet", quiet().await)).unwrap() });
        let mut logs = HashMap::new();
        for _ in 0..3 {
            let (name, log): (&str, ClientLog) = tether::receive().await;
            println!(
                "{name:>6}: {} allowed, {} denied in {:?}: {:?}",
                log.allowed, log.denied, log.elapsed, log.decisions
            );
            logs.insert(name, log);
        }
        Summary {
            burst: logs.remove("burst").unwrap(),
            polite: logs.remove("polite").unwrap(),
            quiet: logs.remove("quiet").unwrap(),
        }
    })
}

#[allow(dead_code)] // the example's test includes this file and calls `run`
fn main() {
    let s = run();
    println!(
        "\nbucket of {CAPACITY}, one token back every {REFILL_EVERY:?}: the burst got {} of 12, \
         the polite client all 8 after {} refusals, the quiet one {:?}.",
        s.burst.allowed, s.polite.denied, s.quiet.decisions[0]
    );
}
