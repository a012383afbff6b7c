//! The `gen` call protocol on the wire: the one place in Tether that knows the terms
//! of a call, a cast and a reply (docs/semantics.md §4.3 C2, K1; docs/distribution.md
//! §6.2).
//!
//! | Term | Meaning | Made by | Read by |
//! |---|---|---|---|
//! | `{'$gen_call', {Pid, Tag}, Request}` | a call | [`call_term`] | [`parse`], [`classify`] |
//! | `{'$gen_cast', Request}` | a cast | [`cast_term`] | [`parse`], [`classify`] |
//! | `{Tag, Reply}`, to the alias in `Tag` or to `Pid` | the reply (`gen:reply/2`) | [`reply_term`] | `otp::request` ([`alias_of`]) |
//! | `{error, {bad_request, Request}}` | the reply to a call the server cannot decode | [`bad_request`] | the caller |
//! | `{error, bad_reply}` | the reply a server could not put into a term | [`bad_reply`] | the caller |
//!
//! `Tag` is opaque to a server, which only echoes it. An OTP 24+ caller (Elixir
//! included, and Tether itself: [`alias_tag`]) sends `[alias | Ref]`, where `Ref` is
//! both its monitor of the server and an alias it receives the reply on; older or
//! hand-written callers send a plain reference, `gen_server:multi_call` sends
//! `{Ref, Node}`, other `gen` variants `[[alias | Ref] | Extra]`.
//!
//! Who uses what:
//!
//! - The GenServer loop recognises wire messages with [`parse`] (borrowing: the
//!   request is decoded straight into the server's Rust type) and answers through a
//!   [`ReplyTo`], which replies with [`reply_term`]; a call it cannot decode is
//!   answered [`bad_request`] at once, so a remote caller never waits for a reply that
//!   cannot come.
//! - The client side (`otp::request`, used by `gen_server::call` and `dist::call`)
//!   builds calls with [`call_term`] and [`alias_tag`] and recognises replies with
//!   [`alias_of`].
//! - The `dist` services that work on raw terms (`net_kernel`, `rex`, `global`) use
//!   only the narrow owned view: [`classify`] a message into a [`GenMsg`], answer a
//!   [`GenCall`] with [`reply`]. `dist` reaches this module as `dist::gen_call`.

use std::fmt;

use tether_term::{Pid, Reference, Term};

use crate::Dest;
use crate::otp::gen_server::ReplyTo;

// ---- the wire forms ------------------------------------------------------------

/// A recognised wire message, borrowing from the term.
pub(crate) enum WireMsg<'a> {
    /// `{'$gen_call', {Pid, Tag}, Request}`.
    Call {
        caller: Pid,
        tag: &'a Term,
        request: &'a Term,
    },
    /// `{'$gen_cast', Request}`.
    Cast(&'a Term),
}

/// Recognises `$gen_call` and `$gen_cast` terms.
pub(crate) fn parse(t: &Term) -> Option<WireMsg<'_>> {
    let Term::Tuple(items) = t else { return None };
    match items.as_slice() {
        [kind, Term::Tuple(from), request] if kind.is_atom("$gen_call") => match from.as_slice() {
            [Term::Pid(caller), tag] => Some(WireMsg::Call {
                caller: *caller,
                tag,
                request,
            }),
            _ => None,
        },
        [kind, request] if kind.is_atom("$gen_cast") => Some(WireMsg::Cast(request)),
        _ => None,
    }
}

/// `{'$gen_call', {Pid, Tag}, Request}`.
pub(crate) fn call_term(caller: Pid, tag: Term, request: Term) -> Term {
    Term::tuple([
        Term::atom("$gen_call"),
        Term::tuple([Term::Pid(caller), tag]),
        request,
    ])
}

/// `{'$gen_cast', Request}`.
pub(crate) fn cast_term(request: Term) -> Term {
    Term::tuple([Term::atom("$gen_cast"), request])
}

// ---- tags -------------------------------------------------------------------------

/// The tag `[alias | A]` that OTP 24+ callers use.
pub(crate) fn alias_tag(alias: Reference) -> Term {
    Term::ImproperList(vec![Term::atom("alias")], Box::new(Term::Ref(alias)))
}

/// The alias in a tag `[alias | A]` or `[[alias | A] | _]`.
pub(crate) fn alias_of(tag: &Term) -> Option<Reference> {
    fn direct(t: &Term) -> Option<Reference> {
        match t {
            Term::ImproperList(items, tail) if items.len() == 1 && items[0].is_atom("alias") => {
                match &**tail {
                    Term::Ref(a) => Some(*a),
                    _ => None,
                }
            }
            _ => None,
        }
    }
    direct(tag).or_else(|| match tag {
        Term::List(items) | Term::ImproperList(items, _) => items.first().and_then(direct),
        _ => None,
    })
}

