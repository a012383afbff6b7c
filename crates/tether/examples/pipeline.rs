//! A Broadway-like pipeline with GenStage: a producer of orders, processors that
//! work on them, and a batcher that writes them out in batches, slowly.
//!
//! Run with `cargo run -p tether --example pipeline`.
//!
//! ```text
//!                        ┌── processor 0 ──┐
//!   orders (producer) ───┼── processor 1 ──┼──> batcher (consumer, batches of 25)
//!    demand dispatcher   └── processor 2 ──┘      writes a batch in 30 ms
//! ```
//!
//! Nothing here tells the producer to slow down: it emits exactly what it is asked
//! for, and the batcher asks for more only after it has written a batch. So the
//! orders in flight (made but not yet written) stay under a bound set by the demands
//! (3 processors × (10 + 20) + a batch of 25 = 115) however many orders there are;
//! the output shows the producer's asks pausing while the batcher writes. Swap the
//! producer's dispatcher for a `PartitionDispatcher` to route orders to processors
//! by key instead of by demand.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use tether::otp::gen_server::StartOpts;
use tether::otp::gen_stage::{self, Emit, GenStage, Init, SubscribeOpts, Subscription};
use tether::{Pid, Runtime};

/// Orders the producer makes in all.
const ORDERS: u64 = 300;
/// Processors between the producer and the batcher.
const PROCESSORS: u64 = 3;
/// `max_demand` of each processor's subscription to the producer (`min_demand` is half).
const PROCESSOR_DEMAND: u64 = 10;
/// `max_demand` of the batcher's subscription to each processor.
const BATCHER_DEMAND: u64 = 20;
/// Orders per batch.
const BATCH_SIZE: usize = 25;
/// How long writing a batch takes.
const BATCH_TIME: Duration = Duration::from_millis(30);

/// The most orders that can be in flight: every subscription's demand, and a batch
/// being filled.
pub const IN_FLIGHT_BOUND: u64 =
    PROCESSORS * (PROCESSOR_DEMAND + BATCHER_DEMAND) + BATCH_SIZE as u64;

/// Orders made so far, and written so far.
static PRODUCED: AtomicU64 = AtomicU64::new(0);
static WRITTEN: AtomicU64 = AtomicU64::new(0);
/// The most orders in flight seen by the producer.
static MAX_IN_FLIGHT: AtomicU64 = AtomicU64::new(0);
/// How many times the producer was asked.
static ASKS: AtomicU64 = AtomicU64::new(0);

/// The producer: order numbers 1, 2, 3, ... up to [`ORDERS`], as far as asked.
struct Orders {
    next: u64,
}

impl GenStage for Orders {
    type Args = ();
    type In = ();
    type Out = u64;
    type Call = ();
    type Cast = ();
    type Reply = ();

    async fn init(_: ()) -> Init<Self> {
        Init::producer(Orders { next: 1 })
    }

    async fn handle_demand(&mut self, demand: u64) -> Emit<u64> {
        let last = (self.next + demand).min(ORDERS + 1);
        let orders: Vec<u64> = (self.next..last).collect();
        self.next = last;
        ASKS.fetch_add(1, Ordering::Relaxed);
        let produced =
            PRODUCED.fetch_add(orders.len() as u64, Ordering::Relaxed) + orders.len() as u64;
        let in_flight = produced - WRITTEN.load(Ordering::Relaxed);
        MAX_IN_FLIGHT.fetch_max(in_flight, Ordering::Relaxed);
        println!(
            "producer  asked for {demand:>2}, made {:>2}: {produced:>3} made, {in_flight:>3} in flight",
            orders.len()
        );
        Emit::events(orders)
    }
}

/// A processed order: its number, its price, and which processor did it.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
struct Priced {
    order: u64,
    cents: u64,
    processor: u64,
}

/// A processor: prices each order.
struct Processor(u64);

impl GenStage for Processor {
    type Args = u64;
    type In = u64;
    type Out = Priced;
    type Call = ();
    type Cast = ();
    type Reply = ();

    async fn init(index: u64) -> Init<Self> {
        Init::producer_consumer(Processor(index))
    }

