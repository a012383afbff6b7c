//! `numbers` and `sink`: the GenStage stages of `tether node`, for Elixir code to
//! subscribe to and to feed.
//!
//! - `numbers`, a producer: consecutive integers from 0, exactly as many as asked,
//!   through the demand dispatcher. `GenStage.sync_subscribe(consumer, to:
//!   {:numbers, node})` in Elixir.
//! - `sink`, a consumer that counts what it gets: `GenStage.sync_subscribe({:sink,
//!   node}, to: producer)` in Elixir, then `GenServer.call({:sink, node}, :stats)`
//!   answers `{Count, Sum}` (`{0, 0}` at start).

use serde::Deserialize;
use tether::gen_server::ReplyTo;
use tether::otp::gen_stage::{CallResult, Emit, GenStage, Init, Subscription};
use tether::{Term, from_term_ref};

/// The `numbers` producer; its state is the next number.
#[derive(Debug, Default)]
pub struct Numbers(i64);

impl GenStage for Numbers {
    type Args = ();
    type In = ();
    type Out = i64;
    type Call = ();
    type Cast = ();
    type Reply = ();

    async fn init((): ()) -> Init<Self> {
        Init::producer(Numbers(0))
    }

    async fn handle_demand(&mut self, demand: u64) -> Emit<i64> {
        let n = i64::try_from(demand).unwrap_or(i64::MAX);
        let events = (self.0..self.0.saturating_add(n)).collect();
        self.0 = self.0.saturating_add(n);
        Emit::events(events)
    }
}

/// What `sink` answers: `:stats`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SinkCall {
    /// `{Count, Sum}` of the events received so far.
    Stats,
}

/// The `sink` consumer: how many events it got, and their sum.
#[derive(Debug, Default)]
pub struct Sink {
    count: i64,
    sum: i64,
}

impl GenStage for Sink {
    type Args = ();
    type In = i64;
    type Out = ();
    type Call = SinkCall;
    type Cast = ();
    type Reply = (i64, i64);

    async fn init((): ()) -> Init<Self> {
        Init::consumer(Sink::default())
    }

    async fn handle_events(&mut self, events: Vec<i64>, _: &Subscription) -> Emit<()> {
        self.count += events.len() as i64;
        self.sum = events.iter().fold(self.sum, |s, e| s.wrapping_add(*e));
        Emit::none()
    }

    async fn handle_call(
        &mut self,
        SinkCall::Stats: SinkCall,
        _: &ReplyTo<(i64, i64)>,
    ) -> CallResult<Self> {
        CallResult::reply((self.count, self.sum))
    }

    fn decode_call(request: &Term) -> Option<SinkCall> {
        request.as_atom()?;
        from_term_ref(request).ok()
    }

    fn encode_reply(&(count, sum): &(i64, i64)) -> Option<Term> {
        Some(Term::tuple([Term::from(count), Term::from(sum)]))
    }
}
