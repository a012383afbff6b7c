//! One page of the process table, sorted and searched on the node, so that a viewer
//! of a million processes receives fifty rows, not a million.

use std::cmp::Ordering;

use tether_term::{Atom, Pid};

use crate::process::info::{Summary, summaries};
use crate::{InitialCall, Status};

/// What to sort the process table by.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum SortKey {
    /// The pid (creation order within a shard).
    #[default]
    Pid,
    /// The registered name (unnamed processes last when ascending).
    Name,
    /// Messages received so far: Tether's stand-in for reductions (see
    /// [`ProcessInfo::messages_received`](crate::ProcessInfo::messages_received)).
    Reductions,
    /// Estimated memory.
    Memory,
    /// Messages waiting.
    MessageQueueLen,
}

impl SortKey {
    /// The key named `s` (`pid`, `name`, `reductions`, `memory`, `message_queue_len`
    /// or `mq`), for query strings.
    ///
    /// ```
    /// use tether::introspect::SortKey;
    /// assert_eq!(SortKey::parse("mq"), Some(SortKey::MessageQueueLen));
    /// assert_eq!(SortKey::parse("bogus"), None);
    /// ```
    pub fn parse(s: &str) -> Option<SortKey> {
        Some(match s {
            "pid" => SortKey::Pid,
            "name" => SortKey::Name,
            "reductions" | "reds" => SortKey::Reductions,
            "memory" => SortKey::Memory,
            "message_queue_len" | "mq" => SortKey::MessageQueueLen,
            _ => return None,
        })
    }
}

/// Which page of the process table to read (see [`processes`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProcessQuery {
    /// Sort key.
    pub sort: SortKey,
    /// Largest first.
    pub descending: bool,
    /// Rows to skip.
    pub offset: usize,
    /// Rows to return at most.
    pub limit: usize,
    /// Keep only the process with this pid (as `<0.42.0>` or `0.42.0`) and the
    /// processes whose registered name or initial call's module contains this text.
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

/// One row of the process table.
#[derive(Clone, Debug)]
pub struct ProcessRow {
    /// The process.
    pub pid: Pid,
    /// Its registered name.
    pub registered_name: Option<Atom>,
    /// What it was started to run.
    pub initial_call: InitialCall,
    /// Messages received so far (see [`SortKey::Reductions`]).
    pub reductions: u64,
    /// Estimated bytes.
    pub memory: usize,
    /// Messages waiting.
    pub message_queue_len: usize,
    /// Scheduling status.
    pub status: Status,
}

/// A page of the process table.
#[derive(Clone, Debug)]
pub struct ProcessPage {
    /// Processes that matched the search (all of them without one).
    pub total: usize,
    /// The rows of the page, in order.
    pub rows: Vec<ProcessRow>,
}

/// Reads one page of the process table, sorted and filtered on the node.
///
/// The cost is a pass over every process (each read under its own lock for a moment)
/// and a partial sort that only orders the rows up to the page's end.
///
/// ```
/// use tether::introspect::{ProcessQuery, SortKey};
/// use tether::Runtime;
/// Runtime::new().unwrap().block_on(async {
///     let busy = tether::spawn(async { tether::sleep(std::time::Duration::from_secs(60)).await });
///     for i in 0..3u32 { tether::send(busy, i).unwrap(); }
///     let page = tether::introspect::processes(&ProcessQuery {
///         sort: SortKey::MessageQueueLen,
///         descending: true,
///         limit: 1,
///         ..ProcessQuery::default()
///     });
///     assert_eq!(page.rows[0].pid, busy);
///     assert_eq!(page.rows[0].message_queue_len, 3);
/// });
/// ```
pub fn processes(query: &ProcessQuery) -> ProcessPage {
    let mut all = summaries();
    if let Some(needle) = query
        .search
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        let needle = needle.trim_start_matches('<').trim_end_matches('>');
        all.retain(|s| matches(s, needle));
    }
    let total = all.len();
    let end = query.offset.saturating_add(query.limit).min(total);
    if query.offset >= end {
        return ProcessPage {
            total,
            rows: Vec::new(),
        };
    }
    let cmp = |a: &Summary, b: &Summary| {
        let o = compare(query.sort, a, b).then_with(|| pid_order(&a.pid, &b.pid));
        if query.descending { o.reverse() } else { o }
    };
    if end < total {
        all.select_nth_unstable_by(end, cmp);
        all.truncate(end);
    }
    all.sort_unstable_by(cmp);
    let rows = all
        .drain(query.offset..end)
        .map(|s| ProcessRow {
            pid: s.pid,
            registered_name: s.registered_name,
            initial_call: s.initial_call,
            reductions: s.messages_received,
            memory: s.memory,
            message_queue_len: s.message_queue_len,
            status: s.status,
        })
        .collect();
    ProcessPage { total, rows }
}

