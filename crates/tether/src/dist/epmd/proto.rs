//! EPMD message layouts (no I/O).
//!
//! ```text
//! request          Len:16 | Tag:8 | ...
//! ALIVE2_REQ   'x' PortNo:16 NodeType:8 Protocol:8 High:16 Low:16 Nlen:16 Name Elen:16 Extra
//! ALIVE2_X_RESP'v' Result:8 Creation:32        (EPMD and node both speak version 6)
//! ALIVE2_RESP  'y' Result:8 Creation:16        (older nodes)
//! PORT_PLEASE2 'z' Name                          (the rest of the packet)
//! PORT2_RESP   'w' Result:8 [same fields as ALIVE2_REQ when Result = 0]
//! NAMES_REQ    'n'  -> EpmdPort:32 then "name ~s at port ~p\n" lines, then close
//! ```
//!
//! Decoders take a complete buffer and check every length against it; they never
//! panic on short or inconsistent input.

use super::EpmdError;

/// `ALIVE2_REQ`.
pub const ALIVE2_REQ: u8 = b'x';
/// `ALIVE2_X_RESP` (32-bit creation).
pub const ALIVE2_X_RESP: u8 = b'v';
/// `ALIVE2_RESP` (16-bit creation).
pub const ALIVE2_RESP: u8 = b'y';
/// `PORT_PLEASE2_REQ`.
pub const PORT_PLEASE2_REQ: u8 = b'z';
/// `PORT2_RESP`.
pub const PORT2_RESP: u8 = b'w';
/// `NAMES_REQ`.
pub const NAMES_REQ: u8 = b'n';
/// `DUMP_REQ`.
pub const DUMP_REQ: u8 = b'd';
/// `KILL_REQ`.
pub const KILL_REQ: u8 = b'k';
/// `STOP_REQ`.
pub const STOP_REQ: u8 = b's';

/// The longest node name EPMD accepts, in bytes (255 characters of up to 4 bytes).
pub const MAX_NAME_BYTES: usize = 1020;
/// The longest `Extra` field accepted.
pub const MAX_EXTRA_BYTES: usize = 1024;

/// What a node tells EPMD about itself (ALIVE2_REQ) and EPMD tells others (PORT2_RESP).
///
/// ```
/// use tether::dist::epmd::NodeInfo;
/// let info = NodeInfo::new("tether", 4370);
/// assert_eq!((info.highest_version, info.lowest_version), (6, 6));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodeInfo {
    /// The short node name (before `@`).
    pub name: String,
    /// The distribution listener's port.
    pub port: u16,
    /// Normal (77) or hidden (72). OTP registers even hidden nodes as normal.
    pub node_type: NodeType,
    /// 0 = TCP/IPv4.
    pub protocol: u8,
    /// Highest distribution version (6 since OTP 23).
    pub highest_version: u16,
    /// Lowest distribution version (OTP 25 still registers 5).
    pub lowest_version: u16,
    /// Opaque extra data.
    pub extra: Vec<u8>,
}

impl NodeInfo {
    /// A normal TCP node speaking version 6 only.
    ///
    /// ```
    /// # use tether::dist::epmd::{proto, NodeInfo, NodeType};
    /// let info = NodeInfo::new("kv", 4370);
    /// assert_eq!((info.name.as_str(), info.port, info.node_type), ("kv", 4370, NodeType::Normal));
    /// ```
    pub fn new(name: &str, port: u16) -> NodeInfo {
        NodeInfo {
            name: name.to_owned(),
            port,
            node_type: NodeType::Normal,
            protocol: 0,
            highest_version: 6,
            lowest_version: 6,
            extra: Vec::new(),
        }
    }
}

/// The node type byte.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NodeType {
    /// `77` (`'M'`).
    Normal,
    /// `72` (`'H'`).
    Hidden,
    /// Anything else, kept as sent.
    Other(u8),
}

impl NodeType {
    /// The wire byte.
    ///
    /// ```
    /// # use tether::dist::epmd::{proto, NodeInfo, NodeType};
    /// assert_eq!(NodeType::Normal.to_byte(), 77);
    /// assert_eq!(NodeType::Hidden.to_byte(), 72);
    /// ```
    pub fn to_byte(self) -> u8 {
        match self {
            NodeType::Normal => 77,
            NodeType::Hidden => 72,
            NodeType::Other(b) => b,
        }
    }

    /// From the wire byte.
    ///
    /// ```
    /// # use tether::dist::epmd::{proto, NodeInfo, NodeType};
    /// assert_eq!(NodeType::from_byte(77), NodeType::Normal);
    /// assert_eq!(NodeType::from_byte(1), NodeType::Other(1));
    /// ```
    pub fn from_byte(b: u8) -> NodeType {
        match b {
            77 => NodeType::Normal,
            72 => NodeType::Hidden,
            b => NodeType::Other(b),
        }
    }
}

/// A cursor over a received buffer whose reads fail instead of panicking.
pub(crate) struct Cursor<'a> {
    buf: &'a [u8],
    what: &'static str,
}

