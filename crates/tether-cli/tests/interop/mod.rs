//! Shared harness for interop tests against real BEAM nodes (`erl`, `elixir`).
//!
//! - [`Beam`] starts `erl` (or `elixir`) with a unique `-sname`, a cookie, an optional
//!   `ERL_EPMD_PORT` and an `-eval` script; it collects stdout and stderr lines, lets a
//!   test wait for a line with a timeout, and kills the node when dropped.
//! - [`RealEpmd`] runs the real `epmd` binary on a private port, killed on drop.
//! - Names are unique per process and call ([`unique`]); ports come from the OS.
//!
//! The tests never skip: if `erl` is missing they fail and say how to install it.
//! Nodes are started with `-start_epmd false` whenever a test provides its own EPMD so
//! no stray `epmd` daemon outlives the test.
#![allow(dead_code)]

pub mod child;
#[path = "../../../tether/tests/common/eventually.rs"]
pub mod eventually;
#[path = "../../../tether/tests/common/names.rs"]
mod names;
pub mod node;
pub mod race;

pub use names::{free_port, unique};

use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};
use tokio::sync::mpsc;

/// How to get the BEAM tools: printed when they are missing.
pub const INSTALL_HINT: &str = "interop tests need Erlang/OTP and Elixir: run the test command `scripts/test.sh` \
     (it installs the Debian packages erlang-nox and elixir), or `apt-get install -y erlang-nox elixir`";

/// Finds an executable on PATH, failing the test with [`INSTALL_HINT`] if absent.
pub fn require(tool: &str) -> PathBuf {
    let path = std::env::var_os("PATH").unwrap_or_default();
    for dir in std::env::split_paths(&path) {
        let p = dir.join(tool);
        if p.is_file() {
            return p;
        }
    }
    panic!("`{tool}` not found on PATH. {INSTALL_HINT}");
}

/// The host part `erl -sname` uses: the short host name.
pub fn short_host() -> String {
    let out = std::process::Command::new("hostname")
        .output()
        .expect("run hostname");
    let h = String::from_utf8_lossy(&out.stdout).trim().to_owned();
    h.split('.').next().unwrap_or("localhost").to_owned()
}

/// How to start a BEAM node.
#[derive(Debug, Clone)]
pub struct BeamSpec {
    /// Short name (`-sname`); the full name is `{sname}@{short_host()}`.
    pub sname: String,
    /// Cookie (`-setcookie`).
    pub cookie: String,
    /// EPMD port (`ERL_EPMD_PORT`); with it, `-start_epmd false` is passed.
    pub epmd_port: Option<u16>,
    /// The `-eval` script (Erlang), or the `-e` script for Elixir.
    pub eval: String,
    /// Run `elixir --sname` instead of `erl`.
    pub elixir: bool,
    /// Extra arguments before `-eval`.
    pub args: Vec<String>,
}

impl BeamSpec {
    /// An `erl` node with a unique name derived from `prefix`.
    pub fn erl(prefix: &str, cookie: &str, epmd_port: Option<u16>, eval: &str) -> BeamSpec {
        BeamSpec {
            sname: unique(prefix),
            cookie: cookie.to_owned(),
            epmd_port,
            eval: eval.to_owned(),
            elixir: false,
            args: Vec::new(),
        }
    }

    /// The node's full name.
    pub fn node(&self) -> String {
        format!("{}@{}", self.sname, short_host())
    }
}

/// A running BEAM node, killed on drop.
pub struct Beam {
    /// The node's full name.
    pub node: String,
    child: Child,
    lines: mpsc::UnboundedReceiver<String>,
    /// Every line seen so far (for failure messages).
    pub seen: Vec<String>,
}

impl Beam {
    /// Starts the node.
    pub fn start(spec: &BeamSpec) -> Beam {
        let mut cmd = if spec.elixir {
            let mut c = Command::new(require("elixir"));
            c.args(["--sname", &spec.sname, "--cookie", &spec.cookie]);
            if spec.epmd_port.is_some() {
                c.args(["--erl", "-start_epmd false"]);
            }
            c.args(&spec.args).args(["-e", &spec.eval]);
            c
        } else {
            let mut c = Command::new(require("erl"));
            c.args([
                "-noshell",
                "-sname",
                &spec.sname,
                "-setcookie",
                &spec.cookie,
            ]);
            if spec.epmd_port.is_some() {
                c.args(["-start_epmd", "false"]);
            }
            c.args(&spec.args).args(["-eval", &spec.eval]);
            c
        };
        match spec.epmd_port {
            Some(p) => cmd.env("ERL_EPMD_PORT", p.to_string()),
            None => cmd.env_remove("ERL_EPMD_PORT"),
        };
        cmd.stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        let mut child = cmd
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start BEAM: {e}. {INSTALL_HINT}"));
        let (tx, rx) = mpsc::unbounded_channel();
        let out = child.stdout.take().expect("piped stdout");
        let err = child.stderr.take().expect("piped stderr");
        let tx2 = tx.clone();
        tokio::spawn(async move {
            let mut l = BufReader::new(out).lines();
            while let Ok(Some(line)) = l.next_line().await {
                let _ = tx.send(line);
            }
        });
        tokio::spawn(async move {
            let mut l = BufReader::new(err).lines();
            while let Ok(Some(line)) = l.next_line().await {
                let _ = tx2.send(format!("[stderr] {line}"));
            }
        });
        Beam {
            node: spec.node(),
            child,
            lines: rx,
            seen: Vec::new(),
        }
    }

    /// Waits for a line containing `needle`; panics with everything seen on timeout.
    pub async fn wait_line(&mut self, needle: &str, timeout: Duration) -> String {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            match tokio::time::timeout_at(deadline, self.lines.recv()).await {
                Ok(Some(line)) => {
                    self.seen.push(line.clone());
                    if line.contains(needle) {
                        return line;
                    }
                }
                Ok(None) => panic!(
                    "{} exited before printing {needle:?}; output:\n{}",
                    self.node,
                    self.seen.join("\n")
                ),
                Err(_) => panic!(
                    "timed out waiting for {needle:?} from {}; output:\n{}",
                    self.node,
                    self.seen.join("\n")
                ),
            }
        }
    }

    /// Kills the node now and waits for it.
    pub async fn kill(mut self) {
        let _ = self.child.kill().await;
    }
}

impl Drop for Beam {
    fn drop(&mut self) {
        let _ = self.child.start_kill();
    }
}

/// The real `epmd` binary on a private port, killed on drop.
pub struct RealEpmd {
    /// Its port.
    pub port: u16,
    child: std::process::Child,
}

impl RealEpmd {
    /// Starts `epmd -port P` in the foreground and waits until it accepts connections.
    pub async fn start() -> RealEpmd {
        let epmd = require("epmd");
        let port = free_port();
        let child = std::process::Command::new(epmd)
            .args(["-port", &port.to_string()])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start epmd");
        let me = RealEpmd { port, child };
        eventually::eventually("epmd accepts connections", || async {
            tokio::net::TcpStream::connect(("127.0.0.1", port))
                .await
                .is_ok()
        })
        .await;
        me
    }
}

impl Drop for RealEpmd {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Installs a tracing subscriber once so `tracing` output shows in test logs.
pub fn init_tracing() {
    let _ = tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "tether=debug".into()),
        )
        .with_test_writer()
        .try_init();
}
