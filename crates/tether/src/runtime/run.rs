//! Running a node until it is told to stop.
//!
//! [`Runtime::run`](super::Runtime::run) starts the application's top process (a
//! supervisor, usually) and waits for one of:
//!
//! - the top process exiting on its own (the top supervisor gave up, say):
//!   [`Stopped::TopExited`] with its exit reason;
//! - SIGTERM or SIGINT (Ctrl-C), as `init:stop/0` on a BEAM node that the operator
//!   stops, or [`stop_runtime`] called by any process: [`Stopped::Requested`];
//! - the node's kernel giving up (OTP's node dies with its `kernel_sup`):
//!   [`Stopped::Requested`] too, after the kernel's error report.
//!
//! Then the top process is stopped with `shutdown` as its parent would stop it (a
//! supervisor stops its children in reverse start order, within their shutdown
//! times), and the runtime stops as a dropped runtime does: root supervisors, the
//! node (peers see `nodedown` at once, EPMD forgets it), the processes left.

use std::sync::atomic::{AtomicBool, Ordering};

use tokio::sync::Notify;

use crate::ExitReason;

/// How [`Runtime::run`](super::Runtime::run) ended. A program's `main` can return it:
/// the exit code is 0 for a requested stop and for a top process that ended
/// `normal`, and 1 otherwise (a supervisor that gave up ends with `shutdown`, which
/// is a failure of the program), with the reason on stderr.
#[derive(Clone, Debug, PartialEq)]
pub enum Stopped {
    /// Stopped on request: SIGTERM, SIGINT, [`stop_runtime`], or the kernel gave up.
    Requested,
    /// The top process exited on its own, with this reason.
    TopExited(ExitReason),
    /// `start` failed with this reason.
    StartFailed(ExitReason),
}

impl std::process::Termination for Stopped {
    fn report(self) -> std::process::ExitCode {
        match self {
            Stopped::Requested | Stopped::TopExited(ExitReason::Normal) => {
                std::process::ExitCode::SUCCESS
            }
            Stopped::TopExited(r) => {
                eprintln!("the application's top process exited: {r}");
                std::process::ExitCode::FAILURE
            }
            Stopped::StartFailed(r) => {
                eprintln!("the application did not start: {r}");
                std::process::ExitCode::FAILURE
            }
        }
    }
}

/// A stop request for the runtime's `run` (a runtime service).
#[derive(Default)]
pub(crate) struct StopRequest {
    requested: AtomicBool,
    notify: Notify,
}

impl StopRequest {
    /// Forgets earlier requests: `run` waits for requests made while it runs.
    pub(crate) fn reset(&self) {
        self.requested.store(false, Ordering::SeqCst);
    }

    /// Waits for a request.
    pub(crate) async fn wait(&self) {
        loop {
            let notified = self.notify.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            if self.requested.load(Ordering::SeqCst) {
                return;
            }
            notified.await;
        }
    }

    fn request(&self) {
        self.requested.store(true, Ordering::SeqCst);
        self.notify.notify_waiters();
    }
}

/// Asks the runtime's [`Runtime::run`](super::Runtime::run) to stop the node in order
/// and return [`Stopped::Requested`] (Erlang's `init:stop/0`). Without a `run` in
/// progress, it does nothing. Must be called from the runtime's threads.
///
/// ```
/// use tether::{ExitReason, Runtime, Stopped};
/// let stopped = Runtime::new().unwrap().run(async {
///     Ok::<_, ExitReason>(tether::spawn(async {
///         tether::stop_runtime();
///         std::future::pending::<()>().await
///     }))
/// });
/// assert_eq!(stopped, Stopped::Requested);
/// ```
pub fn stop_runtime() {
    crate::runtime::state::service::<StopRequest>().request();
}

/// Waits for SIGTERM or SIGINT. If the signals cannot be watched, waits forever.
pub(crate) async fn os_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match (
            signal(SignalKind::terminate()),
            signal(SignalKind::interrupt()),
        ) {
            (Ok(mut term), Ok(mut int)) => {
                tokio::select! {
                    _ = term.recv() => tracing::info!("SIGTERM: stopping"),
                    _ = int.recv() => tracing::info!("SIGINT: stopping"),
                }
            }
            _ => std::future::pending().await,
        }
    }
    #[cfg(not(unix))]
    {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    }
}
