//! TLS distribution between nodes in one OS process: TLS nodes talk; a plain node
//! and a node whose certificate another CA signed are refused both ways; replaced
//! certificate files take effect on `reload_tls` without a restart. The tests
//! against real `erl` nodes (`-proto_dist inet_tls`) are in tether-cli's
//! `interop_tls.rs`.

use std::path::PathBuf;
use std::time::Duration;

use tether::dist::{self, DistNode, EpmdMode, NodeConfig, TlsConfig};
use tether::{Node, Runtime, Term};

#[path = "common/certs.rs"]
mod certs;
#[path = "common/names.rs"]
mod names;

use certs::{Ca, Leaf};
use names::{free_port, unique};

const COOKIE: &str = "tls_cookie";

fn dir() -> PathBuf {
    std::env::temp_dir().join(unique("tether_tls"))
}

fn node(name: &str, epmd_port: u16, tls: Option<(&Leaf, &Ca)>) -> (Runtime, DistNode) {
    let rt = Runtime::builder().worker_threads(2).build().unwrap();
    let mut cfg = NodeConfig::new(name)
        .cookie(COOKIE)
        .listen("127.0.0.1".parse().unwrap())
        .epmd(EpmdMode::Embedded)
        .epmd_port(epmd_port);
    if let Some((leaf, ca)) = tls {
        cfg = cfg.tls(TlsConfig::new(&leaf.cert, &leaf.key, &ca.cert));
    }
    let node = rt.block_on(async move { dist::start(cfg).await.expect("start the node") });
    (rt, node)
}

/// `net_adm:ping/1` from the runtime's node: `true` for pong.
fn ping(rt: &Runtime, to: &DistNode) -> bool {
    let to = Node::intern(&to.name().to_string()).unwrap();
    rt.block_on(async move {
        let req = Term::tuple([Term::atom("is_auth"), Term::Atom(Node::local().name())]);
        let r = dist::call(("net_kernel", to), req, Duration::from_secs(5)).await;
        matches!(r, Ok(t) if t.is_atom("yes"))
    })
}

#[test]
fn tls_nodes_talk_and_refuse_plain_and_foreign_peers() {
    let dir = dir();
    let (ca, other_ca) = (Ca::new(&dir, "trusted"), Ca::new(&dir, "foreign"));
    let (la, lb, lx) = (ca.leaf("a"), ca.leaf("b"), other_ca.leaf("x"));
    let epmd = free_port();
    let (a, node_a) = node(&unique("tls_a"), epmd, Some((&la, &ca)));
    let (b, node_b) = node(&unique("tls_b"), epmd, Some((&lb, &ca)));
    assert!(node_a.is_tls());

    // Two TLS nodes: ping, and a message to a registered process over the session.
    assert!(ping(&a, &node_b));
    let b_name = Node::intern(&node_b.name().to_string()).unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    b.block_on(async move {
        let inbox = tether::spawn(async move {
            let t: Term = tether::receive().await;
            tx.send(t).unwrap();
        });
        tether::register("inbox", inbox).unwrap();
    });
    a.block_on(async move {
        tether::send(("inbox", b_name), Term::atom("over_tls")).unwrap();
    });
    assert_eq!(
        rx.recv_timeout(Duration::from_secs(10)),
        Ok(Term::atom("over_tls"))
    );

    // A plain node cannot reach a TLS node, nor a TLS node a plain one.
    let (p, node_p) = node(&unique("plain"), epmd, None);
    assert!(!ping(&p, &node_a));
    assert!(!ping(&a, &node_p));

    // A TLS node whose certificate another CA signed (and that trusts only that
    // CA) is refused both ways.
    let (x, node_x) = node(&unique("tls_x"), epmd, Some((&lx, &other_ca)));
    assert!(!ping(&x, &node_a));
    assert!(!ping(&a, &node_x));
    // The trusted pair still talks.
    assert!(ping(&b, &node_a));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn replaced_certificates_take_effect_on_reload() {
    let dir = dir();
    let ca = Ca::new(&dir, "trusted");
    let other_ca = Ca::new(&dir, "other");
    let (la, lb) = (ca.leaf("a"), ca.leaf("b"));
    let epmd = free_port();
    let (a, node_a) = node(&unique("rot_a"), epmd, Some((&la, &ca)));
    let (_b, node_b) = node(&unique("rot_b"), epmd, Some((&lb, &ca)));
    // Replace a's files with a certificate the other CA signed: nothing changes
    // until a reloads them.
    let rogue = other_ca.leaf("rogue");
    std::fs::copy(&rogue.cert, &la.cert).unwrap();
    std::fs::copy(&rogue.key, &la.key).unwrap();
    assert!(
        ping(&a, &node_b),
        "the old identity is in use before reload"
    );
    let b_name = Node::intern(&node_b.name().to_string()).unwrap();
    a.block_on(async move {
        let _ = tether::dist::disconnect_node(b_name);
        // `disconnect_node` asks the connection to close; wait until it is gone, or
        // the next ping could still go over it.
        let gone = async {
            while dist::nodes(dist::NodeKind::Connected).contains(&b_name) {
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        };
        tokio::time::timeout(Duration::from_secs(10), gone)
            .await
            .expect("the connection to b closes");
    });
    node_a.reload_tls().unwrap();
    assert!(!ping(&a, &node_b), "b refuses a's new certificate");
    // Rotate to a good certificate again.
    let fresh = ca.leaf("fresh");
    std::fs::copy(&fresh.cert, &la.cert).unwrap();
    std::fs::copy(&fresh.key, &la.key).unwrap();
    node_a.reload_tls().unwrap();
    assert!(ping(&a, &node_b), "b accepts a's rotated certificate");
    let _ = std::fs::remove_dir_all(&dir);
}
