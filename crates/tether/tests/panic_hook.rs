//! The panic hook: installed once, however many runtimes are built, and chained to
//! the hook that was there before. (Its own test binary: the hook is process-wide.)

use std::sync::atomic::{AtomicUsize, Ordering};

use tether::{Down, ExitReason, Runtime};

static OUTSIDE: AtomicUsize = AtomicUsize::new(0);

#[test]
fn the_panic_hook_is_installed_once_and_chains_to_the_previous_one() {
    std::panic::set_hook(Box::new(|_| {
        OUTSIDE.fetch_add(1, Ordering::SeqCst);
    }));
    let runtimes: Vec<Runtime> = (0..3).map(|_| Runtime::new().unwrap()).collect();
    for rt in &runtimes {
        rt.block_on(async {
            // A panic in a process is its exit reason, not a report of the hook's.
            let (_, mref) = tether::spawn_monitor(async { panic!("inside a process") });
            let down: Down = tether::receive().await;
            assert_eq!(down.reference, mref);
            assert!(matches!(down.reason, ExitReason::Panic(ref m) if &**m == "inside a process"));
        });
    }
    assert_eq!(OUTSIDE.load(Ordering::SeqCst), 0);
    // A panic outside any process reaches the previous hook, once: three runtimes
    // did not stack three hooks.
    let caught = std::panic::catch_unwind(|| panic!("outside any process"));
    assert!(caught.is_err());
    assert_eq!(OUTSIDE.load(Ordering::SeqCst), 1);
}
