//! Messages and the system messages a process can receive.
//!
//! A local send moves the Rust value into the receiver's mailbox, boxed once: no copy
//! and no serialization. A message from another node arrives as a [`Term`].
//! [`Message`] is the type-erased envelope; typed receive downcasts it.
//!
//! A message may also carry an *encoder* (see [`Message::portable`]): how to turn the
//! value into a `Term` if it must cross to another node. A `Term` is always portable;
//! other values sent with a plain [`Message::new`] stay on this node.

use std::any::{Any, TypeId};
use std::fmt;
use std::marker::PhantomData;
use std::mem::{self, MaybeUninit};
use std::ptr;

use tether_term::{Atom, Node, Pid, Reference, Term};

use super::ExitReason;

/// A message in a mailbox: any `Send + 'static` value.
///
/// ```
/// use tether::Message;
/// let m = Message::new(42u32);
/// assert!(m.is::<u32>());
/// assert_eq!(m.downcast::<u32>().unwrap(), 42);
/// ```
// Layout: two words, like a `Box<dyn Any>`: a pointer to the value's `VTable` and a
// data word. A value that fits in the data word (an integer, a small enum, a pointer
// such as a `Box` or an `Arc`) is stored in it directly, so sending it allocates
// nothing beyond the queue's node; a larger value is boxed once and the data word
// holds the box. The table says which, and how to reach, move, encode and drop the
// value.
pub struct Message {
    vt: &'static VTable,
    data: MaybeUninit<*mut ()>,
}

// SAFETY: a `Message` owns one value of a type that is `Send` (every constructor
// requires `T: Send`), held inline or in a box that only this `Message` points to.
unsafe impl Send for Message {}

/// How to handle the value a [`Message`] holds; one static table per type and form.
struct VTable {
    type_id: fn() -> TypeId,
    type_name: fn() -> &'static str,
    /// The value's address, given the message's data word.
    value: unsafe fn(*const MaybeUninit<*mut ()>) -> *const (),
    /// Moves the value to `out` (a `*mut T` of the value's type) and frees its box.
    take: unsafe fn(*mut MaybeUninit<*mut ()>, out: *mut ()),
    /// Drops the value in place and frees its box.
    drop: unsafe fn(*mut MaybeUninit<*mut ()>),
    /// The value as a term, given the message's data word.
    to_term: unsafe fn(*const MaybeUninit<*mut ()>) -> Option<Term>,
}

/// Whether a `T` fits in a message's data word.
const fn fits<T>() -> bool {
    mem::size_of::<T>() <= mem::size_of::<*mut ()>()
        && mem::align_of::<T>() <= mem::align_of::<*mut ()>()
}

/// A `T` stored in the data word.
///
/// The functions of its table rely on the data word holding an initialised `T`
/// (written by [`Message::new`], which checked that it fits) and on `take` or `drop`
/// being called at most once, after which the message is forgotten.
struct Inline<T>(PhantomData<T>);

impl<T: Any + Send> Inline<T> {
    const VT: VTable = VTable {
        type_id: TypeId::of::<T>,
        type_name: std::any::type_name::<T>,
        value: |d| d.cast(),
        take: Self::take,
        drop: Self::drop,
        to_term: Self::to_term,
    };

    /// # Safety
    ///
    /// `d` holds a `T` (see the type's docs).
    unsafe fn to_term(d: *const MaybeUninit<*mut ()>) -> Option<Term> {
        // SAFETY: by the contract above, `d` is the address of a live `T`.
        unsafe { term_of::<T>(d.cast()) }
    }

    /// # Safety
    ///
    /// `d` holds a `T` (see the type's docs); `out` is valid for writing a `T`.
    unsafe fn take(d: *mut MaybeUninit<*mut ()>, out: *mut ()) {
        // SAFETY: by the contract above; the value is read out once.
        unsafe { ptr::write(out.cast::<T>(), ptr::read(d.cast::<T>())) }
    }

    /// # Safety
    ///
    /// `d` holds a `T` (see the type's docs), dropped once.
    unsafe fn drop(d: *mut MaybeUninit<*mut ()>) {
        // SAFETY: by the contract above.
        unsafe { ptr::drop_in_place(d.cast::<T>()) }
    }
}

/// A value boxed with the function that encodes it (`encode: None` unless portable).
///
/// The functions of its table rely on the data word holding a pointer from
/// `Box::<Boxed<T>>::into_raw`, owned by the message, and on `take` or `drop` being
/// called at most once, after which the message is forgotten.
struct Boxed<T> {
    value: T,
    encode: Option<fn(&T) -> Term>,
}

