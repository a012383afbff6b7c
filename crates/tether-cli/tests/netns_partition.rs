//! A cluster that forms itself and heals after a partition, with each node in a
//! network namespace of its own, as pods are: its own IP, its own EPMD on port 4369,
//! and the same short name `app` on every node (`app@10.a.b.11`, ...).
//!
//! Two `tether node` processes and two `erl` nodes share a bridge. The Tether nodes
//! find the cluster by polling a DNS name's A records (libcluster's DNSPoll, served
//! by a DNS server this test runs on the bridge), as they would a Kubernetes
//! headless service; the `erl` nodes run no discovery and are found. Then the
//! network is cut in two ({Tether 1, erl 1} | {Tether 2, erl 2}) with blackhole
//! routes; both sides notice within the tick time; during the partition each side
//! registers the same global name and joins a pg group; the cut heals; discovery
//! re-forms the cluster; `global` resolves the name conflict as OTP 25 does (one
//! registrant killed, every node agreeing on the other); pg converges; messages sent
//! after the heal all arrive; the Tether nodes' supervisors were untouched.
//!
//! The test observes and drives the nodes from a hidden Tether node in this process
//! (on the bridge), through rpc and the `erl` nodes' agents. It needs root (network
//! namespaces) and iproute2, which the test command installs; it fails, never skips,
//! without them.

mod interop;

#[path = "../../tether/tests/common/dns_server.rs"]
mod dns_server;

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::process::Stdio;
use std::time::{Duration, Instant};

use interop::eventually::eventually_some;
use interop::node::{AGENT, eval};
use interop::{free_port, init_tracing};
use tether::dist::{self, EpmdMode, NodeConfig};
use tether::{Node, Runtime, Term};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::Child;

const BIN: &str = env!("CARGO_BIN_EXE_tether");
const COOKIE: &str = "netns_partition_cookie";
/// `net_ticktime` of every node, seconds.
const TICK: u64 = 4;
/// The distribution port every node listens on (each in its own namespace).
const DIST_PORT: u16 = 9100;
const QUERY: &str = "nodes.tether.test";

/// Runs `ip ARGS`, failing the test with its stderr.
fn ip(args: &[&str]) {
    let out = std::process::Command::new("ip")
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("cannot run `ip` ({e}): the test command installs iproute2"));
    assert!(
        out.status.success(),
        "ip {}: {}",
        args.join(" "),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A bridge in this namespace with an address, and one namespace per node joined to
/// it by a veth pair. Everything is removed (and every process left in the
/// namespaces killed) when dropped.
struct Net {
    bridge: String,
    namespaces: Vec<String>,
    prefix: [u8; 3],
}

impl Net {
    fn new(nodes: usize) -> Net {
        let uid = std::process::Command::new("id").arg("-u").output().unwrap();
        assert_eq!(
            String::from_utf8_lossy(&uid.stdout).trim(),
            "0",
            "network namespaces need root (CI runs the test command as root)"
        );
        // Unique per test in this OS process, and across test processes.
        static NEXT: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
        let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed) % 10;
        let id = std::process::id() % 1000 * 10 + n;
        let prefix = [10, 200 + (id % 50) as u8, (id / 50 % 200) as u8];
        let net = Net {
            bridge: format!("tb{id}"),
            namespaces: (1..=nodes).map(|i| format!("tn{id}_{i}")).collect(),
            prefix,
        };
        let me = net.addr(0).to_string();
        ip(&["link", "add", &net.bridge, "type", "bridge"]);
        ip(&["addr", "add", &format!("{me}/24"), "dev", &net.bridge]);
        ip(&["link", "set", &net.bridge, "up"]);
        for (i, ns) in net.namespaces.iter().enumerate() {
            let (outer, inner) = (format!("tv{id}_{}a", i + 1), format!("tv{id}_{}b", i + 1));
            ip(&["netns", "add", ns]);
            ip(&[
                "link", "add", &outer, "type", "veth", "peer", "name", &inner,
            ]);
            ip(&["link", "set", &outer, "master", &net.bridge]);
            ip(&["link", "set", &outer, "up"]);
            ip(&["link", "set", &inner, "netns", ns]);
            let addr = format!("{}/24", net.addr(i + 1));
            ip(&["-n", ns, "addr", "add", &addr, "dev", &inner]);
            ip(&["-n", ns, "link", "set", &inner, "up"]);
            ip(&["-n", ns, "link", "set", "lo", "up"]);
            // Multicast (gossip) goes out on the bridge.
            ip(&["-n", ns, "route", "add", "224.0.0.0/4", "dev", &inner]);
        }
        net
    }

    /// The address of node `i` (1-based), or of this namespace's end of the bridge (0).
    fn addr(&self, i: usize) -> Ipv4Addr {
        let [a, b, c] = self.prefix;
        Ipv4Addr::new(a, b, c, if i == 0 { 1 } else { 10 + i as u8 })
    }

    fn node_name(&self, i: usize) -> String {
        format!("app@{}", self.addr(i))
    }

    /// A command that runs `program` in node `i`'s namespace.
    fn command(&self, i: usize, program: &str) -> tokio::process::Command {
        let mut c = tokio::process::Command::new("ip");
        c.args(["netns", "exec", &self.namespaces[i - 1], program]);
        c
    }

    /// Cuts every node of `a` off from every node of `b`, both ways (blackhole
    /// routes: packets between the sides are dropped, this namespace still reaches
    /// everyone).
    fn cut(&self, a: &[usize], b: &[usize]) {
        self.routes("add", a, b);
    }

    fn heal(&self, a: &[usize], b: &[usize]) {
        self.routes("del", a, b);
    }

    fn routes(&self, op: &str, a: &[usize], b: &[usize]) {
        for (from, to) in [(a, b), (b, a)] {
            for &i in from {
                for &j in to {
                    let dst = format!("{}/32", self.addr(j));
                    ip(&[
                        "-n",
                        &self.namespaces[i - 1],
                        "route",
                        op,
                        "blackhole",
                        &dst,
                    ]);
                }
            }
        }
    }
}

