//! One-line child specs for the behaviours, as `use GenServer` gives a module its
//! `child_spec/1` in Elixir.
//!
//! Each starts its child linked to the supervisor and maps the start's result the
//! way OTP's supervisor reads `start_link`'s: a pid is a running child, `ignore` is
//! no child (the spec is kept, as with `:ignore`), and any other error fails the
//! start with its exit reason. The id defaults to what Elixir would use (the
//! behaviour's type name); [`ChildSpec::id`] changes it.

use std::sync::Arc;

use super::{ChildSpec, ChildType, Shutdown, StartResult};
use crate::ExitReason;
use crate::otp::agent::Agent;
use crate::otp::dynamic_supervisor::DynamicSupervisor;
use crate::otp::gen_server::{self, GenServer, ServerStartError, StartOpts};

fn started(r: Result<tether_term::Pid, ServerStartError>) -> StartResult {
    match r {
        Ok(pid) => Ok(Some(pid)),
        Err(ServerStartError::Ignore) => Ok(None),
        Err(e) => Err(ExitReason::from(e)),
    }
}

/// The last segment of a type's path: `Counter` for `my_app::Counter`.
fn short_type_name<T>() -> String {
    let full = std::any::type_name::<T>();
    let base = full.split('<').next().unwrap_or(full);
    base.rsplit("::").next().unwrap_or(base).to_string()
}

impl ChildSpec {
    /// A permanent worker that runs the GenServer `S`, started with
    /// [`gen_server::start_link`] from `args` and `opts` on every (re)start; its id
    /// is `S`'s type name. `Init::Ignore` means no child, as `:ignore` does.
    ///
    /// ```
    /// use tether::gen_server::{CallResult, GenServer, Init, ReplyTo, StartOpts};
    /// use tether::otp::supervisor::{ChildSpec, Strategy, Supervisor};
    ///
    /// struct Counter(i64);
    /// impl GenServer for Counter {
    ///     type Args = i64;
    ///     type Call = ();
    ///     type Cast = ();
    ///     type Reply = i64;
    ///     type Continue = ();
    ///     async fn init(start: i64) -> Init<Self> {
    ///         Init::ok(Counter(start))
    ///     }
    ///     async fn handle_call(&mut self, (): (), _: &ReplyTo<i64>) -> CallResult<Self> {
    ///         self.0 += 1;
    ///         CallResult::reply(self.0)
    ///     }
    /// }
    ///
    /// tether::Runtime::new().unwrap().block_on(async {
    ///     Supervisor::new(Strategy::OneForOne)
    ///         .child(ChildSpec::gen_server::<Counter>(41, StartOpts::new().name("counter")))
    ///         .start_link()
    ///         .await
    ///         .unwrap();
    ///     let counter = tether::gen_server::Server::<Counter>::whereis("counter").unwrap();
    ///     assert_eq!(counter.call(()).await, Ok(42));
    /// });
    /// ```
    pub fn gen_server<S: GenServer>(args: S::Args, opts: StartOpts) -> ChildSpec
    where
        S::Args: Clone + Sync,
    {
        ChildSpec::new(short_type_name::<S>(), move || {
            let (args, opts) = (args.clone(), opts.clone());
            async move {
                started(
                    gen_server::start_link::<S>(args, opts)
                        .await
                        .map(|s| s.pid()),
                )
            }
        })
    }

