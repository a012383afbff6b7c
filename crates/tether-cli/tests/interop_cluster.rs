//! Discovery with a real `erl` node (`tether::cluster`): an `erl` node, a Tether
//! node in this process and a `tether node --discover local-epmd` process, all
//! registered with one real `epmd` on a private port, form one cluster through
//! `LocalEpmd` discovery. The `erl` node runs no discovery of its own: it is found,
//! and ends up connected to both Tether nodes. Then the `tether node` process is
//! killed and started again under its name, and the cluster takes it back.

mod interop;

use std::collections::BTreeSet;
use std::process::Stdio;
use std::time::Duration;

use interop::eventually::eventually;
use interop::{Beam, BeamSpec, RealEpmd, init_tracing, short_host, unique};
use tether::cluster::{self, ClusterOpts, LocalEpmd};
use tether::dist::{self, EpmdMode, NodeConfig, NodeKind};
use tether::{Node, Runtime};
use tokio::io::{AsyncBufReadExt, BufReader};

const COOKIE: &str = "discovery_interop_cookie";
const BIN: &str = env!("CARGO_BIN_EXE_tether");

/// `tether node --discover local-epmd` registered with the EPMD on `epmd_port`;
/// returns once it printed that it is up.
async fn tether_node(name: &str, epmd_port: u16) -> tokio::process::Child {
    let mut child = tokio::process::Command::new(BIN)
        .args(["node", "--name", name, "--cookie", COOKIE])
        .args(["--epmd", "external", "--listen", "127.0.0.1"])
        .args(["--discover", "local-epmd", "--discover-interval", "1"])
        .env("ERL_EPMD_PORT", epmd_port.to_string())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .kill_on_drop(true)
        .spawn()
        .expect("start tether node");
    let out = child.stdout.take().unwrap();
    let mut lines = BufReader::new(out).lines();
    let up = tokio::time::timeout(Duration::from_secs(30), async {
        while let Ok(Some(l)) = lines.next_line().await {
            if l.contains(" up on port ") {
                return true;
            }
        }
        false
    })
    .await;
    assert_eq!(up, Ok(true), "tether node did not come up");
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
    child
}

fn connected() -> BTreeSet<String> {
    dist::nodes(NodeKind::Visible)
        .iter()
        .map(|n| n.name().as_str().to_owned())
        .collect()
}

#[test]
fn erl_and_tether_nodes_form_a_cluster_through_local_epmd() {
    init_tracing();
    let rt = Runtime::builder().worker_threads(2).build().unwrap();
    rt.block_on(async {
        let epmd = RealEpmd::start().await;
        let host = short_host();
        // The erl node prints its view of the cluster each time it changes.
        let watch = "ok = net_kernel:monitor_nodes(true), \
             L = fun L() -> io:format(\"nodes=~w~n\", [lists:sort(nodes())]), \
             receive _ -> L() end end, L().";
        let spec = BeamSpec::erl("beam", COOKIE, Some(epmd.port), watch);
        let erl_name = spec.node();
        let mut beam = Beam::start(&spec);
        beam.wait_line("nodes=", Duration::from_secs(30)).await;

        let cfg = NodeConfig::new(unique("inproc"))
            .cookie(COOKIE)
            .listen("127.0.0.1".parse().unwrap())
            .epmd(EpmdMode::External)
            .epmd_port(epmd.port);
        let me = dist::start(cfg).await.expect("start the in-process node");
        let me_name = me.name().as_str().to_owned();
        let opts = ClusterOpts::new()
            .poll_interval(Duration::from_millis(200))
            .backoff(Duration::from_millis(100), Duration::from_secs(1));
        let cl = cluster::start([cluster::strategy(LocalEpmd::new())], opts)
            .await
            .unwrap();

        let cli_sname = unique("cli");
        let cli_name = format!("{cli_sname}@{host}");
        let cli = tether_node(&cli_sname, epmd.port).await;

        let everyone = |a: &str, b: &str| {
            let want: BTreeSet<String> = [a.to_owned(), b.to_owned()].into();
            move || {
                let want = want.clone();
                async move { connected().is_superset(&want) }
            }
        };
        eventually(
            "the in-process node sees erl and the tether node",
            everyone(&erl_name, &cli_name),
        )
        .await;
        // erl, which looks for nobody, is connected to both Tether nodes.
        let both = {
            let mut v = [me_name.clone(), cli_name.clone()];
            v.sort();
            format!("nodes=['{}','{}']", v[0], v[1]).replace('\'', "")
        };
        loop {
            let line = beam.wait_line("nodes=", Duration::from_secs(30)).await;
            if line.replace('\'', "") == both {
                break;
            }
        }
        assert!(cl.found().iter().any(|n| n.as_str() == erl_name));

        // The tether node is killed: forgotten; started again: back in the cluster.
        drop(cli);
        eventually("the killed node is forgotten", || async {
            !connected().contains(&cli_name) && !cl.found().iter().any(|n| n.as_str() == cli_name)
        })
        .await;
        let _cli = tether_node(&cli_sname, epmd.port).await;
        eventually("the restarted node rejoins", everyone(&erl_name, &cli_name)).await;
        // And erl sees it again too (through the restarted node's own discovery).
        let erl = Node::intern(&erl_name).unwrap();
        eventually("erl is connected to the restarted node", || async {
            let seen =
                dist::rpc::call(erl, "erlang", "nodes", vec![], Duration::from_secs(10)).await;
            seen.is_ok_and(|s| {
                let s = s.to_string();
                s.contains(&cli_sname) && s.contains(&me_name)
            })
        })
        .await;
        drop(beam);
    });
}
