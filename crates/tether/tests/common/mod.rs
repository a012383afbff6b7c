//! Shared helpers for the behaviour tests.
#![allow(dead_code)]

mod eventually;

use std::fmt::Debug;
use std::future::Future;
use std::pin::pin;
use std::task::{Context, Poll, Waker};
use std::time::Duration;

#[allow(unused_imports)]
pub use eventually::{PATIENCE, eventually, eventually_every, eventually_some};
use tether::{Message, Runtime, Term};

/// Runs `f` as a process on a fresh two-thread runtime.
pub fn run<F>(f: F) -> F::Output
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    Runtime::builder()
        .worker_threads(2)
        .build()
        .unwrap()
        .block_on(f)
}

/// A process that waits forever (until killed).
pub async fn wait_forever() {
    std::future::pending::<()>().await
}

/// The messages currently in the mailbox, taken out in order.
pub async fn flush() -> Vec<Message> {
    let mut out = Vec::new();
    while let Some(m) = tether::receive_select_timeout(Duration::ZERO, |_| true).await {
        out.push(m);
    }
    out
}

/// Two `=:=` maps `#{a => 1, b => #{x => [1.0], y => <<"v">>}, 2 => {}}` whose pairs
/// (and those of the inner map) come in opposite orders, each decoded from ETF, as two
/// nodes may send the same map.
pub fn reordered_maps() -> (Term, Term) {
    let inner = [
        (Term::atom("x"), Term::list([Term::Float(1.0)])),
        (Term::atom("y"), Term::from("v")),
    ];
    let outer = |inner: Term| {
        vec![
            (Term::atom("a"), Term::from(1)),
            (Term::atom("b"), inner),
            (Term::from(2), Term::tuple([])),
        ]
    };
    let via_etf = |pairs: Vec<(Term, Term)>| {
        let bytes = tether_term::encode(&Term::Map(pairs)).unwrap();
        tether_term::decode(&bytes).unwrap()
    };
    let rev = |mut p: Vec<(Term, Term)>| {
        p.reverse();
        p
    };
    let a = via_etf(outer(Term::Map(inner.to_vec())));
    let b = via_etf(rev(outer(Term::Map(rev(inner.to_vec())))));
    assert_ne!(
        format!("{a:?}"),
        format!("{b:?}"),
        "the pairs differ in order"
    );
    (a, b)
}

/// How long a test watches for something that must *not* happen.
///
/// Absence is not a condition one can wait for: a test that checks that no message
/// comes can only watch for a while. Where an ordering guarantee can prove the
/// absence instead (a later message from the same sender has arrived, S2), the tests
/// use that; the watches that remain use this bound, and a late arrival after it
/// would go unnoticed.
pub const QUIET: Duration = Duration::from_millis(100);

/// Asserts that no message of type `T` is in the mailbox or arrives within [`QUIET`].
pub async fn assert_no_message<T: Send + Debug + 'static>(what: &str) {
    if let Some(m) = tether::receive_timeout::<T>(QUIET).await {
        panic!("{what}: got {m:?}");
    }
}

/// Asserts that the mailbox is empty and no message arrives within [`QUIET`].
pub async fn assert_no_messages(what: &str) {
    if let Some(m) = tether::receive_select_timeout(QUIET, |_| true).await {
        panic!("{what}: got a {}", m.type_name());
    }
}

/// Asserts that no message of type `T` that this process sent itself before the call
/// is in its mailbox. Proven by order, not by waiting: a marker sent to itself after
/// them is received first, and one sender's signals arrive in the order they were
/// sent (S2), whether addressed to the pid or to an alias.
pub async fn assert_none_sent_before<T: Send + Debug + 'static>(what: &str) {
    struct Marker(tether::Reference);
    let r = tether::make_ref();
    tether::send(tether::self_pid(), Marker(r)).unwrap();
    tether::receive_select(move |m: &Message| m.downcast_ref::<Marker>().is_some_and(|k| k.0 == r))
        .await;
    if let Some(m) = tether::receive_timeout::<T>(Duration::ZERO).await {
        panic!("{what}: got {m:?}");
    }
}

/// Polls `fut` once: `Some` if it completes without waiting at all.
pub fn ready_now<F: Future>(fut: F) -> Option<F::Output> {
    match pin!(fut).poll(&mut Context::from_waker(Waker::noop())) {
        Poll::Ready(v) => Some(v),
        Poll::Pending => None,
    }
}
