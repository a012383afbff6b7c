//! `kv`: a key-value [`GenServer`] that Erlang and Elixir nodes call with
//! `gen_server:call({kv, Node}, {get, K})` — an example of a remotely callable server.
//!
//! Locally the server works with Rust types ([`KvCall`], [`KvCast`], [`KvReply`]), and
//! local Rust callers use them directly (`Server::<Kv>::whereis("kv")`, then
//! `call(KvCall::Get(k))`); the wire hooks [`GenServer::decode_call`],
//! [`GenServer::decode_cast`] and [`GenServer::encode_reply`] translate them from and
//! to the terms that other nodes send:
//!
//! | Request term | Rust value | Reply term |
//! |---|---|---|
//! | call `{put, K, V}` | [`KvCall::Put`] | `ok` |
//! | call `{get, K}` | [`KvCall::Get`] | `{ok, V}` or `error` |
//! | call `{delete, K}` | [`KvCall::Delete`] | `ok` |
//! | any other call | — | `{error, {bad_request, Request}}` |
//! | cast `{put, K, V}` | [`KvCast::Put`] | — |
//! | any other cast | — | — (logged) |
//!
//! A request that does not decode never reaches `kv`'s callbacks: the GenServer loop
//! answers it `{error, {bad_request, Request}}` and logs it, as it does for every
//! server (see [Terms from other nodes](tether::gen_server#terms-from-other-nodes)).
//!
//! Requests are decoded with tether-term's serde bridge, which maps the variant
//! `Put(K, V)` to the tagged tuple `{put, K, V}` ([`from_term_ref`]). Keys are any
//! terms, matched exactly as the keys of an Erlang map (`=:=`, [`OrdTerm`]: `1.0` is
//! not `1`).
//!
//! [`init`](GenServer::init) registers the server globally as `{kv, NodeName}` and
//! joins the group `kv` of the `pg` scope `pg`. It uses `re_register_name`, so a
//! restarted kv takes the global name over even before `global` has processed the
//! old owner's DOWN.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde::de::DeserializeOwned;
use tether::gen_server::{CallResult, CastResult, GenServer, Init, ReplyTo};
use tether::kernel::{global, pg};
use tether::{OrdTerm, Term, from_term_ref};

/// The global name of a node's `kv` server: `{kv, NodeName}`.
pub fn global_name(node: tether::Node) -> Term {
    Term::tuple([Term::atom("kv"), Term::Atom(node.name())])
}

/// The calls `kv` serves (`{put, K, V}`, `{get, K}`, `{delete, K}` on the wire).
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum KvCall {
    /// Stores `V` under `K`.
    Put(Term, Term),
    /// Looks `K` up.
    Get(Term),
    /// Removes `K`.
    Delete(Term),
}

/// The casts `kv` serves (`{put, K, V}` on the wire).
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum KvCast {
    /// Stores `V` under `K`.
    Put(Term, Term),
}

/// The replies of `kv`.
#[derive(Clone, Debug, PartialEq)]
pub enum KvReply {
    /// `ok`: a put or delete was done.
    Ok,
    /// `{ok, V}`: the value found by a get.
    Found(Term),
    /// `error`: a get found nothing.
    NotFound,
}

/// How many entries of the store [`Kv::format_status`](GenServer::format_status) shows.
const SHOWN: usize = 100;

/// The `kv` server; its state is the store.
#[derive(Debug, Default)]
pub struct Kv {
    store: BTreeMap<OrdTerm, Term>,
}

impl Kv {
    fn put(&mut self, k: Term, v: Term) {
        self.store.insert(OrdTerm(k), v);
    }
}

impl GenServer for Kv {
    type Args = ();
    type Call = KvCall;
    type Cast = KvCast;
    type Reply = KvReply;
    type Continue = ();

