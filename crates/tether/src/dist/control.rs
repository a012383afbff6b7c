//! Control messages: the signals nodes exchange (DISTRIBUTION.md §4.1).
//!
//! Every message on a connection is a *control tuple* `{Op, ...}`, optionally followed
//! by a second term (the message of a send, the reason of a `PAYLOAD_*` exit, the
//! argument list of a spawn request). [`Control`] is one variant per signal, with the
//! payload inside the variant; the opcode is chosen when encoding, from the
//! connection's negotiated flags:
//!
//! | signal | without the flag | with it |
//! |---|---|---|
//! | send to a pid | `SEND` (2) | `SEND_SENDER` (22), flag `SEND_SENDER` |
//! | link exit | `EXIT` (3), reason in the tuple | `PAYLOAD_EXIT` (24), flag `EXIT_PAYLOAD` |
//! | `exit/2` | `EXIT2` (8) | `PAYLOAD_EXIT2` (26) |
//! | monitor fired | `MONITOR_P_EXIT` (21) | `PAYLOAD_MONITOR_P_EXIT` (28) |
//! | unlink | `UNLINK` (4) | `UNLINK_ID` (35), flag `UNLINK_ID` |
//!
//! Decoding accepts every opcode a peer may send whatever we advertised (the plain
//! and payload forms, the seq-trace `_TT` forms whose token is dropped, the obsolete
//! `NODE_LINK`), and checks the shape of every field: a malformed control message is
//! an error that closes the connection, never a panic.

use std::fmt;

use tether_term::{Atom, Pid, Reference, Term};

use super::flags::DistFlags;

/// A monitor's target or source on the wire: a pid, or a registered name.
#[derive(Clone, Debug, PartialEq)]
pub enum ProcRef {
    /// A process.
    Pid(Pid),
    /// A registered name on the node the message concerns.
    Name(Atom),
}

impl ProcRef {
    fn to_term(&self) -> Term {
        match self {
            ProcRef::Pid(p) => Term::Pid(*p),
            ProcRef::Name(a) => Term::Atom(a.clone()),
        }
    }
}

/// One control message (with its payload, if it has one). Field names follow the
/// control tuples of DISTRIBUTION.md §4.1.
#[allow(missing_docs)]
#[derive(Clone, Debug, PartialEq)]
pub enum Control {
    /// `LINK`: `from` links to `to`.
    Link { from: Pid, to: Pid },
    /// `SEND` / `SEND_SENDER`: a message to a pid (`from` unknown for plain `SEND`).
    Send {
        from: Option<Pid>,
        to: Pid,
        msg: Term,
    },
    /// `REG_SEND`: a message to a registered name.
    RegSend { from: Pid, to: Atom, msg: Term },
    /// `ALIAS_SEND`: a message to an alias.
    AliasSend {
        from: Pid,
        alias: Reference,
        msg: Term,
    },
    /// `EXIT` / `PAYLOAD_EXIT`: a linked process ended.
    Exit { from: Pid, to: Pid, reason: Term },
    /// `EXIT2` / `PAYLOAD_EXIT2`: `exit(To, Reason)`.
    Exit2 { from: Pid, to: Pid, reason: Term },
    /// Obsolete `UNLINK` (OTP 25 sends it when `UNLINK_ID` is not negotiated).
    Unlink { from: Pid, to: Pid },
    /// `UNLINK_ID`: start removing a link.
    UnlinkId { id: u64, from: Pid, to: Pid },
    /// `UNLINK_ID_ACK`.
    UnlinkIdAck { id: u64, from: Pid, to: Pid },
    /// `MONITOR_P`.
    MonitorP {
        from: Pid,
        to: ProcRef,
        reference: Reference,
    },
    /// `DEMONITOR_P`.
    DemonitorP {
        from: Pid,
        to: ProcRef,
        reference: Reference,
    },
    /// `MONITOR_P_EXIT` / `PAYLOAD_MONITOR_P_EXIT`.
    MonitorPExit {
        from: ProcRef,
        to: Pid,
        reference: Reference,
        reason: Term,
    },
    /// `GROUP_LEADER`: `from` becomes the group leader of `to`.
    GroupLeader { from: Pid, to: Pid },
    /// `SPAWN_REQUEST`.
    SpawnRequest {
        req_id: Reference,
        from: Pid,
        group_leader: Pid,
        module: Atom,
        function: Atom,
        arity: u32,
        opts: Term,
        args: Term,
    },
    /// `SPAWN_REPLY`: `result` is the new pid or an error atom.
    SpawnReply {
        req_id: Reference,
        to: Pid,
        flags: u32,
        result: Term,
    },
    /// `NODE_LINK` (never sent by modern nodes; ignored).
    NodeLink,
}

