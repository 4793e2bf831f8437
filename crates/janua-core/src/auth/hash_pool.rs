//! A fixed pool of hashing threads, one per core. Argon2 is CPU-bound and holds
//! `PASSWORD_HASH_MEMORY_KIB` of RAM per run: running it on a few long-lived threads keeps that
//! memory warm and reused (each thread's allocator keeps its buffer), bounds the process's
//! memory to cores × that size, and queues bursts instead of growing a thread pool. Tokio's
//! general blocking pool, by contrast, starts new threads under load, each faulting in fresh
//! pages for every hash.

use std::sync::mpsc;
use std::sync::{Arc, Mutex};

use crate::error::{Error, Result};

type Work = Box<dyn FnOnce() + Send + 'static>;

#[derive(Clone)]
pub struct HashPool {
    sender: mpsc::Sender<Work>,
}

impl HashPool {
    /// Starts `threads` hashing threads (at least one). They end when the last handle drops.
    pub fn start(threads: usize) -> Result<Self> {
        let (sender, receiver) = mpsc::channel::<Work>();
        let receiver = Arc::new(Mutex::new(receiver));
        for index in 0..threads.max(1) {
            let receiver = receiver.clone();
            std::thread::Builder::new()
                .name(format!("janua-hash-{index}"))
                .spawn(move || loop {
                    // The lock is held only while taking the next job, never while hashing.
                    let next = match receiver.lock() {
                        Ok(guard) => guard.recv(),
                        Err(_) => return,
                    };
                    match next {
                        Ok(work) => work(),
                        Err(_) => return,
                    }
                })
                .map_err(|e| Error::internal(format!("cannot start a hashing thread: {e}")))?;
        }
        Ok(Self { sender })
    }

    /// Runs `work` on a hashing thread, in the caller's tracing span, and awaits its result.
    pub async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T> {
        let (done, result) = tokio::sync::oneshot::channel();
        let span = tracing::Span::current();
        let job: Work = Box::new(move || {
            let _ = done.send(span.in_scope(work));
        });
        self.sender
            .send(job)
            .map_err(|_| Error::internal("the hashing threads have stopped"))?;
        result
            .await
            .map_err(|_| Error::internal("a hashing thread failed"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn work_runs_on_the_pool_threads_and_returns_its_result() {
        let pool = HashPool::start(2).unwrap();
        let name = pool
            .run(|| std::thread::current().name().map(str::to_owned))
            .await
            .unwrap();
        assert!(name.unwrap().starts_with("janua-hash-"));
        let results = futures_join(&pool).await;
        assert_eq!(results, (0..8).map(|i| i * 2).collect::<Vec<_>>());
    }

    async fn futures_join(pool: &HashPool) -> Vec<u32> {
        let mut handles = Vec::new();
        for i in 0..8u32 {
            let pool = pool.clone();
            handles.push(tokio::spawn(async move {
                pool.run(move || i * 2).await.unwrap()
            }));
        }
        let mut out = Vec::new();
        for h in handles {
            out.push(h.await.unwrap());
        }
        out
    }
}
