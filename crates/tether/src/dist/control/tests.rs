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
    use BadControl as B;
    let t = |items: Vec<Term>| Term::tuple(items);
    type Check = fn(&BadControl) -> bool;
    let cases: [(Term, Option<Term>, Check); 9] = [
        (Term::atom("x"), None, |e| matches!(e, B::NotATuple(_))),
        (t(vec![]), None, |e| matches!(e, B::NoOpcode)),
        (t(vec![Term::atom("link")]), None, |e| {
            matches!(e, B::NoOpcode)
        }),
        (t(vec![Term::from(99)]), None, |e| {
            matches!(e, B::UnknownOpcode(99))
        }),
        (t(vec![Term::from(1000)]), None, |e| {
            matches!(e, B::UnknownOpcode(1000))
        }),
        (t(vec![Term::from(op::LINK), Term::from(2)]), None, |e| {
            matches!(
                e,
                B::Arity {
                    op: op::LINK,
                    arity: 2
                }
            )
        }),
        (
            t(vec![
                Term::from(op::UNLINK_ID),
                Term::from(0),
                Term::Pid(p(1)),
                Term::Pid(p(2)),
            ]),
            None,
            |e| {
                matches!(
                    e,
                    B::Field {
                        op: op::UNLINK_ID,
                        field: "id",
                        ..
                    }
                )
            },
        ),
        (
            t(vec![
                Term::from(op::MONITOR_P),
                Term::Pid(p(1)),
                Term::from(3),
                Term::from(4),
            ]),
            None,
            |e| {
                matches!(
                    e,
                    B::Field {
                        op: op::MONITOR_P,
                        field: "target",
                        value: Term::Int(3),
                        ..
                    }
                )
            },
        ),
        (
            t(vec![Term::from(op::LINK), Term::Pid(p(1)), Term::Pid(p(2))]),
            Some(Term::nil()),
            |e| matches!(e, B::UnexpectedPayload(op::LINK)),
        ),
    ];
    for (ctrl, payload, is_expected) in cases {
        let e = Control::decode(ctrl.clone(), payload).unwrap_err();
        assert!(is_expected(&e), "{ctrl}: {e:?}");
    }
    // A send without its message.
    let send = Term::tuple([Term::from(op::SEND), Term::atom(""), Term::Pid(p(1))]);
    let e = Control::decode(send, None).unwrap_err();
    assert_eq!(e, BadControl::MissingPayload(op::SEND));
    assert_eq!(
        e.to_string(),
        "bad control message: SEND without its payload"
    );
}

#[test]
fn trace_token_forms_decode_as_the_plain_ones() {
    let r = Reference::new(Node::local(), 0, &[1, 2, 3]);
    let token = || Term::atom("token");
    let reason = || Term::atom("boom");
    let t = |code: u8, rest: Vec<Term>| Term::tuple([Term::from(code)].into_iter().chain(rest));
    let (pid, name) = (|n| Term::Pid(p(n)), || Term::atom("kv"));
    let cases = [
        (
            t(op::SEND_TT, vec![Term::atom(""), pid(2), token()]),
            Some(Term::nil()),
            Control::Send {
                from: None,
                to: p(2),
                msg: Term::nil(),
            },
        ),
        (
            t(op::SEND_SENDER_TT, vec![pid(1), pid(2), token()]),
            Some(Term::nil()),
            Control::Send {
                from: Some(p(1)),
                to: p(2),
                msg: Term::nil(),
            },
        ),
        (
            t(
                op::REG_SEND_TT,
                vec![pid(1), Term::atom(""), name(), token()],
            ),
            Some(Term::nil()),
            Control::RegSend {
                from: p(1),
                to: Atom::new("kv"),
                msg: Term::nil(),
            },
        ),
        (
            t(op::ALIAS_SEND_TT, vec![pid(1), Term::Ref(r), token()]),
            Some(Term::nil()),
            Control::AliasSend {
                from: p(1),
                alias: r,
                msg: Term::nil(),
            },
        ),
        (
            t(op::EXIT_TT, vec![pid(1), pid(2), token(), reason()]),
            None,
            Control::Exit {
                from: p(1),
                to: p(2),
                reason: reason(),
            },
        ),
        (
            t(op::EXIT2_TT, vec![pid(1), pid(2), token(), reason()]),
            None,
            Control::Exit2 {
                from: p(1),
                to: p(2),
                reason: reason(),
            },
        ),
        (
            t(op::PAYLOAD_EXIT_TT, vec![pid(1), pid(2), token()]),
            Some(reason()),
            Control::Exit {
                from: p(1),
                to: p(2),
                reason: reason(),
            },
        ),
        (
            t(op::PAYLOAD_EXIT2_TT, vec![pid(1), pid(2), token()]),
            Some(reason()),
            Control::Exit2 {
                from: p(1),
                to: p(2),
                reason: reason(),
            },
        ),
        (
            t(
                op::SPAWN_REQUEST_TT,
                vec![
                    Term::Ref(r),
                    pid(1),
                    pid(3),
                    Term::tuple([Term::atom("m"), Term::atom("f"), Term::from(1)]),
                    Term::nil(),
                    token(),
                ],
            ),
            Some(Term::List(vec![Term::from(7)])),
            Control::SpawnRequest {
                req_id: r,
                from: p(1),
                group_leader: p(3),
                module: Atom::new("m"),
                function: Atom::new("f"),
                arity: 1,
                opts: Term::nil(),
                args: Term::List(vec![Term::from(7)]),
            },
        ),
        (
            t(
                op::SPAWN_REPLY_TT,
                vec![Term::Ref(r), pid(1), Term::from(2), pid(4), token()],
            ),
            None,
            Control::SpawnReply {
                req_id: r,
                to: p(1),
                flags: 2,
                result: pid(4),
            },
        ),
    ];
    for (ctrl, payload, want) in cases {
        assert_eq!(
            Control::decode(ctrl.clone(), payload.clone()).unwrap(),
            want,
            "{ctrl}"
        );
        // Without the token, a `_TT` opcode has one element too few.
        let Term::Tuple(mut items) = ctrl else {
            unreachable!()
        };
        items.pop();
        assert!(Control::decode(Term::Tuple(items), payload).is_err());
    }
}
