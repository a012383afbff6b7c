//! The kernel: a node's services as supervised processes, as OTP's `kernel_sup`.
//!
//! When a runtime becomes a node ([`dist::start`](crate::dist::start)), the kernel
//! starts under a supervisor registered as `kernel_sup`:
//!
//! | child | module | what it does |
//! |---|---|---|
//! | `net_kernel` | `net_kernel` | answers `net_adm:ping/1` and `Node.ping/1` |
//! | `rex` | `rex` | serves `rpc:call/4`, `rpc:cast/4` and `erpc` requests of the rpc forms |
//! | `global_name_server` | [`global`] | speaks `global` (with its locker and registrar, linked to it) |
//! | `pg` | [`pg`] | the default `pg` scope (process groups, local and across nodes) |
//!
//! Every service hears of nodes coming and going through the one `monitor_nodes`
//! mechanism, and keeps what must survive it in the runtime (`global`'s tables), so
//! a service that crashes is restarted and re-syncs with the cluster: the restarted
//! name server re-monitors every name and re-joins every visible peer; the restarted
//! pg scope discovers its peers' scopes again.
//!
//! **Restart strategy.** OTP's `kernel_sup` is `one_for_all` with intensity 0: one
//! crash of a kernel service takes the whole node down, and `heart` or the operator
//! restarts the VM. A Tether node usually lives inside a larger Rust program, so its
//! kernel restarts a crashed service alone (`one_for_one`, at most 10 restarts in 10
//! seconds); if that is exceeded the kernel gives up and the node stops (its
//! connections close, peers see `nodedown`). A program in
//! [`Runtime::run`](crate::Runtime::run) then stops, as a BEAM node dies with its
//! `kernel_sup`; any other goes on undistributed.
//!
//! Stopping the node ([`DistNode::stop`](crate::dist::DistNode::stop)) shuts the
//! kernel down in reverse start order with each child's shutdown timeout, as
//! `init:stop/0` does.

pub mod global;
mod introspect;
mod name_term;
pub(crate) mod net_kernel;
pub mod pg;
pub(crate) mod rex;

pub use name_term::NameTerm;

use tether_term::Pid;

use crate::otp::supervisor::{ChildSpec, Strategy, Supervisor};
use crate::{Down, ExitReason, SpawnOpts};

/// The name the kernel supervisor is registered under.
pub(crate) const KERNEL_SUP: &str = "kernel_sup";

fn children() -> Vec<ChildSpec> {
    vec![
        ChildSpec::new("net_kernel", || async {
            Ok(Some(net_kernel::start_link()))
        }),
        ChildSpec::new("rex", || async { Ok(Some(rex::start_link())) }),
        ChildSpec::new("global_name_server", || async {
            Ok(Some(global::start_link()))
        }),
        ChildSpec::new("pg", || async {
            pg::start_link().await.map(Some).map_err(ExitReason::from)
        }),
    ]
}

/// Starts the kernel and returns its keeper once every service runs.
///
/// The supervisor is linked to a small keeper process, not to the caller (who may
/// be any short-lived process). The keeper is the supervisor's parent: it shuts the
/// kernel down when asked ([`stop`]), and stops the node if the kernel gives up.
pub(crate) async fn start() -> Result<Pid, ExitReason> {
    let parent = crate::self_pid();
    let keeper = SpawnOpts::new()
        .spawn(async move {
            crate::trap_exit(true);
            // The kernel is not an application root: it stops after them.
            let _parent = crate::otp::supervisor::roots::adopt();
            let sup = Supervisor::new(Strategy::OneForOne)
                .max_restarts(10)
                .max_seconds(10)
                .name(KERNEL_SUP)
                .children(children())
                .start_link()
                .await;
            let sup = match sup {
                Ok(sup) => {
                    crate::send(parent, KernelStarted(Ok(()))).ok();
                    sup
                }
                Err(e) => {
                    crate::send(parent, KernelStarted(Err(e.into()))).ok();
                    return;
                }
            };
            let mref = crate::monitor(sup);
            loop {
                let m = crate::receive_any().await;
                if m.downcast_ref::<StopKernel>().is_some() {
                    // As its parent, the keeper's `shutdown` makes the supervisor stop
                    // its children in reverse order, each within its shutdown time.
                    crate::exit(sup, ExitReason::Shutdown);
                    continue;
                }
                let Ok(down) = m.downcast::<Down>() else {
                    continue; // the supervisor's exit signal, trapped
                };
                if down.reference != mref {
                    continue;
                }
                if !down.reason.is_clean() {
                    crate::runtime::logger::report_error!(reason = %down.reason, "the kernel gave up: the node stops");
                    if let Some(node) = crate::dist::DistNode::get() {
                        node.stop().await;
                    }
                    // As a BEAM node dies with its kernel_sup: a `Runtime::run`
                    // in progress stops the runtime.
                    crate::stop_runtime();
                }
                return;
            }
        })
        .pid;
    let started: KernelStarted = crate::receive().await;
    started.0.map(|()| keeper)
}

/// The keeper's answer to [`start`].
struct KernelStarted(Result<(), ExitReason>);

/// Asks the keeper to shut the kernel down.
struct StopKernel;

/// Stops the kernel kept by `keeper`: its supervisor shuts the services down in
/// reverse start order. Returns once the kernel is gone.
pub(crate) async fn stop(keeper: Pid) {
    let mref = crate::monitor(keeper);
    let _ = crate::send(keeper, StopKernel);
    loop {
        let down: Down = crate::receive().await;
        if down.reference == mref {
            return;
        }
    }
}
