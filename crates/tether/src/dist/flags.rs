//! Distribution capability flags (`DFLAG_*`).
//!
//! Each side of a handshake advertises a 64-bit set of capabilities. The connection then
//! runs with the intersection of both sets ([`DistFlags::negotiate`]), after a peer's
//! `MANDATORY_25_DIGEST` shorthand has been expanded into the individual OTP 25 bits
//! ([`DistFlags::expand_digest`]). A peer that lacks a mandatory bit is refused.
//!
//! Bit values are those of OTP's `dist.hrl` / `dist.h`. Note that
//! `MANDATORY_25_DIGEST` is bit 26 (`0x0400_0000`), which is what OTP 25 sends; some
//! documentation gives bit 36, which is `LOCAL_EXT` in OTP 26+ and must not be sent.

use std::fmt;
use std::ops::{BitAnd, BitOr, BitOrAssign, Not};

/// A set of distribution capability flags.
///
/// ```
/// use tether::dist::DistFlags;
/// let ours = DistFlags::DEFAULT;
/// let theirs = DistFlags::MANDATORY_25_DIGEST | DistFlags::PUBLISHED;
/// let chosen = DistFlags::negotiate(ours, theirs);
/// assert!(chosen.contains(DistFlags::MAP_TAG)); // implied by the digest bit
/// assert!(theirs.expand_digest().missing(DistFlags::MANDATORY_OTP25).is_empty());
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct DistFlags(u64);

