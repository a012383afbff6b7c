//! Options: a subscription's ([`SubscribeOpts`], GenStage's `subscription_options`)
//! and the small enums of the stage options.
//!
//! Subscription options travel: the consumer validates `max_demand`, `min_demand`
//! and `cancel`, then sends the whole list to the producer inside
//! `{subscribe, Current, Opts}`, where the producer's `handle_subscribe` and its
//! dispatcher read the rest (`partition`, `selector`, anything of your own). On the
//! wire they are a keyword list, as in Elixir. A [`selector`](SubscribeOpts::selector)
//! is a Rust closure: it works with a producer on the same node only, and is left
//! out of the list sent to another node.

use std::any::Any;
use std::fmt;
use std::sync::Arc;

use tether_term::{Atom, Term};

/// What a consumer does when a subscription is cancelled (by the producer, or
/// because the producer went down): GenStage's `:cancel` subscription option.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum CancelMode {
    /// Stop, with the cancellation's reason (the default).
    #[default]
    Permanent,
    /// Stop unless the reason is `normal`, `shutdown` or `{shutdown, _}`.
    Transient,
    /// Keep running.
    Temporary,
}

impl CancelMode {
    fn atom(self) -> &'static str {
        match self {
            CancelMode::Permanent => "permanent",
            CancelMode::Transient => "transient",
            CancelMode::Temporary => "temporary",
        }
    }

    pub(crate) fn from_term(t: &Term) -> Option<CancelMode> {
        match t.as_atom()? {
            "permanent" => Some(CancelMode::Permanent),
            "transient" => Some(CancelMode::Transient),
            "temporary" => Some(CancelMode::Temporary),
            _ => None,
        }
    }
}

/// A producer's demand mode (GenStage's `:demand` option and `demand/2`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum DemandMode {
    /// Demand reaches `handle_demand` as it arrives (the default).
    #[default]
    Forward,
    /// Demand is stored, each ask separately, until the mode is set to `Forward`.
    Accumulate,
}

impl DemandMode {
    pub(crate) fn to_term(self) -> Term {
        Term::atom(match self {
            DemandMode::Forward => "forward",
            DemandMode::Accumulate => "accumulate",
        })
    }

    pub(crate) fn from_term(t: &Term) -> Option<DemandMode> {
        match t.as_atom()? {
            "forward" => Some(DemandMode::Forward),
            "accumulate" => Some(DemandMode::Accumulate),
            _ => None,
        }
    }
}

/// Which events a full buffer keeps (GenStage's `:buffer_keep`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum BufferKeep {
    /// Keep the oldest, drop new events that do not fit.
    First,
    /// Keep the newest, drop the oldest (the default).
    #[default]
    Last,
}

/// A consumer's options for one subscription (GenStage's `subscription_options`).
///
/// ```
/// use tether::Term;
/// use tether::otp::gen_stage::{CancelMode, SubscribeOpts};
///
/// let opts = SubscribeOpts::new().max_demand(10).min_demand(5).cancel(CancelMode::Temporary);
/// assert_eq!(opts.to_term(), "[{max_demand, 10}, {min_demand, 5}, {cancel, temporary}]".parse::<Term>().unwrap());
/// assert_eq!(opts.get("max_demand"), Some(&Term::Int(10)));
/// ```
#[derive(Clone, Default)]
pub struct SubscribeOpts {
    pairs: Vec<(Atom, Term)>,
    selector: Option<Arc<dyn Any + Send + Sync>>,
}

/// A broadcast selector as stored in [`SubscribeOpts`].
pub(crate) type Selector<E> = Arc<dyn Fn(&E) -> bool + Send + Sync>;

impl SubscribeOpts {
    /// No options: `max_demand` 1000, `min_demand` 500, `cancel` permanent.
    ///
    /// ```
    /// # use tether::otp::gen_stage::*;
    /// # use tether::Term;
    /// let opts = SubscribeOpts::new();
    /// assert_eq!(opts.to_term().to_string(), "[]");
    /// ```
    pub fn new() -> SubscribeOpts {
        SubscribeOpts::default()
    }

