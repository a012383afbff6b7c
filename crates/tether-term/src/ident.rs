//! Identities: nodes, pids, references and ports.
//!
//! Erlang identifies a process by `(node, id, serial, creation)`. Tether keeps exactly
//! those four fields so that a [`Pid`] maps one-to-one to `NEW_PID_EXT`, but stores
//! the node as a [`Node`]: a 4-byte index into a small process-wide table of node
//! names. That keeps `Pid` and [`Reference`] `Copy` and cheap to compare and hash.
//!
//! The node table is bounded ([`Node::MAX`] names). Node names are few in any real
//! cluster (one per peer), so the bound only stops a hostile peer from growing the
//! table without limit; interning past it fails with [`NodeTableFull`].
//!
//! **Which node is "this node" depends on the thread.** Each Tether runtime is a node
//! of its own: it takes a fresh slot in the table ([`Node::new_local`], named
//! `nonode@nohost` until it becomes distributed and calls [`Node::set_local`]) and
//! makes that slot the *local node* of every thread it runs code on
//! ([`Node::enter_local`]). [`Node::local`] and [`Node::is_local`] read that per-thread
//! slot, so two runtimes in one OS process are two nodes, and a pid made by one is a
//! remote pid to the other, exactly as between two OS processes. Outside any runtime
//! the local node is slot 0, `nonode@nohost`. Renaming a slot keeps its index, so pids
//! spawned before the node was named take the new name, as local pids do on the BEAM
//! when `net_kernel` starts.
//!
//! A runtime's slot is its own view of itself; everyone else knows a node by the one
//! ordinary slot of its name ([`Node::intern`] on any other thread,
//! [`Node::canonical`]). So a name stays the same node for the others while the
//! runtime that holds it stops and another takes it up.
//!
//! A runtime's pids and references carry creation 0, meaning "the current
//! incarnation of that runtime's node": the encoder writes the node's current creation
//! for them, and the decoder maps a node's name with its current creation back to 0,
//! whichever thread encodes or decodes. An identifier of an earlier incarnation of this node keeps its
//! creation, so it never matches a live local process.

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{OnceLock, RwLock};

use crate::Atom;

/// A node name such as `tether@localhost`, interned so that it is `Copy`.
///
/// ```
/// use tether_term::Node;
/// let n = Node::intern("beam@host").unwrap();
/// assert_eq!(n.name().as_str(), "beam@host");
/// assert_eq!(n, Node::intern("beam@host").unwrap());
/// assert!(Node::local().is_local());
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Node(u32);

/// [`Node::intern`] failed: the node table already holds [`Node::MAX`] names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NodeTableFull;

impl fmt::Display for NodeTableFull {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "the node name table is full ({} names)", Node::MAX)
    }
}

impl std::error::Error for NodeTableFull {}

struct NodeTable {
    /// Each slot: its name, its creation (for a runtime's slot; 0 for others) and
    /// whether it is a runtime's own slot.
    names: Vec<(Atom, u32, bool)>,
    /// Name to slot, for interning. Runtime slots are never indexed: a name always
    /// interns to the one slot other runtimes know it by.
    index: HashMap<Atom, u32>,
}

thread_local! {
    /// The slot of this thread's local node (see the module docs).
    static LOCAL: Cell<u32> = const { Cell::new(0) };
    /// The last name [`Node::resolve`] looked up on this thread: `(name, local slot,
    /// table generation, node)`. A peer's pids all name the same node, so decoding
    /// them mostly hits this instead of the table's lock and hash map.
    static LAST: RefCell<Option<(Atom, u32, u64, Node)>> = const { RefCell::new(None) };
    /// The last slot whose name and creation were read on this thread: `(slot, table
    /// generation, name, creation)`. Encoding names the same node over and over (the
    /// sender of every message on a connection is a pid of this node), so writing
    /// pids mostly hits this instead of taking the table's lock twice.
    static NAMED: RefCell<Option<(u32, u64, Atom, u32)>> = const { RefCell::new(None) };
}

