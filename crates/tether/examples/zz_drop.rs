fn main() {
    let rt = tether::Runtime::builder().worker_threads(2).build().unwrap();
    rt.block_on(async {
        for _ in 0..1_000_000 {
            tether::spawn(std::future::pending::<()>());
        }
    });
    let t = std::time::Instant::now();
    drop(rt);
    eprintln!("drop of 1M idle processes: {:?}", t.elapsed());
}