impl<T: Any + Send> Boxed<T> {
    const VT: VTable = VTable {
        type_id: TypeId::of::<T>,
        type_name: std::any::type_name::<T>,
        value: Self::value,
        take: Self::take,
        drop: Self::drop,
        to_term: Self::to_term,
    };

    /// # Safety
    ///
    /// `d` holds a live box (see the type's docs).
    unsafe fn value(d: *const MaybeUninit<*mut ()>) -> *const () {
        // SAFETY: by the contract above, the word is initialised with the box's pointer.
        let b = unsafe { (*d).assume_init() }.cast::<Boxed<T>>();
        // SAFETY: `b` points to a live `Boxed<T>`; no reference is made.
        unsafe { ptr::addr_of!((*b).value) }.cast()
    }

    /// # Safety
    ///
    /// `d` holds a live box (see the type's docs); `out` is valid for writing a `T`.
    unsafe fn take(d: *mut MaybeUninit<*mut ()>, out: *mut ()) {
        // SAFETY: by the contract above: the box is ours and taken back once.
        let b = unsafe { Box::from_raw((*d).assume_init().cast::<Boxed<T>>()) };
        // SAFETY: `out` is valid for writing a `T`.
        unsafe { ptr::write(out.cast::<T>(), b.value) }
    }

    /// # Safety
    ///
    /// `d` holds a live box (see the type's docs), freed once.
    unsafe fn drop(d: *mut MaybeUninit<*mut ()>) {
        // SAFETY: by the contract above: the box is ours and freed once.
        drop(unsafe { Box::from_raw((*d).assume_init().cast::<Boxed<T>>()) })
    }

    /// # Safety
    ///
    /// `d` holds a live box (see the type's docs).
    unsafe fn to_term(d: *const MaybeUninit<*mut ()>) -> Option<Term> {
        // SAFETY: by the contract above, the word holds the pointer of a live box,
        // borrowed here for the duration of the call.
        let b = unsafe { &*(*d).assume_init().cast::<Boxed<T>>().cast_const() };
        match b.encode {
            Some(encode) => Some(encode(&b.value)),
            // SAFETY: the address of the box's live value.
            None => unsafe { term_of::<T>(ptr::addr_of!(b.value).cast()) },
        }
    }
}

/// A value's term form when it has no encoder: a `Term` is its own.
///
/// # Safety
///
/// `v` points to a live `T`.
unsafe fn term_of<T: Any>(v: *const ()) -> Option<Term> {
    if TypeId::of::<T>() == TypeId::of::<Term>() {
        // SAFETY: `T` is `Term`, and `v` points to a live `T` (the contract above).
        Some(unsafe { (*v.cast::<Term>()).clone() })
    } else {
        None
    }
}

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
        if fits::<T>() {
            let mut data = MaybeUninit::<*mut ()>::uninit();
            // SAFETY: `T` fits in the data word (size and alignment checked above).
            unsafe { ptr::write(data.as_mut_ptr().cast::<T>(), value) };
            Message {
                vt: &Inline::<T>::VT,
                data,
            }
        } else {
            Self::boxed(Boxed {
                value,
                encode: None,
            })
        }
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
        Self::boxed(Boxed {
            value,
            encode: Some(encode),
        })
    }

    fn boxed<T: Any + Send>(b: Boxed<T>) -> Message {
        Message {
            vt: &Boxed::<T>::VT,
            data: MaybeUninit::new(Box::into_raw(Box::new(b)).cast()),
        }
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
        (self.vt.type_id)() == TypeId::of::<T>()
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
        if !self.is::<T>() {
            return None;
        }
        // SAFETY: the message holds a `T` (type checked above), alive as long as `self`.
        Some(unsafe { &*(self.vt.value)(&self.data).cast::<T>() })
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
        let mut this = mem::ManuallyDrop::new(self);
        let mut out = MaybeUninit::<T>::uninit();
        // SAFETY: the message holds a `T` (type checked above); `take` moves it out
        // once and frees its box, and the message is not dropped after (ManuallyDrop).
        unsafe {
            (this.vt.take)(&mut this.data, out.as_mut_ptr().cast());
            Ok(out.assume_init())
        }
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
        // SAFETY: the data word holds the live value of the table's type.
        unsafe { (self.vt.to_term)(&self.data) }
    }

    /// The message as a term for another node, moving a `Term` out rather than
    /// cloning it (a remote send's hot path); gives the message back if it cannot
    /// cross.
    pub(crate) fn into_term(self) -> Result<Term, Message> {
        if self.is::<Term>() {
            return self.downcast::<Term>();
        }
        self.to_term().ok_or(self)
    }

    /// The Rust type name of the value, for diagnostics.
    ///
    /// ```
    /// use tether::Message;
    /// assert_eq!(Message::new(1u16).type_name(), "u16");
    /// ```
    pub fn type_name(&self) -> &'static str {
        (self.vt.type_name)()
    }
}

