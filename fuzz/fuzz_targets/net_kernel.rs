//! Fuzz what `net_kernel` (`kernel::net_kernel`) accepts from peers (its gen_server
//! calls, such as the `is_auth` of `net_adm:ping/1`, casts and plain messages): the
//! input is a selector byte and an ETF term, sent to the service as a peer would; the
//! service must handle or drop it and keep answering, never panic. The harness is
//! shared with the stable test `crates/tether/tests/kernel_inputs.rs`; seeds are
//! recorded BEAM traffic in `fuzz/seeds/net_kernel/` (`fuzz/record-seeds.sh`).
#![no_main]

use libfuzzer_sys::fuzz_target;

#[path = "../../crates/tether/tests/common/kernel_inputs.rs"]
mod kernel_inputs;

use kernel_inputs::{Harness, Service};

thread_local! {
    static HARNESS: Harness = Harness::start();
}

fuzz_target!(|data: &[u8]| {
    HARNESS.with(|h| h.feed(Service::NetKernel, data));
});
