//! Behaviour tests for GenServer: docs/semantics.md §4.
//!
//! Ported from the cases listed in docs/semantics.md §4.13, which come from OTP's
//! `lib/stdlib/test/gen_server_SUITE.erl` and Elixir's
//! `lib/elixir/test/elixir/gen_server_test.exs`. Each test names its source case.
//! Not ported: `send_request*` and `multicall*` (not implemented yet), `bad_return_value`
//! cases (a Rust callback cannot return a value of the wrong type), crash-report
//! contents (`crash` checks reasons and `terminate`, not log text).

mod common;

use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};
use std::time::Duration;

use common::{assert_no_message, eventually, eventually_every, flush, run};
use tether::otp::gen_server::{
    self, CallError, CallResult, CastResult, GenServer, Init, ReplyTo, Server, ServerStartError,
    StartOpts, Timeout, TimeoutMsg, sys,
};
use tether::{
    Dest, Down, Exit, ExitReason, Message, Node, Pid, Term, Via, receive, receive_timeout,
};

// ---------------------------------------------------------------------------------
// The test server (gen_server_SUITE's callback module, in Rust).

/// What `init` does.
#[derive(Clone, Debug)]
enum Mode {
    Ok,
    Ignore,
    Error(ExitReason),
    Stop(ExitReason),
    Panic,
    Exit(ExitReason),
    Sleep(u64),
    Continue,
    Hibernate,
    Trap,
}

/// What the server reports to the test process.
#[derive(Clone, Debug, PartialEq)]
enum Event {
    Init,
    Terminate(ExitReason),
    Continue(&'static str),
    Cast,
    Info(String),
    Timeout,
}

enum Req {
    Ping,
    Delay(u64),
    /// Tells the test it is handling the call, then never returns.
    Hang,
    Panic,
    Exit(ExitReason),
    Stop(ExitReason),
    StopReply(ExitReason),
    Defer,
    ReplyContinue,
    NoreplyContinue,
    Hibernate,
    Timeout(u64),
    CallRef(Dest),
    StopSelf,
    PanicInTerminate,
}

type Reply = Result<&'static str, CallError>;

struct Tester {
    notify: Pid,
    n: u32,
    panic_in_terminate: bool,
}

impl Tester {
    fn tell(&self, e: Event) {
        let _ = tether::send(self.notify, e);
    }
}

impl GenServer for Tester {
    type Args = (Pid, Mode);
    type Call = Req;
    type Cast = Req;
    type Reply = Reply;
    type Continue = &'static str;

    async fn init((notify, mode): (Pid, Mode)) -> Init<Self> {
        let s = Tester {
            notify,
            n: 0,
            panic_in_terminate: false,
        };
        s.tell(Event::Init);
        match mode {
            Mode::Ok => Init::ok(s),
            Mode::Ignore => Init::Ignore,
            Mode::Error(r) => Init::Error(r),
            Mode::Stop(r) => Init::Stop(r),
            Mode::Panic => panic!("bailout"),
            Mode::Exit(r) => tether::exit_self(r),
            Mode::Sleep(ms) => {
                // A slow init: what start timeouts are tested against.
                tether::sleep(Duration::from_millis(ms)).await;
                Init::ok(s)
            }
            Mode::Continue => Init::ok(s).then_continue("before"),
            Mode::Hibernate => Init::ok(s).hibernate(),
            Mode::Trap => {
                tether::trap_exit(true);
                Init::ok(s)
            }
        }
    }

    async fn handle_call(&mut self, req: Req, from: &ReplyTo<Reply>) -> CallResult<Self> {
        match req {
            Req::Ping => CallResult::reply(Ok("pong")),
            Req::Delay(ms) => {
                // A slow call: what call timeouts are tested against.
                tether::sleep(Duration::from_millis(ms)).await;
                CallResult::reply(Ok("delayed"))
            }
            Req::Hang => {
                self.tell(Event::Info("in call".into()));
                std::future::pending().await
            }
            Req::Panic => panic!("bailout"),
            Req::Exit(r) => tether::exit_self(r),
            Req::Stop(r) => CallResult::stop(r),
            Req::StopReply(r) => CallResult::stop_reply(r, Ok("stopping")),
            Req::Defer => {
                let from = from.clone();
                tether::spawn(async move {
                    // Replies a little later, after the server has moved on.
                    tether::sleep(Duration::from_millis(10)).await;
                    from.reply(Ok("deferred"));
                });
                CallResult::noreply()
            }
            Req::ReplyContinue => CallResult::reply(Ok("replied")).then_continue("continue"),
            Req::NoreplyContinue => {
                from.reply(Ok("noreply"));
                CallResult::noreply().then_continue("continue")
            }
            Req::Hibernate => CallResult::reply(Ok("hibernating")).hibernate(),
            Req::Timeout(ms) => CallResult::reply(Ok("ok")).timeout(Duration::from_millis(ms)),
            Req::CallRef(r) => {
                let res = gen_server::call::<Tester>(r, Req::Ping, Timeout::DEFAULT).await;
                CallResult::reply(res.and_then(|r| r))
            }
            Req::StopSelf => {
                let res =
                    gen_server::stop(tether::self_pid(), ExitReason::Normal, Timeout::Infinity)
                        .await;
                CallResult::reply(res.map(|()| "stopped"))
            }
            Req::PanicInTerminate => {
                self.panic_in_terminate = true;
                CallResult::reply(Ok("armed"))
            }
        }
    }

    async fn handle_cast(&mut self, req: Req) -> CastResult<Self> {
        self.tell(Event::Cast);
        match req {
            Req::Stop(r) => CastResult::stop(r),
            Req::Panic => panic!("bailout"),
            Req::NoreplyContinue => CastResult::noreply().then_continue("continue"),
            Req::Timeout(ms) => CastResult::noreply().timeout(Duration::from_millis(ms)),
            _ => CastResult::noreply(),
        }
    }

    async fn handle_info(&mut self, m: Message) -> CastResult<Self> {
        if m.is::<TimeoutMsg>() {
            self.tell(Event::Timeout);
            return CastResult::noreply();
        }
        if let Some(e) = m.downcast_ref::<Exit>() {
            self.tell(Event::Info(format!("exit {:?}", e.reason)));
            return CastResult::noreply();
        }
        match m.downcast::<&'static str>() {
            Ok("stop") => CastResult::stop(ExitReason::Normal),
            Ok("continue") => {
                self.tell(Event::Info("continue".into()));
                CastResult::noreply().then_continue("continue")
            }
            Ok(s) => {
                self.tell(Event::Info(s.to_string()));
                CastResult::noreply()
            }
            Err(m) => {
                self.tell(Event::Info(m.type_name().to_string()));
                CastResult::noreply()
            }
        }
    }

