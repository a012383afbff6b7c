//! Nodes with different `net_ticktime`s behave as two BEAM nodes do: each side
//! ticks every quarter of its own tick time and drops a peer it has heard nothing
//! from for its own tick time, so the side with the shorter tick time drops a peer
//! that ticks less often (OTP asks every node of a cluster to use the same value).
//! Equal tick times keep an idle connection up.

mod interop;

use std::time::{Duration, Instant};

use interop::{Beam, BeamSpec, free_port, init_tracing, unique};
use tether::dist::{self, EpmdMode, NodeConfig, NodeEvent, NodeKind};
use tether::{Node, Runtime, Term};

const COOKIE: &str = "ticktime_cookie";

/// The BEAM node prints each node it loses.
const WATCH: &str = "ok = net_kernel:monitor_nodes(true), io:format(\"watching~n\"), \
     L = fun L() -> receive {nodedown, N} -> io:format(\"nodedown ~s~n\", [N]), L(); _ -> L() end end, L().";

/// A Tether node with tick time `tether_tick` and an `erl` node with `erl_tick`,
/// connected; returns once the connection is up. The calling process receives
/// the node events.
async fn pair(tether_tick: u64, erl_tick: u64) -> (Beam, Node, Instant) {
    let epmd = free_port();
    let cfg = NodeConfig::new(unique("tick"))
        .cookie(COOKIE)
        .visible()
        .listen("127.0.0.1".parse().unwrap())
        .epmd(EpmdMode::Embedded)
        .epmd_port(epmd)
        .net_ticktime(Duration::from_secs(tether_tick));
    dist::start(cfg).await.expect("start the node");
    dist::monitor_nodes(true, false).unwrap();
    let mut spec = BeamSpec::erl("tickerl", COOKIE, Some(epmd), WATCH);
    spec.args = vec![
        "-kernel".into(),
        "net_ticktime".into(),
        erl_tick.to_string(),
    ];
    let mut beam = Beam::start(&spec);
    beam.wait_line("watching", Duration::from_secs(30)).await;
    let b = Node::intern(&beam.node).unwrap();
    let r = dist::rpc::call(b, "erlang", "node", vec![], Duration::from_secs(10)).await;
    assert_eq!(r, Ok(Term::Atom(b.name())));
    (beam, b, Instant::now())
}

fn runtime() -> Runtime {
    init_tracing();
    Runtime::builder().worker_threads(2).build().unwrap()
}

#[test]
fn the_shorter_tick_time_drops_a_peer_that_ticks_less_often() {
    runtime().block_on(async {
        // Tether 2 s, erl 60 s (erl ticks every 15 s): the Tether node drops erl.
        let (mut beam, b, up) = pair(2, 60).await;
        loop {
            match tether::receive_timeout::<NodeEvent>(Duration::from_secs(20)).await {
                Some(NodeEvent::Down(n)) if n == b => break,
                Some(_) => continue,
                None => panic!("the Tether node kept a peer that was silent for its tick time"),
            }
        }
        let after = up.elapsed();
        // Silent for 2 s (the tick time), noticed between 2 and 2.5 s (T to 1.25 T).
        assert!(after >= Duration::from_secs(2), "dropped after {after:?}");
        beam.wait_line("nodedown", Duration::from_secs(10)).await;
        eprintln!("Tether (2 s) dropped erl (60 s) after {after:?}");
    });
}

#[test]
fn a_beam_node_with_the_shorter_tick_time_drops_tether() {
    runtime().block_on(async {
        // Tether 60 s (ticks every 15 s), erl 2 s: erl drops the Tether node.
        let (mut beam, b, up) = pair(60, 2).await;
        beam.wait_line("nodedown", Duration::from_secs(20)).await;
        let after = up.elapsed();
        assert!(after >= Duration::from_secs(2), "dropped after {after:?}");
        loop {
            match tether::receive_timeout::<NodeEvent>(Duration::from_secs(10)).await {
                Some(NodeEvent::Down(n)) if n == b => break,
                Some(_) => continue,
                None => panic!("the Tether node did not see the connection go"),
            }
        }
        eprintln!("erl (2 s) dropped Tether (60 s) after {after:?}");
    });
}

#[test]
fn equal_tick_times_keep_an_idle_connection() {
    runtime().block_on(async {
        let (_beam, b, _) = pair(2, 2).await;
        // Four tick times of silence from the applications: ticks keep it up.
        tokio::time::sleep(Duration::from_secs(8)).await;
        assert!(dist::nodes(NodeKind::Visible).contains(&b));
        let r = dist::rpc::call(b, "erlang", "node", vec![], Duration::from_secs(5)).await;
        assert_eq!(r, Ok(Term::Atom(b.name())));
    });
}
