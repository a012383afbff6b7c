//! Running user start functions inside a behaviour without letting them take it down.
//!
//! A supervisor calls each child's start function *in its own process* (so that the
//! child links to the supervisor). Erlang's supervisor wraps that call in `catch`: a
//! start function that raises or exits makes the start fail with `{'EXIT', Reason}`
//! instead of killing the supervisor (docs/semantics.md §5.7 I1). [`CatchUnwind`] is that
//! `catch` for a future: it polls the inner future under `catch_unwind` and turns a
//! panic, or an [`exit_self`](crate::exit_self), into an [`ExitReason`].

use std::future::Future;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::pin::Pin;
use std::task::{Context, Poll};

use crate::ExitReason;
use crate::process::life::panic_reason;

/// A boxed, sendable future.
pub(crate) type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send + 'static>>;

/// Polls a future, catching unwinds (see the module docs).
pub(crate) struct CatchUnwind<T>(pub BoxFuture<T>);

impl<T> Future for CatchUnwind<T> {
    type Output = Result<T, ExitReason>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let fut = &mut self.get_mut().0;
        match catch_unwind(AssertUnwindSafe(|| fut.as_mut().poll(cx))) {
            Ok(Poll::Ready(v)) => Poll::Ready(Ok(v)),
            Ok(Poll::Pending) => Poll::Pending,
            Err(payload) => Poll::Ready(Err(panic_reason(payload))),
        }
    }
}
