//! The few DNS messages discovery needs (RFC 1035 §4, RFC 2782 for SRV): a query
//! with one question, and the A and SRV records of the answer section.
//!
//! Public (hidden, as `tether::cluster::dns_wire`) only with the feature `wire`, for
//! the `dns_reply` fuzz target.
//!
//! Replies come from the network, so parsing is defensive: every read is bounds-
//! checked, compression pointers must point backwards and are followed at most
//! `MAX_POINTERS` (16) times (a loop of pointers is an error, not a hang), names are
//! capped at 255 bytes, and anything else in the answer (CNAMEs, other types or
//! classes) is skipped by its declared length.

use std::fmt;
use std::net::Ipv4Addr;

/// Record type A (an IPv4 address).
pub const TYPE_A: u16 = 1;
/// Record type SRV (a service location).
pub const TYPE_SRV: u16 = 33;
const CLASS_IN: u16 = 1;
/// Pointers followed while reading one name.
const MAX_POINTERS: usize = 16;
/// Longest name (RFC 1035 §2.3.4).
const MAX_NAME: usize = 255;

/// A record of an answer that discovery uses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Record {
    /// An A record.
    A(Ipv4Addr),
    /// An SRV record: the target host (without the final dot) and its port.
    Srv {
        /// Lower is tried first.
        priority: u16,
        /// Share among the targets of one priority.
        weight: u16,
        /// The service's port on the target.
        port: u16,
        /// The target host's name: at most 255 bytes, ASCII graphic labels joined by
        /// dots.
        target: String,
    },
}

/// Why a DNS reply could not be used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WireError {
    /// The query name is not a valid DNS name.
    BadName(String),
    /// The reply is malformed (truncated, bad pointer, bad record).
    Malformed(&'static str),
    /// The server answered with an error code (RCODE ≠ 0, other than NXDOMAIN).
    Rcode(u8),
    /// The reply was truncated (TC bit): this client does not fall back to TCP.
    Truncated,
}

impl fmt::Display for WireError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            WireError::BadName(n) => write!(f, "not a valid DNS name: {n:?}"),
            WireError::Malformed(m) => write!(f, "malformed DNS reply: {m}"),
            WireError::Rcode(c) => write!(f, "DNS server answered with error code {c}"),
            WireError::Truncated => f.write_str("DNS reply truncated (TC bit); TCP is not tried"),
        }
    }
}

/// Encodes a recursive query for `name` of type `qtype` with message id `id`.
///
/// ```
/// use tether::cluster::dns_wire::{encode_query, TYPE_A};
/// let q = encode_query(7, "nodes.test", TYPE_A).unwrap();
/// assert_eq!(&q[..2], &[0, 7]);
/// assert_eq!(&q[12..], b"\x05nodes\x04test\x00\x00\x01\x00\x01");
/// ```
pub fn encode_query(id: u16, name: &str, qtype: u16) -> Result<Vec<u8>, WireError> {
    let mut out = Vec::with_capacity(18 + name.len());
    out.extend_from_slice(&id.to_be_bytes());
    out.extend_from_slice(&[0x01, 0x00]); // RD
    out.extend_from_slice(&[0, 1, 0, 0, 0, 0, 0, 0]); // one question
    encode_name(name, &mut out)?;
    out.extend_from_slice(&qtype.to_be_bytes());
    out.extend_from_slice(&CLASS_IN.to_be_bytes());
    Ok(out)
}

/// Appends `name` in label form.
///
/// ```
/// let mut out = Vec::new();
/// tether::cluster::dns_wire::encode_name("a.bc.", &mut out).unwrap();
/// assert_eq!(out, b"\x01a\x02bc\x00");
/// ```
pub fn encode_name(name: &str, out: &mut Vec<u8>) -> Result<(), WireError> {
    let trimmed = name.strip_suffix('.').unwrap_or(name);
    if trimmed.is_empty() || trimmed.len() > MAX_NAME - 2 {
        return Err(WireError::BadName(name.to_owned()));
    }
    for label in trimmed.split('.') {
        if label.is_empty() || label.len() > 63 || !label.is_ascii() {
            return Err(WireError::BadName(name.to_owned()));
        }
        out.push(label.len() as u8);
        out.extend_from_slice(label.as_bytes());
    }
    out.push(0);
    Ok(())
}

/// The message id of a reply, if it is long enough to have one.
///
/// ```
/// use tether::cluster::dns_wire::reply_id;
/// assert_eq!(reply_id(&[1, 2, 3]), Some(0x0102));
/// assert_eq!(reply_id(&[1]), None);
/// ```
pub fn reply_id(msg: &[u8]) -> Option<u16> {
    Some(u16::from_be_bytes([*msg.first()?, *msg.get(1)?]))
}

