//! The `tether` command (placeholder until the node lands).

fn main() {}
