//! Round trips and malformed input.

use super::*;
use crate::dist::flags::DistFlags;
use tether_term::Node;
use tether_term::{Atom, Pid, Reference, Term};

fn p(n: u32) -> Pid {
    Pid::new(Node::intern("peer@h").unwrap(), n, 0, 1)
}

#[test]
fn round_trips_with_and_without_flags() {
    let r = Reference::new(Node::local(), 0, &[1, 2, 3]);
    let all = [
        Control::Link {
            from: p(1),
            to: p(2),
        },
        Control::Send {
            from: Some(p(1)),
            to: p(2),
            msg: Term::atom("hi"),
        },
        Control::RegSend {
            from: p(1),
            to: Atom::new("kv"),
            msg: Term::from(1),
        },
        Control::AliasSend {
            from: p(1),
            alias: r,
            msg: Term::nil(),
        },
        Control::Exit {
            from: p(1),
            to: p(2),
            reason: Term::atom("boom"),
        },
        Control::Exit2 {
            from: p(1),
            to: p(2),
            reason: Term::atom("kill"),
        },
        Control::Unlink {
            from: p(1),
            to: p(2),
        },
        Control::UnlinkId {
            id: u64::MAX,
            from: p(1),
            to: p(2),
        },
        Control::UnlinkIdAck {
            id: 7,
            from: p(1),
            to: p(2),
        },
        Control::MonitorP {
            from: p(1),
            to: ProcRef::Name(Atom::new("kv")),
            reference: r,
        },
        Control::DemonitorP {
            from: p(1),
            to: ProcRef::Pid(p(3)),
            reference: r,
        },
        Control::MonitorPExit {
            from: ProcRef::Name(Atom::new("kv")),
            to: p(1),
            reference: r,
            reason: Term::atom("noproc"),
        },
        Control::GroupLeader {
            from: p(1),
            to: p(2),
        },
        Control::SpawnReply {
            req_id: r,
            to: p(1),
            flags: 2,
            result: Term::Pid(p(4)),
        },
    ];
    for flags in [DistFlags::DEFAULT, DistFlags::MANDATORY_OTP25] {
        for c in &all {
            let (ctrl, payload) = c.encode_parts(flags);
            let back = Control::decode(ctrl, payload.cloned()).unwrap();
            match (c, &back) {
                (
                    Control::Send { to, msg, .. },
                    Control::Send {
                        to: t2, msg: m2, ..
                    },
                ) => {
                    assert_eq!((to, msg), (t2, m2))
                }
                _ => assert_eq!(c, &back),
            }
        }
    }
}

#[test]
fn rejects_malformed() {
    let bad = [
        Term::atom("x"),
        Term::tuple([]),
        Term::tuple([Term::from(1), Term::from(2)]),
        Term::tuple([Term::from(99)]),
        Term::tuple([
            Term::from(35),
            Term::from(0),
            Term::Pid(p(1)),
            Term::Pid(p(2)),
        ]),
        Term::tuple([
            Term::from(19),
            Term::Pid(p(1)),
            Term::from(3),
            Term::from(4),
        ]),
    ];
    for t in bad {
        assert!(Control::decode(t.clone(), None).is_err(), "{t}");
    }
    // A send without its message.
    let send = Term::tuple([Term::from(2), Term::atom(""), Term::Pid(p(1))]);
    assert!(Control::decode(send, None).is_err());
}