impl Drop for Net {
    fn drop(&mut self) {
        for ns in &self.namespaces {
            if let Ok(out) = std::process::Command::new("ip")
                .args(["netns", "pids", ns])
                .output()
            {
                for pid in String::from_utf8_lossy(&out.stdout).split_whitespace() {
                    let _ = std::process::Command::new("kill")
                        .args(["-9", pid])
                        .status();
                }
            }
            let _ = std::process::Command::new("ip")
                .args(["netns", "del", ns])
                .status();
        }
        let _ = std::process::Command::new("ip")
            .args(["link", "del", &self.bridge])
            .status();
    }
}

/// Spawns `cmd` and waits for a line of its output containing `ready`; its output is
/// then drained (and echoed with `label`, for failures).
async fn start(mut cmd: tokio::process::Command, label: String, ready: &str) -> Child {
    cmd.stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    let mut child = cmd.spawn().expect("start a node");
    let mut out = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut err = BufReader::new(child.stderr.take().unwrap()).lines();
    let l2 = label.clone();
    tokio::spawn(async move {
        while let Ok(Some(l)) = err.next_line().await {
            if l.contains("panicked") {
                PANICS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            }
            eprintln!("[{l2}] {l}");
        }
    });
    let up = tokio::time::timeout(Duration::from_secs(60), async {
        while let Ok(Some(l)) = out.next_line().await {
            eprintln!("[{label}] {l}");
            if l.contains(ready) {
                return true;
            }
        }
        false
    })
    .await;
    assert_eq!(up, Ok(true), "{label} did not print {ready:?}");
    tokio::spawn(async move {
        while let Ok(Some(l)) = out.next_line().await {
            if l.contains("panicked") {
                PANICS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            }
            eprintln!("[{label}] {l}");
            LINES
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .push(format!("[{label}] {l}"));
        }
    });
    child
}

/// `erlang:nodes()` of `n`, as names (`None` if `n` does not answer).
async fn nodes_of(n: Node) -> Option<Vec<String>> {
    let r = dist::rpc::call(n, "erlang", "nodes", vec![], Duration::from_secs(3)).await;
    let mut names: Vec<String> = r
        .ok()?
        .as_list()?
        .iter()
        .filter_map(|t| t.as_atom().map(str::to_owned))
        .collect();
    names.sort();
    Some(names)
}

