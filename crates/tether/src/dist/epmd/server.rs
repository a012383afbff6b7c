//! An EPMD server that real `erl` nodes can use.
//!
//! One task per connection runs this state machine:
//!
//! ```text
//! accepted ──read Len:16 (timeout, 1 ≤ Len ≤ max_request_len)──► request
//! request ─ ALIVE2_REQ (loopback peers only) ─► registered ─ EOF/any byte ─► unregister, close
//!         ─ PORT_PLEASE2_REQ ─► PORT2_RESP, close
//!         ─ NAMES_REQ ─► EpmdPort:32 + "name ~s at port ~p\n"…, close
//!         ─ DUMP_REQ (loopback) ─► dump lines, close
//!         ─ KILL_REQ ─► "NO", close     (this server cannot be killed remotely)
//!         ─ anything else / malformed ─► log the reason, close
//! ```
//!
//! A registration belongs to its connection: a guard removes it when the connection's
//! task ends, however it ends. A bad request only ever closes its own connection;
//! the accept loop never fails because of a peer. Concurrent connections are bounded
//! ([`EpmdConfig::max_connections`]); excess ones are closed at once.
//!
//! Creation: version-6 registrations get a 32-bit creation from a counter that starts
//! at a random value and moves on at every registration (never 0), so two successive
//! registrations of one name always differ. Old-style registrations (highest version
//! < 6) get the 16-bit ALIVE2_RESP with a creation cycling through 1..=3 per name, as
//! classic epmd does.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Semaphore;
use tokio::task::JoinHandle;

use super::EpmdError;
use super::proto::{self, Cursor, NodeInfo};

/// Limits and timeouts of an [`EpmdServer`].
#[derive(Debug, Clone)]
pub struct EpmdConfig {
    /// Largest request body accepted (classic epmd: under 1 KiB buffers).
    pub max_request_len: usize,
    /// Time allowed to send a complete request after connecting.
    pub request_timeout: Duration,
    /// Most connections served at once (registrations included).
    pub max_connections: usize,
    /// Most names remembered for creation cycling of old-style registrations.
    pub max_remembered_names: usize,
}

impl Default for EpmdConfig {
    fn default() -> EpmdConfig {
        EpmdConfig {
            max_request_len: 2048,
            request_timeout: Duration::from_secs(10),
            max_connections: 1024,
            max_remembered_names: 4096,
        }
    }
}

pub(crate) struct Entry {
    info: NodeInfo,
    conn: u64,
}

#[derive(Default)]
pub(crate) struct Registry {
    nodes: HashMap<String, Entry>,
    order: Vec<String>,
    old_creations: HashMap<String, u16>,
    next_creation: u32,
    next_conn: u64,
}

pub(crate) type Shared = Arc<Mutex<Registry>>;

fn lock(s: &Shared) -> std::sync::MutexGuard<'_, Registry> {
    s.lock().unwrap_or_else(|e| e.into_inner())
}

/// A bound EPMD server, not yet running.
///
/// ```no_run
/// # async fn demo() -> std::io::Result<()> {
/// use tether::dist::epmd::{EpmdServer, EpmdClient};
/// let server = EpmdServer::bind("127.0.0.1:0".parse().unwrap()).await?;
/// let handle = server.spawn();
/// let names = EpmdClient::new(handle.local_addr()).names().await.unwrap();
/// assert!(names.is_empty());
/// drop(handle); // stops the server; registrations vanish with it
/// # Ok(()) }
/// ```
pub struct EpmdServer {
    listener: TcpListener,
    config: EpmdConfig,
    shared: Shared,
}

impl EpmdServer {
    /// Binds to `addr` with default limits.
    ///
    /// ```
    /// # use std::time::Duration;
    /// # use tether::dist::epmd::{EpmdClient, EpmdConfig, EpmdServer, NodeInfo};
    /// # tether::Runtime::new().unwrap().block_on(async {
    /// let epmd = EpmdServer::bind("127.0.0.1:0".parse().unwrap()).await.unwrap().spawn();
    /// let client = EpmdClient::new(epmd.local_addr());
    /// let _r = client.register(&NodeInfo::new("x", 1234)).await.unwrap();
    /// assert_eq!(epmd.names(), [("x".to_string(), 1234)]);
    /// # });
    /// ```
    pub async fn bind(addr: SocketAddr) -> std::io::Result<EpmdServer> {
        EpmdServer::bind_with(addr, EpmdConfig::default()).await
    }

