//! Clusters that form themselves (`tether::cluster`): three Tether nodes in one OS
//! process, each a runtime, find each other through each strategy and connect
//! into one cluster; a stopped node is forgotten and, started again, rejoins.
//!
//! The DNS strategies ask a DNS server the test runs on loopback
//! (`common/dns_server.rs`). For A records the nodes are `basename@127.0.0.N`,
//! each listening on its own loopback address at one shared port without EPMD
//! (as pods with their own IPs do); for SRV records they are
//! `basename@pod-N.<service>` as in a StatefulSet, found at fixed addresses.
//! Every wait is for a condition, never for a time.

use std::collections::BTreeSet;
use std::net::{Ipv4Addr, SocketAddr};
use std::time::{Duration, Instant};

use tether::Runtime;
use tether::cluster::{self, Cluster, ClusterOpts, DnsPoll, DnsSrv, Epmd, LocalEpmd, Resolver};
use tether::dist::{self, DistNode, EpmdMode, NodeConfig, NodeKind};

#[path = "common/dns_server.rs"]
mod dns_server;
#[path = "common/eventually.rs"]
mod eventually;
#[path = "common/names.rs"]
mod names;

use dns_server::DnsServer;
use names::{free_port, unique};

const COOKIE: &str = "discovery_cookie";

fn init_tracing() {
    let _ = tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "tether=info".into()),
        )
        .with_test_writer()
        .try_init();
}

/// A runtime that is a node as `cfg` says.
fn node(cfg: NodeConfig) -> (Runtime, DistNode) {
    init_tracing();
    let rt = Runtime::builder().worker_threads(1).build().unwrap();
    let node = rt.block_on(async move { dist::start(cfg.cookie(COOKIE)).await.expect("start") });
    (rt, node)
}

/// A node registered with the in-process EPMD on `epmd_port`.
fn epmd_node(prefix: &str, epmd_port: u16) -> (Runtime, DistNode) {
    node(
        NodeConfig::new(unique(prefix))
            .listen("127.0.0.1".parse().unwrap())
            .epmd(EpmdMode::Embedded)
            .epmd_port(epmd_port),
    )
}

fn opts() -> ClusterOpts {
    ClusterOpts::new()
        .poll_interval(Duration::from_millis(100))
        .backoff(Duration::from_millis(50), Duration::from_millis(400))
}

fn discover(rt: &Runtime, strategies: Vec<std::sync::Arc<dyn cluster::Strategy>>) -> Cluster {
    discover_with(rt, strategies, opts())
}

fn discover_with(
    rt: &Runtime,
    strategies: Vec<std::sync::Arc<dyn cluster::Strategy>>,
    opts: ClusterOpts,
) -> Cluster {
    rt.block_on(async move { cluster::start(strategies, opts).await.unwrap() })
}

/// The names a discovery service found at its last poll.
fn found(cl: &Cluster) -> BTreeSet<String> {
    cl.found().iter().map(|n| n.as_str().to_owned()).collect()
}

/// Three nodes `base@127.0.0.N`, each on its own loopback address at one port.
fn loopback_trio(base: &str) -> (Vec<Ipv4Addr>, Vec<(Runtime, DistNode)>) {
    let port = free_port();
    let ips: Vec<Ipv4Addr> = (1..=3).map(|i| Ipv4Addr::new(127, 0, 0, i)).collect();
    let nodes = ips
        .iter()
        .map(|ip| {
            node(
                NodeConfig::new(format!("{base}@{ip}"))
                    .long_names(true)
                    .listen((*ip).into())
                    .epmd(EpmdMode::None)
                    .port(port),
            )
        })
        .collect();
    (ips, nodes)
}

/// The nodes `rt`'s node is connected to.
fn connected(rt: &Runtime) -> BTreeSet<String> {
    rt.block_on(async {
        dist::nodes(NodeKind::Connected)
            .iter()
            .map(|n| n.name().as_str().to_owned())
            .collect()
    })
}

/// Polls `cond` until it holds; panics naming `what` after the common patience.
fn wait_for(what: &str, mut cond: impl FnMut() -> bool) {
    let start = Instant::now();
    let mut pause = Duration::from_millis(1);
    while !cond() {
        assert!(
            start.elapsed() < eventually::PATIENCE,
            "never happened within {:?}: {what}",
            eventually::PATIENCE
        );
        std::thread::sleep(pause);
        pause = (pause * 2).min(Duration::from_millis(50));
    }
}

/// Waits until every node of `rts` is connected to every other one of `names`.
fn wait_for_mesh(rts: &[&Runtime], names: &[String]) {
    for (i, rt) in rts.iter().enumerate() {
        let others: BTreeSet<String> = names
            .iter()
            .enumerate()
            .filter(|(j, _)| *j != i)
            .map(|(_, n)| n.clone())
            .collect();
        wait_for(&format!("{} connected to {others:?}", names[i]), || {
            connected(rt).is_superset(&others)
        });
    }
}

