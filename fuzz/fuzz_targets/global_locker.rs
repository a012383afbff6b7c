//! Fuzz the lock protocol of the `global` name server (`kernel::global`: the `set_lock`
//! and `del_lock` calls and the locker's `lock_set`, see `wrap_lock` in the harness):
//! the input is a selector byte and an ETF term, sent to the service as a peer would;
//! the service must handle or drop it and keep answering, never panic. The harness is
//! shared with the stable test `crates/tether/tests/kernel_inputs.rs`; seeds are
//! recorded BEAM traffic in `fuzz/seeds/global_locker/` (`fuzz/record-seeds.sh`).
#![no_main]

use libfuzzer_sys::fuzz_target;

#[path = "../../crates/tether/tests/common/kernel_inputs.rs"]
mod kernel_inputs;

use kernel_inputs::{Harness, Service};

thread_local! {
    static HARNESS: Harness = Harness::start();
}

fuzz_target!(|data: &[u8]| {
    HARNESS.with(|h| h.feed(Service::GlobalLocker, data));
});
