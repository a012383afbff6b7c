//! The `tether` binary against real `erl`: `tether node` serves the demo services to
//! a BEAM node (visible on request), `tether ping` and `tether rpc` reach it, `tether
//! names` lists it, and killing the `tether node` process gives `nodedown` on the
//! BEAM side.
//!
//! Needs `erl` on PATH (run the README's test command, which installs Erlang/OTP and
//! Elixir); the test fails, never skips, without it.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

const BIN: &str = env!("CARGO_BIN_EXE_tether");
const COOKIE: &str = "cli_test_cookie";
const T: Duration = Duration::from_secs(20);

struct Proc {
    child: Child,
    lines: mpsc::Receiver<String>,
    seen: Vec<String>,
}

impl Proc {
    fn start(mut cmd: Command) -> Proc {
        let mut child = cmd
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| {
                panic!(
                    "cannot start {cmd:?}: {e}. Install erl/elixir with the README's test command."
                )
            });
        let (tx, rx) = mpsc::channel();
        for out in [
            Box::new(child.stdout.take().unwrap()) as Box<dyn std::io::Read + Send>,
            Box::new(child.stderr.take().unwrap()),
        ] {
            let tx = tx.clone();
            std::thread::spawn(move || {
                for line in BufReader::new(out).lines().map_while(Result::ok) {
                    let _ = tx.send(line);
                }
            });
        }
        Proc {
            child,
            lines: rx,
            seen: Vec::new(),
        }
    }

    fn wait_line(&mut self, needle: &str) -> String {
        let deadline = std::time::Instant::now() + T;
        loop {
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(l) => {
                    self.seen.push(l.clone());
                    if l.contains(needle) {
                        return l;
                    }
                }
                Err(_) => panic!("never saw {needle:?}:\n{}", self.seen.join("\n")),
            }
        }
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn host() -> String {
    let out = Command::new("hostname").output().unwrap();
    String::from_utf8_lossy(&out.stdout)
        .trim()
        .split('.')
        .next()
        .unwrap()
        .to_owned()
}

fn tether(epmd: u16, args: &[&str]) -> Command {
    let mut c = Command::new(BIN);
    c.env("ERL_EPMD_PORT", epmd.to_string()).args(args);
    c
}