/// Bumped whenever a slot's name changes ([`Node::set_local`]): a cached lookup of an
/// older generation is not trusted.
static GENERATION: AtomicU64 = AtomicU64::new(0);

impl NodeTable {
    fn push(&mut self, name: Atom, runtime: bool) -> Result<u32, NodeTableFull> {
        if self.names.len() >= Node::MAX {
            return Err(NodeTableFull);
        }
        self.names.push((name, 0, runtime));
        Ok(self.names.len() as u32 - 1)
    }
}

/// Restores the previous local node of this thread when dropped (see
/// [`Node::enter_local`]).
#[must_use = "the local node is restored when the guard is dropped"]
pub struct LocalNodeGuard {
    prev: u32,
}

impl Drop for LocalNodeGuard {
    fn drop(&mut self) {
        LOCAL.with(|l| l.set(self.prev));
    }
}

impl fmt::Debug for LocalNodeGuard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LocalNodeGuard").finish_non_exhaustive()
    }
}

fn table() -> &'static RwLock<NodeTable> {
    static TABLE: OnceLock<RwLock<NodeTable>> = OnceLock::new();
    TABLE.get_or_init(|| {
        let local = Atom::new("nonode@nohost");
        let mut index = HashMap::new();
        index.insert(local.clone(), 0);
        RwLock::new(NodeTable {
            names: vec![(local, 0, false)],
            index,
        })
    })
}

impl Node {
    /// The most node names the table holds.
    pub const MAX: usize = 65_536;

    /// This thread's local node: the node of the Tether runtime running this code,
    /// or `nonode@nohost` outside any runtime.
    ///
    /// ```
    /// use tether_term::Node;
    /// // Outside any runtime, the local node is Erlang's `nonode@nohost`.
    /// assert_eq!(Node::local().name().as_str(), "nonode@nohost");
    /// assert!(Node::local().is_local());
    /// ```
    pub fn local() -> Node {
        Node(LOCAL.with(Cell::get))
    }

    /// Whether this is the local node of this thread (see [`Node::local`]).
    ///
    /// ```
    /// use tether_term::Node;
    /// assert!(Node::local().is_local());
    /// assert!(!Node::intern("elsewhere@host").unwrap().is_local());
    /// ```
    pub fn is_local(self) -> bool {
        self.0 == LOCAL.with(Cell::get)
    }

    /// The node with this name, adding it to the table if new. This thread's local
    /// node's own name gives the local node.
    ///
    /// ```
    /// use tether_term::Node;
    /// let a = Node::intern("a@host").unwrap();
    /// assert_eq!(a, Node::intern("a@host").unwrap()); // one entry per name
    /// assert_eq!(a.name().as_str(), "a@host");
    /// ```
    pub fn intern(name: &str) -> Result<Node, NodeTableFull> {
        let t = table();
        {
            let r = t.read().unwrap_or_else(|e| e.into_inner());
            let local = LOCAL.with(Cell::get);
            if r.names[local as usize].0.as_str() == name {
                return Ok(Node(local));
            }
            if let Some(&i) = r.index.get(name) {
                return Ok(Node(i));
            }
        }
        let mut w = t.write().unwrap_or_else(|e| e.into_inner());
        if let Some(&i) = w.index.get(name) {
            return Ok(Node(i));
        }
        let atom = Atom::new(name);
        let i = w.push(atom.clone(), false)?;
        w.index.insert(atom, i);
        Ok(Node(i))
    }

    /// [`Node::intern`] through this thread's one-entry cache ([`LAST`]).
    fn intern_cached(name: &Atom) -> Result<Node, NodeTableFull> {
        let local = LOCAL.with(Cell::get);
        let generation = GENERATION.load(Ordering::SeqCst);
        let hit = LAST.with_borrow(|last| match last {
            Some((n, l, g, node)) if *l == local && *g == generation && n == name => Some(*node),
            _ => None,
        });
        if let Some(node) = hit {
            return Ok(node);
        }
        let node = Node::intern(name.as_str())?;
        LAST.with_borrow_mut(|last| *last = Some((name.clone(), local, generation, node)));
        Ok(node)
    }