    async fn handle_continue(&mut self, c: &'static str) -> CastResult<Self> {
        self.tell(Event::Continue(c));
        match c {
            "before" => CastResult::noreply().then_continue("continue"),
            "continue" => CastResult::noreply().then_continue("after"),
            "stop" => CastResult::stop(ExitReason::Normal),
            _ => CastResult::noreply(),
        }
    }

    async fn terminate(&mut self, reason: &ExitReason) {
        self.tell(Event::Terminate(reason.clone()));
        if self.panic_in_terminate {
            panic!("terminate failed");
        }
    }

    fn format_status(&self) -> String {
        format!("Tester(n={})", self.n)
    }
}

async fn start_tester(mode: Mode) -> Result<Server<Tester>, ServerStartError> {
    gen_server::start::<Tester>((tether::self_pid(), mode), StartOpts::new()).await
}

async fn start_named(name: &str, mode: Mode) -> Result<Server<Tester>, ServerStartError> {
    gen_server::start::<Tester>((tether::self_pid(), mode), StartOpts::new().name(name)).await
}

async fn event() -> Event {
    receive::<Event>().await
}

/// The messages waiting in `pid`'s mailbox.
fn queued(pid: Pid) -> usize {
    tether::process_info(pid).map_or(0, |i| i.message_queue_len)
}

async fn down_of(pid: Pid) -> ExitReason {
    let r = tether::monitor(pid);
    let d: Down =
        tether::receive_select(move |m| m.downcast_ref::<Down>().is_some_and(|d| d.reference == r))
            .await
            .downcast()
            .unwrap();
    d.reason
}

fn boom() -> ExitReason {
    ExitReason::from("boom")
}

