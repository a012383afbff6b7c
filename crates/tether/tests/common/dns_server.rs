//! A tiny authoritative DNS server on loopback UDP for the discovery tests: it
//! answers A and SRV questions from a table the test fills, NXDOMAIN otherwise, and
//! can be switched to answer garbage (to show that a bad reply is only retried).
//! It runs on its own thread, independent of the runtimes under test, and stops
//! when dropped.
#![allow(dead_code)]

use std::collections::HashMap;
use std::net::{Ipv4Addr, SocketAddr, UdpSocket};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

const TYPE_A: u16 = 1;
const TYPE_SRV: u16 = 33;

#[derive(Default)]
struct Zone {
    /// (lower-case name, type) → each record's rdata.
    records: HashMap<(String, u16), Vec<Vec<u8>>>,
    garbage: bool,
    queries: u64,
}

/// The running server.
pub struct DnsServer {
    addr: SocketAddr,
    zone: Arc<Mutex<Zone>>,
    stop: Arc<AtomicBool>,
}

impl DnsServer {
    /// Starts a server on `127.0.0.1` at a free port.
    pub fn start() -> DnsServer {
        DnsServer::start_on(Ipv4Addr::LOCALHOST)
    }

    /// Starts a server on `ip` at a free port (an address of a network the test made).
    pub fn start_on(ip: Ipv4Addr) -> DnsServer {
        let sock = UdpSocket::bind((ip, 0)).unwrap();
        sock.set_read_timeout(Some(Duration::from_millis(50)))
            .unwrap();
        let addr = sock.local_addr().unwrap();
        let zone = Arc::new(Mutex::new(Zone::default()));
        let stop = Arc::new(AtomicBool::new(false));
        let (z, s) = (zone.clone(), stop.clone());
        std::thread::spawn(move || {
            let mut buf = [0u8; 512];
            while !s.load(Ordering::Relaxed) {
                let Ok((n, from)) = sock.recv_from(&mut buf) else {
                    continue;
                };
                if let Some(reply) = answer(&buf[..n], &z) {
                    let _ = sock.send_to(&reply, from);
                }
            }
        });
        DnsServer { addr, zone, stop }
    }

    /// The server's address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `name` has these A records (none: NXDOMAIN).
    pub fn set_a(&self, name: &str, ips: &[Ipv4Addr]) {
        let data = ips.iter().map(|ip| ip.octets().to_vec()).collect();
        self.set(name, TYPE_A, data);
    }

    /// `name` has SRV records with these targets, each at `port`.
    pub fn set_srv(&self, name: &str, targets: &[&str], port: u16) {
        let data = targets
            .iter()
            .map(|t| {
                let mut d = vec![0, 10, 0, 10];
                d.extend_from_slice(&port.to_be_bytes());
                encode_name(t, &mut d);
                d
            })
            .collect();
        self.set(name, TYPE_SRV, data);
    }

    /// Answer every question with garbage (`true`) or from the table.
    pub fn set_garbage(&self, on: bool) {
        self.zone.lock().unwrap().garbage = on;
    }

    /// Questions answered so far.
    pub fn queries(&self) -> u64 {
        self.zone.lock().unwrap().queries
    }

    fn set(&self, name: &str, t: u16, data: Vec<Vec<u8>>) {
        let mut z = self.zone.lock().unwrap();
        z.records.insert((name.to_ascii_lowercase(), t), data);
    }
}

impl Drop for DnsServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

fn encode_name(name: &str, out: &mut Vec<u8>) {
    for label in name.trim_end_matches('.').split('.') {
        out.push(label.len() as u8);
        out.extend_from_slice(label.as_bytes());
    }
    out.push(0);
}

/// The reply to one query, or `None` for what is not a query.
fn answer(q: &[u8], zone: &Mutex<Zone>) -> Option<Vec<u8>> {
    if q.len() < 12 {
        return None;
    }
    let mut pos = 12;
    let mut labels = Vec::new();
    loop {
        let l = *q.get(pos)? as usize;
        pos += 1;
        if l == 0 {
            break;
        }
        labels.push(String::from_utf8_lossy(q.get(pos..pos + l)?).to_ascii_lowercase());
        pos += l;
    }
    let qtype = u16::from_be_bytes([*q.get(pos)?, *q.get(pos + 1)?]);
    let question_end = pos + 4;
    let mut z = zone.lock().unwrap();
    z.queries += 1;
    let mut r = q.get(..question_end)?.to_vec();
    if z.garbage {
        // A reply whose answer count promises a record that is not there.
        r[2] = 0x81;
        r[3] = 0x80;
        r[6..8].copy_from_slice(&[0, 3]);
        r.extend_from_slice(&[0xc0, 0xff, 0xff]);
        return Some(r);
    }
    let records = z.records.get(&(labels.join("."), qtype));
    r[2] = 0x85; // QR, AA, RD
    r[3] = if records.is_some() { 0x80 } else { 0x83 }; // RA; NXDOMAIN
    r[8..12].fill(0);
    let records = records.cloned().unwrap_or_default();
    r[6..8].copy_from_slice(&(records.len() as u16).to_be_bytes());
    for data in records {
        r.extend_from_slice(&[0xc0, 12]);
        r.extend_from_slice(&qtype.to_be_bytes());
        r.extend_from_slice(&[0, 1, 0, 0, 0, 0]);
        r.extend_from_slice(&(data.len() as u16).to_be_bytes());
        r.extend_from_slice(&data);
    }
    Some(r)
}
