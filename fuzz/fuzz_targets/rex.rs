//! Fuzz what `rex`, the rpc server (`kernel::rex`), accepts from peers (`rpc:call`,
//! `block_call`, `cast` and the `ei_rpc` form, run only if registered): the input is a
//! selector byte and an ETF term, sent to the service as a peer would; the service must
//! handle or drop it and keep answering, never panic. The harness is shared with the
//! stable test `crates/tether/tests/kernel_inputs.rs`; seeds are recorded BEAM traffic
//! in `fuzz/seeds/rex/` (`fuzz/record-seeds.sh`).
#![no_main]

use libfuzzer_sys::fuzz_target;

#[path = "../../crates/tether/tests/common/kernel_inputs.rs"]
mod kernel_inputs;

use kernel_inputs::{Harness, Service};

thread_local! {
    static HARNESS: Harness = Harness::start();
}

fuzz_target!(|data: &[u8]| {
    HARNESS.with(|h| h.feed(Service::Rex, data));
});
