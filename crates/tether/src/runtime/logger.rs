//! The default logger: warnings and crash reports on stderr unless the application
//! has its own `tracing` subscriber.
//!
//! The BEAM prints crash reports, supervisor reports and warnings without being asked;
//! Tether reports them as `tracing` events, which go nowhere until a subscriber is
//! installed. So building a runtime installs a plain stderr subscriber as the global
//! default, at level `warn` (or what `RUST_LOG` says), **if none has been installed
//! yet**. An application that wants its own installs it before building the runtime
//! (or turns this off with [`Builder::default_logger`](super::Builder::default_logger)).
//! The subscriber does not capture the `log` crate, so it never takes that slot
//! from an application.

/// Installs the default logger unless a global subscriber is already set.
pub(crate) fn install() {
    if tracing::dispatcher::has_been_set() {
        return;
    }
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
    let subscriber = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .finish();
    // Another thread may have set one meanwhile: then that one stays.
    let _ = tracing::subscriber::set_global_default(subscriber);
}