async fn rpc(n: Node, m: &str, f: &str, args: Vec<Term>) -> Option<Term> {
    dist::rpc::call(n, m, f, args, Duration::from_secs(3))
        .await
        .ok()
}

/// `tether node` as node `i`: named `app@IP`, discovering the cluster by polling
/// the A records of [`QUERY`] at `dns`.
async fn tether_node(net: &Net, i: usize, dns: SocketAddr) -> Child {
    let dns_poll = format!("dns:app@{QUERY}");
    let server = dns.to_string();
    tether_node_with(net, i, &["--discover", &dns_poll, "--dns-server", &server]).await
}

/// `tether node` as node `i`, discovering with `discovery` (`--discover ...` args).
async fn tether_node_with(net: &Net, i: usize, discovery: &[&str]) -> Child {
    let mut c = net.command(i, BIN);
    let me = net.addr(i).to_string();
    c.args(["node", "--name", &net.node_name(i), "--long-names"])
        .args(["--cookie", COOKIE, "--listen", &me])
        .args(["--port", &DIST_PORT.to_string()])
        .args(["--net-ticktime", &TICK.to_string()])
        .args(discovery)
        .args(["--discover-interval", "1"]);
    start(c, format!("tether{i}"), " up on port ").await
}

/// `erl` as node `i`, running the test agent; it runs no discovery of its own.
async fn erl_node(net: &Net, i: usize) -> Child {
    erl_node_running(net, i, AGENT, "agent ready").await
}

/// `erl` as node `i`, evaluating `script`; returns once it printed `ready`.
async fn erl_node_running(net: &Net, i: usize, script: &str, ready: &str) -> Child {
    let mut c = net.command(i, "erl");
    let [a, b, cc, d] = net.addr(i).octets();
    c.args(["-noshell", "-name", &net.node_name(i), "-setcookie", COOKIE])
        .args(["-kernel", "net_ticktime", &TICK.to_string()])
        .args(["-kernel", "start_pg", "true"])
        .args(["-kernel", "inet_dist_listen_min", &DIST_PORT.to_string()])
        .args(["-kernel", "inet_dist_listen_max", &DIST_PORT.to_string()])
        .args([
            "-kernel",
            "inet_dist_use_interface",
            &format!("{{{a},{b},{cc},{d}}}"),
        ])
        .args(["-eval", script]);
    start(c, format!("erl{i}"), ready).await
}

/// The test's own node: hidden, on the bridge, reaching each of the `n` nodes
/// directly at its address.
async fn observer(net: &Net, n: usize) -> dist::DistNode {
    let mut cfg = NodeConfig::new(format!("ctl@{}", net.addr(0)))
        .long_names(true)
        .hidden()
        .cookie(COOKIE)
        .listen(IpAddr::V4(net.addr(0)))
        .epmd(EpmdMode::Embedded)
        .epmd_port(free_port())
        // The nodes' tick time: a node drops a peer that ticks less often.
        .net_ticktime(Duration::from_secs(TICK));
    for i in 1..=n {
        cfg = cfg.peer_address(
            &net.node_name(i),
            SocketAddr::from((net.addr(i), DIST_PORT)),
        );
    }
    dist::start(cfg).await.expect("start the observer node")
}

