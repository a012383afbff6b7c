//! EPMD's per-connection code on any byte stream (feature `wire`; for fuzzers and
//! tests that drive EPMD without TCP).
//!
//! [`EpmdRegistry`] serves one connection exactly as [`EpmdServer`](super::EpmdServer)
//! serves an accepted TCP connection, and the `read_*` functions read a reply exactly
//! as [`EpmdClient`](super::EpmdClient) reads it from its socket: the TCP paths call
//! the same code.

use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite};

use super::proto::NodeInfo;
use super::server::{self, EpmdConfig, Shared};
use super::{EpmdError, client};

/// An EPMD registry without a listener: it serves the connections it is handed, and
/// registrations made on one are seen by the others.
///
/// ```
/// use tether::dist::epmd::{on_stream::EpmdRegistry, proto, EpmdConfig, NodeInfo};
/// use tokio::io::{AsyncReadExt, AsyncWriteExt};
/// # tether::Runtime::new().unwrap().block_on(async {
/// let registry = EpmdRegistry::new(EpmdConfig::default(), 4369).unwrap();
/// let (ours, mut theirs) = tokio::io::duplex(1024);
/// theirs.write_all(&[0, 1, proto::NAMES_REQ]).await.unwrap();
/// registry.serve(ours, true).await.unwrap();
/// let mut reply = Vec::new();
/// theirs.read_to_end(&mut reply).await.unwrap();
/// assert_eq!(reply, 4369u32.to_be_bytes()); // EPMD's port, and no node
/// # });
/// ```
pub struct EpmdRegistry {
    shared: Shared,
    config: EpmdConfig,
    port: u16,
}

impl EpmdRegistry {
    /// An empty registry with the given limits; `epmd_port` is the port its NAMES
    /// replies announce.
    ///
    /// ```
    /// use tether::dist::epmd::{on_stream::EpmdRegistry, EpmdConfig};
    /// let registry = EpmdRegistry::new(EpmdConfig::default(), 4369).unwrap();
    /// assert!(registry.names().is_empty());
    /// ```
    pub fn new(config: EpmdConfig, epmd_port: u16) -> std::io::Result<EpmdRegistry> {
        Ok(EpmdRegistry {
            shared: server::new_registry()?,
            config,
            port: epmd_port,
        })
    }

    /// Serves one connection as the TCP server does: reads one request (under the
    /// configured timeout) and answers it; a registration lasts until the peer closes
    /// `stream`, and then this returns. `local` says whether the peer is on this host
    /// (only local peers may register or dump). `Err` says why the connection was
    /// closed without a normal end.
    ///
    /// ```
    /// use tether::dist::epmd::{on_stream::EpmdRegistry, proto, EpmdConfig, NodeInfo};
    /// use tokio::io::AsyncWriteExt;
    /// # tether::Runtime::new().unwrap().block_on(async {
    /// let registry = EpmdRegistry::new(EpmdConfig::default(), 4369).unwrap();
    /// let (ours, mut theirs) = tokio::io::duplex(1024);
    /// theirs.write_all(&proto::encode_alive2_req(&NodeInfo::new("n", 7)).unwrap()).await.unwrap();
    /// // A remote peer may not register.
    /// assert!(registry.serve(ours, false).await.is_err());
    /// assert!(registry.names().is_empty());
    /// # });
    /// ```
    pub async fn serve<S>(&self, stream: S, local: bool) -> Result<(), EpmdError>
    where
        S: AsyncRead + AsyncWrite + Unpin,
    {
        server::serve_conn(stream, local, self.port, &self.shared, &self.config).await
    }

