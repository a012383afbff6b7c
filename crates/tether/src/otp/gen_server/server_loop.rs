//! The server loop: one process receiving every message in arrival order and handing
//! it to the right callback (docs/semantics.md §4.4 K0, §4.5, §4.6).
//!
//! ```text
//!            ┌──────────── Next::Continue(c) ── handle_continue ───┐
//!            ▼                                                     │
//!   ──▶ [ next step ] ──▶ wait (timeout / hibernate_after) ──▶ dispatch ──▶ callback
//!            ▲                    │ system messages answered here      │
//!            └────────────────────┴─────────── Next ───────────────────┘
//!                                  stop / unwind / parent EXIT ──▶ terminate ──▶ exit
//! ```
//!
//! Dispatch looks at each message once, cheapest test first: a local call, a local
//! cast, a `$gen_call` / `$gen_cast` term from another node, an `Exit` from the
//! parent (only seen when trapping exits: the server terminates with its reason, even
//! `normal`, K3), and anything else goes to `handle_info`.
//!
//! Every callback runs under `catching`: a panic or `exit_self` inside it becomes the
//! stop reason, `terminate` runs, and the process exits with that reason. A kill, or an
//! exit signal while not trapping, ends the process at its next `.await` without
//! `terminate` (E2).

use std::time::Duration;

use tokio::time::Instant;

use super::catch::{catching, catching_sync};
use super::from::{LocalCall, LocalCast, ReplyTo};
use super::result::{CallResult, CastResult, Next};
use super::sys::{SysMsg, SysRequest, SysStatus, SysValue};
use super::{GenServer, TimeoutMsg};
use crate::otp::gen_call::{self, WireMsg};
use crate::process::shrink_mailbox;
use crate::{
    Exit, ExitReason, Message, Pid, Term, receive_any, receive_select, receive_select_timeout,
    self_pid,
};

pub(crate) struct Loop<S: GenServer> {
    state: S,
    parent: Option<Pid>,
    hibernate_after: Option<Duration>,
    hibernating: bool,
    suspended: bool,
}

/// The server is stopping: why, and a reply to send after `terminate`.
struct Stopping<S: GenServer> {
    reason: ExitReason,
    reply: Option<(ReplyTo<S::Reply>, S::Reply)>,
}

impl<S: GenServer> Stopping<S> {
    fn new(reason: ExitReason) -> Self {
        Stopping {
            reason,
            reply: None,
        }
    }
}

type Step<S> = Result<Next<<S as GenServer>::Continue>, Stopping<S>>;

enum Event {
    Message(Message),
    Timeout,
}

fn any(_: &Message) -> bool {
    true
}

fn is_system(m: &Message) -> bool {
    m.is::<SysMsg>()
}

impl<S: GenServer> Loop<S> {
    pub(crate) fn new(state: S, parent: Option<Pid>, hibernate_after: Option<Duration>) -> Self {
        Loop {
            state,
            parent,
            hibernate_after,
            hibernating: false,
            suspended: false,
        }
    }

    /// Runs the server until it stops; returns the exit reason (after `terminate`).
    pub(crate) async fn run(mut self, mut next: Next<S::Continue>) -> ExitReason {
        let stopping = loop {
            let deadline = match next {
                Next::Continue(c) => match self.on_continue(c).await {
                    Ok(n) => {
                        next = n;
                        continue;
                    }
                    Err(s) => break s,
                },
                Next::Wait => None,
                Next::Timeout(d) => Some(Instant::now() + d),
                Next::Hibernate => {
                    self.hibernate();
                    None
                }
            };
            let step = match self.wait(deadline).await {
                Ok(Event::Message(m)) => self.dispatch(m).await,
                Ok(Event::Timeout) => self.on_info(Message::new(TimeoutMsg)).await,
                Err(s) => Err(s),
            };
            match step {
                Ok(n) => next = n,
                Err(s) => break s,
            }
        };
        self.terminate(stopping).await
    }

    fn hibernate(&mut self) {
        self.hibernating = true;
        shrink_mailbox();
    }

    /// Waits for the next non-system message, answering system messages meanwhile.
    async fn wait(&mut self, deadline: Option<Instant>) -> Result<Event, Stopping<S>> {
        loop {
            let m = if self.suspended {
                receive_select(is_system).await
            } else if let Some(d) = deadline {
                let left = d.saturating_duration_since(Instant::now());
                match receive_select_timeout(left, any).await {
                    Some(m) => m,
                    None => return Ok(Event::Timeout),
                }
            } else if let (Some(h), false) = (self.hibernate_after, self.hibernating) {
                match receive_select_timeout(h, any).await {
                    Some(m) => m,
                    None => {
                        self.hibernate();
                        continue;
                    }
                }
            } else {
                receive_any().await
            };
            match m.downcast::<SysMsg>() {
                Ok(sys) => self.on_system(sys)?,
                Err(m) => {
                    self.hibernating = false;
                    return Ok(Event::Message(m));
                }
            }
        }
    }

