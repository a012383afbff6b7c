//! The host part of node names, and the cookie file.
//!
//! `erl -sname x` names the node `x@<short host name>`, `erl -name x` uses the fully
//! qualified host name. The host name comes from the kernel (`/proc/sys/kernel/hostname`,
//! then `$HOSTNAME`, then `localhost`). The cookie file is `$HOME/.erlang.cookie`, or
//! the XDG path `$HOME/.config/erlang/.erlang.cookie`, as OTP's `auth` reads it.
//! [`read_cookie_file`] only reads it; [`read_or_create_cookie_file`] (what
//! `tether node` uses) creates `$HOME/.erlang.cookie` when there is none, as `erl`
//! does, but from the system's randomness rather than OTP's weak generator.

use std::fmt;
use std::io;
use std::path::{Path, PathBuf};

use super::cookie::Cookie;

/// This machine's host name.
///
/// ```
/// let h = tether::dist::host::hostname();
/// assert!(!h.is_empty());
/// assert!(!h.contains('@'));
/// ```
pub fn hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty())
        .or_else(|| std::env::var("HOSTNAME").ok().filter(|s| !s.is_empty()))
        .unwrap_or_else(|| "localhost".to_owned())
}

/// A full node name from `name` (`alive` or `alive@host`).
///
/// ```
/// use tether::dist::host::{NameError, full_name};
/// assert_eq!(full_name("a@b", false).unwrap(), "a@b");
/// assert!(full_name("a", false).unwrap().starts_with("a@"));
/// assert_eq!(full_name("", false), Err(NameError::Empty));
/// ```
pub fn full_name(name: &str, long: bool) -> Result<String, NameError> {
    if name.contains('@') {
        return Ok(name.to_owned());
    }
    if name.is_empty() {
        return Err(NameError::Empty);
    }
    let host = hostname();
    if long {
        if !host.contains('.') {
            return Err(NameError::NotFullyQualified { host });
        }
        Ok(format!("{name}@{host}"))
    } else {
        Ok(format!(
            "{name}@{}",
            host.split('.').next().unwrap_or("localhost")
        ))
    }
}

/// Why [`full_name`] could not make a node name.
///
/// ```
/// use tether::dist::host::NameError;
/// let e = NameError::NotFullyQualified { host: "box".into() };
/// assert!(e.to_string().contains("fully qualified"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NameError {
    /// The name is empty.
    Empty,
    /// Long names need a fully qualified host name, and this host's has no dot.
    NotFullyQualified {
        /// This machine's host name.
        host: String,
    },
}

impl fmt::Display for NameError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NameError::Empty => f.write_str("empty node name"),
            NameError::NotFullyQualified { host } => write!(
                f,
                "long names need a fully qualified host name, and this host is {host:?}: give name@host"
            ),
        }
    }
}

impl std::error::Error for NameError {}

/// Why no cookie came from the cookie file.
///
/// ```
/// use tether::dist::host::{CookieFileError, read_cookie_file};
/// match read_cookie_file() {
///     Ok(_) => println!("cookie found"),
///     Err(e) if e.is_not_found() => println!("no cookie file: {e}"),
///     Err(e) => println!("cookie file unusable: {e}"),
/// }
/// ```
#[derive(Debug)]
pub enum CookieFileError {
    /// `HOME` is not set, so there is no cookie file to look for.
    NoHome,
    /// There is no cookie file at any of these paths.
    NotFound {
        /// The paths tried, in order.
        paths: Vec<PathBuf>,
    },
    /// The cookie file holds only white space.
    Empty {
        /// The file.
        path: PathBuf,
    },
    /// The system gave no randomness to make a new cookie from.
    NoRandomness(getrandom::Error),
    /// A new cookie file could not be created or written.
    Create {
        /// The file.
        path: PathBuf,
        /// The error.
        source: io::Error,
    },
}

impl CookieFileError {
    /// Whether there is simply no cookie file (as opposed to one that is unusable):
    /// [`read_or_create_cookie_file`] creates one then.
    ///
    /// ```
    /// use tether::dist::host::CookieFileError;
    /// assert!(CookieFileError::NotFound { paths: vec!["/nowhere/.erlang.cookie".into()] }.is_not_found());
    /// assert!(!CookieFileError::NoHome.is_not_found());
    /// ```
    pub fn is_not_found(&self) -> bool {
        matches!(self, CookieFileError::NotFound { .. })
    }
}

