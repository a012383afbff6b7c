//! Certificates for the TLS pairings, made at bench time with the `openssl` command
//! line: a CA, and one leaf it signs that every node presents (it names this host:
//! `localhost`, the short host name that `-sname` uses, and 127.0.0.1; for both TLS
//! server and client use, as distribution needs, since every node both dials and
//! accepts). Tether nodes take the files as a [`TlsConfig`]; erl nodes as an
//! `-ssl_dist_optfile` for `-proto_dist inet_tls` that verifies the peer both ways
//! (OTP's `ssl_distribution` guide). No new dependency: `openssl` is on any machine
//! that has erl.

use std::path::{Path, PathBuf};
use std::process::Command;

use tether::dist::TlsConfig;

/// The files of one bench run's certificates.
pub struct Certs {
    /// The CA certificate (PEM).
    pub ca: PathBuf,
    /// The leaf certificate (PEM).
    pub cert: PathBuf,
    /// The leaf's private key (PEM, PKCS#8).
    pub key: PathBuf,
    /// The erl nodes' `-ssl_dist_optfile`.
    pub optfile: PathBuf,
}

fn openssl(dir: &Path, args: &[&str]) -> Result<(), String> {
    let out = Command::new("openssl")
        .current_dir(dir)
        .args(args)
        .output()
        .map_err(|e| format!("cannot run openssl: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "openssl {}: {}",
            args.first().unwrap_or(&""),
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    Ok(())
}

fn short_host() -> Result<String, String> {
    let out = Command::new("hostname")
        .output()
        .map_err(|e| format!("cannot run hostname: {e}"))?;
    let host = String::from_utf8_lossy(&out.stdout).trim().to_owned();
    Ok(host.split('.').next().unwrap_or("localhost").to_owned())
}

impl Certs {
    /// Makes the CA, the leaf and the optfile in `dir` (which exists).
    pub fn make(dir: &Path) -> Result<Certs, String> {
        let ec = [
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-nodes",
        ];
        let mut ca = vec!["req", "-x509"];
        ca.extend(ec);
        ca.extend([
            "-keyout",
            "ca.key",
            "-out",
            "ca.pem",
            "-days",
            "2",
            "-subj",
            "/CN=tether dist bench CA",
            "-addext",
            "basicConstraints=critical,CA:TRUE",
            "-addext",
            "keyUsage=critical,keyCertSign,cRLSign",
        ]);
        openssl(dir, &ca)?;
        let mut csr = vec!["req"];
        csr.extend(ec);
        csr.extend([
            "-keyout",
            "node.key",
            "-out",
            "node.csr",
            "-subj",
            "/CN=tether dist bench node",
        ]);
        openssl(dir, &csr)?;
        let ext = format!(
            "subjectAltName=DNS:localhost,DNS:{},IP:127.0.0.1\n\
             extendedKeyUsage=serverAuth,clientAuth\n\
             basicConstraints=CA:FALSE\n",
            short_host()?
        );
        std::fs::write(dir.join("node.ext"), ext).map_err(|e| e.to_string())?;
        openssl(
            dir,
            &[
                "x509",
                "-req",
                "-in",
                "node.csr",
                "-CA",
                "ca.pem",
                "-CAkey",
                "ca.key",
                "-CAcreateserial",
                "-out",
                "node.pem",
                "-days",
                "2",
                "-extfile",
                "node.ext",
            ],
        )?;
        let (ca, cert, key) = (
            dir.join("ca.pem"),
            dir.join("node.pem"),
            dir.join("node.key"),
        );
        let side = |extra: &str| {
            format!(
                "[{{certfile, {:?}}}, {{keyfile, {:?}}}, {{cacertfile, {:?}}}, {{verify, verify_peer}}{extra}]",
                cert.display().to_string(),
                key.display().to_string(),
                ca.display().to_string(),
            )
        };
        let optfile = dir.join("ssl_dist.conf");
        let text = format!(
            "[{{server, {}}}, {{client, {}}}].\n",
            side(", {fail_if_no_peer_cert, true}"),
            side("")
        );
        std::fs::write(&optfile, text).map_err(|e| e.to_string())?;
        Ok(Certs {
            ca,
            cert,
            key,
            optfile,
        })
    }

    /// The Tether nodes' configuration.
    pub fn tether(&self) -> TlsConfig {
        TlsConfig::new(&self.cert, &self.key, &self.ca)
    }

    /// The erl arguments that make a node speak TLS with these certificates.
    pub fn erl_args(&self) -> Vec<String> {
        vec![
            "-proto_dist".into(),
            "inet_tls".into(),
            "-ssl_dist_optfile".into(),
            self.optfile.display().to_string(),
        ]
    }

    /// What a `--dist-peer` child appends to its [`PEER_VAR`](super::tether_side::PEER_VAR).
    pub fn peer_var_suffix(&self) -> String {
        format!(
            "|{}|{}|{}",
            self.cert.display(),
            self.key.display(),
            self.ca.display()
        )
    }
}
