//! Erlang terms for Rust: the [`Term`] type, identities ([`Pid`], [`Reference`],
//! [`Port`], [`Node`]) and atoms.

mod atom;
mod ident;
mod term;

pub use atom::Atom;
pub use ident::{Node, NodeTableFull, Pid, Port, Reference};
pub use term::{BigInt, Export, Fun, Term};
