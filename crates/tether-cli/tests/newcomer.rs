//! The newcomer's path, replayed against a real Elixir node: the `counter_node`
//! example of the tether crate (a supervised GenServer on a named node, registered
//! globally by a plain name) is called by Elixir through `{:global, :counter}`,
//! given a request it cannot decode, killed from Elixir and restarted by its
//! supervisor; its warnings and crash reports are on its stderr with no set-up; and
//! SIGTERM stops it with exit status 0.
//!
//! The example runs in a child process: this test binary again, running only the
//! test `child`, which calls the example's `main`.

mod interop;

#[path = "../../tether/examples/counter_node.rs"]
#[allow(dead_code)]
mod counter_node;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use interop::{Beam, BeamSpec, short_host, unique};

const VAR: &str = "TETHER_NEWCOMER_CHILD";
const T: Duration = Duration::from_secs(30);
const COOKIE: &str = "newcomer_cookie";

#[test]
fn child() {
    if std::env::var_os(VAR).is_some() {
        let stopped = counter_node::main();
        std::process::exit(if stopped == tether::Stopped::Requested {
            0
        } else {
            1
        });
    }
}

/// The node's process, killed if the test fails before it stops.
struct KillOnDrop(std::process::Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Lines of the child's stdout and stderr, tagged.
fn read_lines(child: &mut std::process::Child) -> mpsc::Receiver<(bool, String)> {
    let (tx, rx) = mpsc::channel();
    let out: Box<dyn std::io::Read + Send> = Box::new(child.stdout.take().unwrap());
    let err: Box<dyn std::io::Read + Send> = Box::new(child.stderr.take().unwrap());
    for (is_err, stream) in [(false, out), (true, err)] {
        let tx = tx.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stream).lines().map_while(Result::ok) {
                let _ = tx.send((is_err, line));
            }
        });
    }
    rx
}

#[test]
fn elixir_calls_kills_and_sees_the_counter_restarted() {
    let home = std::env::temp_dir().join(unique("newcomer_home"));
    std::fs::create_dir_all(&home).unwrap();
    let cookie_file = home.join(".erlang.cookie");
    std::fs::write(&cookie_file, COOKIE).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&cookie_file, std::fs::Permissions::from_mode(0o400)).unwrap();
    }
    // One EPMD for both nodes, served by this test process on a port of its own (the
    // example would serve one in-process too, but then Elixir's registration would
    // depend on the child having bound it first).
    let rt = tokio::runtime::Runtime::new().unwrap();
    let _epmd = rt.block_on(async {
        tether::dist::epmd::EpmdServer::bind("127.0.0.1:0".parse().unwrap())
            .await
            .unwrap()
            .spawn()
    });
    let epmd = _epmd.local_addr().port();
    let name = unique("counter");
    let full = format!("{name}@{}", short_host());
    let mut node = KillOnDrop(
        Command::new(std::env::current_exe().unwrap())
            .args(["--exact", "child", "--nocapture", "--test-threads=1"])
            .env(VAR, "1")
            .env("HOME", &home)
            .env("ERL_EPMD_PORT", epmd.to_string())
            .env("COUNTER_NODE", &name)
            .env_remove("RUST_LOG")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap(),
    );
    let lines = read_lines(&mut node.0);
    let mut stderr = Vec::new();
    let wait_for = |needle: &str, on_stderr: bool, stderr: &mut Vec<String>| loop {
        match lines.recv_timeout(T) {
            Ok((is_err, l)) => {
                if is_err {
                    stderr.push(l.clone());
                }
                if is_err == on_stderr && l.contains(needle) {
                    return l;
                }
            }
            Err(_) => panic!("never saw {needle:?}; stderr:\n{}", stderr.join("\n")),
        }
    };
    wait_for(&format!("node {full} up"), false, &mut stderr);

    let script = format!(
        r#"
t = :"{full}"
true = Node.connect(t)
:global.sync()
IO.puts("add=#{{GenServer.call({{:global, :counter}}, {{:add, 2}})}}")
GenServer.cast({{:global, :counter}}, {{:add, 3}})
GenServer.cast({{:global, :counter}}, :garbage)
IO.puts("get=#{{GenServer.call({{:global, :counter}}, :get)}}")
IO.puts("bad=#{{inspect(GenServer.call({{:global, :counter}}, :garbage))}}")
old = :global.whereis_name(:counter)
Process.exit(old, :kill)
wait = fn wait ->
  case :global.whereis_name(:counter) do
    p when is_pid(p) and p != old -> p
    _ -> Process.sleep(10); wait.(wait)
  end
end
new = wait.(wait)
IO.puts("restarted_on_tether=#{{node(new) == t}}")
IO.puts("after=#{{GenServer.call({{:global, :counter}}, :get)}}")
IO.puts("done")
Process.sleep(:infinity)
"#
    );
    let spec = BeamSpec {
        sname: unique("newcomer_ex"),
        cookie: COOKIE.into(),
        epmd_port: Some(epmd),
        eval: script,
        elixir: true,
        args: vec![],
    };
    rt.block_on(async {
        let t = Duration::from_secs(60);
        let mut ex = Beam::start(&spec);
        assert_eq!(ex.wait_line("add=", t).await, "add=2");
        assert_eq!(ex.wait_line("get=", t).await, "get=5");
        assert_eq!(
            ex.wait_line("bad=", t).await,
            "bad={:error, {:bad_request, :garbage}}"
        );
        assert_eq!(
            ex.wait_line("restarted_on_tether=", t).await,
            "restarted_on_tether=true"
        );
        assert_eq!(ex.wait_line("after=", t).await, "after=0");
        ex.wait_line("done", t).await;

        // Warnings and reports reached stderr without any set-up.
        wait_for("cannot decode (GenServer::decode_cast)", true, &mut stderr);
        wait_for("cannot decode (GenServer::decode_call)", true, &mut stderr);
        let report = wait_for("child_terminated", true, &mut stderr);
        assert!(report.contains("killed"), "{report}");

        let term = Command::new("kill")
            .args(["-TERM", &node.0.id().to_string()])
            .status()
            .unwrap();
        assert!(term.success());
        let status = node.0.wait().unwrap();
        assert_eq!(status.code(), Some(0), "stderr:\n{}", stderr.join("\n"));
        ex.kill().await;
    });
    let _ = std::fs::remove_dir_all(&home);
}
