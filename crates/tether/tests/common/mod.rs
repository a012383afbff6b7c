//! Shared helpers for the behaviour tests.
#![allow(dead_code)]

use std::future::Future;
use std::time::Duration;

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

/// Long enough for signals between local processes to have been handled.
pub const SETTLE: Duration = Duration::from_millis(100);

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
