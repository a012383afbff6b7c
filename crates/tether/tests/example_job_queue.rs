//! Runs the `job_queue` example (`examples/job_queue.rs`: a GenStage producer and a
//! ConsumerSupervisor) and checks what it shows: every job finished exactly once, the
//! flaky job restarted after its crash, and never more jobs running than the workers'
//! demand allows.

#[path = "../examples/job_queue.rs"]
mod job_queue;

#[test]
fn every_job_runs_once_with_bounded_concurrency_and_a_crash_is_retried() {
    let s = job_queue::run();
    let mut ids = s.finished.clone();
    ids.sort();
    assert_eq!(
        ids,
        (0..job_queue::JOBS).collect::<Vec<_>>(),
        "each job once: {s:?}"
    );
    assert_eq!(
        s.attempts,
        job_queue::JOBS as usize + 1,
        "one retry, for the flaky job: {s:?}"
    );
    assert!(
        s.max_running <= job_queue::MAX_RUNNING,
        "more jobs at once than the demand allows: {s:?}"
    );
    assert!(s.max_running >= 2, "jobs ran one at a time: {s:?}");
}