    /// Binds to `addr` with the given limits.
    ///
    /// ```
    /// # use std::time::Duration;
    /// # use tether::dist::epmd::{EpmdClient, EpmdConfig, EpmdServer, NodeInfo};
    /// # tether::Runtime::new().unwrap().block_on(async {
    /// let epmd = EpmdServer::bind("127.0.0.1:0".parse().unwrap()).await.unwrap().spawn();
    /// let client = EpmdClient::new(epmd.local_addr());
    /// let config = EpmdConfig { max_connections: 8, ..EpmdConfig::default() };
    /// let small = EpmdServer::bind_with("127.0.0.1:0".parse().unwrap(), config).await.unwrap().spawn();
    /// assert!(EpmdClient::new(small.local_addr()).names().await.unwrap().is_empty());
    /// # });
    /// ```
    pub async fn bind_with(addr: SocketAddr, config: EpmdConfig) -> std::io::Result<EpmdServer> {
        let listener = TcpListener::bind(addr).await?;
        Ok(EpmdServer {
            listener,
            config,
            shared: new_registry()?,
        })
    }

    /// The address actually bound.
    ///
    /// ```
    /// # use std::time::Duration;
    /// # use tether::dist::epmd::{EpmdClient, EpmdConfig, EpmdServer, NodeInfo};
    /// # tether::Runtime::new().unwrap().block_on(async {
    /// let epmd = EpmdServer::bind("127.0.0.1:0".parse().unwrap()).await.unwrap().spawn();
    /// let client = EpmdClient::new(epmd.local_addr());
    /// let server = EpmdServer::bind("127.0.0.1:0".parse().unwrap()).await.unwrap();
    /// assert_ne!(server.local_addr().port(), 0); // the port actually bound
    /// # drop(server);
    /// # });
    /// ```
    pub fn local_addr(&self) -> SocketAddr {
        self.listener
            .local_addr()
            .expect("bound listener has an address")
    }