#[test]
fn tether_node_serves_erl_and_its_death_is_seen() {
    let epmd = free_port();
    let name = format!("clinode_{}", std::process::id());
    let full = format!("{name}@{}", host());
    let mut node = Proc::start(tether(
        epmd,
        &[
            "node",
            "--name",
            &name,
            "--cookie",
            COOKIE,
            "--visible",
            "--listen",
            "127.0.0.1",
        ],
    ));
    node.wait_line("up on port");

    // ping, rpc and names from the CLI.
    let out = tether(epmd, &["ping", &full, "--cookie", COOKIE])
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "pong");
    let out = tether(
        epmd,
        &["rpc", &full, "tether", "ping", "[]", "--cookie", COOKIE],
    )
    .output()
    .unwrap();
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "pong");
    let out = tether(
        epmd,
        &["rpc", &full, "erlang", "node", "--erpc", "--cookie", COOKIE],
    )
    .output()
    .unwrap();
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), full);
    let out = tether(epmd, &["names"]).output().unwrap();
    assert!(String::from_utf8_lossy(&out.stdout).contains(&name));

    // An erl node uses the services, sees the node as visible, then watches it die.
    let code = format!(
        "N = '{full}', pong = net_adm:ping(N), io:format(\"visible=~p~n\", [lists:member(N, nodes())]),
         ok = gen_server:call({{kv, N}}, {{put, a, 1}}), {{ok, 1}} = gen_server:call({{kv, N}}, {{get, a}}),
         {{echo, N}} ! {{self(), hi}}, receive hi -> io:format(\"echoed~n\") after 5000 -> timeout end,
         monitor_node(N, true), io:format(\"watching~n\"),
         receive {{nodedown, N}} -> io:format(\"nodedown~n\") after 20000 -> io:format(\"no nodedown~n\") end,
         receive after infinity -> ok end."
    );
    let mut erl = Command::new("erl");
    erl.env("ERL_EPMD_PORT", epmd.to_string()).args([
        "-noshell",
        "-sname",
        &format!("clierl_{}", std::process::id()),
        "-setcookie",
        COOKIE,
        "-start_epmd",
        "false",
        "-eval",
        &code,
    ]);
    let mut erl = Proc::start(erl);
    assert!(erl.wait_line("visible=").contains("true"));
    erl.wait_line("echoed");
    erl.wait_line("watching");
    let _ = node.child.kill();
    let l = erl.wait_line("nodedown");
    assert_eq!(l, "nodedown");
}

/// SIGTERM stops `tether node` as `init:stop/0` stops a BEAM node: it closes its
/// connections (so a peer sees `nodedown` at once, not after a tick timeout: the
/// peer's ticktime here is 10 minutes) and exits with status 0.
#[test]
fn sigterm_stops_tether_node_in_order_and_exits_0() {
    let epmd = free_port();
    let name = format!("clitermnode_{}", std::process::id());
    let full = format!("{name}@{}", host());
    let mut node = Proc::start(tether(
        epmd,
        &[
            "node",
            "--name",
            &name,
            "--cookie",
            COOKIE,
            "--listen",
            "127.0.0.1",
        ],
    ));
    node.wait_line("up on port");
    let code = format!(
        "N = '{full}', pong = net_adm:ping(N), monitor_node(N, true), io:format(\"watching~n\"),
         T0 = erlang:monotonic_time(millisecond),
         receive {{nodedown, N}} -> io:format(\"nodedown after ~p ms~n\", [erlang:monotonic_time(millisecond) - T0])
         after 30000 -> io:format(\"no nodedown~n\") end,
         receive after infinity -> ok end."
    );
    let mut erl = Command::new("erl");
    erl.env("ERL_EPMD_PORT", epmd.to_string()).args([
        "-noshell",
        "-sname",
        &format!("clitermerl_{}", std::process::id()),
        "-setcookie",
        COOKIE,
        "-start_epmd",
        "false",
        "-kernel",
        "net_ticktime",
        "600",
        "-eval",
        &code,
    ]);
    let mut erl = Proc::start(erl);
    erl.wait_line("watching");
    let term = Command::new("kill")
        .args(["-TERM", &node.child.id().to_string()])
        .status()
        .unwrap();
    assert!(term.success());
    let l = erl.wait_line("nodedown");
    assert!(l.starts_with("nodedown after"), "{l}");
    eprintln!("erl saw {l}");
    let status = node.child.wait().unwrap();
    assert_eq!(status.code(), Some(0), "{}", node.seen.join("\n"));
}

#[path = "../../tether/tests/common/certs.rs"]
mod certs;

/// `tether node` and `tether ping` over TLS distribution: a ping with the CA's
/// certificates gets `pong`, one without TLS gets `pang`, and the node logs why it
/// refused the plain peer.
#[test]
fn tether_node_and_ping_speak_tls_and_refuse_plain_peers() {
    let dir = std::env::temp_dir().join(format!("cli_tls_{}", std::process::id()));
    let ca = certs::Ca::new(&dir, "cli");
    let (node_leaf, ping_leaf) = (ca.leaf("node"), ca.leaf("ping"));
    let tls = |leaf: &certs::Leaf| {
        [
            "--tls-cert".to_string(),
            leaf.cert.display().to_string(),
            "--tls-key".to_string(),
            leaf.key.display().to_string(),
            "--tls-ca".to_string(),
            ca.cert.display().to_string(),
        ]
    };
    let epmd = free_port();
    let name = format!("clitls_{}", std::process::id());
    let full = format!("{name}@{}", host());
    let mut args = vec![
        "node",
        "--name",
        &name,
        "--cookie",
        COOKIE,
        "--listen",
        "127.0.0.1",
    ]
    .into_iter()
    .map(String::from)
    .collect::<Vec<_>>();
    args.extend(tls(&node_leaf));
    let mut node = Proc::start(tether(
        epmd,
        &args.iter().map(String::as_str).collect::<Vec<_>>(),
    ));
    node.wait_line("up on port");

    let mut ping = vec![
        "ping".to_string(),
        full.clone(),
        "--cookie".into(),
        COOKIE.into(),
    ];
    ping.extend(tls(&ping_leaf));
    let out = tether(epmd, &ping.iter().map(String::as_str).collect::<Vec<_>>())
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "pong");

    let out = tether(epmd, &["ping", &full, "--cookie", COOKIE])
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "pang");
    node.wait_line("TLS handshake failed");
    let _ = std::fs::remove_dir_all(&dir);
}

/// Bad `--discover` and `--net-ticktime` arguments stop `tether node` before it
/// starts, with a message naming what is wrong and a failing exit code.
#[test]
fn node_refuses_bad_discovery_and_ticktime_arguments() {
    for (args, says) in [
        (&["--discover", "gossiping"][..], "unknown discovery"),
        (
            &["--discover", "gossip:x"][..],
            "gossip: expected KEY=VALUE",
        ),
        (&["--discover", "gossip:port=many"][..], "gossip: bad port"),
        (&["--discover", "dns:no-basename"][..], "basename@name"),
        (&["--discover", "epmd:not-a-node"][..], "epmd:"),
        (&["--net-ticktime", "0"][..], "net-ticktime"),
    ] {
        let out = Command::new(BIN)
            .args(["node", "--name", "refused", "--cookie", COOKIE])
            .args(args)
            .stdin(Stdio::null())
            .output()
            .expect("run tether node");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{args:?} was accepted");
        assert!(stderr.contains(says), "{args:?}: {stderr}");
    }
}

/// `tether node --net-ticktime 1` takes down a connection whose peer went silent:
/// the peer is a raw socket that completes the handshake (the `wire` feature's
/// handshake module) and then never writes; the node closes it. With the default
/// ticktime (60 s) the node would keep it far longer than this test waits.
#[test]
fn tether_node_drops_a_peer_silent_past_its_net_ticktime() {
    use std::sync::Arc;
    use tether::dist::handshake::{self, AcceptAll};
    use tether::dist::{Cookie, Cookies, HandshakeConfig, NodeName};
    use tokio::io::AsyncReadExt;

    let epmd = free_port();
    let name = format!("ticky_{}", std::process::id());
    let full = format!("{name}@{}", host());
    let mut node = Proc::start(tether(
        epmd,
        &[
            "node",
            "--name",
            &name,
            "--cookie",
            COOKIE,
            "--listen",
            "127.0.0.1",
            "--net-ticktime",
            "1",
        ],
    ));
    let line = node.wait_line("up on port");
    let port: u16 = line
        .split("up on port ")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|p| p.parse().ok())
        .unwrap_or_else(|| panic!("no port in {line:?}"));
    let rt = tokio::runtime::Runtime::new().unwrap();
    let closed = rt.block_on(async move {
        let cookies = Arc::new(Cookies::new(Cookie::new(COOKIE).unwrap()));
        let me = NodeName::parse(&format!("silent_{}@{}", std::process::id(), host())).unwrap();
        let cfg = HandshakeConfig::new(me, 0x5151_5151, cookies).hidden();
        let stream = tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .unwrap();
        let peer = NodeName::parse(&full).unwrap();
        let mut hs = handshake::connect(stream, &cfg, &peer, &AcceptAll)
            .await
            .expect("handshake with tether node");
        // Read (the node's ticks arrive) but never write, until the node hangs up.
        let until_closed = async {
            let mut buf = [0u8; 256];
            loop {
                match hs.stream.read(&mut buf).await {
                    Ok(0) | Err(_) => return true,
                    Ok(_) => {}
                }
            }
        };
        tokio::time::timeout(Duration::from_secs(30), until_closed).await
    });
    assert_eq!(closed, Ok(true), "the node kept the silent peer");
    node.wait_line("net_tick_timeout");
}

/// One HTTP/1.1 request over a fresh loopback connection: the status code and body.
fn http(addr: &str, method: &str, path: &str, headers: &[&str]) -> (u16, String) {
    use std::io::{Read, Write};
    let mut s = std::net::TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(T)).unwrap();
    let mut req = format!("{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n");
    for h in headers {
        req.push_str(h);
        req.push_str("\r\n");
    }
    req.push_str("Content-Length: 0\r\n\r\n");
    s.write_all(req.as_bytes()).unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).unwrap();
    let status = out[9..12].parse().unwrap();
    let body = out
        .split_once("\r\n\r\n")
        .map_or("", |(_, b)| b)
        .to_string();
    (status, body)
}

