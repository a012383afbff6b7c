//! What the observer's JSON endpoints answer, and the process table's query: plain
//! serializable values, so that the page's shapes do not depend on the runtime's
//! introspection types.

use serde::{Deserialize, Serialize};

/// `GET /api/system`, and one sample of the charts' history.
#[derive(Clone, Debug, Serialize)]
pub(crate) struct SystemView {
    pub node: String,
    pub uptime_secs: u64,
    pub worker_threads: usize,
    pub process_count: usize,
    pub max_message_queue_len: usize,
    /// Resident memory of the OS process.
    pub memory_rss: u64,
    /// Tether's estimate of what its processes hold.
    pub memory_processes: u64,
    pub run_queue: usize,
    /// The activity counters (`None` when the runtime does not keep them).
    pub spawns_total: Option<u64>,
    pub exits_total: Option<u64>,
    pub messages_sent_total: Option<u64>,
    pub restarts_total: Option<u64>,
}

/// One point of the system charts (sampled every second).
#[derive(Clone, Debug, Serialize)]
pub(crate) struct Sample {
    /// Milliseconds since the Unix epoch.
    pub t: u64,
    pub processes: usize,
    pub max_message_queue_len: usize,
    pub memory_rss: u64,
    pub run_queue: usize,
    /// Messages sent per second over the last interval (`None` for the first sample,
    /// and when the runtime keeps no counters).
    pub messages_per_sec: Option<f64>,
    pub spawns_per_sec: Option<f64>,
}

/// A sort column of the process table.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum SortKey {
    #[default]
    Pid,
    Name,
    Reductions,
    Memory,
    MessageQueueLen,
}

/// `GET /api/processes?sort=..&desc=..&offset=..&limit=..&search=..`.
#[derive(Clone, Debug, Deserialize)]
#[serde(default)]
pub(crate) struct ProcessQuery {
    pub sort: SortKey,
    #[serde(rename = "desc")]
    pub descending: bool,
    pub offset: usize,
    pub limit: usize,
    /// A pid (`<0.42.0>` or `0.42.0`), or a substring of a registered name or of an
    /// initial call's module.
    pub search: Option<String>,
}

impl Default for ProcessQuery {
    fn default() -> Self {
        ProcessQuery {
            sort: SortKey::Pid,
            descending: false,
            offset: 0,
            limit: 50,
            search: None,
        }
    }
}

/// The most rows one page may ask for.
pub(crate) const MAX_PAGE: usize = 500;

impl ProcessQuery {
    /// The query with its limit capped and an empty search dropped.
    pub fn normalized(mut self) -> ProcessQuery {
        self.limit = self.limit.clamp(1, MAX_PAGE);
        self.search = self
            .search
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty());
        self
    }
}

/// One row of the process table.
#[derive(Clone, Debug, Serialize)]
pub(crate) struct ProcessRow {
    pub pid: String,
    pub registered_name: Option<String>,
    pub initial_call: Option<String>,
    /// Reductions-equivalent: messages handled (or polls, where the source counts them).
    pub reductions: u64,
    pub memory: u64,
    pub message_queue_len: u64,
    pub status: &'static str,
}

/// `GET /api/processes`: one page and how many rows match in all.
#[derive(Clone, Debug, Serialize)]
pub(crate) struct ProcessPage {
    pub total: usize,
    pub offset: usize,
    pub rows: Vec<ProcessRow>,
}

/// A monitor a process holds.
#[derive(Clone, Debug, Serialize)]
pub(crate) struct MonitorView {
    pub reference: String,
    pub target: String,
}

/// `GET /api/process/{pid}`.
#[derive(Clone, Debug, Serialize)]
pub(crate) struct ProcessDetail {
    #[serde(flatten)]
    pub row: ProcessRow,
    pub links: Vec<String>,
    pub monitors: Vec<MonitorView>,
    pub monitored_by: Vec<String>,
    pub trap_exit: bool,
    /// A GenServer's state as its `format_status` shows it.
    pub state: Option<String>,
    /// Why there is no state (not a GenServer, no answer in time ...).
    pub state_note: Option<String>,
}

/// One node of a supervision tree.
#[derive(Clone, Debug, Serialize)]
pub(crate) struct TreeView {
    pub id: Option<String>,
    pub pid: Option<String>,
    pub name: Option<String>,
    pub supervisor: bool,
    /// Times its supervisor restarted it (0 for a root).
    pub restarts: u32,
    /// `running`, `restarting` or `undefined`.
    pub state: &'static str,
    pub children: Vec<TreeView>,
}

/// One connection to a peer node.
#[derive(Clone, Debug, Serialize)]
pub(crate) struct ConnectionView {
    pub peer: String,
    pub flags: String,
    pub hidden: bool,
    pub tls: bool,
    /// Milliseconds since the Unix epoch when it came up.
    pub since: u64,
    pub messages_in: u64,
    pub messages_out: u64,
    pub bytes_in: u64,
    pub bytes_out: u64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queries_are_normalized() {
        let q = ProcessQuery {
            limit: 1_000_000,
            search: Some("  kv ".into()),
            ..Default::default()
        }
        .normalized();
        assert_eq!(q.limit, MAX_PAGE);
        assert_eq!(q.search.as_deref(), Some("kv"));
        let q = ProcessQuery {
            limit: 0,
            search: Some("   ".into()),
            ..Default::default()
        }
        .normalized();
        assert_eq!(
            (q.limit, q.search),
            (1, None),
            "a blank search matches everything"
        );
    }

    #[test]
    fn query_strings_parse_as_the_page_writes_them() {
        let q: ProcessQuery =
            serde_urlencoded_like("sort=message_queue_len&desc=true&offset=50&limit=25");
        assert_eq!(q.sort, SortKey::MessageQueueLen);
        assert!(q.descending);
        assert_eq!((q.offset, q.limit), (50, 25));
    }

    /// Parses a query string the way axum's `Query` does (serde over url-encoded pairs).
    fn serde_urlencoded_like(qs: &str) -> ProcessQuery {
        let uri: axum::http::Uri = format!("/api/processes?{qs}").parse().unwrap();
        axum::extract::Query::<ProcessQuery>::try_from_uri(&uri)
            .unwrap()
            .0
    }
}
