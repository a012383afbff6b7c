//! The introspection BIFs that BEAM tools call over rpc, answered for a Tether node
//! in the shapes the BEAM gives (read-only; no code runs).
//!
//! | function | answer |
//! |---|---|
//! | `erlang:processes/0` | every live process |
//! | `erlang:process_info/1` | the default item list, or `undefined` for a dead pid |
//! | `erlang:process_info/2` (an item or a list) | `{Item, Value}` / a list of them, or `undefined` |
//! | `erlang:system_info/1` | `process_count`, `process_limit`, `schedulers`, `schedulers_online`, `logical_processors`, `wordsize`, `system_version`, `machine`, ... |
//! | `erlang:memory/0,1` | `total`, `processes`, `processes_used`, `system`, `atom`, `atom_used`, `binary`, `code`, `ets` |
//! | `erlang:statistics/1` | `run_queue`, `total_run_queue_lengths`, `reductions`, `wall_clock`, `runtime`, `io`, `context_switches`, `garbage_collection`, `scheduler_wall_time` |
//! | `pg:get_members/1,2`, `pg:get_local_members/1,2`, `pg:which_groups/0,1` | as `pg` answers them |
//! | `observer_backend:vsn/0`, `observer_backend:etop_collect/1` | what Erlang's `etop` asks of the node it watches |
//!
//! What a Rust process cannot show is reported as the nearest honest value, and each
//! is documented here:
//!
//! * `reductions` is the number of messages the process has received (the BEAM's
//!   count of work units has no equivalent); node-wide, the messages sent.
//! * `current_function` is the initial call: where a future is suspended is not
//!   visible to the runtime.
//! * `heap_size`, `total_heap_size` and `stack_size` are the process's estimated
//!   memory in words and 0; `memory` is bytes, as on the BEAM.
//! * `messages` is not answered (`badarg`): a mailbox holds Rust values, which are not
//!   all terms.
//! * `erlang:memory/0`: `total` is the OS process's resident set, `processes` Tether's
//!   estimate for its processes, and there is no code, ETS or atom area (0).
//! * `statistics(runtime)` is the OS process's CPU time (user + system).
//!
//! `etop` works with tracing off (`etop:start([{node, N}, {output, text},
//! {tracing, off}])`): with tracing on, it starts a trace port on the watched node,
//! which a Tether node does not have.

use std::sync::Mutex;
use std::time::Instant;

use tether_term::{Pid, Term};

use crate::dist::erpc::{self, Exception};
use crate::introspect;
use crate::{ProcessInfo, Status};

fn badarg() -> Exception {
    Exception::Error(Term::atom("badarg"))
}

fn int(n: impl TryInto<i64>) -> Term {
    Term::Int(n.try_into().unwrap_or(i64::MAX))
}

fn pair(k: &str, v: Term) -> Term {
    Term::tuple([Term::atom(k), v])
}

