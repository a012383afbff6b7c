//! Hostile frames on the receiving path: seeded random and mutated frame sequences
//! go through [`classify`], [`InboundDecoder`] (the one distribution-header parser,
//! with the connection's atom cache and fragment reassembly) and `wire::decode`
//! (terms and control tuples), as a connection's reader feeds them, and nothing
//! panics.
//!
//! This is the stable-toolchain stand-in for the `dist_frames` cargo-fuzz target in
//! `fuzz/`; `scripts/fuzz-smoke.sh` runs it longer when cargo-fuzz is missing.
//! `TETHER_FUZZ_ITERS=N` sets the number of frame sequences (default 20 000).
//!
//! The seeds are real sessions: messages encoded by `wire::encode` and finished by
//! the writer's atom cache, in each frame format (pass-through, distribution header,
//! fragments, fragments with the atom cache), and fragments cut small and interleaved
//! between two messages. Mutations work on bytes (bit flips, insertions, deletions,
//! truncations, interesting bytes) and on the sequence (frames dropped, repeated,
//! swapped, or random frames with a header tag inserted).

use std::sync::atomic::AtomicU64;

use bytes::Bytes;
use tether_term::{Atom, DecodeLimits, Node, Pid, Reference, Term};

use super::classify;
use super::header::InboundDecoder;
use crate::dist::control::{Control, ProcRef};
use crate::dist::flags::DistFlags;
use crate::dist::fuzzing::{Rng, iterations, mutate};
use crate::dist::wire;

fn controls() -> Vec<Control> {
    let peer = Node::intern("fuzz_peer@some.host").unwrap();
    let us = Node::intern("fuzz_us@other.host").unwrap();
    let (a, b) = (Pid::new(peer, 7, 0, 3), Pid::new(us, 1, 2, 3));
    let r = Reference::new(us, 3, &[1, 2, 3]);
    let msg = Term::tuple([
        Term::atom("seq"),
        Term::from(1),
        Term::List(vec![Term::atom("a"), Term::atom("b"), Term::Pid(a)]),
    ]);
    vec![
        Control::Send {
            from: Some(a),
            to: b,
            msg: msg.clone(),
        },
        Control::RegSend {
            from: a,
            to: Atom::new("echo"),
            msg: msg.clone(),
        },
        Control::AliasSend {
            from: a,
            alias: r,
            msg,
        },
        Control::Link { from: a, to: b },
        Control::UnlinkId {
            id: 9,
            from: a,
            to: b,
        },
        Control::MonitorP {
            from: a,
            to: ProcRef::Name(Atom::new("echo")),
            reference: r,
        },
        Control::MonitorPExit {
            from: ProcRef::Pid(a),
            to: b,
            reference: r,
            reason: Term::atom("noproc"),
        },
        Control::Exit {
            from: a,
            to: b,
            reason: Term::atom("boom"),
        },
        Control::SpawnRequest {
            req_id: r,
            from: a,
            group_leader: a,
            module: Atom::new("lists"),
            function: Atom::new("seq"),
            arity: 2,
            opts: Term::nil(),
            args: Term::List(vec![Term::from(1), Term::from(3)]),
        },
        Control::SpawnReply {
            req_id: r,
            to: a,
            flags: 1,
            result: Term::Pid(b),
        },
    ]
}

/// The frames of `ctrls`, sent in order on one connection with `flags`, as the
/// writer puts them on the wire.
fn session(ctrls: &[Control], flags: DistFlags) -> Vec<Bytes> {
    let seq = AtomicU64::new(1);
    let mut cache = None;
    ctrls
        .iter()
        .flat_map(|c| {
            wire::encode(c, flags, &seq)
                .unwrap()
                .wire_frames(&mut cache)
        })
        .collect()
}

/// Cuts a whole message sent as a lone fragment without the atom cache
/// (`131, 69, Seq, 1, 0, body`) into `parts` fragments.
fn cut(frame: &Bytes, parts: usize) -> Vec<Bytes> {
    let (head, body) = frame.split_at(19);
    // Tags, sequence id, fragment id 1, no atom-cache references.
    assert_eq!((head[0], head[1]), (131, 69));
    assert_eq!(&head[10..], &[0, 0, 0, 0, 0, 0, 0, 1, 0]);
    let chunks: Vec<&[u8]> = body.chunks(body.len().div_ceil(parts).max(1)).collect();
    let n = chunks.len() as u64;
    chunks
        .iter()
        .enumerate()
        .map(|(i, part)| {
            let first = i == 0;
            let mut f = vec![131, if first { 69 } else { 70 }];
            f.extend_from_slice(&head[2..10]);
            f.extend_from_slice(&(n - i as u64).to_be_bytes());
            if first {
                f.push(0); // no atom-cache references
            }
            f.extend_from_slice(part);
            Bytes::from(f)
        })
        .collect()
}