    /// The node other runtimes know this one by: a distributed runtime's own slot
    /// (see [`Node::new_local`]) maps to the ordinary slot of its current name; any
    /// other node, and an undistributed runtime's slot, is itself. The distribution layer routes by it, so that a pid handed from
    /// one runtime to another through memory reaches its node like one that came
    /// over the wire.
    ///
    /// ```
    /// use tether_term::Node;
    /// let mine = Node::new_local().unwrap();
    /// let _guard = Node::enter_local(mine);
    /// Node::set_local("canon@host", 1);
    /// let known_as = mine.canonical();
    /// assert_ne!(known_as, mine);
    /// assert_eq!(known_as.name().as_str(), "canon@host");
    /// assert_eq!(Node::intern("canon@host").unwrap(), mine, "on its own threads");
    /// ```
    pub fn canonical(self) -> Node {
        let name = {
            let r = table().read().unwrap_or_else(|e| e.into_inner());
            let (name, creation, runtime) = &r.names[self.0 as usize];
            // An undistributed runtime has no name others could know it by.
            if !*runtime || *creation == 0 {
                return self;
            }
            if let Some(&i) = r.index.get(name.as_str()) {
                return Node(i);
            }
            name.clone()
        };
        let mut w = table().write().unwrap_or_else(|e| e.into_inner());
        if let Some(&i) = w.index.get(name.as_str()) {
            return Node(i);
        }
        match w.push(name.clone(), false) {
            Ok(i) => {
                w.index.insert(name, i);
                Node(i)
            }
            Err(NodeTableFull) => self,
        }
    }

    /// A new local node for a runtime: a fresh slot named `nonode@nohost` with
    /// creation 0, distinct from every other node (see the module docs). Make it a
    /// thread's local node with [`Node::enter_local`].
    ///
    /// ```
    /// use tether_term::Node;
    /// let a = Node::new_local().unwrap();
    /// let b = Node::new_local().unwrap();
    /// assert_ne!(a, b);
    /// assert_eq!(a.name().as_str(), "nonode@nohost");
    /// ```
    pub fn new_local() -> Result<Node, NodeTableFull> {
        let mut w = table().write().unwrap_or_else(|e| e.into_inner());
        w.push(Atom::new("nonode@nohost"), true).map(Node)
    }

    /// Makes `node` this thread's local node until the guard is dropped (which
    /// restores the previous one).
    ///
    /// ```
    /// use tether_term::Node;
    /// let mine = Node::new_local().unwrap();
    /// {
    ///     let _guard = Node::enter_local(mine);
    ///     assert_eq!(Node::local(), mine);
    /// }
    /// assert_ne!(Node::local(), mine);
    /// ```
    pub fn enter_local(node: Node) -> LocalNodeGuard {
        LocalNodeGuard {
            prev: LOCAL.with(|l| l.replace(node.0)),
        }
    }

    /// Names this thread's local node and sets its creation (done when a runtime
    /// becomes a distributed node). Returns the previous name.
    ///
    /// Pids already spawned take the new name. Naming it `nonode@nohost` (creation 0)
    /// makes it undistributed again.
    ///
    /// ```
    /// use tether_term::Node;
    /// // On a thread of its own, as a runtime's threads each have their local node.
    /// std::thread::spawn(|| {
    ///     let _guard = Node::enter_local(Node::new_local().unwrap());
    ///     let before = Node::set_local("app@host", 7);
    ///     assert_eq!(before.as_str(), "nonode@nohost");
    ///     assert_eq!(Node::local().name().as_str(), "app@host");
    ///     assert_eq!(Node::local_creation(), 7);
    /// })
    /// .join()
    /// .unwrap();
    /// ```
    pub fn set_local(name: &str, creation: u32) -> Atom {
        let local = LOCAL.with(Cell::get) as usize;
        let mut w = table().write().unwrap_or_else(|e| e.into_inner());
        let entry = &mut w.names[local];
        entry.1 = creation;
        GENERATION.fetch_add(1, Ordering::SeqCst);
        std::mem::replace(&mut entry.0, Atom::new(name))
    }

