//! One connection to one peer node, in the connected phase.
//!
//! ```text
//!            FrameReader ──frames──▶ InboundDecoder ──msgs──▶ wire::decode ──▶ incoming::dispatch
//!  socket ──┤                                                                   (into local processes)
//!            FrameSender ◀──frames── wire::encode ◀── Conn::send (any thread: process signals)
//!            (writer task: batching, ticks)
//! ```
//!
//! A [`Conn`] is shared (`Arc`) between the node's connection table, the task that
//! reads it, and every thread that sends to the peer. Messages are encoded on the
//! sending thread and queued to the writer without any lock, so sends from many
//! processes encode in parallel and one sender's messages stay in order. Signals that
//! change link or monitor state (LINK, UNLINK_ID, MONITOR_P, the exits) update
//! [`ConnRel`] and queue their frame under its lock, so that bookkeeping and wire
//! order agree (the UNLINK_ID state machine depends on it).
//!
//! [`run`] drives the connection: it reads until the peer closes, a frame or control
//! message is bad, the writer fails (including the tick timeout), or the node asks it
//! to stop, then logs the reason and tears down ([`super::remote`]): every link over
//! the connection gets `noconnection`, every monitor a `noconnection` DOWN, node
//! monitors `nodedown`. Only this connection ends; the node serves the others.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use tether_term::{Node, Pid, Reference};
use tokio::sync::Notify;

use super::control::{Control, ProcRef};
use super::flags::DistFlags;
use super::framing::{self, Backlog, FrameSender, WriterHandle, header::InboundDecoder};
use super::handshake::Handshake;
use super::limits::Limit;
use super::node::NodeInner;
use super::node_name::NodeName;
use super::tls::DistStream;
use super::{incoming, wire};
use crate::process::Monitored;

/// Link and monitor state of one connection (docs/distribution.md §4.3).
#[derive(Default)]
pub(crate) struct ConnRel {
    /// `(local, remote)` → `None` while active, `Some(id)` while our UNLINK_ID `id` is
    /// unacknowledged.
    pub links: HashMap<(Pid, Pid), Option<u64>>,
    /// Monitors held by local processes on remote ones: ref → (watcher, object).
    pub monitors_out: HashMap<Reference, (Pid, Monitored)>,
    /// Monitors held by remote processes on local ones: ref → (target, watcher, how
    /// the watcher named the target).
    pub monitors_in: HashMap<Reference, (Pid, Pid, ProcRef)>,
    /// Our spawn requests with a monitor: request id → requesting local process.
    pub spawn_monitors: HashMap<Reference, Pid>,
    /// Set once the connection is torn down: late signals are not recorded.
    pub closed: bool,
}

/// A live connection to a peer.
pub(crate) struct Conn {
    /// The peer.
    pub peer: Node,
    /// The peer's name.
    pub name: NodeName,
    /// Negotiated flags.
    pub flags: DistFlags,
    /// The peer's creation.
    pub creation: u32,
    /// Whether the connection is hidden.
    pub hidden: bool,
    /// Identifies this connection among successive ones to the same peer.
    pub id: u64,
    /// Whether it runs over TLS.
    pub tls: bool,
    /// When it was set up.
    pub since: std::time::SystemTime,
    /// Traffic counters, for the observer and the metrics.
    pub traffic: Traffic,
    sender: FrameSender,
    seq: AtomicU64,
    rel: Mutex<ConnRel>,
    stop: Notify,
}