impl Drop for Message {
    fn drop(&mut self) {
        // SAFETY: the message still owns its value (`downcast` forgets the message
        // after moving the value out), dropped once, here.
        unsafe { (self.vt.drop)(&mut self.data) }
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    /// Counts its drops; one word, so it is stored inline.
    struct Counted(Arc<AtomicUsize>);
    impl Drop for Counted {
        fn drop(&mut self) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }

    #[test]
    fn two_words_like_a_box() {
        assert_eq!(mem::size_of::<Message>(), 2 * mem::size_of::<usize>());
        assert!(fits::<u64>() && fits::<()>() && fits::<Box<String>>() && fits::<Counted>());
        assert!(!fits::<String>() && !fits::<Term>() && !fits::<u128>());
    }

    #[test]
    fn inline_and_boxed_values_round_trip() {
        let m = Message::new(7u64);
        assert!(m.is::<u64>() && !m.is::<u32>());
        assert_eq!(m.downcast_ref::<u64>(), Some(&7));
        let m = m.downcast::<u32>().unwrap_err();
        assert_eq!(m.downcast::<u64>().unwrap(), 7);

        let m = Message::new(u8::MAX);
        assert_eq!(m.type_name(), "u8");
        assert_eq!(m.downcast::<u8>().unwrap(), 255);

        let m = Message::new(String::from("boxed"));
        assert_eq!(
            m.downcast_ref::<String>().map(String::as_str),
            Some("boxed")
        );
        assert_eq!(m.downcast::<String>().unwrap(), "boxed");

        let m = Message::new(Box::new([1u8; 100]));
        assert_eq!(m.downcast::<Box<[u8; 100]>>().unwrap()[99], 1);
        assert!(Message::new(()).downcast::<()>().is_ok());
    }

    #[test]
    fn terms_and_portable_values_encode() {
        let t = Term::tuple([Term::atom("ok"), Term::Int(1)]);
        assert_eq!(Message::new(t.clone()).to_term(), Some(t.clone()));
        assert_eq!(Message::new(t.clone()).into_term().unwrap(), t);
        assert_eq!(Message::new(1u64).to_term(), None);
        assert!(Message::new(1u64).into_term().is_err());
        let p = Message::portable(5u8, |v| Term::Int(i64::from(*v)));
        assert_eq!(p.to_term(), Some(Term::Int(5)));
        assert_eq!(p.into_term().unwrap(), Term::Int(5));
    }

    #[test]
    fn every_value_is_dropped_once() {
        let drops = Arc::new(AtomicUsize::new(0));
        // Inline: dropped with the message; taken out, dropped by its new owner.
        drop(Message::new(Counted(drops.clone())));
        assert_eq!(drops.load(Ordering::SeqCst), 1);
        let v = Message::new(Counted(drops.clone()))
            .downcast::<Counted>()
            .ok()
            .unwrap();
        assert_eq!(drops.load(Ordering::SeqCst), 1);
        drop(v);
        assert_eq!(drops.load(Ordering::SeqCst), 2);
        // Boxed (two words): the same.
        drop(Message::new((Counted(drops.clone()), 0u64)));
        assert_eq!(drops.load(Ordering::SeqCst), 3);
        let m = Message::new((Counted(drops.clone()), 0u64));
        let m = m.downcast::<u64>().unwrap_err();
        let v = m.downcast::<(Counted, u64)>().ok().unwrap();
        assert_eq!(drops.load(Ordering::SeqCst), 3);
        drop(v);
        assert_eq!(drops.load(Ordering::SeqCst), 4);
        // A failed downcast gives back the same message, still owning its value.
        let m = Message::new(Counted(drops.clone()));
        let m = m.downcast::<String>().unwrap_err();
        drop(m);
        assert_eq!(drops.load(Ordering::SeqCst), 5);
    }
}
