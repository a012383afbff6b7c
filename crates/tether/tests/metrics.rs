//! `/metrics` as Prometheus reads it: `tether::metrics::render_prometheus` parsed by a
//! Prometheus text-format parser, each figure checked against what the test did;
//! the activity counters against `introspect::system`; counting switched off.

use std::collections::HashMap;
use std::time::Duration;

use prometheus_parse::{Sample, Scrape, Value};
use tether::dist::{self, EpmdMode, NodeConfig};
use tether::otp::supervisor::{self, ChildPid, ChildSpec, Strategy, Supervisor};
use tether::{Runtime, Term};

#[path = "common/eventually.rs"]
mod eventually;
#[path = "common/names.rs"]
mod names;

use names::{free_port, unique};

fn parse(text: &str) -> Scrape {
    let lines = text.lines().map(|l| Ok(l.to_owned()));
    Scrape::parse(lines).unwrap_or_else(|e| panic!("not the Prometheus text format ({e}):\n{text}"))
}

fn value(s: &Sample) -> f64 {
    match s.value {
        Value::Counter(v) | Value::Gauge(v) | Value::Untyped(v) => v,
        ref other => panic!("{}: unexpected value {other:?}", s.metric),
    }
}

/// The one sample of `metric` whose labels include `labels`.
fn sample(scrape: &Scrape, metric: &str, labels: &[(&str, &str)]) -> f64 {
    let found: Vec<&Sample> = scrape
        .samples
        .iter()
        .filter(|s| s.metric == metric)
        .filter(|s| labels.iter().all(|(k, v)| s.labels.get(k) == Some(*v)))
        .collect();
    assert_eq!(found.len(), 1, "{metric} {labels:?}: {found:?}");
    value(found[0])
}

#[test]
fn the_runtime_metrics_parse_and_match_what_happened() {
    let rt = Runtime::builder().worker_threads(2).build().unwrap();
    rt.block_on(async {
        // Spawns and messages: a process that never receives, with 40 messages.
        let deaf = tether::spawn(std::future::pending());
        for i in 0..40u32 {
            tether::send(deaf, i).unwrap();
        }
        // A supervisor restarts its child twice.
        let sup = Supervisor::new(Strategy::OneForOne)
            .max_restarts(10)
            .child(ChildSpec::process("w", std::future::pending))
            .start_link()
            .await
            .unwrap();
        for _ in 0..2 {
            let children = supervisor::which_children(sup).await.unwrap();
            let ChildPid::Pid(p) = children[0].pid else {
                panic!("{children:?}")
            };
            tether::monitor(p);
            tether::exit(p, tether::ExitReason::from("boom"));
            let _: tether::Down = tether::receive().await;
        }
        // The supervisor handled both exits once it answers a call.
        let tree = supervisor::which_children(sup).await.unwrap();
        assert_eq!(tree[0].restarts, 2);

        let sys = tether::introspect::system();
        let text = tether::metrics::render_prometheus();
        let scrape = parse(&text);
        let node = [("node", "nonode@nohost")];
        assert_eq!(
            sample(&scrape, "tether_supervisor_restarts_total", &node),
            2.0
        );
        // Two abnormal exits (`boom`), at least: the child processes.
        assert!(sample(&scrape, "tether_process_abnormal_exits_total", &node) >= 2.0);
        assert!(sample(&scrape, "tether_messages_sent_total", &node) >= 40.0);
        // Spawned: this process, the deaf one, the supervisor, three children.
        assert!(sample(&scrape, "tether_spawns_total", &node) >= 6.0);
        assert_eq!(sample(&scrape, "tether_max_message_queue_len", &node), 40.0);
        assert!(
            (sample(&scrape, "tether_processes", &node) - sys.process_count as f64).abs() <= 2.0,
            "{text}"
        );
        assert_eq!(sample(&scrape, "tether_worker_threads", &node), 2.0);
        assert_eq!(sample(&scrape, "tether_dist_connections", &node), 0.0);
        assert!(sample(&scrape, "tether_memory_bytes", &[("kind", "total")]) > 1e6);
        assert!(sample(&scrape, "tether_memory_bytes", &[("kind", "processes")]) > 0.0);
        // Every family has its TYPE: counters are counters.
        let types: HashMap<&str, &Value> = scrape
            .samples
            .iter()
            .map(|s| (s.metric.as_str(), &s.value))
            .collect();
        assert!(matches!(types["tether_spawns_total"], Value::Counter(_)));
        assert!(matches!(types["tether_processes"], Value::Gauge(_)));

        // The introspection counters say the same.
        assert_eq!(sys.counters.supervisor_restarts, 2);
        assert!(sys.metrics_enabled);
    });
}

