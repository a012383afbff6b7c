//! EPMD interop: our server with real `erl` nodes, our client with the real `epmd`,
//! and malformed requests against our server.

mod interop;

use std::net::SocketAddr;
use std::time::Duration;

use interop::eventually::eventually;
use interop::{Beam, BeamSpec, RealEpmd, init_tracing, short_host, unique};
use tether::dist::epmd::{EpmdClient, EpmdConfig, EpmdServer, NodeInfo};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const T: Duration = Duration::from_secs(20);
const STAY: &str = "io:format(\"UP ~s~n\", [node()]), timer:sleep(infinity).";

async fn our_epmd() -> tether::dist::epmd::EpmdHandle {
    EpmdServer::bind("127.0.0.1:0".parse().unwrap())
        .await
        .unwrap()
        .spawn()
}

async fn wait_until<F: Fn() -> bool>(what: &str, f: F) {
    eventually(what, || async { f() }).await
}

/// erl nodes register with our EPMD, `net_adm:names()` lists them, they find each
/// other through it (`net_adm:ping` → pong), and a registration vanishes with its node.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn erl_nodes_use_our_epmd_server() {
    init_tracing();
    let epmd = our_epmd().await;
    let port = epmd.local_addr().port();
    let a_spec = BeamSpec::erl("epa", "c1", Some(port), STAY);
    let mut a = Beam::start(&a_spec);
    a.wait_line("UP ", T).await;
    wait_until("a registered", || {
        epmd.names().iter().any(|(n, _)| *n == a_spec.sname)
    })
    .await;

    let b_eval = format!(
        "{{ok, Names}} = net_adm:names(), io:format(\"NAMES ~p~n\", [Names]), \
         io:format(\"PING ~p~n\", [net_adm:ping('{}')]), timer:sleep(infinity).",
        a.node
    );
    let mut b = Beam::start(&BeamSpec::erl("epb", "c1", Some(port), &b_eval));
    let names = b.wait_line("NAMES", T).await;
    assert!(names.contains(&format!("\"{}\"", a_spec.sname)), "{names}");
    assert_eq!(b.wait_line("PING", T).await, "PING pong");

    let client = EpmdClient::new(epmd.local_addr());
    let info = client
        .port_please(&a_spec.sname)
        .await
        .unwrap()
        .expect("a is registered");
    assert_eq!(
        (info.highest_version, info.lowest_version),
        (6, 5),
        "OTP 25 registers 6/5"
    );

    a.kill().await;
    wait_until("a unregistered", || {
        !epmd.names().iter().any(|(n, _)| *n == a_spec.sname)
    })
    .await;
    assert!(client.port_please(&a_spec.sname).await.unwrap().is_none());
}

/// Our client registers with the real `epmd`; erl sees the name; our PORT_PLEASE2 and
/// NAMES find an erl node; dropping the registration unregisters.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn our_client_with_real_epmd() {
    init_tracing();
    let epmd = RealEpmd::start().await;
    let client = EpmdClient::new(SocketAddr::from(([127, 0, 0, 1], epmd.port)));
    let ours = unique("tclient");
    let reg = client.register(&NodeInfo::new(&ours, 12345)).await.unwrap();
    assert_ne!(reg.creation(), 0);
    // A second registration of the same name is refused.
    assert!(client.register(&NodeInfo::new(&ours, 12346)).await.is_err());

    let eval =
        "{ok, Names} = net_adm:names(), io:format(\"NAMES ~p~n\", [Names]), timer:sleep(infinity).";
    let spec = BeamSpec::erl("ecl", "c2", Some(epmd.port), eval);
    let mut beam = Beam::start(&spec);
    let line = beam.wait_line("NAMES", T).await;
    assert!(line.contains(&format!("{{\"{ours}\",12345}}")), "{line}");

    let info = client
        .port_please(&spec.sname)
        .await
        .unwrap()
        .expect("erl registered");
    assert_eq!(info.name, spec.sname);
    assert!(info.port > 0);
    assert_eq!(info.highest_version, 6);
    assert!(
        client
            .names()
            .await
            .unwrap()
            .iter()
            .any(|(n, p)| *n == spec.sname && *p == info.port)
    );

    drop(reg);
    eventually("the dropped registration is gone", || async {
        client.port_please(&ours).await.unwrap().is_none()
    })
    .await;
    let _ = short_host();
}

