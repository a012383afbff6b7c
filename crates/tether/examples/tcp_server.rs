//! A supervised TCP server with a process per connection.
//!
//! Run with `cargo run -p tether --example tcp_server` (listens on 127.0.0.1:7070, or
//! on `TCP_SERVER_ADDR`), then `nc 127.0.0.1 7070` and type `PING`, `WHO`, `CRASH`,
//! `QUIT` or anything else.
//!
//! ```text
//!   tcp_sup (one_for_one)
//!   ├── connections (DynamicSupervisor) ── conn <peer> ── conn <peer> ── ...
//!   └── acceptor ── accepts on the listener, starts a `conn` child per socket
//! ```
//!
//! Each accepted socket is owned by a process of its own under the `connections`
//! dynamic supervisor (`temporary`: a connection that ends is not restarted, its
//! client has gone). A connection that crashes (`CRASH` makes it panic) closes its
//! socket and nothing else: the other connections and the acceptor go on. The
//! listener is bound once, before the tree starts, and shared with the acceptor, so a
//! crashed acceptor is restarted by `tcp_sup` on the same port while the
//! connections it already accepted keep running.
//!
//! The protocol is lines: `PING` → `PONG`, `WHO` → `CONNECTIONS n`, `QUIT` → `BYE`
//! and close, `CRASH` → the connection's process panics, anything else → `ECHO line`.
//! A connection greets with `HELLO <pid>`.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use tether::otp::dynamic_supervisor::{self, DynamicSupervisor};
use tether::otp::supervisor::{ChildSpec, Restart, Strategy, Supervisor};
use tether::{ExitReason, Pid, Runtime};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};

/// The name of the dynamic supervisor of the connections.
pub const CONNECTIONS: &str = "connections";
/// The name of the acceptor process.
pub const ACCEPTOR: &str = "acceptor";

/// Binds `addr` and starts the server's supervision tree; returns the tree's root
/// and the address it listens on.
pub async fn start(addr: SocketAddr) -> std::io::Result<(Pid, SocketAddr)> {
    let listener = Arc::new(TcpListener::bind(addr).await?);
    let local = listener.local_addr()?;
    let root = Supervisor::new(Strategy::OneForOne)
        .name("tcp_sup")
        .child(
            ChildSpec::dynamic_supervisor(DynamicSupervisor::new().name(CONNECTIONS))
                .id(CONNECTIONS),
        )
        .child(ChildSpec::process(ACCEPTOR, move || {
            acceptor(listener.clone())
        }))
        .start_link()
        .await
        .map_err(|e| std::io::Error::other(format!("the supervision tree did not start: {e:?}")))?;
    Ok((root, local))
}

/// Accepts connections and starts a process for each.
async fn acceptor(listener: Arc<TcpListener>) {
    tether::register(ACCEPTOR, tether::self_pid()).expect("one acceptor");
    loop {
        let (socket, peer) = match listener.accept().await {
            Ok(accepted) => accepted,
            Err(e) => {
                // Out of file descriptors and the like: let the supervisor restart us.
                tether::exit_self(ExitReason::from(format!("accept failed: {e}").as_str()));
            }
        };
        // The child's start function may run again on a restart; the socket can be
        // handed over once, so it waits in a slot (and the child is temporary).
        let slot = Arc::new(Mutex::new(Some(socket)));
        let spec = ChildSpec::process(format!("conn {peer}"), move || {
            let socket = slot.lock().unwrap().take();
            async move {
                if let Some(socket) = socket {
                    connection(socket).await;
                }
            }
        })
        .restart(Restart::Temporary);
        if let Err(e) = dynamic_supervisor::start_child(CONNECTIONS, spec).await {
            eprintln!("could not start a process for {peer}: {e:?}");
        }
    }
}

/// Serves one client, line by line, until it quits or goes away.
async fn connection(socket: TcpStream) {
    let (read, mut write) = socket.into_split();
    let mut lines = BufReader::new(read).lines();
    let hello = format!("HELLO {}\n", tether::self_pid());
    if write.write_all(hello.as_bytes()).await.is_err() {
        return;
    }
    while let Ok(Some(line)) = lines.next_line().await {
        let answer = match line.trim() {
            "PING" => "PONG".to_string(),
            "WHO" => match dynamic_supervisor::count_children(CONNECTIONS).await {
                Ok(counts) => format!("CONNECTIONS {}", counts.active),
                Err(e) => format!("ERROR {e:?}"),
            },
            "QUIT" => {
                let _ = write.write_all(b"BYE\n").await;
                return;
            }
            "CRASH" => panic!("the client asked this connection to crash"),
            other => format!("ECHO {other}"),
        };
        if write
            .write_all(format!("{answer}\n").as_bytes())
            .await
            .is_err()
        {
            return;
        }
    }
}

#[allow(dead_code)] // the example's test includes this file and calls `start`
fn main() -> tether::Stopped {
    let addr: SocketAddr = std::env::var("TCP_SERVER_ADDR")
        .unwrap_or_else(|_| "127.0.0.1:7070".into())
        .parse()
        .expect("TCP_SERVER_ADDR is an address such as 127.0.0.1:7070");
    Runtime::new().expect("runtime").run(async move {
        let (root, local) = start(addr)
            .await
            .map_err(|e| ExitReason::from(e.to_string().as_str()))?;
        println!(
            "listening on {local}: try `nc {} {}`",
            local.ip(),
            local.port()
        );
        Ok::<_, ExitReason>(root)
    })
}