#[test]
fn per_peer_traffic_is_counted_on_both_sides() {
    let epmd = free_port();
    let start = |name: String| {
        let rt = Runtime::builder().worker_threads(2).build().unwrap();
        let cfg = NodeConfig::new(name)
            .cookie("metrics_cookie")
            .listen("127.0.0.1".parse().unwrap())
            .epmd(EpmdMode::Embedded)
            .epmd_port(epmd);
        let node = rt.block_on(async move { dist::start(cfg).await.unwrap() });
        (rt, node)
    };
    let (a, node_a) = start(unique("ma"));
    let (b, node_b) = start(unique("mb"));
    let name_b = node_b.name().to_string();
    let name_a = node_a.name().to_string();
    b.block_on(async {
        let sink = tether::spawn(async {
            loop {
                let _: Term = tether::receive().await;
            }
        });
        tether::register("sink", sink).unwrap();
    });
    let target = name_b.clone();
    a.block_on(async move {
        let b = tether::Node::intern(&target).unwrap();
        for i in 0..25 {
            tether::send(("sink", b), Term::from(i)).unwrap();
        }
        // A call behind the messages on the one connection: once it is answered,
        // they have arrived.
        let r = dist::rpc::call(b, "erlang", "node", vec![], Duration::from_secs(10)).await;
        assert!(r.is_ok(), "{r:?}");
        let scrape = parse(&tether::metrics::render_prometheus());
        let peer = [("peer", target.as_str())];
        assert_eq!(sample(&scrape, "tether_dist_connections", &[]), 1.0);
        // 25 sends and the rpc request, at least (the handshake's and the kernel's
        // own traffic may add more).
        assert!(sample(&scrape, "tether_dist_messages_out_total", &peer) >= 26.0);
        assert!(sample(&scrape, "tether_dist_bytes_out_total", &peer) > 25.0 * 5.0);
        assert!(sample(&scrape, "tether_dist_messages_in_total", &peer) >= 1.0);
    });
    b.block_on(async move {
        let conns = tether::introspect::connections();
        let c = conns
            .iter()
            .find(|c| c.peer.as_str() == name_a)
            .expect("b sees a");
        assert!(c.messages_in >= 26, "{c:?}");
        assert!(!c.tls);
        assert!(c.since <= std::time::SystemTime::now());
    });
}

#[test]
fn with_metrics_off_nothing_is_counted() {
    let rt = Runtime::builder().metrics(false).build().unwrap();
    rt.block_on(async {
        let p = tether::spawn(std::future::pending());
        for i in 0..10u32 {
            tether::send(p, i).unwrap();
        }
        let sys = tether::introspect::system();
        assert!(!sys.metrics_enabled);
        assert_eq!(sys.counters, tether::introspect::Counters::default());
        // The figures read when asked are still there.
        assert_eq!(sys.max_message_queue_len, 10);
        let scrape = parse(&tether::metrics::render_prometheus());
        assert_eq!(sample(&scrape, "tether_messages_sent_total", &[]), 0.0);
    });
}

#[test]
fn application_metrics_join_the_runtimes() {
    tether::metrics::install().unwrap();
    metrics::counter!("app_orders_total", "shop" => "north").increment(7);
    let rt = Runtime::new().unwrap();
    rt.block_on(async {
        let scrape = parse(&tether::metrics::render_prometheus());
        assert_eq!(
            sample(&scrape, "app_orders_total", &[("shop", "north")]),
            7.0
        );
        assert!(sample(&scrape, "tether_processes", &[]) >= 1.0);
    });
}
