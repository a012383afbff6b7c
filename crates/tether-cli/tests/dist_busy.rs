//! Back-pressure against a stopped peer (docs/distribution.md §3.4): a Tether process
//! sends 1 KiB messages as fast as it can to a `tether node` child OS process; the
//! child is frozen with SIGSTOP. The connection's queue fills to the busy limit, the
//! sender is suspended and this node's memory stays put; SIGCONT lets the sender go
//! on; a second SIGSTOP, left until the peer is declared down (net_ticktime 4 s),
//! lets it go on too.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use tether::dist::{self, DistNode, EpmdMode, NodeConfig};
use tether::{Node, Term};

const BIN: &str = env!("CARGO_BIN_EXE_tether");
const COOKIE: &str = "busy_test_cookie";
const LIMIT: usize = 256 << 10;

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn host() -> String {
    let out = Command::new("hostname").output().unwrap();
    String::from_utf8_lossy(&out.stdout)
        .trim()
        .split('.')
        .next()
        .unwrap()
        .to_owned()
}

/// This OS process's resident memory, in bytes.
fn rss() -> usize {
    let statm = std::fs::read_to_string("/proc/self/statm").unwrap();
    let pages: usize = statm.split_whitespace().nth(1).unwrap().parse().unwrap();
    pages * 4096
}

fn signal(child: &Child, sig: &str) {
    let ok = Command::new("kill")
        .args([sig, &child.id().to_string()])
        .status()
        .unwrap()
        .success();
    assert!(ok, "kill {sig}");
}

/// Polls `f` every 20 ms until it holds, for at most `within`.
async fn until(what: &str, within: Duration, mut f: impl FnMut() -> bool) {
    let deadline = Instant::now() + within;
    while !f() {
        assert!(Instant::now() < deadline, "never: {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Messages sent so far, after `d` more.
async fn sent_after(sent: &AtomicU64, d: Duration) -> (u64, u64) {
    let a = sent.load(Ordering::SeqCst);
    tokio::time::sleep(d).await;
    (a, sent.load(Ordering::SeqCst))
}

struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .args(["-CONT", &self.0.id().to_string()])
            .status();
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn a_sender_to_a_stopped_peer_is_suspended_with_bounded_memory_and_resumes() {
    let epmd = free_port();
    let rt = tether::Runtime::builder()
        .worker_threads(2)
        .build()
        .unwrap();
    let id = std::process::id();
    rt.block_on(async move {
        let cfg = NodeConfig::new(format!("busy_{id}"))
            .cookie(COOKIE)
            .listen("127.0.0.1".parse().unwrap())
            .epmd(EpmdMode::Embedded)
            .epmd_port(epmd)
            .net_ticktime(Duration::from_secs(4))
            .dist_buffer_busy_limit(LIMIT);
        let node: DistNode = dist::start(cfg).await.expect("start the node");
        assert!(node.serves_epmd());

        let name = format!("busypeer_{id}");
        let mut child = Command::new(BIN)
            .env("ERL_EPMD_PORT", epmd.to_string())
            .args(["node", "--name", &name, "--cookie", COOKIE])
            .args(["--listen", "127.0.0.1", "--hidden"])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start `tether node`");
        let out = BufReader::new(child.stdout.take().unwrap());
        let child = Killed(child);
        let mut lines = out.lines();
        assert!(
            lines.any(|l| l.is_ok_and(|l| l.contains("up on port"))),
            "the child node never came up"
        );
        let peer = Node::intern(&format!("{name}@{}", host())).unwrap();
        assert!(dist::connect_node(peer).await, "connect to the child");

        // The fast sender: 1 KiB messages to a name the peer does not have (it reads
        // and drops them), awaiting nothing but a yield between two sends.
        let sent = Arc::new(AtomicU64::new(0));
        let counter = sent.clone();
        let sender = tether::spawn(async move {
            let payload = Term::binary(vec![7u8; 1024]);
            loop {
                let msg = Term::tuple([Term::atom("blob"), payload.clone()]);
                tether::send(("nobody_here", peer), msg).unwrap();
                counter.fetch_add(1, Ordering::SeqCst);
                tokio::task::yield_now().await;
            }
        });
        let (a, b) = sent_after(&sent, Duration::from_millis(500)).await;
        assert!(
            b - a > 1000,
            "the sender runs while the peer reads: {a} → {b}"
        );

        // Stopped peer: the queue reaches the limit, the sender waits, memory stays.
        signal(&child.0, "-STOP");
        let q = || node.output_queue(peer).expect("still connected");
        until("the connection is busy", Duration::from_secs(20), || {
            q().busy
        })
        .await;
        assert_eq!(q().stalls, 1);
        let rss_busy = rss();
        let (a, b) = sent_after(&sent, Duration::from_secs(2)).await;
        assert_eq!(a, b, "a suspended sender sends nothing");
        let queued = q().queued_bytes;
        assert!(
            (LIMIT..LIMIT + 16 * 1024).contains(&queued),
            "queue bounded by the limit: {queued} bytes"
        );
        let grown = rss().saturating_sub(rss_busy);
        assert!(grown < 8 << 20, "RSS grew by {grown} bytes while stalled");

        // SIGCONT: the peer reads again, the queue drains, the sender goes on.
        signal(&child.0, "-CONT");
        until("the connection drains", Duration::from_secs(20), || {
            !q().busy
        })
        .await;
        let (a, b) = sent_after(&sent, Duration::from_millis(500)).await;
        assert!(b - a > 1000, "the sender resumed: {a} → {b}");

        // Stopped again, until the peer is declared down: the sender resumes then.
        signal(&child.0, "-STOP");
        until("busy again", Duration::from_secs(20), || q().busy).await;
        assert_eq!(q().stalls, 2);
        let (a, b) = sent_after(&sent, Duration::from_millis(500)).await;
        assert_eq!(a, b, "suspended again");
        until("the peer is declared down", Duration::from_secs(20), || {
            node.output_queue(peer).is_none()
        })
        .await;
        let stalled_at = b;
        until(
            "the sender resumes once the peer is down",
            Duration::from_secs(5),
            || sent.load(Ordering::SeqCst) > stalled_at,
        )
        .await;
        tether::exit(sender, tether::ExitReason::Kill);
        drop(child);
    });
}