/// A one-table via registry for the tests (a stand-in for Registry / global).
#[derive(Debug, Clone)]
struct TestVia(&'static str);

fn via_table() -> &'static Mutex<HashMap<&'static str, Pid>> {
    static T: OnceLock<Mutex<HashMap<&'static str, Pid>>> = OnceLock::new();
    T.get_or_init(Default::default)
}

impl Via for TestVia {
    fn register_name(&self, pid: Pid) -> bool {
        let mut t = via_table().lock().unwrap();
        if t.get(self.0).is_some_and(|p| tether::is_alive(*p)) {
            return false;
        }
        t.insert(self.0, pid);
        true
    }
    fn unregister_name(&self) {
        via_table().lock().unwrap().remove(self.0);
    }
    fn whereis_name(&self) -> Option<Pid> {
        via_table()
            .lock()
            .unwrap()
            .get(self.0)
            .copied()
            .filter(|p| tether::is_alive(*p))
    }
}

// ---------------------------------------------------------------------------------
// §4.13 case 1 and 2: starting.

/// §4.13 case 1, `gen_server_SUITE:start`.
#[test]
fn start() {
    run(async {
        // anonymous
        let s = start_tester(Mode::Ok).await.unwrap();
        assert_eq!(event().await, Event::Init);
        assert_eq!(s.call(Req::Ping).await.unwrap(), Ok("pong"));
        assert_eq!(s.stop(ExitReason::Normal).await, Ok(()));
        assert_eq!(s.call(Req::Ping).await.unwrap_err(), CallError::NoProc);

        // local name; a second start sees already_started
        let s = start_named("start_local", Mode::Ok).await.unwrap();
        assert_eq!(tether::whereis("start_local"), Some(s.pid()));
        let again = start_named("start_local", Mode::Ok).await;
        assert_eq!(again, Err(ServerStartError::AlreadyStarted(s.pid())));
        let r = gen_server::call::<Tester>("start_local", Req::Ping, Timeout::DEFAULT).await;
        assert_eq!(r.unwrap(), Ok("pong"));
        gen_server::stop("start_local", ExitReason::Normal, Timeout::Infinity)
            .await
            .unwrap();
        let r = gen_server::call::<Tester>("start_local", Req::Ping, Timeout::DEFAULT).await;
        assert_eq!(r.unwrap_err(), CallError::NoProc);

        // via name
        let opts = || StartOpts::new().via(TestVia("start_via"));
        let me = tether::self_pid();
        let s = gen_server::start::<Tester>((me, Mode::Ok), opts())
            .await
            .unwrap();
        let again = gen_server::start::<Tester>((me, Mode::Ok), opts()).await;
        assert_eq!(again, Err(ServerStartError::AlreadyStarted(s.pid())));
        let via = Dest::via(TestVia("start_via"));
        assert_eq!(
            gen_server::call::<Tester>(via.clone(), Req::Ping, Timeout::DEFAULT)
                .await
                .unwrap(),
            Ok("pong")
        );
        gen_server::stop(via.clone(), ExitReason::Normal, Timeout::Infinity)
            .await
            .unwrap();
        assert_eq!(
            gen_server::call::<Tester>(via, Req::Ping, Timeout::DEFAULT)
                .await
                .unwrap_err(),
            CallError::NoProc
        );

        // ignore, {error, foobar}, {stop, stopped}
        assert_eq!(
            start_tester(Mode::Ignore).await,
            Err(ServerStartError::Ignore)
        );
        let foobar = ExitReason::from("foobar");
        assert_eq!(
            start_tester(Mode::Error(foobar.clone())).await,
            Err(ServerStartError::Failed(foobar))
        );
        let stopped = ExitReason::from("stopped");
        assert_eq!(
            start_tester(Mode::Stop(stopped.clone())).await,
            Err(ServerStartError::Failed(stopped))
        );

        // sleep with {timeout, 100}; the name is free again afterwards
        let opts = StartOpts::new()
            .name("start_slow")
            .timeout(Duration::from_millis(100));
        let r = gen_server::start::<Tester>((me, Mode::Sleep(10_000)), opts).await;
        assert_eq!(r, Err(ServerStartError::Timeout));
        assert_eq!(tether::whereis("start_slow"), None);
        assert!(start_named("start_slow", Mode::Ok).await.is_ok());
    })
}

/// A predicate on a start error.
type Check = fn(&ServerStartError) -> bool;

/// §4.13 case 2, `gen_server_SUITE:loop_start_fail`, for start, start_link (trapping
/// exits, so the caller survives the link) and start_monitor. Failures free the name
/// before the starter hears of them, so every retry under the same name sees the same
/// error, never `already_started`.
#[test]
fn loop_start_fail() {
    run(async {
        tether::trap_exit(true);
        let me = tether::self_pid();
        let failed = ExitReason::from("failed_to_start");
        let bailout = ExitReason::from("bailout");
        let cases: Vec<(Mode, Check)> = vec![
            (Mode::Stop(failed.clone()), |e| {
                *e == ServerStartError::Failed(ExitReason::from("failed_to_start"))
            }),
            (Mode::Ignore, |e| e.is_ignore()),
            (
                Mode::Panic,
                |e| matches!(e, ServerStartError::Failed(ExitReason::Panic(m)) if &**m == "bailout"),
            ),
            (Mode::Exit(bailout.clone()), |e| {
                *e == ServerStartError::Failed(ExitReason::from("bailout"))
            }),
            (Mode::Sleep(10_000), |e| e.is_timeout()),
        ];
        for (mode, expect) in cases {
            for round in 0..3 {
                let opts = StartOpts::new()
                    .name("loop_start_fail")
                    .timeout(Duration::from_millis(50));
                let args = (me, mode.clone());
                let err = match round {
                    0 => gen_server::start::<Tester>(args, opts).await.map(|_| ()),
                    1 => gen_server::start_link::<Tester>(args, opts)
                        .await
                        .map(|_| ()),
                    _ => gen_server::start_monitor::<Tester>(args, opts)
                        .await
                        .map(|_| ()),
                }
                .unwrap_err();
                assert!(expect(&err), "{mode:?} round {round}: {err:?}");
            }
        }
        assert_eq!(tether::whereis("loop_start_fail"), None);
        // Nothing stray: no DOWNs of the start monitors (the EXITs of the linked
        // starts are ordinary trapped exits, and the timeouts flushed theirs).
        assert_no_message::<Down>("a stray DOWN of a start monitor").await;
    })
}

/// §4.2 note: `init` returning `{stop, R}` under `start_link` kills a caller that does
/// not trap exits; `ignore` and `{error, R}` are safe.
#[test]
fn start_link_stop_kills_non_trapping_caller() {
    run(async {
        let me = tether::self_pid();
        let (p, _) = tether::spawn_monitor(async move {
            let r =
                gen_server::start_link::<Tester>((me, Mode::Error(boom())), StartOpts::new()).await;
            assert_eq!(r, Err(ServerStartError::Failed(boom())));
            let _ =
                gen_server::start_link::<Tester>((me, Mode::Stop(boom())), StartOpts::new()).await;
            // Outlives the link's exit signal: if it did not kill us, we would end
            // `normal` after 5 s and the assertion below would say so.
            tether::sleep(Duration::from_secs(5)).await;
        });
        let d: Down = receive().await;
        assert_eq!((d.object, d.reason), (tether::Monitored::Pid(p), boom()));
    })
}

// ---------------------------------------------------------------------------------
// §4.13 case 3, 4, 15: calls.

/// §4.13 case 3, `gen_server_SUITE:call`.
#[test]
fn call() {
    run(async {
        tether::trap_exit(true);
        let s = start_tester(Mode::Ok).await.unwrap();
        // a delayed answer within the timeout
        let r = s.call_timeout(Req::Delay(30), Duration::from_secs(5)).await;
        assert_eq!(r.unwrap(), Ok("delayed"));
        // timeout 1 ms on a 30 ms job
        let r = s
            .call_timeout(Req::Delay(30), Duration::from_millis(1))
            .await;
        assert_eq!(r.unwrap_err(), CallError::Timeout);
        // a crashing callback: the caller gets the server's exit reason
        let r = s.call(Req::Panic).await.unwrap_err();
        assert!(
            matches!(r, CallError::Exit(ExitReason::Panic(ref m)) if &**m == "bailout"),
            "{r:?}"
        );
        let r = s.call(Req::Ping).await.unwrap_err();
        assert_eq!(r, CallError::NoProc);
    })
}

/// §4.13 case 4, `gen_server_SUITE:calling_self` and Elixir
/// `gen_server_test.exs: "call/3 exit messages"`.
#[test]
fn calling_self() {
    run(async {
        let me = tether::self_pid();
        let s = gen_server::start::<Tester>((me, Mode::Ok), StartOpts::new().name("calling_self"))
            .await
            .unwrap();
        for r in [
            Dest::from(s.pid()),
            "calling_self".into(),
            ("calling_self", Node::local()).into(),
        ] {
            assert_eq!(
                s.call(Req::CallRef(r)).await.unwrap(),
                Err(CallError::CallingSelf)
            );
        }
        let v = gen_server::start::<Tester>(
            (me, Mode::Ok),
            StartOpts::new().via(TestVia("calling_self")),
        )
        .await
        .unwrap();
        let via = Dest::via(TestVia("calling_self"));
        assert_eq!(
            v.call(Req::CallRef(via)).await.unwrap(),
            Err(CallError::CallingSelf)
        );

        // noproc for an unregistered name and for a stopped pid
        let r = gen_server::call::<Tester>("nobody_here", Req::Ping, Timeout::DEFAULT).await;
        assert_eq!(r.unwrap_err(), CallError::NoProc);
        s.stop(ExitReason::Normal).await.unwrap();
        assert_eq!(s.call(Req::Ping).await.unwrap_err(), CallError::NoProc);
        let err = s.call(Req::Ping).await.unwrap_err();
        let shaped = err.exit_reason("call", vec![Term::Pid(s.pid())]);
        assert!(matches!(shaped.to_term(), Term::Tuple(t) if t[0] == Term::atom("noproc")));

        // {nodedown, bogus_node} for {name, bogus_node}
        let bogus = Node::intern("bogus_node@nohost").unwrap();
        let r = gen_server::call::<WireServer>(("name", bogus), Term::atom("x"), Timeout::DEFAULT)
            .await;
        assert_eq!(r.unwrap_err(), CallError::NodeDown(bogus));
    })
}

/// §4.13 case 15, late reply (derived from gen.erl): after a timed-out call the late
/// reply never reaches the caller's mailbox, nor does a DOWN.
#[test]
fn late_reply_is_dropped() {
    run(async {
        let s = start_tester(Mode::Ok).await.unwrap();
        let _ = event().await;
        let r = s
            .call_timeout(Req::Delay(100), Duration::from_millis(10))
            .await;
        assert_eq!(r.unwrap_err(), CallError::Timeout);
        // The server handles one call at a time and answers in order: when the ping
        // is answered, the late reply has been sent before it (and dropped).
        assert_eq!(s.call(Req::Ping).await.unwrap(), Ok("pong"));
        s.stop(ExitReason::Normal).await.unwrap();
        let _ = event().await; // terminate
        assert!(
            flush().await.is_empty(),
            "stray messages after a timed-out call"
        );
    })
}

/// §4.3 C4: a call to a dead pid or an unknown name fails with `noproc` and leaves
/// nothing behind (no stray DOWN, no monitor).
#[test]
fn noproc_leaves_nothing_behind() {
    run(async {
        let s = start_tester(Mode::Ok).await.unwrap();
        let _ = event().await;
        let pid = s.pid();
        s.stop(ExitReason::Normal).await.unwrap();
        let _ = event().await; // terminate
        let r = gen_server::call::<Tester>(pid, Req::Ping, Timeout::DEFAULT).await;
        assert_eq!(r.unwrap_err(), CallError::NoProc);
        let r = gen_server::call::<Tester>("nobody_here", Req::Ping, Timeout::DEFAULT).await;
        assert_eq!(r.unwrap_err(), CallError::NoProc);
        let me = tether::process_info(tether::self_pid()).unwrap();
        assert!(me.monitors.is_empty(), "{:?}", me.monitors);
        assert!(flush().await.is_empty());
    })
}

/// §4.3 C4: a server killed by someone else while it handles a call: the caller gets
/// the server's exit reason, and no monitor or message is left.
#[test]
fn server_killed_mid_call_gives_its_reason() {
    run(async {
        // The killer hears the server's events: it kills the server once the server
        // is handling our call.
        let killer = tether::spawn(async {
            let server: Pid = receive().await;
            while receive::<Event>().await != Event::Info("in call".into()) {}
            tether::exit(server, boom());
        });
        let s = gen_server::start::<Tester>((killer, Mode::Ok), StartOpts::new())
            .await
            .unwrap();
        tether::send(killer, s.pid()).unwrap();
        let r = s.call_timeout(Req::Hang, Duration::from_secs(30)).await;
        assert_eq!(r.unwrap_err(), CallError::Exit(boom()));
        let me = tether::process_info(tether::self_pid()).unwrap();
        assert!(me.monitors.is_empty(), "{:?}", me.monitors);
        assert!(flush().await.is_empty());
    })
}

/// §4.3 C3: calls leave no monitor behind in either process, whatever their outcome.
#[test]
fn calls_leave_no_monitors() {
    run(async {
        let s = start_tester(Mode::Ok).await.unwrap();
        let _ = event().await;
        for _ in 0..3 {
            assert_eq!(s.call(Req::Ping).await.unwrap(), Ok("pong"));
        }
        assert_eq!(s.call(Req::Defer).await.unwrap(), Ok("deferred"));
        let r = s
            .call_timeout(Req::Delay(50), Duration::from_millis(5))
            .await;
        assert_eq!(r.unwrap_err(), CallError::Timeout);
        assert_eq!(s.call(Req::Ping).await.unwrap(), Ok("pong"));
        // Our side of each call's monitor goes when the call returns.
        let me = tether::process_info(tether::self_pid()).unwrap();
        assert!(me.monitors.is_empty(), "{:?}", me.monitors);
        // A demonitor does not wake its target (`ProcessShared::push_lazy`): let the
        // server handle the last one.
        tether::send(s.pid(), "wake up").unwrap();
        assert_eq!(event().await, Event::Info("wake up".into()));
        let server = tether::process_info(s.pid()).unwrap();
        assert!(server.monitored_by.is_empty(), "{:?}", server.monitored_by);
        assert!(flush().await.is_empty());
    })
}

/// §4.7 D1/D2: `noreply` then `reply` from another process.
#[test]
fn deferred_reply() {
    run(async {
        let s = start_tester(Mode::Ok).await.unwrap();
        assert_eq!(s.call(Req::Defer).await.unwrap(), Ok("deferred"));
        assert_eq!(s.call(Req::Ping).await.unwrap(), Ok("pong"));
    })
}

// ---------------------------------------------------------------------------------
// §4.13 case 5, 6, 7: termination, cast, info, continue.

/// §4.13 case 5, `gen_server_SUITE:crash`: `{stop, shutdown}` and
/// `{stop, {shutdown, _}}` are clean stops; a crash runs `terminate` with the crash
/// reason, and the server exits with it.
#[test]
fn crash() {
    run(async {
        let shutdown_with =
            ExitReason::from_term(Term::tuple([Term::atom("shutdown"), Term::atom("reason")]));
        for reason in [ExitReason::Shutdown, shutdown_with] {
            let s = start_tester(Mode::Ok).await.unwrap();
            let _ = event().await;
            let r = s.call(Req::Stop(reason.clone())).await.unwrap_err();
            assert_eq!(r, CallError::Exit(reason.clone()));
            assert_eq!(event().await, Event::Terminate(reason));
        }
        let s = start_tester(Mode::Ok).await.unwrap();
        let _ = event().await;
        let r = s.call(Req::Panic).await.unwrap_err();
        let Event::Terminate(ExitReason::Panic(m)) = event().await else {
            panic!("terminate expected")
        };
        assert_eq!(&*m, "bailout");
        assert!(matches!(r, CallError::Exit(ExitReason::Panic(_))));
        // exit_self inside a callback: terminate gets the exit reason (E3)
        let s = start_tester(Mode::Ok).await.unwrap();
        let _ = event().await;
        assert_eq!(
            s.call(Req::Exit(boom())).await.unwrap_err(),
            CallError::Exit(boom())
        );
        assert_eq!(event().await, Event::Terminate(boom()));
    })
}

/// §4.6 E6: a panic inside `terminate` becomes the exit reason.
#[test]
fn terminate_raises() {
    run(async {
        let s = start_tester(Mode::Ok).await.unwrap();
        assert_eq!(s.call(Req::PanicInTerminate).await.unwrap(), Ok("armed"));
        let r = gen_server::stop(s, ExitReason::Normal, Timeout::Infinity)
            .await
            .unwrap_err();
        assert!(
            matches!(r, CallError::Exit(ExitReason::Panic(ref m)) if &**m == "terminate failed"),
            "{r:?}"
        );
    })
}

/// §4.5 V6: with `{stop, Reason, Reply, State}` terminate runs first, then the reply
/// is sent.
#[test]
fn stop_with_reply_after_terminate() {
    run(async {
        let s = start_tester(Mode::Ok).await.unwrap();
        let _ = event().await;
        assert_eq!(
            s.call(Req::StopReply(ExitReason::Normal)).await.unwrap(),
            Ok("stopping")
        );
        // terminate's event was sent before the reply, by the same process
        let e = receive_timeout::<Event>(Duration::ZERO).await;
        assert_eq!(e, Some(Event::Terminate(ExitReason::Normal)));
    })
}

/// §4.13 case 6, `gen_server_SUITE:cast` and `info`.
#[test]
fn cast_and_info() {
    run(async {
        let s = start_tester(Mode::Ok).await.unwrap();
        let _ = event().await;
        s.cast(Req::Ping);
        assert_eq!(event().await, Event::Cast);
        tether::send(s.pid(), "hello").unwrap();
        assert_eq!(event().await, Event::Info("hello".into()));
        // casts never fail
        gen_server::cast::<Tester>("no_such_server", Req::Ping);
        gen_server::cast::<Tester>(Dest::via(TestVia("no_such_via")), Req::Ping);
        gen_server::cast::<Tester>(("x", Node::intern("bogus@nohost").unwrap()), Req::Ping);
        // stop from the cast path
        s.cast(Req::Stop(boom()));
        assert_eq!(event().await, Event::Cast);
        assert_eq!(event().await, Event::Terminate(boom()));
        // stop from the info path
        let s = start_tester(Mode::Ok).await.unwrap();
        let _ = event().await;
        tether::send(s.pid(), "stop").unwrap();
        assert_eq!(event().await, Event::Terminate(ExitReason::Normal));
        // terminate's event is sent before the server finishes exiting: a monitor
        // made now hears `noproc` if it has, `normal` if not; never anything else.
        let reason = down_of(s.pid()).await;
        assert!(
            matches!(reason, ExitReason::Noproc | ExitReason::Normal),
            "{reason:?}"
        );
    })
}

/// §4.13 case 7, `gen_server_SUITE:continue`.
#[test]
fn r#continue() {
    run(async {
        use Event::Continue as C;
        // init continue, chained: before, continue, after — before any message
        let s = start_tester(Mode::Continue).await.unwrap();
        assert_eq!(event().await, Event::Init);
        for step in ["before", "continue", "after"] {
            assert_eq!(event().await, C(step));
        }
        // reply + continue: the reply comes first
        assert_eq!(s.call(Req::ReplyContinue).await.unwrap(), Ok("replied"));
        assert_eq!((event().await, event().await), (C("continue"), C("after")));
        // noreply + continue from call, cast and info
        assert_eq!(s.call(Req::NoreplyContinue).await.unwrap(), Ok("noreply"));
        assert_eq!((event().await, event().await), (C("continue"), C("after")));
        s.cast(Req::NoreplyContinue);
        assert_eq!(event().await, Event::Cast);
        assert_eq!((event().await, event().await), (C("continue"), C("after")));
        tether::send(s.pid(), "continue").unwrap();
        assert_eq!(event().await, Event::Info("continue".into()));
        assert_eq!((event().await, event().await), (C("continue"), C("after")));
        // a continue runs before a message that is already queued
        tether::send(s.pid(), "queued").unwrap();
        assert_eq!(event().await, Event::Info("queued".into()));
    })
}