    /// The registered nodes, in registration order, as `(short name, port)`.
    ///
    /// ```
    /// use tether::dist::epmd::{on_stream::EpmdRegistry, proto, EpmdConfig, NodeInfo};
    /// use tokio::io::{AsyncReadExt, AsyncWriteExt};
    /// # tether::Runtime::new().unwrap().block_on(async {
    /// let registry = std::sync::Arc::new(EpmdRegistry::new(EpmdConfig::default(), 4369).unwrap());
    /// let (ours, mut theirs) = tokio::io::duplex(1024);
    /// theirs.write_all(&proto::encode_alive2_req(&NodeInfo::new("n", 7)).unwrap()).await.unwrap();
    /// let r = registry.clone();
    /// let conn = tokio::spawn(async move { r.serve(ours, true).await });
    /// let mut reply = [0; 6];
    /// theirs.read_exact(&mut reply).await.unwrap(); // ALIVE2_X_RESP, result 0
    /// assert_eq!(&reply[..2], &[proto::ALIVE2_X_RESP, 0]);
    /// assert_eq!(registry.names(), [("n".to_string(), 7)]);
    /// drop(theirs); // the node goes: its name with it
    /// conn.await.unwrap().unwrap();
    /// assert!(registry.names().is_empty());
    /// # });
    /// ```
    pub fn names(&self) -> Vec<(String, u16)> {
        server::names(&self.shared)
    }
}

/// Reads the reply to an ALIVE2_REQ for `name` from `s`, as [`EpmdClient::register`]
/// does, each read under `timeout`: the creation EPMD assigned, or
/// [`EpmdError::Refused`] for a result code other than 0.
///
/// [`EpmdClient::register`]: super::EpmdClient::register
///
/// ```
/// use std::time::Duration;
/// use tether::dist::epmd::{on_stream, EpmdError};
/// # tether::Runtime::new().unwrap().block_on(async {
/// let t = Duration::from_secs(1);
/// let mut ok: &[u8] = &[b'v', 0, 0, 0, 0, 7];
/// assert_eq!(on_stream::read_alive2_reply(&mut ok, "n", t).await.unwrap(), 7);
/// let mut taken: &[u8] = &[b'y', 1, 0, 0];
/// let err = on_stream::read_alive2_reply(&mut taken, "n", t).await.unwrap_err();
/// assert!(matches!(err, EpmdError::Refused { result: 1, .. }));
/// # });
/// ```
pub async fn read_alive2_reply<S: AsyncRead + Unpin>(
    s: &mut S,
    name: &str,
    timeout: Duration,
) -> Result<u32, EpmdError> {
    client::read_alive2_reply(s, name, timeout).await
}

/// Reads a PORT2_RESP from `s`, as [`EpmdClient::port_please`] does, each read under
/// `timeout`: `Ok(None)` when EPMD does not know the name.
///
/// [`EpmdClient::port_please`]: super::EpmdClient::port_please
///
/// ```
/// use std::time::Duration;
/// use tether::dist::epmd::{on_stream, proto, NodeInfo};
/// # tether::Runtime::new().unwrap().block_on(async {
/// let t = Duration::from_secs(1);
/// let reply = proto::encode_port2_resp(&NodeInfo::new("kv", 4370)).unwrap();
/// let info = on_stream::read_port2_reply(&mut reply.as_slice(), t).await.unwrap();
/// assert_eq!(info.unwrap().port, 4370);
/// assert_eq!(on_stream::read_port2_reply(&mut &[b'w', 1][..], t).await.unwrap(), None);
/// # });
/// ```
pub async fn read_port2_reply<S: AsyncRead + Unpin>(
    s: &mut S,
    timeout: Duration,
) -> Result<Option<NodeInfo>, EpmdError> {
    client::read_port2_reply(s, timeout).await
}

/// Reads a NAMES reply from `s` to its end, as [`EpmdClient::names`] does (at most
/// [`MAX_NAMES_REPLY`](super::client::MAX_NAMES_REPLY) bytes, under `timeout`), as
/// `(short name, port)`.
///
/// [`EpmdClient::names`]: super::EpmdClient::names
///
/// ```
/// use std::time::Duration;
/// use tether::dist::epmd::on_stream;
/// # tether::Runtime::new().unwrap().block_on(async {
/// let mut reply: &[u8] = b"\0\0\x11\x11name kv at port 4370\n";
/// let names = on_stream::read_names_reply(&mut reply, Duration::from_secs(1)).await.unwrap();
/// assert_eq!(names, [("kv".to_string(), 4370)]);
/// # });
/// ```
pub async fn read_names_reply<S: AsyncRead + Unpin>(
    s: &mut S,
    timeout: Duration,
) -> Result<Vec<(String, u16)>, EpmdError> {
    client::read_names_reply(s, timeout).await
}
