//! The web observer in a real browser: Debian's Chromium, headless, driven through
//! WebDriver (chromedriver) with fantoccini.
//!
//! The node is this binary's interop node (a real distributed node with the demo
//! services of `tether node`, on its own EPMD), plus a process with a long queue
//! (`hoarder`, which never receives) and one to kill (`victim`); a real `erl` peer
//! connects so the Nodes tab has a connection. The test checks what an operator
//! would: the page loads and is live; the process table lists `kv`; sorting by queue
//! length puts `hoarder` first; the kill button asks first (dismissing keeps the
//! process, accepting kills it) and the killed process disappears from the table; the
//! process page of `kv` shows its initial call and its state (which the `erl` peer
//! changed), and killing it there makes its supervisor restart it; the supervision tab
//! shows the demo supervisor with its children and kv's restart count; the Nodes tab
//! lists the `erl` peer with the messages it sent. Screenshots go to `target/observer-screenshots/`.
//!
//! Needs `chromium` and `chromedriver` on PATH (the README's test command installs
//! Debian's `chromium` and `chromium-driver`), and `erl`; the test fails, never skips,
//! without them.

mod interop;

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder, Locator};
use interop::node::{self, run};
use serde_json::{Value, json};
use tether::Term;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// How long one condition on the page may take to hold.
const PATIENCE: Duration = Duration::from_secs(20);
/// Messages queued at `hoarder`.
const HOARD: usize = 1000;

/// A chromedriver on a free port, killed on drop.
struct Driver {
    child: Child,
    url: String,
}