/// §4.13 case 7 (last part): `{stop, normal}` from `handle_continue` ⇒ DOWN `normal`.
#[test]
fn continue_stop() {
    struct Stopper;
    impl GenServer for Stopper {
        type Args = ();
        type Call = ();
        type Cast = ();
        type Reply = ();
        type Continue = ();
        async fn init(_: ()) -> Init<Self> {
            Init::ok(Stopper).then_continue(())
        }
        async fn handle_continue(&mut self, _: ()) -> CastResult<Self> {
            CastResult::stop(ExitReason::Normal)
        }
    }
    run(async {
        let (s, mref) = gen_server::start_monitor::<Stopper>((), StartOpts::new())
            .await
            .unwrap();
        let d: Down = receive().await;
        assert_eq!((d.reference, d.reason), (mref, ExitReason::Normal));
        assert!(!tether::is_alive(s.pid()));
    })
}

/// §4.4 K3: a trapping server started with `start_link` terminates when its parent
/// exits, even with `normal`.
#[test]
fn parent_exit_terminates_trapping_server() {
    run(async {
        let me = tether::self_pid();
        tether::spawn(async move {
            let s = gen_server::start_link::<Tester>((me, Mode::Trap), StartOpts::new())
                .await
                .unwrap();
            tether::send(me, s).unwrap();
        });
        let s: Server<Tester> = receive().await;
        assert_eq!(event().await, Event::Init);
        assert_eq!(event().await, Event::Terminate(ExitReason::Normal));
        let _ = s;
        // an EXIT from a non-parent goes to handle_info
        let s = start_tester(Mode::Trap).await.unwrap();
        let _ = event().await;
        let _ = tether::spawn(async move {
            tether::link(s.pid()).unwrap();
            tether::exit_self(boom());
        });
        assert_eq!(event().await, Event::Info(format!("exit {:?}", boom())));
    })
}

