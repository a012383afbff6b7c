//! The `gen` call protocol, client side at the term level: [`call`] sends
//! `{'$gen_call', {Self, [alias | Mref]}, Request}` to a server on any node (a
//! `gen_server`, a GenServer, `net_kernel`, `rex`, anything that speaks `$gen_call`)
//! and returns its reply term.
//!
//! It is a thin wrapper over the crate's one request primitive (`otp::request`, the
//! one [`gen_server::call`](crate::otp::gen_server::call) uses), so it behaves exactly
//! as `gen:call/4` does (docs/distribution.md §6.2): a server that does not exist
//! (unregistered name, dead pid) gives [`CallError::NoProc`]; a node that cannot be
//! reached or goes away gives [`CallError::NodeDown`]; on timeout the monitor and
//! alias are removed, so a late reply is dropped rather than left in the mailbox.
//! Unlike `gen_server::call`, the request is always sent as the `$gen_call` term, to
//! local servers too.

use std::time::Duration;

use tether_term::Term;

use crate::Dest;
use crate::Message;
use crate::otp::gen_call::{alias_tag, call_term};
use crate::otp::gen_server::Timeout;
use crate::otp::request::{Caller, request};

pub use crate::otp::gen_server::CallError;

/// Calls a `gen_server` (or GenServer, or anything that speaks `$gen_call`).
///
/// The server may be anywhere: `("kv", node)` reaches a server registered as `kv`
/// on another node, Tether or BEAM, exactly as `gen_server:call({kv, Node}, Req)`.
/// Here the server is a local GenServer that speaks terms:
///
/// ```
/// use std::time::Duration;
/// use tether::Term;
/// # use serde::{Deserialize, Serialize};
/// # use tether::otp::gen_server::{self, CallResult, GenServer, Init, ReplyTo, StartOpts};
/// # #[derive(Serialize, Deserialize)]
/// # #[serde(rename_all = "snake_case")]
/// # enum Req { Get(String) }
/// # struct Kv;
/// # impl GenServer for Kv {
/// #     type Args = (); type Call = Req; type Cast = (); type Reply = Option<String>; type Continue = ();
/// #     async fn init(_: ()) -> Init<Self> { Init::ok(Kv) }
/// #     async fn handle_call(&mut self, Req::Get(k): Req, _: &ReplyTo<Option<String>>) -> CallResult<Self> {
/// #         CallResult::reply((k == "k").then(|| "v".to_string()))
/// #     }
/// #     tether::serde_wire!();
/// # }
/// # tether::Runtime::new().unwrap().block_on(async {
/// # gen_server::start::<Kv>((), StartOpts::new().name("kv")).await.unwrap();
/// let request: Term = r#"{get, <<"k">>}"#.parse().unwrap();
/// let reply = tether::dist::call("kv", request, Duration::from_secs(5)).await.unwrap();
/// assert_eq!(reply, Term::from("v"));
/// # });
/// ```
///
/// # Panics
///
/// Outside a process.
pub async fn call(
    server: impl Into<Dest>,
    request_term: Term,
    timeout: Duration,
) -> Result<Term, CallError> {
    let build = move |caller: Caller| {
        let tag = alias_tag(caller.alias());
        Some(Message::new(call_term(caller.pid(), tag, request_term)))
    };
    request(&server.into(), Timeout::After(timeout), build, |t| {
        Some(t.clone())
    })
    .await
}
