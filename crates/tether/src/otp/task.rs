//! Task (placeholder).