/// Re-registering a name yields a different 32-bit creation; old-style (v5)
/// registrations get the 16-bit reply.
#[tokio::test]
async fn creation_changes_across_registrations() {
    let epmd = our_epmd().await;
    let client = EpmdClient::new(epmd.local_addr());
    let mut seen = Vec::new();
    for _ in 0..4 {
        let reg = client.register(&NodeInfo::new("again", 1)).await.unwrap();
        seen.push(reg.creation());
        drop(reg);
        wait_until("unregistered", || epmd.names().is_empty()).await;
    }
    assert!(
        seen.windows(2).all(|w| w[0] != w[1] && w[1] != 0),
        "{seen:?}"
    );
    let mut old = NodeInfo::new("old", 1);
    old.highest_version = 5;
    old.lowest_version = 5;
    let c1 = client.register(&old).await.unwrap();
    assert!((1..=3).contains(&c1.creation()));
}

async fn expect_closed(mut s: TcpStream) {
    let mut buf = [0u8; 64];
    let n = tokio::time::timeout(T, s.read(&mut buf))
        .await
        .expect("server did not close");
    assert!(
        matches!(n, Ok(0) | Err(_)),
        "server answered {:?}",
        n.map(|n| &buf[..n])
    );
}

/// Malformed requests each close only their own connection; the server keeps serving
/// and a registration made before is untouched.
#[tokio::test]
async fn malformed_requests_close_only_their_connection() {
    init_tracing();
    let cfg = EpmdConfig {
        request_timeout: Duration::from_millis(300),
        ..EpmdConfig::default()
    };
    let epmd = EpmdServer::bind_with("127.0.0.1:0".parse().unwrap(), cfg)
        .await
        .unwrap()
        .spawn();
    let addr = epmd.local_addr();
    let client = EpmdClient::new(addr);
    let _reg = client
        .register(&NodeInfo::new("survivor", 7))
        .await
        .unwrap();

    let bad: Vec<Vec<u8>> = vec![
        vec![0, 0],                                                    // zero length
        vec![0xff, 0xff, b'n'],                                        // oversized length
        vec![0, 1, b'Q'],                                              // unknown tag
        vec![0, 3, b'x', 0, 1],                                        // truncated ALIVE2_REQ
        vec![0, 13, b'x', 0, 1, 77, 0, 0, 6, 0, 6, 0, 99, b'a', b'b'], // name length beyond packet
        vec![0, 4, b'z', b'a', 0, b'b'], // NUL inside PORT_PLEASE2 name
        vec![0, 3, b'z', 0xff, 0xfe],    // non-UTF-8 name
        vec![0, 5, b'n'],                // promises more than it sends: timeout
    ];
    for req in bad {
        let mut s = TcpStream::connect(addr).await.unwrap();
        s.write_all(&req).await.unwrap();
        expect_closed(s).await;
    }
    // KILL_REQ is refused with "NO" (this server cannot be stopped remotely).
    let mut s = TcpStream::connect(addr).await.unwrap();
    s.write_all(&[0, 1, b'k']).await.unwrap();
    let mut no = Vec::new();
    s.read_to_end(&mut no).await.unwrap();
    assert_eq!(no, b"NO");
    // Data sent on a registration connection ends that registration only.
    let mut s = TcpStream::connect(addr).await.unwrap();
    s.write_all(
        &tether::dist::epmd::proto::encode_alive2_req(&NodeInfo::new("chatty", 8)).unwrap(),
    )
    .await
    .unwrap();
    let mut reply = [0u8; 6];
    s.read_exact(&mut reply).await.unwrap();
    assert_eq!(&reply[..2], &[b'v', 0]);
    s.write_all(b"hello").await.unwrap();
    expect_closed(s).await;

    let names = client.names().await.unwrap();
    assert_eq!(names, vec![("survivor".to_string(), 7)]);
    assert_eq!(
        client.port_please("survivor").await.unwrap().unwrap().port,
        7
    );
}

/// Embedded use: start an EPMD only when none answers at the address.
#[tokio::test]
async fn ensure_running_starts_only_when_absent() {
    let existing = our_epmd().await;
    assert!(
        EpmdServer::ensure_running(existing.local_addr())
            .await
            .unwrap()
            .is_none()
    );
    let addr: SocketAddr = ([127, 0, 0, 1], interop::free_port()).into();
    let started = EpmdServer::ensure_running(addr)
        .await
        .unwrap()
        .expect("started");
    assert_eq!(started.local_addr(), addr);
    assert!(EpmdClient::new(addr).names().await.unwrap().is_empty());
}
