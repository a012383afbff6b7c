//! Node start and `ping` both ways against real `erl` (docs/distribution.md §9 (a)).

mod interop;

use std::time::Duration;

use interop::node::{COOKIE, T, beam, epmd_port, eval, me, node, run, term};
use interop::{Beam, BeamSpec};
use tether::Term;
use tether::dist::{self, NodeKind};

#[test]
fn erl_pings_tether_as_initiator() {
    run(async {
        let code = format!(
            "R = net_adm:ping({}), io:format(\"ping=~p hidden=~p~n\", [R, nodes(hidden)]), receive after infinity -> ok end.",
            me()
        );
        let spec = BeamSpec::erl("pinger", COOKIE, Some(epmd_port()), &code);
        let mut b = Beam::start(&spec);
        let line = b.wait_line("ping=", T).await;
        assert!(line.contains("ping=pong"), "{line}");
        assert!(
            line.contains(&node().name().to_string()),
            "hidden by default: {line}"
        );
    });
}

#[test]
fn tether_pings_erl() {
    run(async {
        let (_b, beam_node) = beam("pingee").await;
        let req = Term::tuple([
            Term::atom("is_auth"),
            Term::Atom(node().name().as_str().into()),
        ]);
        let r = dist::call(("net_kernel", beam_node), req, T).await.unwrap();
        assert_eq!(r, Term::atom("yes"));
        assert!(dist::nodes(NodeKind::Hidden).contains(&beam_node));
        assert!(!dist::nodes(NodeKind::Visible).contains(&beam_node));
        // And the BEAM side sees us as a hidden node, and pings back over the connection.
        let seen = eval(
            beam_node,
            &format!(
                "{{nodes(), lists:member({}, nodes(hidden)), net_adm:ping({})}}.",
                me(),
                me()
            ),
        )
        .await;
        assert_eq!(seen, term("{[], true, pong}"));
    });
}

#[test]
fn ping_of_a_missing_node_fails() {
    run(async {
        let nobody = tether::Node::intern("nobody_here@localhost").unwrap();
        let r = dist::call(
            ("net_kernel", nobody),
            Term::atom("x"),
            Duration::from_secs(10),
        )
        .await;
        assert_eq!(r, Err(dist::CallError::NodeDown(nobody)));
    });
}
