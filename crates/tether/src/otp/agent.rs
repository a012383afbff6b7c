//! Agent (placeholder).