macro_rules! flags {
    ($( $(#[$doc:meta])* $name:ident = $value:expr; )*) => {
        impl DistFlags {
            $( $(#[$doc])* pub const $name: DistFlags = DistFlags($value); )*
        }
        const NAMES: &[(&str, u64)] = &[ $( (stringify!($name), $value), )* ];
    };
}

flags! {
    /// The node is visible (not hidden). A connection is visible only if both set it.
    PUBLISHED = 0x1;
    /// Obsolete atom cache.
    ATOM_CACHE = 0x2;
    /// Extended references (mandatory since OTP 25).
    EXTENDED_REFERENCES = 0x4;
    /// Remote process monitors (`MONITOR_P` ...).
    DIST_MONITOR = 0x8;
    /// Separate fun tags (mandatory).
    FUN_TAGS = 0x10;
    /// Monitors by registered name.
    DIST_MONITOR_NAME = 0x20;
    /// Obsolete hidden atom cache.
    HIDDEN_ATOM_CACHE = 0x40;
    /// `NEW_FUN_EXT` (mandatory).
    NEW_FUN_TAGS = 0x80;
    /// Extended pids and ports (mandatory).
    EXTENDED_PIDS_PORTS = 0x100;
    /// `EXPORT_EXT` (mandatory).
    EXPORT_PTR_TAG = 0x200;
    /// `BIT_BINARY_EXT` (mandatory).
    BIT_BINARIES = 0x400;
    /// `NEW_FLOAT_EXT` (mandatory).
    NEW_FLOATS = 0x800;
    /// The io protocol may carry unicode.
    UNICODE_IO = 0x1000;
    /// Distribution header with atom cache (frames starting `131, 68`).
    DIST_HDR_ATOM_CACHE = 0x2000;
    /// `SMALL_ATOM_EXT` (latin-1 small atoms).
    SMALL_ATOM_TAGS = 0x4000;
    /// UTF-8 atoms (mandatory).
    UTF8_ATOMS = 0x10000;
    /// `MAP_EXT` (mandatory).
    MAP_TAG = 0x20000;
    /// 32-bit creations (mandatory).
    BIG_CREATION = 0x40000;
    /// `SEND_SENDER` control messages.
    SEND_SENDER = 0x80000;
    /// Any term as a seq_trace label.
    BIG_SEQTRACE_LABELS = 0x100000;
    /// `PAYLOAD_*` exit and monitor-exit variants.
    EXIT_PAYLOAD = 0x400000;
    /// Fragmented messages (frames starting `131, 69` / `131, 70`).
    FRAGMENTS = 0x800000;
    /// Version 6 handshake (mandatory since OTP 25).
    HANDSHAKE_23 = 0x100_0000;
    /// The new link protocol (mandatory from OTP 26).
    UNLINK_ID = 0x200_0000;
    /// Shorthand for all OTP 25 mandatory flags.
    MANDATORY_25_DIGEST = 0x400_0000;
    /// `SPAWN_REQUEST` / `SPAWN_REPLY`.
    SPAWN = 1 << 32;
    /// Dynamic node name request (only sent by a node named `nonode@nohost`).
    NAME_ME = 1 << 33;
    /// Full 32-bit pid ids, 64-bit ports, longer refs (mandatory from OTP 26).
    V4_NC = 1 << 34;
    /// `ALIAS_SEND`.
    ALIAS = 1 << 35;
}

impl DistFlags {
    /// No flags.
    pub const EMPTY: DistFlags = DistFlags(0);

    /// The flags OTP 25 requires of every peer (`0x1070F94`, verified with
    /// `erts_internal:get_dflags()` on 25.2.3).
    pub const MANDATORY_OTP25: DistFlags = DistFlags(0x107_0F94);

    /// The flags OTP 26+ requires: OTP 25's plus `UNLINK_ID` and `V4_NC`.
    pub const MANDATORY_OTP26: DistFlags =
        DistFlags(Self::MANDATORY_OTP25.0 | Self::UNLINK_ID.0 | Self::V4_NC.0);

    /// The flags Tether advertises (before `PUBLISHED`, which depends on hiddenness).
    ///
    /// Everything an OTP 25–28 node expects of a full peer: all mandatory bits of OTP 25
    /// and 26, the digest bit (for OTP 25 peers that check it), monitors by pid and name,
    /// `UNICODE_IO`, `SEND_SENDER`, `BIG_SEQTRACE_LABELS`, `EXIT_PAYLOAD`, `SPAWN`,
    /// `ALIAS`, plus `DIST_HDR_ATOM_CACHE` and `FRAGMENTS`, whose framing
    /// `dist::framing` reads and writes (with an outgoing atom cache, as
    /// erts keeps one). This is OTP 25's own default set minus
    /// `SMALL_ATOM_TAGS` (latin-1 small atoms: we always use UTF-8 atoms, and a peer
    /// never needs the flag to send them to us). Not advertised: `NAME_ME` (a request,
    /// not a capability), the obsolete atom caches, and the newer `MULTISEND`,
    /// `LOCAL_EXT` and `ALTACT_SIG` that no released OTP requires.
    pub const DEFAULT: DistFlags =
        DistFlags(0xD_075F_1FBC | Self::DIST_HDR_ATOM_CACHE.0 | Self::FRAGMENTS.0);

    /// [`DistFlags::DEFAULT`] without the atom cache and fragments: the peer then sends
    /// only pass-through (`112`) frames. Verified against OTP 25.2.3.
    pub const PASS_THROUGH: DistFlags = DistFlags(0xD_075F_1FBC);

    /// Builds a set from its wire value.
    ///
    /// ```
    /// # use tether::dist::DistFlags;
    /// let f = DistFlags::from_bits(0x1 | 0x4);
    /// assert!(f.contains(DistFlags::PUBLISHED));
    /// assert_eq!(f.bits(), 5);
    /// ```
    pub const fn from_bits(bits: u64) -> DistFlags {
        DistFlags(bits)
    }

    /// The wire value.
    ///
    /// ```
    /// # use tether::dist::DistFlags;
    /// assert_eq!(DistFlags::PUBLISHED.bits(), 1);
    /// assert_eq!(DistFlags::EMPTY.bits(), 0);
    /// ```
    pub const fn bits(self) -> u64 {
        self.0
    }

    /// Whether every flag of `other` is set in `self`.
    ///
    /// ```
    /// # use tether::dist::DistFlags;
    /// assert!(DistFlags::DEFAULT.contains(DistFlags::MANDATORY_OTP25));
    /// assert!(!DistFlags::EMPTY.contains(DistFlags::PUBLISHED));
    /// ```
    pub const fn contains(self, other: DistFlags) -> bool {
        self.0 & other.0 == other.0
    }

    /// Whether no flag is set.
    ///
    /// ```
    /// # use tether::dist::DistFlags;
    /// assert!(DistFlags::EMPTY.is_empty());
    /// assert!(DistFlags::DEFAULT.missing(DistFlags::MANDATORY_OTP25).is_empty());
    /// ```
    pub const fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// The flags of `required` that are absent from `self`.
    ///
    /// ```
    /// # use tether::dist::DistFlags;
    /// let peer = DistFlags::MANDATORY_OTP25.without(DistFlags::UTF8_ATOMS);
    /// assert_eq!(peer.missing(DistFlags::MANDATORY_OTP25), DistFlags::UTF8_ATOMS);
    /// ```
    pub const fn missing(self, required: DistFlags) -> DistFlags {
        DistFlags(required.0 & !self.0)
    }

    /// `self` without the flags of `other`.
    ///
    /// ```
    /// # use tether::dist::DistFlags;
    /// let f = DistFlags::DEFAULT.without(DistFlags::PUBLISHED);
    /// assert!(!f.contains(DistFlags::PUBLISHED));
    /// assert!(f.contains(DistFlags::UTF8_ATOMS));
    /// ```
    pub const fn without(self, other: DistFlags) -> DistFlags {
        DistFlags(self.0 & !other.0)
    }

    /// Expands `MANDATORY_25_DIGEST` into the individual OTP 25 mandatory bits, as OTP
    /// does with a peer's flags before checking or negotiating them.
    ///
    /// ```
    /// # use tether::dist::DistFlags;
    /// let f = DistFlags::MANDATORY_25_DIGEST.expand_digest();
    /// assert!(f.contains(DistFlags::MANDATORY_OTP25));
    /// ```
    pub const fn expand_digest(self) -> DistFlags {
        if self.0 & Self::MANDATORY_25_DIGEST.0 != 0 {
            DistFlags(self.0 | Self::MANDATORY_OTP25.0)
        } else {
            self
        }
    }

    /// The flags a connection runs with: the intersection of ours and the peer's
    /// (expanded) flags.
    ///
    /// ```
    /// # use tether::dist::DistFlags;
    /// let theirs = DistFlags::MANDATORY_OTP25.without(DistFlags::PUBLISHED);
    /// let f = DistFlags::negotiate(DistFlags::DEFAULT, theirs);
    /// assert!(f.contains(DistFlags::UTF8_ATOMS));
    /// assert!(!f.contains(DistFlags::PUBLISHED)); // a hidden peer
    /// ```
    pub const fn negotiate(ours: DistFlags, theirs: DistFlags) -> DistFlags {
        DistFlags(ours.0 & theirs.expand_digest().0)
    }

    /// Names of the set flags, for logs (unknown bits as hex).
    ///
    /// ```
    /// # use tether::dist::DistFlags;
    /// let f = DistFlags::PUBLISHED | DistFlags::UTF8_ATOMS;
    /// assert_eq!(f.names(), ["PUBLISHED", "UTF8_ATOMS"]);
    /// ```
    pub fn names(self) -> Vec<String> {
        let mut left = self.0;
        let mut out = Vec::new();
        for (name, value) in NAMES {
            if left & value != 0 {
                out.push((*name).to_owned());
                left &= !value;
            }
        }
        if left != 0 {
            out.push(format!("{left:#x}"));
        }
        out
    }
}

impl BitOr for DistFlags {
    type Output = DistFlags;
    fn bitor(self, rhs: DistFlags) -> DistFlags {
        DistFlags(self.0 | rhs.0)
    }
}

impl BitOrAssign for DistFlags {
    fn bitor_assign(&mut self, rhs: DistFlags) {
        self.0 |= rhs.0;
    }
}

impl BitAnd for DistFlags {
    type Output = DistFlags;
    fn bitand(self, rhs: DistFlags) -> DistFlags {
        DistFlags(self.0 & rhs.0)
    }
}

impl Not for DistFlags {
    type Output = DistFlags;
    fn not(self) -> DistFlags {
        DistFlags(!self.0)
    }
}

impl fmt::Debug for DistFlags {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DistFlags({:#x}: {})", self.0, self.names().join("|"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mandatory_set_matches_otp25() {
        let individual = DistFlags::EXTENDED_REFERENCES
            | DistFlags::FUN_TAGS
            | DistFlags::NEW_FUN_TAGS
            | DistFlags::EXTENDED_PIDS_PORTS
            | DistFlags::EXPORT_PTR_TAG
            | DistFlags::BIT_BINARIES
            | DistFlags::NEW_FLOATS
            | DistFlags::UTF8_ATOMS
            | DistFlags::MAP_TAG
            | DistFlags::BIG_CREATION
            | DistFlags::HANDSHAKE_23;
        assert_eq!(individual, DistFlags::MANDATORY_OTP25);
    }

    #[test]
    fn default_covers_otp26_mandatory_and_digest() {
        assert!(DistFlags::DEFAULT.contains(DistFlags::MANDATORY_OTP26));
        assert!(DistFlags::DEFAULT.contains(DistFlags::MANDATORY_25_DIGEST));
        assert!(!DistFlags::DEFAULT.contains(DistFlags::NAME_ME));
        assert!(!DistFlags::DEFAULT.contains(DistFlags::PUBLISHED));
        // OTP 25.2.3's own send_name flags, minus PUBLISHED and SMALL_ATOM_TAGS.
        let otp = DistFlags::from_bits(0xD_07DF_7FBD);
        assert_eq!(
            otp.without(DistFlags::PUBLISHED | DistFlags::SMALL_ATOM_TAGS),
            DistFlags::DEFAULT
        );
    }

    #[test]
    fn digest_expands_and_negotiates() {
        let peer = DistFlags::MANDATORY_25_DIGEST;
        assert!(peer.missing(DistFlags::MANDATORY_OTP25) != DistFlags::EMPTY);
        assert!(
            peer.expand_digest()
                .missing(DistFlags::MANDATORY_OTP25)
                .is_empty()
        );
        let chosen = DistFlags::negotiate(DistFlags::DEFAULT, peer);
        assert!(chosen.contains(DistFlags::MANDATORY_OTP25));
        assert!(!chosen.contains(DistFlags::SPAWN));
    }

    #[test]
    fn names_for_logs() {
        let f = DistFlags::MAP_TAG | DistFlags::from_bits(1 << 40);
        assert_eq!(
            f.names(),
            vec!["MAP_TAG".to_owned(), "0x10000000000".to_owned()]
        );
    }
}
