//! The web observer: a live page that looks inside a running node, as Erlang's
//! `observer` and Phoenix LiveDashboard do (feature `observer`).
//!
//! [`serve`] (or [`Observer`] for the options) starts an HTTP server on the calling
//! runtime and returns an [`ObserverHandle`] with the address it bound (port 0 picks a
//! free one) and a way to stop it. Open the address in a browser:
//!
//! - **System**: node name, uptime, worker threads, process count, memory, run-queue
//!   length, messages/s and spawns/s, with charts of the last minutes;
//! - **Processes**: a table sorted by reductions-equivalent (messages handled),
//!   memory or message-queue length, searched by registered name or pid;
//! - **a process page**: status, links, monitors, monitored_by, trap_exit, queue
//!   length, a GenServer's state (`sys:get_state`-like, from
//!   [`GenServer::format_status`](crate::GenServer::format_status)), and a kill button
//!   that asks first;
//! - **Supervision**: the kernel's tree and the application's, live, with each
//!   child's restart count;
//! - **Nodes**: each connection's peer, flags, TLS or not, traffic and age;
//! - `/metrics`: the node's metrics in Prometheus text format.
//!
//! ## Design
//!
//! - **Everything is embedded.** The page is one HTML file with its CSS and JS inline
//!   (`include_str!`); it loads nothing from the network. Its charts are a few lines
//!   of canvas drawing.
//! - **Live without reloading.** The server samples the system figures every second
//!   into a bounded ring buffer (the charts' history, so a page opened late still
//!   shows the last minutes) and pushes each sample to every open page as a
//!   server-sent event; on each event the page refreshes the tab it shows.
//! - **Usable at a million processes.** Sorting, searching and paging happen on the
//!   server: the page asks for one page of rows (at most 500) and never downloads the
//!   table. Each such request walks the process table (see
//!   [`introspect::processes`](crate::introspect::processes)), a few hundred
//!   milliseconds at a million processes (`examples/observer_million.rs` measures it),
//!   so the walks run on tokio's blocking pool rather than a worker thread; the
//!   sampler takes at most 5 % of a thread (it samples less often when a walk is
//!   long), and the page's live refreshes leave the server at least 5/6 of the time.
//! - **Not a process.** The HTTP server, its connections and the sampler are tokio
//!   tasks on the runtime's worker threads, so they do not show in the process table
//!   and cannot be killed from it. The requests that need a calling process (walking
//!   supervisors, asking a GenServer for its state) run in a short-lived helper
//!   process each, which may show in the table for the milliseconds it lives.
//! - **Read-only but for one button.** The only request that changes anything is the
//!   kill (`exit(Pid, kill)`), a `POST` that needs a custom header so that no other
//!   web page can make a browser send it. Bind the observer to loopback (as
//!   `127.0.0.1:PORT`); it has no authentication.
//!
//! ```
//! tether::Runtime::new().unwrap().block_on(async {
//!     let observer = tether::observer::serve("127.0.0.1:0".parse().unwrap()).await.unwrap();
//!     let addr = observer.local_addr();
//!     assert!(addr.port() != 0);
//!     // ... open http://{addr}/ in a browser ...
//!     observer.stop().await;
//! });
//! ```

mod history;
mod routes;
mod source;
mod view;

use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;
use tokio::task::JoinHandle;

use history::History;

/// Starts the observer on `addr` with the default options ([`Observer::new`]).
///
/// Must be called on a Tether runtime (from a process or a task on its threads): the
/// server runs there and shows that runtime's node.
pub async fn serve(addr: SocketAddr) -> io::Result<ObserverHandle> {
    Observer::new(addr).start().await
}

/// The observer's options.
///
/// ```
/// use std::time::Duration;
/// use tether::observer::Observer;
///
/// tether::Runtime::new().unwrap().block_on(async {
///     let observer = Observer::new("127.0.0.1:0".parse().unwrap())
///         .history(Duration::from_secs(600))
///         .start()
///         .await
///         .unwrap();
///     observer.stop().await;
/// });
/// ```
#[derive(Clone, Debug)]
pub struct Observer {
    addr: SocketAddr,
    history: Duration,
}

impl Observer {
    /// An observer that will listen on `addr` (port 0: any free port), keeping five
    /// minutes of chart history.
    pub fn new(addr: SocketAddr) -> Observer {
        Observer {
            addr,
            history: Duration::from_secs(300),
        }
    }

    /// How much history the charts keep (one sample a second; at least one sample).
    pub fn history(mut self, span: Duration) -> Observer {
        self.history = span;
        self
    }

    /// Binds the address and starts serving on the calling runtime.
    ///
    /// # Errors
    ///
    /// If the address cannot be bound.
    ///
    /// # Panics
    ///
    /// Outside a Tether runtime.
    pub async fn start(self) -> io::Result<ObserverHandle> {
        let listener = tokio::net::TcpListener::bind(self.addr).await?;
        let addr = listener.local_addr()?;
        let samples = (self.history.as_secs() / history::INTERVAL.as_secs()).max(1) as usize;
        let history = Arc::new(History::new(samples));
        let (stop_tx, stop_rx) = watch::channel(false);
        tokio::spawn(history::run(history.clone(), stop_rx.clone()));
        let app = routes::router(history);
        let mut stop = stop_rx;
        let server = tokio::spawn(async move {
            let shutdown = async move { stopped(&mut stop).await };
            if let Err(e) = axum::serve(listener, app)
                .with_graceful_shutdown(shutdown)
                .await
            {
                tracing::warn!(%e, "observer: the server stopped");
            }
        });
        tracing::info!(%addr, "observer: serving");
        Ok(ObserverHandle {
            addr,
            stop: stop_tx,
            server,
        })
    }
}

/// Resolves once [`ObserverHandle::stop`] is called; never if the handle was dropped
/// without it (the observer then serves for the life of the runtime).
async fn stopped(stop: &mut watch::Receiver<bool>) {
    if stop.wait_for(|s| *s).await.is_err() {
        std::future::pending::<()>().await;
    }
}

/// A running observer. Dropping the handle leaves it running (for the life of the
/// runtime); [`stop`](ObserverHandle::stop) stops it.
#[derive(Debug)]
pub struct ObserverHandle {
    addr: SocketAddr,
    stop: watch::Sender<bool>,
    server: JoinHandle<()>,
}

impl ObserverHandle {
    /// The address the observer listens on (the port it got when asked for port 0).
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// Stops listening and sampling, and waits until the server has ended. Open
    /// event streams end with it.
    pub async fn stop(self) {
        let _ = self.stop.send(true);
        let _ = self.server.await;
    }
}
