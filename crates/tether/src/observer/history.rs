//! The charts' history: the server samples the system figures every second into a
//! bounded ring buffer, so a page opened late still shows the last minutes, and every
//! open page gets each new sample pushed (server-sent events) from the same buffer.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::broadcast;

use super::source;
use super::view::{Sample, SystemView};

/// How often the sampler runs.
pub(crate) const INTERVAL: Duration = Duration::from_secs(1);

/// What each tick pushes to the open pages.
#[derive(Clone, Debug, serde::Serialize)]
pub(crate) struct Tick {
    pub system: SystemView,
    pub sample: Sample,
}

/// The last samples, oldest first, and the channel each new one goes out on.
pub(crate) struct History {
    samples: Mutex<VecDeque<Sample>>,
    capacity: usize,
    /// `None` once the observer stops: the event streams then end.
    ticks: Mutex<Option<broadcast::Sender<Arc<Tick>>>>,
}

impl History {
    pub fn new(capacity: usize) -> History {
        History {
            samples: Mutex::new(VecDeque::with_capacity(capacity)),
            capacity: capacity.max(1),
            ticks: Mutex::new(Some(broadcast::channel(16).0)),
        }
    }

    /// The samples held, oldest first.
    pub fn samples(&self) -> Vec<Sample> {
        self.lock().iter().cloned().collect()
    }

    /// A receiver of the ticks to come (closed at once if the observer stopped).
    pub fn subscribe(&self) -> broadcast::Receiver<Arc<Tick>> {
        match &*self.ticks.lock().unwrap_or_else(|e| e.into_inner()) {
            Some(tx) => tx.subscribe(),
            None => broadcast::channel(1).1,
        }
    }

    /// Ends every subscriber's stream.
    pub fn close(&self) {
        self.ticks.lock().unwrap_or_else(|e| e.into_inner()).take();
    }

    /// Adds the sample of `system` taken `dt` after the previous one, dropping the
    /// oldest when full, and pushes it to the subscribers.
    pub fn record(&self, system: SystemView, previous: Option<&SystemView>, dt: Duration) {
        let sample = sample(&system, previous, dt);
        {
            let mut s = self.lock();
            if s.len() == self.capacity {
                s.pop_front();
            }
            s.push_back(sample.clone());
        }
        if let Some(tx) = &*self.ticks.lock().unwrap_or_else(|e| e.into_inner()) {
            let _ = tx.send(Arc::new(Tick { system, sample }));
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, VecDeque<Sample>> {
        self.samples.lock().unwrap_or_else(|e| e.into_inner())
    }
}

fn sample(now: &SystemView, previous: Option<&SystemView>, dt: Duration) -> Sample {
    let secs = dt.as_secs_f64();
    let rate = |get: fn(&SystemView) -> Option<u64>| {
        let (a, b) = (get(previous?)?, get(now)?);
        (secs > 0.0).then(|| b.saturating_sub(a) as f64 / secs)
    };
    Sample {
        t: source::now_ms(),
        processes: now.process_count,
        max_message_queue_len: now.max_message_queue_len,
        memory_rss: now.memory_rss,
        run_queue: now.run_queue,
        messages_per_sec: rate(|s| s.messages_sent_total),
        spawns_per_sec: rate(|s| s.spawns_total),
    }
}

/// The most of one thread's time the sampler may take: reading the figures walks the
/// process table, which takes a while with a million processes, so the sampler then
/// samples less often rather than cost more.
const MAX_SHARE: u32 = 20; // 1/20 = 5 %

/// How long to wait after a sample that took `took`: [`INTERVAL`], or longer when the
/// sample took more than a [`MAX_SHARE`]th of it.
fn pause_after(took: Duration) -> Duration {
    INTERVAL.max(took * MAX_SHARE).saturating_sub(took)
}

/// Samples every [`INTERVAL`] (or less often, see [`pause_after`]) until `stop` fires,
/// then ends the event streams. The figures are read on tokio's blocking pool, so a
/// long walk of the process table never holds up a worker thread's processes.
pub(crate) async fn run(history: Arc<History>, mut stop: tokio::sync::watch::Receiver<bool>) {
    let mut previous: Option<(SystemView, tokio::time::Instant)> = None;
    loop {
        let start = tokio::time::Instant::now();
        let Ok(system) = tokio::task::spawn_blocking(source::system).await else {
            return; // the runtime is shutting down
        };
        let took = start.elapsed();
        let dt = previous
            .as_ref()
            .map_or(Duration::ZERO, |(_, t)| start - *t);
        history.record(system.clone(), previous.as_ref().map(|(s, _)| s), dt);
        previous = Some((system, start));
        tokio::select! {
            _ = tokio::time::sleep(pause_after(took)) => {}
            _ = super::stopped(&mut stop) => {
                history.close();
                return;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn system(spawns: Option<u64>, sent: Option<u64>) -> SystemView {
        SystemView {
            node: "n@h".into(),
            uptime_secs: 0,
            worker_threads: 1,
            process_count: 3,
            max_message_queue_len: 0,
            memory_rss: 0,
            memory_processes: 0,
            run_queue: 0,
            spawns_total: spawns,
            exits_total: None,
            messages_sent_total: sent,
            restarts_total: None,
        }
    }

    #[test]
    fn the_sampler_takes_at_most_its_share() {
        assert_eq!(
            pause_after(Duration::from_millis(5)),
            Duration::from_millis(995)
        );
        assert_eq!(
            pause_after(Duration::from_millis(50)),
            Duration::from_millis(950)
        );
        // A 200 ms walk: the next sample 4 s later, 5 % of the time in all.
        assert_eq!(
            pause_after(Duration::from_millis(200)),
            Duration::from_millis(3800)
        );
    }

    #[test]
    fn keeps_the_last_samples_and_computes_rates() {
        let h = History::new(3);
        let mut rx = h.subscribe();
        let mut prev = system(Some(0), Some(0));
        h.record(prev.clone(), None, Duration::ZERO);
        for i in 1..=4u64 {
            let now = system(Some(10 * i), Some(100 * i));
            h.record(now.clone(), Some(&prev), Duration::from_millis(500));
            prev = now;
        }
        let s = h.samples();
        assert_eq!(s.len(), 3, "bounded to its capacity");
        assert_eq!(s[2].spawns_per_sec, Some(20.0));
        assert_eq!(s[2].messages_per_sec, Some(200.0));
        assert_eq!(rx.try_recv().unwrap().sample.spawns_per_sec, None);
        // A runtime without counters gives no rate rather than a made-up one.
        h.record(system(None, None), Some(&prev), Duration::from_secs(1));
        assert_eq!(h.samples()[2].messages_per_sec, None);
    }
}
