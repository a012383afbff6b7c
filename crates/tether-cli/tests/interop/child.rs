//! A second Tether node in a child OS process, for Tether ↔ Tether tests.
//!
//! The test binary re-executes itself (`current_exe`) running only the test
//! `child_node`, with `TETHER_CHILD` in the environment; that test then runs a node
//! with the demo services (`tether node`'s `echo`, `kv`, rpc functions), plus:
//!
//! - rpc `relay:erpc/4` (`Node, M, F, Args`): the child makes an erpc call itself, so
//!   tests can drive calls from the child to the parent;
//! - optionally, at start, a ping of a given node once a given file exists (for the
//!   simultaneous-connect test) or at once.
//!
//! [`Child`] kills the process when dropped.
#![allow(dead_code)]

use std::process::Stdio;
use std::time::Duration;

use tether::dist::{self, EpmdMode, NodeConfig};
use tether::{Node, Runtime, Term};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child as Proc, Command};
use tokio::sync::mpsc;

const VAR: &str = "TETHER_CHILD";

/// A running child node.
pub struct Child {
    /// Its node.
    pub node: Node,
    proc: Proc,
    lines: mpsc::UnboundedReceiver<String>,
    seen: Vec<String>,
}

/// How to start a child.
#[derive(Default, Clone)]
pub struct ChildSpec {
    /// Cookie (default: the binary's).
    pub cookie: Option<String>,
    /// Ping this node at start ...
    pub ping: Option<String>,
    /// ... once this file exists.
    pub go_file: Option<String>,
    /// Visible instead of hidden.
    pub visible: bool,
    /// Name prefix (default `child`).
    pub prefix: Option<String>,
    /// EPMD port (default: the binary's, served by its node).
    pub epmd_port: Option<u16>,
}

impl Child {
    /// Starts a visible child node with the binary's cookie (the common case).
    pub async fn start_visible() -> Child {
        Child::start(ChildSpec {
            visible: true,
            ..Default::default()
        })
        .await
    }

    /// Starts a child node registered with our EPMD and waits until it is up.
    pub async fn start(spec: ChildSpec) -> Child {
        let name = super::unique(spec.prefix.as_deref().unwrap_or("child"));
        let cookie = spec
            .cookie
            .clone()
            .unwrap_or_else(|| super::node::COOKIE.to_owned());
        let value = [
            name.clone(),
            spec.epmd_port
                .unwrap_or_else(super::node::epmd_port)
                .to_string(),
            cookie,
            spec.ping.clone().unwrap_or_default(),
            spec.go_file.clone().unwrap_or_default(),
            spec.visible.to_string(),
        ]
        .join("|");
        let mut proc = Command::new(std::env::current_exe().unwrap())
            .args([
                "--exact",
                "child_node",
                "--include-ignored",
                "--nocapture",
                "--test-threads=1",
            ])
            .env(VAR, value)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .expect("re-execute the test binary");
        let (tx, rx) = mpsc::unbounded_channel();
        for out in [
            Box::new(proc.stdout.take().unwrap()) as Box<dyn tokio::io::AsyncRead + Unpin + Send>,
            Box::new(proc.stderr.take().unwrap()),
        ] {
            let tx = tx.clone();
            tokio::spawn(async move {
                let mut l = BufReader::new(out).lines();
                while let Ok(Some(line)) = l.next_line().await {
                    let _ = tx.send(line);
                }
            });
        }
        let full = format!("{name}@{}", super::short_host());
        let mut c = Child {
            node: Node::intern(&full).unwrap(),
            proc,
            lines: rx,
            seen: Vec::new(),
        };
        c.wait_line("child ready", super::node::T).await;
        c
    }

    /// Waits for an output line containing `needle`.
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
                _ => panic!(
                    "child {} never printed {needle:?}:\n{}",
                    self.node,
                    self.seen.join("\n")
                ),
            }
        }
    }

    /// Kills the child now.
    pub async fn kill(mut self) {
        let _ = self.proc.kill().await;
    }
}

/// The body of the `child_node` test: runs a node if asked to, else returns.
pub fn child_main() {
    let Ok(value) = std::env::var(VAR) else {
        return;
    };
    let parts: Vec<String> = value.split('|').map(str::to_owned).collect();
    let [name, epmd_port, cookie, ping, go_file, visible] = parts.as_slice() else {
        panic!("bad {VAR}: {value}");
    };
    let rt = Runtime::builder().worker_threads(2).build().unwrap();
    let (name, cookie, ping, go_file) =
        (name.clone(), cookie.clone(), ping.clone(), go_file.clone());
    let epmd_port: u16 = epmd_port.parse().unwrap();
    let visible = visible == "true";
    rt.block_on(async move {
        let mut cfg = NodeConfig::new(name)
            .cookie(cookie)
            .listen("127.0.0.1".parse().unwrap())
            .epmd(EpmdMode::External)
            .epmd_port(epmd_port);
        cfg = if visible { cfg.visible() } else { cfg.hidden() };
        let node = dist::start(cfg).await.expect("child node starts");
        tether_cli::demo::start(&node).await;
        node.rpc().register("relay", "erpc", 4, |a| async move {
            let node = Node::intern(a[0].as_atom().unwrap_or("x@y")).unwrap();
            let args = a[3].as_list().map(<[Term]>::to_vec).unwrap_or_default();
            let r = dist::erpc::call(
                node,
                a[1].as_atom().unwrap_or(""),
                a[2].as_atom().unwrap_or(""),
                args,
                super::node::T,
            )
            .await;
            r.map_err(|e| dist::Exception::Error(Term::from(e.to_string().as_str())))
        });
        println!("child ready");
        if !ping.is_empty() {
            if !go_file.is_empty() {
                super::eventually::eventually("the go file exists", || async {
                    std::path::Path::new(&go_file).exists()
                })
                .await;
            }
            let n = Node::intern(&ping).unwrap();
            let req = Term::tuple([Term::atom("is_auth"), Term::Atom(Node::local().name())]);
            let r = dist::call(("net_kernel", n), req, super::node::T).await;
            println!("child ping={r:?}");
        }
        std::future::pending::<()>().await
    });
}
