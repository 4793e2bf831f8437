//! The raw JWT signing rate: how many access tokens per second this machine signs with one key
//! of each algorithm on all cores, measured without a server. It is the key ring's own signer
//! (`JwsSigner`: key parsed once, aws-lc-rs signature, header with `alg`, `typ` and `kid`, the
//! claims of a client-credentials token), so the token endpoint's rate is reported against it.
//!
//! Run: `cargo bench -p janua-core --bench jwt_sign` (env: BENCH_SECONDS (5), BENCH_THREADS
//! (all cores), BENCH_ALGS ("RS256 ES256 EdDSA")). Prints `RATE <alg> <tokens/s>` lines.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use janua_core::auth::access_token::{AccessClaims, Audience};
use janua_core::tokens::keys::jws::JwsSigner;
use janua_core::tokens::keys::material::PrivateKey;
use janua_core::tokens::keys::SigningAlgorithm;

fn env_u64(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn claims() -> AccessClaims {
    AccessClaims {
        iss: "http://127.0.0.1:8000".into(),
        sub: "jnc_bench_client_0123456789".into(),
        aud: Audience(vec!["janua".into()]),
        iat: 1_767_323_045,
        nbf: 1_767_323_045,
        exp: 1_767_323_945,
        jti: uuid::Uuid::new_v4().to_string(),
        token_type: "access".into(),
        sid: None,
        email: None,
        scope: Some("api".into()),
        client_id: Some("jnc_bench_client_0123456789".into()),
        org_id: None,
        org_role: None,
        roles: vec!["service_account".into()],
        amr: Vec::new(),
    }
}

fn rate(alg: SigningAlgorithm, seconds: u64, threads: u64) -> f64 {
    let key = PrivateKey::generate(alg).unwrap();
    let signer =
        Arc::new(JwsSigner::new(&key, "bench-kid-0123456789abcdefghijklmnopqrstuvw").unwrap());
    let done = Arc::new(AtomicU64::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let started = Instant::now();
    let workers: Vec<_> = (0..threads)
        .map(|_| {
            let (signer, done, stop) = (signer.clone(), done.clone(), stop.clone());
            std::thread::spawn(move || {
                while !stop.load(Ordering::Relaxed) {
                    let mut c = claims();
                    c.jti = uuid::Uuid::new_v4().to_string();
                    let token = signer.sign(&c).unwrap();
                    assert!(!token.is_empty());
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
    done.load(Ordering::Relaxed) as f64 / started.elapsed().as_secs_f64()
}

fn main() {
    let seconds = env_u64("BENCH_SECONDS", 5);
    let threads = env_u64(
        "BENCH_THREADS",
        std::thread::available_parallelism()
            .map(|n| n.get() as u64)
            .unwrap_or(2),
    );
    let algs = std::env::var("BENCH_ALGS").unwrap_or_else(|_| "RS256 ES256 EdDSA".into());
    for name in algs.split_whitespace() {
        let alg = SigningAlgorithm::parse(name).unwrap();
        let r = rate(alg, seconds, threads);
        println!("{alg} threads={threads}: {r:.0} tokens/s");
        println!("RATE {alg} {r:.1}");
    }
}
