//! [`Client`]: a typed client of a server on any node, with nothing to implement.
//!
//! Calling a server with Rust types takes two mappings: the request to a term and
//! the reply back. [`Server`](super::Server) finds them in the server's own
//! [`GenServer`](super::GenServer) impl (its `encode_call` and `decode_reply`),
//! which is right when the server is Rust code in this program. For a server
//! elsewhere (an Elixir GenServer, an Erlang `gen_server`, a Tether node built from
//! other code) there is no impl to borrow: a [`Client`] takes the request and reply
//! types themselves, and maps them with the serde bridge (`Add(2)` is `{add, 2}`,
//! `Get` is `get`).

use std::fmt;
use std::marker::PhantomData;
use std::time::Duration;

use serde::Serialize;
use serde::de::DeserializeOwned;

use super::{CallError, decode_term, encode_term};
use crate::Dest;
use crate::otp::gen_call::cast_term;

/// A typed client of the server at a [`Dest`]: requests of type `C`, replies of
/// type `R`, both serde types. `call` is `gen_server:call/3` (default timeout 5 s),
/// `cast` is `gen_server:cast/2`.
///
/// ```no_run
/// # async fn demo(elixir: tether::Node) -> Result<(), tether::gen_server::CallError> {
/// use serde::{Deserialize, Serialize};
/// use tether::gen_server::Client;
///
/// #[derive(Serialize)]
/// #[serde(rename_all = "snake_case")]
/// enum Req { Push(i64), Pop }
///
/// // Elixir: GenServer.start_link(Stack, [], name: :stack) on `elixir`.
/// let stack = Client::<Req, i64>::new(("stack", elixir));
/// stack.cast(&Req::Push(1));                  // {:push, 1}
/// assert_eq!(stack.call(&Req::Pop).await?, 1); // :pop
/// # Ok(()) }
/// ```
pub struct Client<C, R> {
    dest: Dest,
    timeout: Duration,
    types: PhantomData<fn(C) -> R>,
}

impl<C, R> Clone for Client<C, R> {
    fn clone(&self) -> Self {
        Client {
            dest: self.dest.clone(),
            timeout: self.timeout,
            types: PhantomData,
        }
    }
}

impl<C, R> fmt::Debug for Client<C, R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("dest", &self.dest.to_term())
            .field("timeout", &self.timeout)
            .finish()
    }
}

impl<C: Serialize, R: DeserializeOwned> Client<C, R> {
    /// A client of the server at `dest` (a pid, a name, `(name, node)`, ...).
    ///
    /// ```
    /// # use serde::{Deserialize, Serialize};
    /// # use tether::otp::gen_server::{self, CallResult, CastResult, Client, GenServer, Init, ReplyTo, StartOpts};
    /// #[derive(Serialize, Deserialize)]
    /// #[serde(rename_all = "snake_case")]
    /// enum Req { Push(i64), Pop }
    /// # struct Stack(Vec<i64>);
    /// # impl GenServer for Stack {
    /// #     type Args = (); type Call = Req; type Cast = Req; type Reply = Option<i64>; type Continue = ();
    /// #     async fn init(_: ()) -> Init<Self> { Init::ok(Stack(vec![])) }
    /// #     async fn handle_call(&mut self, r: Req, _: &ReplyTo<Option<i64>>) -> CallResult<Self> {
    /// #         match r { Req::Push(n) => { self.0.push(n); CallResult::reply(None) } Req::Pop => CallResult::reply(self.0.pop()) }
    /// #     }
    /// #     async fn handle_cast(&mut self, r: Req) -> CastResult<Self> { if let Req::Push(n) = r { self.0.push(n) } CastResult::noreply() }
    /// #     tether::serde_wire!();
    /// # }
    /// # tether::Runtime::new().unwrap().block_on(async {
    /// # gen_server::start::<Stack>((), StartOpts::new().name("stack")).await.unwrap();
    /// // A server that speaks terms: `{push, N}` and `pop` (here a local one;
    /// // `("stack", node)` reaches one on another node the same way).
    /// let stack = Client::<Req, Option<i64>>::new("stack");
    /// assert_eq!(stack.call(&Req::Push(1)).await.unwrap(), None);
    /// assert_eq!(stack.call(&Req::Pop).await.unwrap(), Some(1));
    /// # });
    /// ```
    pub fn new(dest: impl Into<Dest>) -> Self {
        Client {
            dest: dest.into(),
            timeout: Duration::from_secs(5),
            types: PhantomData,
        }
    }