/// A control message could not be understood.
#[derive(Debug, Clone, PartialEq)]
pub struct BadControl(pub String);

impl fmt::Display for BadControl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "bad control message: {}", self.0)
    }
}

impl std::error::Error for BadControl {}

fn bad<T>(m: impl Into<String>) -> Result<T, BadControl> {
    Err(BadControl(m.into()))
}

fn pid(t: &Term, what: &str) -> Result<Pid, BadControl> {
    t.as_pid()
        .ok_or_else(|| BadControl(format!("{what} is not a pid: {t}")))
}

fn reference(t: &Term, what: &str) -> Result<Reference, BadControl> {
    t.as_ref()
        .copied()
        .ok_or_else(|| BadControl(format!("{what} is not a reference: {t}")))
}

fn atom(t: &Term, what: &str) -> Result<Atom, BadControl> {
    match t {
        Term::Atom(a) => Ok(a.clone()),
        _ => bad(format!("{what} is not an atom: {t}")),
    }
}

fn proc_ref(t: &Term, what: &str) -> Result<ProcRef, BadControl> {
    match t {
        Term::Pid(p) => Ok(ProcRef::Pid(*p)),
        Term::Atom(a) => Ok(ProcRef::Name(a.clone())),
        _ => bad(format!("{what} is neither a pid nor a name: {t}")),
    }
}

fn unlink_id(t: &Term) -> Result<u64, BadControl> {
    match t {
        Term::Int(i) if *i > 0 => Ok(*i as u64),
        Term::BigInt(b) => b
            .to_u128()
            .and_then(|v| u64::try_from(v).ok())
            .filter(|v| *v > 0)
            .ok_or_else(|| BadControl(format!("unlink id out of range: {t}"))),
        _ => bad(format!("unlink id is not a positive integer: {t}")),
    }
}

fn id_term(id: u64) -> Term {
    Term::from(id)
}

