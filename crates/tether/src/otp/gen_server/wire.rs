//! The Erlang wire forms of calls and casts a server accepts (docs/semantics.md §4.3 C2,
//! docs/distribution.md §6.2):
//!
//! | Message term | Meaning |
//! |---|---|
//! | `{'$gen_call', {Pid, Tag}, Request}` | a call; reply `{Tag, Reply}` |
//! | `{'$gen_cast', Request}` | a cast |
//!
//! `Tag` is opaque to the server; [`super::from`] knows how to answer it. The `dist`
//! services that handle raw terms (net_kernel, rex, global) parse and reply through
//! this module and `from` too (`dist::gen_call`).

use tether_term::{Pid, Term};

/// A recognised wire message, borrowing from the term.
pub(crate) enum WireMsg<'a> {
    Call {
        caller: Pid,
        tag: &'a Term,
        request: &'a Term,
    },
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