impl<'a> Cursor<'a> {
    pub(crate) fn new(buf: &'a [u8], what: &'static str) -> Cursor<'a> {
        Cursor { buf, what }
    }

    fn short(&self) -> EpmdError {
        EpmdError::Protocol(format!("{} is truncated", self.what))
    }

    pub(crate) fn bytes(&mut self, n: usize) -> Result<&'a [u8], EpmdError> {
        if self.buf.len() < n {
            return Err(self.short());
        }
        let (head, tail) = self.buf.split_at(n);
        self.buf = tail;
        Ok(head)
    }

    pub(crate) fn u8(&mut self) -> Result<u8, EpmdError> {
        Ok(self.bytes(1)?[0])
    }

    pub(crate) fn u16(&mut self) -> Result<u16, EpmdError> {
        let b = self.bytes(2)?;
        Ok(u16::from_be_bytes([b[0], b[1]]))
    }

    pub(crate) fn rest(&self) -> &'a [u8] {
        self.buf
    }
}

/// Checks a node name from the network: non-empty, valid UTF-8, no NUL, bounded.
pub(crate) fn check_name(raw: &[u8]) -> Result<String, EpmdError> {
    if raw.is_empty() || raw.len() > MAX_NAME_BYTES {
        return Err(EpmdError::Protocol(format!(
            "node name length {} out of range",
            raw.len()
        )));
    }
    if raw.contains(&0) {
        return Err(EpmdError::Protocol("node name contains NUL".into()));
    }
    let s = std::str::from_utf8(raw)
        .map_err(|_| EpmdError::Protocol("node name is not UTF-8".into()))?;
    if s.chars().count() > 255 {
        return Err(EpmdError::Protocol(
            "node name longer than 255 characters".into(),
        ));
    }
    Ok(s.to_owned())
}

/// Encodes the node fields shared by ALIVE2_REQ and PORT2_RESP (without the tag).
pub(crate) fn encode_node_fields(info: &NodeInfo, out: &mut Vec<u8>) -> Result<(), EpmdError> {
    if info.name.is_empty() || info.name.len() > MAX_NAME_BYTES || info.name.contains('\0') {
        return Err(EpmdError::InvalidRequest(format!(
            "bad node name {:?}",
            info.name
        )));
    }
    if info.extra.len() > MAX_EXTRA_BYTES {
        return Err(EpmdError::InvalidRequest("extra data too long".into()));
    }
    out.extend_from_slice(&info.port.to_be_bytes());
    out.push(info.node_type.to_byte());
    out.push(info.protocol);
    out.extend_from_slice(&info.highest_version.to_be_bytes());
    out.extend_from_slice(&info.lowest_version.to_be_bytes());
    out.extend_from_slice(&(info.name.len() as u16).to_be_bytes());
    out.extend_from_slice(info.name.as_bytes());
    out.extend_from_slice(&(info.extra.len() as u16).to_be_bytes());
    out.extend_from_slice(&info.extra);
    Ok(())
}

/// Decodes the node fields shared by ALIVE2_REQ and PORT2_RESP (after the tag/result).
pub(crate) fn decode_node_fields(c: &mut Cursor<'_>) -> Result<NodeInfo, EpmdError> {
    let port = c.u16()?;
    let node_type = NodeType::from_byte(c.u8()?);
    let protocol = c.u8()?;
    let highest_version = c.u16()?;
    let lowest_version = c.u16()?;
    let nlen = c.u16()? as usize;
    let name = check_name(c.bytes(nlen)?)?;
    let elen = c.u16()? as usize;
    if elen > MAX_EXTRA_BYTES {
        return Err(EpmdError::Protocol(format!("extra field of {elen} bytes")));
    }
    let extra = c.bytes(elen)?.to_vec();
    Ok(NodeInfo {
        name,
        port,
        node_type,
        protocol,
        highest_version,
        lowest_version,
        extra,
    })
}

/// Frames a request body with its 2-byte length.
pub(crate) fn frame_request(body: &[u8]) -> Result<Vec<u8>, EpmdError> {
    let len = u16::try_from(body.len())
        .map_err(|_| EpmdError::InvalidRequest("request longer than 65535 bytes".into()))?;
    let mut out = Vec::with_capacity(body.len() + 2);
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(body);
    Ok(out)
}

/// ALIVE2_REQ, framed.
///
/// ```
/// # use tether::dist::epmd::{proto, NodeInfo, NodeType};
/// let req = proto::encode_alive2_req(&NodeInfo::new("kv", 4370)).unwrap();
/// assert_eq!(req[2], 120); // ALIVE2_REQ, after the 2-byte length
/// assert_eq!(u16::from_be_bytes([req[3], req[4]]), 4370);
/// ```
pub fn encode_alive2_req(info: &NodeInfo) -> Result<Vec<u8>, EpmdError> {
    let mut body = vec![ALIVE2_REQ];
    encode_node_fields(info, &mut body)?;
    frame_request(&body)
}

