//! TLS distribution, as OTP's `inet_tls_dist`: every distribution connection is a TLS
//! session from its first byte, authenticated both ways against one CA, with the
//! usual handshake (cookie included) inside it.
//!
//! What goes on the wire follows `inet_tls_dist` (docs/distribution.md §7.3): TCP
//! connect; a TLS handshake (TLS 1.3 or 1.2; OTP 25 offers 1.2 unless told otherwise)
//! in which the dialing side sends SNI with the peer's host and the accepting side
//! requires a client certificate; then the distribution handshake with **4-byte**
//! length prefixes (the socket is `{packet, 4}` from the start); then the connected
//! phase unchanged. EPMD stays plain, as with OTP.
//!
//! Both sides verify the other's certificate chain against the configured CA; the
//! dialing side also checks that the peer's certificate names the host part of the
//! node name it dialed (as `ssl` does with `server_name_indication`). A plain-TCP
//! peer, or a certificate that does not chain to the CA, fails the TLS handshake:
//! the connection is closed with a warning that says why.
//!
//! Certificates can be replaced while the node runs:
//! [`DistNode::reload_tls`](crate::dist::DistNode::reload_tls) reads the files again;
//! new connections use them, established ones keep their session.
//!
//! rustls earns its place: it is the maintained TLS implementation of the Rust
//! ecosystem, pure Rust over `ring`, with TLS 1.2 and 1.3 and client certificates.

use std::fmt;
use std::io;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::{Arc, RwLock};
use std::task::{Context, Poll};

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName};
use rustls::server::WebPkiClientVerifier;
use rustls::{ClientConfig, RootCertStore, ServerConfig};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;

/// Where a node's TLS identity lives: its certificate chain, its private key and the
/// CA that peers' certificates must chain to (all PEM files).
///
/// ```
/// use tether::dist::{NodeConfig, TlsConfig};
/// let tls = TlsConfig::new("node.pem", "node.key", "ca.pem");
/// let config = NodeConfig::new("tether").tls(tls);
/// # let _ = config;
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TlsConfig {
    /// The node's certificate chain (PEM), leaf first.
    pub cert: PathBuf,
    /// The node's private key (PEM: PKCS#8, PKCS#1 or SEC1).
    pub key: PathBuf,
    /// The CA certificates (PEM) that peers' certificates must chain to; peers must
    /// present one (mutual TLS).
    pub ca: PathBuf,
}

impl TlsConfig {
    /// The identity in `cert` and `key`, trusting peers signed by `ca`.
    ///
    /// ```
    /// use tether::dist::{NodeConfig, TlsConfig};
    /// let tls = TlsConfig::new("/etc/tether/node.pem", "/etc/tether/node.key", "/etc/tether/ca.pem");
    /// assert_eq!(tls.ca.to_str(), Some("/etc/tether/ca.pem"));
    /// let _cfg = NodeConfig::new("app").tls(tls); // files are read when the node starts
    /// ```
    pub fn new(cert: impl Into<PathBuf>, key: impl Into<PathBuf>, ca: impl Into<PathBuf>) -> Self {
        TlsConfig {
            cert: cert.into(),
            key: key.into(),
            ca: ca.into(),
        }
    }
}

/// A TLS identity could not be loaded.
#[derive(Debug)]
pub enum TlsError {
    /// A file could not be read.
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        source: io::Error,
    },
    /// A file holds no certificate, or no private key, in PEM.
    Missing {
        /// The file.
        path: PathBuf,
        /// `"certificate"` or `"private key"`.
        what: &'static str,
    },
    /// rustls refused the identity or the CA (a key that does not match, say).
    Rustls(rustls::Error),
    /// The CA cannot verify clients.
    Verifier(String),
    /// The node does not run TLS ([`DistNode::reload_tls`](crate::dist::DistNode::reload_tls)).
    NotConfigured,
}

impl fmt::Display for TlsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TlsError::Read { path, source } => {
                write!(f, "cannot read {}: {source}", path.display())
            }
            TlsError::Missing { path, what } => write!(f, "no {what} in {}", path.display()),
            TlsError::Rustls(e) => write!(f, "TLS configuration refused: {e}"),
            TlsError::Verifier(e) => write!(f, "cannot verify clients with the CA: {e}"),
            TlsError::NotConfigured => f.write_str("the node does not run TLS distribution"),
        }
    }
}

impl std::error::Error for TlsError {}

fn read(path: &Path) -> Result<Vec<u8>, TlsError> {
    std::fs::read(path).map_err(|source| TlsError::Read {
        path: path.to_owned(),
        source,
    })
}

fn certs(path: &Path) -> Result<Vec<CertificateDer<'static>>, TlsError> {
    let pem = read(path)?;
    let certs: Vec<_> = CertificateDer::pem_slice_iter(&pem)
        .filter_map(Result::ok)
        .collect();
    if certs.is_empty() {
        return Err(TlsError::Missing {
            path: path.to_owned(),
            what: "certificate",
        });
    }
    Ok(certs)
}

