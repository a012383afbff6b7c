//! Runs the `pipeline` example (`examples/pipeline.rs`, a Broadway-like GenStage
//! pipeline) and checks what it shows: every order written exactly once, and
//! back-pressure: the producer, asked many times, never had more orders in flight
//! than the subscriptions' demands allow, far fewer than the orders in all.

#[path = "../examples/pipeline.rs"]
mod pipeline;

#[test]
fn the_pipeline_example_writes_every_order_once_under_back_pressure() {
    let s = pipeline::run();
    assert_eq!(s.written, 300, "{s:?}");
    assert_eq!(s.order_sum, 300 * 301 / 2, "each order once: {s:?}");
    assert_eq!(s.batches, 12, "batches of 25: {s:?}");
    assert!(
        s.max_in_flight <= pipeline::IN_FLIGHT_BOUND,
        "in flight beyond the demands: {s:?}"
    );
    assert!(s.max_in_flight < 300 / 2, "the producer ran ahead: {s:?}");
    assert!(s.asks >= 300 / 10, "asked in small steps: {s:?}");
}