    /// The same client with another call timeout.
    ///
    /// ```
    /// # use serde::{Deserialize, Serialize};
    /// # use tether::otp::gen_server::{self, CallResult, CastResult, Client, GenServer, Init, ReplyTo, StartOpts};
    /// #[derive(Serialize, Deserialize)]
    /// #[serde(rename_all = "snake_case")]
    /// enum Req { Push(i64), Pop }
    /// # struct Stack(Vec<i64>);
    /// # impl GenServer for Stack {
    /// #     type Args = (); type Call = Req; type Cast = Req; type Reply = Option<i64>; type Continue = ();
    /// #     async fn init(_: ()) -> Init<Self> { Init::ok(Stack(vec![])) }
    /// #     async fn handle_call(&mut self, r: Req, _: &ReplyTo<Option<i64>>) -> CallResult<Self> {
    /// #         match r { Req::Push(n) => { self.0.push(n); CallResult::reply(None) } Req::Pop => CallResult::reply(self.0.pop()) }
    /// #     }
    /// #     async fn handle_cast(&mut self, r: Req) -> CastResult<Self> { if let Req::Push(n) = r { self.0.push(n) } CastResult::noreply() }
    /// #     tether::serde_wire!();
    /// # }
    /// # tether::Runtime::new().unwrap().block_on(async {
    /// # gen_server::start::<Stack>((), StartOpts::new().name("stack")).await.unwrap();
    /// use std::time::Duration;
    /// let stack = Client::<Req, Option<i64>>::new("stack").timeout(Duration::from_millis(100));
    /// assert_eq!(stack.call(&Req::Pop).await.unwrap(), None);
    /// let nobody = Client::<Req, Option<i64>>::new("nobody").timeout(Duration::from_millis(100));
    /// assert!(nobody.call(&Req::Pop).await.unwrap_err().is_noproc());
    /// # });
    /// ```
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Calls the server and decodes its reply. Errors: those of any call, plus
    /// [`CallError::NotPortable`] if `request` has no term form and
    /// [`CallError::BadReply`] (holding the reply) if the reply is not an `R`.
    ///
    /// ```
    /// # use serde::{Deserialize, Serialize};
    /// # use tether::otp::gen_server::{self, CallResult, CastResult, Client, GenServer, Init, ReplyTo, StartOpts};
    /// #[derive(Serialize, Deserialize)]
    /// #[serde(rename_all = "snake_case")]
    /// enum Req { Push(i64), Pop }
    /// # struct Stack(Vec<i64>);
    /// # impl GenServer for Stack {
    /// #     type Args = (); type Call = Req; type Cast = Req; type Reply = Option<i64>; type Continue = ();
    /// #     async fn init(_: ()) -> Init<Self> { Init::ok(Stack(vec![])) }
    /// #     async fn handle_call(&mut self, r: Req, _: &ReplyTo<Option<i64>>) -> CallResult<Self> {
    /// #         match r { Req::Push(n) => { self.0.push(n); CallResult::reply(None) } Req::Pop => CallResult::reply(self.0.pop()) }
    /// #     }
    /// #     async fn handle_cast(&mut self, r: Req) -> CastResult<Self> { if let Req::Push(n) = r { self.0.push(n) } CastResult::noreply() }
    /// #     tether::serde_wire!();
    /// # }
    /// # tether::Runtime::new().unwrap().block_on(async {
    /// # gen_server::start::<Stack>((), StartOpts::new().name("stack")).await.unwrap();
    /// let stack = Client::<Req, Option<i64>>::new("stack");
    /// stack.call(&Req::Push(7)).await.unwrap();
    /// assert_eq!(stack.call(&Req::Pop).await.unwrap(), Some(7));
    /// // A reply of the wrong shape is an error, not a panic.
    /// stack.call(&Req::Push(5)).await.unwrap();
    /// let wrong = Client::<Req, String>::new("stack");
    /// assert!(matches!(wrong.call(&Req::Pop).await, Err(gen_server::CallError::BadReply(_))));
    /// # });
    /// ```
    pub async fn call(&self, request: &C) -> Result<R, CallError> {
        let term = encode_term(request).ok_or(CallError::NotPortable)?;
        let reply = crate::dist::call(self.dest.clone(), term, self.timeout).await?;
        decode_term(&reply).ok_or(CallError::BadReply(reply))
    }

