//! EPMD, the Erlang Port Mapper Daemon: client and server.
//!
//! EPMD maps a node's short name (the part before `@`) to the TCP port its
//! distribution listener uses. Every request is `Length:16/big` + body on a fresh TCP
//! connection; the reply is unframed and EPMD closes the socket after it, except for a
//! successful `ALIVE2_REQ`: that connection stays open for as long as the node is
//! registered, and closing it unregisters the name.
//!
//! - [`proto`] encodes and decodes the messages (pure functions, no I/O).
//! - [`client`]: [`EpmdClient`] registers ([`Registration`] unregisters on drop), looks
//!   up ports (`PORT_PLEASE2_REQ`) and lists names (`NAMES_REQ`), with a timeout on
//!   every network step.
//! - [`server`]: [`EpmdServer`], an async EPMD that real `erl` nodes register with; used
//!   embedded in a node (when no EPMD listens) and by `tether epmd`.
//!
//! - `on_stream` (feature `wire`, hidden): the server's per-connection code and the
//!   client's reply reading on any byte stream, for the fuzz targets.
//!
//! The port is 4369 unless `ERL_EPMD_PORT` says otherwise, as for `erl` ([`epmd_port`]).

pub mod client;
#[cfg(feature = "wire")]
#[doc(hidden)]
pub mod on_stream;
pub mod proto;
#[cfg(test)]
mod robustness;
pub mod server;

pub use client::{EpmdClient, Registration};
pub use proto::{NodeInfo, NodeType};
pub use server::{EpmdConfig, EpmdHandle, EpmdServer};

use std::fmt;
use std::io;

/// EPMD's well-known port.
pub const DEFAULT_EPMD_PORT: u16 = 4369;

/// The EPMD port `erl` would use: `ERL_EPMD_PORT` if set to a valid port, else 4369.
///
/// ```
/// let port = tether::dist::epmd::epmd_port();
/// assert!(port > 0);
/// ```
pub fn epmd_port() -> u16 {
    std::env::var("ERL_EPMD_PORT")
        .ok()
        .and_then(|v| v.trim().parse::<u16>().ok())
        .filter(|p| *p != 0)
        .unwrap_or(DEFAULT_EPMD_PORT)
}

/// An EPMD request failed.
#[derive(Debug)]
pub enum EpmdError {
    /// The socket failed (including connection refused: no EPMD there).
    Io(io::Error),
    /// A network step took longer than the configured timeout.
    Timeout(&'static str),
    /// EPMD sent something that is not a valid reply.
    Protocol(String),
    /// EPMD refused the registration (result code ≠ 0): usually the name is taken.
    Refused {
        /// The name we tried to register.
        name: String,
        /// EPMD's result code.
        result: u8,
    },
    /// The request itself was invalid (for example an empty or oversized name).
    InvalidRequest(String),
}

impl EpmdError {
    /// Whether nothing listens at the EPMD address.
    ///
    /// ```
    /// # use std::time::Duration;
    /// # use tether::dist::epmd::{EpmdClient, EpmdConfig, EpmdServer, NodeInfo};
    /// # tether::Runtime::new().unwrap().block_on(async {
    /// let epmd = EpmdServer::bind("127.0.0.1:0".parse().unwrap()).await.unwrap().spawn();
    /// let client = EpmdClient::new(epmd.local_addr());
    /// let addr = epmd.local_addr();
    /// drop(epmd);
    /// # tether::sleep(Duration::from_millis(20)).await;
    /// let err = EpmdClient::new(addr).names().await.unwrap_err();
    /// assert!(err.is_unreachable());
    /// # });
    /// ```
    pub fn is_unreachable(&self) -> bool {
        matches!(self, EpmdError::Io(e) if e.kind() == io::ErrorKind::ConnectionRefused)
    }
}

impl fmt::Display for EpmdError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EpmdError::Io(e) => write!(f, "epmd i/o error: {e}"),
            EpmdError::Timeout(step) => write!(f, "epmd timed out during {step}"),
            EpmdError::Protocol(m) => write!(f, "epmd protocol error: {m}"),
            EpmdError::Refused { name, result } => {
                write!(
                    f,
                    "epmd refused to register {name:?} (result {result}; name in use?)"
                )
            }
            EpmdError::InvalidRequest(m) => write!(f, "invalid epmd request: {m}"),
        }
    }
}

impl std::error::Error for EpmdError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            EpmdError::Io(e) => Some(e),
            _ => None,
        }
    }
}

impl From<io::Error> for EpmdError {
    fn from(e: io::Error) -> EpmdError {
        EpmdError::Io(e)
    }
}
