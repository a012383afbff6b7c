//! The services a peer can send terms to (`global_name_server`, also through its lock
//! protocol, the `pg` scope, GenStage producers and consumers, `rex`, `net_kernel`)
//! survive random and mutated terms: every input is handled or dropped, the service
//! stays the same process and keeps answering. The inputs are the recorded real
//! messages in `fuzz/seeds/{global,global_locker,pg,gen_stage,rex,net_kernel}/`
//! (recorded from a two-node run by `fuzz/record-seeds.sh`, see
//! `crates/tether-term/FUZZING.md`) and the inputs kept there from the long fuzz runs
//! (`cmin-*`), mutated, and random terms.
//! The stable-toolchain stand-in for the cargo-fuzz targets of the same names (which
//! share the harness, `tests/common/kernel_inputs.rs`); `TETHER_FUZZ_ITERS` sets how
//! many inputs per service (`scripts/fuzz-smoke.sh` runs more).

#[path = "common/kernel_inputs.rs"]
mod kernel_inputs;

use kernel_inputs::{Harness, Service};

/// xorshift64*: reproducible runs.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

fn iterations(default: usize) -> usize {
    std::env::var("TETHER_FUZZ_ITERS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(default)
}

/// The recorded seeds of a target (selector byte, then ETF).
fn seeds(target: &str) -> Vec<Vec<u8>> {
    let dir =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("../../fuzz/seeds/{target}"));
    let mut out: Vec<Vec<u8>> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| std::fs::read(e.unwrap().path()).unwrap())
        .collect();
    out.sort();
    assert!(!out.is_empty(), "no seeds in {}", dir.display());
    out
}

/// Byte-level mutations, with ETF tags and small lengths as interesting values.
fn mutate(rng: &mut Rng, input: &[u8]) -> Vec<u8> {
    const INTERESTING: &[u8] = &[
        0, 1, 2, 255, 97, 98, 100, 104, 105, 106, 107, 108, 109, 110, 116, 118, 119, 88, 90,
    ];
    let mut v = input.to_vec();
    for _ in 0..1 + rng.below(4) {
        if v.len() < 2 {
            break;
        }
        // Keep the selector byte and the version byte most of the time.
        let at = 1 + rng.below(v.len() - 1);
        match rng.below(4) {
            0 => v[at] ^= 1 << rng.below(8),
            1 => v.insert(at, rng.next() as u8),
            2 => {
                v.remove(at);
            }
            _ => v[at] = INTERESTING[rng.below(INTERESTING.len())],
        }
    }
    v
}

/// A random term in ETF, built from the atoms the services look for.
fn random_term(rng: &mut Rng, depth: u32, out: &mut Vec<u8>) {
    const ATOMS: &[&str] = &[
        "init_connect",
        "exchange",
        "resolved",
        "new_nodes",
        "in_sync",
        "lock_set",
        "init_connect_ack",
        "cancel_connect",
        "lost_connection",
        "remove_connection",
        "whereis",
        "register",
        "unregister",
        "set_lock",
        "del_lock",
        "get_known",
        "discover",
        "sync",
        "join",
        "leave",
        "subscribe",
        "ask",
        "cancel",
        "nil",
        "$gen_producer",
        "$gen_consumer",
        "global",
        "locker",
        "fuzzpeer@127.0.0.1",
        "true",
        "async_del_lock",
        "call",
        "block_call",
        "cast",
        "erlang",
        "node",
        "nodes",
        "process_info",
        "system_info",
        "features_request",
        "user",
        "is_auth",
        "$gen_call",
        "$gen_cast",
    ];
    let kind = if depth >= 4 {
        rng.below(3)
    } else {
        rng.below(6)
    };
    match kind {
        0 => {
            let a = ATOMS[rng.below(ATOMS.len())];
            out.extend_from_slice(&[119, a.len() as u8]);
            out.extend_from_slice(a.as_bytes());
        }
        1 => {
            out.push(98);
            out.extend_from_slice(&((rng.next() as i32) >> rng.below(31)).to_be_bytes());
        }
        2 => {
            // A pid of the loopback peer (NEW_PID_EXT).
            out.push(88);
            let n = "fuzzpeer@127.0.0.1";
            out.extend_from_slice(&[119, n.len() as u8]);
            out.extend_from_slice(n.as_bytes());
            out.extend_from_slice(&(rng.next() as u32 & 0x7fff).to_be_bytes());
            out.extend_from_slice(&[0, 0, 0, 0, 0, 0, 0, 1]);
        }
        3 | 4 => {
            let n = rng.below(7);
            out.extend_from_slice(&[104, n as u8]);
            for _ in 0..n {
                random_term(rng, depth + 1, out);
            }
        }
        _ => {
            let n = rng.below(4);
            if n == 0 {
                out.push(106);
            } else {
                out.push(108);
                out.extend_from_slice(&(n as u32).to_be_bytes());
                for _ in 0..n {
                    random_term(rng, depth + 1, out);
                }
                out.push(106);
            }
        }
    }
}

fn run(service: Service, target: &str, seed: u64) {
    let h = Harness::start();
    let seeds = seeds(target);
    // Every recorded message, as recorded, first.
    for s in &seeds {
        if std::env::var("KERNEL_INPUTS_TRACE").is_ok() {
            eprintln!("seed: {s:?}");
        }
        h.feed(service, s);
    }
    let mut rng = Rng(seed);
    for i in 0..iterations(2000) {
        let input = if i % 2 == 0 {
            let pick = rng.below(seeds.len());
            mutate(&mut rng, &seeds[pick])
        } else {
            let mut v = vec![rng.next() as u8, 131];
            random_term(&mut rng, 0, &mut v);
            v
        };
        if std::env::var("KERNEL_INPUTS_TRACE").is_ok() {
            eprintln!("input {i}: {input:?}");
        }
        h.feed(service, &input);
    }
}

#[test]
fn global_name_server_survives_random_and_mutated_terms() {
    run(Service::Global, "global", 0x9e37_79b9_7f4a_7c15);
}

#[test]
fn pg_scope_survives_random_and_mutated_terms() {
    run(Service::Pg, "pg", 0xd1b5_4a32_d192_ed03);
}

#[test]
fn gen_stage_survives_random_and_mutated_terms() {
    run(Service::GenStage, "gen_stage", 0x8cb9_2ba7_2f3d_8dd7);
}

#[test]
fn global_lock_protocol_survives_random_and_mutated_terms() {
    run(
        Service::GlobalLocker,
        "global_locker",
        0x2545_f491_4f6c_dd1d,
    );
}

#[test]
fn rex_survives_random_and_mutated_terms() {
    run(Service::Rex, "rex", 0x5851_f42d_4c95_7f2d);
}

#[test]
fn net_kernel_survives_random_and_mutated_terms() {
    run(Service::NetKernel, "net_kernel", 0x1405_7b7e_f767_814f);
}
