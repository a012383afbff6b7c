//! The serde bridge: Rust values to terms and back, the way Elixir code writes them.
//!
//! [`to_term`] serializes any `Serialize` value into a [`Term`]; [`from_term`] and
//! [`from_term_ref`] deserialize a term into any `Deserialize` type. The mapping is
//! the table in the [crate docs](crate#serde-mapping). Three design points:
//!
//! - **Names become atoms.** Struct fields are used as they are (Rust fields are
//!   already snake_case, like Elixir keys). Variant and unit-struct names written in
//!   `CamelCase` become `snake_case` atoms (`Put` → `put`, `GetAll` → `get_all`,
//!   `HTTPError` → `http_error`); any other name is used verbatim, so
//!   `#[serde(rename = "EXIT")]` gives `'EXIT'` and `#[serde(rename = "$gen_call")]`
//!   gives `'$gen_call'`. When deserializing, an atom matches a variant if it equals
//!   the converted name or the name itself.
//! - **Elixir structs.** A struct whose serde name starts with `Elixir.` (set with
//!   `#[serde(rename = "Elixir.MyApp.User")]`) gets a `__struct__` key naming that
//!   module, which is exactly what `%MyApp.User{}` is on the wire; deserializing it
//!   checks the key when present. Other structs are plain atom-keyed maps, and a
//!   `__struct__` key in the input is ignored.
//! - **Terms pass through.** [`Term`], [`Pid`](crate::Pid),
//!   [`Reference`](crate::Reference), [`Port`](crate::Port), [`Atom`](crate::Atom)
//!   and [`BigInt`](crate::BigInt) implement `Serialize`/`Deserialize`; inside
//!   `to_term`/`from_term` they are carried as themselves, untouched. Under another
//!   serializer they take a natural form (as Elixir's Jason encodes terms: atoms as
//!   strings, `true`/`false` as booleans, `nil` as null, pids and references as their
//!   printed text).

mod de;
mod passthrough;
mod ser;

use std::borrow::Cow;
use std::fmt;

pub use de::{from_term, from_term_ref};
pub use ser::to_term;

/// Converting between a Rust value and a term failed.
///
/// ```
/// use tether_term::{from_term, Term};
/// let err = from_term::<u8>(Term::from(300)).unwrap_err();
/// assert!(err.to_string().contains("300"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SerdeError(String);

impl SerdeError {
    pub(crate) fn new(msg: impl Into<String>) -> SerdeError {
        SerdeError(msg.into())
    }

    /// The message.
    ///
    /// ```
    /// use tether_term::{from_term, Term};
    /// let err = from_term::<bool>(Term::from(1)).unwrap_err();
    /// assert!(!err.message().is_empty());
    /// assert_eq!(err.to_string(), err.message());
    /// ```
    pub fn message(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for SerdeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for SerdeError {}

impl serde::ser::Error for SerdeError {
    fn custom<T: fmt::Display>(msg: T) -> SerdeError {
        SerdeError(msg.to_string())
    }
}

impl serde::de::Error for SerdeError {
    fn custom<T: fmt::Display>(msg: T) -> SerdeError {
        SerdeError(msg.to_string())
    }
}

/// The atom for a variant or unit-struct name (see the module docs).
pub(crate) fn name_atom(name: &str) -> Cow<'_, str> {
    let b = name.as_bytes();
    let camel = b.first().is_some_and(u8::is_ascii_uppercase)
        && b.iter().all(u8::is_ascii_alphanumeric)
        && b.iter().any(u8::is_ascii_lowercase);
    if !camel {
        return Cow::Borrowed(name);
    }
    let mut out = String::with_capacity(name.len() + 4);
    for (i, &c) in b.iter().enumerate() {
        if c.is_ascii_uppercase() {
            let prev = if i > 0 { b[i - 1] } else { b'_' };
            let next = b.get(i + 1).copied().unwrap_or(b'_');
            if i > 0
                && (prev.is_ascii_lowercase()
                    || prev.is_ascii_digit()
                    || (prev.is_ascii_uppercase() && next.is_ascii_lowercase()))
            {
                out.push('_');
            }
            out.push(c.to_ascii_lowercase() as char);
        } else {
            out.push(c as char);
        }
    }
    Cow::Owned(out)
}

/// The atom for variant `variant` of enum `name`: as [`name_atom`], except that
/// `Result::Err` is `error`, so that `Result<T, E>` is `{ok, T} | {error, E}`.
pub(crate) fn variant_atom<'a>(name: &str, variant: &'a str) -> Cow<'a, str> {
    if name == "Result" && variant == "Err" {
        Cow::Borrowed("error")
    } else {
        name_atom(variant)
    }
}

#[cfg(test)]
mod tests {
    use super::name_atom;

    #[test]
    fn names() {
        assert_eq!(name_atom("Put"), "put");
        assert_eq!(name_atom("GetAll"), "get_all");
        assert_eq!(name_atom("HTTPError"), "http_error");
        assert_eq!(name_atom("V2Thing"), "v2_thing");
        assert_eq!(name_atom("EXIT"), "EXIT");
        assert_eq!(name_atom("$gen_call"), "$gen_call");
        assert_eq!(name_atom("Elixir.Foo"), "Elixir.Foo");
        assert_eq!(name_atom("ok"), "ok");
    }
}
