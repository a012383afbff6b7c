//! Atoms.
//!
//! An [`Atom`] is an immutable, cheaply clonable name. Atoms are *not* interned in a
//! global table: a peer that sends a million distinct atoms costs memory only while
//! those terms are alive, never forever (the BEAM's atom table is a classic way to
//! crash a node; Tether does not repeat it).

use std::fmt;
use std::sync::Arc;

/// An Erlang atom, such as `ok` or `'EXIT'`.
///
/// Atoms compare, hash and order by their text, as Erlang orders them.
///
/// ```
/// use tether_term::Atom;
/// let ok = Atom::new("ok");
/// assert_eq!(ok.as_str(), "ok");
/// assert_eq!(ok, Atom::from("ok"));
/// ```
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Atom(Arc<str>);

impl Atom {
    /// Makes an atom from its text.
    pub fn new(text: &str) -> Atom {
        Atom(Arc::from(text))
    }

    /// The atom's text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl From<&str> for Atom {
    fn from(text: &str) -> Atom {
        Atom::new(text)
    }
}

impl From<String> for Atom {
    fn from(text: String) -> Atom {
        Atom(Arc::from(text))
    }
}

impl PartialEq<str> for Atom {
    fn eq(&self, other: &str) -> bool {
        &*self.0 == other
    }
}

impl PartialEq<&str> for Atom {
    fn eq(&self, other: &&str) -> bool {
        &*self.0 == *other
    }
}

impl fmt::Debug for Atom {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl fmt::Display for Atom {
    /// Writes the atom as Erlang source would, quoting it when needed.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = self.as_str();
        let mut chars = s.chars();
        let bare = matches!(chars.next(), Some(c) if c.is_ascii_lowercase())
            && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '@');
        if bare && !is_reserved_word(s) {
            f.write_str(s)
        } else {
            f.write_str("'")?;
            for c in s.chars() {
                match c {
                    '\'' => f.write_str("\\'")?,
                    '\\' => f.write_str("\\\\")?,
                    '\n' => f.write_str("\\n")?,
                    '\t' => f.write_str("\\t")?,
                    c => write!(f, "{c}")?,
                }
            }
            f.write_str("'")
        }
    }
}

fn is_reserved_word(s: &str) -> bool {
    matches!(
        s,
        "after" | "and" | "andalso" | "band" | "begin" | "bnot" | "bor" | "bsl" | "bsr"
            | "bxor" | "case" | "catch" | "cond" | "div" | "end" | "fun" | "if" | "let"
            | "maybe" | "not" | "of" | "or" | "orelse" | "receive" | "rem" | "try" | "when"
            | "xor"
    )
}

impl std::borrow::Borrow<str> for Atom {
    fn borrow(&self) -> &str {
        &self.0
    }
}