    /// This thread's local node's creation (0 until it is distributed).
    ///
    /// ```
    /// use tether_term::Node;
    /// assert_eq!(Node::local_creation(), 0); // not distributed
    /// ```
    pub fn local_creation() -> u32 {
        Node::local().slot_creation()
    }

    /// The node's name.
    ///
    /// ```
    /// use tether_term::Node;
    /// assert_eq!(Node::intern("db@10.0.0.1").unwrap().name().as_str(), "db@10.0.0.1");
    /// ```
    pub fn name(self) -> Atom {
        self.with_name(Atom::clone)
    }

    /// The number Erlang-style printing shows for the node: 0 for the local node,
    /// the table index otherwise.
    fn display_index(self) -> u32 {
        if self.is_local() { 0 } else { self.0 }
    }

    /// The raw table index (stable for the life of the OS process).
    ///
    /// ```
    /// use tether_term::Node;
    /// let n = Node::intern("indexed@host").unwrap();
    /// assert_eq!(Node::from_index(n.index()), Some(n));
    /// ```
    pub fn index(self) -> u32 {
        self.0
    }

    /// The node at table index `index`, if the table has that many names.
    ///
    /// ```
    /// use tether_term::Node;
    /// let n = Node::intern("idx@host").unwrap();
    /// assert_eq!(Node::from_index(n.index()), Some(n));
    /// assert_eq!(Node::from_index(u32::MAX), None);
    /// ```
    pub fn from_index(index: u32) -> Option<Node> {
        let t = table().read().unwrap_or_else(|e| e.into_inner());
        ((index as usize) < t.names.len()).then_some(Node(index))
    }

    /// Runs `f` on the node's name without cloning it.
    pub(crate) fn with_name<R>(self, f: impl FnOnce(&Atom) -> R) -> R {
        self.with_entry(|name, _| f(name))
    }

    /// The creation recorded for this slot: a runtime's node's current creation (0
    /// while it is not distributed), 0 for a remote node.
    fn slot_creation(self) -> u32 {
        self.with_entry(|_, creation| creation)
    }

    /// Runs `f` with the slot's name and creation, through this thread's one-entry
    /// cache ([`NAMED`]; trusted only for the table generation it was read in, as
    /// [`LAST`] is).
    fn with_entry<R>(self, f: impl FnOnce(&Atom, u32) -> R) -> R {
        let generation = GENERATION.load(Ordering::SeqCst);
        NAMED.with(|cell| {
            if let Ok(cached) = cell.try_borrow()
                && let Some((slot, g, name, creation)) = &*cached
                && *slot == self.0
                && *g == generation
            {
                return f(name, *creation);
            }
            let (name, creation) = {
                let t = table().read().unwrap_or_else(|e| e.into_inner());
                let e = &t.names[self.0 as usize];
                (e.0.clone(), e.1)
            };
            let r = f(&name, creation);
            // Not while an outer call on this thread holds the cache (`f` does not
            // call back in today; if it ever does, it just misses the cache).
            if let Ok(mut c) = cell.try_borrow_mut() {
                *c = Some((self.0, generation, name, creation));
            }
            r
        })
    }

    /// Maps a `(name, creation)` pair read from the wire to a node and the creation
    /// to store: the current incarnation of a runtime's node becomes `(its slot, 0)`,
    /// on whichever thread it is decoded, so the identifiers a runtime hands out in
    /// memory and the same ones read back from the wire are equal.
    pub(crate) fn resolve(name: &Atom, creation: u32) -> Result<(Node, u32), NodeTableFull> {
        let node = Node::intern_cached(name)?;
        if creation != 0 && creation == node.slot_creation() {
            Ok((node, 0))
        } else {
            Ok((node, creation))
        }
    }