/// Registers the functions of the module docs.
pub(crate) fn register(rpc: &erpc::Registry) {
    rpc.register_sync("erlang", "processes", 0, |_| {
        Ok(Term::list(crate::processes().into_iter().map(Term::Pid)))
    });
    rpc.register_sync("erlang", "process_info", 1, |args| {
        let pid = local_pid(&args[0])?;
        Ok(match crate::process_info(pid) {
            None => Term::atom("undefined"),
            Some(info) => {
                let mut items = Vec::new();
                if info.registered_name.is_some() {
                    items.push("registered_name");
                }
                items.extend(DEFAULT_ITEMS);
                Term::list(
                    items
                        .iter()
                        .map(|k| pair(k, item(&info, k).expect("a known item"))),
                )
            }
        })
    });
    rpc.register_sync("erlang", "process_info", 2, |args| {
        let pid = local_pid(&args[0])?;
        let info = crate::process_info(pid);
        match &args[1] {
            Term::Atom(a) => {
                let v = info.as_ref().map(|i| item(i, a.as_str())).transpose()?;
                Ok(match v {
                    None => Term::atom("undefined"),
                    // As the BEAM: `[]` for an unregistered process's name.
                    Some(v) if a.as_str() == "registered_name" && v.is_atom("undefined") => {
                        Term::nil()
                    }
                    Some(v) => pair(a.as_str(), v),
                })
            }
            list => {
                let keys = list.as_list().ok_or_else(badarg)?;
                let keys = keys
                    .iter()
                    .map(|k| k.as_atom().map(str::to_owned).ok_or_else(badarg))
                    .collect::<Result<Vec<_>, _>>()?;
                let Some(info) = info else {
                    // Check the items even for a dead process, as the BEAM does.
                    for k in &keys {
                        item_known(k)?;
                    }
                    return Ok(Term::atom("undefined"));
                };
                let out = keys
                    .iter()
                    .map(|k| {
                        let v = item(&info, k)?;
                        // In a list, an unregistered name is `{registered_name, []}`.
                        let v = if k == "registered_name" && v.is_atom("undefined") {
                            Term::nil()
                        } else {
                            v
                        };
                        Ok(pair(k, v))
                    })
                    .collect::<Result<Vec<_>, Exception>>()?;
                Ok(Term::list(out))
            }
        }
    });
    rpc.register_sync("erlang", "system_info", 1, |args| {
        let key = args[0].as_atom().ok_or_else(badarg)?;
        system_info(key)
    });
    rpc.register_sync("erlang", "memory", 0, |_| {
        let m = memory();
        Ok(Term::list(m.into_iter().map(|(k, v)| pair(k, int(v)))))
    });
    rpc.register_sync("erlang", "memory", 1, |args| {
        let m = memory();
        let find = |k: &Term| -> Result<u64, Exception> {
            let k = k.as_atom().ok_or_else(badarg)?;
            m.iter()
                .find(|(name, _)| *name == k)
                .map(|(_, v)| *v)
                .ok_or_else(badarg)
        };
        match &args[0] {
            Term::Atom(_) => Ok(int(find(&args[0])?)),
            list => {
                let keys = list.as_list().ok_or_else(badarg)?;
                let out = keys
                    .iter()
                    .map(|k| Ok(pair(k.as_atom().unwrap_or(""), int(find(k)?))))
                    .collect::<Result<Vec<_>, Exception>>()?;
                Ok(Term::list(out))
            }
        }
    });
    rpc.register_sync("erlang", "statistics", 1, |args| {
        let key = args[0].as_atom().ok_or_else(badarg)?;
        statistics(key)
    });
    // pg's read functions, default scope `pg` or the one given.
    let scoped = |args: &[Term]| -> Result<(String, Term), Exception> {
        match args {
            [group] => Ok(("pg".to_owned(), group.clone())),
            [Term::Atom(scope), group] => Ok((scope.as_str().to_owned(), group.clone())),
            _ => Err(badarg()),
        }
    };
    for arity in [1, 2] {
        rpc.register_sync("pg", "get_members", arity, move |args| {
            let (scope, group) = scoped(&args)?;
            let pids = crate::kernel::pg::get_members(&scope, group);
            Ok(Term::list(pids.into_iter().map(Term::Pid)))
        });
        rpc.register_sync("pg", "get_local_members", arity, move |args| {
            let (scope, group) = scoped(&args)?;
            let pids = crate::kernel::pg::get_local_members(&scope, group);
            Ok(Term::list(pids.into_iter().map(Term::Pid)))
        });
    }
    rpc.register_sync("pg", "which_groups", 0, |_| {
        Ok(Term::list(crate::kernel::pg::which_groups("pg")))
    });
    rpc.register_sync("pg", "which_groups", 1, |args| match &args[0] {
        Term::Atom(scope) => Ok(Term::list(crate::kernel::pg::which_groups(scope.as_str()))),
        _ => Err(badarg()),
    });
    rpc.register_sync("observer_backend", "vsn", 0, |_| {
        Ok(Term::tuple([
            Term::atom("ok"),
            Term::charlist(env!("CARGO_PKG_VERSION")),
        ]))
    });
    rpc.register_sync("observer_backend", "etop_collect", 1, |args| {
        let Term::Pid(collector) = &args[0] else {
            return Err(badarg());
        };
        etop_collect(*collector);
        Ok(Term::atom("ok"))
    });
}

fn local_pid(t: &Term) -> Result<Pid, Exception> {
    match t {
        Term::Pid(p) if p.node.is_local() => Ok(*p),
        _ => Err(badarg()),
    }
}

