//! GenStage's control requests, which every stage answers whatever its module:
//!
//! | Elixir | Term | Kind |
//! |---|---|---|
//! | `sync_subscribe/3`, `sync_resubscribe/5` | `{'$subscribe', Current, To, Opts}` | call → `{ok, Tag}` \| `{error, not_a_consumer}` \| `{error, {bad_opts, Msg}}` |
//! | `async_subscribe/2`, `async_resubscribe/4` | `{'$subscribe', Current, To, Opts}` | cast |
//! | `demand/1` | `'$demand'` | call → `forward` \| `accumulate` |
//! | `demand/2` | `{'$demand', Mode}` | cast |
//! | `sync_info/3` | `{'$info', Msg}` | call → `ok` |
//! | `async_info/2` | `{'$info', Msg}` | cast |
//! | `estimate_buffered_count/2` | `'$estimate_buffered_count'` | call → integer |
//!
//! Local callers send the Rust values ([`ControlCall`], [`ControlCast`]) instead, so
//! options may hold closures and infos may be any Rust value.

use tether_term::{Atom, Node, Reference, Term};

use super::client::SubscribeError;
use super::opts::{DemandMode, SubscribeOpts};
use crate::otp::gen_server::ReplyTo;
use crate::{Dest, ExitReason, Message};

pub(crate) enum Control {
    Subscribe {
        current: Option<(Reference, ExitReason)>,
        to: Dest,
        opts: SubscribeOpts,
    },
    Demand,
    SetDemand(DemandMode),
    Info(Message),
    EstimateBufferedCount,
}

pub(crate) enum ControlReply {
    Subscribed(Result<Reference, SubscribeError>),
    Demand(DemandMode),
    Ok,
    Count(usize),
}

/// A local control call.
pub(crate) struct ControlCall {
    pub from: ReplyTo<ControlReply>,
    pub request: Control,
}

/// A local control cast.
pub(crate) struct ControlCast(pub Control);

fn dest_to_term(d: &Dest) -> Term {
    d.to_term()
}

fn dest_from_term(t: &Term) -> Option<Dest> {
    match t {
        Term::Pid(p) => Some(Dest::Pid(*p)),
        Term::Atom(a) => Some(Dest::Name(a.clone())),
        Term::Tuple(items) => match items.as_slice() {
            [Term::Atom(n), Term::Atom(node)] => {
                let node = Node::intern(node.as_str()).ok()?;
                Some(Dest::from((n.clone(), node)))
            }
            _ => None,
        },
        _ => None,
    }
}

impl Control {
    /// The term form of a request (`None` for an info that has none).
    pub(crate) fn to_term(&self) -> Option<Term> {
        Some(match self {
            Control::Subscribe { current, to, opts } => Term::tuple([
                Term::atom("$subscribe"),
                match current {
                    None => Term::atom("nil"),
                    Some((tag, r)) => Term::tuple([Term::Ref(*tag), r.to_term()]),
                },
                dest_to_term(to),
                opts.to_term(),
            ]),
            Control::Demand => Term::atom("$demand"),
            Control::SetDemand(mode) => Term::tuple([Term::atom("$demand"), mode.to_term()]),
            Control::Info(m) => Term::tuple([Term::atom("$info"), m.to_term()?]),
            Control::EstimateBufferedCount => Term::atom("$estimate_buffered_count"),
        })
    }

    /// Reads a control call's request term (`cast` tells which forms are casts).
    pub(crate) fn from_term(t: &Term, cast: bool) -> Option<Control> {
        match t {
            Term::Atom(a) if !cast && *a == Atom::new("$demand") => Some(Control::Demand),
            Term::Atom(a) if !cast && *a == Atom::new("$estimate_buffered_count") => {
                Some(Control::EstimateBufferedCount)
            }
            Term::Tuple(items) => match items.as_slice() {
                [k, current, to, opts] if k.is_atom("$subscribe") => {
                    let current = match current {
                        c if c.is_atom("nil") => None,
                        Term::Tuple(c) => match c.as_slice() {
                            [Term::Ref(r), reason] => {
                                Some((*r, ExitReason::from_term(reason.clone())))
                            }
                            _ => return None,
                        },
                        _ => return None,
                    };
                    Some(Control::Subscribe {
                        current,
                        to: dest_from_term(to)?,
                        opts: SubscribeOpts::from_wire(opts)?,
                    })
                }
                [k, mode] if cast && k.is_atom("$demand") => {
                    Some(Control::SetDemand(DemandMode::from_term(mode)?))
                }
                [k, msg] if k.is_atom("$info") => Some(Control::Info(Message::new(msg.clone()))),
                _ => None,
            },
            _ => None,
        }
    }
}

impl ControlReply {
    pub(crate) fn to_term(&self) -> Term {
        match self {
            ControlReply::Subscribed(Ok(tag)) => Term::tuple([Term::atom("ok"), Term::Ref(*tag)]),
            ControlReply::Subscribed(Err(e)) => Term::tuple([Term::atom("error"), e.to_term()]),
            ControlReply::Demand(mode) => mode.to_term(),
            ControlReply::Ok => Term::atom("ok"),
            ControlReply::Count(n) => Term::from(*n as u64),
        }
    }

    pub(crate) fn subscribed_from_term(t: &Term) -> Option<ControlReply> {
        let Term::Tuple(items) = t else { return None };
        match items.as_slice() {
            [ok, Term::Ref(r)] if ok.is_atom("ok") => Some(ControlReply::Subscribed(Ok(*r))),
            [err, e] if err.is_atom("error") => {
                Some(ControlReply::Subscribed(Err(SubscribeError::from_term(e))))
            }
            _ => None,
        }
    }

    pub(crate) fn demand_from_term(t: &Term) -> Option<ControlReply> {
        DemandMode::from_term(t).map(ControlReply::Demand)
    }

    pub(crate) fn ok_from_term(t: &Term) -> Option<ControlReply> {
        t.is_atom("ok").then_some(ControlReply::Ok)
    }

    pub(crate) fn count_from_term(t: &Term) -> Option<ControlReply> {
        match t {
            Term::Int(n) if *n >= 0 => Some(ControlReply::Count(*n as usize)),
            _ => None,
        }
    }
}
