//! Erlang/OTP-style processes, supervision and distribution for Rust.
pub mod dist;
pub use tether_term::*;