    /// The most events in flight for this subscription (at least 1; default 1000).
    ///
    /// ```
    /// # use tether::otp::gen_stage::*;
    /// # use tether::Term;
    /// let opts = SubscribeOpts::new().max_demand(50);
    /// assert_eq!(opts.get("max_demand"), Some(&Term::from(50)));
    /// ```
    pub fn max_demand(self, n: u64) -> SubscribeOpts {
        self.opt("max_demand", Term::from(n))
    }

    /// Ask again when the events in flight fall to this many (below `max_demand`;
    /// default half of it).
    ///
    /// ```
    /// # use tether::otp::gen_stage::*;
    /// # use tether::Term;
    /// let opts = SubscribeOpts::new().max_demand(50).min_demand(10);
    /// assert_eq!(opts.get("min_demand"), Some(&Term::from(10)));
    /// ```
    pub fn min_demand(self, n: u64) -> SubscribeOpts {
        self.opt("min_demand", Term::from(n))
    }

    /// What to do when the subscription is cancelled (default
    /// [`CancelMode::Permanent`]).
    ///
    /// ```
    /// # use tether::otp::gen_stage::*;
    /// # use tether::Term;
    /// let opts = SubscribeOpts::new().cancel(CancelMode::Temporary);
    /// assert_eq!(opts.get("cancel"), Some(&Term::atom("temporary")));
    /// ```
    pub fn cancel(self, mode: CancelMode) -> SubscribeOpts {
        self.opt("cancel", Term::atom(mode.atom()))
    }

    /// The partition to consume, with a producer using the
    /// [`PartitionDispatcher`](super::PartitionDispatcher).
    ///
    /// ```
    /// # use tether::otp::gen_stage::*;
    /// # use tether::Term;
    /// let opts = SubscribeOpts::new().partition(1);
    /// assert_eq!(opts.get("partition"), Some(&Term::from(1)));
    /// ```
    pub fn partition(self, name: impl Into<Term>) -> SubscribeOpts {
        self.opt("partition", name.into())
    }