    /// Serves forever (until the future is dropped).
    ///
    /// ```
    /// # use std::time::Duration;
    /// # use tether::dist::epmd::{EpmdClient, EpmdConfig, EpmdServer, NodeInfo};
    /// # tether::Runtime::new().unwrap().block_on(async {
    /// let epmd = EpmdServer::bind("127.0.0.1:0".parse().unwrap()).await.unwrap().spawn();
    /// let client = EpmdClient::new(epmd.local_addr());
    /// let server = EpmdServer::bind("127.0.0.1:0".parse().unwrap()).await.unwrap();
    /// let addr = server.local_addr();
    /// let serving = tokio::spawn(server.serve());
    /// assert!(EpmdClient::new(addr).names().await.unwrap().is_empty());
    /// serving.abort();
    /// # });
    /// ```
    pub async fn serve(self) {
        let limit = Arc::new(Semaphore::new(self.config.max_connections));
        let port = self.local_addr().port();
        let config = Arc::new(self.config);
        loop {
            let (stream, peer) = match self.listener.accept().await {
                Ok(x) => x,
                Err(e) => {
                    // Typically EMFILE: back off instead of spinning.
                    crate::runtime::logger::report_warn!(error = %e, "epmd: accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            };
            let Ok(permit) = limit.clone().try_acquire_owned() else {
                crate::runtime::logger::report_warn!(%peer, "epmd: too many connections; closing a new one");
                continue;
            };
            // As epmd decides it: a peer on this host is one connecting from loopback
            // or from the very address it connected to (a node registering on its own
            // IP).
            let local =
                peer.ip().is_loopback() || stream.local_addr().is_ok_and(|l| l.ip() == peer.ip());
            let shared = self.shared.clone();
            let config = config.clone();
            tokio::spawn(async move {
                if let Err(reason) = serve_conn(stream, local, port, &shared, &config).await {
                    crate::runtime::logger::report_warn!(%peer, %reason, "epmd: closed connection");
                }
                drop(permit);
            });
        }
    }

    /// Runs the server on the current tokio runtime; it stops when the handle drops.
    ///
    /// ```
    /// # use std::time::Duration;
    /// # use tether::dist::epmd::{EpmdClient, EpmdConfig, EpmdServer, NodeInfo};
    /// # tether::Runtime::new().unwrap().block_on(async {
    /// let epmd = EpmdServer::bind("127.0.0.1:0".parse().unwrap()).await.unwrap().spawn();
    /// let client = EpmdClient::new(epmd.local_addr());
    /// let handle = EpmdServer::bind("127.0.0.1:0".parse().unwrap()).await.unwrap().spawn();
    /// let c = EpmdClient::new(handle.local_addr());
    /// let _r = c.register(&NodeInfo::new("n", 7)).await.unwrap();
    /// assert_eq!(handle.names(), [("n".to_string(), 7)]);
    /// # });
    /// ```
    pub fn spawn(self) -> EpmdHandle {
        let addr = self.local_addr();
        let shared = self.shared.clone();
        EpmdHandle {
            addr,
            shared,
            task: tokio::spawn(self.serve()),
        }
    }

    /// Starts an embedded EPMD on `addr` unless one already answers there: returns
    /// `Ok(None)` when an EPMD is already listening, `Ok(Some(handle))` when this
    /// process now serves EPMD.
    ///
    /// ```
    /// # use std::time::Duration;
    /// # use tether::dist::epmd::{EpmdClient, EpmdConfig, EpmdServer, NodeInfo};
    /// # tether::Runtime::new().unwrap().block_on(async {
    /// let epmd = EpmdServer::bind("127.0.0.1:0".parse().unwrap()).await.unwrap().spawn();
    /// let client = EpmdClient::new(epmd.local_addr());
    /// // One answers there already: nothing new is started.
    /// assert!(EpmdServer::ensure_running(epmd.local_addr()).await.unwrap().is_none());
    /// // A free port: this process starts serving EPMD there.
    /// let free = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap();
    /// let started = EpmdServer::ensure_running(free).await.unwrap();
    /// assert_eq!(started.unwrap().local_addr(), free);
    /// # });
    /// ```
    pub async fn ensure_running(addr: SocketAddr) -> std::io::Result<Option<EpmdHandle>> {
        EpmdServer::ensure_running_at(addr, addr).await
    }

    /// [`ensure_running`](Self::ensure_running) that looks for a running EPMD at
    /// `probe` and, finding none, serves on `bind`: a node listening on all interfaces
    /// looks on loopback and serves on all interfaces, as the `epmd` daemon does, so
    /// that peers on other hosts can look it up.
    ///
    /// ```
    /// # use std::time::Duration;
    /// # use tether::dist::epmd::{EpmdClient, EpmdConfig, EpmdServer, NodeInfo};
    /// # tether::Runtime::new().unwrap().block_on(async {
    /// let epmd = EpmdServer::bind("127.0.0.1:0".parse().unwrap()).await.unwrap().spawn();
    /// let client = EpmdClient::new(epmd.local_addr());
    /// let free = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap();
    /// let h = EpmdServer::ensure_running_at(free, free).await.unwrap().unwrap();
    /// assert_eq!(h.local_addr(), free);
    /// // Asked again, the running one answers.
    /// assert!(EpmdServer::ensure_running_at(free, free).await.unwrap().is_none());
    /// # });
    /// ```
    pub async fn ensure_running_at(
        probe: SocketAddr,
        bind: SocketAddr,
    ) -> std::io::Result<Option<EpmdHandle>> {
        let found = tokio::time::timeout(Duration::from_secs(2), TcpStream::connect(probe)).await;
        if let Ok(Ok(_)) = found {
            return Ok(None);
        }
        Ok(Some(EpmdServer::bind(bind).await?.spawn()))
    }
}

/// A running [`EpmdServer`]. Dropping it stops the server.
pub struct EpmdHandle {
    addr: SocketAddr,
    shared: Shared,
    task: JoinHandle<()>,
}

impl EpmdHandle {
    /// The address the server listens on.
    ///
    /// ```
    /// # use std::time::Duration;
    /// # use tether::dist::epmd::{EpmdClient, EpmdConfig, EpmdServer, NodeInfo};
    /// # tether::Runtime::new().unwrap().block_on(async {
    /// let epmd = EpmdServer::bind("127.0.0.1:0".parse().unwrap()).await.unwrap().spawn();
    /// let client = EpmdClient::new(epmd.local_addr());
    /// assert!(epmd.local_addr().ip().is_loopback());
    /// # });
    /// ```
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// The currently registered nodes, as `(short name, port)`.
    ///
    /// ```
    /// # use std::time::Duration;
    /// # use tether::dist::epmd::{EpmdClient, EpmdConfig, EpmdServer, NodeInfo};
    /// # tether::Runtime::new().unwrap().block_on(async {
    /// let epmd = EpmdServer::bind("127.0.0.1:0".parse().unwrap()).await.unwrap().spawn();
    /// let client = EpmdClient::new(epmd.local_addr());
    /// assert!(epmd.names().is_empty());
    /// let _r = client.register(&NodeInfo::new("n", 7)).await.unwrap();
    /// assert_eq!(epmd.names(), [("n".to_string(), 7)]);
    /// # });
    /// ```
    pub fn names(&self) -> Vec<(String, u16)> {
        names(&self.shared)
    }

    /// Waits until the server task ends (it only ends when aborted).
    ///
    /// ```
    /// # use std::time::Duration;
    /// # use tether::dist::epmd::{EpmdClient, EpmdConfig, EpmdServer, NodeInfo};
    /// # tether::Runtime::new().unwrap().block_on(async {
    /// let epmd = EpmdServer::bind("127.0.0.1:0".parse().unwrap()).await.unwrap().spawn();
    /// let client = EpmdClient::new(epmd.local_addr());
    /// let server = EpmdServer::bind("127.0.0.1:0".parse().unwrap()).await.unwrap().spawn();
    /// // `join` waits for the server task; it only ends when aborted, so bound the wait.
    /// let waited = tether::otp::task::Task::spawn_async(async move { server.join().await });
    /// assert!(waited.await_(Duration::from_millis(50)).await.is_err()); // still serving
    /// # });
    /// ```
    pub async fn join(mut self) {
        let _ = (&mut self.task).await;
    }
}

impl Drop for EpmdHandle {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Removes a registration when its connection's task ends.
struct Unregister<'a> {
    shared: &'a Shared,
    name: String,
    conn: u64,
}

impl Drop for Unregister<'_> {
    fn drop(&mut self) {
        let mut reg = lock(self.shared);
        if reg
            .nodes
            .get(&self.name)
            .is_some_and(|e| e.conn == self.conn)
        {
            reg.nodes.remove(&self.name);
            reg.order.retain(|n| n != &self.name);
            tracing::debug!(name = %self.name, "epmd: unregistered");
        }
    }
}

/// A registry with no registration, its creation counter at a random start.
pub(crate) fn new_registry() -> std::io::Result<Shared> {
    let mut seed = [0u8; 4];
    getrandom::fill(&mut seed).map_err(|e| std::io::Error::other(e.to_string()))?;
    let registry = Registry {
        next_creation: u32::from_be_bytes(seed),
        ..Registry::default()
    };
    Ok(Arc::new(Mutex::new(registry)))
}

/// The registered nodes, in registration order, as `(short name, port)`.
pub(crate) fn names(shared: &Shared) -> Vec<(String, u16)> {
    let reg = lock(shared);
    reg.order
        .iter()
        .filter_map(|n| reg.nodes.get(n))
        .map(|e| (e.info.name.clone(), e.info.port))
        .collect()
}

/// Serves one EPMD connection: reads one request and answers it (a registration holds
/// the connection until the peer closes it). `local` says whether the peer is on this
/// host (the accept loop decides it from the socket's addresses); only local peers may
/// register or dump. `epmd_port` is the port a NAMES reply announces.
pub(crate) async fn serve_conn<S>(
    mut s: S,
    local: bool,
    epmd_port: u16,
    shared: &Shared,
    config: &EpmdConfig,
) -> Result<(), EpmdError>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let body = tokio::time::timeout(config.request_timeout, read_request(&mut s, config))
        .await
        .map_err(|_| EpmdError::Timeout("reading the request"))??;
    match body[0] {
        proto::ALIVE2_REQ => {
            if !local {
                return Err(EpmdError::Protocol(
                    "ALIVE2_REQ from a non-local address".into(),
                ));
            }
            let mut c = Cursor::new(&body[1..], "ALIVE2_REQ");
            let info = proto::decode_node_fields(&mut c)?;
            let (reply, guard) = register(shared, config, info);
            s.write_all(&reply).await?;
            let Some(_guard) = guard else {
                return Err(EpmdError::Protocol(
                    "ALIVE2_REQ for a name already registered".into(),
                ));
            };
            // Registered until the node closes the connection; it must send nothing.
            let mut b = [0u8; 16];
            match s.read(&mut b).await {
                Ok(0) => Ok(()),
                Ok(_) => Err(EpmdError::Protocol(
                    "data on a registration connection".into(),
                )),
                Err(e) => Err(EpmdError::Io(e)),
            }
        }
        proto::PORT_PLEASE2_REQ => {
            let mut name = &body[1..];
            if name.last() == Some(&0) {
                name = &name[..name.len() - 1];
            }
            let name = proto::check_name(name)?;
            let found = lock(shared).nodes.get(&name).map(|e| e.info.clone());
            let reply = match found {
                Some(info) => proto::encode_port2_resp(&info)?,
                None => vec![proto::PORT2_RESP, 1],
            };
            s.write_all(&reply).await?;
            Ok(())
        }
        proto::NAMES_REQ | proto::DUMP_REQ => {
            let dump = body[0] == proto::DUMP_REQ;
            if dump && !local {
                return Err(EpmdError::Protocol(
                    "DUMP_REQ from a non-local address".into(),
                ));
            }
            let mut out = u32::from(epmd_port).to_be_bytes().to_vec();
            {
                let reg = lock(shared);
                for e in reg.order.iter().filter_map(|n| reg.nodes.get(n)) {
                    if dump {
                        let line = format!(
                            "active name     <{}> at port {}, fd = 0\n\0",
                            e.info.name, e.info.port
                        );
                        out.extend_from_slice(line.as_bytes());
                    } else {
                        out.extend_from_slice(
                            proto::names_line(&e.info.name, e.info.port).as_bytes(),
                        );
                    }
                }
            }
            s.write_all(&out).await?;
            Ok(())
        }
        proto::KILL_REQ => {
            s.write_all(b"NO").await?;
            Err(EpmdError::Protocol("KILL_REQ refused".into()))
        }
        proto::STOP_REQ => Err(EpmdError::Protocol("STOP_REQ refused".into())),
        tag => Err(EpmdError::Protocol(format!("unknown request tag {tag}"))),
    }
}

async fn read_request<S: AsyncRead + Unpin>(
    s: &mut S,
    config: &EpmdConfig,
) -> Result<Vec<u8>, EpmdError> {
    let len = s.read_u16().await? as usize;
    if len == 0 || len > config.max_request_len {
        return Err(EpmdError::Protocol(format!(
            "request length {len} out of range"
        )));
    }
    let mut body = vec![0; len];
    s.read_exact(&mut body).await?;
    Ok(body)
}

/// Registers `info`; returns the reply to send and, on success, the guard that
/// unregisters when the connection ends.
fn register<'a>(
    shared: &'a Shared,
    config: &EpmdConfig,
    info: NodeInfo,
) -> (Vec<u8>, Option<Unregister<'a>>) {
    let v6 = info.highest_version >= 6;
    let mut reg = lock(shared);
    if reg.nodes.contains_key(&info.name) {
        let reply = if v6 {
            vec![proto::ALIVE2_X_RESP, 1, 0, 0, 0, 0]
        } else {
            vec![proto::ALIVE2_RESP, 1, 0, 0]
        };
        return (reply, None);
    }
    let reply = if v6 {
        reg.next_creation = reg.next_creation.wrapping_add(1).max(1);
        let mut r = vec![proto::ALIVE2_X_RESP, 0];
        r.extend_from_slice(&reg.next_creation.to_be_bytes());
        r
    } else {
        if reg.old_creations.len() >= config.max_remembered_names {
            reg.old_creations.clear();
        }
        let seed = (reg.next_creation % 3) as u16 + 1;
        let c = reg
            .old_creations
            .get(&info.name)
            .map_or(seed, |c| c % 3 + 1);
        reg.old_creations.insert(info.name.clone(), c);
        let mut r = vec![proto::ALIVE2_RESP, 0];
        r.extend_from_slice(&c.to_be_bytes());
        r
    };
    reg.next_conn += 1;
    let conn = reg.next_conn;
    let name = info.name.clone();
    tracing::debug!(name = %name, port = info.port, "epmd: registered");
    reg.order.push(name.clone());
    reg.nodes.insert(name.clone(), Entry { info, conn });
    (reply, Some(Unregister { shared, name, conn }))
}
