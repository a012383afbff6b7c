//! TLS distribution against real `erl` nodes running OTP's `inet_tls_dist`
//! (`-proto_dist inet_tls -ssl_dist_optfile F`), both directions, with mutual TLS
//! against one CA: erl pings the Tether node and sends to a registered process;
//! Tether pings erl and calls it over rpc; a plain-TCP erl is refused.

mod interop;

#[path = "../../tether/tests/common/certs.rs"]
mod certs;

use std::path::Path;
use std::time::Duration;

use certs::{Ca, Leaf};
use interop::{Beam, BeamSpec, free_port, init_tracing, unique};
use tether::dist::{self, EpmdMode, NodeConfig, TlsConfig};
use tether::{Node, Runtime, Term};

const COOKIE: &str = "interop_tls_cookie";
const T: Duration = Duration::from_secs(30);

/// An `-ssl_dist_optfile` for `leaf`: verify the peer both ways against `ca`.
fn optfile(dir: &Path, leaf: &Leaf, ca: &Ca) -> String {
    let side = |extra: &str| {
        format!(
            "[{{certfile, {:?}}}, {{keyfile, {:?}}}, {{cacertfile, {:?}}}, {{verify, verify_peer}}{extra}]",
            leaf.cert.display().to_string(),
            leaf.key.display().to_string(),
            ca.cert.display().to_string(),
        )
    };
    let text = format!(
        "[{{server, {}}}, {{client, {}}}].\n",
        side(", {fail_if_no_peer_cert, true}"),
        side("")
    );
    let path = dir.join("ssl_dist.conf");
    std::fs::write(&path, text).unwrap();
    path.display().to_string()
}

#[test]
fn erl_and_tether_talk_over_tls_both_ways_and_plain_erl_is_refused() {
    init_tracing();
    let dir = std::env::temp_dir().join(unique("interop_tls"));
    let ca = Ca::new(&dir, "cluster");
    let (tether_leaf, erl_leaf) = (ca.leaf("tether"), ca.leaf("erl"));
    let epmd = free_port();
    let rt = Runtime::builder().worker_threads(2).build().unwrap();
    let cfg = NodeConfig::new(unique("tls_tether"))
        .cookie(COOKIE)
        .listen("127.0.0.1".parse().unwrap())
        .epmd(EpmdMode::Embedded)
        .epmd_port(epmd)
        .tls(TlsConfig::new(
            &tether_leaf.cert,
            &tether_leaf.key,
            &ca.cert,
        ));
    let node = rt.block_on(async move { dist::start(cfg).await.expect("the TLS node starts") });
    let me = node.name().to_string();
    let (tx, rx) = std::sync::mpsc::channel();
    rt.block_on(async move {
        let inbox = tether::spawn(async move {
            loop {
                let t: Term = tether::receive().await;
                tx.send(t).unwrap();
            }
        });
        tether::register("tls_inbox", inbox).unwrap();
    });

    let opt = optfile(&dir, &erl_leaf, &ca);
    let script = format!(
        "T = '{me}', io:format(\"ping=~p~n\", [net_adm:ping(T)]),
         {{tls_inbox, T}} ! {{from_erl, node()}},
         io:format(\"sent~n\"), receive after infinity -> ok end."
    );
    let spec = BeamSpec {
        args: vec![
            "-proto_dist".into(),
            "inet_tls".into(),
            "-ssl_dist_optfile".into(),
            opt,
        ],
        ..BeamSpec::erl("tls_erl", COOKIE, Some(epmd), &script)
    };
    let erl_name = spec.node();
    rt.block_on(async move {
        let mut erl = Beam::start(&spec);
        assert_eq!(erl.wait_line("ping=", T).await, "ping=pong");
        erl.wait_line("sent", T).await;
        let erl_node = Node::intern(&erl_name).unwrap();
        // Tether to erl, over the session erl opened and over a new one.
        let r = dist::rpc::call(erl_node, "erlang", "node", vec![], T).await;
        assert_eq!(r.unwrap(), Term::atom(&erl_name));
        assert!(dist::disconnect_node(erl_node));
        interop::eventually::eventually("the session to erl is gone", || async move {
            !dist::nodes(dist::NodeKind::Connected).contains(&erl_node)
        })
        .await;
        let r = dist::rpc::call(
            erl_node,
            "erlang",
            "system_info",
            vec![Term::atom("otp_release")],
            T,
        )
        .await;
        assert!(r.is_ok(), "{r:?}");
        erl.kill().await;
    });
    let from_erl = rx.recv_timeout(T).unwrap();
    assert_eq!(from_erl.as_tuple().unwrap()[0], Term::atom("from_erl"));

    // A plain erl (same cookie, no TLS) cannot reach the TLS node.
    let plain = BeamSpec::erl(
        "plain_erl",
        COOKIE,
        Some(epmd),
        &format!(
            "io:format(\"ping=~p~n\", [net_adm:ping('{me}')]), receive after infinity -> ok end."
        ),
    );
    rt.block_on(async move {
        let mut erl = Beam::start(&plain);
        assert_eq!(erl.wait_line("ping=", T).await, "ping=pang");
        erl.kill().await;
    });
    let _ = std::fs::remove_dir_all(&dir);
}
