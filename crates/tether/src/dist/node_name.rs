//! Node names as they travel in the handshake: `name@host`.
//!
//! A node name is an atom on the BEAM, so it is at most 255 characters, and OTP only
//! accepts `alive@host` with both parts non-empty. Every name read from the network
//! goes through [`NodeName::parse`] before it is used, logged or compared.
//!
//! Erlang orders atoms by their UTF-8 bytes (erts `erts_cmp_atoms`: a precomputed
//! ordinal of the first bytes, then `cmpbytes` on the rest, shorter-prefix first), which
//! is exactly Rust's byte-wise `str` order. [`NodeName`]'s `Ord` is that order, and the
//! simultaneous-connect rule (`dist::handshake`) relies on it so that both
//! ends pick the same winner.

use std::cmp::Ordering;
use std::fmt;

/// The longest node name accepted, in characters (an atom's limit on the BEAM).
pub const MAX_NODE_NAME_CHARS: usize = 255;

/// A validated node name, `alive@host`.
///
/// ```
/// use tether::dist::NodeName;
/// let n = NodeName::parse("tether@localhost").unwrap();
/// assert_eq!(n.alive(), "tether");
/// assert_eq!(n.host(), "localhost");
/// assert!(NodeName::parse("nohost").is_err());
/// // Erlang atom order: byte-wise.
/// assert!(NodeName::parse("a@h").unwrap() < NodeName::parse("b@h").unwrap());
/// ```
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct NodeName {
    full: String,
    at: usize,
}

/// Why a node name was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NodeNameError {
    /// Not valid UTF-8.
    NotUtf8,
    /// Longer than [`MAX_NODE_NAME_CHARS`].
    TooLong(usize),
    /// No `@`, or an empty part before or after it.
    Malformed(String),
}

impl fmt::Display for NodeNameError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NodeNameError::NotUtf8 => f.write_str("node name is not valid UTF-8"),
            NodeNameError::TooLong(n) => {
                write!(
                    f,
                    "node name has {n} characters (at most {MAX_NODE_NAME_CHARS})"
                )
            }
            NodeNameError::Malformed(s) => {
                write!(f, "node name {s:?} is not of the form name@host")
            }
        }
    }
}

impl std::error::Error for NodeNameError {}

impl NodeName {
    /// Validates `name@host`: both parts non-empty, no NUL or control characters, at
    /// most [`MAX_NODE_NAME_CHARS`] characters.
    ///
    /// ```
    /// # use tether::dist::NodeName;
    /// let n = NodeName::parse("kv@10.0.0.7").unwrap();
    /// assert_eq!((n.alive(), n.host()), ("kv", "10.0.0.7"));
    /// assert!(NodeName::parse("no_host").is_err());
    /// assert!(NodeName::parse("@host").is_err());
    /// ```
    pub fn parse(s: &str) -> Result<NodeName, NodeNameError> {
        let chars = s.chars().count();
        if chars > MAX_NODE_NAME_CHARS {
            return Err(NodeNameError::TooLong(chars));
        }
        let at = s
            .find('@')
            .ok_or_else(|| NodeNameError::Malformed(s.to_owned()))?;
        let (alive, host) = (&s[..at], &s[at + 1..]);
        if alive.is_empty() || host.is_empty() || s.chars().any(char::is_control) {
            return Err(NodeNameError::Malformed(s.to_owned()));
        }
        Ok(NodeName {
            full: s.to_owned(),
            at,
        })
    }

    /// Validates raw bytes from the network.
    ///
    /// ```
    /// # use tether::dist::NodeName;
    /// let n = NodeName::from_bytes(b"a@host").unwrap();
    /// assert_eq!(n.as_str(), "a@host");
    /// assert!(NodeName::from_bytes(&[0xff, b'@', b'h']).is_err()); // not UTF-8
    /// ```
    pub fn from_bytes(bytes: &[u8]) -> Result<NodeName, NodeNameError> {
        if bytes.len() > MAX_NODE_NAME_CHARS * 4 {
            return Err(NodeNameError::TooLong(bytes.len()));
        }
        let s = std::str::from_utf8(bytes).map_err(|_| NodeNameError::NotUtf8)?;
        NodeName::parse(s)
    }

    /// The whole name.
    ///
    /// ```
    /// # use tether::dist::NodeName;
    /// assert_eq!(NodeName::parse("a@h").unwrap().as_str(), "a@h");
    /// ```
    pub fn as_str(&self) -> &str {
        &self.full
    }

    /// The part before `@` (what EPMD registers).
    ///
    /// ```
    /// # use tether::dist::NodeName;
    /// assert_eq!(NodeName::parse("worker@h").unwrap().alive(), "worker");
    /// ```
    pub fn alive(&self) -> &str {
        &self.full[..self.at]
    }

    /// The part after `@`.
    ///
    /// ```
    /// # use tether::dist::NodeName;
    /// assert_eq!(NodeName::parse("worker@db.local").unwrap().host(), "db.local");
    /// ```
    pub fn host(&self) -> &str {
        &self.full[self.at + 1..]
    }
}

impl Ord for NodeName {
    fn cmp(&self, other: &Self) -> Ordering {
        atom_cmp(&self.full, &other.full)
    }
}

impl PartialOrd for NodeName {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// Compares two atom texts as Erlang's term order does (byte-wise on UTF-8).
///
/// ```
/// use std::cmp::Ordering;
/// use tether::dist::node_name::atom_cmp;
/// assert_eq!(atom_cmp("a@h", "b@h"), Ordering::Less);
/// assert_eq!(atom_cmp("b@h", "b@h"), Ordering::Equal);
/// ```
pub fn atom_cmp(a: &str, b: &str) -> Ordering {
    a.as_bytes().cmp(b.as_bytes())
}

impl fmt::Display for NodeName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.full)
    }
}

impl fmt::Debug for NodeName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", self.full)
    }
}

impl std::str::FromStr for NodeName {
    type Err = NodeNameError;
    fn from_str(s: &str) -> Result<NodeName, NodeNameError> {
        NodeName::parse(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validation() {
        assert!(NodeName::parse("a@b").is_ok());
        assert!(NodeName::parse("@b").is_err());
        assert!(NodeName::parse("a@").is_err());
        assert!(NodeName::parse("a\0@b").is_err());
        assert!(NodeName::parse(&format!("{}@h", "x".repeat(253))).is_ok());
        assert!(NodeName::parse(&format!("{}@h", "x".repeat(254))).is_err());
        assert_eq!(NodeName::from_bytes(b"\xff@h"), Err(NodeNameError::NotUtf8));
        let n = NodeName::parse("a@b@c").unwrap();
        assert_eq!((n.alive(), n.host()), ("a", "b@c"));
    }

    #[test]
    fn atom_order_is_bytewise() {
        // Shorter prefix first; upper case before lower case; UTF-8 after ASCII.
        let mut v = vec![
            "tether@z", "tether@h", "Z@h", "beam@h", "beam1@h", "é@h", "b@h",
        ];
        v.sort_by(|a, b| atom_cmp(a, b));
        assert_eq!(
            v,
            [
                "Z@h", "b@h", "beam1@h", "beam@h", "tether@h", "tether@z", "é@h"
            ]
        );
    }
}
