//! EPMD client.
//!
//! Each request opens a TCP connection to EPMD, writes one framed request and reads the
//! reply. Every step (connect, write, read) runs under the client's timeout. Replies
//! are read with bounded lengths: a PORT2_RESP is read field by field, a NAMES reply is
//! capped at [`MAX_NAMES_REPLY`] bytes.
//!
//! [`EpmdClient::register`] returns a [`Registration`] that owns the ALIVE2 connection:
//! the name stays registered while it lives and is unregistered when it is dropped.
//! [`Registration::closed`] resolves if EPMD drops the connection (the node is then
//! no longer registered and should re-register or stop being distributed).

use std::future::Future;
use std::net::{Ipv4Addr, SocketAddr};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use super::proto::{self, Cursor, NodeInfo};
use super::{EpmdError, epmd_port};

/// The largest NAMES reply read (64 KiB is thousands of nodes).
pub const MAX_NAMES_REPLY: usize = 1 << 20;

/// A client for one EPMD address.
///
/// ```no_run
/// # async fn demo() -> Result<(), tether::dist::epmd::EpmdError> {
/// use tether::dist::epmd::{EpmdClient, NodeInfo};
/// let epmd = EpmdClient::local();
/// let reg = epmd.register(&NodeInfo::new("tether", 4370)).await?;
/// println!("creation {}", reg.creation());
/// if let Some(peer) = epmd.port_please("beam").await? {
///     println!("beam listens on {}", peer.port);
/// }
/// for (name, port) in epmd.names().await? {
///     println!("{name} at {port}");
/// }
/// drop(reg); // unregisters
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct EpmdClient {
    addr: SocketAddr,
    timeout: Duration,
}

impl EpmdClient {
    /// A client for EPMD at `addr`, with a 5 s timeout per step.
    ///
    /// ```
    /// # use std::time::Duration;
    /// # use tether::dist::epmd::{EpmdClient, EpmdConfig, EpmdServer, NodeInfo};
    /// # tether::Runtime::new().unwrap().block_on(async {
    /// let epmd = EpmdServer::bind("127.0.0.1:0".parse().unwrap()).await.unwrap().spawn();
    /// let client = EpmdClient::new(epmd.local_addr());
    /// assert_eq!(client.addr(), epmd.local_addr());
    /// assert!(client.names().await.unwrap().is_empty());
    /// # });
    /// ```
    pub fn new(addr: SocketAddr) -> EpmdClient {
        EpmdClient {
            addr,
            timeout: Duration::from_secs(5),
        }
    }

    /// A client for the local EPMD: `127.0.0.1` at [`epmd_port`] (honours
    /// `ERL_EPMD_PORT`). OTP also always registers over loopback.
    ///
    /// ```
    /// # use std::time::Duration;
    /// # use tether::dist::epmd::{EpmdClient, EpmdConfig, EpmdServer, NodeInfo};
    /// # tether::Runtime::new().unwrap().block_on(async {
    /// let epmd = EpmdServer::bind("127.0.0.1:0".parse().unwrap()).await.unwrap().spawn();
    /// let client = EpmdClient::new(epmd.local_addr());
    /// let local = EpmdClient::local();
    /// assert!(local.addr().ip().is_loopback());
    /// # });
    /// ```
    pub fn local() -> EpmdClient {
        EpmdClient::new(SocketAddr::from((Ipv4Addr::LOCALHOST, epmd_port())))
    }

    /// Sets the timeout applied to each network step.
    ///
    /// ```
    /// # use std::time::Duration;
    /// # use tether::dist::epmd::{EpmdClient, EpmdConfig, EpmdServer, NodeInfo};
    /// # tether::Runtime::new().unwrap().block_on(async {
    /// let epmd = EpmdServer::bind("127.0.0.1:0".parse().unwrap()).await.unwrap().spawn();
    /// let client = EpmdClient::new(epmd.local_addr());
    /// let quick = EpmdClient::new(epmd.local_addr()).with_timeout(Duration::from_millis(500));
    /// assert_eq!(quick.port_please("nobody").await.unwrap(), None);
    /// # });
    /// ```
    pub fn with_timeout(mut self, timeout: Duration) -> EpmdClient {
        self.timeout = timeout;
        self
    }

