//! Cookies and the challenge digest.
//!
//! OTP 25 keeps one cookie per remote node (`erlang:set_cookie/2`), falling back to the
//! node's own cookie, and uses that single value in both directions of a handshake.
//! [`Cookies`] is that table. The digest proving knowledge of a cookie is
//! `MD5(cookie ++ decimal(challenge))` (`dist_util:gen_digest/2`); it is compared in
//! constant time ([`verify_digest`]). Cookies never appear in `Debug` output or logs.

use std::collections::HashMap;
use std::fmt;
use std::sync::RwLock;

use md5::{Digest, Md5};
use subtle::ConstantTimeEq;

/// A distribution cookie. Never empty; redacted in `Debug`.
///
/// ```
/// use tether::dist::Cookie;
/// let c = Cookie::new("secretcookie").unwrap();
/// assert_eq!(format!("{c:?}"), "Cookie(<redacted>)");
/// assert!(Cookie::new("").is_none());
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct Cookie(String);

impl Cookie {
    /// A cookie from its text; `None` if empty (an empty cookie would let anyone in).
    ///
    /// ```
    /// # use tether::dist::{Cookie, Cookies};
    /// let c = Cookie::new("monster").unwrap();
    /// assert_eq!(c.expose(), "monster");
    /// assert!(Cookie::new("").is_none());
    /// ```
    pub fn new(text: impl Into<String>) -> Option<Cookie> {
        let text = text.into();
        (!text.is_empty()).then_some(Cookie(text))
    }

    /// The cookie's text.
    ///
    /// ```
    /// # use tether::dist::{Cookie, Cookies};
    /// let c = Cookie::new("monster").unwrap();
    /// assert_eq!(c.expose(), "monster");
    /// assert_eq!(format!("{c:?}"), "Cookie(<redacted>)"); // Debug never shows it
    /// ```
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// The 16-byte digest for `challenge`: `MD5(cookie ++ challenge as decimal)`.
    ///
    /// ```
    /// use tether::dist::Cookie;
    /// let d = Cookie::new("secretcookie").unwrap().digest(0x2a1b2b0f);
    /// assert_eq!(d[..4], [0xea, 0x57, 0xd3, 0xa5]);
    /// ```
    pub fn digest(&self, challenge: u32) -> [u8; 16] {
        let mut h = Md5::new();
        h.update(self.0.as_bytes());
        h.update(challenge.to_string().as_bytes());
        h.finalize().into()
    }
}

impl fmt::Debug for Cookie {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Cookie(<redacted>)")
    }
}

/// Checks a digest received from a peer against the expected one in constant time.
///
/// ```
/// # use tether::dist::{Cookie, Cookies};
/// use tether::dist::cookie::verify_digest;
/// let c = Cookie::new("monster").unwrap();
/// let reply = c.digest(42);
/// assert!(verify_digest(&c, 42, &reply));
/// assert!(!verify_digest(&c, 43, &reply));
/// assert!(!verify_digest(&Cookie::new("other").unwrap(), 42, &reply));
/// ```
pub fn verify_digest(cookie: &Cookie, challenge: u32, received: &[u8]) -> bool {
    let expected = cookie.digest(challenge);
    received.len() == expected.len() && bool::from(expected.ct_eq(received))
}

/// The node's cookie plus per-peer overrides, like `erlang:set_cookie/1,2`.
///
/// ```
/// use tether::dist::{Cookie, Cookies};
/// let cookies = Cookies::new(Cookie::new("default").unwrap());
/// cookies.set_for("beam@host", Cookie::new("special").unwrap());
/// assert_eq!(cookies.for_node("beam@host").expose(), "special");
/// assert_eq!(cookies.for_node("other@host").expose(), "default");
/// ```
pub struct Cookies {
    default: RwLock<Cookie>,
    per_node: RwLock<HashMap<String, Cookie>>,
}

