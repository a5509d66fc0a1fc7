//! Batching of concurrent requests for one database operation. Callers submit an item and
//! await its answer; one dispatcher runs one batch at a time, and whatever arrives while a batch
//! runs forms the next one, so the round trips (and, for writes, the commit) are shared instead
//! of paid per request. Nothing waits for a timer: a request that finds the dispatcher idle runs
//! at once, alone, so batching adds no latency when the load is light and batches grow only as
//! the load does. One batch at a time measured best for both of its users (more in flight made
//! smaller batches, so more statements for the same work: see `group_commit` and
//! `accounts::BalanceReads`).
use futures::FutureExt;
use futures::future::BoxFuture;
use std::panic::AssertUnwindSafe;
use std::sync::{Arc, OnceLock};
use tokio::sync::{mpsc, oneshot};

type Run<T, R> = Arc<dyn Fn(Vec<T>) -> BoxFuture<'static, Vec<R>> + Send + Sync>;
type Idle = Arc<dyn Fn() + Send + Sync>;

pub struct Batcher<T, R> {
    /// Most items per batch.
    max: usize,
    /// Runs one batch; answers each item, in order.
    run: Run<T, R>,
    /// Called when the queue runs empty, before the dispatcher waits for more.
    idle: Idle,
    /// Started on first use, inside the runtime.
    queue: OnceLock<mpsc::Sender<(T, oneshot::Sender<R>)>>,
}

impl<T: Send + 'static, R: Send + 'static> Batcher<T, R> {
    pub fn new<F>(max: usize, run: F) -> Self
    where
        F: Fn(Vec<T>) -> BoxFuture<'static, Vec<R>> + Send + Sync + 'static,
    {
        Batcher {
            max: max.max(1),
            run: Arc::new(run),
            idle: Arc::new(|| {}),
            queue: OnceLock::new(),
        }
    }

    /// Calls `idle` whenever the queue runs empty (to let go of what consecutive batches share).
    pub fn on_idle(mut self, idle: impl Fn() + Send + Sync + 'static) -> Self {
        self.idle = Arc::new(idle);
        self
    }

    /// The item's answer; `None` if the dispatcher is gone (shutdown) or its batch panicked.
    pub async fn submit(&self, item: T) -> Option<R> {
        let queue = self.queue.get_or_init(|| {
            let (tx, rx) = mpsc::channel(4 * self.max);
            tokio::spawn(dispatch(self.max, self.run.clone(), self.idle.clone(), rx));
            tx
        });
        let (reply, answer) = oneshot::channel();
        queue.send((item, reply)).await.ok()?;
        answer.await.ok()
    }
}

/// The error for a request whose batch ended without its answer (`submit` gave `None`).
pub fn lost() -> crate::AppError {
    crate::AppError::unavailable("The request could not be completed; retry it")
}

async fn dispatch<T, R>(
    max: usize,
    run: Run<T, R>,
    idle: Idle,
    mut queue: mpsc::Receiver<(T, oneshot::Sender<R>)>,
) {
    loop {
        let first = match queue.try_recv() {
            Ok(first) => first,
            Err(_) => {
                idle();
                match queue.recv().await {
                    Some(first) => first,
                    None => return,
                }
            }
        };
        let mut batch = vec![first];
        while batch.len() < max {
            match queue.try_recv() {
                Ok(r) => batch.push(r),
                Err(_) => break,
            }
        }
        let (items, replies): (Vec<T>, Vec<_>) = batch.into_iter().unzip();
        // A batch that panics fails its own requests (their replies are dropped), not the
        // dispatcher: the next batch runs as usual.
        match AssertUnwindSafe(run(items)).catch_unwind().await {
            Ok(answers) => {
                for (reply, answer) in replies.into_iter().zip(answers) {
                    let _ = reply.send(answer);
                }
            }
            Err(_) => tracing::error!(
                size = replies.len(),
                "a batch panicked; its requests failed"
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[tokio::test]
    async fn answers_each_item_and_batches_what_waits() {
        let sizes = Arc::new(Mutex::new(Vec::new()));
        let idles = Arc::new(AtomicUsize::new(0));
        let (seen, idled) = (sizes.clone(), idles.clone());
        let b = Arc::new(
            Batcher::new(8, move |items: Vec<u32>| {
                seen.lock().unwrap().push(items.len());
                async move {
                    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
                    items.into_iter().map(|i| i * 10).collect()
                }
                .boxed()
            })
            .on_idle(move || {
                idled.fetch_add(1, Ordering::Relaxed);
            }),
        );
        let calls: Vec<_> = (0..20u32)
            .map(|i| {
                let b = b.clone();
                tokio::spawn(async move { (i, b.submit(i).await) })
            })
            .collect();
        for c in calls {
            let (i, answer) = c.await.unwrap();
            assert_eq!(answer, Some(i * 10));
        }
        let sizes = sizes.lock().unwrap().clone();
        assert_eq!(sizes.iter().sum::<usize>(), 20);
        assert!(sizes.iter().all(|&s| s <= 8), "{sizes:?}");
        assert!(
            sizes.len() < 20,
            "20 waiting: some were batched ({sizes:?})"
        );
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        assert!(
            idles.load(Ordering::Relaxed) >= 1,
            "the dispatcher went idle at the end"
        );
    }

    #[tokio::test]
    async fn a_batch_that_panics_fails_alone() {
        let b = Batcher::new(8, |items: Vec<u32>| {
            async move {
                assert!(items != [13], "unlucky");
                items
            }
            .boxed()
        });
        assert_eq!(b.submit(13).await, None);
        assert_eq!(b.submit(7).await, Some(7));
    }

    #[tokio::test]
    async fn a_lost_answer_is_none() {
        let b = Batcher::new(8, |_: Vec<u32>| async { Vec::<u32>::new() }.boxed());
        assert_eq!(b.submit(1).await, None);
    }
}
