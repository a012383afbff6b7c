//! The OTP behaviours, built directly on [`crate::process`].
//!
//! | Module | OTP / Elixir counterpart |
//! |---|---|
//! | [`gen_server`] | `gen_server` / `GenServer` |
//! | [`gen_stage`] | Elixir's `GenStage` |
//! | [`agent`] | `Agent` |
//! | [`task`] | `Task` |
//! | [`supervisor`] | `supervisor` / `Supervisor` |
//! | [`dynamic_supervisor`] | `DynamicSupervisor` |
//! | [`task_supervisor`] | `Task.Supervisor` |
//! | [`registry`] | `Registry` |

pub mod agent;
pub(crate) mod call;
pub(crate) mod gen_call;
pub mod gen_server;
pub mod gen_stage;
pub(crate) mod request;
pub(crate) mod server_ref;
pub(crate) mod start;
pub mod task;
mod term_key;
mod unwind;

pub mod dynamic_supervisor;
pub mod registry;
pub mod supervisor;
pub mod task_supervisor;

pub use gen_server::CallError;
pub use term_key::TermKey;
