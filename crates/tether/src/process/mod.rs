//! Processes: spawn, mailboxes, signals, links, monitors, names, timers, aliases.
//!
//! This layer is Erlang's process model on tokio. The map of the module:
//!
//! | File | Idea |
//! |---|---|
//! | `core.rs` | a process's shared half: the inbox every signal goes through, and its state |
//! | `inbox.rs` | the inbox itself: a lock-free queue with many senders, one receiver, and the parking protocol |
//! | `signal.rs` | the signal kinds and the exit-signal table of docs/semantics.md §1.3 |
//! | `life.rs` | the tokio task that runs a process, catches its panics and runs the exit sequence |
//! | `table.rs` | the sharded table of live processes |
//! | `current.rs` | which process is running on this thread |
//! | `route.rs` | delivery to local processes, and the trait the distribution layer implements |
//! | `dest.rs` | [`Dest`], the one way to name a process (pid, name, `{name, node}`, alias, [`Via`]) |
//! | `spawn.rs`, `send.rs`, `mailbox.rs` | spawning, sending, receiving |
//! | `budget.rs` | fairness: what sends and receives cost in tokio's cooperative budget, and the send penalty |
//! | `link.rs`, `monitor.rs`, `alias.rs` | links and exit signals, monitors, references and aliases |
//! | `name.rs`, `timer.rs`, `info.rs` | registered names, timers, introspection |
//! | `reason.rs`, `message.rs` | exit reasons; messages and the system messages `Exit` and `Down` |
//! | `inject.rs` | signals arriving from other nodes, handed in by the distribution layer |

mod alias;
mod budget;
pub(crate) mod core;
mod current;
mod dest;
mod inbox;
pub(crate) mod info;
pub(crate) mod inject;
pub(crate) mod life;
mod link;
mod mailbox;
mod message;
mod monitor;
mod name;
mod reason;
pub(crate) mod route;
mod send;
mod signal;
mod spawn;
pub(crate) mod suspend;
pub(crate) mod table;
pub(crate) mod timer;

pub(crate) use self::core::RefHash;
pub use self::core::{AliasMode, Status};
pub(crate) use alias::AliasSender;
pub use alias::{alias, make_ref, unalias};
pub(crate) use dest::Target;
pub use dest::{Dest, Via};
pub use info::{
    InitialCall, ProcessInfo, all_process_info, process_count, process_info, processes,
};
pub use link::{NoProc, exit, exit_self, link, trap_exit, unlink};
pub use mailbox::{
    Receive, ReceiveAs, ReceiveNext, ReceiveSelect, mailbox_len, receive, receive_any,
    receive_select, receive_select_timeout, receive_timeout, sleep,
};
pub(crate) use mailbox::{mailbox_mark, receive_select_after, shrink_mailbox};
pub use message::{Down, Exit, Message, Monitored};
pub use monitor::{
    MonitorTarget, demonitor, demonitor_flush, demonitor_info, monitor, monitor_alias,
};
pub(crate) use monitor::{NotSent, monitor_alias_send};
pub(crate) use name::whereis_atom;
pub use name::{NotRegistered, RegisterError, register, registered, unregister, whereis};
pub use reason::ExitReason;
pub use send::{SendError, SendErrorKind, send, send_message};
pub use spawn::{
    SpawnOpts, Spawned, is_alive, self_pid, spawn, spawn_link, spawn_monitor, try_self_pid,
};
pub use timer::{cancel_timer, read_timer, send_after, send_message_after};