#[test]
fn three_nodes_form_a_cluster_from_a_host_list() {
    let epmd = free_port();
    let nodes = [
        epmd_node("ha", epmd),
        epmd_node("hb", epmd),
        epmd_node("hc", epmd),
    ];
    let names: Vec<String> = nodes.iter().map(|(_, n)| n.name().to_string()).collect();
    // Every node is given the same list, itself included (as libcluster's hosts).
    let _clusters: Vec<Cluster> = nodes
        .iter()
        .map(|(rt, _)| discover(rt, vec![cluster::strategy(Epmd::new(&names).unwrap())]))
        .collect();
    let rts: Vec<&Runtime> = nodes.iter().map(|(rt, _)| rt).collect();
    wait_for_mesh(&rts, &names);
}

#[test]
fn local_epmd_forms_a_cluster_forgets_a_stopped_node_and_takes_it_back() {
    let epmd = free_port();
    // The first node serves the EPMD; the one stopped later is another.
    let (a, node_a) = epmd_node("la", epmd);
    let (b, node_b) = epmd_node("lb", epmd);
    let (c, node_c) = epmd_node("lc", epmd);
    let names = [&node_a, &node_b, &node_c].map(|n| n.name().as_str().to_owned());
    let ca = discover(&a, vec![cluster::strategy(LocalEpmd::new())]);
    let cb = discover(&b, vec![cluster::strategy(LocalEpmd::new())]);
    let _cc = discover(&c, vec![cluster::strategy(LocalEpmd::new())]);
    wait_for_mesh(&[&a, &b, &c], &names);
    assert!(found(&ca).contains(&names[2]));

    // c stops: it leaves EPMD and its connections close; a and b forget it.
    let c_name = names[2].clone();
    drop(c);
    for (rt, cl) in [(&a, &ca), (&b, &cb)] {
        wait_for(&format!("{c_name} forgotten"), || {
            !found(cl).contains(&c_name) && !connected(rt).contains(&c_name)
        });
    }
    // a and b are connected to each other (again, if global's overlapping-partition
    // prevention cut them apart while c went).
    wait_for("a and b connected", || connected(&a).contains(&names[1]));

    // c starts again under its name and rejoins.
    let (c2, node_c2) = node(
        NodeConfig::new(node_c.name().as_str())
            .listen("127.0.0.1".parse().unwrap())
            .epmd(EpmdMode::Embedded)
            .epmd_port(epmd),
    );
    assert_eq!(node_c2.name().as_str(), c_name);
    let _cc2 = discover(&c2, vec![cluster::strategy(LocalEpmd::new())]);
    wait_for_mesh(&[&a, &b, &c2], &names);
    for cl in [&ca, &cb] {
        wait_for("c found again", || found(cl).contains(&c_name));
    }
}

#[test]
fn dns_a_records_form_a_cluster_after_bad_replies() {
    let dns = DnsServer::start();
    dns.set_garbage(true);
    let base = unique("app");
    let query = format!("{base}-headless.default.svc.cluster.test");
    let (ips, nodes) = loopback_trio(&base);
    let names: Vec<String> = nodes.iter().map(|(_, n)| n.name().to_string()).collect();
    let resolver = Resolver::new(dns.addr()).timeout(Duration::from_secs(2));
    let _clusters: Vec<Cluster> = nodes
        .iter()
        .map(|(rt, _)| {
            let s = DnsPoll::new(base.as_str(), query.as_str()).resolver(resolver.clone());
            discover(rt, vec![cluster::strategy(s)])
        })
        .collect();
    // Malformed replies are logged and asked again; nothing connects on them.
    wait_for("a few garbage replies", || dns.queries() >= 6);
    for (rt, _) in &nodes {
        assert!(connected(rt).is_empty());
    }
    dns.set_a(&query, &ips);
    dns.set_garbage(false);
    let rts: Vec<&Runtime> = nodes.iter().map(|(rt, _)| rt).collect();
    wait_for_mesh(&rts, &names);
}

