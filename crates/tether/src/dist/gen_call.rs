//! The `gen` call protocol, server side, for the `dist` services that handle raw
//! terms (net_kernel, rex, global, the demo services): classify a message as
//! `$gen_call` / `$gen_cast` / other, and reply as `gen:reply/2` does
//! (docs/distribution.md §6.2).
//!
//! A thin owned-term view over the GenServer behaviour's own wire code — parsing is
//! `gen_server::wire::parse`, replying is `gen_server::from::reply_term` — so there
//! is one implementation of the server side of `$gen_call`. A call is
//! `{'$gen_call', {From, Tag}, Request}`. Tag is `[alias | Ref]` for OTP 24+ callers
//! (Elixir included), a plain reference for older or hand-written ones, `{Ref, Node}`
//! for `multi_call`, or `[[alias | Ref] | _]`. The reply `{Tag, Reply}` goes to the
//! alias `Ref` when the tag carries one, otherwise to `From`.

use tether_term::{Pid, Term};

use crate::otp::gen_server::from::reply_term;
use crate::otp::gen_server::wire::{self, WireMsg};

/// A `$gen_call` request.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct GenCall {
    /// The caller.
    pub from: Pid,
    /// The caller's tag, echoed in the reply.
    pub tag: Term,
    /// The request.
    pub request: Term,
}

/// What a server mailbox message is, in `gen` terms.
#[derive(Debug, Clone, PartialEq)]
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
    match wire::parse(&msg) {
        Some(WireMsg::Call {
            caller,
            tag,
            request,
        }) => GenMsg::Call(GenCall {
            from: caller,
            tag: tag.clone(),
            request: request.clone(),
        }),
        Some(WireMsg::Cast(m)) => GenMsg::Cast(m.clone()),
        None => GenMsg::Info(msg),
    }
}

/// Replies to a call: `{Tag, Reply}` to the alias in the tag, else to the caller.
pub(crate) fn reply(call: &GenCall, reply: Term) {
    reply_term(call.from, &call.tag, reply);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::otp::request::alias_of;
    use tether_term::{Node, Reference};

    #[test]
    fn tags() {
        let r = Reference::new(Node::local(), 0, &[1, 2, 3]);
        let alias = Term::improper_list([Term::atom("alias")], Term::Ref(r));
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
        let p = Pid::new(Node::local(), 1, 0, 0);
        let call = Term::tuple([
            Term::atom("$gen_call"),
            Term::tuple([Term::Pid(p), alias.clone()]),
            Term::atom("req"),
        ]);
        assert!(matches!(classify(call), GenMsg::Call(c) if c.from == p && c.tag == alias));
        let cast = Term::tuple([Term::atom("$gen_cast"), Term::atom("m")]);
        assert_eq!(classify(cast), GenMsg::Cast(Term::atom("m")));
        let info = Term::tuple([Term::atom("$gen_call"), Term::atom("bad"), Term::nil()]);
        assert_eq!(classify(info.clone()), GenMsg::Info(info));
    }
}