    async fn init((): ()) -> Init<Self> {
        let me = tether::self_pid();
        global::re_register_name(global_name(tether::Node::local()), me).await;
        let _ = pg::join(pg::DEFAULT_SCOPE, Term::atom("kv"), &[me]).await;
        Init::ok(Kv::default())
    }

    async fn handle_call(&mut self, req: KvCall, _from: &ReplyTo<KvReply>) -> CallResult<Self> {
        CallResult::reply(match req {
            KvCall::Put(k, v) => {
                self.put(k, v);
                KvReply::Ok
            }
            KvCall::Get(k) => match self.store.get(&OrdTerm(k)) {
                Some(v) => KvReply::Found(v.clone()),
                None => KvReply::NotFound,
            },
            KvCall::Delete(k) => {
                self.store.remove(&OrdTerm(k));
                KvReply::Ok
            }
        })
    }

    async fn handle_cast(&mut self, req: KvCast) -> CastResult<Self> {
        match req {
            KvCast::Put(k, v) => self.put(k, v),
        }
        CastResult::noreply()
    }

    /// The store as an Erlang map, `#{K => V, ...}` (what `sys::get_state` and the
    /// observer's process page show), the first `SHOWN` entries of it.
    fn format_status(&self) -> String {
        let mut pairs: Vec<String> = (self.store.iter().take(SHOWN))
            .map(|(k, v)| format!("{} => {v}", k.0))
            .collect();
        if self.store.len() > SHOWN {
            pairs.push(format!("... ({} more)", self.store.len() - SHOWN));
        }
        format!("#{{{}}}", pairs.join(", "))
    }

    fn decode_call(request: &Term) -> Option<KvCall> {
        decode(request)
    }

    fn decode_cast(request: &Term) -> Option<KvCast> {
        decode(request)
    }

    fn encode_reply(reply: &KvReply) -> Option<Term> {
        let (ok, error) = (Term::atom("ok"), Term::atom("error"));
        Some(match reply {
            KvReply::Ok => ok,
            KvReply::Found(v) => Term::tuple([ok, v.clone()]),
            KvReply::NotFound => error,
        })
    }
}

/// Decodes a request with serde, exactly as strictly as an Erlang clause `{put, K, V}`
/// matches: the tag must be the atom `put` (`rename_all` stops serde from also
/// taking `'Put'`, and the check here from taking `<<"put">>`).
fn decode<T: DeserializeOwned>(request: &Term) -> Option<T> {
    match request.as_tuple()?.first()? {
        Term::Atom(_) => from_term_ref(request).ok(),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> Term {
        s.parse().unwrap()
    }

    #[test]
    fn requests_decode_from_tagged_tuples() {
        let call = |s| Kv::decode_call(&t(s));
        assert_eq!(call("{put, k, [1]}"), Some(KvCall::Put(t("k"), t("[1]"))));
        assert_eq!(call("{get, {a, 1}}"), Some(KvCall::Get(t("{a, 1}"))));
        assert_eq!(call("{delete, k}"), Some(KvCall::Delete(t("k"))));
        for bad in [
            "{put, k}",
            "{get, k, v}",
            "{bogus, k}",
            "{'Get', k}",
            "{<<\"get\">>, k}",
            "get",
            "[get, k]",
            "42",
        ] {
            assert_eq!(call(bad), None, "{bad}");
        }
        assert_eq!(
            Kv::decode_cast(&t("{put, k, v}")),
            Some(KvCast::Put(t("k"), t("v")))
        );
        assert_eq!(Kv::decode_cast(&t("{get, k}")), None);
    }

    #[test]
    fn replies_encode_as_before() {
        let enc = |r| Kv::encode_reply(&r).unwrap().to_string();
        assert_eq!(enc(KvReply::Ok), "ok");
        assert_eq!(enc(KvReply::Found(t("<<\"v\">>"))), r#"{ok,<<"v">>}"#);
        assert_eq!(enc(KvReply::NotFound), "error");
    }
}