// ---------------------------------------------------------------------------------
// §4.5 V3 timeouts, §4.13 case 8 hibernation.

/// §4.5 V3 and K4: `{reply, R, S, T}` delivers `timeout` to handle_info; any message
/// cancels it; a system message does not (`gen_server_SUITE:handle_event_timeout_plain`).
#[test]
fn timeout() {
    run(async {
        let s = start_tester(Mode::Ok).await.unwrap();
        let _ = event().await;
        assert_eq!(s.call(Req::Timeout(10)).await.unwrap(), Ok("ok"));
        assert_eq!(event().await, Event::Timeout);
        // a message cancels it: a message due after the timeout's time is the next
        // event, not the timeout
        assert_eq!(s.call(Req::Timeout(200)).await.unwrap(), Ok("ok"));
        tether::send(s.pid(), "cancel").unwrap();
        tether::send_after(Duration::from_millis(400), s.pid(), "later");
        assert_eq!(event().await, Event::Info("cancel".into()));
        assert_eq!(event().await, Event::Info("later".into()));
        // a system message does not
        s.cast(Req::Timeout(100));
        assert_eq!(event().await, Event::Cast);
        assert_eq!(sys::get_state(s).await.unwrap(), "Tester(n=0)");
        assert_eq!(event().await, Event::Timeout);
        // timeout 0 with a message already queued: the message wins
        sys::suspend(s).await.unwrap();
        s.cast(Req::Timeout(0));
        tether::send(s.pid(), "first").unwrap();
        sys::resume(s).await.unwrap();
        assert_eq!(event().await, Event::Cast);
        assert_eq!(event().await, Event::Info("first".into()));
        assert_no_message::<Event>("a timeout after a message that cancelled it").await;
    })
}

