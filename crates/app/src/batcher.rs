//! Batching of concurrent requests for one database operation. Callers submit an item and
//! await its answer; a dispatcher gathers whatever has arrived while earlier batches ran into one
//! batch, so the round trips (and, for writes, the commit) are shared instead of paid per
//! request. Nothing waits for a timer: a request that finds a lane free runs at once, alone, so
//! batching adds no latency when the load is light and batches grow only as the load does.
use futures::future::BoxFuture;
use std::sync::{Arc, OnceLock};
use tokio::sync::{Semaphore, mpsc, oneshot};

type Run<T, R> = Arc<dyn Fn(Vec<T>) -> BoxFuture<'static, Vec<R>> + Send + Sync>;

pub struct Batcher<T, R> {
    /// Batches in flight at once.
    lanes: usize,
    /// Most items per batch.
    max: usize,
    /// Runs one batch; answers each item, in order.
    run: Run<T, R>,
    /// Started on first use, inside the runtime.
    queue: OnceLock<mpsc::Sender<(T, oneshot::Sender<R>)>>,
}

impl<T: Send + 'static, R: Send + 'static> Batcher<T, R> {
    pub fn new<F>(lanes: usize, max: usize, run: F) -> Self
    where
        F: Fn(Vec<T>) -> BoxFuture<'static, Vec<R>> + Send + Sync + 'static,
    {
        Batcher {
            lanes: lanes.max(1),
            max: max.max(1),
            run: Arc::new(run),
            queue: OnceLock::new(),
        }
    }

    /// The item's answer; `None` if the dispatcher is gone (shutdown) or dropped the batch.
    pub async fn submit(&self, item: T) -> Option<R> {
        let queue = self.queue.get_or_init(|| {
            let (tx, rx) = mpsc::channel(4 * self.max);
            tokio::spawn(dispatch(self.lanes, self.max, self.run.clone(), rx));
            tx
        });
        let (reply, answer) = oneshot::channel();
        queue.send((item, reply)).await.ok()?;
        answer.await.ok()
    }
}

async fn dispatch<T: Send + 'static, R: Send + 'static>(
    lanes: usize,
    max: usize,
    run: Run<T, R>,
    mut queue: mpsc::Receiver<(T, oneshot::Sender<R>)>,
) {
    let slots = Arc::new(Semaphore::new(lanes));
    while let Some(first) = queue.recv().await {
        // Wait for a free lane before gathering: what arrives meanwhile joins this batch.
        let Ok(slot) = slots.clone().acquire_owned().await else {
            return;
        };
        let mut batch = vec![first];
        while batch.len() < max {
            match queue.try_recv() {
                Ok(r) => batch.push(r),
                Err(_) => break,
            }
        }
        let run = run.clone();
        tokio::spawn(async move {
            let (items, replies): (Vec<T>, Vec<_>) = batch.into_iter().unzip();
            for (reply, answer) in replies.into_iter().zip(run(items).await) {
                let _ = reply.send(answer);
            }
            drop(slot);
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures::FutureExt;
    use std::sync::Mutex;

    #[tokio::test]
    async fn answers_each_item_and_batches_what_waits() {
        let sizes = Arc::new(Mutex::new(Vec::new()));
        let seen = sizes.clone();
        let b = Arc::new(Batcher::new(1, 8, move |items: Vec<u32>| {
            seen.lock().unwrap().push(items.len());
            async move {
                tokio::time::sleep(std::time::Duration::from_millis(20)).await;
                items.into_iter().map(|i| i * 10).collect()
            }
            .boxed()
        }));
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
            "one lane, 20 waiting: some were batched ({sizes:?})"
        );
    }

    #[tokio::test]
    async fn a_lost_answer_is_none() {
        let b = Batcher::new(1, 8, |_: Vec<u32>| async { Vec::<u32>::new() }.boxed());
        assert_eq!(b.submit(1).await, None);
    }
}
