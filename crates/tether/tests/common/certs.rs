//! Certificates for TLS tests, made with rcgen in a fresh directory: a CA, and leaf
//! certificates it signs that name this host (`localhost`, the short host name and
//! 127.0.0.1) for both TLS server and client use, as distribution needs.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, ExtendedKeyUsagePurpose, IsCa, KeyPair,
};

/// A CA that writes its certificate and signs leaves into `dir`.
pub struct Ca {
    issuer: CertifiedIssuer<'static, KeyPair>,
    dir: PathBuf,
    /// The CA certificate (PEM).
    pub cert: PathBuf,
}

/// A leaf's files.
pub struct Leaf {
    /// The certificate (PEM).
    pub cert: PathBuf,
    /// The private key (PEM, PKCS#8).
    pub key: PathBuf,
}

/// The short host name, as `-sname` uses it.
pub fn short_host() -> String {
    let out = std::process::Command::new("hostname").output().unwrap();
    let h = String::from_utf8_lossy(&out.stdout).trim().to_owned();
    h.split('.').next().unwrap_or("localhost").to_owned()
}

impl Ca {
    /// A new CA named `name`, writing into `dir` (created).
    pub fn new(dir: &Path, name: &str) -> Ca {
        std::fs::create_dir_all(dir).unwrap();
        let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params
            .distinguished_name
            .push(rcgen::DnType::CommonName, format!("{name} test CA"));
        let issuer = CertifiedIssuer::self_signed(params, KeyPair::generate().unwrap()).unwrap();
        let cert = dir.join(format!("{name}-ca.pem"));
        std::fs::write(&cert, issuer.pem()).unwrap();
        Ca {
            issuer,
            dir: dir.to_owned(),
            cert,
        }
    }

    /// A leaf certificate for this host, signed by this CA, written as `{name}.pem`
    /// and `{name}.key`.
    pub fn leaf(&self, name: &str) -> Leaf {
        let sans = vec![short_host(), "localhost".into(), "127.0.0.1".into()];
        let mut params = CertificateParams::new(sans).unwrap();
        params.extended_key_usages = vec![
            ExtendedKeyUsagePurpose::ServerAuth,
            ExtendedKeyUsagePurpose::ClientAuth,
        ];
        params
            .distinguished_name
            .push(rcgen::DnType::CommonName, name);
        let key = KeyPair::generate().unwrap();
        let cert = params.signed_by(&key, &self.issuer).unwrap();
        let leaf = Leaf {
            cert: self.dir.join(format!("{name}.pem")),
            key: self.dir.join(format!("{name}.key")),
        };
        std::fs::write(&leaf.cert, cert.pem()).unwrap();
        std::fs::write(&leaf.key, key.serialize_pem()).unwrap();
        leaf
    }
}