impl Driver {
    fn start() -> Driver {
        let bin = interop::require("chromedriver");
        interop::require("chromium");
        let port = interop::free_port();
        let child = Command::new(bin)
            .arg(format!("--port={port}"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start chromedriver");
        Driver {
            child,
            url: format!("http://127.0.0.1:{port}"),
        }
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn connect(driver: &Driver) -> Client {
    let mut caps = serde_json::Map::new();
    caps.insert(
        "goog:chromeOptions".into(),
        json!({
            "binary": interop::require("chromium"),
            "args": ["--headless=new", "--no-sandbox", "--disable-gpu",
                     "--disable-dev-shm-usage", "--window-size=1280,900"],
        }),
    );
    let deadline = Instant::now() + PATIENCE;
    loop {
        let connector = hyper_util::client::legacy::connect::HttpConnector::new();
        match ClientBuilder::new(connector)
            .capabilities(caps.clone())
            .connect(&driver.url)
            .await
        {
            Ok(c) => return c,
            // chromedriver takes a moment to listen.
            Err(e) if Instant::now() < deadline => {
                tracing::debug!(%e, "chromedriver not ready");
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
            Err(e) => panic!("cannot open a WebDriver session: {e}"),
        }
    }
}

/// Evaluates `script` (a function body) in the page until `check` accepts its value.
async fn until<T>(
    c: &Client,
    what: &str,
    script: &str,
    mut check: impl FnMut(&Value) -> Option<T>,
) -> T {
    let deadline = Instant::now() + PATIENCE;
    loop {
        let last = match c.execute(script, vec![]).await {
            Ok(v) => match check(&v) {
                Some(t) => return t,
                None => v,
            },
            Err(e) => Value::String(format!("script failed: {e}")),
        };
        if Instant::now() > deadline {
            let _ = shot(c, &format!("failed-{}", what.replace(' ', "-"))).await;
            panic!("the page never showed {what}; last seen: {last}");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The process table's rows as `[pid, name, queue]`.
const ROWS: &str = "return [...document.querySelectorAll('#proc-table tbody tr')]
    .map(tr => [tr.dataset.pid, tr.querySelector('.name').textContent,
                tr.querySelector('.queue').textContent]);";

fn rows(v: &Value) -> Vec<(String, String, u64)> {
    v.as_array()
        .into_iter()
        .flatten()
        .filter_map(|r| {
            let r = r.as_array()?;
            let n = r[2].as_str()?.replace(',', "").parse().ok()?;
            Some((r[0].as_str()?.into(), r[1].as_str()?.into(), n))
        })
        .collect()
}

fn screenshot_dir() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target"));
    target.join("observer-screenshots")
}

async fn shot(c: &Client, name: &str) -> PathBuf {
    let png = c.screenshot().await.expect("take a screenshot");
    assert!(png.starts_with(b"\x89PNG"), "a screenshot is a PNG");
    let dir = screenshot_dir();
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(format!("{name}.png"));
    std::fs::write(&path, png).unwrap();
    path
}

/// Clicks the element `css` selects. The page re-renders its tables and the process
/// page on every live update, so an element found a moment ago may be gone: find it
/// again then.
async fn click(c: &Client, css: &str) {
    let deadline = Instant::now() + PATIENCE;
    loop {
        let tried = match c.find(Locator::Css(css)).await {
            Ok(e) => e.click().await,
            Err(e) => Err(e),
        };
        match tried {
            Ok(()) => return,
            Err(e) if Instant::now() < deadline => {
                tracing::debug!(%e, css, "click again");
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            Err(e) => panic!("cannot click {css}: {e}"),
        }
    }
}

async fn search(c: &Client, text: &str) {
    let input = c.find(Locator::Css("#search")).await.unwrap();
    input.clear().await.unwrap();
    if !text.is_empty() {
        input.send_keys(text).await.unwrap();
    } else {
        // `clear` fires no input event: type and erase one character.
        input.send_keys(" \u{E003}").await.unwrap();
    }
}

#[test]
fn the_observer_works_in_a_real_browser() {
    node::visible();
    // Only this run's screenshots in the folder.
    let _ = std::fs::remove_dir_all(screenshot_dir());
    let driver = Driver::start();
    run(async move {
        // The node's extra processes: one with a long queue, one to kill.
        let hoarder = tether::spawn(std::future::pending::<()>());
        tether::register("hoarder", hoarder).unwrap();
        for i in 0..HOARD {
            tether::send(hoarder, Term::from(i as i64)).unwrap();
        }
        let victim = tether::spawn(std::future::pending::<()>());
        tether::register("victim", victim).unwrap();
        let (_beam, beam_node) = node::beam("observer").await;
        let me = node::me();
        node::eval(beam_node, &format!("pong = net_adm:ping({me}).")).await;
        // kv's state shows what the erl peer put there.
        node::eval(
            beam_node,
            &format!("ok = gen_server:call({{kv, {me}}}, {{put, observed, 42}})."),
        )
        .await;

        let observer = tether::observer::serve("127.0.0.1:0".parse().unwrap())
            .await
            .unwrap();
        let base = format!("http://{}", observer.local_addr());
        let c = connect(&driver).await;

        // The page loads and goes live: the node's name, and charts filling.
        c.goto(&format!("{base}/#system")).await.unwrap();
        let me = node::node().name().to_string();
        until(
            &c,
            "the node name",
            "return document.querySelector('#node').textContent;",
            |v| (v.as_str() == Some(me.as_str())).then_some(()),
        )
        .await;
        until(
            &c,
            "live updates",
            "return document.querySelector('#live').textContent;",
            |v| (v.as_str() == Some("live")).then_some(()),
        )
        .await;
        // Samples pushed after load: the chart shows a line.
        until(&c, "five samples", "return S.history.length;", |v| {
            (v.as_u64()? >= 5).then_some(())
        })
        .await;
        shot(&c, "1-system").await;

        // The process table lists kv.
        c.goto(&format!("{base}/#processes")).await.unwrap();
        search(&c, "kv").await;
        let kv = tether::whereis("kv").unwrap().to_string();
        until(&c, "kv in the table", ROWS, |v| {
            rows(v)
                .iter()
                .any(|(pid, name, _)| *pid == kv && name == "kv")
                .then_some(())
        })
        .await;
        search(&c, "").await;

        // Sorting by queue length puts hoarder first, and the column descends.
        click(&c, "th[data-sort=message_queue_len]").await;
        let sorted = until(&c, "hoarder first by queue length", ROWS, |v| {
            let r = rows(v);
            (r.len() > 5 && r[0].1 == "hoarder").then_some(r)
        })
        .await;
        assert_eq!(sorted[0].0, hoarder.to_string());
        assert!(sorted[0].2 >= HOARD as u64, "{sorted:?}");
        assert!(
            sorted.windows(2).all(|w| w[0].2 >= w[1].2),
            "queue lengths descend: {sorted:?}"
        );
        shot(&c, "2-processes-by-queue").await;

        // The process page of victim, through its row.
        search(&c, "victim").await;
        let vpid = victim.to_string();
        until(&c, "victim's row", ROWS, |v| {
            (rows(v).len() == 1 && rows(v)[0].0 == vpid).then_some(())
        })
        .await;
        click(&c, "#proc-table tbody tr").await;
        until(
            &c,
            "victim's page",
            "return document.querySelector('#proc-detail dl')?.textContent;",
            |v| v.as_str()?.contains("victim").then_some(()),
        )
        .await;
        shot(&c, "3-process-page").await;

        // The kill button asks first: dismissing keeps the process ...
        click(&c, "#kill").await;
        let question = c.get_alert_text().await.expect("a confirm dialog");
        assert!(question.contains(&vpid), "{question}");
        c.dismiss_alert().await.unwrap();
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert!(
            tether::process_info(victim).is_some(),
            "dismissed: still alive"
        );

        // ... accepting kills it, and it disappears from the table.
        click(&c, "#kill").await;
        c.accept_alert().await.unwrap();
        node::eventually("victim dead", || async {
            tether::process_info(victim).is_none()
        })
        .await;
        until(
            &c,
            "the table after the kill",
            "return location.hash;",
            |v| (v.as_str() == Some("#processes")).then_some(()),
        )
        .await;
        until(&c, "victim gone from the table", "
            return [document.querySelector('#range').textContent,
                    [...document.querySelectorAll('#proc-table tbody tr')].map(tr => tr.dataset.pid)];",
            |v| {
                let gone = !v[1].as_array()?.iter().any(|p| p.as_str() == Some(vpid.as_str()));
                (gone && v[0].as_str()? == "no process matches").then_some(())
            },
        )
        .await;
        assert_eq!(tether::whereis("victim"), None);
        shot(&c, "4-after-kill").await;
        // Unfiltered too: every process of this small node fits on the first page.
        search(&c, "").await;
        until(&c, "the whole table without victim", ROWS, |v| {
            let r = rows(v);
            let hoarder = hoarder.to_string();
            (r.iter().any(|(p, _, _)| *p == hoarder) && r.iter().all(|(p, _, _)| *p != vpid))
                .then_some(())
        })
        .await;

        // kv's page: its initial call, and its state (its `format_status`).
        let kv_pid = tether::whereis("kv").unwrap();
        c.goto(&format!(
            "{base}/#process/{}",
            kv_pid.to_string().trim_matches(['<', '>'])
        ))
        .await
        .unwrap();
        until(
            &c,
            "kv's state",
            "
            const st = document.querySelector('pre#state');
            return st && [st.textContent, document.querySelector('#proc-detail dl').textContent];",
            |v| {
                let state = v[0].as_str()?;
                let dl = v[1].as_str()?;
                (state.contains("observed => 42") && dl.contains("Kv:init/1")).then_some(())
            },
        )
        .await;
        shot(&c, "5-genserver-page").await;

        // Killing kv from its page: its supervisor restarts it under a new pid.
        click(&c, "#kill").await;
        c.accept_alert().await.unwrap();
        let new_kv = node::eventually_some("kv restarted", || async {
            tether::whereis("kv").filter(|p| *p != kv_pid)
        })
        .await;

        // The supervision tab shows the demo supervisor, its children, and kv's restart.
        c.goto(&format!("{base}/#supervision")).await.unwrap();
        let tree = until(
            &c,
            "the demo supervisor",
            "
            const sup = document.querySelector('li[data-name=tether_demo_sup]');
            return sup && [...sup.querySelectorAll('li')].map(li => li.dataset.name);",
            |v| {
                let kids: Vec<String> = v
                    .as_array()?
                    .iter()
                    .filter_map(|s| s.as_str().map(Into::into))
                    .collect();
                (!kids.is_empty()).then_some(kids)
            },
        )
        .await;
        for child in tether_cli::demo::names() {
            assert!(
                tree.contains(&child.to_string()),
                "{child} under the demo supervisor: {tree:?}"
            );
        }
        until(
            &c,
            "kernel_sup",
            "return !!document.querySelector('li[data-name=kernel_sup]');",
            |v| (v.as_bool() == Some(true)).then_some(()),
        )
        .await;
        let new_kv = new_kv.to_string();
        until(
            &c,
            "kv restarted once",
            "return document.querySelector('li[data-name=kv]').textContent;",
            |v| {
                let text = v.as_str()?;
                (text.contains(&new_kv) && text.contains("restarts 1")).then_some(())
            },
        )
        .await;
        shot(&c, "6-supervision").await;

        // The Nodes tab lists the erl peer.
        c.goto(&format!("{base}/#nodes")).await.unwrap();
        let peer = beam_node.to_string();
        let row = until(
            &c,
            "the erl peer",
            "
            return [...document.querySelectorAll('#conn-table tbody tr')]
                .map(tr => [...tr.querySelectorAll('td')].map(td => td.textContent));",
            |v| {
                v.as_array()?
                    .iter()
                    .find(|r| r[0].as_str() == Some(peer.as_str()))
                    .cloned()
            },
        )
        .await;
        // Peer, TLS, hidden, since, messages in/out, bytes in/out, flags.
        let count = |i: usize| {
            row[i]
                .as_str()
                .unwrap()
                .replace(',', "")
                .parse::<u64>()
                .ok()
        };
        assert_eq!(row[1], "no", "plain TCP: {row}");
        assert!(
            count(4).is_some_and(|n| n > 0),
            "messages came in from erl: {row}"
        );
        assert!(row[8].as_str().unwrap().contains("PUBLISHED"), "{row}");
        shot(&c, "7-nodes").await;

        c.close().await.unwrap();

        // The event stream as any client sees it: a `tick` a second with the system
        // figures; stopping the observer ends open streams, so `stop` returns.
        let mut sse = tokio::net::TcpStream::connect(observer.local_addr())
            .await
            .unwrap();
        sse.write_all(b"GET /api/events HTTP/1.1\r\nHost: observer\r\n\r\n")
            .await
            .unwrap();
        let mut seen = Vec::new();
        let mut buf = [0u8; 4096];
        while !String::from_utf8_lossy(&seen).contains("\"process_count\"") {
            let n = tokio::time::timeout(PATIENCE, sse.read(&mut buf))
                .await
                .expect("a tick within the patience")
                .unwrap();
            assert!(
                n > 0,
                "the stream ended early: {}",
                String::from_utf8_lossy(&seen)
            );
            seen.extend_from_slice(&buf[..n]);
        }
        let text = String::from_utf8_lossy(&seen).into_owned();
        assert!(text.contains("text/event-stream"), "{text}");
        assert!(text.contains("event: tick"), "{text}");
        tokio::time::timeout(PATIENCE, observer.stop())
            .await
            .expect("stop returns while a stream is open");
        let rest = tokio::time::timeout(PATIENCE, sse.read_to_end(&mut seen))
            .await
            .expect("the stream ends when the observer stops");
        assert!(rest.is_ok());
        tether::exit(hoarder, tether::ExitReason::Kill);
    });
}
