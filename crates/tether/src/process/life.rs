//! The process task: how a user future becomes a process.
//!
//! A process is one tokio task running [`run`]. Each time tokio polls it, the task
//!
//! 1. makes the process *current* on this thread (so `self_pid()` and `receive()` work),
//! 2. drains the inbox, which may decide that the process must die (a kill, an
//!    untrapped exit signal),
//! 3. polls the user's future, catching panics,
//! 4. parks: leaves its waker in the inbox, unless new signals arrived meanwhile, in
//!    which case it goes round again (a few times, then yields to be fair).
//!
//! Because any signal wakes the task, a kill reaches a process that is awaiting a
//! socket or a sleep rather than its mailbox: the next poll sees the signal and drops
//! the user's future (so `Drop` code runs), exactly "at its next await".
//!
//! When the process ends — its future returned, it panicked, or it was killed — the
//! task runs the exit sequence in [`finish`]: close the inbox, release the registered
//! name, leave the process table, then tell links and monitors (docs/semantics.md §1.1 S6: the
//! name is free before anyone hears of the death).

use std::any::Any;
use std::cell::RefCell;
use std::future::Future;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use super::core::{ProcessShared, Status};
use super::signal::{MonitorSignal, Signal};
use super::{ExitReason, budget, current, name, route, table, timer};

/// Polls of the user future per task poll before yielding to other tasks.
const ROUNDS_BEFORE_YIELD: usize = 4;

/// The payload of [`exit_self`](crate::exit_self)'s unwind: a deliberate exit, not a crash.
pub(crate) struct ExitUnwind(pub ExitReason);

thread_local! {
    /// Where the last panic on this thread happened, recorded by the panic hook.
    static PANIC_LOCATION: RefCell<Option<String>> = const { RefCell::new(None) };
}

/// Installs (once) a panic hook that keeps panics inside processes out of stderr: they
/// become exit reasons and are reported through `tracing` with the pid. Panics
/// elsewhere go to the previous hook.
pub(crate) fn install_panic_hook() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if current::in_process() {
                let loc = info.location().map(|l| l.to_string());
                PANIC_LOCATION.with(|p| *p.borrow_mut() = loc);
            } else {
                previous(info);
            }
        }));
    });
}

pin_project_lite::pin_project! {
    /// The whole life of a process, as the future tokio runs: polls the user's future
    /// as described in the module docs, then runs the exit sequence. The user's future
    /// lives inline (no extra allocation, and only once: an `async fn` taking it as an
    /// argument would keep a second slot for it) and is dropped in place when the
    /// process ends.
    ///
    /// If the task is dropped before the process ended (the runtime shut down under
    /// it), the process dies `killed`, and its links, monitors, name and table slot
    /// are released all the same.
    pub(crate) struct Run<F> {
        shared: Arc<ProcessShared>,
        #[pin]
        fut: Option<F>,
        done: bool,
    }

    impl<F> PinnedDrop for Run<F> {
        fn drop(this: Pin<&mut Self>) {
            let mut this = this.project();
            if !*this.done {
                *this.done = true;
                this.fut.set(None);
                finish(this.shared, ExitReason::Killed);
            }
        }
    }
}

/// The exit reason for a caught unwind: an [`ExitUnwind`] gives its reason, a panic
/// becomes [`ExitReason::Panic`] (the OTP behaviours catch callback unwinds with it).
pub(crate) fn panic_reason(payload: Box<dyn Any + Send>) -> ExitReason {
    let payload = match payload.downcast::<ExitUnwind>() {
        Ok(exit) => return exit.0,
        Err(p) => p,
    };
    let msg = if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_string()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "panic with a non-string payload".to_string()
    };
    ExitReason::Panic(Arc::from(msg))
}

/// Drops the user future in place (running its destructors inside the process) and
/// returns the reason, or the reason of a panic raised while dropping.
fn end<F>(mut fut: Pin<&mut Option<F>>, reason: ExitReason) -> Poll<ExitReason> {
    match catch_unwind(AssertUnwindSafe(|| fut.set(None))) {
        Ok(()) => Poll::Ready(reason),
        Err(p) if reason.is_normal() => Poll::Ready(panic_reason(p)),
        Err(_) => Poll::Ready(reason),
    }
}

impl<F> Future for Run<F>
where
    F: Future<Output = ()>,
{
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = self.project();
        if *this.done {
            return Poll::Ready(());
        }
        let reason = std::task::ready!(poll_process(this.shared, this.fut, cx));
        *this.done = true;
        finish(this.shared, reason);
        Poll::Ready(())
    }
}

