//! Runs the `tcp_server` example (`examples/tcp_server.rs`: a supervised TCP server
//! with a process per connection) with real sockets on 127.0.0.1 and checks what a
//! client sees: each connection has its own process; a connection that crashes
//! closes alone while the others keep answering; the acceptor, killed, is restarted
//! on the same port; `QUIT` closes a connection cleanly.

#[path = "../examples/tcp_server.rs"]
mod tcp_server;

use std::time::{Duration, Instant};

use tether::{ExitReason, Runtime};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};

/// Every wait is bounded: a hung server fails the test instead of hanging it.
const T: Duration = Duration::from_secs(10);

struct Client {
    lines: tokio::io::Lines<BufReader<OwnedReadHalf>>,
    write: OwnedWriteHalf,
    /// The greeting: `HELLO <pid of the connection's process>`.
    hello: String,
}

impl Client {
    async fn connect(addr: std::net::SocketAddr) -> Client {
        let socket = tokio::time::timeout(T, TcpStream::connect(addr))
            .await
            .expect("connect in time")
            .expect("connect");
        let (read, write) = socket.into_split();
        let mut client = Client {
            lines: BufReader::new(read).lines(),
            write,
            hello: String::new(),
        };
        client.hello = client.line().await.expect("a greeting");
        assert!(client.hello.starts_with("HELLO <"), "{}", client.hello);
        client
    }

    /// The next line, or `None` when the server closed the connection.
    async fn line(&mut self) -> Option<String> {
        tokio::time::timeout(T, self.lines.next_line())
            .await
            .expect("an answer in time")
            .unwrap_or(None)
    }

    async fn ask(&mut self, line: &str) -> Option<String> {
        self.write
            .write_all(format!("{line}\n").as_bytes())
            .await
            .expect("write");
        self.line().await
    }
}

/// Asks `WHO` until the server counts `n` connections.
async fn wait_for_connections(client: &mut Client, n: usize) {
    let deadline = Instant::now() + T;
    let want = format!("CONNECTIONS {n}");
    loop {
        let got = client.ask("WHO").await.expect("WHO answered");
        if got == want {
            return;
        }
        assert!(Instant::now() < deadline, "still {got}, want {want}");
        tether::sleep(Duration::from_millis(5)).await;
    }
}

#[test]
fn each_connection_has_its_process_and_fails_alone() {
    Runtime::new().unwrap().block_on(async {
        let (_root, addr) = tcp_server::start("127.0.0.1:0".parse().unwrap())
            .await
            .expect("server started");
        let mut a = Client::connect(addr).await;
        let mut b = Client::connect(addr).await;
        let mut c = Client::connect(addr).await;
        assert_ne!(a.hello, b.hello, "two connections, two processes");
        assert_eq!(a.ask("PING").await.as_deref(), Some("PONG"));
        assert_eq!(
            b.ask("hello there").await.as_deref(),
            Some("ECHO hello there")
        );
        wait_for_connections(&mut c, 3).await;

        // b's process crashes: b's socket closes, nobody else notices.
        assert_eq!(
            b.ask("CRASH").await,
            None,
            "the crashed connection is closed"
        );
        assert_eq!(a.ask("PING").await.as_deref(), Some("PONG"));
        assert_eq!(
            c.ask("still here?").await.as_deref(),
            Some("ECHO still here?")
        );
        wait_for_connections(&mut a, 2).await;

        // The acceptor is killed; its supervisor starts another on the same listener.
        let acceptor = tether::whereis(tcp_server::ACCEPTOR).expect("an acceptor");
        tether::exit(acceptor, ExitReason::Kill);
        let deadline = Instant::now() + T;
        while tether::whereis(tcp_server::ACCEPTOR).is_none_or(|p| p == acceptor) {
            assert!(Instant::now() < deadline, "the acceptor was not restarted");
            tether::sleep(Duration::from_millis(1)).await;
        }
        let mut d = Client::connect(addr).await;
        assert_eq!(d.ask("PING").await.as_deref(), Some("PONG"));
        assert_eq!(
            a.ask("PING").await.as_deref(),
            Some("PONG"),
            "old connections live on"
        );
        wait_for_connections(&mut d, 3).await;

        // QUIT: a clean goodbye, then the server closes.
        assert_eq!(a.ask("QUIT").await.as_deref(), Some("BYE"));
        assert_eq!(a.line().await, None);
        wait_for_connections(&mut d, 2).await;
    });
}
