//! Fuzz the DNS reply parser of cluster discovery (crate `tether`,
//! `cluster::dns_wire::parse_reply`, what `DnsPoll` and `DnsSrv` run on each UDP
//! reply). The first byte picks the question's type (even: A, odd: SRV); the rest
//! is the reply. It must parse or fail, never panic; what it parses must be records
//! of the asked type, at most one per answer, SRV targets valid host names of at most
//! 255 bytes; and it must parse the same twice.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tether::cluster::dns_wire::{Record, TYPE_A, TYPE_SRV, parse_reply, reply_id};

fuzz_target!(|data: &[u8]| {
    let Some((&which, msg)) = data.split_first() else {
        return;
    };
    let qtype = if which % 2 == 0 { TYPE_A } else { TYPE_SRV };
    let _ = reply_id(msg);
    let parsed = parse_reply(msg, qtype);
    assert_eq!(parsed, parse_reply(msg, qtype), "not deterministic");
    let records = match parsed {
        Ok(records) => records,
        Err(e) => {
            let _ = e.to_string();
            return;
        }
    };
    // An NXDOMAIN is an empty answer as soon as its flags are read.
    if records.is_empty() {
        return;
    }
    // Header: 12 bytes, ANCOUNT at 6..8; each answer takes at least 11 bytes (a
    // 1-byte name, type, class, TTL, length).
    assert!(msg.len() >= 12);
    let answers = usize::from(u16::from_be_bytes([msg[6], msg[7]]));
    assert!(records.len() <= answers);
    assert!(records.len() * 11 <= msg.len() - 12);
    for record in &records {
        match record {
            Record::A(_) => assert_eq!(qtype, TYPE_A),
            Record::Srv { target, .. } => {
                assert_eq!(qtype, TYPE_SRV);
                assert!(target.len() <= 255, "{} bytes", target.len());
                if !target.is_empty() {
                    assert!(
                        target.split('.').all(|l| !l.is_empty() && l.len() <= 63),
                        "{target:?}"
                    );
                }
                assert!(target.bytes().all(|b| b.is_ascii_graphic()), "{target:?}");
            }
        }
    }
});
