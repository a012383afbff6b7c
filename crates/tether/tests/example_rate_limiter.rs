//! Runs the `rate_limiter` example (`examples/rate_limiter.rs`: a token bucket per
//! client in a GenServer) and checks what the clients saw against the limiter's
//! promise: no client gets more than a full bucket plus the tokens earned while it
//! asked; a full bucket serves a burst of `CAPACITY` at once; a refused client that
//! waits `retry_after` gets through; and one client's traffic does not touch another's
//! bucket.

#[path = "../examples/rate_limiter.rs"]
mod rate_limiter;

use rate_limiter::{CAPACITY, Decision, REFILL_EVERY};

/// The most requests the limiter may allow in `elapsed`.
fn bound(elapsed: std::time::Duration) -> u128 {
    u128::from(CAPACITY) + elapsed.as_nanos() / REFILL_EVERY.as_nanos()
}

#[test]
fn the_rate_limiter_keeps_each_client_to_its_bucket() {
    let s = rate_limiter::run();

    // A full bucket serves the first CAPACITY requests at once, counting down.
    let first: Vec<_> = s.burst.decisions[..CAPACITY as usize].to_vec();
    assert!(
        first.iter().all(|d| matches!(d, Decision::Allowed(_))),
        "{s:?}"
    );
    assert_eq!(first[0], Decision::Allowed(CAPACITY - 1), "{s:?}");
    assert_eq!(s.burst.allowed + s.burst.denied, 12, "{s:?}");
    assert!(
        u128::from(s.burst.allowed) <= bound(s.burst.elapsed),
        "burst over the limit: {s:?}"
    );
    for d in &s.burst.decisions {
        if let Decision::Denied(ms) = d {
            assert!(
                *ms >= 1 && *ms <= REFILL_EVERY.as_millis() as u64 + 1,
                "retry_after beyond one refill period: {s:?}"
            );
        }
    }

    // Waiting out each refusal gets every request through, no faster than the rate.
    assert_eq!(s.polite.allowed, 8, "{s:?}");
    assert!(
        u128::from(s.polite.allowed) <= bound(s.polite.elapsed),
        "polite client over the limit: {s:?}"
    );

    // Another key's bucket is untouched by the burst.
    assert_eq!(
        s.quiet.decisions,
        vec![Decision::Allowed(CAPACITY - 1)],
        "{s:?}"
    );
}