/// The A or SRV records (as `qtype` says) of a reply's answer section. NXDOMAIN is
/// an empty answer: the name has no nodes behind it now.
///
/// ```
/// use std::net::Ipv4Addr;
/// use tether::cluster::dns_wire::{encode_query, parse_reply, Record, TYPE_A};
/// let mut m = encode_query(7, "nodes.test", TYPE_A).unwrap();
/// m[2] |= 0x80; // a reply
/// m[7] = 1; // one answer: the question's name (a pointer to offset 12), IN A, TTL 30
/// m.extend_from_slice(&[0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 30, 0, 4, 10, 0, 0, 5]);
/// assert_eq!(parse_reply(&m, TYPE_A).unwrap(), [Record::A(Ipv4Addr::new(10, 0, 0, 5))]);
/// assert!(parse_reply(&m[..m.len() - 1], TYPE_A).is_err());
/// ```
pub fn parse_reply(msg: &[u8], qtype: u16) -> Result<Vec<Record>, WireError> {
    let mut r = Reader { msg, pos: 0 };
    let _id = r.u16()?;
    let flags = r.u16()?;
    if flags & 0x8000 == 0 {
        return Err(WireError::Malformed("not a reply (QR bit clear)"));
    }
    if flags & 0x0200 != 0 {
        return Err(WireError::Truncated);
    }
    match (flags & 0x000f) as u8 {
        0 => {}
        3 => return Ok(Vec::new()),
        code => return Err(WireError::Rcode(code)),
    }
    let questions = r.u16()?;
    let answers = r.u16()?;
    r.u16()?; // authority
    r.u16()?; // additional
    for _ in 0..questions {
        r.name()?;
        r.take(4)?;
    }
    let mut out = Vec::new();
    for _ in 0..answers {
        r.name()?;
        let rtype = r.u16()?;
        let class = r.u16()?;
        r.take(4)?; // TTL
        let len = r.u16()? as usize;
        let start = r.pos;
        let data = r.take(len)?;
        if class != CLASS_IN || rtype != qtype {
            continue;
        }
        match rtype {
            TYPE_A => {
                let [a, b, c, d] = data else {
                    return Err(WireError::Malformed("A record of the wrong length"));
                };
                out.push(Record::A(Ipv4Addr::new(*a, *b, *c, *d)));
            }
            TYPE_SRV => {
                let mut s = Reader { msg, pos: start };
                let priority = s.u16()?;
                let weight = s.u16()?;
                let port = s.u16()?;
                let target = s.name()?;
                if s.pos > start + len {
                    return Err(WireError::Malformed("SRV record longer than its length"));
                }
                out.push(Record::Srv {
                    priority,
                    weight,
                    port,
                    target,
                });
            }
            _ => {}
        }
    }
    Ok(out)
}