/// §4.13 case 8, `gen_server_SUITE:hibernate` and `auto_hibernate`.
#[test]
fn hibernate() {
    run(async {
        let s = start_tester(Mode::Hibernate).await.unwrap();
        assert!(sys::get_status(s).await.unwrap().hibernating);
        // still answers calls (and wakes up)
        assert_eq!(s.call(Req::Ping).await.unwrap(), Ok("pong"));
        assert!(!sys::get_status(s).await.unwrap().hibernating);
        assert_eq!(s.call(Req::Hibernate).await.unwrap(), Ok("hibernating"));
        assert!(sys::get_status(s).await.unwrap().hibernating);
        // sys:suspend/resume keep it hibernated
        sys::suspend(s).await.unwrap();
        assert!(sys::get_status(s).await.unwrap().hibernating);
        sys::resume(s).await.unwrap();
        assert!(sys::get_status(s).await.unwrap().hibernating);

        // hibernate_after: re-hibernates after being idle
        let me = tether::self_pid();
        let opts = StartOpts::new().hibernate_after(Duration::from_millis(20));
        let s = gen_server::start::<Tester>((me, Mode::Ok), opts)
            .await
            .unwrap();
        for _ in 0..2 {
            assert_eq!(s.call(Req::Ping).await.unwrap(), Ok("pong"));
            // Polled less often than hibernate_after: a system message restarts the
            // idle wait, as in OTP.
            eventually_every(
                Duration::from_millis(60),
                "the idle server hibernates",
                || async { sys::get_status(s).await.unwrap().hibernating },
            )
            .await;
        }
    })
}

// ---------------------------------------------------------------------------------
// §4.13 case 10, 14: stop.

/// §4.13 case 10, `gen_server_SUITE:stop1..stop10`.
#[test]
fn stop() {
    run(async {
        let me = tether::self_pid();
        // by pid (stop1), local name (stop2..3), {name, node()} (stop4), via (stop6..8)
        let refs: Vec<(StartOpts, Dest)> = vec![
            (StartOpts::new(), Dest::Name("unused".into())),
            (StartOpts::new().name("stop_local"), "stop_local".into()),
            (
                StartOpts::new().name("stop_node"),
                ("stop_node", Node::local()).into(),
            ),
            (
                StartOpts::new().via(TestVia("stop_via")),
                Dest::via(TestVia("stop_via")),
            ),
        ];
        for (i, (opts, r)) in refs.into_iter().enumerate() {
            let s = gen_server::start::<Tester>((me, Mode::Ok), opts)
                .await
                .unwrap();
            let r = if i == 0 { Dest::from(s.pid()) } else { r };
            assert_eq!(
                gen_server::stop(r.clone(), ExitReason::Normal, Timeout::Infinity).await,
                Ok(())
            );
            assert!(!tether::is_alive(s.pid()));
            let again = gen_server::stop(r, ExitReason::Normal, Timeout::Infinity).await;
            assert_eq!(again, Err(CallError::NoProc));
        }
        // with a reason: terminate sees it
        let s = start_tester(Mode::Ok).await.unwrap();
        assert_eq!(
            gen_server::stop(s, ExitReason::Shutdown, Timeout::Infinity).await,
            Ok(())
        );
        let events: Vec<Event> = flush()
            .await
            .into_iter()
            .filter_map(|m| m.downcast::<Event>().ok())
            .collect();
        assert!(
            events.contains(&Event::Terminate(ExitReason::Shutdown)),
            "{events:?}"
        );
        // a server busy past the timeout (stop9)
        let s = start_tester(Mode::Ok).await.unwrap();
        assert_eq!(event().await, Event::Init);
        let pid = s.pid();
        tether::spawn(async move {
            let _ = Server::<Tester>::from_pid(pid).call(Req::Hang).await;
        });
        assert_eq!(event().await, Event::Info("in call".into()));
        let r = gen_server::stop(s, ExitReason::Normal, Duration::from_millis(10)).await;
        assert_eq!(r, Err(CallError::Timeout));
        tether::exit(pid, ExitReason::Kill);
        // a name on a node that is not connected (stop10)
        let bogus = Node::intern("bogus_node@nohost").unwrap();
        let r = gen_server::stop(
            ("stop_remote", bogus),
            ExitReason::Normal,
            Timeout::Infinity,
        )
        .await;
        assert_eq!(r, Err(CallError::NodeDown(bogus)));
    })
}

/// §4.13 case 14, Elixir `gen_server_test.exs: "stop/3"`: `:ok`, then `noproc`;
/// stopping yourself from a callback is `calling_self`.
#[test]
fn stop3() {
    run(async {
        let s = start_tester(Mode::Ok).await.unwrap();
        assert_eq!(
            s.call(Req::StopSelf).await.unwrap(),
            Err(CallError::CallingSelf)
        );
        assert_eq!(s.stop(ExitReason::Normal).await, Ok(()));
        assert_eq!(s.stop(ExitReason::Normal).await, Err(CallError::NoProc));
    })
}

// ---------------------------------------------------------------------------------
// §4.13 case 12: missing callbacks.

struct Bare;

impl GenServer for Bare {
    type Args = ();
    type Call = ();
    type Cast = ();
    type Reply = ();
    type Continue = ();
    async fn init(_: ()) -> Init<Self> {
        Init::ok(Bare)
    }
}

fn is_undef(r: &ExitReason, callback: &str) -> bool {
    matches!(r.to_term(), Term::Tuple(t) if t[0] == Term::atom("undef")
        && matches!(&t[1], Term::Tuple(mf) if mf[1] == Term::atom(callback)))
}

/// §4.13 case 12, `gen_server_SUITE:undef_handle_call`, `undef_handle_cast`,
/// `undef_handle_info`, `undef_terminate1`.
#[test]
fn undef_callbacks() {
    run(async {
        // handle_call missing: the server crashes with undef, the caller gets it
        let s = gen_server::start::<Bare>((), StartOpts::new())
            .await
            .unwrap();
        let Err(CallError::Exit(r)) = s.call(()).await else {
            panic!("undef expected")
        };
        assert!(is_undef(&r, "handle_call"), "{r:?}");
        // handle_cast missing: crash with undef
        let (s, mref) = gen_server::start_monitor::<Bare>((), StartOpts::new())
            .await
            .unwrap();
        s.cast(());
        let d: Down = receive().await;
        assert_eq!(d.reference, mref);
        assert!(is_undef(&d.reason, "handle_cast"), "{:?}", d.reason);
        // handle_info missing: logged and dropped, the server lives on
        let s = gen_server::start::<Bare>((), StartOpts::new())
            .await
            .unwrap();
        tether::send(s.pid(), "unexpected").unwrap();
        assert_eq!(
            sys::get_state(s).await.unwrap(),
            std::any::type_name::<Bare>()
        );
        // terminate missing: nothing is called, stop works
        assert_eq!(s.stop(ExitReason::Normal).await, Ok(()));
    })
}