// ---- replies ---------------------------------------------------------------------

/// Replies `{Tag, Reply}` to a `$gen_call` from `caller` as `gen:reply/2` does: to
/// the alias in a tag `[alias | A]` or `[[alias | A] | _]` (OTP 24+ callers), else to
/// the caller's pid (a plain reference, `{Ref, Node}` of `multi_call`, ...). Every
/// server that answers wire calls replies through this.
pub(crate) fn reply_term(caller: Pid, tag: &Term, reply: Term) {
    let dest = match alias_of(tag) {
        Some(a) => Dest::Alias(a),
        None => Dest::Pid(caller),
    };
    let _ = crate::send(dest, Term::tuple([tag.clone(), reply]));
}

/// `{error, {bad_request, Request}}`: the reply to a call whose request the server
/// cannot decode.
pub(crate) fn bad_request(request: Term) -> Term {
    Term::tuple([
        Term::atom("error"),
        Term::tuple([Term::atom("bad_request"), request]),
    ])
}

/// `{error, bad_reply}`: the reply to a call whose answer has no term form.
pub(crate) fn bad_reply() -> Term {
    Term::tuple([Term::atom("error"), Term::atom("bad_reply")])
}

// ---- the owned view, for servers of raw terms (dist) -----------------------------

/// A `$gen_call` request, owned.
#[derive(Clone)]
pub(crate) struct GenCall {
    /// Who to answer (its [`caller`](ReplyTo::caller) is the calling process).
    pub from: ReplyTo<Term>,
    /// The request.
    pub request: Term,
}

impl fmt::Debug for GenCall {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "GenCall({:?}, {})", self.from, self.request)
    }
}

/// What a server mailbox message is, in `gen` terms.
#[derive(Debug, Clone)]
pub(crate) enum GenMsg {
    /// `{'$gen_call', {From, Tag}, Request}`.
    Call(GenCall),
    /// `{'$gen_cast', Msg}`.
    Cast(Term),
    /// Anything else.
    Info(Term),
}

/// Classifies a message.
pub(crate) fn classify(msg: Term) -> GenMsg {
    match parse(&msg) {
        Some(WireMsg::Call {
            caller,
            tag,
            request,
        }) => GenMsg::Call(GenCall {
            from: ReplyTo::wire_term(caller, tag.clone()),
            request: request.clone(),
        }),
        Some(WireMsg::Cast(m)) => GenMsg::Cast(m.clone()),
        None => GenMsg::Info(msg),
    }
}

/// Replies to a call: `{Tag, Reply}` to the alias in the tag, else to the caller.
pub(crate) fn reply(call: &GenCall, reply: Term) {
    call.from.reply_term(reply);
}

#[cfg(test)]
mod tests {
    use super::*;
    use tether_term::Node;

    #[test]
    fn tags() {
        let r = Reference::new(Node::local(), 0, &[1, 2, 3]);
        let alias = alias_tag(r);
        assert_eq!(alias_of(&alias), Some(r));
        assert_eq!(
            alias_of(&Term::improper_list([alias.clone()], Term::atom("x"))),
            Some(r)
        );
        assert_eq!(
            alias_of(&Term::list([alias.clone(), Term::atom("x")])),
            Some(r)
        );
        assert_eq!(alias_of(&Term::Ref(r)), None);
        assert_eq!(
            alias_of(&Term::tuple([Term::Ref(r), Term::atom("n@h")])),
            None
        );
    }

    #[test]
    fn classify_calls_casts_and_the_rest() {
        let r = Reference::new(Node::local(), 0, &[1, 2, 3]);
        let p = Pid::new(Node::local(), 1, 0, 0);
        let call = call_term(p, alias_tag(r), Term::atom("req"));
        assert!(matches!(classify(call),
            GenMsg::Call(c) if c.from.caller() == p && c.request.is_atom("req")));
        let cast = cast_term(Term::atom("m"));
        assert!(matches!(classify(cast), GenMsg::Cast(m) if m.is_atom("m")));
        let info = Term::tuple([Term::atom("$gen_call"), Term::atom("bad"), Term::nil()]);
        assert!(matches!(classify(info.clone()), GenMsg::Info(t) if t == info));
    }

    #[test]
    fn error_replies() {
        assert_eq!(
            bad_request(Term::atom("garbage")).to_string(),
            "{error,{bad_request,garbage}}"
        );
        assert_eq!(bad_reply().to_string(), "{error,bad_reply}");
    }
}
