//! Handshake messages and their packet framing (no protocol decisions here).
//!
//! ```text
//! send_name 'N'   Flags:64 Creation:32 Nlen:16 Name [ignored trailing bytes]
//! send_name 'n'   Version:16 Flags:32 Name(rest)        (OTP 23/24 without EPMD)
//! complement 'c'  FlagsHigh:32 Creation:32               (after an 'n')
//! status 's'      "ok" | "ok_simultaneous" | "nok" | "not_allowed" | "alive" | "named:"…
//! challenge 'N'   Flags:64 Challenge:32 Creation:32 Nlen:16 Name
//! reply 'r'       Challenge:32 Digest:16
//! ack 'a'         Digest:16
//! ```
//!
//! Each message is one packet: `Length:16` on plain TCP, `Length:32` inside TLS.
//! Packets are capped at [`MAX_PACKET`] bytes whatever the length prefix says.

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

use super::{HandshakeError, ProtocolError};
use crate::dist::flags::DistFlags;

/// The largest handshake packet accepted (a 255-character UTF-8 name plus headers).
pub const MAX_PACKET: usize = 2048;

/// The length prefix of handshake packets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum PacketLen {
    /// 2 bytes: plain TCP distribution.
    #[default]
    Two,
    /// 4 bytes: TLS distribution (`inet_tls_dist` uses `{packet,4}` from the start).
    Four,
}

pub(crate) async fn read_packet<S: AsyncRead + Unpin>(
    s: &mut S,
    framing: PacketLen,
    step: &'static str,
) -> Result<Vec<u8>, HandshakeError> {
    let len = match framing {
        PacketLen::Two => s.read_u16().await.map(usize::from),
        PacketLen::Four => s.read_u32().await.map(|n| n as usize),
    }
    .map_err(|e| HandshakeError::from_io(e, step))?;
    if len == 0 || len > MAX_PACKET {
        return Err(ProtocolError::PacketLength { step, len }.into());
    }
    let mut buf = vec![0; len];
    s.read_exact(&mut buf)
        .await
        .map_err(|e| HandshakeError::from_io(e, step))?;
    Ok(buf)
}

pub(crate) async fn write_packet<S: AsyncWrite + Unpin>(
    s: &mut S,
    framing: PacketLen,
    body: &[u8],
) -> Result<(), HandshakeError> {
    let mut out = Vec::with_capacity(body.len() + 4);
    match framing {
        PacketLen::Two => out.extend_from_slice(&(body.len() as u16).to_be_bytes()),
        PacketLen::Four => out.extend_from_slice(&(body.len() as u32).to_be_bytes()),
    }
    out.extend_from_slice(body);
    s.write_all(&out)
        .await
        .map_err(|e| HandshakeError::from_io(e, "write"))?;
    s.flush()
        .await
        .map_err(|e| HandshakeError::from_io(e, "write"))
}

struct Reader<'a> {
    buf: &'a [u8],
    what: &'static str,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], HandshakeError> {
        if self.buf.len() < n {
            return Err(ProtocolError::Truncated(self.what).into());
        }
        let (h, t) = self.buf.split_at(n);
        self.buf = t;
        Ok(h)
    }
    fn u16(&mut self) -> Result<u16, HandshakeError> {
        Ok(u16::from_be_bytes(
            self.take(2)?.try_into().expect("2 bytes"),
        ))
    }
    fn u32(&mut self) -> Result<u32, HandshakeError> {
        Ok(u32::from_be_bytes(
            self.take(4)?.try_into().expect("4 bytes"),
        ))
    }
    fn u64(&mut self) -> Result<u64, HandshakeError> {
        Ok(u64::from_be_bytes(
            self.take(8)?.try_into().expect("8 bytes"),
        ))
    }
}

/// A decoded send_name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SendName {
    pub flags: DistFlags,
    /// `None` for the old `'n'` form: creation and high flags come in `'c'`.
    pub creation: Option<u32>,
    pub name: Vec<u8>,
}

pub(crate) fn encode_send_name(flags: DistFlags, creation: u32, name: &str) -> Vec<u8> {
    let mut b = vec![b'N'];
    b.extend_from_slice(&flags.bits().to_be_bytes());
    b.extend_from_slice(&creation.to_be_bytes());
    b.extend_from_slice(&(name.len() as u16).to_be_bytes());
    b.extend_from_slice(name.as_bytes());
    b
}