struct Reader<'a> {
    msg: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], WireError> {
        let end = self
            .pos
            .checked_add(n)
            .filter(|e| *e <= self.msg.len())
            .ok_or(WireError::Malformed("truncated"))?;
        let s = &self.msg[self.pos..end];
        self.pos = end;
        Ok(s)
    }

    fn u16(&mut self) -> Result<u16, WireError> {
        let b = self.take(2)?;
        Ok(u16::from_be_bytes([b[0], b[1]]))
    }

    /// Reads a name at the cursor, following compression pointers; the cursor ends
    /// after the name's bytes in place (after the first pointer, if any).
    fn name(&mut self) -> Result<String, WireError> {
        let mut name = String::new();
        let mut pos = self.pos;
        let mut resume = None;
        let mut jumps = 0;
        loop {
            let len = *self
                .msg
                .get(pos)
                .ok_or(WireError::Malformed("truncated name"))?;
            match len {
                0 => {
                    pos += 1;
                    break;
                }
                l if l & 0xc0 == 0xc0 => {
                    let lo = *self
                        .msg
                        .get(pos + 1)
                        .ok_or(WireError::Malformed("truncated pointer"))?;
                    let target = usize::from(l & 0x3f) << 8 | usize::from(lo);
                    if target >= pos {
                        return Err(WireError::Malformed("forward compression pointer"));
                    }
                    jumps += 1;
                    if jumps > MAX_POINTERS {
                        return Err(WireError::Malformed("too many compression pointers"));
                    }
                    resume.get_or_insert(pos + 2);
                    pos = target;
                }
                l if l & 0xc0 != 0 => return Err(WireError::Malformed("bad label type")),
                l => {
                    let l = usize::from(l);
                    let label = self
                        .msg
                        .get(pos + 1..pos + 1 + l)
                        .ok_or(WireError::Malformed("truncated label"))?;
                    if !name.is_empty() {
                        name.push('.');
                    }
                    for &b in label {
                        if !b.is_ascii_graphic() || b == b'.' {
                            return Err(WireError::Malformed("unusable byte in a name"));
                        }
                        name.push(char::from(b));
                    }
                    if name.len() > MAX_NAME {
                        return Err(WireError::Malformed("name too long"));
                    }
                    pos += 1 + l;
                }
            }
        }
        self.pos = resume.unwrap_or(pos);
        Ok(name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A reply to `encode_query(7, "nodes.test", qtype)` with the given answers
    /// (each: type, rdata), names compressed to the question.
    fn reply(qtype: u16, answers: &[(u16, Vec<u8>)]) -> Vec<u8> {
        let mut m = encode_query(7, "nodes.test", qtype).unwrap();
        m[2] = 0x81;
        m[3] = 0x80;
        m[6..8].copy_from_slice(&(answers.len() as u16).to_be_bytes());
        for (t, data) in answers {
            m.extend_from_slice(&[0xc0, 12]);
            m.extend_from_slice(&t.to_be_bytes());
            m.extend_from_slice(&[0, 1, 0, 0, 0, 30]);
            m.extend_from_slice(&(data.len() as u16).to_be_bytes());
            m.extend_from_slice(data);
        }
        m
    }

    #[test]
    fn reads_a_records_and_skips_others() {
        let m = reply(TYPE_A, &[(TYPE_A, vec![127, 0, 0, 2]), (5, vec![0xc0, 12])]);
        assert_eq!(
            parse_reply(&m, TYPE_A).unwrap(),
            vec![Record::A(Ipv4Addr::new(127, 0, 0, 2))]
        );
    }

    #[test]
    fn reads_srv_targets_through_pointers() {
        let mut data = vec![0, 10, 0, 5, 0x11, 0x5c, 5];
        data.extend_from_slice(b"pod-0");
        data.extend_from_slice(&[0xc0, 12]);
        let m = reply(TYPE_SRV, &[(TYPE_SRV, data)]);
        assert_eq!(
            parse_reply(&m, TYPE_SRV).unwrap(),
            vec![Record::Srv {
                priority: 10,
                weight: 5,
                port: 4444,
                target: "pod-0.nodes.test".into()
            }]
        );
    }

    #[test]
    fn nxdomain_is_an_empty_answer_and_errors_are_errors() {
        let mut m = reply(TYPE_A, &[]);
        m[3] = 0x83;
        assert_eq!(parse_reply(&m, TYPE_A).unwrap(), vec![]);
        m[3] = 0x82;
        assert_eq!(parse_reply(&m, TYPE_A), Err(WireError::Rcode(2)));
        m[2] |= 0x02;
        assert_eq!(parse_reply(&m, TYPE_A), Err(WireError::Truncated));
    }

    #[test]
    fn malformed_replies_are_errors_never_panics() {
        let good = reply(TYPE_A, &[(TYPE_A, vec![127, 0, 0, 1])]);
        // Every truncation, and every single-byte corruption, parses or fails cleanly.
        for n in 0..good.len() {
            let _ = parse_reply(&good[..n], TYPE_A);
        }
        for i in 0..good.len() {
            for b in [0x00, 0x3f, 0xc0, 0xff] {
                let mut m = good.clone();
                m[i] = b;
                let _ = parse_reply(&m, TYPE_A);
            }
        }
        // A pointer to itself is refused.
        let mut looped = reply(TYPE_A, &[(TYPE_A, vec![127, 0, 0, 1])]);
        let at = looped.len() - 16;
        looped[at] = 0xc0;
        looped[at + 1] = at as u8;
        assert!(parse_reply(&looped, TYPE_A).is_err());
    }

    #[test]
    fn random_bytes_never_panic() {
        // A fixed xorshift sequence: the same inputs on every run.
        let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut next = || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        let head = reply(TYPE_SRV, &[]);
        // scripts/fuzz-smoke.sh raises the count.
        let iters: u64 = std::env::var("TETHER_FUZZ_ITERS")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(20_000);
        for _ in 0..iters {
            let len = (next() % 96) as usize;
            // Half start with a valid header and question, so the parser gets past them.
            let mut m = if next() % 2 == 0 {
                head.clone()
            } else {
                Vec::new()
            };
            m.extend((0..len).map(|_| next() as u8));
            if m.len() > 7 {
                m[6] = 0;
                m[7] = (next() % 8) as u8;
            }
            let _ = parse_reply(&m, TYPE_SRV);
            let _ = parse_reply(&m, TYPE_A);
        }
    }

    #[test]
    fn bad_query_names_are_refused() {
        assert!(encode_query(1, "", TYPE_A).is_err());
        assert!(encode_query(1, "a..b", TYPE_A).is_err());
        assert!(encode_query(1, &"x".repeat(64), TYPE_A).is_err());
        assert!(encode_query(1, "nodes.test.", TYPE_A).is_ok());
    }
}
