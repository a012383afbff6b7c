//! Links, exit signals and the `trap_exit` flag (docs/semantics.md §1.2–§1.4).

use std::fmt;

use tether_term::Pid;

use super::life::ExitUnwind;
use super::signal::Signal;
use super::{Exit, ExitReason, Message, current, route};

/// [`link`] failed: the local process does not exist and the caller does not trap
/// exits (Erlang raises `noproc`; docs/semantics.md §1.4 L4).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NoProc(pub Pid);

impl fmt::Display for NoProc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "noproc: no process {}", self.0)
    }
}

impl std::error::Error for NoProc {}

/// Links the calling process to `pid` (Erlang's `link/1`).
///
/// Linking twice, or to oneself, does nothing. If `pid` is a dead local process, a
/// caller that traps exits gets `Exit { from: pid, reason: Noproc }` later and `Ok`;
/// one that does not gets `Err(NoProc)`.
///
/// ```
/// use tether::{Exit, ExitReason, Runtime};
/// Runtime::new().unwrap().block_on(async {
///     tether::trap_exit(true);
///     let child = tether::spawn(async {
///         let _ = tether::receive::<()>().await;
///         tether::exit_self(ExitReason::from("crash"))
///     });
///     tether::link(child).unwrap();
///     tether::send(child, ()).unwrap();
///     let e: Exit = tether::receive().await;
///     assert_eq!(e, Exit { from: child, reason: ExitReason::from("crash") });
/// });
/// ```
pub fn link(pid: Pid) -> Result<(), NoProc> {
    let pid = super::route::foreign(pid);
    current::with(|p| {
        if pid == p.pid {
            return Ok(());
        }
        let mut st = p.state();
        if st.rel.as_ref().is_some_and(|r| r.links.contains(&pid)) {
            return Ok(());
        }
        if route::link(p.pid, pid) {
            st.rel().links.insert(pid);
            return Ok(());
        }
        if st.trap_exit {
            let exit = Exit {
                from: pid,
                reason: ExitReason::Noproc,
            };
            let _ = p.push(Signal::Message(Message::new(exit)));
            Ok(())
        } else {
            Err(NoProc(pid))
        }
    })
}

/// Removes the link between the calling process and `pid`, if any (Erlang's
/// `unlink/1`). Afterwards the link can no longer affect the caller, though an `Exit`
/// message may already be in its mailbox (L3).
///
/// ```
/// # use std::time::Duration;
/// # tether::Runtime::new().unwrap().block_on(async {
/// use tether::ExitReason;
/// let p = tether::spawn_link(std::future::pending());
/// tether::unlink(p);
/// tether::exit(p, ExitReason::Kill); // no longer linked: its death does not reach us
/// tether::sleep(Duration::from_millis(10)).await;
/// assert!(!tether::is_alive(p));
/// assert!(tether::process_info(tether::self_pid()).unwrap().links.is_empty());
/// # });
/// ```
pub fn unlink(pid: Pid) {
    let pid = super::route::foreign(pid);
    current::with(|p| {
        let removed = p.state().rel.as_mut().is_some_and(|r| r.links.remove(&pid));
        if removed {
            route::unlink(p.pid, pid);
        }
    })
}

/// Sends an exit signal to `pid` (Erlang's `exit/2`, Elixir's `Process.exit/2`).
///
/// What the target does follows docs/semantics.md §1.3: `Kill` always kills (the target dies
/// with `Killed`), `Normal` from another process is ignored unless trapped, anything
/// else kills a process that does not trap exits. A signal to the calling process
/// itself takes effect at its next `.await`.
///
/// ```
/// use tether::{Down, ExitReason, Runtime};
/// Runtime::new().unwrap().block_on(async {
///     let (pid, _) = tether::spawn_monitor(std::future::pending::<()>());
///     tether::exit(pid, ExitReason::Kill);
///     let down: Down = tether::receive().await;
///     assert_eq!(down.reason, ExitReason::Killed);
/// });
/// ```
pub fn exit(pid: Pid, reason: ExitReason) {
    let pid = super::route::foreign(pid);
    let from = current::try_with(|p| p.pid).unwrap_or_else(route::nobody);
    route::exit(from, pid, reason, false);
}

/// Ends the calling process now with `reason` (Erlang's `exit/1`).
///
/// The process unwinds like a panic but is not reported as a crash.
///
/// ```
/// use tether::{Down, ExitReason, Runtime};
/// Runtime::new().unwrap().block_on(async {
///     tether::spawn_monitor(async {
///         if true {
///             tether::exit_self(ExitReason::Shutdown);
///         }
///     });
///     let down: Down = tether::receive().await;
///     assert_eq!(down.reason, ExitReason::Shutdown);
/// });
/// ```
pub fn exit_self(reason: ExitReason) -> ! {
    assert!(
        current::in_process(),
        "exit_self must be called from inside a Tether process"
    );
    std::panic::resume_unwind(Box::new(ExitUnwind(reason)))
}

/// Sets the calling process's `trap_exit` flag and returns the old value.
///
/// While set, exit signals (except `Kill`) arrive as [`Exit`] messages instead of
/// ending the process.
///
/// ```
/// # use std::time::Duration;
/// # tether::Runtime::new().unwrap().block_on(async {
/// use tether::{Exit, ExitReason};
/// assert!(!tether::trap_exit(true)); // returns the old flag
/// let p = tether::spawn_link(async { tether::exit_self(ExitReason::from("boom")) });
/// let exit: Exit = tether::receive().await; // an `Exit` message, not our death
/// assert_eq!((exit.from, exit.reason), (p, ExitReason::from("boom")));
/// # });
/// ```
pub fn trap_exit(on: bool) -> bool {
    current::with(|p| {
        let mut st = p.state();
        p.set_trap_exit(&mut st, on)
    })
}
