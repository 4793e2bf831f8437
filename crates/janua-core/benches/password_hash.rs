//! The raw Argon2id rate: how many password verifications per second this machine does with
//! the configured parameters on all cores, measured without a server. Sign-in throughput is
//! reported against this number (it bounds sign-in by design).
//!
//! Run: `cargo bench -p janua-core --bench password_hash` (env: PASSWORD_HASH_MEMORY_KIB,
//! PASSWORD_HASH_ITERATIONS, PASSWORD_HASH_PARALLELISM, BENCH_SECONDS, BENCH_THREADS).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use janua_core::auth::passwords::{HashParams, Passwords, Verification};

fn env_u32(name: &str, default: u32) -> u32 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn main() {
    let params = HashParams {
        memory_kib: env_u32("PASSWORD_HASH_MEMORY_KIB", 19456),
        iterations: env_u32("PASSWORD_HASH_ITERATIONS", 2),
        parallelism: env_u32("PASSWORD_HASH_PARALLELISM", 1),
    };
    let seconds = u64::from(env_u32("BENCH_SECONDS", 10));
    let threads = env_u32(
        "BENCH_THREADS",
        std::thread::available_parallelism()
            .map(|n| n.get() as u32)
            .unwrap_or(2),
    );
    let passwords = Passwords::new(params).unwrap();
    let hash = passwords.hash_blocking("Correct-Horse-Battery-9").unwrap();
    let done = Arc::new(AtomicU64::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let started = Instant::now();
    let workers: Vec<_> = (0..threads)
        .map(|_| {
            let (passwords, hash, done, stop) =
                (passwords.clone(), hash.clone(), done.clone(), stop.clone());
            std::thread::spawn(move || {
                while !stop.load(Ordering::Relaxed) {
                    let outcome = passwords.verify_blocking(&hash, "Correct-Horse-Battery-9");
                    assert_eq!(
                        outcome,
                        Verification::Valid {
                            needs_rehash: false
                        }
                    );
                    done.fetch_add(1, Ordering::Relaxed);
                }
            })
        })
        .collect();
    std::thread::sleep(Duration::from_secs(seconds));
    stop.store(true, Ordering::Relaxed);
    for worker in workers {
        worker.join().unwrap();
    }
    let elapsed = started.elapsed().as_secs_f64();
    let rate = done.load(Ordering::Relaxed) as f64 / elapsed;
    println!(
        "argon2id m={} t={} p={} threads={threads}: {rate:.1} verifications/s ({:.1} ms each per thread)",
        params.memory_kib,
        params.iterations,
        params.parallelism,
        1000.0 * f64::from(threads) / rate
    );
    println!("RATE {rate:.1}");
}
