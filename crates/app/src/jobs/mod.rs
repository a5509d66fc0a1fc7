//! The job queue: due work in the `jobs` table, enqueued in the caller's transaction, claimed
//! and run by `worker`. Each capability registers the kinds it handles (`Registry`), so this
//! module and the worker import no capability.
pub mod worker;

use crate::{App, AppError};
use futures::future::BoxFuture;
use payplane_store::jobs::{self, Job};
use std::collections::HashMap;

/// Enqueues a job in the caller's transaction. The job becomes visible when it commits; call
/// `wake` after the commit so this process's workers start at once.
pub async fn enqueue(
    app: &App,
    conn: &mut payplane_store::Conn,
    kind: &str,
    payload: &serde_json::Value,
    run_at: i64,
) -> Result<String, AppError> {
    Ok(jobs::enqueue(
        conn,
        kind,
        payload,
        run_at,
        app.config.worker.max_attempts,
        app.now(),
    )
    .await?)
}

pub fn wake(app: &App) {
    app.job_wake.notify_waiters();
}

/// Runs a job's payload: a capability's use case, as `fn` so a table of them can be `const`.
pub type Handler =
    for<'a> fn(&'a App, &'a serde_json::Value) -> BoxFuture<'a, Result<(), AppError>>;

/// Job kind → handler. Filled once when the `App` is built (`crate::job_kinds`).
pub struct Registry {
    handlers: HashMap<&'static str, Handler>,
}

impl Registry {
    pub fn new(tables: &[&[(&'static str, Handler)]]) -> Registry {
        let mut handlers = HashMap::new();
        for (kind, handler) in tables.iter().flat_map(|t| t.iter()) {
            let previous = handlers.insert(*kind, *handler);
            assert!(previous.is_none(), "job kind {kind} registered twice");
        }
        Registry { handlers }
    }

    pub(crate) async fn run(&self, app: &App, job: &Job) -> Result<(), AppError> {
        match self.handlers.get(job.kind.as_str()) {
            Some(handler) => handler(app, &job.payload).await,
            None => Err(AppError::bad_request(
                "error.job.unknown",
                format!("no handler for job kind {}", job.kind),
            )),
        }
    }
}

/// The platform's own kinds: the `/pingQueue` probe (proves a worker is alive and claiming) and
/// a test hook that fails every time, to exercise retries and the dead-letter state.
pub const PLATFORM_JOBS: &[(&str, Handler)] = &[
    ("ping", |_, _| Box::pin(async { Ok(()) })),
    ("always_fail", |_, _| {
        Box::pin(async {
            Err(AppError::bad_request(
                "error.job.failed",
                "this job always fails",
            ))
        })
    }),
];

/// Backoff before retry `attempt` (1-based): 1 s, 2 s, 4 s … capped at one hour, with up to
/// 20 % jitter so a burst of failures does not retry in lockstep.
pub fn backoff_micros(attempt: i64) -> i64 {
    let base = 1_000_000i64 << attempt.clamp(1, 12).saturating_sub(1);
    let base = base.min(3_600_000_000);
    let jitter = (rand_fraction() * 0.2 * base as f64) as i64;
    base + jitter
}

fn rand_fraction() -> f64 {
    use std::time::{SystemTime, UNIX_EPOCH};
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    (nanos % 1000) as f64 / 1000.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_capability_registers_its_kinds_once() {
        let registry = crate::job_kinds();
        for kind in [
            "ping",
            "always_fail",
            "beneficiary.inquiry",
            "withdrawal.submit",
            "withdrawal.settle",
        ] {
            assert!(
                registry.handlers.contains_key(kind),
                "{kind} has no handler"
            );
        }
    }

    #[test]
    #[should_panic(expected = "job kind ping registered twice")]
    fn a_kind_registered_twice_is_refused() {
        Registry::new(&[PLATFORM_JOBS, PLATFORM_JOBS]);
    }

    #[test]
    fn backoff_grows_and_is_capped() {
        assert!(backoff_micros(1) >= 1_000_000 && backoff_micros(1) < 1_300_000);
        assert!(backoff_micros(3) >= 4_000_000);
        assert!(backoff_micros(40) <= 3_600_000_000 * 12 / 10);
    }
}
