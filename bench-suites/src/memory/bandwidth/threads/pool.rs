//! A pool of pinned worker threads that run one job together: all start
//! behind a barrier, each on its own share, and the round's time is the
//! last finish minus the first start.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::{mpsc, Arc, Barrier, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crate::error::BenchError;

/// What a worker does with a job: `work(worker index, job)`.
type Work<J, R> = dyn Fn(usize, J) -> R + Send + Sync;

/// One worker's part of a round: when it started and finished, what it returned.
type Share<R> = Option<(Instant, Instant, std::thread::Result<R>)>;

struct Shared<J, R> {
    /// Releases the workers into a round (workers + the caller).
    go: Barrier,
    /// Waits for every worker to finish the round.
    done: Barrier,
    /// The round's job; None tells the workers to exit.
    job: Mutex<Option<J>>,
    /// Each worker's share of the last round.
    shares: Vec<Mutex<Share<R>>>,
    work: Box<Work<J, R>>,
}

/// Pinned workers, one per CPU given (a CPU may be given more than once).
pub struct Pool<J: Copy + Send + 'static, R: Send + 'static> {
    shared: Arc<Shared<J, R>>,
    handles: Vec<JoinHandle<()>>,
}

/// What a round produced.
#[derive(Debug)]
pub struct Round<R> {
    /// Last finish minus first start.
    pub span: Duration,
    /// Each worker's result, by worker index.
    pub results: Vec<R>,
}

impl<J: Copy + Send + 'static, R: Send + 'static> Pool<J, R> {
    /// Starts one worker pinned to each of `cpus` (worker i on `cpus[i]`),
    /// and returns once every worker is pinned.
    pub fn start(cpus: &[u32], work: impl Fn(usize, J) -> R + Send + Sync + 'static) -> Result<Self, BenchError> {
        let n = cpus.len();
        let shared = Arc::new(Shared {
            go: Barrier::new(n + 1),
            done: Barrier::new(n + 1),
            job: Mutex::new(None),
            shares: (0..n).map(|_| Mutex::new(None)).collect(),
            work: Box::new(work),
        });
        let (pinned_tx, pinned_rx) = mpsc::channel();
        let mut handles = Vec::with_capacity(n);
        for (index, &cpu) in cpus.iter().enumerate() {
            let mine = Arc::clone(&shared);
            let pinned = pinned_tx.clone();
            let spawned = std::thread::Builder::new().name(format!("bandwidth-{index}")).spawn(move || {
                let _ = pinned.send(hwbench_probes::binding::pin_current_thread(&[cpu]).map_err(|e| e.to_string()));
                drop(pinned);
                worker(&mine, index);
            });
            match spawned {
                Ok(handle) => handles.push(handle),
                Err(e) => {
                    // Workers already started wait at `go` for n+1 parties:
                    // release them with the threads that never came.
                    let pool = Pool { shared, handles };
                    pool.release_partial(n - index);
                    return Err(BenchError::Failed(format!("cannot start worker thread {index}: {e}")));
                }
            }
        }
        drop(pinned_tx);
        let pool = Pool { shared, handles };
        let errors: Vec<String> = pinned_rx.iter().filter_map(Result::err).collect();
        match errors.first() {
            Some(e) => Err(BenchError::Failed(e.clone())),
            None => Ok(pool),
        }
    }

    /// Workers in the pool.
    pub fn len(&self) -> usize {
        self.handles.len()
    }

    /// Always false: a pool has at least the workers it was started with.
    pub fn is_empty(&self) -> bool {
        self.handles.is_empty()
    }

    /// Runs `job` on every worker at once and waits for all of them.
    pub fn run(&self, job: J) -> Result<Round<R>, BenchError> {
        *lock(&self.shared.job) = Some(job);
        self.shared.go.wait();
        self.shared.done.wait();
        let mut first = None::<Instant>;
        let mut last = None::<Instant>;
        let mut results = Vec::with_capacity(self.len());
        for (index, share) in self.shared.shares.iter().enumerate() {
            let (start, finish, result) = lock(share).take().expect("every worker leaves its share before `done`");
            first = Some(first.map_or(start, |f| f.min(start)));
            last = Some(last.map_or(finish, |l| l.max(finish)));
            results.push(result.map_err(|_| BenchError::Failed(format!("worker thread {index} panicked")))?);
        }
        let span = match (first, last) {
            (Some(f), Some(l)) => l - f,
            _ => Duration::ZERO,
        };
        Ok(Round { span, results })
    }

    /// Shutdown when only some workers were spawned: helper threads stand
    /// in for the `missing` ones at `go`.
    fn release_partial(mut self, missing: usize) {
        *lock(&self.shared.job) = None;
        let helpers: Vec<_> = (0..missing)
            .map(|_| {
                let shared = Arc::clone(&self.shared);
                std::thread::spawn(move || {
                    shared.go.wait();
                })
            })
            .collect();
        self.shared.go.wait();
        for h in helpers.into_iter().chain(std::mem::take(&mut self.handles)) {
            let _ = h.join();
        }
    }
}

impl<J: Copy + Send + 'static, R: Send + 'static> Drop for Pool<J, R> {
    fn drop(&mut self) {
        if self.handles.is_empty() {
            return;
        }
        *lock(&self.shared.job) = None;
        self.shared.go.wait();
        for h in std::mem::take(&mut self.handles) {
            let _ = h.join();
        }
    }
}

fn worker<J: Copy, R>(shared: &Shared<J, R>, index: usize) {
    loop {
        shared.go.wait();
        let Some(job) = *lock(&shared.job) else { return };
        let start = Instant::now();
        let result = catch_unwind(AssertUnwindSafe(|| (shared.work)(index, job)));
        let finish = Instant::now();
        *lock(&shared.shares[index]) = Some((start, finish, result));
        shared.done.wait();
    }
}

/// Locks, ignoring poisoning (a panicking worker is reported, not propagated).
fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}