/// `process_info/1`'s items, after `registered_name` (which only a registered process
/// lists), in the BEAM's order.
const DEFAULT_ITEMS: [&str; 14] = [
    "current_function",
    "initial_call",
    "status",
    "message_queue_len",
    "links",
    "dictionary",
    "trap_exit",
    "error_handler",
    "priority",
    "total_heap_size",
    "heap_size",
    "stack_size",
    "reductions",
    "garbage_collection",
];

const OTHER_ITEMS: [&str; 8] = [
    "registered_name",
    "memory",
    "monitors",
    "monitored_by",
    "current_stacktrace",
    "suspending",
    "min_heap_size",
    "min_bin_vheap_size",
];

fn item_known(k: &str) -> Result<(), Exception> {
    if DEFAULT_ITEMS.contains(&k) || OTHER_ITEMS.contains(&k) {
        Ok(())
    } else {
        Err(badarg())
    }
}

fn status(s: Status) -> Term {
    Term::atom(match s {
        Status::Running => "running",
        Status::Runnable => "runnable",
        Status::Waiting => "waiting",
        Status::Exiting => "exiting",
    })
}

/// One `process_info` item's value.
fn item(info: &ProcessInfo, k: &str) -> Result<Term, Exception> {
    let words = (info.memory / 8) as u64;
    Ok(match k {
        "registered_name" => info
            .registered_name
            .clone()
            .map(Term::Atom)
            .unwrap_or_else(|| Term::atom("undefined")),
        "current_function" | "initial_call" => info.initial_call.to_term(),
        "status" => status(info.status),
        "message_queue_len" => int(info.message_queue_len),
        "links" => Term::list(info.links.iter().copied().map(Term::Pid)),
        "monitors" => Term::list(info.monitors.iter().map(|(_, m)| {
            let target = match m {
                crate::Monitored::Pid(p) => Term::Pid(*p),
                crate::Monitored::Name(n, node) => {
                    Term::tuple([Term::Atom(n.clone()), Term::Atom(node.name())])
                }
            };
            pair("process", target)
        })),
        "monitored_by" => Term::list(info.monitored_by.iter().copied().map(Term::Pid)),
        "dictionary" | "current_stacktrace" | "suspending" | "garbage_collection" => Term::nil(),
        "trap_exit" => Term::from(info.trap_exit),
        "error_handler" => Term::atom("error_handler"),
        "priority" => Term::atom("normal"),
        "total_heap_size" | "heap_size" => int(words),
        "stack_size" | "min_heap_size" | "min_bin_vheap_size" => int(0),
        "reductions" => int(info.messages_received),
        "memory" => int(info.memory),
        _ => return Err(badarg()),
    })
}

fn system_info(key: &str) -> Result<Term, Exception> {
    // Cheap figures only: none of these keys needs a walk of the process table.
    let sys = introspect::quick();
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    Ok(match key {
        "process_count" => int(crate::process_count()),
        // A pid's id is 32 bits; the table holds as many processes as memory allows.
        "process_limit" => int(u32::MAX),
        "schedulers" | "schedulers_online" => int(sys.worker_threads),
        "logical_processors" | "logical_processors_available" | "logical_processors_online" => {
            int(cores)
        }
        "wordsize" => int(std::mem::size_of::<usize>()),
        "machine" => Term::charlist("Tether"),
        "system_version" => Term::charlist(&format!(
            "Tether {} (Rust) [{} worker threads]\n",
            env!("CARGO_PKG_VERSION"),
            sys.worker_threads
        )),
        "port_count" | "ets_count" | "thread_pool_size" | "dirty_io_schedulers" => int(0),
        "smp_support" | "threads" | "kernel_poll" => Term::from(true),
        "atom_count" => int(0),
        _ => return Err(badarg()),
    })
}

/// `erlang:memory/0`'s list (see the module docs).
fn memory() -> Vec<(&'static str, u64)> {
    let m = introspect::system().memory;
    let system = m.total.saturating_sub(m.processes);
    vec![
        ("total", m.total),
        ("processes", m.processes),
        ("processes_used", m.processes),
        ("system", system),
        ("atom", 0),
        ("atom_used", 0),
        ("binary", 0),
        ("code", 0),
        ("ets", 0),
    ]
}

/// The previous `statistics` readings, for the "since last call" halves.
#[derive(Default)]
struct Last {
    reductions: u64,
    wall_ms: Option<u64>,
    runtime_ms: u64,
}