impl Conn {
    pub fn rel(&self) -> MutexGuard<'_, ConnRel> {
        self.rel.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Encodes and queues a control message. If the connection is busy (its queue
    /// is over the busy limit, [`Backlog`]), the process that sends is suspended at
    /// its next await until it drains.
    pub fn send(&self, ctrl: &Control) {
        let frame = match wire::encode(ctrl, self.flags, &self.seq) {
            Ok(f) => f.sender(sender_key(ctrl)),
            Err(e) => {
                return crate::runtime::logger::report_warn!(peer = %self.name, error = %e, "cannot encode a message; dropped");
            }
        };
        let streamed = frame.is_fragmented();
        let bytes = frame.bytes().len();
        let Ok(stalled) = self.sender.push(frame) else {
            return; // the connection is going down; teardown reports it
        };
        self.traffic.count_out(bytes);
        let backlog = self.sender.backlog();
        let streaming = self.sender.streaming();
        if stalled && !streamed {
            crate::runtime::logger::report_warn!(
                peer = %self.name,
                queued = backlog.queued(),
                limit = backlog.limit(),
                stalls = backlog.stalls(),
                "distribution connection busy: senders are suspended until it drains"
            );
        }
        if backlog.is_busy() {
            crate::process::suspend::suspend_on(backlog.clone());
        } else if streamed && streaming.is_busy() {
            // Its large message waits for the others' before it sends again.
            crate::process::suspend::suspend_on(streaming.clone());
        }
    }

    /// The connection's outgoing queues: whole frames, fragmented messages.
    pub fn queues(&self) -> (&Arc<Backlog>, &Arc<Backlog>) {
        (self.sender.backlog(), self.sender.streaming())
    }

    /// Asks the connection to close.
    pub fn stop(&self) {
        self.stop.notify_one();
    }

    /// Whether a remote pid belongs to the peer's current incarnation.
    pub fn is_current(&self, pid: &Pid) -> bool {
        // A pid of a runtime in this OS process carries creation 0 for its node's
        // current incarnation: compare what goes on the wire.
        let peer = pid.node == self.peer || pid.node.canonical() == self.peer;
        peer && pid.node.wire_creation(pid.creation) == self.creation
    }
}

/// Who sends `ctrl`, as the writer's ordering key ([`framing::OutFrame::sender`]):
/// one process's signals stay in order around its fragmented messages.
fn sender_key(ctrl: &Control) -> u64 {
    ctrl.sender()
        .map_or(0, |p| (u64::from(p.id) << 32) | u64::from(p.serial))
}

static NEXT_ID: AtomicU64 = AtomicU64::new(1);

/// A connection's traffic: control messages (fragments of one message count once)
/// and their bytes, ticks and the 4-byte length prefixes left out. The reader counts
/// what comes in; every sending thread counts what it queues (the writer then fills
/// in the atom-cache section, so the bytes out are within a few bytes per message of
/// what the socket carries).
#[derive(Debug, Default)]
pub(crate) struct Traffic {
    pub messages_in: AtomicU64,
    pub bytes_in: AtomicU64,
    pub messages_out: AtomicU64,
    pub bytes_out: AtomicU64,
}

impl Traffic {
    fn count_in(&self, kind: &framing::FrameKind) {
        use framing::FrameKind;
        // Only the reader task writes the incoming counters: load and store.
        let add = |a: &AtomicU64, n: u64| a.store(a.load(Ordering::Relaxed) + n, Ordering::Relaxed);
        let (first, len) = match kind {
            FrameKind::Tick => return,
            FrameKind::PassThrough(b) | FrameKind::DistHeader(b) | FrameKind::FragmentStart(b) => {
                (true, b.len())
            }
            FrameKind::FragmentCont(b) => (false, b.len()),
        };
        if first {
            add(&self.messages_in, 1);
        }
        add(&self.bytes_in, len as u64);
    }

