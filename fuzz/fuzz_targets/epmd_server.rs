//! Fuzz the EPMD server's per-connection code (crate `tether`, the code its TCP accept
//! loop runs for each connection). The input is what a client sends on one
//! connection, then it closes its side. Each input is served twice, as from a peer on
//! this host and as from a remote one, by a registry that holds a registration made
//! before (`keeper`, port 4242, over its own connection, still open). The connection
//! must end (with a reply or an error), a reply must be what its request asks for,
//! and afterwards `keeper`, and only it, must be registered.
#![no_main]

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use libfuzzer_sys::fuzz_target;
use tether::dist::epmd::on_stream::EpmdRegistry;
use tether::dist::epmd::{EpmdConfig, NodeInfo, proto};
use tokio::io::{AsyncReadExt, AsyncWriteExt, duplex};
use tokio::runtime::Runtime;

const EPMD_PORT: u16 = 4369;
const KEEPER: (&str, u16) = ("keeper", 4242);
/// Far longer than serving an in-memory connection takes: reaching it is a hang.
const LIMIT: Duration = Duration::from_secs(10);

fn rt() -> &'static Runtime {
    static RT: OnceLock<Runtime> = OnceLock::new();
    RT.get_or_init(|| {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
    })
}

fn keeper() -> Vec<(String, u16)> {
    vec![(KEEPER.0.to_string(), KEEPER.1)]
}

/// Serves `input` as one connection from a `local` or remote peer; checks the reply.
async fn one_connection(registry: &Arc<EpmdRegistry>, input: &[u8], local: bool) {
    let (ours, mut theirs) = duplex(input.len() + (1 << 16));
    theirs.write_all(input).await.unwrap();
    theirs.shutdown().await.unwrap();
    let reader = tokio::spawn(async move {
        let mut reply = Vec::new();
        theirs.read_to_end(&mut reply).await.map(|_| reply)
    });
    let served = tokio::time::timeout(LIMIT, registry.serve(ours, local))
        .await
        .unwrap_or_else(|_| panic!("the connection did not end (local: {local})"));
    let reply = tokio::time::timeout(LIMIT, reader)
        .await
        .expect("the reply did not end")
        .unwrap()
        .expect("reading the reply");
    // A connection served to its end answered its request; the tag it answers is
    // the request's, right after the 2-byte length.
    if let Err(e) = &served {
        let _ = e.to_string();
        assert_eq!(registry.names(), keeper(), "after an error: {e}");
        return;
    }
    let tag = input[2];
    match tag {
        proto::ALIVE2_REQ => {
            assert!(local, "a remote peer registered");
            // Registered (result 0) while the connection lasted.
            assert!(
                matches!(
                    reply.as_slice(),
                    [proto::ALIVE2_X_RESP, 0, _, _, _, _] | [proto::ALIVE2_RESP, 0, _, _]
                ),
                "ALIVE2 reply {reply:?}"
            );
        }
        proto::PORT_PLEASE2_REQ => {
            let info = proto::decode_port2_resp(&reply).expect("our own PORT2_RESP decodes");
            if let Some(info) = info {
                assert_eq!((info.name.as_str(), info.port), KEEPER, "{reply:?}");
            }
        }
        proto::NAMES_REQ | proto::DUMP_REQ => {
            assert!(local || tag == proto::NAMES_REQ, "a remote peer got a dump");
            assert!(reply.len() > 4, "{reply:?}");
            assert_eq!(reply[..4], u32::from(EPMD_PORT).to_be_bytes());
            let text = String::from_utf8(reply[4..].to_vec()).unwrap();
            if tag == proto::NAMES_REQ {
                assert_eq!(proto::parse_names(&text), keeper());
            } else {
                assert!(text.contains("<keeper> at port 4242"), "{text:?}");
            }
        }
        other => panic!("request tag {other} served without an error"),
    }
    // A registration of this connection ended with it.
    assert_eq!(registry.names(), keeper());
}

fuzz_target!(|data: &[u8]| {
    rt().block_on(async {
        let config = EpmdConfig {
            request_timeout: LIMIT,
            ..EpmdConfig::default()
        };
        let registry = Arc::new(EpmdRegistry::new(config, EPMD_PORT).unwrap());
        // The registration made before, on its own connection, kept open.
        let (conn, mut node) = duplex(1024);
        let r = registry.clone();
        let kept = tokio::spawn(async move { r.serve(conn, true).await });
        let alive2 = proto::encode_alive2_req(&NodeInfo::new(KEEPER.0, KEEPER.1)).unwrap();
        node.write_all(&alive2).await.unwrap();
        let mut resp = [0u8; 6];
        node.read_exact(&mut resp).await.unwrap();
        assert_eq!(resp[..2], [proto::ALIVE2_X_RESP, 0]);
        assert_eq!(registry.names(), keeper());

        one_connection(&registry, data, true).await;
        one_connection(&registry, data, false).await;

        // The registration is still there, and still ends with its connection.
        drop(node);
        tokio::time::timeout(LIMIT, kept)
            .await
            .expect("the registration did not end")
            .unwrap()
            .expect("a registration closed by its node ends cleanly");
        assert!(registry.names().is_empty());
    });
});