/// The rustls configurations made from a [`TlsConfig`], both directions.
struct Configs {
    server: Arc<ServerConfig>,
    client: Arc<ClientConfig>,
}

/// The *ring* provider. rustls 0.23.48 deprecates it for lacking post-quantum key
/// exchange, which no BEAM peer offers (OTP 25 negotiates x25519 or the NIST curves);
/// it builds with a C compiler alone, where aws-lc-rs needs its larger C build.
#[allow(deprecated)]
fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

fn load(files: &TlsConfig) -> Result<Configs, TlsError> {
    let chain = certs(&files.cert)?;
    let key_pem = read(&files.key)?;
    let key = PrivateKeyDer::from_pem_slice(&key_pem).map_err(|_| TlsError::Missing {
        path: files.key.clone(),
        what: "private key",
    })?;
    let mut roots = RootCertStore::empty();
    for ca in certs(&files.ca)? {
        roots.add(ca).map_err(TlsError::Rustls)?;
    }
    let roots = Arc::new(roots);
    let verifier = WebPkiClientVerifier::builder_with_provider(roots.clone(), provider())
        .build()
        .map_err(|e| TlsError::Verifier(e.to_string()))?;
    let server = ServerConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .map_err(TlsError::Rustls)?
        .with_client_cert_verifier(verifier)
        .with_single_cert(chain.clone(), key.clone_key())
        .map_err(TlsError::Rustls)?;
    let client = ClientConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .map_err(TlsError::Rustls)?
        .with_root_certificates(roots)
        .with_client_auth_cert(chain, key)
        .map_err(TlsError::Rustls)?;
    Ok(Configs {
        server: Arc::new(server),
        client: Arc::new(client),
    })
}

/// A node's TLS: its files and the configurations last loaded from them.
pub(crate) struct Tls {
    files: TlsConfig,
    current: RwLock<Arc<Configs>>,
}

impl Tls {
    pub(crate) fn load(files: TlsConfig) -> Result<Tls, TlsError> {
        let configs = load(&files)?;
        Ok(Tls {
            files,
            current: RwLock::new(Arc::new(configs)),
        })
    }

    /// Reads the files again; new connections use what they hold.
    pub(crate) fn reload(&self) -> Result<(), TlsError> {
        let configs = Arc::new(load(&self.files)?);
        *self.current.write().unwrap_or_else(|e| e.into_inner()) = configs;
        Ok(())
    }

    fn configs(&self) -> Arc<Configs> {
        self.current
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// The accepting side's TLS handshake.
    pub(crate) async fn accept(&self, tcp: TcpStream) -> io::Result<DistStream> {
        let acceptor = tokio_rustls::TlsAcceptor::from(self.configs().server.clone());
        let tls = acceptor.accept(tcp).await?;
        Ok(DistStream::Tls(Box::new(tls.into())))
    }

    /// The dialing side's TLS handshake with the node on `host`.
    pub(crate) async fn connect(&self, tcp: TcpStream, host: &str) -> io::Result<DistStream> {
        let name = ServerName::try_from(host.to_owned())
            .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e))?;
        let connector = tokio_rustls::TlsConnector::from(self.configs().client.clone());
        let tls = connector.connect(name, tcp).await?;
        Ok(DistStream::Tls(Box::new(tls.into())))
    }
}

/// A distribution connection's byte stream: plain TCP or TLS over TCP.
pub(crate) enum DistStream {
    Plain(TcpStream),
    Tls(Box<tokio_rustls::TlsStream<TcpStream>>),
}

impl DistStream {
    pub(crate) fn set_nodelay(&self) {
        let tcp = match self {
            DistStream::Plain(s) => s,
            DistStream::Tls(s) => s.get_ref().0,
        };
        tcp.set_nodelay(true).ok();
    }
}

impl AsyncRead for DistStream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        match self.get_mut() {
            DistStream::Plain(s) => Pin::new(s).poll_read(cx, buf),
            DistStream::Tls(s) => Pin::new(s.as_mut()).poll_read(cx, buf),
        }
    }
}

impl AsyncWrite for DistStream {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            DistStream::Plain(s) => Pin::new(s).poll_write(cx, buf),
            DistStream::Tls(s) => Pin::new(s.as_mut()).poll_write(cx, buf),
        }
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            DistStream::Plain(s) => Pin::new(s).poll_write_vectored(cx, bufs),
            DistStream::Tls(s) => Pin::new(s.as_mut()).poll_write_vectored(cx, bufs),
        }
    }

    fn is_write_vectored(&self) -> bool {
        match self {
            DistStream::Plain(s) => s.is_write_vectored(),
            DistStream::Tls(s) => s.is_write_vectored(),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            DistStream::Plain(s) => Pin::new(s).poll_flush(cx),
            DistStream::Tls(s) => Pin::new(s.as_mut()).poll_flush(cx),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            DistStream::Plain(s) => Pin::new(s).poll_shutdown(cx),
            DistStream::Tls(s) => Pin::new(s.as_mut()).poll_shutdown(cx),
        }
    }
}