#[test]
fn a_partitioned_cluster_heals_and_resolves_as_otp_does() {
    init_tracing();
    let net = Net::new(4);
    let dns = dns_server::DnsServer::start_on(net.addr(0));
    dns.set_a(QUERY, &(1..=4).map(|i| net.addr(i)).collect::<Vec<_>>());
    let rt = Runtime::builder().worker_threads(2).build().unwrap();
    rt.block_on(async move {
        // Nodes 1 and 3 are Tether, 2 and 4 erl; side A = {1, 2}, side B = {3, 4}.
        let mut children = Vec::new();
        for i in [1, 3] {
            children.push(tether_node(&net, i, dns.addr()).await);
        }
        for i in [2, 4] {
            children.push(erl_node(&net, i).await);
        }

        let _ctl = observer(&net, 4).await;
        let node = |i: usize| Node::intern(&net.node_name(i)).unwrap();
        let others = |i: usize| -> Vec<String> {
            let mut v: Vec<String> = (1..=4).filter(|j| *j != i).map(|j| net.node_name(j)).collect();
            v.sort();
            v
        };
        let all_see_all = || async {
            for i in 1..=4 {
                if nodes_of(node(i)).await != Some(others(i)) {
                    return None;
                }
            }
            Some(())
        };

        // 1. The cluster forms through DNS polling.
        eventually_some("every node sees the three others", all_see_all).await;
        let kv_before = rpc(node(1), "erlang", "whereis", vec![Term::atom("kv")]).await;
        assert!(matches!(kv_before, Some(Term::Pid(_))), "{kv_before:?}");

        // 2. The partition is noticed on both sides within the tick time: every node
        // is polled until it sees only its own side, each time noted.
        let cut_at = Instant::now();
        net.cut(&[1, 2], &[3, 4]);
        let side = |i: usize| vec![net.node_name(if i % 2 == 1 { i + 1 } else { i - 1 })];
        let mut noticed: [Option<Duration>; 4] = [None; 4];
        while noticed.iter().any(Option::is_none) {
            assert!(
                cut_at.elapsed() < Duration::from_secs(TICK * 4),
                "the partition is not noticed: {noticed:?}"
            );
            for i in 1..=4 {
                if noticed[i - 1].is_none() && nodes_of(node(i)).await == Some(side(i)) {
                    noticed[i - 1] = Some(cut_at.elapsed());
                }
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        eprintln!("partition noticed (net_ticktime {TICK} s): {noticed:?}");
        for (i, t) in noticed.iter().enumerate() {
            // OTP drops a silent peer after 4 to 5 tick intervals of T/4: T to 1.25 T.
            let t = t.unwrap();
            assert!(
                t < Duration::from_millis(TICK * 1000 * 3 / 2),
                "node {} noticed the partition only after {t:?}",
                i + 1
            );
        }

        // 3. Each side registers the same global name and joins one pg group.
        let mut registrants = Vec::new();
        let mut members = Vec::new();
        for i in [2, 4] {
            let code = "P = spawn(fun() -> receive stop -> ok end end), yes = global:register_name(dup, P), \
                 Q = spawn(fun() -> receive stop -> ok end end), ok = pg:join(grp, Q), {P, Q}.";
            let got = eval(node(i), code).await;
            let [Term::Pid(p), Term::Pid(q)] = got.as_tuple().unwrap() else {
                panic!("{got}")
            };
            registrants.push(*p);
            members.push(*q);
        }
        // The Tether node of each side learns its side's registration.
        for (t, p) in [(1, registrants[0]), (3, registrants[1])] {
            eventually_some(&format!("node {t} sees its side's dup"), || async {
                (rpc(node(t), "global", "whereis_name", vec![Term::atom("dup")]).await
                    == Some(Term::Pid(p)))
                .then_some(())
            })
            .await;
        }

        // 4. The cut heals; discovery re-forms the cluster.
        net.heal(&[1, 2], &[3, 4]);
        eventually_some("every node sees the three others again", all_see_all).await;

        // global: every node agrees on one registrant; the other was killed.
        let winner = eventually_some("every node agrees on dup", || async {
            let mut seen = Vec::new();
            for i in 1..=4 {
                seen.push(rpc(node(i), "global", "whereis_name", vec![Term::atom("dup")]).await?);
            }
            let first = seen[0].clone();
            (seen.iter().all(|s| *s == first) && matches!(first, Term::Pid(_))).then_some(first)
        })
        .await;
        let Term::Pid(winner) = winner else { unreachable!() };
        assert!(registrants.contains(&winner), "{winner} is one of {registrants:?}");
        let loser = *registrants.iter().find(|p| **p != winner).unwrap();
        let loser_home = if loser == registrants[0] { 2 } else { 4 };
        eventually_some("the other registrant is killed", || async {
            let alive = rpc(node(loser_home), "erlang", "is_process_alive", vec![Term::Pid(loser)]).await;
            (alive == Some(Term::from(false))).then_some(())
        })
        .await;

        // pg: both sides' members on every node.
        let mut want: Vec<Term> = members.iter().map(|p| Term::Pid(*p)).collect();
        want.sort_by_key(|t| t.to_string());
        for i in 1..=4 {
            eventually_some(&format!("node {i} has both grp members"), || async {
                let got = rpc(node(i), "pg", "get_members", vec![Term::atom("grp")]).await?;
                let mut got = got.as_list()?.to_vec();
                got.sort_by_key(|t| t.to_string());
                (got == want).then_some(())
            })
            .await;
        }

        // 5. Messages sent after the heal all arrive, across the former cut both ways:
        // erl 2 (side A) calls Tether 3's kv (side B) 200 times, and erl 4 (side B)
        // sends 200 messages through Tether 1's echo (side A) and gets each back.
        let t3 = net.node_name(3);
        let code = format!(
            "lists:foldl(fun(I, N) -> ok = gen_server:call({{kv, '{t3}'}}, {{put, I, I}}), N + 1 end, 0, lists:seq(1, 200))."
        );
        assert_eq!(eval(node(2), &code).await, Term::from(200));
        let code = format!(
            "[{{ok, I}} = gen_server:call({{kv, '{t3}'}}, {{get, I}}) || I <- lists:seq(1, 200)], done."
        );
        assert_eq!(eval(node(4), &code).await, Term::atom("done"));
        let t1 = net.node_name(1);
        let code = format!(
            "[{{echo, '{t1}'}} ! {{self(), I}} || I <- lists:seq(1, 200)], \
             [receive I -> ok after 5000 -> exit({{lost, I}}) end || I <- lists:seq(1, 200)], done."
        );
        assert_eq!(eval(node(4), &code).await, Term::atom("done"));

        // The Tether node's supervision tree was untouched by the partition.
        let kv_after = rpc(node(1), "erlang", "whereis", vec![Term::atom("kv")]).await;
        assert_eq!(kv_after, kv_before);
        drop(children);
    });
}

/// Every line the nodes printed after they were up, labelled (kept by [`start`]'s
/// readers).
static LINES: std::sync::Mutex<Vec<String>> = std::sync::Mutex::new(Vec::new());

/// Lines with "panicked" printed by the nodes (counted by [`start`]'s readers).
static PANICS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

/// The resident set of OS process `pid`, in KiB.
fn rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
        .unwrap_or(0)
}

/// The load an `erl` node puts on one Tether node: `{echo, T} ! {self(), Seq}` and
/// wait for `Seq` back, over and over, only while `T` is connected. Each message
/// ends one of three ways: its reply came (`ok`), the node went down first (`down`:
/// a nodedown arrived, so the loss is announced), or neither within 10 s (`lost`).
const LOADER: &str = r#"
Load = fun(Name, T) ->
    register(Name, spawn(fun() ->
        L = fun L(Seq, Ok, Down, Lost) ->
            receive {report, From} -> From ! {Name, Ok, Down, Lost}, L(Seq, Ok, Down, Lost)
            after 0 ->
                case lists:member(T, nodes()) of
                    false -> receive after 50 -> ok end, L(Seq, Ok, Down, Lost);
                    true ->
                        erlang:monitor_node(T, true),
                        {echo, T} ! {self(), Seq},
                        Wait = fun W() ->
                            receive
                                Seq -> erlang:monitor_node(T, false), ok;
                                Old when is_integer(Old), Old < Seq -> W();
                                {nodedown, T} -> down
                            after 10000 -> lost
                            end
                        end,
                        case Wait() of
                            ok -> L(Seq + 1, Ok + 1, Down, Lost);
                            down -> L(Seq + 1, Ok, Down + 1, Lost);
                            lost -> erlang:monitor_node(T, false), L(Seq + 1, Ok, Down, Lost + 1)
                        end
                end
            end
        end,
        L(1, 0, 0, 0)
    end))
end,
"#;

/// The soak of the cluster: two `tether node`s and an `erl` node in namespaces,
/// the `erl` node loading both Tether nodes without pause, for
/// `TETHER_SOAK_SECS` (default 600): every minute Tether node 2 is killed and
/// started again, and at the half minute Tether node 1 is cut off for 10 s. At the
/// end: no panic, every message sent while connected answered or announced lost by
/// a nodedown, and Tether node 1's resident set within 10 % of what it was after
/// the first minute.
///
/// `TETHER_SOAK_SECS=600 cargo test -p tether-cli --test netns_partition soak -- --ignored --nocapture`
#[test]
#[ignore = "a 10-minute soak: run by hand (see the docs)"]
fn soak_under_load_with_kills_and_partitions() {
    init_tracing();
    let secs: u64 = std::env::var("TETHER_SOAK_SECS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(600);
    let net = Net::new(3);
    let dns = dns_server::DnsServer::start_on(net.addr(0));
    dns.set_a(QUERY, &(1..=3).map(|i| net.addr(i)).collect::<Vec<_>>());
    let rt = Runtime::builder().worker_threads(2).build().unwrap();
    rt.block_on(async move {
        let t1 = tether_node(&net, 1, dns.addr()).await;
        let mut t2 = Some(tether_node(&net, 2, dns.addr()).await);
        let _e = erl_node(&net, 3).await;
        let _ctl = observer(&net, 3).await;
        let node = |i: usize| Node::intern(&net.node_name(i)).unwrap();
        eventually_some("the three nodes see each other", || async {
            for i in 1..=3 {
                if nodes_of(node(i)).await.map(|v| v.len()) != Some(2) {
                    return None;
                }
            }
            Some(())
        })
        .await;
        let (n1, n2) = (net.node_name(1), net.node_name(2));
        let code = format!("{LOADER} Load(soak_1, '{n1}'), Load(soak_2, '{n2}'), started.");
        assert_eq!(eval(node(3), &code).await, Term::atom("started"));

        let pid1 = t1.id().expect("tether node 1 runs");
        let began = Instant::now();
        let mut rss_after_warmup = None;
        let mut minute = 0;
        while began.elapsed() < Duration::from_secs(secs) {
            tokio::time::sleep(Duration::from_secs(30)).await;
            let t = began.elapsed().as_secs();
            if (t / 30) % 2 == 1 {
                // Half past: cut node 1 off for 10 s.
                net.cut(&[1], &[2, 3]);
                tokio::time::sleep(Duration::from_secs(10)).await;
                net.heal(&[1], &[2, 3]);
            } else {
                // On the minute: kill node 2 and start it again.
                minute += 1;
                if minute == 1 {
                    rss_after_warmup = Some(rss_kib(pid1));
                }
                drop(t2.take());
                tokio::time::sleep(Duration::from_secs(2)).await;
                t2 = Some(tether_node(&net, 2, dns.addr()).await);
            }
            eprintln!(
                "soak: {t} s, node 1 RSS {} KiB, panics {}",
                rss_kib(pid1),
                PANICS.load(std::sync::atomic::Ordering::Relaxed)
            );
        }
        // Let the last disturbance settle, then collect the counts.
        tokio::time::sleep(Duration::from_secs(15)).await;
        let code = "soak_1 ! {report, self()}, soak_2 ! {report, self()}, \
             [receive {N, O, D, L} -> {N, O, D, L} after 15000 -> timeout end || _ <- [1, 2]].";
        let report = eval(node(3), code).await;
        let rss_end = rss_kib(pid1);
        let rss_start = rss_after_warmup.expect("ran at least a minute");
        eprintln!(
            "soak done after {:?}: {report}; node 1 RSS {rss_start} KiB after the first minute, {rss_end} KiB at the end; panics {}",
            began.elapsed(),
            PANICS.load(std::sync::atomic::Ordering::Relaxed)
        );
        for r in report.as_list().expect("two reports") {
            let [name, ok, _down, lost] = r.as_tuple().expect("a report") else {
                panic!("{report}")
            };
            assert!(ok.as_i64().unwrap() > 1000, "{name}: too little load ran: {report}");
            assert_eq!(lost.as_i64(), Some(0), "{name}: messages lost without a nodedown: {report}");
        }
        assert_eq!(PANICS.load(std::sync::atomic::Ordering::Relaxed), 0);
        let drift = rss_end as f64 / rss_start as f64 - 1.0;
        assert!(drift.abs() < 0.10, "RSS drifted {:.1} %", drift * 100.0);
    });
}

/// An `erl` node gossiping as libcluster's `Cluster.Strategy.Gossip` does with the
/// secret `SECRET`: the same socket options, packets and cipher (written here in
/// plain Erlang, as libcluster is not installed), heartbeats at random intervals
/// up to a second (libcluster's are up to 5 s); a node heard is connected.
const GOSSIP_ERL: &str = r#"
Key = crypto:hash(sha256, <<"SECRET">>),
{ok, S} = gen_udp:open(45892, [binary, {active, true}, {ip, {0,0,0,0}}, {reuseaddr, true},
    {broadcast, true}, {multicast_ttl, 1}, {multicast_loop, true},
    {add_membership, {{230,1,1,251}, {0,0,0,0}}}]),
Pad = fun(M) -> N = 16 - (byte_size(M) rem 16), <<M/binary, (binary:copy(<<N>>, N))/binary>> end,
Unpad = fun(M) ->
    N = binary:last(M), Sz = byte_size(M),
    case N =< 16 andalso N > 0 andalso binary:part(M, Sz, -N) =:= binary:copy(<<N>>, N) of
        true -> {ok, binary:part(M, 0, Sz - N)};
        false -> error
    end end,
Beat = fun() ->
    IV = crypto:strong_rand_bytes(16),
    Msg = <<"heartbeat::", (term_to_binary(#{node => node()}))/binary>>,
    <<IV/binary, (crypto:crypto_one_time(aes_256_cbc, Key, IV, Pad(Msg), true))/binary>> end,
Self = node(),
io:format("gossip ready~n"),
Loop = fun L() ->
    receive
        {udp, _, _, _, <<IV:16/binary, Ct/binary>>} when Ct =/= <<>>, byte_size(Ct) rem 16 =:= 0 ->
            case catch Unpad(crypto:crypto_one_time(aes_256_cbc, Key, IV, Ct, false)) of
                {ok, <<"heartbeat::", T/binary>>} ->
                    case catch binary_to_term(T) of
                        #{node := Self} -> ok;
                        #{node := N} when is_atom(N) -> io:format("heard ~s~n", [N]), net_kernel:connect_node(N);
                        _ -> ok
                    end;
                _ -> ok
            end,
            L();
        {udp, _, _, _, _} -> L();
        beat ->
            ok = gen_udp:send(S, {230,1,1,251}, 45892, Beat()),
            erlang:send_after(rand:uniform(1000), self(), beat),
            L()
    end
end,
self() ! beat,
Loop().
"#;

/// libcluster's gossip between a Tether node and `erl` nodes in namespaces on one
/// bridge: the nodes that share the secret find each other (in both directions:
/// each hears the other's heartbeats), the node with another secret hears nothing
/// it can read and stays alone.
#[test]
fn gossip_with_libclusters_packets_finds_the_nodes_that_share_the_secret() {
    init_tracing();
    let net = Net::new(3);
    let rt = Runtime::builder().worker_threads(2).build().unwrap();
    rt.block_on(async move {
        let _t = tether_node_with(
            &net,
            1,
            &["--discover", "gossip:secret=SECRET,heartbeat_ms=1000"],
        )
        .await;
        // erl 2 only reports what it hears: the connection, when it comes, is the
        // Tether node's doing, so each direction is shown on its own.
        let listener = GOSSIP_ERL.replace("net_kernel:connect_node(N)", "ok");
        let _e2 = erl_node_running(&net, 2, &listener, "gossip ready").await;
        let other = GOSSIP_ERL.replace("<<\"SECRET\">>", "<<\"another secret\">>");
        let _e3 = erl_node_running(&net, 3, &other, "gossip ready").await;
        let _ctl = observer(&net, 3).await;
        let node = |i: usize| Node::intern(&net.node_name(i)).unwrap();
        let (n1, n2) = (net.node_name(1), net.node_name(2));
        eventually_some("the Tether node and erl 2 find each other", || async {
            let one = nodes_of(node(1)).await? == vec![n2.clone()];
            let two = nodes_of(node(2)).await? == vec![n1.clone()];
            (one && two).then_some(())
        })
        .await;
        // erl 2 read the Tether node's encrypted heartbeats.
        let heard = format!("[erl2] heard {n1}");
        eventually_some("erl 2 hears the Tether node", || async {
            let lines = LINES.lock().unwrap_or_else(|e| e.into_inner());
            lines.contains(&heard).then_some(())
        })
        .await;
        // Several heartbeats later, the node with another secret is still alone.
        tokio::time::sleep(Duration::from_secs(3)).await;
        assert_eq!(nodes_of(node(3)).await, Some(vec![]));
        assert_eq!(nodes_of(node(1)).await, Some(vec![n2.clone()]));
    });
}
