//! Unique names and free ports, shared by the interop suites (`tests/interop`) and the
//! in-process cluster tests, which include this file with `#[path]`.
#![allow(dead_code)]

use std::sync::atomic::{AtomicU32, Ordering};

/// A name unique to this test process and call: `{prefix}_{pid}_{n}`.
pub fn unique(prefix: &str) -> String {
    static N: AtomicU32 = AtomicU32::new(0);
    format!(
        "{prefix}_{}_{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    )
}

/// A currently free TCP port on loopback.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}
