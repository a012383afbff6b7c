//! Signals: everything one process can do to another.
//!
//! Erlang's model (docs/semantics.md §1.1) is that messages, links, unlinks, exit signals,
//! monitors, demonitors and DOWN notifications are all *signals*, and that signals
//! from one sender to one receiver arrive in the order they were sent (S2), whatever
//! their kind. Tether keeps that guarantee with the simplest structure that has it:
//! every signal to a process goes through **one FIFO queue**, its inbox
//! (see [`super::core`]). A sender pushes; the receiver drains the queue in order and
//! acts on each signal. Per-sender order follows because a sender pushes its signals
//! one after another; nothing is promised across senders (S3), as on the BEAM.

use tether_term::{Pid, Reference};

use super::{ExitReason, Message, Monitored};

/// One signal in a process's inbox.
pub(crate) enum Signal {
    /// An ordinary message.
    Message(Message),
    /// A message sent to one of the receiver's aliases; delivered only if the alias
    /// is still active when the receiver handles it (docs/semantics.md §1.7 A1).
    AliasMessage { alias: Reference, message: Message },
    /// An exit signal. `link` is set when it comes from a dying linked process.
    Exit {
        from: Pid,
        reason: ExitReason,
        link: bool,
    },
    /// `from` linked to the receiver.
    Link { from: Pid },
    /// `from` removed its link to the receiver.
    Unlink { from: Pid },
    /// Someone started monitoring the receiver (boxed, as `Down`: the two largest
    /// signals would otherwise make every inbox node, messages included, larger).
    Monitor(Box<MonitorSignal>),
    /// `from` dropped the monitor `reference`.
    Demonitor { reference: Reference },
    /// A monitored process went away.
    Down(Box<DownSignal>),
}

/// The content of [`Signal::Monitor`]: `from` started monitoring the receiver;
/// `object` is how it named it.
pub(crate) struct MonitorSignal {
    pub from: Pid,
    pub reference: Reference,
    pub object: Monitored,
}

/// The content of [`Signal::Down`].
pub(crate) struct DownSignal {
    pub reference: Reference,
    pub object: Monitored,
    pub reason: ExitReason,
}

/// What the receiver of an exit signal does, per the table of docs/semantics.md §1.3.
#[derive(Debug, PartialEq)]
pub(crate) enum ExitAction {
    /// Drop the signal.
    Ignore,
    /// Turn it into an `Exit` message.
    Trap,
    /// Die with this reason.
    Die(ExitReason),
}

/// Decides the fate of an exit signal (the ten rows of §1.3).
///
/// `linked` tells whether a link signal still has its link (row 5 drops it if not).
pub(crate) fn exit_action(
    me: Pid,
    from: Pid,
    reason: &ExitReason,
    link: bool,
    linked: bool,
    trap_exit: bool,
) -> ExitAction {
    if link {
        if !linked {
            return ExitAction::Ignore; // row 5
        }
        return if trap_exit {
            ExitAction::Trap // rows 1-4, trapped: kill stays `kill`
        } else if reason.is_normal() {
            ExitAction::Ignore // row 1
        } else {
            ExitAction::Die(reason.clone()) // rows 2-4: `kill` is not converted
        };
    }
    match reason {
        ExitReason::Kill => ExitAction::Die(ExitReason::Killed), // row 7, untrappable
        _ if trap_exit => ExitAction::Trap,                      // rows 6, 8, 9, 10
        ExitReason::Normal if from == me => ExitAction::Die(ExitReason::Normal), // row 9
        ExitReason::Normal => ExitAction::Ignore,                // row 6
        other => ExitAction::Die(other.clone()),                 // rows 8, 10
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tether_term::Node;

    fn pids() -> (Pid, Pid) {
        (
            Pid::new(Node::local(), 1, 0, 0),
            Pid::new(Node::local(), 2, 0, 0),
        )
    }

    /// Every inbox node holds a `Signal`: with the link word, a node fills one
    /// 64-byte cache line.
    #[test]
    fn a_signal_and_its_link_fit_a_cache_line() {
        assert!(
            std::mem::size_of::<Signal>() <= 56,
            "{}",
            std::mem::size_of::<Signal>()
        );
    }

    #[test]
    fn the_exit_signal_table() {
        let (me, other) = pids();
        let boom = ExitReason::from("boom");
        use ExitAction::*;
        use ExitReason as R;
        let rows: [(Pid, &ExitReason, bool, bool, bool, ExitAction); 16] = [
            (other, &R::Normal, true, true, false, Ignore), // 1
            (other, &R::Normal, true, true, true, Trap),    // 1
            (other, &R::Kill, true, true, false, Die(R::Kill)), // 2
            (other, &R::Kill, true, true, true, Trap),      // 2
            (other, &R::Killed, true, true, false, Die(R::Killed)), // 3
            (other, &boom, true, true, false, Die(boom.clone())), // 4
            (other, &boom, true, false, false, Ignore),     // 5
            (other, &boom, true, false, true, Ignore),      // 5
            (other, &R::Normal, false, false, false, Ignore), // 6
            (other, &R::Normal, false, false, true, Trap),  // 6
            (other, &R::Kill, false, false, true, Die(R::Killed)), // 7
            (me, &R::Kill, false, false, false, Die(R::Killed)), // 7
            (other, &boom, false, false, true, Trap),       // 8
            (me, &R::Normal, false, false, false, Die(R::Normal)), // 9
            (me, &R::Normal, false, false, true, Trap),     // 9
            (me, &boom, false, false, false, Die(boom.clone())), // 10
        ];
        for (i, (from, reason, link, linked, trap, want)) in rows.into_iter().enumerate() {
            assert_eq!(
                exit_action(me, from, reason, link, linked, trap),
                want,
                "case {i}"
            );
        }
    }
}
