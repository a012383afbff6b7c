//! Exit reasons.
//!
//! Every process ends with an [`ExitReason`], which travels over its links and
//! monitors. The common Erlang reasons are variants of their own so that Rust code can
//! match them; anything else is kept as a [`Term`], exactly as the BEAM would carry it.

use std::fmt;
use std::sync::Arc;

use tether_term::{Atom, Term};

/// Why a process ended (or why an exit signal was sent).
///
/// | Variant | Erlang term | Meaning |
/// |---|---|---|
/// | `Normal` | `normal` | returned from its function |
/// | `Shutdown` | `shutdown` | asked to stop by its supervisor |
/// | `ShutdownWith(t)` | `{shutdown, T}` | a clean stop with a detail |
/// | `Kill` | `kill` | the untrappable kill (only as a *signal*) |
/// | `Killed` | `killed` | what a killed process dies with |
/// | `Noproc` | `noproc` | the target did not exist |
/// | `Noconnection` | `noconnection` | the connection to its node was lost |
/// | `Panic(msg)` | `{{panic, <<Msg>>}, []}` | the process panicked |
/// | `Term(t)` | `T` | anything else |
///
/// ```
/// use tether::ExitReason;
/// assert!(ExitReason::Normal.is_normal());
/// assert!(ExitReason::Shutdown.is_clean());
/// assert!(!ExitReason::from("boom").is_clean());
/// assert_eq!(ExitReason::from("normal"), ExitReason::Normal);
/// ```
#[derive(Clone, PartialEq)]
pub enum ExitReason {
    /// `normal`.
    Normal,
    /// `shutdown`.
    Shutdown,
    /// `{shutdown, Term}`.
    ShutdownWith(Arc<Term>),
    /// `kill`.
    Kill,
    /// `killed`.
    Killed,
    /// `noproc`.
    Noproc,
    /// `noconnection`.
    Noconnection,
    /// A panic, with its message.
    Panic(Arc<str>),
    /// Any other reason.
    Term(Arc<Term>),
}

impl ExitReason {
    /// Whether the reason is `normal`.
    ///
    /// ```
    /// use tether::ExitReason;
    /// assert!(ExitReason::Normal.is_normal());
    /// assert!(!ExitReason::Shutdown.is_normal());
    /// ```
    pub fn is_normal(&self) -> bool {
        matches!(self, ExitReason::Normal)
    }

    /// Whether the reason counts as a clean stop: `normal`, `shutdown` or
    /// `{shutdown, _}` (no error report, no transient restart).
    ///
    /// ```
    /// use tether::ExitReason;
    /// assert!(ExitReason::Normal.is_clean() && ExitReason::Shutdown.is_clean());
    /// assert!(!ExitReason::from("crash").is_clean());
    /// ```
    pub fn is_clean(&self) -> bool {
        matches!(
            self,
            ExitReason::Normal | ExitReason::Shutdown | ExitReason::ShutdownWith(_)
        )
    }

    /// A reason from an Erlang term, mapping the well-known atoms to their variants.
    ///
    /// ```
    /// use tether::{ExitReason, Term};
    /// assert_eq!(ExitReason::from_term(Term::atom("killed")), ExitReason::Killed);
    /// ```
    pub fn from_term(term: Term) -> ExitReason {
        match &term {
            Term::Atom(a) => match a.as_str() {
                "normal" => return ExitReason::Normal,
                "shutdown" => return ExitReason::Shutdown,
                "kill" => return ExitReason::Kill,
                "killed" => return ExitReason::Killed,
                "noproc" => return ExitReason::Noproc,
                "noconnection" => return ExitReason::Noconnection,
                _ => {}
            },
            Term::Tuple(items) if items.len() == 2 && items[0].is_atom("shutdown") => {
                return ExitReason::ShutdownWith(Arc::new(items[1].clone()));
            }
            Term::Tuple(items) if items.len() == 2 => {
                if let Term::Tuple(inner) = &items[0]
                    && inner.len() == 2
                    && inner[0].is_atom("panic")
                    && let Term::Binary(b) = &inner[1]
                {
                    return ExitReason::Panic(Arc::from(String::from_utf8_lossy(b).as_ref()));
                }
            }
            _ => {}
        }
        ExitReason::Term(Arc::new(term))
    }

    /// The reason as the Erlang term a BEAM peer sees.
    ///
    /// ```
    /// use tether::{ExitReason, Term};
    /// assert_eq!(ExitReason::Shutdown.to_term(), Term::atom("shutdown"));
    /// ```
    pub fn to_term(&self) -> Term {
        match self {
            ExitReason::Normal => Term::atom("normal"),
            ExitReason::Shutdown => Term::atom("shutdown"),
            ExitReason::ShutdownWith(t) => Term::tuple([Term::atom("shutdown"), (**t).clone()]),
            ExitReason::Kill => Term::atom("kill"),
            ExitReason::Killed => Term::atom("killed"),
            ExitReason::Noproc => Term::atom("noproc"),
            ExitReason::Noconnection => Term::atom("noconnection"),
            ExitReason::Panic(msg) => Term::tuple([
                Term::tuple([Term::atom("panic"), Term::from(&**msg)]),
                Term::nil(),
            ]),
            ExitReason::Term(t) => (**t).clone(),
        }
    }
}

impl From<&str> for ExitReason {
    /// The reason named by an atom, such as `"boom"` for `boom`.
    fn from(atom: &str) -> ExitReason {
        ExitReason::from_term(Term::Atom(Atom::new(atom)))
    }
}

impl From<Term> for ExitReason {
    fn from(term: Term) -> ExitReason {
        ExitReason::from_term(term)
    }
}

impl fmt::Debug for ExitReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ExitReason::Panic(msg) => write!(f, "panic({msg:?})"),
            ExitReason::Term(t) => write!(f, "{t:?}"),
            ExitReason::ShutdownWith(t) => write!(f, "{{shutdown, {t:?}}}"),
            other => write!(f, "{:?}", other.to_term().as_atom().unwrap_or("?")),
        }
    }
}

impl fmt::Display for ExitReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self, f)
    }
}