impl Control {
    /// Reads a control tuple and the payload that followed it (if any).
    pub fn decode(ctrl: Term, payload: Option<Term>) -> Result<Control, BadControl> {
        let Term::Tuple(items) = ctrl else {
            return bad(format!("control message is not a tuple: {ctrl}"));
        };
        let op = items
            .first()
            .and_then(Term::as_i64)
            .ok_or_else(|| BadControl("control tuple does not start with an opcode".to_string()))?;
        let arity = items.len();
        let f = |i: usize| &items[i];
        let want = |n: usize| -> Result<(), BadControl> {
            if arity == n {
                Ok(())
            } else {
                bad(format!("opcode {op} with {arity} elements"))
            }
        };
        let need_payload = |p: Option<Term>| -> Result<Term, BadControl> {
            p.ok_or_else(|| BadControl(format!("opcode {op} without its payload")))
        };
        let no_payload = |p: &Option<Term>| -> Result<(), BadControl> {
            if p.is_some() {
                bad(format!("opcode {op} with an unexpected payload"))
            } else {
                Ok(())
            }
        };
        let c = match op {
            1 => {
                want(3)?;
                no_payload(&payload)?;
                Control::Link {
                    from: pid(f(1), "LINK from")?,
                    to: pid(f(2), "LINK to")?,
                }
            }
            2 | 12 => {
                want(if op == 2 { 3 } else { 4 })?;
                Control::Send {
                    from: None,
                    to: pid(f(2), "SEND to")?,
                    msg: need_payload(payload)?,
                }
            }
            22 | 23 => {
                want(if op == 22 { 3 } else { 4 })?;
                Control::Send {
                    from: Some(pid(f(1), "SEND_SENDER from")?),
                    to: pid(f(2), "SEND_SENDER to")?,
                    msg: need_payload(payload)?,
                }
            }
            6 | 16 => {
                want(if op == 6 { 4 } else { 5 })?;
                Control::RegSend {
                    from: pid(f(1), "REG_SEND from")?,
                    to: atom(f(3), "REG_SEND name")?,
                    msg: need_payload(payload)?,
                }
            }
            33 | 34 => {
                want(if op == 33 { 3 } else { 4 })?;
                Control::AliasSend {
                    from: pid(f(1), "ALIAS_SEND from")?,
                    alias: reference(f(2), "ALIAS_SEND alias")?,
                    msg: need_payload(payload)?,
                }
            }
            3 | 13 | 8 | 18 => {
                want(if op == 3 || op == 8 { 4 } else { 5 })?;
                no_payload(&payload)?;
                let (from, to) = (pid(f(1), "EXIT from")?, pid(f(2), "EXIT to")?);
                let reason = f(arity - 1).clone();
                if op == 3 || op == 13 {
                    Control::Exit { from, to, reason }
                } else {
                    Control::Exit2 { from, to, reason }
                }
            }
            24..=27 => {
                want(if op % 2 == 0 { 3 } else { 4 })?;
                let (from, to) = (pid(f(1), "EXIT from")?, pid(f(2), "EXIT to")?);
                let reason = need_payload(payload)?;
                if op < 26 {
                    Control::Exit { from, to, reason }
                } else {
                    Control::Exit2 { from, to, reason }
                }
            }
            4 => {
                want(3)?;
                no_payload(&payload)?;
                Control::Unlink {
                    from: pid(f(1), "UNLINK from")?,
                    to: pid(f(2), "UNLINK to")?,
                }
            }
            35 | 36 => {
                want(4)?;
                no_payload(&payload)?;
                let (id, from, to) = (unlink_id(f(1))?, pid(f(2), "from")?, pid(f(3), "to")?);
                if op == 35 {
                    Control::UnlinkId { id, from, to }
                } else {
                    Control::UnlinkIdAck { id, from, to }
                }
            }
            19 | 20 => {
                want(4)?;
                no_payload(&payload)?;
                let from = pid(f(1), "MONITOR_P from")?;
                let to = proc_ref(f(2), "MONITOR_P target")?;
                let reference = reference(f(3), "MONITOR_P ref")?;
                if op == 19 {
                    Control::MonitorP {
                        from,
                        to,
                        reference,
                    }
                } else {
                    Control::DemonitorP {
                        from,
                        to,
                        reference,
                    }
                }
            }
            21 | 28 => {
                let reason = if op == 21 {
                    want(5)?;
                    no_payload(&payload)?;
                    f(4).clone()
                } else {
                    want(4)?;
                    need_payload(payload)?
                };
                Control::MonitorPExit {
                    from: proc_ref(f(1), "MONITOR_P_EXIT from")?,
                    to: pid(f(2), "MONITOR_P_EXIT to")?,
                    reference: reference(f(3), "MONITOR_P_EXIT ref")?,
                    reason,
                }
            }
            7 => {
                want(3)?;
                Control::GroupLeader {
                    from: pid(f(1), "GROUP_LEADER from")?,
                    to: pid(f(2), "to")?,
                }
            }
            29 | 30 => {
                want(if op == 29 { 6 } else { 7 })?;
                let mfa = f(4).as_tuple().filter(|t| t.len() == 3).ok_or_else(|| {
                    BadControl(format!("SPAWN_REQUEST mfa is not {{M, F, A}}: {}", f(4)))
                })?;
                let arity = mfa[2]
                    .as_i64()
                    .and_then(|a| u32::try_from(a).ok())
                    .ok_or_else(|| BadControl("SPAWN_REQUEST arity".into()))?;
                Control::SpawnRequest {
                    req_id: reference(f(1), "SPAWN_REQUEST id")?,
                    from: pid(f(2), "SPAWN_REQUEST from")?,
                    group_leader: pid(f(3), "SPAWN_REQUEST group leader")?,
                    module: atom(&mfa[0], "SPAWN_REQUEST module")?,
                    function: atom(&mfa[1], "SPAWN_REQUEST function")?,
                    arity,
                    opts: f(5).clone(),
                    args: need_payload(payload)?,
                }
            }
            31 | 32 => {
                want(if op == 31 { 5 } else { 6 })?;
                no_payload(&payload)?;
                let flags = f(3)
                    .as_i64()
                    .and_then(|v| u32::try_from(v).ok())
                    .ok_or_else(|| BadControl("SPAWN_REPLY flags".into()))?;
                Control::SpawnReply {
                    req_id: reference(f(1), "SPAWN_REPLY id")?,
                    to: pid(f(2), "SPAWN_REPLY to")?,
                    flags,
                    result: f(4).clone(),
                }
            }
            5 => Control::NodeLink,
            _ => return bad(format!("unknown opcode {op}")),
        };
        Ok(c)
    }

