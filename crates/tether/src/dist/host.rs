//! The host part of node names, and the cookie file.
//!
//! `erl -sname x` names the node `x@<short host name>`, `erl -name x` uses the fully
//! qualified host name. The host name comes from the kernel (`/proc/sys/kernel/hostname`,
//! then `$HOSTNAME`, then `localhost`). The cookie file is `$HOME/.erlang.cookie`, or
//! the XDG path `$HOME/.config/erlang/.erlang.cookie`, as OTP's `auth` reads it;
//! unlike OTP, Tether never writes a generated cookie (OTP's generator is weak).

use super::cookie::Cookie;

/// This machine's host name.
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
/// use tether::dist::host::full_name;
/// assert_eq!(full_name("a@b", false).unwrap(), "a@b");
/// assert!(full_name("a", false).unwrap().starts_with("a@"));
/// assert!(full_name("", false).is_err());
/// ```
pub fn full_name(name: &str, long: bool) -> Result<String, String> {
    if name.contains('@') {
        return Ok(name.to_owned());
    }
    if name.is_empty() {
        return Err("empty node name".into());
    }
    let host = hostname();
    if long {
        if !host.contains('.') {
            return Err(format!(
                "long names need a fully qualified host name, and this host is {host:?}: give name@host"
            ));
        }
        Ok(format!("{name}@{host}"))
    } else {
        Ok(format!(
            "{name}@{}",
            host.split('.').next().unwrap_or("localhost")
        ))
    }
}

/// Reads the cookie file (`$HOME/.erlang.cookie`, then the XDG location).
pub fn read_cookie_file() -> Result<Cookie, String> {
    read_cookie_file_inner(false)
}

/// Like [`read_cookie_file`], but when there is no cookie file, creates
/// `$HOME/.erlang.cookie` as `erl` does the first time it runs distributed: twenty
/// random upper-case letters, readable by the owner only. BEAM nodes started by the
/// same user then share the cookie with no further setup.
///
/// ```no_run
/// let cookie = tether::dist::host::read_or_create_cookie_file().unwrap();
/// ```
pub fn read_or_create_cookie_file() -> Result<Cookie, String> {
    read_cookie_file_inner(true)
}

fn read_cookie_file_inner(create: bool) -> Result<Cookie, String> {
    let home =
        std::env::var("HOME").map_err(|_| "HOME is not set and no cookie was given".to_string())?;
    let paths = [
        format!("{home}/.erlang.cookie"),
        format!("{home}/.config/erlang/.erlang.cookie"),
    ];
    for p in &paths {
        if let Ok(text) = std::fs::read_to_string(p) {
            let text = text.trim().to_owned();
            return Cookie::new(text).ok_or_else(|| format!("{p} is empty"));
        }
    }
    if create {
        return create_cookie_file(&paths[0]);
    }
    Err(format!(
        "no cookie given and none found in {}",
        paths.join(" or ")
    ))
}

fn create_cookie_file(path: &str) -> Result<Cookie, String> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut bytes = [0u8; 20];
    getrandom::fill(&mut bytes).map_err(|e| format!("no randomness for a cookie: {e}"))?;
    let text: String = bytes.iter().map(|b| (b'A' + b % 26) as char).collect();
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o400)
        .open(path)
        .map_err(|e| format!("cannot create {path}: {e}"))?;
    f.write_all(text.as_bytes())
        .map_err(|e| format!("cannot write {path}: {e}"))?;
    tracing::info!("created {path}, as erl does when no cookie exists");
    Cookie::new(text).ok_or_else(|| "empty cookie".to_string())
}
