//! The BEAM side: `bench/erlang/tb_NAME.erl`, compiled with `erlc` into a temporary
//! directory and run with `erl +P 5000000 +S N:N -noshell`. Each module exports
//! `main(Quick)` and prints `KEY VALUE UNIT` lines; a crash (a failed check is a
//! `badmatch`) makes `erl` exit 1. A workload that calls Elixir code (GenStage) names
//! its Elixir sources in `Workload::elixir_libs`: they are compiled with `elixirc`
//! into the same directory, and its `erl` gets Elixir's standard libraries
//! (`elixir`, `logger`) on the code path.

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

/// Compiles every `.erl` file, and the Elixir sources of `workloads`, into a fresh
/// temporary directory.
pub fn compile(workloads: &[&Workload]) -> Result<Compiled, String> {
    let dir = std::env::temp_dir().join(format!("tether-bench-erl-{}", std::process::id()));
    std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let compiled = Compiled { dir };
    let files = files_under(&source_dir(), "erl")?;
    run_compiler("erlc", &compiled.dir, &files)?;
    let mut elixir = Vec::new();
    for lib in workloads.iter().flat_map(|w| w.elixir_libs) {
        if !elixir.contains(lib) {
            elixir.push(*lib);
        }
    }
    for lib in elixir {
        let files = files_under(&repo_root().join(lib), "ex")?;
        run_compiler("elixirc", &compiled.dir, &files)?;
    }
    Ok(compiled)
}

/// The repository's root (`bench/..`).
fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// The files with extension `ext` in `dir` and its subfolders, sorted.
fn files_under(dir: &Path, ext: &str) -> Result<Vec<PathBuf>, String> {
    let mut files = Vec::new();
    let mut dirs = vec![dir.to_path_buf()];
    while let Some(d) = dirs.pop() {
        for e in std::fs::read_dir(&d).map_err(|e| format!("{}: {e}", d.display()))? {
            let p = e.map_err(|e| format!("{}: {e}", d.display()))?.path();
            if p.is_dir() {
                dirs.push(p);
            } else if p.extension().is_some_and(|x| x == ext) {
                files.push(p);
            }
        }
    }
    files.sort();
    Ok(files)
}

/// Runs `erlc` or `elixirc` on `files`, writing into `out`.
fn run_compiler(compiler: &str, out: &Path, files: &[PathBuf]) -> Result<(), String> {
    let done = Command::new(compiler)
        .arg("-o")
        .arg(out)
        .args(files)
        .output()
        .map_err(|e| format!("{compiler}: {e} (is Erlang/OTP, or Elixir, installed?)"))?;
    if !done.status.success() {
        return Err(format!(
            "{compiler} failed:\n{}{}",
            String::from_utf8_lossy(&done.stdout),
            String::from_utf8_lossy(&done.stderr)
        ));
    }
    Ok(())
}

/// The `ebin` folders of Elixir's `elixir` and `logger` applications, from the
/// installed `elixir`.
fn elixir_ebins() -> Result<Vec<PathBuf>, String> {
    let out = Command::new("elixir")
        .args(["-e", "IO.write(:code.lib_dir(:elixir))"])
        .output()
        .map_err(|e| format!("elixir: {e} (is Elixir installed?)"))?;
    let elixir = PathBuf::from(String::from_utf8_lossy(&out.stdout).trim());
    if !out.status.success() || !elixir.is_dir() {
        return Err(format!(
            "elixir did not name its library folder: {}",
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    let logger = elixir.with_file_name("logger");
    Ok(vec![elixir.join("ebin"), logger.join("ebin")])
}

/// The `erl` command that runs `w` with `p.threads` schedulers.
pub fn command(c: &Compiled, w: &Workload, p: &Params) -> Result<Command, String> {
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
        .arg(&c.dir);
    if !w.elixir_libs.is_empty() {
        cmd.arg("-pa").args(elixir_ebins()?);
    }
    cmd.args(["-eval", &eval]);
    Ok(cmd)
}

/// `--worker beam WORKLOAD THREADS`: compile and run in the foreground.
pub fn run_worker(w: &Workload, p: &Params) -> ExitCode {
    if !w.beam {
        eprintln!("{} has no BEAM implementation", w.name);
        return ExitCode::from(3);
    }
    let status =
        compile(&[w]).and_then(|c| command(&c, w, p)?.status().map_err(|e| format!("erl: {e}")));
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
