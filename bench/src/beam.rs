//! The BEAM side: `bench/erlang/tb_NAME.erl`, compiled with `erlc` into a temporary
//! directory and run with `erl +P 5000000 +S N:N -noshell`. Each module exports
//! `main(Quick)` and prints `KEY VALUE UNIT` lines; a crash (a failed check is a
//! `badmatch`) makes `erl` exit 1.

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

use crate::workloads::{Params, Workload};

/// The Erlang sources.
fn source_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("erlang")
}

/// A compiled copy of the Erlang sources; removed on drop.
pub struct Compiled {
    dir: PathBuf,
}

impl Drop for Compiled {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Compiles every `.erl` file into a fresh temporary directory.
pub fn compile() -> Result<Compiled, String> {
    let dir = std::env::temp_dir().join(format!("tether-bench-erl-{}", std::process::id()));
    std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let compiled = Compiled { dir };
    let mut files: Vec<PathBuf> = std::fs::read_dir(source_dir())
        .map_err(|e| format!("{}: {e}", source_dir().display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "erl"))
        .collect();
    files.sort();
    let out = Command::new("erlc")
        .arg("-o")
        .arg(&compiled.dir)
        .args(&files)
        .output()
        .map_err(|e| format!("erlc: {e} (is Erlang/OTP installed?)"))?;
    if !out.status.success() {
        return Err(format!(
            "erlc failed:\n{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    Ok(compiled)
}

/// The `erl` command that runs `w` with `p.threads` schedulers.
pub fn command(c: &Compiled, w: &Workload, p: &Params) -> Command {
    let eval = format!(
        "try tb_{name}:main({quick}) of _ -> halt(0) \
         catch C:R:S -> io:format(standard_error, \"~p:~p~n~p~n\", [C, R, S]), halt(1) end.",
        name = w.name,
        quick = p.quick,
    );
    let mut cmd = Command::new("erl");
    cmd.args(["+P", "5000000", "+S"])
        .arg(format!("{0}:{0}", p.threads))
        .args(["-noshell", "-pa"])
        .arg(&c.dir)
        .args(["-eval", &eval]);
    cmd
}

/// `--worker beam WORKLOAD THREADS`: compile and run in the foreground.
pub fn run_worker(w: &Workload, p: &Params) -> ExitCode {
    if !w.beam {
        eprintln!("{} has no BEAM implementation", w.name);
        return ExitCode::from(3);
    }
    let status =
        compile().and_then(|c| command(&c, w, p).status().map_err(|e| format!("erl: {e}")));
    match status {
        Ok(s) if s.success() => ExitCode::SUCCESS,
        Ok(_) => ExitCode::FAILURE,
        Err(e) => {
            eprintln!("{e}");
            ExitCode::FAILURE
        }
    }
}

/// `erlang:system_info(otp_release)`, for the report.
pub fn otp_release() -> Option<String> {
    let out = Command::new("erl")
        .args([
            "-noshell",
            "-eval",
            "io:format(\"~s\", [erlang:system_info(otp_release)]), halt().",
        ])
        .output()
        .ok()?;
    Some(String::from_utf8_lossy(&out.stdout).trim().to_string())
}