fn statistics(key: &str) -> Result<Term, Exception> {
    let sys = introspect::quick();
    let last = crate::runtime::state::service::<LastStats>();
    let mut last = last.0.lock().unwrap_or_else(|e| e.into_inner());
    Ok(match key {
        "run_queue" | "total_run_queue_lengths" | "total_active_tasks" => int(sys.run_queue),
        "reductions" | "exact_reductions" => {
            let total = sys.counters.messages_sent;
            let since = total.saturating_sub(last.reductions);
            last.reductions = total;
            Term::tuple([int(total), int(since)])
        }
        "wall_clock" => {
            let now = sys.uptime.as_millis() as u64;
            let since = now - last.wall_ms.unwrap_or(0);
            last.wall_ms = Some(now);
            Term::tuple([int(now), int(since)])
        }
        "runtime" => {
            let now = cpu_time_ms();
            let since = now.saturating_sub(last.runtime_ms);
            last.runtime_ms = now;
            Term::tuple([int(now), int(since)])
        }
        "io" => {
            let conns = introspect::connections();
            let input: u64 = conns.iter().map(|c| c.bytes_in).sum();
            let output: u64 = conns.iter().map(|c| c.bytes_out).sum();
            Term::tuple([pair("input", int(input)), pair("output", int(output))])
        }
        "context_switches" => Term::tuple([int(0), int(0)]),
        "garbage_collection" => Term::tuple([int(0), int(0), int(0)]),
        "scheduler_wall_time" | "scheduler_wall_time_all" => Term::atom("undefined"),
        _ => return Err(badarg()),
    })
}

#[derive(Default)]
struct LastStats(Mutex<Last>);

/// The OS process's CPU time in milliseconds (user + system, from `/proc/self/stat`;
/// 0 where unreadable).
fn cpu_time_ms() -> u64 {
    let Ok(stat) = std::fs::read_to_string("/proc/self/stat") else {
        return 0;
    };
    // The command name (field 2) may hold spaces: count fields after its `)`.
    let Some(rest) = stat.rsplit_once(')').map(|(_, r)| r) else {
        return 0;
    };
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // Fields 14 and 15 (utime, stime) are the 12th and 13th after the name.
    let ticks: u64 = [11, 12]
        .iter()
        .filter_map(|i| fields.get(*i).and_then(|f| f.parse::<u64>().ok()))
        .sum();
    // Linux reports in USER_HZ, 100 on every mainstream configuration.
    ticks * 10
}

/// `observer_backend:etop_collect/1`: sends `{self(), #etop_info{}}` to the collector
/// (the record layout of OTP's `observer_backend.hrl`).
fn etop_collect(collector: Pid) {
    let me = crate::self_pid();
    let started = Instant::now();
    let procinfo: Vec<Term> = crate::all_process_info()
        .into_iter()
        .filter(|i| i.pid != me)
        .map(|i| {
            let name = match &i.registered_name {
                Some(n) => Term::Atom(n.clone()),
                None => i.initial_call.to_term(),
            };
            Term::tuple([
                Term::atom("etop_proc_info"),
                Term::Pid(i.pid),
                int(i.memory),
                int(i.messages_received),
                name,
                int(0),
                i.initial_call.to_term(),
                int(i.message_queue_len),
            ])
        })
        .collect();
    let memi = memory()
        .into_iter()
        .filter(|(k, _)| ["total", "processes", "ets", "atom", "code", "binary"].contains(k))
        .map(|(k, v)| pair(k, int(v)));
    let info = Term::tuple([
        Term::atom("etop_info"),
        timestamp(),
        int(procinfo.len()),
        Term::atom("undefined"),
        Term::atom("undefined"),
        int(introspect::quick().run_queue),
        Term::nil(),
        Term::list(memi),
        Term::list(procinfo),
    ]);
    let _ = crate::send(collector, Term::tuple([Term::Pid(me), info]));
    tracing::debug!(elapsed = ?started.elapsed(), "etop_collect answered");
}

/// `erlang:timestamp()`: `{MegaSecs, Secs, MicroSecs}`.
fn timestamp() -> Term {
    let d = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    let s = d.as_secs();
    Term::tuple([
        int(s / 1_000_000),
        int(s % 1_000_000),
        int(d.subsec_micros()),
    ])
}