    /// The EPMD address.
    ///
    /// ```
    /// # use std::time::Duration;
    /// # use tether::dist::epmd::{EpmdClient, EpmdConfig, EpmdServer, NodeInfo};
    /// # tether::Runtime::new().unwrap().block_on(async {
    /// let epmd = EpmdServer::bind("127.0.0.1:0".parse().unwrap()).await.unwrap().spawn();
    /// let client = EpmdClient::new(epmd.local_addr());
    /// assert_eq!(client.addr(), epmd.local_addr());
    /// # });
    /// ```
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    async fn step<T, F>(&self, what: &'static str, f: F) -> Result<T, EpmdError>
    where
        F: Future<Output = std::io::Result<T>>,
    {
        step(self.timeout, what, f).await
    }

    async fn send(&self, request: &[u8]) -> Result<TcpStream, EpmdError> {
        let mut s = self.step("connect", TcpStream::connect(self.addr)).await?;
        s.set_nodelay(true).ok();
        self.step("write request", s.write_all(request)).await?;
        Ok(s)
    }

    /// Registers a node (ALIVE2_REQ). Accepts both the version-6 reply (32-bit
    /// creation) and the old one (16-bit creation).
    ///
    /// ```
    /// # use std::time::Duration;
    /// # use tether::dist::epmd::{EpmdClient, EpmdConfig, EpmdServer, NodeInfo};
    /// # tether::Runtime::new().unwrap().block_on(async {
    /// let epmd = EpmdServer::bind("127.0.0.1:0".parse().unwrap()).await.unwrap().spawn();
    /// let client = EpmdClient::new(epmd.local_addr());
    /// let reg = client.register(&NodeInfo::new("kv", 4370)).await.unwrap();
    /// assert_eq!(reg.name(), "kv");
    /// assert_eq!(client.port_please("kv").await.unwrap().unwrap().port, 4370);
    /// drop(reg); // unregisters
    /// # tether::sleep(Duration::from_millis(50)).await;
    /// assert_eq!(client.port_please("kv").await.unwrap(), None);
    /// # });
    /// ```
    pub async fn register(&self, info: &NodeInfo) -> Result<Registration, EpmdError> {
        let req = proto::encode_alive2_req(info)?;
        let mut s = self.send(&req).await?;
        let creation = read_alive2_reply(&mut s, &info.name, self.timeout).await?;
        Ok(Registration {
            stream: s,
            creation,
            name: info.name.clone(),
        })
    }

    /// Looks a node up by short name (PORT_PLEASE2_REQ). `Ok(None)` if not registered.
    ///
    /// ```
    /// # use std::time::Duration;
    /// # use tether::dist::epmd::{EpmdClient, EpmdConfig, EpmdServer, NodeInfo};
    /// # tether::Runtime::new().unwrap().block_on(async {
    /// let epmd = EpmdServer::bind("127.0.0.1:0".parse().unwrap()).await.unwrap().spawn();
    /// let client = EpmdClient::new(epmd.local_addr());
    /// let _reg = client.register(&NodeInfo::new("kv", 4370)).await.unwrap();
    /// let info = client.port_please("kv").await.unwrap().unwrap();
    /// assert_eq!((info.name.as_str(), info.port), ("kv", 4370));
    /// assert_eq!(client.port_please("other").await.unwrap(), None);
    /// # });
    /// ```
    pub async fn port_please(&self, name: &str) -> Result<Option<NodeInfo>, EpmdError> {
        let req = proto::encode_port_please2_req(name)?;
        let mut s = self.send(&req).await?;
        read_port2_reply(&mut s, self.timeout).await
    }

    /// Lists registered nodes (NAMES_REQ) as `(short name, port)`.
    ///
    /// ```
    /// # use std::time::Duration;
    /// # use tether::dist::epmd::{EpmdClient, EpmdConfig, EpmdServer, NodeInfo};
    /// # tether::Runtime::new().unwrap().block_on(async {
    /// let epmd = EpmdServer::bind("127.0.0.1:0".parse().unwrap()).await.unwrap().spawn();
    /// let client = EpmdClient::new(epmd.local_addr());
    /// let _a = client.register(&NodeInfo::new("a", 5001)).await.unwrap();
    /// assert_eq!(client.names().await.unwrap(), [("a".to_string(), 5001)]);
    /// # });
    /// ```
    pub async fn names(&self) -> Result<Vec<(String, u16)>, EpmdError> {
        let req = proto::frame_request(&[proto::NAMES_REQ])?;
        let mut s = self.send(&req).await?;
        read_names_reply(&mut s, self.timeout).await
    }
}

/// Runs one network step of a request under `timeout`.
async fn step<T, F>(timeout: Duration, what: &'static str, f: F) -> Result<T, EpmdError>
where
    F: Future<Output = std::io::Result<T>>,
{
    match tokio::time::timeout(timeout, f).await {
        Ok(r) => r.map_err(EpmdError::Io),
        Err(_) => Err(EpmdError::Timeout(what)),
    }
}

/// Reads the reply to an ALIVE2_REQ for `name` from `s`, each read under `timeout`:
/// the creation EPMD assigned. Accepts both the version-6 reply (32-bit creation) and
/// the old one (16-bit creation); a result code other than 0 is
/// [`EpmdError::Refused`].
pub(crate) async fn read_alive2_reply<S: AsyncRead + Unpin>(
    s: &mut S,
    name: &str,
    timeout: Duration,
) -> Result<u32, EpmdError> {
    let tag = step(timeout, "read ALIVE2 reply", s.read_u8()).await?;
    let (result, creation) = match tag {
        proto::ALIVE2_X_RESP => {
            let mut b = [0; 5];
            step(timeout, "read ALIVE2_X_RESP", s.read_exact(&mut b)).await?;
            (b[0], u32::from_be_bytes([b[1], b[2], b[3], b[4]]))
        }
        proto::ALIVE2_RESP => {
            let mut b = [0; 3];
            step(timeout, "read ALIVE2_RESP", s.read_exact(&mut b)).await?;
            (b[0], u32::from(u16::from_be_bytes([b[1], b[2]])))
        }
        other => {
            return Err(EpmdError::Protocol(format!(
                "unexpected ALIVE2 reply tag {other}"
            )));
        }
    };
    if result != 0 {
        // The creation of a failed reply is garbage (docs/distribution.md §1.6).
        return Err(EpmdError::Refused {
            name: name.to_owned(),
            result,
        });
    }
    Ok(creation)
}

/// Reads a PORT2_RESP from `s`, field by field (every length it reads is at most
/// 65535), each read under `timeout`. `Ok(None)` when EPMD does not know the name.
pub(crate) async fn read_port2_reply<S: AsyncRead + Unpin>(
    s: &mut S,
    timeout: Duration,
) -> Result<Option<NodeInfo>, EpmdError> {
    let mut head = [0; 2];
    step(timeout, "read PORT2_RESP", s.read_exact(&mut head)).await?;
    if head[0] != proto::PORT2_RESP {
        return Err(EpmdError::Protocol(format!(
            "expected PORT2_RESP, got tag {}",
            head[0]
        )));
    }
    if head[1] != 0 {
        return Ok(None);
    }
    // Port, type, protocol, versions, name length: 10 bytes; then the name and the
    // extra length; then the extra. Each length is at most 65535 by construction.
    let mut buf = head.to_vec();
    let mut fixed = [0; 10];
    step(timeout, "read PORT2_RESP", s.read_exact(&mut fixed)).await?;
    buf.extend_from_slice(&fixed);
    let nlen = u16::from_be_bytes([fixed[8], fixed[9]]) as usize;
    let mut rest = vec![0; nlen + 2];
    step(timeout, "read PORT2_RESP name", s.read_exact(&mut rest)).await?;
    let elen = u16::from_be_bytes([rest[nlen], rest[nlen + 1]]) as usize;
    buf.extend_from_slice(&rest);
    let mut extra = vec![0; elen];
    step(timeout, "read PORT2_RESP extra", s.read_exact(&mut extra)).await?;
    buf.extend_from_slice(&extra);
    proto::decode_port2_resp(&buf)
}

/// Reads a NAMES reply from `s` to its end (at most [`MAX_NAMES_REPLY`] bytes, under
/// `timeout`) and parses it: EPMD's port, then one line per node.
pub(crate) async fn read_names_reply<S: AsyncRead + Unpin>(
    s: &mut S,
    timeout: Duration,
) -> Result<Vec<(String, u16)>, EpmdError> {
    let mut buf = Vec::new();
    let mut limited = s.take(MAX_NAMES_REPLY as u64 + 1);
    step(timeout, "read NAMES reply", limited.read_to_end(&mut buf)).await?;
    if buf.len() > MAX_NAMES_REPLY {
        return Err(EpmdError::Protocol("NAMES reply too long".into()));
    }
    let mut c = Cursor::new(&buf, "NAMES reply");
    c.bytes(4)?; // EPMD's own port
    let text = String::from_utf8_lossy(c.rest());
    Ok(proto::parse_names(&text))
}

/// A live EPMD registration. Dropping it closes the connection, which unregisters the
/// name.
#[derive(Debug)]
pub struct Registration {
    stream: TcpStream,
    creation: u32,
    name: String,
}

impl Registration {
    /// The creation EPMD assigned: this node incarnation's creation, to be sent in the
    /// handshake and stamped on every pid, port and reference.
    ///
    /// ```
    /// # use std::time::Duration;
    /// # use tether::dist::epmd::{EpmdClient, EpmdConfig, EpmdServer, NodeInfo};
    /// # tether::Runtime::new().unwrap().block_on(async {
    /// let epmd = EpmdServer::bind("127.0.0.1:0".parse().unwrap()).await.unwrap().spawn();
    /// let client = EpmdClient::new(epmd.local_addr());
    /// let reg = client.register(&NodeInfo::new("a", 5001)).await.unwrap();
    /// assert_ne!(reg.creation(), 0);
    /// # });
    /// ```
    pub fn creation(&self) -> u32 {
        self.creation
    }

    /// The registered short name.
    ///
    /// ```
    /// # use std::time::Duration;
    /// # use tether::dist::epmd::{EpmdClient, EpmdConfig, EpmdServer, NodeInfo};
    /// # tether::Runtime::new().unwrap().block_on(async {
    /// let epmd = EpmdServer::bind("127.0.0.1:0".parse().unwrap()).await.unwrap().spawn();
    /// let client = EpmdClient::new(epmd.local_addr());
    /// let reg = client.register(&NodeInfo::new("a", 5001)).await.unwrap();
    /// assert_eq!(reg.name(), "a");
    /// # });
    /// ```
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Resolves when EPMD closes the registration connection (or sends anything on
    /// it, which EPMD never does). After that the name is no longer registered.
    ///
    /// ```
    /// # use std::time::Duration;
    /// # use tether::dist::epmd::{EpmdClient, EpmdConfig, EpmdServer, NodeInfo};
    /// # tether::Runtime::new().unwrap().block_on(async {
    /// let epmd = EpmdServer::bind("127.0.0.1:0".parse().unwrap()).await.unwrap().spawn();
    /// let client = EpmdClient::new(epmd.local_addr());
    /// let mut reg = client.register(&NodeInfo::new("a", 5001)).await.unwrap();
    /// // While EPMD keeps the registration, `closed` does not resolve.
    /// let wait = tokio::time::timeout(Duration::from_millis(50), reg.closed()).await;
    /// assert!(wait.is_err());
    /// assert_eq!(client.names().await.unwrap(), [("a".to_string(), 5001)]);
    /// # });
    /// ```
    pub async fn closed(&mut self) {
        let mut b = [0u8; 64];
        if matches!(self.stream.read(&mut b).await, Ok(n) if n > 0) {
            crate::runtime::logger::report_warn!(name = %self.name, "unexpected data on the EPMD registration connection");
        }
    }

    /// Unregisters now (same as dropping).
    ///
    /// ```
    /// # use std::time::Duration;
    /// # use tether::dist::epmd::{EpmdClient, EpmdConfig, EpmdServer, NodeInfo};
    /// # tether::Runtime::new().unwrap().block_on(async {
    /// let epmd = EpmdServer::bind("127.0.0.1:0".parse().unwrap()).await.unwrap().spawn();
    /// let client = EpmdClient::new(epmd.local_addr());
    /// let reg = client.register(&NodeInfo::new("a", 5001)).await.unwrap();
    /// reg.unregister();
    /// # tether::sleep(Duration::from_millis(50)).await;
    /// assert!(client.names().await.unwrap().is_empty());
    /// # });
    /// ```
    pub fn unregister(self) {}
}