impl fmt::Display for CookieFileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CookieFileError::NoHome => f.write_str("HOME is not set and no cookie was given"),
            CookieFileError::NotFound { paths } => {
                f.write_str("no cookie given and none found in ")?;
                for (i, p) in paths.iter().enumerate() {
                    if i > 0 {
                        f.write_str(" or ")?;
                    }
                    write!(f, "{}", p.display())?;
                }
                Ok(())
            }
            CookieFileError::Empty { path } => write!(f, "{} is empty", path.display()),
            CookieFileError::NoRandomness(e) => write!(f, "no randomness for a cookie: {e}"),
            CookieFileError::Create { path, source } => {
                write!(f, "cannot create {}: {source}", path.display())
            }
        }
    }
}

impl std::error::Error for CookieFileError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            CookieFileError::Create { source, .. } => Some(source),
            _ => None,
        }
    }
}

/// Reads the cookie file (`$HOME/.erlang.cookie`, then the XDG location).
///
/// ```
/// use tether::dist::host::read_cookie_file;
/// match read_cookie_file() {
///     Ok(cookie) => assert!(!cookie.expose().is_empty()),
///     Err(e) => assert!(!e.to_string().is_empty()), // no file, or an unusable one: said why
/// }
/// ```
pub fn read_cookie_file() -> Result<Cookie, CookieFileError> {
    let home = std::env::var_os("HOME").ok_or(CookieFileError::NoHome)?;
    let home = Path::new(&home);
    let paths = [
        home.join(".erlang.cookie"),
        home.join(".config/erlang/.erlang.cookie"),
    ];
    for p in &paths {
        if let Ok(text) = std::fs::read_to_string(p) {
            return Cookie::new(text.trim().to_owned())
                .ok_or_else(|| CookieFileError::Empty { path: p.clone() });
        }
    }
    Err(CookieFileError::NotFound {
        paths: paths.into(),
    })
}

/// Like [`read_cookie_file`], but when there is no cookie file, creates
/// `$HOME/.erlang.cookie` as `erl` does the first time it runs distributed: twenty
/// random upper-case letters, readable by the owner only. BEAM nodes started by the
/// same user then share the cookie with no further setup.
///
/// ```no_run
/// // no_run: it may create the user's real `~/.erlang.cookie`.
/// let cookie = tether::dist::host::read_or_create_cookie_file().unwrap();
/// ```
pub fn read_or_create_cookie_file() -> Result<Cookie, CookieFileError> {
    match read_cookie_file() {
        Err(CookieFileError::NotFound { paths }) => create_cookie_file(&paths[0]),
        r => r,
    }
}

fn create_cookie_file(path: &Path) -> Result<Cookie, CookieFileError> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut bytes = [0u8; 20];
    getrandom::fill(&mut bytes).map_err(CookieFileError::NoRandomness)?;
    let text: String = bytes.iter().map(|b| (b'A' + b % 26) as char).collect();
    let create = |source| CookieFileError::Create {
        path: path.to_owned(),
        source,
    };
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o400)
        .open(path)
        .map_err(create)?;
    f.write_all(text.as_bytes()).map_err(create)?;
    tracing::info!(
        "created {}, as erl does when no cookie exists",
        path.display()
    );
    Cookie::new(text).ok_or_else(|| CookieFileError::Empty {
        path: path.to_owned(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn name_errors() {
        assert_eq!(full_name("", true), Err(NameError::Empty));
        assert_eq!(full_name("x@h", true).unwrap(), "x@h");
        if !hostname().contains('.') {
            assert!(matches!(
                full_name("x", true),
                Err(NameError::NotFullyQualified { .. })
            ));
        }
    }

    #[test]
    fn a_created_cookie_file_is_read_back_and_never_overwritten() {
        let dir = std::env::temp_dir().join(format!("tether-cookie-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join(".erlang.cookie");
        let _ = std::fs::remove_file(&path);
        let cookie = create_cookie_file(&path).unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert_eq!(text.len(), 20);
        assert_eq!(cookie.expose(), text);
        let again = create_cookie_file(&path).unwrap_err();
        assert!(matches!(again, CookieFileError::Create { .. }), "{again}");
        assert!(!again.is_not_found());
        assert!(std::error::Error::source(&again).is_some());
        let _ = std::fs::remove_dir_all(&dir);
        let missing = CookieFileError::NotFound {
            paths: vec!["/a".into(), "/b".into()],
        };
        assert!(missing.is_not_found());
        assert_eq!(
            missing.to_string(),
            "no cookie given and none found in /a or /b"
        );
    }
}