    /// The creation to write for an identifier of this node carrying `creation`: 0
    /// stands for the current creation of a runtime's node.
    ///
    /// ```
    /// use tether_term::Node;
    /// let remote = Node::intern("peer@host").unwrap();
    /// assert_eq!(remote.wire_creation(7), 7);
    /// ```
    pub fn wire_creation(self, creation: u32) -> u32 {
        if creation == 0 {
            self.slot_creation()
        } else {
            creation
        }
    }
}

impl fmt::Debug for Node {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.name())
    }
}

impl fmt::Display for Node {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.name())
    }
}

/// A process identifier, as Erlang's `NEW_PID_EXT` (node, id, serial, creation).
///
/// `Pid` is `Copy`; it can be put in a message, sent to another node and used there.
/// It displays as Erlang prints pids: `<0.42.0>` for a local one.
///
/// ```
/// use tether_term::{Node, Pid};
/// let p = Pid::new(Node::local(), 42, 0, 0);
/// assert_eq!(p.to_string(), "<0.42.0>");
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
#[repr(align(8))] // keeps Term's fields 8-byte aligned (see the note in atom.rs)
pub struct Pid {
    /// The node the process lives on.
    pub node: Node,
    /// Process id (unique among the node's live processes).
    pub id: u32,
    /// Serial, so that ids can be reused.
    pub serial: u32,
    /// The node incarnation the pid belongs to.
    pub creation: u32,
}

impl Pid {
    /// Builds a pid from its parts.
    ///
    /// ```
    /// use tether_term::{Node, Pid, Term};
    /// let p = Pid::new(Node::intern("a@host").unwrap(), 85, 0, 1);
    /// assert_eq!((p.id, p.serial, p.creation), (85, 0, 1));
    /// assert_eq!(Term::Pid(p).to_string().ends_with(".85.0>"), true);
    /// ```
    pub const fn new(node: Node, id: u32, serial: u32, creation: u32) -> Pid {
        Pid {
            node,
            id,
            serial,
            creation,
        }
    }

    /// The same pid as the nodes other than its own know it: a pid handed from one
    /// runtime to another through memory carries its runtime's own node slot and
    /// creation 0; this gives the ordinary slot of that node's name and its current
    /// creation, as the pid would arrive over the wire (see [`Node::canonical`]).
    ///
    /// ```
    /// use tether_term::{Node, Pid};
    /// let p = Pid::new(Node::intern("far@host").unwrap(), 1, 0, 9);
    /// assert_eq!(p.canonical(), p);
    /// ```
    pub fn canonical(self) -> Pid {
        let node = self.node.canonical();
        if node == self.node {
            return self;
        }
        Pid::new(
            node,
            self.id,
            self.serial,
            self.node.wire_creation(self.creation),
        )
    }

    /// Whether the pid names a process of this node.
    ///
    /// Pids of this node's current incarnation carry creation 0, which the encoder
    /// writes as [`Node::local_creation`]; a decoded pid of an earlier incarnation of
    /// this node keeps its old creation and so never matches a live process.
    ///
    /// ```
    /// use tether_term::{Node, Pid};
    /// assert!(!Pid::new(Node::intern("far@host").unwrap(), 1, 0, 1).is_local());
    /// assert!(Pid::new(Node::local(), 1, 0, 0).is_local());
    /// ```
    pub fn is_local(&self) -> bool {
        self.node.is_local()
    }
}

impl fmt::Display for Pid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Erlang prints the node as a small per-node number; we print 0 for local
        // and the table index otherwise, which is equally opaque and stable.
        write!(
            f,
            "<{}.{}.{}>",
            self.node.display_index(),
            self.id,
            self.serial
        )
    }
}

impl fmt::Debug for Pid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.node.is_local() {
            write!(f, "{self}")
        } else {
            write!(f, "{self}@{}", self.node)
        }
    }
}

