//! How long the observer's endpoints take on a node with a million idle processes: a
//! measurement run by hand, not a test (nothing here is asserted about time).
//!
//! ```sh
//! cargo run --release -p tether --features observer --example observer_million [-- N [SECS]]
//! ```
//!
//! With SECS it then keeps serving for that many seconds (to look at the page).
//!
//! It spawns N idle processes (default 1,000,000), one of them with a queue of 1,000
//! messages, starts the observer on a free loopback port, and times each request (three
//! runs each) as the page makes them: the first page of the process table under each
//! sort, a page deep in the table, a search, the system figures and `/metrics`.

use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// One GET over a fresh loopback connection: status line and body length.
async fn get(addr: std::net::SocketAddr, path: &str) -> (String, usize) {
    let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
    let req = format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
    s.write_all(req.as_bytes()).await.unwrap();
    let mut out = Vec::new();
    s.read_to_end(&mut out).await.unwrap();
    let text = String::from_utf8_lossy(&out);
    let status = text.lines().next().unwrap_or("").to_string();
    let body = text.split_once("\r\n\r\n").map_or(0, |(_, b)| b.len());
    (status, body)
}

fn main() {
    let n: usize = std::env::args()
        .nth(1)
        .map(|a| a.parse().expect("N: a number of processes"))
        .unwrap_or(1_000_000);
    let serve_for: Option<u64> = std::env::args().nth(2).and_then(|s| s.parse().ok());
    let rt = tether::Runtime::new().unwrap();
    rt.block_on(async move {
        let t = Instant::now();
        for _ in 0..n {
            tether::spawn(std::future::pending::<()>());
        }
        let hoarder = tether::spawn(std::future::pending::<()>());
        tether::register("hoarder", hoarder).unwrap();
        for i in 0..1000u32 {
            tether::send(hoarder, i).unwrap();
        }
        println!(
            "{} processes up in {:.1?}",
            tether::process_count(),
            t.elapsed()
        );
        let observer = tether::observer::serve("127.0.0.1:0".parse().unwrap())
            .await
            .unwrap();
        let addr = observer.local_addr();
        tokio::time::sleep(Duration::from_secs(2)).await;
        let deep = n / 2;
        for path in [
            "/api/processes?limit=50".to_string(),
            "/api/processes?sort=reductions&desc=true&limit=50".into(),
            "/api/processes?sort=memory&desc=true&limit=50".into(),
            "/api/processes?sort=message_queue_len&desc=true&limit=50".into(),
            format!("/api/processes?offset={deep}&limit=50"),
            "/api/processes?search=hoarder".into(),
            "/api/system".into(),
            "/metrics".into(),
        ] {
            for run in 1..=3 {
                let t = Instant::now();
                let (status, bytes) = get(addr, &path).await;
                println!(
                    "{path:<60} run {run}: {:>8.1} ms  ({status}, {bytes} bytes)",
                    t.elapsed().as_secs_f64() * 1000.0
                );
            }
        }
        if let Some(secs) = serve_for {
            println!("serving http://{addr}/ for {secs} s");
            tokio::time::sleep(Duration::from_secs(secs)).await;
        }
        observer.stop().await;
    });
}