/// PORT_PLEASE2_REQ, framed.
///
/// ```
/// # use tether::dist::epmd::{proto, NodeInfo, NodeType};
/// let req = proto::encode_port_please2_req("kv").unwrap();
/// assert_eq!(req, [0, 3, 122, b'k', b'v']);
/// ```
pub fn encode_port_please2_req(name: &str) -> Result<Vec<u8>, EpmdError> {
    check_name(name.as_bytes()).map_err(|e| EpmdError::InvalidRequest(e.to_string()))?;
    let mut body = vec![PORT_PLEASE2_REQ];
    body.extend_from_slice(name.as_bytes());
    frame_request(&body)
}

/// PORT2_RESP for a found node.
///
/// ```
/// # use tether::dist::epmd::{proto, NodeInfo, NodeType};
/// let info = NodeInfo::new("kv", 4370);
/// let resp = proto::encode_port2_resp(&info).unwrap();
/// assert_eq!(proto::decode_port2_resp(&resp).unwrap(), Some(info));
/// ```
pub fn encode_port2_resp(info: &NodeInfo) -> Result<Vec<u8>, EpmdError> {
    let mut out = vec![PORT2_RESP, 0];
    encode_node_fields(info, &mut out)?;
    Ok(out)
}

/// Decodes a complete PORT2_RESP: `Ok(None)` when EPMD does not know the name.
///
/// ```
/// # use tether::dist::epmd::{proto, NodeInfo, NodeType};
/// assert_eq!(proto::decode_port2_resp(&[119, 1]).unwrap(), None); // not registered
/// let resp = proto::encode_port2_resp(&NodeInfo::new("a", 9)).unwrap();
/// assert_eq!(proto::decode_port2_resp(&resp).unwrap().unwrap().port, 9);
/// ```
pub fn decode_port2_resp(buf: &[u8]) -> Result<Option<NodeInfo>, EpmdError> {
    let mut c = Cursor::new(buf, "PORT2_RESP");
    let tag = c.u8()?;
    if tag != PORT2_RESP {
        return Err(EpmdError::Protocol(format!(
            "expected PORT2_RESP, got tag {tag}"
        )));
    }
    if c.u8()? != 0 {
        return Ok(None);
    }
    decode_node_fields(&mut c).map(Some)
}

/// One line of a NAMES reply: `name NAME at port PORT`.
///
/// ```
/// # use tether::dist::epmd::{proto, NodeInfo, NodeType};
/// assert_eq!(proto::names_line("kv", 4370), "name kv at port 4370\n");
/// ```
pub fn names_line(name: &str, port: u16) -> String {
    format!("name {name} at port {port}\n")
}

/// Parses the text of a NAMES reply (after the 4-byte EPMD port). Lines that do not
/// follow the format are skipped, as `net_adm:names/0` does.
///
/// ```
/// use tether::dist::epmd::proto::parse_names;
/// let names = parse_names("name beam at port 40001\nname x y at port 7\n");
/// assert_eq!(names, vec![("beam".to_string(), 40001), ("x y".to_string(), 7)]);
/// ```
pub fn parse_names(text: &str) -> Vec<(String, u16)> {
    text.lines()
        .filter_map(|line| {
            let rest = line.strip_prefix("name ")?;
            let (name, port) = rest.rsplit_once(" at port ")?;
            Some((name.to_owned(), port.trim().parse().ok()?))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn port2_resp_observed_bytes() {
        // docs/distribution.md §1.1, from OTP 25.2.3's epmd.
        let b = [
            0x77, 0x00, 0x98, 0xa5, 0x4d, 0x00, 0x00, 0x06, 0x00, 0x05, 0x00, 0x05, b'b', b'e',
            b'a', b'm', b'B', 0x00, 0x00,
        ];
        let info = decode_port2_resp(&b).unwrap().unwrap();
        assert_eq!(info.port, 39077);
        assert_eq!(info.name, "beamB");
        assert_eq!((info.highest_version, info.lowest_version), (6, 5));
        assert_eq!(info.node_type, NodeType::Normal);
        assert_eq!(decode_port2_resp(&[0x77, 0x01]).unwrap(), None);
        assert_eq!(encode_port2_resp(&info).unwrap(), b);
    }

    #[test]
    fn truncated_and_bogus_inputs_fail_cleanly() {
        let b = encode_port2_resp(&NodeInfo::new("n", 1)).unwrap();
        for cut in 0..b.len() {
            assert!(decode_port2_resp(&b[..cut]).is_err(), "cut at {cut}");
        }
        let mut bad_len = b.clone();
        bad_len[10] = 0xff; // name length far beyond the buffer
        assert!(decode_port2_resp(&bad_len).is_err());
        assert!(encode_port_please2_req("").is_err());
        assert!(encode_port_please2_req("a\0b").is_err());
    }

    #[test]
    fn alive2_req_layout() {
        let req = encode_alive2_req(&NodeInfo::new("ab", 0x1234)).unwrap();
        assert_eq!(
            req,
            [
                0, 15, b'x', 0x12, 0x34, 77, 0, 0, 6, 0, 6, 0, 2, b'a', b'b', 0, 0
            ]
        );
    }
}
