//! Messages and the system messages a process can receive.
//!
//! A local send moves the Rust value into the receiver's mailbox, boxed once: no copy
//! and no serialization. A message from another node arrives as a [`Term`].
//! [`Message`] is the type-erased envelope; typed receive downcasts it.
//!
//! A message may also carry an *encoder* (see [`Message::portable`]): how to turn the
//! value into a `Term` if it must cross to another node. A `Term` is always portable;
//! other values sent with a plain [`Message::new`] stay on this node.

use std::any::Any;
use std::fmt;

use tether_term::{Atom, Node, Pid, Reference, Term};

use super::ExitReason;

/// The boxed value inside a [`Message`].
trait Payload: Send {
    fn as_any(&self) -> &dyn Any;
    /// Moves the value into `slot`, an `&mut Option<T>` of the value's own type, so a
    /// downcast frees the box without allocating another.
    fn take_into(self: Box<Self>, slot: &mut dyn Any);
    fn to_term(&self) -> Option<Term>;
    fn type_name(&self) -> &'static str;
}

struct Local<T>(T);

impl<T: Any + Send> Payload for Local<T> {
    fn as_any(&self) -> &dyn Any {
        &self.0
    }
    fn take_into(self: Box<Self>, slot: &mut dyn Any) {
        if let Some(slot) = slot.downcast_mut::<Option<T>>() {
            *slot = Some(self.0);
        }
    }
    fn to_term(&self) -> Option<Term> {
        (&self.0 as &dyn Any).downcast_ref::<Term>().cloned()
    }
    fn type_name(&self) -> &'static str {
        std::any::type_name::<T>()
    }
}

struct Portable<T> {
    value: T,
    encode: fn(&T) -> Term,
}

impl<T: Any + Send> Payload for Portable<T> {
    fn as_any(&self) -> &dyn Any {
        &self.value
    }
    fn take_into(self: Box<Self>, slot: &mut dyn Any) {
        if let Some(slot) = slot.downcast_mut::<Option<T>>() {
            *slot = Some(self.value);
        }
    }
    fn to_term(&self) -> Option<Term> {
        Some((self.encode)(&self.value))
    }
    fn type_name(&self) -> &'static str {
        std::any::type_name::<T>()
    }
}

/// A message in a mailbox: any `Send + 'static` value.
///
/// ```
/// use tether::Message;
/// let m = Message::new(42u32);
/// assert!(m.is::<u32>());
/// assert_eq!(m.downcast::<u32>().unwrap(), 42);
/// ```
pub struct Message(Box<dyn Payload>);

impl Message {
    /// Wraps a value. A `Term` is portable; other values stay on this node.
    ///
    /// ```
    /// # use std::time::Duration;
    /// # tether::Runtime::new().unwrap().block_on(async {
    /// use tether::Message;
    /// let m = Message::new(vec![1, 2, 3]);
    /// assert!(m.is::<Vec<i32>>());
    /// tether::send_message(tether::self_pid(), m).unwrap();
    /// assert_eq!(tether::receive::<Vec<i32>>().await, [1, 2, 3]);
    /// # });
    /// ```
    pub fn new<T: Any + Send>(value: T) -> Message {
        Message(Box::new(Local(value)))
    }

    /// Wraps a value with the function that turns it into a term for another node.
    ///
    /// ```
    /// use tether::{Message, Term};
    /// let m = Message::portable(7i64, |v: &i64| Term::Int(*v));
    /// assert_eq!(m.to_term(), Some(Term::Int(7)));
    /// assert_eq!(m.downcast::<i64>().unwrap(), 7);
    /// ```
    pub fn portable<T: Any + Send>(value: T, encode: fn(&T) -> Term) -> Message {
        Message(Box::new(Portable { value, encode }))
    }

    /// Whether the message holds a `T`.
    ///
    /// ```
    /// use tether::Message;
    /// let m = Message::new(42u64);
    /// assert!(m.is::<u64>());
    /// assert!(!m.is::<u32>());
    /// ```
    pub fn is<T: Any>(&self) -> bool {
        self.0.as_any().is::<T>()
    }