    async fn handle_events(&mut self, orders: Vec<u64>, _: &Subscription) -> Emit<Priced> {
        let priced = orders
            .into_iter()
            .map(|order| Priced {
                order,
                cents: 100 + order * 37 % 1000,
                processor: self.0,
            })
            .collect();
        Emit::events(priced)
    }
}

/// What the pipeline did, for `main` to print and the example's test to check.
#[derive(Debug)]
pub struct Summary {
    /// Orders written (each once).
    pub written: u64,
    /// Sum of the order numbers written.
    pub order_sum: u64,
    /// Batches written.
    pub batches: u64,
    /// The most orders in flight at once.
    pub max_in_flight: u64,
    /// How many times the producer was asked for orders.
    pub asks: u64,
}

/// The batcher: fills batches and writes each (slowly); tells `done` when all
/// [`ORDERS`] are written.
struct Batcher {
    done: Pid,
    batch: Vec<Priced>,
    batches: u64,
    order_sum: u64,
}

impl Batcher {
    async fn write(&mut self) {
        let batch = std::mem::take(&mut self.batch);
        tether::sleep(BATCH_TIME).await;
        self.batches += 1;
        self.order_sum += batch.iter().map(|p| p.order).sum::<u64>();
        let written = WRITTEN.fetch_add(batch.len() as u64, Ordering::Relaxed) + batch.len() as u64;
        let mut per_processor = [0; PROCESSORS as usize];
        for p in &batch {
            per_processor[p.processor as usize] += 1;
        }
        let cents: u64 = batch.iter().map(|p| p.cents).sum();
        println!(
            "batcher   batch {:>2}: {} orders ({per_processor:?} from each processor), {cents} cents: {written:>3} written",
            self.batches,
            batch.len(),
        );
    }
}

impl GenStage for Batcher {
    type Args = Pid;
    type In = Priced;
    type Out = ();
    type Call = ();
    type Cast = ();
    type Reply = ();

    async fn init(done: Pid) -> Init<Self> {
        Init::consumer(Batcher {
            done,
            batch: Vec::new(),
            batches: 0,
            order_sum: 0,
        })
    }

    async fn handle_events(&mut self, priced: Vec<Priced>, _: &Subscription) -> Emit<()> {
        for p in priced {
            self.batch.push(p);
            if self.batch.len() == BATCH_SIZE {
                self.write().await;
            }
        }
        let received = WRITTEN.load(Ordering::Relaxed) + self.batch.len() as u64;
        if received == ORDERS {
            if !self.batch.is_empty() {
                self.write().await;
            }
            let summary = Summary {
                written: WRITTEN.load(Ordering::Relaxed),
                order_sum: self.order_sum,
                batches: self.batches,
                max_in_flight: MAX_IN_FLIGHT.load(Ordering::Relaxed),
                asks: ASKS.load(Ordering::Relaxed),
            };
            let _ = tether::send(self.done, summary);
        }
        Emit::none()
    }
}

/// Starts the pipeline and waits until every order is written.
pub fn run() -> Summary {
    Runtime::new().expect("runtime").block_on(async {
        let orders = gen_stage::start_link::<Orders>((), StartOpts::new())
            .await
            .expect("producer");
        let batcher = gen_stage::start_link::<Batcher>(tether::self_pid(), StartOpts::new())
            .await
            .expect("batcher");
        for i in 0..PROCESSORS {
            let processor = gen_stage::start_link::<Processor>(i, StartOpts::new())
                .await
                .expect("processor");
            let to_batcher = SubscribeOpts::new().max_demand(BATCHER_DEMAND);
            gen_stage::sync_subscribe(batcher.pid(), processor.pid(), to_batcher)
                .await
                .expect("subscribe the batcher");
            let to_producer = SubscribeOpts::new().max_demand(PROCESSOR_DEMAND);
            gen_stage::sync_subscribe(processor.pid(), orders.pid(), to_producer)
                .await
                .expect("subscribe a processor");
        }
        tether::receive::<Summary>().await
    })
}

#[allow(dead_code)] // the example's test includes this file and calls `run`
fn main() {
    let s = run();
    println!(
        "\n{} orders written in {} batches; the producer was asked {} times and at most \
         {} orders were in flight (bound {IN_FLIGHT_BOUND}): it made only what the \
         batcher could take.",
        s.written, s.batches, s.asks, s.max_in_flight
    );
}