pub(crate) fn decode_send_name(buf: &[u8]) -> Result<SendName, HandshakeError> {
    let mut r = Reader {
        buf,
        what: "send_name",
    };
    match r.take(1)?[0] {
        b'N' => {
            let flags = DistFlags::from_bits(r.u64()?);
            let creation = r.u32()?;
            let nlen = r.u16()? as usize;
            let name = r.take(nlen)?.to_vec(); // trailing bytes are ignored
            Ok(SendName {
                flags,
                creation: Some(creation),
                name,
            })
        }
        b'n' => {
            let version = r.u16()?;
            if version != 5 && version != 6 {
                return Err(ProtocolError::SendNameVersion(version).into());
            }
            let flags = DistFlags::from_bits(u64::from(r.u32()?));
            Ok(SendName {
                flags,
                creation: None,
                name: r.buf.to_vec(),
            })
        }
        t => Err(ProtocolError::UnexpectedTag {
            expected: "send_name",
            got: t,
        }
        .into()),
    }
}

pub(crate) fn decode_complement(buf: &[u8]) -> Result<(u32, u32), HandshakeError> {
    if buf.len() != 9 || buf[0] != b'c' {
        return Err(ProtocolError::Malformed("complement ('c') message").into());
    }
    let mut r = Reader {
        buf: &buf[1..],
        what: "complement",
    };
    Ok((r.u32()?, r.u32()?))
}

/// The handshake status strings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Status {
    /// `ok`.
    Ok,
    /// `ok_simultaneous`: the acceptor dropped its own attempt.
    OkSimultaneous,
    /// `nok`: the acceptor's own attempt wins.
    Nok,
    /// `not_allowed`.
    NotAllowed,
    /// `alive`: the acceptor already has a connection to us.
    Alive,
    /// `named:` with the name and creation given to a NAME_ME initiator.
    Named(Vec<u8>, u32),
}

pub(crate) fn encode_status(s: &Status) -> Vec<u8> {
    let mut b = vec![b's'];
    match s {
        Status::Ok => b.extend_from_slice(b"ok"),
        Status::OkSimultaneous => b.extend_from_slice(b"ok_simultaneous"),
        Status::Nok => b.extend_from_slice(b"nok"),
        Status::NotAllowed => b.extend_from_slice(b"not_allowed"),
        Status::Alive => b.extend_from_slice(b"alive"),
        Status::Named(name, creation) => {
            b.extend_from_slice(b"named:");
            b.extend_from_slice(&(name.len() as u16).to_be_bytes());
            b.extend_from_slice(name);
            b.extend_from_slice(&creation.to_be_bytes());
        }
    }
    b
}

pub(crate) fn decode_status(buf: &[u8]) -> Result<Status, HandshakeError> {
    let Some((&b's', text)) = buf.split_first() else {
        return Err(ProtocolError::UnexpectedTag {
            expected: "a status ('s') message",
            got: buf.first().copied().unwrap_or(0),
        }
        .into());
    };
    Ok(match text {
        b"ok" => Status::Ok,
        b"ok_simultaneous" => Status::OkSimultaneous,
        b"nok" => Status::Nok,
        b"not_allowed" => Status::NotAllowed,
        b"alive" => Status::Alive,
        t if t.starts_with(b"named:") => {
            let mut r = Reader {
                buf: &t[6..],
                what: "named: status",
            };
            let nlen = r.u16()? as usize;
            let name = r.take(nlen)?.to_vec();
            Status::Named(name, r.u32()?)
        }
        t => {
            return Err(ProtocolError::UnknownStatus(t[..t.len().min(64)].to_vec()).into());
        }
    })
}

/// A decoded challenge.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Challenge {
    pub flags: DistFlags,
    pub challenge: u32,
    pub creation: u32,
    pub name: Vec<u8>,
}

pub(crate) fn encode_challenge(
    flags: DistFlags,
    challenge: u32,
    creation: u32,
    name: &str,
) -> Vec<u8> {
    let mut b = vec![b'N'];
    b.extend_from_slice(&flags.bits().to_be_bytes());
    b.extend_from_slice(&challenge.to_be_bytes());
    b.extend_from_slice(&creation.to_be_bytes());
    b.extend_from_slice(&(name.len() as u16).to_be_bytes());
    b.extend_from_slice(name.as_bytes());
    b
}