/// One poll of a process (see the module docs): the exit reason once it has ended.
fn poll_process<F>(
    shared: &Arc<ProcessShared>,
    fut: Pin<&mut Option<F>>,
    cx: &mut Context<'_>,
) -> Poll<ExitReason>
where
    F: Future<Output = ()>,
{
    let _enter = current::enter(shared);
    shared.unpark();
    budget::poll_boundary();
    let r = poll_rounds(shared, fut, cx);
    budget::poll_boundary();
    r
}

/// The rounds of [`poll_process`]: drain, poll the user's future, park.
fn poll_rounds<F>(
    shared: &Arc<ProcessShared>,
    mut fut: Pin<&mut Option<F>>,
    cx: &mut Context<'_>,
) -> Poll<ExitReason>
where
    F: Future<Output = ()>,
{
    for _ in 0..ROUNDS_BEFORE_YIELD {
        {
            let mut st = shared.state();
            shared.drain(&mut st);
            if let Some(r) = st.pending_exit.take() {
                drop(st);
                return end(fut, *r);
            }
        }
        shared.set_status(Status::Running);
        let Some(f) = fut.as_mut().as_pin_mut() else {
            return Poll::Ready(ExitReason::Normal);
        };
        match catch_unwind(AssertUnwindSafe(|| f.poll(cx))) {
            Ok(Poll::Ready(())) => return end(fut, ExitReason::Normal),
            Ok(Poll::Pending) => {}
            Err(payload) => {
                let reason = panic_reason(payload);
                return end(fut, reason);
            }
        }
        if shared.is_dying()
            && let Some(r) = shared.state().pending_exit.take()
        {
            return end(fut, *r);
        }
        if shared.park(cx.waker()) {
            return Poll::Pending;
        }
    }
    cx.waker().wake_by_ref();
    Poll::Pending
}

/// The whole life of a process: see [`Run`].
pub(crate) fn run<F>(shared: Arc<ProcessShared>, fut: F) -> Run<F>
where
    F: Future<Output = ()>,
{
    Run {
        shared,
        fut: Some(fut),
        done: false,
    }
}

/// The exit sequence (see the module docs).
pub(crate) fn finish(shared: &Arc<ProcessShared>, reason: ExitReason) {
    let me = shared.pid;
    shared.set_status(Status::Exiting);
    crate::runtime::stats::exited(!reason.is_clean());
    if let ExitReason::Panic(msg) = &reason {
        let loc = PANIC_LOCATION.with(|p| p.borrow_mut().take());
        crate::runtime::logger::report_error!(pid = %me, location = loc.as_deref().unwrap_or("?"), "process panicked: {msg}");
    } else if !reason.is_clean() {
        tracing::debug!(pid = %me, reason = %reason, "process exited");
    } else {
        tracing::trace!(pid = %me, reason = %reason, "process exited");
    }
    let leftovers = shared.close();
    let (name, rel, mailbox) = {
        let mut st = shared.state();
        // Link and monitor requests that raced with our death still count: their
        // senders must hear of it.
        for signal in leftovers {
            match signal {
                Signal::Link { from } => {
                    st.rel().links.insert(from);
                }
                Signal::Unlink { from } => {
                    st.rel().links.remove(&from);
                }
                Signal::Monitor(signal) => {
                    let MonitorSignal {
                        from,
                        reference,
                        object,
                    } = *signal;
                    st.rel().monitored_by.insert(reference, (from, object));
                }
                Signal::Demonitor { reference } => {
                    st.rel().monitored_by.remove(&reference);
                }
                _ => {}
            }
        }
        let name = st.rel.as_mut().and_then(|r| r.name.take());
        // The spare timer goes too (the record may outlive the process).
        st.spare_timer = None;
        (name, st.rel.take(), std::mem::take(&mut st.mailbox))
    };
    // Messages are user values whose destructors may panic; keep that inside.
    let _ = catch_unwind(AssertUnwindSafe(move || drop(mailbox)));
    if let Some(name) = name {
        name::release(&name, me);
    }
    table::remove(me);
    let Some(rel) = rel else { return };
    for (reference, out) in rel.monitors() {
        route::demonitor(me, out, *reference);
    }
    for t in rel.timers {
        timer::cancel_for_exit(t);
    }
    for pid in rel.links {
        route::exit(me, pid, reason.clone(), true);
    }
    for (reference, (watcher, object)) in rel.monitored_by {
        route::down(me, watcher, reference, object, reason.clone());
    }
}
