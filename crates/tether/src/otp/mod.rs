//! The OTP behaviours: generic servers, agents, tasks (and, from other modules,
//! supervisors, registries and process groups), built only on [`crate::process`].

pub mod agent;
pub mod gen_server;
pub mod task;
