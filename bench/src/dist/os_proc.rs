//! Child OS processes (the Tether peer, `erl` nodes): line-oriented stdin/stdout, and
//! no strays. Each child gets a stdin pipe that it watches (the peer and the erl nodes
//! exit at end of file), so it ends with the bench process even if that one crashes;
//! [`Proc`] also kills it when dropped.

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// A running child with its output as lines (stderr lines are prefixed `[stderr]`).
pub struct Proc {
    what: String,
    child: Child,
    stdin: Option<ChildStdin>,
    lines: mpsc::Receiver<String>,
    seen: Vec<String>,
}

impl Proc {
    /// Starts `cmd` with piped stdio.
    pub fn start(what: &str, mut cmd: Command) -> Result<Proc, String> {
        let mut child = cmd
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| format!("cannot start {what}: {e}"))?;
        let (tx, rx) = mpsc::channel();
        let out = child.stdout.take().expect("piped stdout");
        let err = child.stderr.take().expect("piped stderr");
        let tx2 = tx.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(out).lines().map_while(Result::ok) {
                let _ = tx.send(line);
            }
        });
        std::thread::spawn(move || {
            for line in BufReader::new(err).lines().map_while(Result::ok) {
                let _ = tx2.send(format!("[stderr] {line}"));
            }
        });
        Ok(Proc {
            what: what.to_owned(),
            stdin: child.stdin.take(),
            child,
            lines: rx,
            seen: Vec::new(),
        })
    }

    /// The next output line that is not from stderr.
    pub fn next_line(&mut self, timeout: Duration) -> Result<String, String> {
        let deadline = Instant::now() + timeout;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) if line.starts_with("[stderr]") => self.seen.push(line),
                Ok(line) => {
                    self.seen.push(line.clone());
                    return Ok(line);
                }
                Err(e) => {
                    let why = match e {
                        mpsc::RecvTimeoutError::Timeout => "timed out",
                        mpsc::RecvTimeoutError::Disconnected => "exited",
                    };
                    return Err(format!(
                        "{} {why}; its output:\n{}",
                        self.what,
                        self.seen.join("\n")
                    ));
                }
            }
        }
    }

    /// Waits for a line containing `needle`.
    pub fn wait_line(&mut self, needle: &str, timeout: Duration) -> Result<(), String> {
        let deadline = Instant::now() + timeout;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            if self.next_line(left)?.contains(needle) {
                return Ok(());
            }
        }
    }

    /// Writes one line to the child's stdin.
    pub fn write_line(&mut self, line: &str) -> Result<(), String> {
        let w = self.stdin.as_mut().ok_or("stdin closed")?;
        writeln!(w, "{line}")
            .and_then(|_| w.flush())
            .map_err(|e| format!("cannot write to {}: {e}", self.what))
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        // Closing stdin asks the child to exit; give it a moment to (a profiler
        // wrapping the peer writes its output then), and kill it otherwise.
        drop(self.stdin.take());
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