/// A reference, as Erlang's `NEWER_REFERENCE_EXT`: a node, a creation and 1–5 words.
///
/// ```
/// use tether_term::{Node, Reference};
/// let r = Reference::new(Node::local(), 0, &[1, 2, 3]);
/// assert_eq!(r.words(), &[1, 2, 3]);
/// ```
#[derive(Clone, Copy, PartialEq, Eq)]
#[repr(align(8))] // keeps Term's fields 8-byte aligned (see the note in atom.rs)
pub struct Reference {
    /// The node that made the reference.
    pub node: Node,
    /// That node's incarnation.
    pub creation: u32,
    len: u8,
    ids: [u32; 5],
}

/// Four word-sized writes (the derived `Hash` made seven small ones, and references
/// key every process's monitor and alias maps). Equal references write equal words:
/// unused id words are always zero.
impl Hash for Reference {
    fn hash<H: Hasher>(&self, state: &mut H) {
        let pair = |a: u32, b: u32| u64::from(a) | (u64::from(b) << 32);
        let [a, b, c, d, e] = self.ids;
        state.write_u64(pair(self.node.0, self.creation));
        state.write_u64(pair(a, b));
        state.write_u64(pair(c, d));
        state.write_u64(pair(e, u32::from(self.len)));
    }
}

impl Reference {
    /// Builds a reference from up to five id words (more are truncated to five).
    ///
    /// ```
    /// use tether_term::{Node, Reference};
    /// let r = Reference::new(Node::intern("a@host").unwrap(), 3, &[1, 2, 3]);
    /// assert_eq!(r.words(), [1, 2, 3]);
    /// ```
    pub fn new(node: Node, creation: u32, words: &[u32]) -> Reference {
        let mut ids = [0; 5];
        let len = words.len().min(5);
        ids[..len].copy_from_slice(&words[..len]);
        Reference {
            node,
            creation,
            len: len as u8,
            ids,
        }
    }

    /// The id words.
    ///
    /// ```
    /// use tether_term::{Node, Reference};
    /// let r = Reference::new(Node::local(), 0, &[9, 8, 7]);
    /// assert_eq!(r.words().len(), 3);
    /// assert_eq!(r.words()[0], 9);
    /// ```
    pub fn words(&self) -> &[u32] {
        &self.ids[..self.len as usize]
    }

    /// Whether the reference was made by this node (creation 0 stands for the current
    /// incarnation, as for [`Pid`]).
    ///
    /// ```
    /// use tether_term::{Node, Reference};
    /// assert!(Reference::new(Node::local(), 0, &[1, 2, 3]).is_local());
    /// assert!(!Reference::new(Node::intern("b@host").unwrap(), 1, &[1, 2, 3]).is_local());
    /// ```
    pub fn is_local(&self) -> bool {
        self.node.is_local()
    }
}

impl fmt::Display for Reference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "#Ref<{}", self.node.display_index())?;
        for w in self.words().iter().rev() {
            write!(f, ".{w}")?;
        }
        f.write_str(">")
    }
}

impl fmt::Debug for Reference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

/// A port identifier, as Erlang's `V4_PORT_EXT` (node, 64-bit id, creation).
///
/// Tether has no ports of its own; ports arrive from BEAM peers and are kept faithfully.
///
/// ```
/// use tether_term::{Node, Port};
/// let p = Port::new(Node::local(), 7, 0);
/// assert_eq!(p.to_string(), "#Port<0.7>");
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Port {
    /// The node the port lives on.
    pub node: Node,
    /// Port id.
    pub id: u64,
    /// The node incarnation.
    pub creation: u32,
}

impl Port {
    /// Builds a port from its parts.
    ///
    /// ```
    /// use tether_term::{Node, Port, Term};
    /// let p = Port::new(Node::intern("a@host").unwrap(), 4, 1);
    /// assert_eq!(p.id, 4);
    /// assert_eq!(Term::from(p).as_ref(), None); // a port, not a reference
    /// ```
    pub const fn new(node: Node, id: u64, creation: u32) -> Port {
        Port { node, id, creation }
    }
}

impl fmt::Display for Port {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "#Port<{}.{}>", self.node.display_index(), self.id)
    }
}

impl fmt::Debug for Port {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}