pub(crate) fn decode_challenge(buf: &[u8]) -> Result<Challenge, HandshakeError> {
    let mut r = Reader {
        buf,
        what: "challenge",
    };
    if r.take(1)?[0] != b'N' {
        return Err(ProtocolError::UnexpectedTag {
            expected: "a version 6 challenge ('N')",
            got: buf.first().copied().unwrap_or(0),
        }
        .into());
    }
    let flags = DistFlags::from_bits(r.u64()?);
    let challenge = r.u32()?;
    let creation = r.u32()?;
    let nlen = r.u16()? as usize;
    let name = r.take(nlen)?.to_vec();
    Ok(Challenge {
        flags,
        challenge,
        creation,
        name,
    })
}

pub(crate) fn encode_reply(challenge: u32, digest: &[u8; 16]) -> Vec<u8> {
    let mut b = vec![b'r'];
    b.extend_from_slice(&challenge.to_be_bytes());
    b.extend_from_slice(digest);
    b
}

pub(crate) fn decode_reply(buf: &[u8]) -> Result<(u32, &[u8]), HandshakeError> {
    if buf.len() != 21 || buf[0] != b'r' {
        return Err(ProtocolError::Malformed("challenge reply ('r')").into());
    }
    Ok((
        u32::from_be_bytes(buf[1..5].try_into().expect("4 bytes")),
        &buf[5..],
    ))
}

pub(crate) fn encode_ack(digest: &[u8; 16]) -> Vec<u8> {
    let mut b = vec![b'a'];
    b.extend_from_slice(digest);
    b
}

pub(crate) fn decode_ack(buf: &[u8]) -> Result<&[u8], HandshakeError> {
    if buf.len() != 17 || buf[0] != b'a' {
        return Err(ProtocolError::Malformed("challenge ack ('a')").into());
    }
    Ok(&buf[1..])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn observed_send_name_decodes() {
        // OTP 25.2.3's send_name (docs/distribution.md §2.2), without the length prefix.
        let mut b = vec![
            0x4e, 0, 0, 0, 0x0d, 0x07, 0xdf, 0x7f, 0xbd, 0x6b, 0x02, 0x4a, 0x3b, 0, 14,
        ];
        b.extend_from_slice(b"beam@localhost");
        let sn = decode_send_name(&b).unwrap();
        assert_eq!(sn.flags.bits(), 0xD_07DF_7FBD);
        assert_eq!(sn.creation, Some(0x6b02_4a3b));
        assert_eq!(sn.name, b"beam@localhost");
        assert_eq!(encode_send_name(sn.flags, 0x6b02_4a3b, "beam@localhost"), b);
        b.extend_from_slice(b"trailing");
        assert_eq!(decode_send_name(&b).unwrap().name, b"beam@localhost");
    }

    #[test]
    fn statuses_round_trip() {
        for s in [
            Status::Ok,
            Status::OkSimultaneous,
            Status::Nok,
            Status::NotAllowed,
            Status::Alive,
        ] {
            assert_eq!(decode_status(&encode_status(&s)).unwrap(), s);
        }
        let named = Status::Named(b"X@h".to_vec(), 7);
        assert_eq!(decode_status(&encode_status(&named)).unwrap(), named);
        assert!(decode_status(b"sbogus").is_err());
        assert!(decode_status(b"snamed:\x00\x09ab").is_err());
    }

    #[test]
    fn truncations_fail_without_panic() {
        let c = encode_challenge(DistFlags::DEFAULT, 1, 2, "a@b");
        for cut in 0..c.len() {
            assert!(decode_challenge(&c[..cut]).is_err());
        }
        let n = encode_send_name(DistFlags::DEFAULT, 1, "a@b");
        for cut in 0..n.len() {
            assert!(decode_send_name(&n[..cut]).is_err());
        }
        assert!(decode_reply(&[b'r'; 20]).is_err());
        assert!(decode_ack(&[b'a'; 18]).is_err());
        assert!(decode_complement(b"c12345678").is_ok());
        assert!(decode_complement(b"c1234567").is_err());
    }
}
