//! `net_kernel`: the process BEAM nodes talk to when they ping us.
//!
//! `net_adm:ping/1` (and Elixir's `Node.ping/1`) is
//! `gen:call({net_kernel, Node}, '$gen_call', {is_auth, node()}, infinity)`, and
//! answers `pong` only for the reply `yes` (docs/distribution.md §6.1). Without a process
//! registered as `net_kernel` the ping gives `pang`, or hangs forever against a peer
//! without monitors. OTP's own net_kernel answers `yes` unconditionally: the
//! handshake has already authenticated the peer. Other calls get
//! `{error, not_supported}` so that no caller waits forever.

use tether_term::Term;

use crate::otp::gen_call::{self, GenMsg};

/// Starts the `net_kernel` process, linked to the caller (the kernel supervisor).
pub(crate) fn start_link() -> tether_term::Pid {
    crate::SpawnOpts::new()
        .link()
        .name("net_kernel")
        .spawn(async {
            loop {
                let msg: Term = crate::receive().await;
                match gen_call::classify(msg) {
                    GenMsg::Call(c) => {
                        let is_auth =
                            matches!(c.request.as_tuple(), Some([t, _]) if t.is_atom("is_auth"));
                        let answer = if is_auth {
                            Term::atom("yes")
                        } else {
                            tracing::debug!(request = %c.request, "net_kernel: unsupported call");
                            Term::tuple([Term::atom("error"), Term::atom("not_supported")])
                        };
                        gen_call::reply(&c, answer);
                    }
                    other => tracing::debug!(msg = ?other, "net_kernel: ignored message"),
                }
            }
        })
        .pid
}
