//! The BEAM side: `erl` nodes running `bench/erlang/dist_bench.erl`.
//!
//! The module is compiled with `erlc` into a temporary directory. A *server* node
//! (`dist_bench:serve/0`) holds the `sink` and `echo` that Tether and BEAM senders
//! measure against; a *driver* node (`dist_bench:driver/0`) reads commands such as
//! `small NODE N` on stdin, runs them against the sink/echo on `NODE` (the server for
//! BEAM ↔ BEAM, the Tether node for BEAM → Tether) and prints `NAME VALUE UNIT` lines
//! ending with `end`. Both register with the bench's EPMD (`ERL_EPMD_PORT`,
//! `-start_epmd false`) and halt when their stdin closes.

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use tether::Node;

use super::os_proc::Proc;

/// The Erlang source, next to this crate's manifest.
const SOURCE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/erlang/dist_bench.erl");

/// Compiles `dist_bench.erl` into `dir`.
pub fn compile(dir: &Path) -> Result<(), String> {
    let out = Command::new("erlc")
        .arg("-o")
        .arg(dir)
        .arg(SOURCE)
        .output()
        .map_err(|e| format!("cannot run erlc (install erlang-nox): {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "erlc failed: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    Ok(())
}

/// A running `erl` node.
pub struct Beam {
    /// Its node name.
    pub node: Node,
    proc: Proc,
}

/// Where and how the erl nodes run.
pub struct ErlEnv<'a> {
    /// The directory holding `dist_bench.beam`.
    pub ebin: &'a Path,
    /// The cookie.
    pub cookie: &'a str,
    /// The EPMD port.
    pub epmd_port: u16,
    /// More `erl` arguments (`-proto_dist inet_tls ...` for the TLS pairings).
    pub extra: &'a [String],
}

impl Beam {
    fn start(env: &ErlEnv<'_>, sname: &str, eval: &str, ready: &str) -> Result<Beam, String> {
        let full = tether::dist::host::full_name(sname, false).map_err(|e| e.to_string())?;
        let mut cmd = Command::new("erl");
        cmd.args(["-noshell", "-sname", sname, "-setcookie", env.cookie])
            .args(["-start_epmd", "false", "-pa"])
            .arg(env.ebin)
            .args(env.extra)
            .args(["-eval", eval])
            .env("ERL_EPMD_PORT", env.epmd_port.to_string());
        let mut proc = Proc::start(&format!("erl node {full}"), cmd)?;
        proc.wait_line(ready, Duration::from_secs(30))?;
        let node = Node::intern(&full).map_err(|e| e.to_string())?;
        Ok(Beam { node, proc })
    }

    /// A node serving `sink` and `echo`.
    pub fn server(env: &ErlEnv<'_>, sname: &str) -> Result<Beam, String> {
        Beam::start(env, sname, "dist_bench:serve()", "dist_bench serving")
    }

    /// A node that runs workloads on command.
    pub fn driver(env: &ErlEnv<'_>, sname: &str) -> Result<Beam, String> {
        Beam::start(env, sname, "dist_bench:driver()", "dist_bench driver ready")
    }

    /// Runs `workload` (`small`, `bin`, `rtt`) with `n` against `target`: its
    /// `(name, value)` lines.
    pub fn run(
        &mut self,
        workload: &str,
        target: Node,
        n: u64,
    ) -> Result<Vec<(String, f64)>, String> {
        self.proc
            .write_line(&format!("{workload} {} {n}", target.name()))?;
        let mut rows = Vec::new();
        loop {
            let line = self.proc.next_line(Duration::from_secs(300))?;
            let parts: Vec<&str> = line.split_whitespace().collect();
            match parts.as_slice() {
                ["end"] => return Ok(rows),
                ["error", ..] => return Err(format!("{workload} on {}: {line}", self.node)),
                [name, value, _unit] => {
                    let v = value
                        .parse()
                        .map_err(|_| format!("bad line from {}: {line}", self.node))?;
                    rows.push((name.to_string(), v));
                }
                _ => return Err(format!("bad line from {}: {line}", self.node)),
            }
        }
    }
}
