//! A key-value store as a GenServer.
//!
//! Run it with `cargo run -p tether --example kv`.
//!
//! The server keeps a `HashMap` as its state. `Get` and `Put` are calls (the client
//! waits for the answer); `Delete` is a cast (fire and forget). A `WaitFor(key)` call
//! shows a *deferred reply*: the server keeps the caller's `ReplyTo` and answers when
//! somebody puts that key. Several client processes use the server at once by its
//! registered name, `kv`. A supervised version comes with the supervisor.

use std::collections::HashMap;
use std::time::Duration;

use tether::otp::gen_server::{
    self, CallResult, CastResult, GenServer, Init, ReplyTo, StartOpts, Timeout, sys,
};
use tether::{ExitReason, Runtime};

/// The server's state.
#[derive(Debug, Default)]
struct Kv {
    data: HashMap<String, String>,
    waiting: HashMap<String, Vec<ReplyTo<Reply>>>,
}

enum Call {
    Get(String),
    Put(String, String),
    WaitFor(String),
}

enum Cast {
    Delete(String),
}

#[derive(Debug, PartialEq)]
enum Reply {
    Value(Option<String>),
    Ok,
}

impl GenServer for Kv {
    type Args = Vec<(String, String)>;
    type Call = Call;
    type Cast = Cast;
    type Reply = Reply;
    type Continue = ();

    async fn init(initial: Self::Args) -> Init<Self> {
        Init::ok(Kv {
            data: initial.into_iter().collect(),
            ..Kv::default()
        })
    }

    async fn handle_call(&mut self, request: Call, from: &ReplyTo<Reply>) -> CallResult<Self> {
        match request {
            Call::Get(k) => CallResult::reply(Reply::Value(self.data.get(&k).cloned())),
            Call::Put(k, v) => {
                for waiter in self.waiting.remove(&k).unwrap_or_default() {
                    waiter.reply(Reply::Value(Some(v.clone())));
                }
                self.data.insert(k, v);
                CallResult::reply(Reply::Ok)
            }
            Call::WaitFor(k) => match self.data.get(&k) {
                Some(v) => CallResult::reply(Reply::Value(Some(v.clone()))),
                None => {
                    self.waiting.entry(k).or_default().push(from.clone());
                    CallResult::noreply()
                }
            },
        }
    }

    async fn handle_cast(&mut self, request: Cast) -> CastResult<Self> {
        match request {
            Cast::Delete(k) => {
                self.data.remove(&k);
            }
        }
        CastResult::noreply()
    }

    async fn terminate(&mut self, reason: &ExitReason) {
        println!("kv: terminating ({reason}) with {} keys", self.data.len());
    }

    fn format_status(&self) -> String {
        let mut keys: Vec<_> = self.data.keys().collect();
        keys.sort();
        format!("Kv {{ keys: {keys:?} }}")
    }
}

/// Client API: plain functions that hide the protocol, as Elixir modules do.
mod client {
    use super::*;

    pub async fn get(k: &str) -> Option<String> {
        match gen_server::call::<Kv>("kv", Call::Get(k.into()), Timeout::DEFAULT).await {
            Ok(Reply::Value(v)) => v,
            other => panic!("kv get failed: {other:?}"),
        }
    }

    pub async fn put(k: &str, v: &str) {
        let r = gen_server::call::<Kv>("kv", Call::Put(k.into(), v.into()), Timeout::DEFAULT).await;
        assert_eq!(r, Ok(Reply::Ok));
    }

    pub async fn wait_for(k: &str) -> String {
        match gen_server::call::<Kv>("kv", Call::WaitFor(k.into()), Duration::from_secs(10)).await {
            Ok(Reply::Value(Some(v))) => v,
            other => panic!("kv wait_for failed: {other:?}"),
        }
    }

    pub fn delete(k: &str) {
        gen_server::cast::<Kv>("kv", Cast::Delete(k.into()));
    }
}

fn main() {
    Runtime::new().expect("runtime").block_on(async {
        let initial = vec![("language".to_string(), "rust".to_string())];
        let kv = gen_server::start_link::<Kv>(initial, StartOpts::new().name("kv"))
            .await
            .expect("kv started");
        println!("kv started as {:?}", kv.pid());

        // A client that waits for a key nobody has written yet.
        let me = tether::self_pid();
        tether::spawn(async move {
            let v = client::wait_for("greeting").await;
            tether::send(me, format!("waiter got greeting = {v}")).unwrap();
        });

        println!("language = {:?}", client::get("language").await);
        // Ten writers at once; the server handles one request at a time.
        let writers: Vec<_> = (0..10)
            .map(|i| {
                tether::otp::task::Task::spawn_async(async move {
                    client::put(&format!("key{i}"), &format!("value{i}")).await;
                })
            })
            .collect();
        tether::otp::task::Task::await_many(writers, Timeout::DEFAULT)
            .await
            .expect("writers");
        client::put("greeting", "hello").await;
        println!("{}", tether::receive::<String>().await);

        client::delete("language");
        println!(
            "language after delete = {:?}",
            client::get("language").await
        );
        println!("state: {}", sys::get_state("kv").await.expect("get_state"));

        // A call to a server that is not there fails cleanly.
        let r = gen_server::call::<Kv>("no_such_kv", Call::Get("x".into()), Timeout::DEFAULT).await;
        println!("call to a missing server: {r:?}");

        kv.stop(ExitReason::Normal).await.expect("stopped");
        println!("kv stopped; whereis(kv) = {:?}", tether::whereis("kv"));
    });
}