// ---------------------------------------------------------------------------------
// §4.13 case 13: sys.

/// §4.13 case 13, `gen_server_SUITE:get_state` and `replace_state`, including while
/// suspended, and a failing replace function (state unchanged, server alive).
#[test]
fn get_state_and_replace_state() {
    run(async {
        let s = start_tester(Mode::Ok).await.unwrap();
        assert_eq!(sys::get_state(s).await.unwrap(), "Tester(n=0)");
        assert_eq!(
            sys::replace_state::<Tester>(s, |t| t.n = 1).await.unwrap(),
            "Tester(n=1)"
        );
        sys::suspend(s).await.unwrap();
        // a call waits while suspended
        let pid = s.pid();
        let me = tether::self_pid();
        tether::spawn(async move {
            let r = Server::<Tester>::from_pid(pid).call(Req::Ping).await;
            tether::send(me, r).unwrap();
        });
        eventually("the call is queued at the suspended server", || async {
            queued(pid) == 1
        })
        .await;
        // system messages are still handled
        assert_eq!(sys::get_state(s).await.unwrap(), "Tester(n=1)");
        assert_eq!(
            sys::replace_state::<Tester>(s, |t| t.n = 2).await.unwrap(),
            "Tester(n=2)"
        );
        // The call is still waiting in the mailbox, so it has not been answered.
        assert_eq!(queued(pid), 1, "the call was handled while suspended");
        assert_eq!(
            receive_timeout::<Result<Reply, CallError>>(Duration::ZERO).await,
            None
        );
        sys::resume(s).await.unwrap();
        assert!(receive::<Result<Reply, CallError>>().await.is_ok());
        // a panicking replace function
        let r = sys::replace_state::<Tester>(s, |_| panic!("nope")).await;
        assert!(
            matches!(r, Err(CallError::CallbackFailed(ExitReason::Panic(_)))),
            "{r:?}"
        );
        assert_eq!(sys::get_state(s).await.unwrap(), "Tester(n=2)");
        // the wrong type
        let r = sys::replace_state::<Bare>(s, |_| ()).await;
        assert!(matches!(r, Err(CallError::CallbackFailed(_))), "{r:?}");
        // a panicking format_status does not crash the server (crash_in_format_status)
        struct BadStatus;
        impl GenServer for BadStatus {
            type Args = ();
            type Call = ();
            type Cast = ();
            type Reply = ();
            type Continue = ();
            async fn init(_: ()) -> Init<Self> {
                Init::ok(BadStatus)
            }
            fn format_status(&self) -> String {
                panic!("format_status crashed")
            }
        }
        let b = gen_server::start::<BadStatus>((), StartOpts::new())
            .await
            .unwrap();
        assert!(
            sys::get_state(b)
                .await
                .unwrap()
                .contains("format_status failed")
        );
        assert!(tether::is_alive(b.pid()));
    })
}

// ---------------------------------------------------------------------------------
// Wire compatibility: `$gen_call` / `$gen_cast` terms (§4.3 C2, docs/distribution.md §6.2).

/// A server that speaks terms: `{got, Request}` for every call; casts are forwarded
/// to the pid given at start; the atom `secret` cannot be decoded.
struct WireServer(Pid);

impl GenServer for WireServer {
    type Args = Pid;
    type Call = Term;
    type Cast = Term;
    type Reply = Term;
    type Continue = ();
    async fn init(p: Pid) -> Init<Self> {
        Init::ok(WireServer(p))
    }
    async fn handle_call(&mut self, req: Term, _: &ReplyTo<Term>) -> CallResult<Self> {
        CallResult::reply(Term::tuple([Term::atom("got"), req]))
    }
    async fn handle_cast(&mut self, req: Term) -> CastResult<Self> {
        let _ = tether::send(self.0, ("cast", req));
        CastResult::noreply()
    }
    fn decode_call(t: &Term) -> Option<Term> {
        (!t.is_atom("secret")).then(|| t.clone())
    }
    fn decode_cast(t: &Term) -> Option<Term> {
        Some(t.clone())
    }
    fn encode_reply(r: &Term) -> Option<Term> {
        Some(r.clone())
    }
    fn encode_call(r: &Term) -> Option<Term> {
        Some(r.clone())
    }
    fn decode_reply(t: &Term) -> Option<Term> {
        Some(t.clone())
    }
}

fn alias_tag(r: tether::Reference) -> Term {
    Term::ImproperList(vec![Term::atom("alias")], Box::new(Term::Ref(r)))
}

fn gen_call(from: Pid, tag: Term, req: Term) -> Term {
    Term::tuple([
        Term::atom("$gen_call"),
        Term::tuple([Term::Pid(from), tag]),
        req,
    ])
}