/// Pairs of messages cut into fragments, the two messages' fragments alternating.
fn interleaved(ctrls: &[Control]) -> Vec<Bytes> {
    let whole = session(ctrls, DistFlags::PASS_THROUGH | DistFlags::FRAGMENTS);
    let mut out = Vec::new();
    for (i, pair) in whole.chunks(2).enumerate() {
        let mut a = cut(&pair[0], 2 + i % 3).into_iter();
        let mut b = pair
            .get(1)
            .map(|f| cut(f, 3))
            .unwrap_or_default()
            .into_iter();
        loop {
            match (a.next(), b.next()) {
                (None, None) => break,
                (x, y) => out.extend(x.into_iter().chain(y)),
            }
        }
    }
    out
}

/// Feeds `frames` to a fresh connection's reader; returns the control messages read
/// before the first error (which would close the connection).
fn feed(frames: &[Bytes]) -> Vec<Control> {
    let limits = DecodeLimits {
        max_depth: 64,
        max_size: 1 << 20,
        max_decompressed: 1 << 20,
    };
    let mut inbound = InboundDecoder::new(1 << 20);
    let mut out = Vec::new();
    for f in frames {
        let kind = match classify(f.clone()) {
            Ok(k) => k,
            Err(e) => {
                let _ = e.to_string();
                break;
            }
        };
        match inbound.decode(kind) {
            Ok(Some(mut m)) => {
                let r = wire::decode(&mut m, limits);
                inbound.recycle(m.atom_refs);
                match r {
                    Ok(c) => {
                        let _ = c.sender();
                        out.push(c);
                    }
                    Err(e) => {
                        let _ = e.to_string();
                        break;
                    }
                }
            }
            Ok(None) => {}
            Err(e) => {
                let _ = e.to_string();
                break;
            }
        }
    }
    out
}

fn mutate_bytes(rng: &mut Rng, frame: &Bytes) -> Bytes {
    let interesting = [0, 1, 0xff, 0x7f, 0x80, 0x08, 131, 68, 69, 70, 82, 104];
    Bytes::from(mutate(rng, frame, &interesting))
}

fn random_frame(rng: &mut Rng) -> Bytes {
    let mut v = match rng.below(4) {
        0 => vec![112, 131],
        1 => vec![131, 68],
        2 => vec![131, 69],
        _ => vec![131, 70],
    };
    v.extend((0..rng.below(40)).map(|_| {
        // Small values: counts, ids and flags that mean something.
        if rng.below(2) == 0 {
            rng.below(4) as u8
        } else {
            rng.next() as u8
        }
    }));
    Bytes::from(v)
}

#[test]
fn the_seed_sessions_decode_back() {
    let ctrls = controls();
    for flags in [
        DistFlags::DEFAULT,
        DistFlags::PASS_THROUGH,
        DistFlags::PASS_THROUGH | DistFlags::FRAGMENTS,
    ] {
        let frames = session(&ctrls, flags);
        assert_eq!(feed(&frames), ctrls, "{flags:?}");
    }
    let frames = interleaved(&ctrls);
    assert!(frames.len() > 2 * ctrls.len());
    assert_eq!(feed(&frames).len(), ctrls.len());
}

#[test]
fn random_and_mutated_frames_never_panic() {
    let iterations = iterations(20_000);
    let ctrls = controls();
    let big = Control::Send {
        from: None,
        to: Pid::new(Node::intern("fuzz_us@other.host").unwrap(), 1, 2, 3),
        msg: Term::List(
            (0..9000)
                .map(|i| Term::atom(&format!("a{}", i % 300)))
                .collect(),
        ),
    };
    let seeds = [
        session(&ctrls, DistFlags::DEFAULT),
        session(&ctrls, DistFlags::PASS_THROUGH),
        session(&ctrls, DistFlags::PASS_THROUGH | DistFlags::FRAGMENTS),
        interleaved(&ctrls),
        // Real fragments with the atom cache: a message over 64 KiB, then others.
        session(
            &[ctrls[0].clone(), big, ctrls[1].clone()],
            DistFlags::DEFAULT,
        ),
    ];
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let mut decoded = 0;
    for _ in 0..iterations {
        // The big session is slow to feed: one time in 64.
        let pick = if rng.below(64) == 0 { 4 } else { rng.below(4) };
        let mut frames = seeds[pick].clone();
        for _ in 0..1 + rng.below(3) {
            let at = rng.below(frames.len());
            match rng.below(8) {
                0 if frames.len() > 1 => {
                    frames.remove(at);
                }
                1 => frames.insert(at, frames[at].clone()),
                2 if at + 1 < frames.len() => frames.swap(at, at + 1),
                3 => frames.insert(at, random_frame(&mut rng)),
                _ if frames[at].len() < 4096 => frames[at] = mutate_bytes(&mut rng, &frames[at]),
                _ => {}
            }
        }
        decoded += feed(&frames).len();
    }
    // Most mutations leave some messages before the damaged one readable.
    assert!(
        decoded > iterations,
        "{decoded} messages in {iterations} sequences"
    );
}
