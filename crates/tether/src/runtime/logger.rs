//! The default logger: Tether's warnings and crash reports reach stderr when the
//! program has no `tracing` subscriber, as the BEAM's logger prints them without
//! being asked.
//!
//! Tether reports through `tracing`. Events go nowhere until a subscriber is
//! installed, so Tether's own warnings and errors go through [`report_warn!`] and
//! [`report_error!`]: when the thread's current dispatcher is the no-op one (no
//! global subscriber, no scoped one), the event is emitted to a fallback subscriber
//! that writes to stderr, at level `warn` (or what `RUST_LOG` says); otherwise it
//! goes where every other event goes. Tether never installs a global subscriber, so
//! an application can install its own at any time, before or after building a
//! runtime, and from then on gets every event. A runtime built with
//! [`Builder::default_logger(false)`](super::Builder::default_logger) stays silent.

use std::sync::LazyLock;

use tracing::Dispatch;

/// The stderr subscriber, made (and registered with tracing's callsites) once.
static FALLBACK: LazyLock<Dispatch> = LazyLock::new(|| {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
    let subscriber = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .finish();
    Dispatch::new(subscriber)
});

/// Whether this runtime's reports are silenced (a runtime service).
#[derive(Default)]
pub(crate) struct Quiet(pub(crate) std::sync::atomic::AtomicBool);

/// The fallback dispatcher, if this event should use it: nothing else would see it
/// and the runtime (if any) is not quiet.
pub(crate) fn fallback() -> Option<&'static Dispatch> {
    let unheard = tracing::dispatcher::get_default(|d| d.is::<tracing::subscriber::NoSubscriber>());
    if !unheard {
        return None;
    }
    let quiet = crate::runtime::context::try_with(|rt| {
        rt.service::<Quiet>()
            .0
            .load(std::sync::atomic::Ordering::Relaxed)
    });
    if quiet == Some(true) {
        return None;
    }
    Some(&FALLBACK)
}

/// `tracing::warn!`, with the stderr fallback (see the module docs).
macro_rules! report_warn {
    ($($t:tt)*) => {
        match $crate::runtime::logger::fallback() {
            Some(d) => ::tracing::dispatcher::with_default(d, || ::tracing::warn!($($t)*)),
            None => ::tracing::warn!($($t)*),
        }
    };
}

/// `tracing::error!`, with the stderr fallback (see the module docs).
macro_rules! report_error {
    ($($t:tt)*) => {
        match $crate::runtime::logger::fallback() {
            Some(d) => ::tracing::dispatcher::with_default(d, || ::tracing::error!($($t)*)),
            None => ::tracing::error!($($t)*),
        }
    };
}

pub(crate) use {report_error, report_warn};
