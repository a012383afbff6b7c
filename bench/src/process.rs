//! Process-layer workloads: spawn, ring, ping-pong, fan-in, skynet.
//!
//! Each workload runs inside a Tether runtime and returns `NAME VALUE UNIT` rows.
//! Every workload also checks its own result (the ring's token count, skynet's sum,
//! the messages counted by the fan-in receiver) and panics if it is wrong, so a fast
//! but broken run cannot report a figure.

use std::time::{Duration, Instant};

use tether::{Down, ExitReason, Pid, Runtime};

use crate::Row;

fn runtime(threads: usize) -> Runtime {
    Runtime::builder()
        .worker_threads(threads)
        .build()
        .expect("runtime")
}

/// Spawns `n` processes that wait for a message; reports ns per spawn and bytes per
/// idle process, then stops them.
pub fn spawn_idle(threads: usize, n: usize) -> Vec<Row> {
    let rt = runtime(threads);
    rt.block_on(async move {
        let before = crate::mem::rss();
        let t = Instant::now();
        let mut pids = Vec::with_capacity(n);
        for _ in 0..n {
            pids.push(tether::spawn(async {
                let _ = tether::receive::<()>().await;
            }));
        }
        let spawn_ns = t.elapsed().as_nanos() as f64 / n as f64;
        // Let every process reach its first receive, so each is truly idle.
        while tether::all_process_info().len() > n + 1
            && pids.iter().take(1).any(|p| {
                tether::process_info(*p).is_some_and(|i| i.status != tether::Status::Waiting)
            })
        {
            tether::sleep(Duration::from_millis(10)).await;
        }
        tether::sleep(Duration::from_millis(200)).await;
        let after = crate::mem::rss();
        let pids_vec_bytes = (n * std::mem::size_of::<Pid>()) as u64;
        let per_proc =
            (after.saturating_sub(before).saturating_sub(pids_vec_bytes)) as f64 / n as f64;
        assert!(tether::process_count() > n, "all processes alive");
        let peak = crate::mem::peak_rss();
        for p in &pids {
            tether::send(*p, ()).unwrap();
        }
        while tether::process_count() > 2 {
            tether::sleep(Duration::from_millis(10)).await;
        }
        vec![
            Row::new(format!("spawn_ns_per_process_t{threads}"), spawn_ns, "ns"),
            Row::new(
                format!("idle_bytes_per_process_t{threads}"),
                per_proc,
                "bytes",
            ),
            Row::new(
                format!("spawn_peak_rss_t{threads}"),
                peak as f64 / 1e6,
                "MB",
            ),
        ]
    })
}

/// A ring of `n` processes passing a token `hops` times.
pub fn ring(threads: usize, n: usize, hops: u64) -> Vec<Row> {
    let rt = runtime(threads);
    rt.block_on(async move {
        let me = tether::self_pid();
        // Build the ring backwards: each node forwards to the next; the last reports.
        let mut next = me;
        let mut all = Vec::with_capacity(n);
        for _ in 0..n {
            let to = next;
            next = tether::spawn(async move {
                loop {
                    let hop: u64 = tether::receive().await;
                    if hop == u64::MAX {
                        return;
                    }
                    tether::send(to, hop + 1).unwrap();
                }
            });
            all.push(next);
        }
        let first = next;
        let t = Instant::now();
        let mut hop = 0u64;
        tether::send(first, hop).unwrap();
        while hop < hops {
            // One lap: the token comes back to us after n hops.
            hop = tether::receive::<u64>().await;
            if hop < hops {
                tether::send(first, hop).unwrap();
            }
        }
        let ns = t.elapsed().as_nanos() as f64 / hop as f64;
        assert!(hop >= hops);
        for p in all {
            tether::send(p, u64::MAX).unwrap();
        }
        vec![Row::new(format!("ring_ns_per_hop_t{threads}"), ns, "ns")]
    })
}

/// Two processes bouncing a message `rounds` times.
pub fn ping_pong(threads: usize, rounds: u64) -> Vec<Row> {
    let rt = runtime(threads);
    rt.block_on(async move {
        let me = tether::self_pid();
        let ponger = tether::spawn(async move {
            loop {
                let n: u64 = tether::receive().await;
                tether::send(me, n).unwrap();
                if n == 0 {
                    return;
                }
            }
        });
        let t = Instant::now();
        for i in (0..rounds).rev() {
            tether::send(ponger, i).unwrap();
            let back: u64 = tether::receive().await;
            assert_eq!(back, i);
        }
        let ns = t.elapsed().as_nanos() as f64 / rounds as f64;
        vec![Row::new(
            format!("pingpong_ns_per_roundtrip_t{threads}"),
            ns,
            "ns",
        )]
    })
}

/// `senders` processes each send `per` messages to one receiver.
pub fn fan_in(threads: usize, senders: usize, per: u64) -> Vec<Row> {
    let rt = runtime(threads);
    rt.block_on(async move {
        let me = tether::self_pid();
        let total = senders as u64 * per;
        let sink = tether::spawn(async move {
            let mut count = 0u64;
            while count < total {
                let _: u64 = tether::receive().await;
                count += 1;
            }
            tether::send(me, count).unwrap();
        });
        let t = Instant::now();
        for _ in 0..senders {
            tether::spawn(async move {
                for i in 0..per {
                    tether::send(sink, i).unwrap();
                }
            });
        }
        let count: u64 = tether::receive().await;
        let secs = t.elapsed().as_secs_f64();
        assert_eq!(count, total);
        vec![Row::new(
            format!("fanin_msgs_per_sec_t{threads}"),
            total as f64 / secs / 1e6,
            "M/s",
        )]
    })
}

fn skynet_node(
    parent: Pid,
    num: u64,
    size: u64,
    div: u64,
) -> std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send>> {
    Box::pin(async move {
        if size == 1 {
            tether::send(parent, num).unwrap();
            return;
        }
        let me = tether::self_pid();
        let sub = size / div;
        for i in 0..div {
            tether::spawn(skynet_node(me, num + i * sub, sub, div));
        }
        let mut sum = 0;
        for _ in 0..div {
            sum += tether::receive::<u64>().await;
        }
        tether::send(parent, sum).unwrap();
    })
}

/// Skynet: a tree of `leaves` leaf processes, fan-out 10, summing their numbers.
pub fn skynet(threads: usize, leaves: u64) -> Vec<Row> {
    let rt = runtime(threads);
    rt.block_on(async move {
        let me = tether::self_pid();
        let t = Instant::now();
        tether::spawn(skynet_node(me, 0, leaves, 10));
        let sum: u64 = tether::receive().await;
        let ms = t.elapsed().as_secs_f64() * 1e3;
        assert_eq!(sum, leaves * (leaves - 1) / 2);
        let _ = ExitReason::Normal;
        let _: Option<Down> = None;
        vec![Row::new(format!("skynet_ms_t{threads}"), ms, "ms")]
    })
}