    /// Only events for which `f` is true, with a producer using the
    /// [`BroadcastDispatcher`](super::BroadcastDispatcher). `E` must be the
    /// producer's event type. Local only: not sent to another node.
    ///
    /// ```
    /// # use tether::otp::gen_stage::*;
    /// # use tether::Term;
    /// # use tether::otp::gen_server::StartOpts;
    /// # use tether::otp::gen_stage;
    /// # struct Pusher;
    /// # impl GenStage for Pusher {
    /// #     type Args = (); type In = (); type Out = i64; type Call = (); type Cast = Vec<i64>; type Reply = ();
    /// #     async fn init(_: ()) -> Init<Self> { Init::producer(Pusher).dispatcher(BroadcastDispatcher::new()) }
    /// #     async fn handle_cast(&mut self, events: Vec<i64>) -> Emit<i64> { Emit::events(events) }
    /// #     async fn handle_demand(&mut self, _: u64) -> Emit<i64> { Emit::none() }
    /// # }
    /// # tether::Runtime::new().unwrap().block_on(async {
    /// // A broadcast producer; this consumer wants only the even events.
    /// let p = gen_stage::start::<Pusher>((), StartOpts::new()).await.unwrap();
    /// let evens = SubscribeOpts::new().selector(|n: &i64| n % 2 == 0);
    /// let mut events = gen_stage::stream::<i64>([(p.pid().into(), evens)]).unwrap();
    /// tether::sleep(std::time::Duration::from_millis(20)).await; // let the subscription land
    /// p.cast(vec![1, 2, 3, 4]);
    /// assert_eq!(events.next().await, Some(2));
    /// assert_eq!(events.next().await, Some(4));
    /// # });
    /// ```
    pub fn selector<E: 'static>(
        mut self,
        f: impl Fn(&E) -> bool + Send + Sync + 'static,
    ) -> SubscribeOpts {
        let f: Selector<E> = Arc::new(f);
        self.selector = Some(Arc::new(f));
        self
    }

    /// Any other option, for the producer's `handle_subscribe` or dispatcher (a
    /// later value replaces an earlier one).
    ///
    /// ```
    /// # use tether::otp::gen_stage::*;
    /// # use tether::Term;
    /// let opts = SubscribeOpts::new().opt("region", Term::atom("eu")).opt("region", Term::atom("us"));
    /// assert_eq!(opts.get("region"), Some(&Term::atom("us")));
    /// ```
    pub fn opt(mut self, key: &str, value: Term) -> SubscribeOpts {
        let key = Atom::new(key);
        self.pairs.retain(|(k, _)| *k != key);
        self.pairs.push((key, value));
        self
    }

    /// The value of an option.
    ///
    /// ```
    /// # use tether::otp::gen_stage::*;
    /// # use tether::Term;
    /// let opts = SubscribeOpts::new().max_demand(5);
    /// assert_eq!(opts.get("max_demand"), Some(&Term::from(5)));
    /// assert_eq!(opts.get("nothing"), None);
    /// ```
    pub fn get(&self, key: &str) -> Option<&Term> {
        self.pairs
            .iter()
            .find(|(k, _)| k.as_str() == key)
            .map(|(_, v)| v)
    }

    /// The selector given with [`selector`](SubscribeOpts::selector), if it is for
    /// events of type `E`.
    pub(crate) fn selector_for<E: 'static>(&self) -> Option<Option<Selector<E>>> {
        match &self.selector {
            None => Some(None),
            Some(s) => s.downcast_ref::<Selector<E>>().map(|f| Some(f.clone())),
        }
    }

    /// The options as the keyword list GenStage sends (without a selector).
    ///
    /// ```
    /// # use tether::otp::gen_stage::*;
    /// # use tether::Term;
    /// let opts = SubscribeOpts::new().max_demand(5);
    /// assert_eq!(opts.to_term().to_string(), "[{max_demand,5}]");
    /// ```
    pub fn to_term(&self) -> Term {
        Term::List(
            self.pairs
                .iter()
                .map(|(k, v)| Term::tuple([Term::Atom(k.clone()), v.clone()]))
                .collect(),
        )
    }

    /// Options from a keyword list on the wire; `None` if it is not one.
    pub(crate) fn from_wire(t: &Term) -> Option<SubscribeOpts> {
        let items: &[Term] = match t {
            Term::List(items) => items,
            _ => return None,
        };
        let mut opts = SubscribeOpts::new();
        for item in items {
            let Term::Tuple(kv) = item else { return None };
            let [Term::Atom(k), v] = kv.as_slice() else {
                return None;
            };
            opts = opts.opt(k.as_str(), v.clone());
        }
        Some(opts)
    }

    /// Validated `(max_demand, min_demand, cancel)`, or GenStage's message for a
    /// bad option.
    pub(crate) fn validate(&self) -> Result<(u64, u64, CancelMode), String> {
        let int = |key: &str, default: u64, min: u64, max: u64| -> Result<u64, String> {
            match self.get(key) {
                None => Ok(default),
                Some(Term::Int(n)) if *n < min as i64 => Err(format!(
                    "expected :{key} to be equal to or greater than {min}, got: {n}"
                )),
                Some(Term::Int(n)) if *n as u64 > max => Err(format!(
                    "expected :{key} to be equal to or less than {max}, got: {n}"
                )),
                Some(Term::Int(n)) => Ok(*n as u64),
                Some(other) => Err(format!("expected :{key} to be an integer, got: {other}")),
            }
        };
        let max = int("max_demand", 1000, 1, i64::MAX as u64)?;
        let min = int("min_demand", max / 2, 0, max - 1)?;
        let cancel = match self.get("cancel") {
            None => CancelMode::Permanent,
            Some(t) => CancelMode::from_term(t).ok_or_else(|| {
                format!(
                    "expected :cancel to be one of [:temporary, :transient, :permanent], got: {t}"
                )
            })?,
        };
        Ok((max, min, cancel))
    }
}

impl fmt::Debug for SubscribeOpts {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.to_term())?;
        if self.selector.is_some() {
            write!(f, " + selector")?;
        }
        Ok(())
    }
}