    /// Casts to the server (fire and forget, as `gen_server:cast/2`): `false` only
    /// if `request` has no term form.
    ///
    /// ```
    /// # use serde::{Deserialize, Serialize};
    /// # use tether::otp::gen_server::{self, CallResult, CastResult, Client, GenServer, Init, ReplyTo, StartOpts};
    /// #[derive(Serialize, Deserialize)]
    /// #[serde(rename_all = "snake_case")]
    /// enum Req { Push(i64), Pop }
    /// # struct Stack(Vec<i64>);
    /// # impl GenServer for Stack {
    /// #     type Args = (); type Call = Req; type Cast = Req; type Reply = Option<i64>; type Continue = ();
    /// #     async fn init(_: ()) -> Init<Self> { Init::ok(Stack(vec![])) }
    /// #     async fn handle_call(&mut self, r: Req, _: &ReplyTo<Option<i64>>) -> CallResult<Self> {
    /// #         match r { Req::Push(n) => { self.0.push(n); CallResult::reply(None) } Req::Pop => CallResult::reply(self.0.pop()) }
    /// #     }
    /// #     async fn handle_cast(&mut self, r: Req) -> CastResult<Self> { if let Req::Push(n) = r { self.0.push(n) } CastResult::noreply() }
    /// #     tether::serde_wire!();
    /// # }
    /// # tether::Runtime::new().unwrap().block_on(async {
    /// # gen_server::start::<Stack>((), StartOpts::new().name("stack")).await.unwrap();
    /// let stack = Client::<Req, Option<i64>>::new("stack");
    /// assert!(stack.cast(&Req::Push(3)));
    /// assert_eq!(stack.call(&Req::Pop).await.unwrap(), Some(3));
    /// # });
    /// ```
    pub fn cast(&self, request: &C) -> bool {
        let Some(term) = encode_term(request) else {
            return false;
        };
        let _ = crate::send(self.dest.clone(), cast_term(term));
        true
    }
}

#[cfg(test)]
mod tests {
    use serde::{Deserialize, Serialize};

    use super::Client;
    use crate::gen_server::{self, CallError, CallResult, CastResult, GenServer, Init, ReplyTo};

    struct Counter(i64);

    #[derive(Serialize, Deserialize)]
    #[serde(rename_all = "snake_case")]
    enum Req {
        Add(i64),
        Get,
    }

    impl GenServer for Counter {
        type Args = ();
        type Call = Req;
        type Cast = Req;
        type Reply = i64;
        type Continue = ();
        async fn init((): ()) -> Init<Self> {
            Init::ok(Counter(0))
        }
        async fn handle_call(&mut self, req: Req, _: &ReplyTo<i64>) -> CallResult<Self> {
            if let Req::Add(n) = req {
                self.0 += n;
            }
            CallResult::reply(self.0)
        }
        async fn handle_cast(&mut self, req: Req) -> CastResult<Self> {
            if let Req::Add(n) = req {
                self.0 += n;
            }
            CastResult::noreply()
        }
        crate::serde_wire!();
    }

    #[test]
    fn calls_and_casts_through_terms_with_no_impl_on_the_client_side() {
        crate::Runtime::new().unwrap().block_on(async {
            let server = gen_server::start::<Counter>((), Default::default())
                .await
                .unwrap();
            let client = Client::<Req, i64>::new(server.pid());
            assert_eq!(client.call(&Req::Add(2)).await, Ok(2));
            assert!(client.cast(&Req::Add(3)));
            assert_eq!(client.call(&Req::Get).await, Ok(5));
            // A reply of another type is handed back, not lost.
            let wrong = Client::<Req, String>::new(server.pid());
            assert_eq!(
                wrong.call(&Req::Get).await,
                Err(CallError::BadReply(crate::Term::from(5)))
            );
        });
    }
}
