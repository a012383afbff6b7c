//! The library half of the `tether` command: what `tether node` runs besides the
//! node itself.
//!
//! - [`demo`]: the demo services (`echo`, the `kv` GenServer, `tether:ping/0`), an
//!   example of services that Erlang and Elixir nodes use, and the fixtures of the
//!   interop tests in this crate's `tests/`.
//! - [`discover`]: the `--discover STRATEGY:ARGS` arguments of `tether node`, parsed
//!   into [`tether::cluster`] strategies.
//!
//! ```no_run
//! # async fn run() -> Result<(), tether::dist::NodeStartError> {
//! let node = tether::dist::start(tether::dist::NodeConfig::new("demo")).await?;
//! let sup = tether_cli::demo::start(&node).await;
//! assert_eq!(tether::whereis(tether_cli::demo::SUPERVISOR), Some(sup));
//! # Ok(()) }
//! ```

pub mod demo;
pub mod discover;
