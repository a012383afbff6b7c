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
    /// Resident memory of the OS process.
    pub memory_rss: u64,
    /// Tether's estimate of what its processes hold.
    pub memory_processes: u64,
    pub run_queue: usize,
    pub spawns_total: Option<u64>,
    pub messages_sent_total: Option<u64>,
    pub messages_received_total: u64,
    pub restarts_total: Option<u64>,
}

/// One point of the system charts (sampled every second).
#[derive(Clone, Debug, Serialize)]
pub(crate) struct Sample {
    /// Milliseconds since the Unix epoch.
    pub t: u64,
    pub processes: usize,
    pub memory_rss: u64,
    pub run_queue: usize,
    /// Messages per second over the last interval (`None` until two samples exist or
    /// when the source has no counter).
    pub messages_per_sec: Option<f64>,
    pub spawns_per_sec: Option<f64>,
}

/// A sort column of the process table.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum SortKey {
    #[default]
    Pid,
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
    /// A registered-name substring, or a pid (`<0.42.0>` or `0.42.0`).
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

    /// Whether `row` matches the search: a pid equal to it, or a name containing it.
    pub fn matches(&self, row: &ProcessRow) -> bool {
        let Some(s) = &self.search else { return true };
        let pid = s.trim_start_matches('<').trim_end_matches('>');
        if row.pid.trim_start_matches('<').trim_end_matches('>') == pid {
            return true;
        }
        row.registered_name
            .as_deref()
            .is_some_and(|n| n.contains(s.as_str()))
    }
}

/// One row of the process table.
#[derive(Clone, Debug, Serialize)]
pub(crate) struct ProcessRow {
    pub pid: String,
    #[serde(skip)]
    pub sort_pid: (u32, u32),
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
    /// Restarts this supervisor has made (`None` when the source does not count them).
    pub restarts: Option<u64>,
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
    pub since: Option<u64>,
    pub messages_in: Option<u64>,
    pub messages_out: Option<u64>,
    pub bytes_in: Option<u64>,
    pub bytes_out: Option<u64>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(pid: &str, name: Option<&str>) -> ProcessRow {
        ProcessRow {
            pid: pid.into(),
            sort_pid: (0, 0),
            registered_name: name.map(Into::into),
            initial_call: None,
            reductions: 0,
            memory: 0,
            message_queue_len: 0,
            status: "waiting",
        }
    }

    #[test]
    fn search_matches_pids_in_either_spelling_and_name_substrings() {
        let q = |s: &str| {
            ProcessQuery {
                search: Some(s.into()),
                ..Default::default()
            }
            .normalized()
        };
        let kv = row("<0.42.0>", Some("kv_store"));
        assert!(q("<0.42.0>").matches(&kv));
        assert!(q("0.42.0").matches(&kv));
        assert!(q("kv").matches(&kv));
        assert!(!q("0.4.0").matches(&kv));
        assert!(!q("echo").matches(&row("<0.43.0>", None)));
        assert!(q("  ").matches(&kv), "a blank search matches everything");
    }

    #[test]
    fn limit_is_capped() {
        let q = ProcessQuery {
            limit: 1_000_000,
            ..Default::default()
        };
        assert_eq!(q.normalized().limit, MAX_PAGE);
    }
}