    /// A permanent worker that runs an [`Agent`] whose state `start` makes on every
    /// (re)start (Elixir's `{Agent, fn -> ... end}`); its id is `Agent`.
    ///
    /// ```
    /// use tether::gen_server::StartOpts;
    /// use tether::otp::agent::Agent;
    /// use tether::otp::supervisor::{ChildSpec, Strategy, Supervisor};
    ///
    /// tether::Runtime::new().unwrap().block_on(async {
    ///     Supervisor::new(Strategy::OneForOne)
    ///         .child(ChildSpec::agent(|| vec![1, 2], StartOpts::new().name("list")))
    ///         .start_link()
    ///         .await
    ///         .unwrap();
    ///     let list = Agent::<Vec<i32>>::from_pid(tether::whereis("list").unwrap());
    ///     assert_eq!(list.get(|l| l.len()).await, Ok(2));
    /// });
    /// ```
    pub fn agent<S, F>(start: F, opts: StartOpts) -> ChildSpec
    where
        S: Send + 'static,
        F: Fn() -> S + Send + Sync + 'static,
    {
        let start = Arc::new(start);
        ChildSpec::new("Agent", move || {
            let (start, opts) = (start.clone(), opts.clone());
            async move {
                let agent = Agent::start_link(move || start(), opts).await;
                started(agent.map(|a| a.pid()))
            }
        })
    }

    /// A child that is a [`DynamicSupervisor`] (type `Supervisor`, shutdown
    /// `Infinity`); its id is `DynamicSupervisor`. A task supervisor is one too
    /// (Elixir's `{Task.Supervisor, name: ...}`):
    ///
    /// ```
    /// use tether::DynamicSupervisor;
    /// use tether::otp::supervisor::{ChildSpec, Strategy, Supervisor};
    ///
    /// tether::Runtime::new().unwrap().block_on(async {
    ///     Supervisor::new(Strategy::OneForOne)
    ///         .child(ChildSpec::dynamic_supervisor(DynamicSupervisor::new().name("tasks")))
    ///         .start_link()
    ///         .await
    ///         .unwrap();
    ///     let task = tether::otp::task_supervisor::start_child("tasks", || async {}).await;
    ///     assert!(task.is_ok());
    /// });
    /// ```
    pub fn dynamic_supervisor(sup: DynamicSupervisor) -> ChildSpec {
        ChildSpec::new("DynamicSupervisor", move || {
            let sup = sup.clone();
            async move { sup.start_link().await.map(Some).map_err(ExitReason::from) }
        })
        .child_type(ChildType::Supervisor)
        .shutdown(Shutdown::Infinity)
    }

    /// Sets the child's id (two children of one supervisor need two ids).
    ///
    /// ```
    /// use tether::otp::supervisor::ChildSpec;
    /// let spec = ChildSpec::process("a", std::future::pending).id("b");
    /// assert_eq!(spec.id, "b");
    /// ```
    pub fn id(mut self, id: impl Into<String>) -> ChildSpec {
        self.id = id.into();
        self
    }
}

#[cfg(test)]
mod tests {
    use crate::gen_server::{GenServer, Init, StartOpts};
    use crate::otp::supervisor::{self, ChildPid, ChildSpec, Strategy, Supervisor};

    /// A server whose `init` answers `ignore` (OTP's `:ignore`).
    struct Shy;
    impl GenServer for Shy {
        type Args = ();
        type Call = ();
        type Cast = ();
        type Reply = ();
        type Continue = ();
        async fn init((): ()) -> Init<Self> {
            Init::Ignore
        }
    }

    #[test]
    fn an_ignoring_gen_server_is_no_child_not_an_error() {
        crate::Runtime::new().unwrap().block_on(async {
            let sup = Supervisor::new(Strategy::OneForOne)
                .child(ChildSpec::gen_server::<Shy>((), StartOpts::new()))
                .start_link()
                .await
                .expect("ignore does not fail the supervisor");
            let children = supervisor::which_children(sup).await.unwrap();
            assert_eq!(children.len(), 1);
            assert_eq!(children[0].id.as_deref(), Some("Shy"));
            assert_eq!(children[0].pid, ChildPid::Undefined);
        });
    }

    #[test]
    fn type_names_are_short() {
        struct Counter;
        assert_eq!(super::short_type_name::<Counter>(), "Counter");
        assert_eq!(super::short_type_name::<Vec<u8>>(), "Vec");
    }
}