    fn count_out(&self, bytes: usize) {
        self.messages_out.fetch_add(1, Ordering::Relaxed);
        self.bytes_out.fetch_add(bytes as u64, Ordering::Relaxed);
    }
}

/// Builds a connection from a finished handshake and starts its writer. The reader
/// is started by [`run`] once the connection is in the table.
pub(crate) fn open(
    hs: Handshake<DistStream>,
    inner: &NodeInner,
) -> Result<(Arc<Conn>, Starter), String> {
    let peer = Node::intern(hs.peer.as_str()).map_err(|e| e.to_string())?;
    hs.stream.set_nodelay();
    let hidden = hs.is_hidden();
    let tls = matches!(hs.stream, DistStream::Tls(_));
    let (reader, sender, writer) = framing::split(hs.stream, inner.framing.clone());
    let conn = Arc::new(Conn {
        peer,
        name: hs.peer,
        flags: hs.flags,
        creation: hs.peer_creation,
        hidden,
        id: NEXT_ID.fetch_add(1, Ordering::Relaxed),
        tls,
        since: std::time::SystemTime::now(),
        traffic: Traffic::default(),
        sender,
        seq: AtomicU64::new(1),
        rel: Mutex::new(ConnRel::default()),
        stop: Notify::new(),
    });
    let starter = Starter {
        conn: conn.clone(),
        reader,
        writer,
    };
    Ok((conn, starter))
}

/// Starts a connection's reader once it is in the table.
pub(crate) struct Starter {
    conn: Arc<Conn>,
    reader: framing::FrameReader<tokio::io::ReadHalf<DistStream>>,
    writer: WriterHandle,
}

impl Starter {
    pub fn start(self, inner: Arc<NodeInner>) {
        tokio::spawn(run(inner, self.conn, self.reader, self.writer));
    }
}

async fn run(
    inner: Arc<NodeInner>,
    conn: Arc<Conn>,
    mut reader: framing::FrameReader<tokio::io::ReadHalf<DistStream>>,
    writer: WriterHandle,
) {
    let max = inner.framing.max_frame_len as usize;
    let limits = inner.limits;
    // A peer over a limit is counted and named as such (`dist::limits`); the
    // connection ends like any other bad input.
    let over = |limit: Option<Limit>, reason: String| {
        if let Some(limit) = limit {
            inner.limit_hits.hit(limit, &conn.name, &reason);
        }
        reason
    };
    let read = async {
        let mut inbound = InboundDecoder::new(max);
        loop {
            let kind = match reader.next_kind().await {
                Ok(Some(k)) => {
                    conn.traffic.count_in(&k);
                    k
                }
                Ok(None) => return "connection closed by peer".to_string(),
                Err(e) => return over(Limit::of_frame_error(&e), e.to_string()),
            };
            let mut msg = match inbound.decode(kind) {
                Ok(Some(m)) => m,
                Ok(None) => continue,
                Err(e) => return over(Limit::of_frame_error(&e), e.to_string()),
            };
            let ctrl = match wire::decode(&mut msg, limits) {
                Ok(c) => c,
                Err(e) => return over(Limit::of_bad_control(&e), e.to_string()),
            };
            inbound.recycle(msg.atom_refs);
            if let Err(e) = incoming::dispatch(&inner, &conn, ctrl) {
                return e.to_string();
            }
        }
    };
    let abort = writer_abort(&writer);
    let mut writer = std::pin::pin!(writer.join());
    let mut read = std::pin::pin!(read);
    let reason = tokio::select! {
        r = &mut read => r,
        w = &mut writer => {
            let silent = matches!(w, Err(framing::FrameError::TickTimeout));
            let reason = match w {
                Ok(()) => "connection writer stopped".to_string(),
                Err(e) => e.to_string(),
            };
            // A peer that stops flushes its last signals (its processes' exits and
            // DOWNs) and closes, which fails our writes; what it sent before is in
            // our socket still, and counts: read it up to the close. (A peer that went
            // silent has nothing more to read: it is dropped at once.)
            if !silent {
                let _ = tokio::time::timeout(CLOSE_GRACE, &mut read).await;
            }
            reason
        },
        _ = conn.stop.notified() => {
            // An orderly disconnect: what was sent before it (the exit signals and
            // DOWNs of a stopping node, say) reaches the peer before the close.
            conn.sender.close();
            let _ = tokio::time::timeout(CLOSE_GRACE, &mut writer).await;
            "disconnected by this node".to_string()
        }
    };
    abort();
    let quiet = reason.contains("closed by peer") || reason.contains("by this node");
    if quiet {
        tracing::info!(peer = %conn.name, %reason, "connection down");
    } else {
        crate::runtime::logger::report_warn!(peer = %conn.name, %reason, "connection closed");
    }
    inner.connection_lost(&conn);
}

/// How long an orderly disconnect waits for the writer to send what is queued.
const CLOSE_GRACE: std::time::Duration = std::time::Duration::from_secs(2);

fn writer_abort(w: &WriterHandle) -> impl FnOnce() + use<> {
    // The handle is consumed by `join` in the select; keep an abort handle aside.
    let h = w.abort_handle();
    move || h.abort()
}