/// §4.3 C2: a `{'$gen_call', {Pid, [alias | Mref]}, Req}` term is answered with the
/// term `{[alias | Mref], Reply}` sent to the alias (as `gen:reply/2` does); a plain
/// reference tag is answered to the pid; `[[alias | Ref] | _]` to the alias.
#[test]
fn wire_gen_call() {
    run(async {
        let me = tether::self_pid();
        let s = gen_server::start::<WireServer>(me, StartOpts::new())
            .await
            .unwrap();
        let got = |req: &str| Term::tuple([Term::atom("got"), Term::atom(req)]);

        // OTP 24+ caller: [alias | Mref]
        let mref = tether::monitor_alias(s.pid(), tether::AliasMode::ReplyDemonitor);
        let tag = alias_tag(mref);
        tether::send(s.pid(), gen_call(me, tag.clone(), Term::atom("hello"))).unwrap();
        assert_eq!(receive::<Term>().await, Term::tuple([tag, got("hello")]));

        // plain reference tag: replied to the pid
        let r = tether::make_ref();
        tether::send(s.pid(), gen_call(me, Term::Ref(r), Term::atom("plain"))).unwrap();
        assert_eq!(
            receive::<Term>().await,
            Term::tuple([Term::Ref(r), got("plain")])
        );

        // [[alias | Ref] | _]
        let a = tether::alias(tether::AliasMode::Reply);
        let tag = Term::ImproperList(vec![alias_tag(a)], Box::new(Term::atom("extra")));
        tether::send(s.pid(), gen_call(me, tag.clone(), Term::atom("nested"))).unwrap();
        assert_eq!(receive::<Term>().await, Term::tuple([tag, got("nested")]));

        // a request it cannot decode: answered {error, {bad_request, Req}} at once, and
        // the server lives on
        let r = tether::make_ref();
        tether::send(s.pid(), gen_call(me, Term::Ref(r), Term::atom("secret"))).unwrap();
        assert_eq!(
            receive::<Term>().await,
            Term::tuple([
                Term::Ref(r),
                "{error, {bad_request, secret}}".parse().unwrap()
            ])
        );
        let r = gen_server::call::<WireServer>(s, Term::atom("after"), Timeout::DEFAULT).await;
        assert_eq!(r.unwrap(), got("after"));
        assert_eq!(receive_timeout::<Term>(Duration::ZERO).await, None);

        // {'$gen_cast', Req}
        tether::send(
            s.pid(),
            Term::tuple([Term::atom("$gen_cast"), Term::Int(7)]),
        )
        .unwrap();
        assert_eq!(receive::<(&str, Term)>().await, ("cast", Term::Int(7)));

        // a late wire reply to a deactivated alias is dropped
        let mref = tether::monitor_alias(s.pid(), tether::AliasMode::ReplyDemonitor);
        tether::demonitor(mref);
        tether::send(s.pid(), gen_call(me, alias_tag(mref), Term::atom("late"))).unwrap();
        assert_eq!(
            sys::get_state(s).await.unwrap(),
            std::any::type_name::<WireServer>()
        );
        assert!(flush().await.is_empty());
    })
}

/// The calls of [`SerdeCounter`]: `get` and `{add, N}` on the wire.
#[derive(serde::Serialize, serde::Deserialize)]
enum CounterCall {
    Get,
    Add(i64),
}

/// The casts of [`SerdeCounter`]: `reset` on the wire.
#[derive(serde::Serialize, serde::Deserialize)]
enum CounterCast {
    Reset,
}

/// A server whose types are serde types: `serde_wire!` is all it needs for terms.
struct SerdeCounter(i64);

impl GenServer for SerdeCounter {
    type Args = ();
    type Call = CounterCall;
    type Cast = CounterCast;
    type Reply = i64;
    type Continue = ();
    async fn init((): ()) -> Init<Self> {
        Init::ok(SerdeCounter(0))
    }
    async fn handle_call(&mut self, req: CounterCall, _: &ReplyTo<i64>) -> CallResult<Self> {
        if let CounterCall::Add(n) = req {
            self.0 += n;
        }
        CallResult::reply(self.0)
    }
    async fn handle_cast(&mut self, CounterCast::Reset: CounterCast) -> CastResult<Self> {
        self.0 = 0;
        CastResult::noreply()
    }
    tether::serde_wire!();
}

/// Term requests, but replies with no term form (the default `encode_reply`).
struct NoReplyTerm;

impl GenServer for NoReplyTerm {
    type Args = ();
    type Call = Term;
    type Cast = ();
    type Reply = ();
    type Continue = ();
    async fn init((): ()) -> Init<Self> {
        Init::ok(NoReplyTerm)
    }
    async fn handle_call(&mut self, _: Term, _: &ReplyTo<()>) -> CallResult<Self> {
        CallResult::reply(())
    }
    fn decode_call(t: &Term) -> Option<Term> {
        Some(t.clone())
    }
}

/// No term forms at all (every wire hook is the default).
struct NoTerms;

impl GenServer for NoTerms {
    type Args = ();
    type Call = ();
    type Cast = ();
    type Reply = ();
    type Continue = ();
    async fn init((): ()) -> Init<Self> {
        Init::ok(NoTerms)
    }
    async fn handle_call(&mut self, (): (), _: &ReplyTo<()>) -> CallResult<Self> {
        CallResult::reply(())
    }
}

/// Sends `{'$gen_call', {Self, Ref}, req}` to `to` and returns the reply's payload.
async fn wire_call(to: Pid, req: &str) -> Term {
    let r = tether::make_ref();
    let req = req.parse().unwrap();
    tether::send(to, gen_call(tether::self_pid(), Term::Ref(r), req)).unwrap();
    let reply = receive_timeout::<Term>(Duration::from_secs(5))
        .await
        .expect("a reply, not silence");
    match reply.as_tuple() {
        Some([Term::Ref(tag), payload]) if *tag == r => payload.clone(),
        _ => panic!("not a reply to {r}: {reply}"),
    }
}

/// A remote caller never waits for a reply that cannot come: a call the server cannot
/// decode is answered `{error, {bad_request, Req}}`, a reply it cannot encode
/// `{error, bad_reply}`; an undecodable cast is dropped. The server keeps running
/// (docs/distribution.md §6.2; the table in `gen_server`'s module docs).
#[test]
fn wire_requests_that_cannot_be_served_are_answered() {
    run(async {
        let t = |s: &str| s.parse::<Term>().unwrap();
        let c = gen_server::start::<SerdeCounter>((), StartOpts::new())
            .await
            .unwrap()
            .pid();
        assert_eq!(wire_call(c, "{add, 2}").await, Term::Int(2));
        assert_eq!(
            wire_call(c, "garbage").await,
            t("{error, {bad_request, garbage}}")
        );
        assert_eq!(
            wire_call(c, "{add, two}").await,
            t("{error, {bad_request, {add, two}}}")
        );
        // {add, 40} is no cast: dropped; `reset` is.
        tether::send(c, t("{'$gen_cast', {add, 40}}")).unwrap();
        assert_eq!(wire_call(c, "get").await, Term::Int(2));
        tether::send(c, t("{'$gen_cast', reset}")).unwrap();
        assert_eq!(wire_call(c, "get").await, Term::Int(0));

        let n = gen_server::start::<NoReplyTerm>((), StartOpts::new())
            .await
            .unwrap()
            .pid();
        assert_eq!(wire_call(n, "hello").await, t("{error, bad_reply}"));

        let o = gen_server::start::<NoTerms>((), StartOpts::new())
            .await
            .unwrap();
        assert_eq!(
            wire_call(o.pid(), "anything").await,
            t("{error, {bad_request, anything}}")
        );
        // Local callers are typed, and served as ever.
        assert_eq!(o.call(()).await, Ok(()));
        assert!(tether::is_alive(c) && tether::is_alive(n));
        assert!(flush().await.is_empty());
    })
}