#[test]
fn a_node_dropped_from_dns_is_forgotten_and_disconnected_when_asked() {
    let dns = DnsServer::start();
    let base = unique("pod");
    let query = format!("{base}-headless.default.svc.cluster.test");
    let (ips, nodes) = loopback_trio(&base);
    dns.set_a(&query, &ips);
    let names: Vec<String> = nodes.iter().map(|(_, n)| n.name().to_string()).collect();
    let resolver = Resolver::new(dns.addr()).timeout(Duration::from_secs(2));
    let clusters: Vec<Cluster> = nodes
        .iter()
        .map(|(rt, _)| {
            let s = DnsPoll::new(base.as_str(), query.as_str()).resolver(resolver.clone());
            discover_with(rt, vec![cluster::strategy(s)], opts().disconnect_gone(true))
        })
        .collect();
    let rts: Vec<&Runtime> = nodes.iter().map(|(rt, _)| rt).collect();
    wait_for_mesh(&rts, &names);
    // The third node stops looking, and DNS no longer lists it (its pod is gone
    // from the service): the others forget it and disconnect.
    nodes[2].0.block_on(clusters[2].clone().stop());
    dns.set_a(&query, &ips[..2]);
    for i in 0..2 {
        wait_for(
            &format!("{} forgets and drops {}", names[i], names[2]),
            || !found(&clusters[i]).contains(&names[2]) && !connected(rts[i]).contains(&names[2]),
        );
    }
    // The two that remain are (again) connected: global's overlapping-partition
    // prevention may cut them apart for a moment while the third goes, and
    // discovery joins them back.
    wait_for("the remaining two connected", || {
        connected(rts[0]).contains(&names[1])
    });
}

#[test]
fn dns_srv_records_form_a_cluster_of_statefulset_names() {
    let dns = DnsServer::start();
    let base = unique("web");
    let service = format!("{base}.default.svc.cluster.test");
    let query = format!("_erlang._tcp.{service}");
    let hosts: Vec<String> = (0..3).map(|i| format!("{base}-{i}.{service}")).collect();
    let names: Vec<String> = hosts.iter().map(|h| format!("{base}@{h}")).collect();
    // The names resolve nowhere: each node is told where the others listen.
    let ports: Vec<u16> = (0..3).map(|_| free_port()).collect();
    let nodes: Vec<(Runtime, DistNode)> = (0..3)
        .map(|i| {
            let mut cfg = NodeConfig::new(names[i].as_str())
                .long_names(true)
                .listen("127.0.0.1".parse().unwrap())
                .epmd(EpmdMode::None)
                .port(ports[i]);
            for j in 0..3 {
                cfg = cfg.peer_address(&names[j], SocketAddr::from(([127, 0, 0, 1], ports[j])));
            }
            node(cfg)
        })
        .collect();
    let targets: Vec<&str> = hosts.iter().map(String::as_str).collect();
    dns.set_srv(&query, &targets, 4369);
    let resolver = Resolver::new(dns.addr()).timeout(Duration::from_secs(2));
    let _clusters: Vec<Cluster> = nodes
        .iter()
        .map(|(rt, _)| {
            let s = DnsSrv::new(base.as_str(), query.as_str()).resolver(resolver.clone());
            discover(rt, vec![cluster::strategy(s)])
        })
        .collect();
    let rts: Vec<&Runtime> = nodes.iter().map(|(rt, _)| rt).collect();
    wait_for_mesh(&rts, &names);
}

#[test]
fn an_unreachable_node_is_retried_until_it_comes_up() {
    let epmd = free_port();
    let (a, _node_a) = epmd_node("ua", epmd);
    // b's name is listed before b exists: attempts fail and back off.
    let b_name = format!("{}@{}", unique("ub"), _node_a.name().host());
    let ca = discover(&a, vec![cluster::strategy(Epmd::new([&b_name]).unwrap())]);
    wait_for("b listed", || {
        ca.found().iter().any(|n| n.as_str() == b_name)
    });
    let (_b, _node_b) = node(
        NodeConfig::new(b_name.as_str())
            .listen("127.0.0.1".parse().unwrap())
            .epmd(EpmdMode::Embedded)
            .epmd_port(epmd),
    );
    wait_for("a connected to b", || connected(&a).contains(&b_name));
}

/// A strategy that never answers.
#[derive(Debug)]
struct Silent;

impl cluster::Strategy for Silent {
    fn discover(&self) -> cluster::Discovered<'_> {
        Box::pin(std::future::pending())
    }
}

#[test]
fn a_strategy_that_never_answers_delays_no_other() {
    let epmd = free_port();
    let (a, node_a) = epmd_node("sa", epmd);
    let (_b, node_b) = epmd_node("sb", epmd);
    let list = Epmd::new([node_a.name().as_str(), node_b.name().as_str()]).unwrap();
    // Longer than any wait of this test: the list's answer must not wait for it.
    let opts = opts().strategy_timeout(Duration::from_secs(3600));
    let strategies = vec![cluster::strategy(Silent), cluster::strategy(list)];
    let _ca = discover_with(&a, strategies, opts);
    let b_name = node_b.name().as_str().to_owned();
    wait_for("a connected to b", || connected(&a).contains(&b_name));
}