    /// The control tuple and the payload to send, for a connection with `flags`.
    pub fn encode_parts(&self, flags: DistFlags) -> (Term, Option<&Term>) {
        let op = |n: i64| Term::Int(n);
        let empty = || Term::atom("");
        let payload_exits = flags.contains(DistFlags::EXIT_PAYLOAD);
        match self {
            Control::Link { from, to } => {
                (Term::tuple([op(1), Term::Pid(*from), Term::Pid(*to)]), None)
            }
            Control::Send {
                from: Some(from),
                to,
                msg,
            } if flags.contains(DistFlags::SEND_SENDER) => (
                Term::tuple([op(22), Term::Pid(*from), Term::Pid(*to)]),
                Some(msg),
            ),
            Control::Send { to, msg, .. } => {
                (Term::tuple([op(2), empty(), Term::Pid(*to)]), Some(msg))
            }
            Control::RegSend { from, to, msg } => (
                Term::tuple([op(6), Term::Pid(*from), empty(), Term::Atom(to.clone())]),
                Some(msg),
            ),
            Control::AliasSend { from, alias, msg } => (
                Term::tuple([op(33), Term::Pid(*from), Term::Ref(*alias)]),
                Some(msg),
            ),
            Control::Exit { from, to, reason } | Control::Exit2 { from, to, reason } => {
                let link = matches!(self, Control::Exit { .. });
                let (plain, with_payload) = if link { (3, 24) } else { (8, 26) };
                if payload_exits {
                    (
                        Term::tuple([op(with_payload), Term::Pid(*from), Term::Pid(*to)]),
                        Some(reason),
                    )
                } else {
                    let t =
                        Term::tuple([op(plain), Term::Pid(*from), Term::Pid(*to), reason.clone()]);
                    (t, None)
                }
            }
            Control::Unlink { from, to } => {
                (Term::tuple([op(4), Term::Pid(*from), Term::Pid(*to)]), None)
            }
            Control::UnlinkId { id, from, to } => (
                Term::tuple([op(35), id_term(*id), Term::Pid(*from), Term::Pid(*to)]),
                None,
            ),
            Control::UnlinkIdAck { id, from, to } => (
                Term::tuple([op(36), id_term(*id), Term::Pid(*from), Term::Pid(*to)]),
                None,
            ),
            Control::MonitorP {
                from,
                to,
                reference,
            } => (
                Term::tuple([
                    op(19),
                    Term::Pid(*from),
                    to.to_term(),
                    Term::Ref(*reference),
                ]),
                None,
            ),
            Control::DemonitorP {
                from,
                to,
                reference,
            } => (
                Term::tuple([
                    op(20),
                    Term::Pid(*from),
                    to.to_term(),
                    Term::Ref(*reference),
                ]),
                None,
            ),
            Control::MonitorPExit {
                from,
                to,
                reference,
                reason,
            } => {
                let head = [
                    op(if payload_exits { 28 } else { 21 }),
                    from.to_term(),
                    Term::Pid(*to),
                ];
                if payload_exits {
                    let t = Term::tuple(head.into_iter().chain([Term::Ref(*reference)]));
                    (t, Some(reason))
                } else {
                    let t = Term::tuple(
                        head.into_iter()
                            .chain([Term::Ref(*reference), reason.clone()]),
                    );
                    (t, None)
                }
            }
            Control::GroupLeader { from, to } => {
                (Term::tuple([op(7), Term::Pid(*from), Term::Pid(*to)]), None)
            }
            Control::SpawnRequest {
                req_id,
                from,
                group_leader,
                module,
                function,
                arity,
                opts,
                args,
            } => {
                let mfa = Term::tuple([
                    Term::Atom(module.clone()),
                    Term::Atom(function.clone()),
                    Term::from(*arity),
                ]);
                let t = Term::tuple([
                    op(29),
                    Term::Ref(*req_id),
                    Term::Pid(*from),
                    Term::Pid(*group_leader),
                    mfa,
                    opts.clone(),
                ]);
                (t, Some(args))
            }
            Control::SpawnReply {
                req_id,
                to,
                flags,
                result,
            } => (
                Term::tuple([
                    op(31),
                    Term::Ref(*req_id),
                    Term::Pid(*to),
                    Term::from(*flags),
                    result.clone(),
                ]),
                None,
            ),
            Control::NodeLink => (Term::tuple([op(5)]), None),
        }
    }

    /// The pid on the *sending* node that this signal comes from, when it names one:
    /// a peer may only speak for its own processes.
    pub fn sender(&self) -> Option<Pid> {
        match self {
            Control::Link { from, .. }
            | Control::RegSend { from, .. }
            | Control::AliasSend { from, .. }
            | Control::Exit { from, .. }
            | Control::Exit2 { from, .. }
            | Control::Unlink { from, .. }
            | Control::UnlinkId { from, .. }
            | Control::UnlinkIdAck { from, .. }
            | Control::MonitorP { from, .. }
            | Control::DemonitorP { from, .. }
            | Control::SpawnRequest { from, .. } => Some(*from),
            Control::Send { from, .. } => *from,
            Control::MonitorPExit {
                from: ProcRef::Pid(p),
                ..
            } => Some(*p),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tether_term::Node;

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
}
