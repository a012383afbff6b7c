//! Names as Erlang writes them: the argument type of `global`'s names and `pg`'s
//! groups.
//!
//! Both take any term, and Erlang and Elixir code almost always uses atoms (`:counter`,
//! `{:kv, node}`). A Rust string converts to a *binary* term (an Elixir string), which
//! an Elixir user looking up `{:global, :counter}` would not find; so these functions
//! take [`NameTerm`], where a Rust string is an atom, and any other term is given as a
//! [`Term`].

use tether_term::{Atom, Node, Term};

/// A global name or pg group: strings and [`Atom`]s are atoms, a [`Term`] is itself,
/// a pair is a 2-tuple.
///
/// ```
/// use tether::kernel::NameTerm;
/// use tether::{Node, Term};
///
/// assert_eq!("counter".name_term(), Term::atom("counter"));
/// let node = Node::intern("a@host").unwrap();
/// assert_eq!(("kv", node).name_term(), "{kv, 'a@host'}".parse().unwrap());
/// assert_eq!(Term::from("text").name_term(), Term::from("text")); // a binary, as given
/// ```
pub trait NameTerm {
    /// The term this name is on the wire.
    ///
    /// ```
    /// use tether::kernel::NameTerm;
    /// use tether::Term;
    /// assert_eq!("jobs".name_term(), Term::atom("jobs"));
    /// assert_eq!(("jobs", 1.5f64.to_string()).name_term().as_tuple().map(|t| t.len()), Some(2));
    /// ```
    fn name_term(self) -> Term;
}

impl NameTerm for &str {
    fn name_term(self) -> Term {
        Term::atom(self)
    }
}

impl NameTerm for String {
    fn name_term(self) -> Term {
        Term::atom(&self)
    }
}

impl NameTerm for &String {
    fn name_term(self) -> Term {
        Term::atom(self)
    }
}

impl NameTerm for Atom {
    fn name_term(self) -> Term {
        Term::Atom(self)
    }
}

impl NameTerm for Node {
    fn name_term(self) -> Term {
        Term::Atom(self.name())
    }
}

impl NameTerm for Term {
    fn name_term(self) -> Term {
        self
    }
}

impl NameTerm for &Term {
    fn name_term(self) -> Term {
        self.clone()
    }
}

impl<A: NameTerm, B: NameTerm> NameTerm for (A, B) {
    fn name_term(self) -> Term {
        Term::tuple([self.0.name_term(), self.1.name_term()])
    }
}
