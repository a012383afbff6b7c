//! Captures the log lines of the whole test binary, so a test can check that a line
//! was logged (Elixir's `capture_log`). Lines name the stage's pid, so tests running
//! in parallel do not see each other's lines as theirs.
#![allow(dead_code)]

use std::io::Write;
use std::sync::{Mutex, OnceLock};

static LINES: Mutex<String> = Mutex::new(String::new());

struct Sink;

impl Write for Sink {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        LINES
            .lock()
            .unwrap()
            .push_str(&String::from_utf8_lossy(buf));
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Starts capturing (once per test binary).
pub fn capture() {
    static ONCE: OnceLock<()> = OnceLock::new();
    ONCE.get_or_init(|| {
        let subscriber = tracing_subscriber::fmt()
            .with_ansi(false)
            .with_max_level(tracing::Level::INFO)
            .with_writer(|| Sink)
            .finish();
        tracing::subscriber::set_global_default(subscriber).expect("one global subscriber");
    });
}

/// Whether a captured line contains `text`.
pub fn logged(text: &str) -> bool {
    LINES.lock().unwrap().contains(text)
}