    async fn dispatch(&mut self, m: Message) -> Step<S> {
        let m = match m.downcast::<LocalCall<S::Call, S::Reply>>() {
            Ok(LocalCall { from, request }) => return self.on_call(request, from).await,
            Err(m) => m,
        };
        let m = match m.downcast::<LocalCast<S::Cast>>() {
            Ok(LocalCast(request)) => return self.on_cast(request).await,
            Err(m) => m,
        };
        if let Some(t) = m.downcast_ref::<Term>()
            && let Some(w) = gen_call::parse(t)
        {
            return self.on_wire(w).await;
        }
        if let Some(e) = m.downcast_ref::<Exit>()
            && Some(e.from) == self.parent
        {
            return Err(Stopping::new(e.reason.clone()));
        }
        self.on_info(m).await
    }

    async fn on_wire(&mut self, w: WireMsg<'_>) -> Step<S> {
        match w {
            WireMsg::Call {
                caller,
                tag,
                request,
            } => match S::decode_call(request) {
                Some(req) => {
                    let from = ReplyTo::wire(caller, tag.clone(), S::encode_reply);
                    self.on_call(req, from).await
                }
                None => {
                    crate::runtime::logger::report_warn!(
                        server = %self_pid(),
                        name = %registered_name(),
                        module = std::any::type_name::<S>(),
                        %caller,
                        %request,
                        "a call the server cannot decode (GenServer::decode_call) \
                         answered {{error, {{bad_request, Request}}}}"
                    );
                    gen_call::reply_term(caller, tag, gen_call::bad_request(request.clone()));
                    Ok(Next::Wait)
                }
            },
            WireMsg::Cast(request) => match S::decode_cast(request) {
                Some(req) => self.on_cast(req).await,
                None => {
                    crate::runtime::logger::report_warn!(
                        server = %self_pid(),
                        name = %registered_name(),
                        module = std::any::type_name::<S>(),
                        %request,
                        "a cast the server cannot decode (GenServer::decode_cast) dropped"
                    );
                    Ok(Next::Wait)
                }
            },
        }
    }

    async fn on_call(&mut self, request: S::Call, from: ReplyTo<S::Reply>) -> Step<S> {
        match catching(self.state.handle_call(request, &from)).await {
            Ok(CallResult::Reply(reply, next)) => {
                from.reply(reply);
                Ok(next)
            }
            Ok(CallResult::NoReply(next)) => Ok(next),
            Ok(CallResult::Stop(reason, reply)) => Err(Stopping {
                reason,
                reply: reply.map(|r| (from, r)),
            }),
            Err(reason) => Err(Stopping::new(reason)),
        }
    }

    async fn on_cast(&mut self, request: S::Cast) -> Step<S> {
        cast_step(catching(self.state.handle_cast(request)).await)
    }

    async fn on_info(&mut self, m: Message) -> Step<S> {
        cast_step(catching(self.state.handle_info(m)).await)
    }

    async fn on_continue(&mut self, c: S::Continue) -> Step<S> {
        cast_step(catching(self.state.handle_continue(c)).await)
    }

    fn status_text(&self) -> String {
        catching_sync(|| self.state.format_status())
            .unwrap_or_else(|r| format!("<format_status failed: {r}>"))
    }

    fn on_system(&mut self, sys: SysMsg) -> Result<(), Stopping<S>> {
        let answer = match sys.request {
            SysRequest::GetState => SysValue::State(self.status_text()),
            SysRequest::GetStatus => SysValue::Status(SysStatus {
                pid: self_pid(),
                module: std::any::type_name::<S>(),
                state: self.status_text(),
                suspended: self.suspended,
                hibernating: self.hibernating,
            }),
            SysRequest::Replace(f) => {
                match catching_sync(|| f(&mut self.state as &mut dyn std::any::Any)) {
                    Ok(Ok(())) => SysValue::State(self.status_text()),
                    Ok(Err(r)) | Err(r) => SysValue::Failed(r),
                }
            }
            SysRequest::Suspend => {
                self.suspended = true;
                SysValue::Done
            }
            SysRequest::Resume => {
                self.suspended = false;
                SysValue::Done
            }
            SysRequest::Terminate(reason) => return Err(Stopping::new(reason)),
        };
        if let Some(to) = sys.reply_to {
            to.reply(answer);
        }
        Ok(())
    }

    /// Runs `terminate`, sends a pending `stop` reply, logs an abnormal end and
    /// returns the exit reason (E1, E4, E6, V6).
    async fn terminate(mut self, stopping: Stopping<S>) -> ExitReason {
        let Stopping { reason, reply } = stopping;
        let reason = match catching(self.state.terminate(&reason)).await {
            Ok(()) => reason,
            Err(raised) => raised,
        };
        if let Some((from, r)) = reply {
            from.reply(r);
        }
        if !reason.is_clean() {
            crate::runtime::logger::report_error!(
                server = %self_pid(),
                module = std::any::type_name::<S>(),
                reason = %reason,
                state = %self.status_text(),
                "generic server terminating"
            );
        }
        reason
    }
}

/// This process's registered name, or `undefined` (for log lines).
fn registered_name() -> String {
    crate::process_info(self_pid())
        .and_then(|i| i.registered_name)
        .map_or_else(|| "undefined".to_string(), |n| n.to_string())
}

fn cast_step<S: GenServer>(r: Result<CastResult<S>, ExitReason>) -> Step<S> {
    match r {
        Ok(CastResult::NoReply(next)) => Ok(next),
        Ok(CastResult::Stop(reason)) | Err(reason) => Err(Stopping::new(reason)),
    }
}