/// `tether node --observer 127.0.0.1:0` serves the observer on a free port it prints:
/// the page, the process table (which lists `kv`), a process page, `/metrics`; a kill
/// without the observer's header is refused, and bad pids get a clear 400; SIGTERM
/// still stops the node (exit 0) while a page's event stream is open.
#[test]
fn tether_node_serves_the_observer() {
    let epmd = free_port();
    let name = format!("observed_{}", std::process::id());
    let mut node = Proc::start(tether(
        epmd,
        &[
            "node",
            "--name",
            &name,
            "--cookie",
            COOKIE,
            "--listen",
            "127.0.0.1",
            "--observer",
            "127.0.0.1:0",
        ],
    ));
    let line = node.wait_line("observer at http://");
    let addr = line
        .trim_start_matches("observer at http://")
        .trim_end_matches('/')
        .to_string();

    let (status, page) = http(&addr, "GET", "/", &[]);
    assert_eq!(status, 200);
    assert!(page.contains("<title>Tether observer</title>"), "{page}");
    assert!(
        !page.contains("http://") && !page.contains("https://"),
        "the page loads nothing from the network"
    );

    let (status, body) = http(
        &addr,
        "GET",
        "/api/processes?search=kv&sort=memory&desc=true",
        &[],
    );
    assert_eq!(status, 200, "{body}");
    let page: serde_json::Value = serde_json::from_str(&body).unwrap();
    let kv = page["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["registered_name"] == "kv")
        .unwrap_or_else(|| panic!("kv listed: {body}"));
    let pid = kv["pid"]
        .as_str()
        .unwrap()
        .trim_matches(['<', '>'])
        .to_string();

    let (status, body) = http(&addr, "GET", &format!("/api/process/{pid}"), &[]);
    assert_eq!(status, 200, "{body}");
    let detail: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(detail["registered_name"], "kv");
    assert!(
        detail["links"].as_array().is_some_and(|l| !l.is_empty()),
        "kv is linked to its supervisor: {body}"
    );

    let (status, body) = http(&addr, "GET", "/metrics", &[]);
    assert_eq!(status, 200);
    assert!(body.contains("tether_processes "), "{body}");

    let (status, body) = http(&addr, "POST", &format!("/api/process/{pid}/kill"), &[]);
    assert_eq!(status, 403, "a kill without the header is refused: {body}");
    assert!(body.contains("x-tether-observer"), "{body}");
    let (status, body) = http(&addr, "GET", "/api/process/not-a-pid", &[]);
    assert_eq!(status, 400);
    assert!(body.contains("bad pid"), "{body}");
    let (status, _) = http(&addr, "GET", "/api/process/0.999999.7", &[]);
    assert_eq!(status, 404);
    let (status, body) = http(&addr, "GET", "/api/processes?sort=colour", &[]);
    assert_eq!(status, 400, "{body}");
    assert!(body.contains("bad query"), "{body}");

    // An open event stream does not keep the node from stopping on SIGTERM.
    let mut sse = std::net::TcpStream::connect(&addr).unwrap();
    std::io::Write::write_all(&mut sse, b"GET /api/events HTTP/1.1\r\nHost: o\r\n\r\n").unwrap();
    let term = Command::new("kill")
        .args(["-TERM", &node.child.id().to_string()])
        .status()
        .unwrap();
    assert!(term.success());
    let (tx, rx) = mpsc::channel();
    let mut child = std::mem::replace(&mut node.child, Command::new("true").spawn().unwrap());
    std::thread::spawn(move || {
        let _ = tx.send(child.wait());
    });
    let status = rx
        .recv_timeout(T)
        .expect("tether node exits on SIGTERM")
        .unwrap();
    assert_eq!(status.code(), Some(0), "{}", node.seen.join("\n"));
}