fn compare(key: SortKey, a: &Summary, b: &Summary) -> Ordering {
    match key {
        SortKey::Pid => pid_order(&a.pid, &b.pid),
        SortKey::Name => match (&a.registered_name, &b.registered_name) {
            (Some(x), Some(y)) => x.as_str().cmp(y.as_str()),
            (Some(_), None) => Ordering::Less,
            (None, Some(_)) => Ordering::Greater,
            (None, None) => Ordering::Equal,
        },
        SortKey::Reductions => a.messages_received.cmp(&b.messages_received),
        SortKey::Memory => a.memory.cmp(&b.memory),
        SortKey::MessageQueueLen => a.message_queue_len.cmp(&b.message_queue_len),
    }
}

/// Local pids in the order Erlang prints them: by id, then serial.
fn pid_order(a: &Pid, b: &Pid) -> Ordering {
    (a.id, a.serial).cmp(&(b.id, b.serial))
}

fn matches(s: &Summary, needle: &str) -> bool {
    let pid = s.pid.to_string();
    pid.trim_start_matches('<').trim_end_matches('>') == needle
        || s.registered_name
            .as_ref()
            .is_some_and(|n| n.as_str().contains(needle))
        || s.initial_call.module.contains(needle)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Runtime;

    #[test]
    fn pages_sort_and_search() {
        Runtime::new().unwrap().block_on(async {
            let mut pids = Vec::new();
            for i in 0..20u32 {
                let p = crate::spawn(async {
                    crate::sleep(std::time::Duration::from_secs(60)).await;
                });
                for _ in 0..i {
                    crate::send(p, ()).unwrap();
                }
                pids.push(p);
            }
            crate::register("the_busiest_one", pids[19]).unwrap();
            let q = ProcessQuery {
                sort: SortKey::MessageQueueLen,
                descending: true,
                limit: 5,
                ..ProcessQuery::default()
            };
            let page = processes(&q);
            assert!(page.total >= 21, "{}", page.total);
            let got: Vec<Pid> = page.rows.iter().map(|r| r.pid).collect();
            let want: Vec<Pid> = pids.iter().rev().take(5).copied().collect();
            assert_eq!(got, want);
            // The second page continues where the first ended.
            let page2 = processes(&ProcessQuery {
                offset: 5,
                ..q.clone()
            });
            assert_eq!(page2.rows[0].pid, pids[14]);
            assert_eq!(page2.rows[0].message_queue_len, 14);
            // Past the end: empty, with the total.
            let past = processes(&ProcessQuery {
                offset: 1000,
                ..q.clone()
            });
            assert!(past.rows.is_empty());
            assert_eq!(past.total, page.total);
            // Search by name, and by pid text.
            let by_name = processes(&ProcessQuery {
                search: Some("busiest".into()),
                ..ProcessQuery::default()
            });
            assert_eq!(by_name.total, 1);
            assert_eq!(by_name.rows[0].pid, pids[19]);
            let text = pids[3].to_string();
            let by_pid = processes(&ProcessQuery {
                search: Some(text),
                ..ProcessQuery::default()
            });
            assert_eq!(by_pid.total, 1);
            assert_eq!(by_pid.rows[0].pid, pids[3]);
            // Ascending by name: named processes first.
            let by_name_sort = processes(&ProcessQuery {
                sort: SortKey::Name,
                limit: 1,
                ..ProcessQuery::default()
            });
            assert!(by_name_sort.rows[0].registered_name.is_some());
        });
    }
}
