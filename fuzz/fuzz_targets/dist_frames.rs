//! Fuzz the receiving side of a distribution connection. The input is a sequence of
//! frames (`Length:16/big, Bytes`; the last takes whatever is left) fed in order to
//! one connection's `InboundDecoder`, the distribution-header parser (pass-through
//! frames, headers with the atom cache, fragments), and every message it completes
//! is read as the node's reader reads it (`wire::decode`): the control and payload
//! terms with the message's atom-cache references, then the control tuple. Nothing
//! may panic; the first error ends the sequence, as it closes a connection.
#![no_main]

use bytes::Bytes;
use libfuzzer_sys::fuzz_target;
use tether::dist::control::Control;
use tether::dist::framing::classify;
use tether::dist::framing::header::InboundDecoder;
use tether_term::{AtomCacheRefs, DecodeLimits, Decoder};

fuzz_target!(|data: &[u8]| {
    let limits = DecodeLimits {
        max_depth: 128,
        max_size: 1 << 20,
        max_decompressed: 1 << 20,
    };
    let mut inbound = InboundDecoder::new(1 << 20);
    let mut rest = data;
    while !rest.is_empty() {
        let frame;
        (frame, rest) = match rest {
            [a, b, tail @ ..] => {
                tail.split_at(usize::from(u16::from_be_bytes([*a, *b])).min(tail.len()))
            }
            _ => (rest, &[][..]),
        };
        let Ok(kind) = classify(Bytes::copy_from_slice(frame)) else {
            return;
        };
        let mut m = match inbound.decode(kind) {
            Ok(Some(m)) => m,
            Ok(None) => continue,
            Err(e) => return drop(e.to_string()),
        };
        let refs = AtomCacheRefs::from_atoms(std::mem::take(&mut m.atom_refs));
        let mut d = Decoder::from_bytes(&m.body)
            .with_limits(limits)
            .with_atom_cache(Some(&refs));
        let versioned = m.versioned;
        let read = |d: &mut Decoder<'_>| {
            if versioned {
                d.decode()
            } else {
                d.decode_term()
            }
        };
        let Ok(ctrl) = read(&mut d) else {
            return;
        };
        let payload = match d.is_empty() {
            true => None,
            false => match read(&mut d) {
                Ok(p) => Some(p),
                Err(_) => return,
            },
        };
        if !d.is_empty() {
            return;
        }
        match Control::decode(ctrl, payload) {
            Ok(c) => drop(c.sender()),
            Err(e) => return drop(e.to_string()),
        }
        inbound.recycle(refs.into_atoms());
    }
});
