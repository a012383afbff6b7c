//! Control messages: the signals nodes exchange (docs/distribution.md §4.1).
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
//! The opcodes are named once, in [`op`]; nothing else writes them as numbers.
//!
//! Decoding accepts every opcode a peer may send whatever we advertised (the plain
//! and payload forms, the seq-trace `_TT` forms whose token is dropped, the obsolete
//! `NODE_LINK`), and checks the shape of every field: a malformed control message is
//! an error that closes the connection, never a panic.

use std::fmt;

use tether_term::{Atom, DecodeError, Pid, Reference, Term};

use super::flags::DistFlags;

mod decode;
pub mod op;
#[cfg(test)]
mod tests;

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
/// control tuples of docs/distribution.md §4.1.
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

/// A control message could not be understood. The connection that sent it is
/// closed with this as the reason.
///
/// ```
/// use tether::Term;
/// use tether::dist::control::{BadControl, Control, op};
/// let link = Term::tuple([Term::from(op::LINK), Term::atom("a"), Term::atom("b")]);
/// let err = Control::decode(link, None).unwrap_err();
/// assert!(matches!(err, BadControl::Field { op: op::LINK, field: "from", .. }));
/// assert_eq!(err.to_string(), "bad control message: LINK from is not a pid: a");
/// ```
#[derive(Debug, Clone, PartialEq)]
pub enum BadControl {
    /// The bytes are not a term, or a term over the node's decode limits.
    Undecodable(DecodeError),
    /// Bytes were left after the control term and its payload.
    TrailingBytes(usize),
    /// The control message is not a tuple.
    NotATuple(Term),
    /// The tuple does not start with an integer.
    NoOpcode,
    /// The tuple starts with an integer that is no opcode.
    UnknownOpcode(i64),
    /// The tuple has the wrong number of elements for its opcode.
    Arity {
        /// The opcode.
        op: u8,
        /// The number of elements, the opcode included.
        arity: usize,
    },
    /// The opcode takes a payload term and none followed.
    MissingPayload(u8),
    /// A payload term followed an opcode that takes none.
    UnexpectedPayload(u8),
    /// A field has the wrong type or value.
    Field {
        /// The opcode.
        op: u8,
        /// Which field (`from`, `to`, `ref`, ...).
        field: &'static str,
        /// What it should have been.
        expected: &'static str,
        /// What it was.
        value: Term,
    },
    /// A well-formed signal that claims to come from a process of another node: a
    /// peer may only speak for its own processes ([`Control::sender`]).
    ForeignSender(Pid),
}

impl fmt::Display for BadControl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = |code: &u8| op::name(*code).unwrap_or("?");
        f.write_str("bad control message: ")?;
        match self {
            BadControl::Undecodable(e) => write!(f, "undecodable term: {e}"),
            BadControl::TrailingBytes(n) => write!(f, "{n} bytes after the payload"),
            BadControl::NotATuple(t) => write!(f, "not a tuple: {t}"),
            BadControl::NoOpcode => f.write_str("the tuple does not start with an opcode"),
            BadControl::UnknownOpcode(c) => write!(f, "unknown opcode {c}"),
            BadControl::Arity { op, arity } => {
                write!(f, "{} ({op}) with {arity} elements", name(op))
            }
            BadControl::MissingPayload(op) => write!(f, "{} without its payload", name(op)),
            BadControl::UnexpectedPayload(op) => {
                write!(f, "{} with an unexpected payload", name(op))
            }
            BadControl::Field {
                op,
                field,
                expected,
                value,
            } => write!(f, "{} {field} is not {expected}: {value}", name(op)),
            BadControl::ForeignSender(p) => {
                write!(f, "a signal from {p:?}, not a process of the peer")
            }
        }
    }
}

impl std::error::Error for BadControl {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            BadControl::Undecodable(e) => Some(e),
            _ => None,
        }
    }
}

fn id_term(id: u64) -> Term {
    Term::from(id)
}

impl Control {
    /// The control tuple and the payload to send, for a connection with `flags`.
    pub fn encode_parts(&self, flags: DistFlags) -> (Term, Option<&Term>) {
        let opcode = |n: u8| Term::from(n);
        let empty = || Term::atom("");
        let payload_exits = flags.contains(DistFlags::EXIT_PAYLOAD);
        match self {
            Control::Link { from, to } => (
                Term::tuple([opcode(op::LINK), Term::Pid(*from), Term::Pid(*to)]),
                None,
            ),
            Control::Send {
                from: Some(from),
                to,
                msg,
            } if flags.contains(DistFlags::SEND_SENDER) => (
                Term::tuple([opcode(op::SEND_SENDER), Term::Pid(*from), Term::Pid(*to)]),
                Some(msg),
            ),
            Control::Send { to, msg, .. } => (
                Term::tuple([opcode(op::SEND), empty(), Term::Pid(*to)]),
                Some(msg),
            ),
            Control::RegSend { from, to, msg } => (
                Term::tuple([
                    opcode(op::REG_SEND),
                    Term::Pid(*from),
                    empty(),
                    Term::Atom(to.clone()),
                ]),
                Some(msg),
            ),
            Control::AliasSend { from, alias, msg } => (
                Term::tuple([opcode(op::ALIAS_SEND), Term::Pid(*from), Term::Ref(*alias)]),
                Some(msg),
            ),
            Control::Exit { from, to, reason } | Control::Exit2 { from, to, reason } => {
                let link = matches!(self, Control::Exit { .. });
                let (plain, with_payload) = if link {
                    (op::EXIT, op::PAYLOAD_EXIT)
                } else {
                    (op::EXIT2, op::PAYLOAD_EXIT2)
                };
                if payload_exits {
                    (
                        Term::tuple([opcode(with_payload), Term::Pid(*from), Term::Pid(*to)]),
                        Some(reason),
                    )
                } else {
                    let t = Term::tuple([
                        opcode(plain),
                        Term::Pid(*from),
                        Term::Pid(*to),
                        reason.clone(),
                    ]);
                    (t, None)
                }
            }
            Control::Unlink { from, to } => (
                Term::tuple([opcode(op::UNLINK), Term::Pid(*from), Term::Pid(*to)]),
                None,
            ),
            Control::UnlinkId { id, from, to } => (
                Term::tuple([
                    opcode(op::UNLINK_ID),
                    id_term(*id),
                    Term::Pid(*from),
                    Term::Pid(*to),
                ]),
                None,
            ),
            Control::UnlinkIdAck { id, from, to } => (
                Term::tuple([
                    opcode(op::UNLINK_ID_ACK),
                    id_term(*id),
                    Term::Pid(*from),
                    Term::Pid(*to),
                ]),
                None,
            ),
            Control::MonitorP {
                from,
                to,
                reference,
            } => (
                Term::tuple([
                    opcode(op::MONITOR_P),
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
                    opcode(op::DEMONITOR_P),
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
                    opcode(if payload_exits {
                        op::PAYLOAD_MONITOR_P_EXIT
                    } else {
                        op::MONITOR_P_EXIT
                    }),
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
            Control::GroupLeader { from, to } => (
                Term::tuple([opcode(op::GROUP_LEADER), Term::Pid(*from), Term::Pid(*to)]),
                None,
            ),
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
                    opcode(op::SPAWN_REQUEST),
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
                    opcode(op::SPAWN_REPLY),
                    Term::Ref(*req_id),
                    Term::Pid(*to),
                    Term::from(*flags),
                    result.clone(),
                ]),
                None,
            ),
            Control::NodeLink => (Term::tuple([opcode(op::NODE_LINK)]), None),
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
