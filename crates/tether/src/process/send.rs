//! Sending (docs/semantics.md §2.1).

use std::fmt;

use tether_term::{Atom, Pid, Term};

use super::{Dest, Message, current, name, route};

/// Why a send failed; the message is handed back.
pub struct SendError<T> {
    /// The message that was not sent.
    pub message: T,
    /// What went wrong.
    pub kind: SendErrorKind,
}

/// The cause of a [`SendError`].
#[derive(Clone, Debug, PartialEq)]
pub enum SendErrorKind {
    /// No process is registered under this local name (Erlang's `badarg`).
    NotRegistered(Atom),
    /// No process is registered under this [`Via`](crate::Via) name (the term is
    /// [`Via::to_term`](crate::Via::to_term)).
    ViaNotRegistered(Term),
    /// The destination is on another node and the value cannot become a term (send a
    /// `Term`, or build the message with [`Message::portable`]).
    NotPortable,
}

impl<T> fmt::Debug for SendError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SendError")
            .field("kind", &self.kind)
            .finish_non_exhaustive()
    }
}

impl<T> fmt::Display for SendError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            SendErrorKind::NotRegistered(n) => write!(f, "no process is registered as {n}"),
            SendErrorKind::ViaNotRegistered(t) => write!(f, "no process is registered as {t}"),
            SendErrorKind::NotPortable => {
                write!(
                    f,
                    "the message cannot be sent to another node: it is not a term"
                )
            }
        }
    }
}

impl<T> std::error::Error for SendError<T> {}

/// Sends `msg` to `dest` (Erlang's `Dest ! Msg`).
///
/// Never blocks. Sending to a pid never fails, even if the process is dead (the
/// message is dropped). Sending to a local name fails if nobody has it.
///
/// ```
/// use tether::Runtime;
/// Runtime::new().unwrap().block_on(async {
///     tether::send(tether::self_pid(), 42u64).unwrap();
///     assert_eq!(tether::receive::<u64>().await, 42);
///     assert!(tether::send("no_such_name", 1u8).is_err());
/// });
/// ```
pub fn send<T: Send + 'static>(dest: impl Into<Dest>, msg: T) -> Result<(), SendError<T>> {
    send_message(dest, Message::new(msg)).map_err(|e| SendError {
        message: e.message.downcast::<T>().unwrap_or_else(|_| unreachable!()),
        kind: e.kind,
    })
}

/// [`send`] for an already built [`Message`].
///
/// ```
/// # use std::time::Duration;
/// # tether::Runtime::new().unwrap().block_on(async {
/// use tether::Message;
/// let m = Message::new("boxed");
/// tether::send_message(tether::self_pid(), m).unwrap();
/// assert_eq!(tether::receive::<&str>().await, "boxed");
/// let err = tether::send_message("nobody", Message::new(1u8)).unwrap_err();
/// assert_eq!(err.message.downcast::<u8>().unwrap(), 1); // the message comes back
/// # });
/// ```
pub fn send_message(dest: impl Into<Dest>, msg: Message) -> Result<(), SendError<Message>> {
    let from = current::try_with(|p| p.pid).unwrap_or_else(route::nobody);
    deliver(from, dest.into(), msg)
}

pub(crate) fn deliver(from: Pid, dest: Dest, msg: Message) -> Result<(), SendError<Message>> {
    let not_portable = |message| SendError {
        message,
        kind: SendErrorKind::NotPortable,
    };
    match dest {
        Dest::Pid(pid) => route::message(from, pid, msg).map_err(not_portable),
        Dest::Alias(r) => route::alias(from, r, msg).map_err(not_portable),
        Dest::Remote(n, node) if !node.is_local() => {
            route::named_remote(from, n, node, msg).map_err(not_portable)
        }
        Dest::Via(v) => {
            let name = v.to_term();
            v.send(msg).map(|_| ()).map_err(|message| SendError {
                message,
                kind: SendErrorKind::ViaNotRegistered(name),
            })
        }
        Dest::Name(n) | Dest::Remote(n, _) => match name::whereis(n.as_str()) {
            Some(pid) => route::message(from, pid, msg).map_err(not_portable),
            None => Err(SendError {
                message: msg,
                kind: SendErrorKind::NotRegistered(n),
            }),
        },
    }
}
