//! The `gen` call protocol, server side: parse `$gen_call` / `$gen_cast`, reply as
//! `gen:reply/2` does (DISTRIBUTION.md §6.2).
//!
//! A call is `{'$gen_call', {From, Tag}, Request}`. Tag is `[alias | Ref]` for OTP 24+
//! callers (Elixir included), a plain reference for older or hand-written ones,
//! `{Ref, Node}` for `multi_call`, or `[[alias | Ref] | _]`. The reply `{Tag, Reply}`
//! goes to the alias `Ref` when the tag carries one, otherwise to `From`.
//!
//! This is the small piece net_kernel, rex and the demo services need until the
//! GenServer behaviour takes it over.

use tether_term::{Pid, Reference, Term};

use crate::process::Dest;

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
    if let Term::Tuple(items) = &msg {
        match items.as_slice() {
            [tag, from, request] if tag.is_atom("$gen_call") => {
                if let Some([Term::Pid(pid), t]) = from.as_tuple() {
                    return GenMsg::Call(GenCall {
                        from: *pid,
                        tag: t.clone(),
                        request: request.clone(),
                    });
                }
            }
            [tag, m] if tag.is_atom("$gen_cast") => return GenMsg::Cast(m.clone()),
            _ => {}
        }
    }
    GenMsg::Info(msg)
}

/// The alias a reply must go to, if the tag names one.
pub(crate) fn alias_of(tag: &Term) -> Option<Reference> {
    let alias_pair = |t: &Term| match t {
        Term::ImproperList(head, tail) if head.len() == 1 && head[0].is_atom("alias") => {
            tail.as_ref().as_ref().copied()
        }
        _ => None,
    };
    if let Some(r) = alias_pair(tag) {
        return Some(r);
    }
    match tag {
        Term::ImproperList(head, _) | Term::List(head) => head.first().and_then(alias_pair),
        _ => None,
    }
}

/// Replies to a call: `{Tag, Reply}` to the alias in the tag, else to the caller.
pub(crate) fn reply(call: &GenCall, reply: Term) {
    let msg = Term::tuple([call.tag.clone(), reply]);
    let dest = match alias_of(&call.tag) {
        Some(a) => Dest::Alias(a),
        None => Dest::Pid(call.from),
    };
    let _ = crate::send(dest, msg);
}

#[cfg(test)]
mod tests {
    use super::*;
    use tether_term::Node;

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
    }
}