impl Cookies {
    /// A table whose default cookie is `default`.
    ///
    /// ```
    /// # use tether::dist::{Cookie, Cookies};
    /// let cookies = Cookies::new(Cookie::new("ours").unwrap());
    /// assert_eq!(cookies.default().expose(), "ours");
    /// assert_eq!(cookies.for_node("any@host").expose(), "ours");
    /// ```
    pub fn new(default: Cookie) -> Cookies {
        Cookies {
            default: RwLock::new(default),
            per_node: RwLock::new(HashMap::new()),
        }
    }

    /// The cookie to use with `node` (its override, else the default).
    ///
    /// ```
    /// # use tether::dist::{Cookie, Cookies};
    /// let cookies = Cookies::new(Cookie::new("ours").unwrap());
    /// cookies.set_for("legacy@host", Cookie::new("theirs").unwrap());
    /// assert_eq!(cookies.for_node("legacy@host").expose(), "theirs");
    /// assert_eq!(cookies.for_node("other@host").expose(), "ours");
    /// ```
    pub fn for_node(&self, node: &str) -> Cookie {
        let per = self.per_node.read().unwrap_or_else(|e| e.into_inner());
        match per.get(node) {
            Some(c) => c.clone(),
            None => self.default().clone(),
        }
    }

    /// The node's own cookie.
    ///
    /// ```
    /// # use tether::dist::{Cookie, Cookies};
    /// let cookies = Cookies::new(Cookie::new("ours").unwrap());
    /// assert_eq!(cookies.default().expose(), "ours");
    /// ```
    pub fn default(&self) -> Cookie {
        self.default
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Replaces the node's own cookie (`erlang:set_cookie/1`).
    ///
    /// ```
    /// # use tether::dist::{Cookie, Cookies};
    /// let cookies = Cookies::new(Cookie::new("ours").unwrap());
    /// cookies.set_default(Cookie::new("rotated").unwrap()); // erlang:set_cookie/1
    /// assert_eq!(cookies.for_node("any@host").expose(), "rotated");
    /// ```
    pub fn set_default(&self, cookie: Cookie) {
        *self.default.write().unwrap_or_else(|e| e.into_inner()) = cookie;
    }

    /// Sets the cookie used with one node (`erlang:set_cookie/2`).
    ///
    /// ```
    /// # use tether::dist::{Cookie, Cookies};
    /// let cookies = Cookies::new(Cookie::new("ours").unwrap());
    /// cookies.set_for("b@host", Cookie::new("b_only").unwrap()); // erlang:set_cookie/2
    /// assert_eq!(cookies.for_node("b@host").expose(), "b_only");
    /// ```
    pub fn set_for(&self, node: &str, cookie: Cookie) {
        let mut per = self.per_node.write().unwrap_or_else(|e| e.into_inner());
        per.insert(node.to_owned(), cookie);
    }

    /// Removes a per-node override.
    ///
    /// ```
    /// # use tether::dist::{Cookie, Cookies};
    /// let cookies = Cookies::new(Cookie::new("ours").unwrap());
    /// cookies.set_for("b@host", Cookie::new("b_only").unwrap());
    /// cookies.clear_for("b@host");
    /// assert_eq!(cookies.for_node("b@host").expose(), "ours");
    /// ```
    pub fn clear_for(&self, node: &str) {
        let mut per = self.per_node.write().unwrap_or_else(|e| e.into_inner());
        per.remove(node);
    }
}

impl fmt::Debug for Cookies {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.per_node.read().map(|p| p.len()).unwrap_or(0);
        write!(f, "Cookies(<redacted>, {n} per-node overrides)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digest_matches_reference() {
        // docs/distribution.md §2.2: md5("secretcookie706423567").
        let c = Cookie::new("secretcookie").unwrap();
        let hex: String = c
            .digest(706_423_567)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        assert_eq!(hex, "ea57d3a5f6cb1ba8d0a2e147433c9955");
        assert!(verify_digest(&c, 706_423_567, &c.digest(706_423_567)));
        assert!(!verify_digest(&c, 706_423_568, &c.digest(706_423_567)));
        assert!(!verify_digest(&c, 706_423_567, &[0; 15]));
    }
}
