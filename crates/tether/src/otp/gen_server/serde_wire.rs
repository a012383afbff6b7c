//! The wire hooks of a GenServer through serde: [`serde_wire!`](crate::serde_wire),
//! [`decode_term`] and [`encode_term`].
//!
//! A server whose requests and replies are `Serialize + DeserializeOwned` needs no
//! hand-written conversion to serve other nodes: tether-term's serde bridge already
//! writes Rust values the way Erlang and Elixir code writes terms (`Add(2)` is
//! `{add, 2}`, `Get` is `get`, a struct is a map; the table is in tether-term's crate
//! docs). The hooks cannot default to serde by themselves — Rust has no
//! specialization, and a server's types need not be serde types at all (an
//! [`Agent`](crate::otp::agent)'s calls are closures) — so a server opts in with one
//! line in its `impl GenServer` block, `tether::serde_wire!();`, which writes the six
//! hooks as calls to [`decode_term`] and [`encode_term`].

use serde::Serialize;
use serde::de::DeserializeOwned;
use tether_term::Term;

/// Decodes a request or reply term with tether-term's serde bridge (`None` if it
/// does not fit `T`): what [`serde_wire!`](crate::serde_wire) uses for
/// [`GenServer::decode_call`](super::GenServer::decode_call),
/// [`decode_cast`](super::GenServer::decode_cast) and
/// [`decode_reply`](super::GenServer::decode_reply).
///
/// ```
/// use serde::Deserialize;
/// use tether::Term;
/// use tether::otp::gen_server::decode_term;
///
/// #[derive(Deserialize, Debug, PartialEq)]
/// enum Call { Get, Add(i64) }
///
/// assert_eq!(decode_term::<Call>(&"{add, 2}".parse().unwrap()), Some(Call::Add(2)));
/// assert_eq!(decode_term::<Call>(&Term::atom("get")), Some(Call::Get));
/// assert_eq!(decode_term::<Call>(&Term::atom("garbage")), None);
/// ```
pub fn decode_term<T: DeserializeOwned>(term: &Term) -> Option<T> {
    tether_term::from_term_ref(term).ok()
}

/// Encodes a request or reply with tether-term's serde bridge (`None` if serde
/// fails): what [`serde_wire!`](crate::serde_wire) uses for
/// [`GenServer::encode_reply`](super::GenServer::encode_reply),
/// [`encode_call`](super::GenServer::encode_call) and
/// [`encode_cast`](super::GenServer::encode_cast).
///
/// ```
/// use serde::Serialize;
/// use tether::Term;
/// use tether::otp::gen_server::encode_term;
///
/// #[derive(Serialize)]
/// enum Call { Get, Add(i64) }
///
/// assert_eq!(encode_term(&Call::Add(2)), Some("{add, 2}".parse().unwrap()));
/// assert_eq!(encode_term(&Call::Get), Some(Term::atom("get")));
/// ```
pub fn encode_term<T: Serialize + ?Sized>(value: &T) -> Option<Term> {
    tether_term::to_term(value).ok()
}

/// Writes a GenServer's wire hooks with serde, inside its `impl GenServer` block.
///
/// - `serde_wire!()`: all six hooks; needs `Call`, `Cast` and `Reply` to be
///   `Serialize + DeserializeOwned`.
/// - `serde_wire!(server)`: the server side only — `decode_call`, `decode_cast`
///   (`Call`, `Cast`: `DeserializeOwned`) and `encode_reply` (`Reply`: `Serialize`) —
///   enough to serve Erlang and Elixir callers.
/// - `serde_wire!(client)`: the client side only — `encode_call`, `encode_cast` and
///   `decode_reply` — for Tether callers of such a server on another node.
///
/// A request that does not decode is answered `{error, {bad_request, Request}}` and
/// logged, like any request a server cannot decode (see
/// [the module docs](crate::otp::gen_server#terms-from-other-nodes)).
///
/// ```
/// use serde::{Deserialize, Serialize};
/// use tether::Term;
/// use tether::otp::gen_server::{CallResult, CastResult, GenServer, Init, ReplyTo};
///
/// #[derive(Serialize, Deserialize)]
/// enum Call { Get, Add(i64) }          // `get`, `{add, N}`
/// #[derive(Serialize, Deserialize)]
/// enum Cast { Reset }                   // `reset`
///
/// struct Counter(i64);
///
/// impl GenServer for Counter {
///     type Args = ();
///     type Call = Call;
///     type Cast = Cast;
///     type Reply = i64;
///     type Continue = ();
///     async fn init((): ()) -> Init<Self> { Init::ok(Counter(0)) }
///     async fn handle_call(&mut self, req: Call, _: &ReplyTo<i64>) -> CallResult<Self> {
///         if let Call::Add(n) = req { self.0 += n }
///         CallResult::reply(self.0)
///     }
///     async fn handle_cast(&mut self, Cast::Reset: Cast) -> CastResult<Self> {
///         self.0 = 0;
///         CastResult::noreply()
///     }
///     tether::serde_wire!();
/// }
///
/// // What `GenServer.call({:counter, node}, {:add, 2})` arrives as, and its answer:
/// assert!(matches!(Counter::decode_call(&"{add, 2}".parse().unwrap()), Some(Call::Add(2))));
/// assert!(Counter::decode_call(&Term::atom("garbage")).is_none());
/// assert_eq!(Counter::encode_reply(&2), Some(Term::Int(2)));
/// ```
#[macro_export]
macro_rules! serde_wire {
    () => {
        $crate::serde_wire!(server);
        $crate::serde_wire!(client);
    };
    (server) => {
        fn decode_call(
            request: &$crate::Term,
        ) -> ::core::option::Option<<Self as $crate::otp::gen_server::GenServer>::Call> {
            $crate::otp::gen_server::decode_term(request)
        }
        fn decode_cast(
            request: &$crate::Term,
        ) -> ::core::option::Option<<Self as $crate::otp::gen_server::GenServer>::Cast> {
            $crate::otp::gen_server::decode_term(request)
        }
        fn encode_reply(
            reply: &<Self as $crate::otp::gen_server::GenServer>::Reply,
        ) -> ::core::option::Option<$crate::Term> {
            $crate::otp::gen_server::encode_term(reply)
        }
    };
    (client) => {
        fn encode_call(
            request: &<Self as $crate::otp::gen_server::GenServer>::Call,
        ) -> ::core::option::Option<$crate::Term> {
            $crate::otp::gen_server::encode_term(request)
        }
        fn encode_cast(
            request: &<Self as $crate::otp::gen_server::GenServer>::Cast,
        ) -> ::core::option::Option<$crate::Term> {
            $crate::otp::gen_server::encode_term(request)
        }
        fn decode_reply(
            reply: &$crate::Term,
        ) -> ::core::option::Option<<Self as $crate::otp::gen_server::GenServer>::Reply> {
            $crate::otp::gen_server::decode_term(reply)
        }
    };
}