    /// Borrows the value as a `T`.
    ///
    /// ```
    /// use tether::Message;
    /// let m = Message::new(String::from("hi"));
    /// assert_eq!(m.downcast_ref::<String>().map(String::as_str), Some("hi"));
    /// assert!(m.downcast_ref::<u8>().is_none());
    /// ```
    pub fn downcast_ref<T: Any>(&self) -> Option<&T> {
        self.0.as_any().downcast_ref::<T>()
    }

    /// Takes the value out as a `T`, or gives the message back unchanged.
    ///
    /// ```
    /// use tether::Message;
    /// let m = Message::new(5u8);
    /// let m = m.downcast::<String>().unwrap_err(); // the wrong type gives the message back
    /// assert_eq!(m.downcast::<u8>().unwrap(), 5);
    /// ```
    pub fn downcast<T: Any>(self) -> Result<T, Message> {
        if !self.is::<T>() {
            return Err(self);
        }
        let mut slot: Option<T> = None;
        self.0.take_into(&mut slot);
        Ok(slot.expect("type checked above"))
    }

    /// The message as a term, if it can cross to another node.
    ///
    /// ```
    /// use tether::{Message, Term};
    /// assert_eq!(Message::new(Term::atom("ok")).to_term(), Some(Term::atom("ok")));
    /// struct Local;
    /// assert_eq!(Message::new(Local).to_term(), None); // cannot cross to another node
    /// ```
    pub fn to_term(&self) -> Option<Term> {
        self.0.to_term()
    }

    /// The message as a term for another node, moving a `Term` out rather than
    /// cloning it (a remote send's hot path); gives the message back if it cannot
    /// cross.
    pub(crate) fn into_term(self) -> Result<Term, Message> {
        if self.is::<Term>() {
            return self.downcast::<Term>();
        }
        self.0.to_term().ok_or(self)
    }

    /// The Rust type name of the value, for diagnostics.
    ///
    /// ```
    /// use tether::Message;
    /// assert_eq!(Message::new(1u16).type_name(), "u16");
    /// ```
    pub fn type_name(&self) -> &'static str {
        self.0.type_name()
    }
}

impl fmt::Debug for Message {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.downcast_ref::<Term>() {
            Some(t) => write!(f, "Message({t:?})"),
            None => write!(f, "Message(<{}>)", self.type_name()),
        }
    }
}

/// The message a process that traps exits receives for an exit signal:
/// Erlang's `{'EXIT', From, Reason}`.
///
/// ```
/// use tether::{spawn, Exit, ExitReason, Runtime};
/// let rt = Runtime::new().unwrap();
/// rt.block_on(async {
///     tether::trap_exit(true);
///     let child = tether::spawn_link(async { tether::exit_self(ExitReason::from("boom")) });
///     let exit: Exit = tether::receive().await;
///     assert_eq!(exit.from, child);
///     assert_eq!(exit.reason, ExitReason::from("boom"));
/// });
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct Exit {
    /// The process (or port) that sent the signal.
    pub from: Pid,
    /// The reason it carried.
    pub reason: ExitReason,
}

/// What a monitor watched: a pid, or a name on a node.
#[derive(Clone, Debug, PartialEq)]
pub enum Monitored {
    /// Monitored by pid.
    Pid(Pid),
    /// Monitored by registered name (Erlang's `{Name, Node}`).
    Name(Atom, Node),
}

/// The message a monitor delivers when its target goes away:
/// Erlang's `{'DOWN', Ref, process, Object, Info}`.
///
/// ```
/// use tether::{Down, ExitReason, Monitored, Runtime};
/// let rt = Runtime::new().unwrap();
/// rt.block_on(async {
///     let (pid, mref) = tether::spawn_monitor(async {});
///     let down: Down = tether::receive().await;
///     assert_eq!(down.reference, mref);
///     assert_eq!(down.object, Monitored::Pid(pid));
///     assert_eq!(down.reason, ExitReason::Normal);
/// });
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct Down {
    /// The monitor's reference.
    pub reference: Reference,
    /// What was monitored.
    pub object: Monitored,
    /// The exit reason, or `noproc` / `noconnection`.
    pub reason: ExitReason,
}
