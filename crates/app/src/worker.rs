//! The background worker: claims due jobs, runs them through the same use cases as the API,
//! records the outcome. Claim, commit, run, record — no transaction spans a job's I/O.
use crate::{App, AppError};
use futures::FutureExt;
use payplane_store::jobs::{self, Job};
use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Semaphore;
use tokio_util::sync::CancellationToken;

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

/// Runs one job by kind. Each capability adds its job kinds here.
async fn dispatch(app: &App, job: &Job) -> Result<(), AppError> {
    match job.kind.as_str() {
        crate::beneficiaries::INQUIRY_JOB => {
            crate::beneficiaries::run_inquiry(app, &job.payload).await
        }
        crate::settlement::SUBMIT_JOB => crate::settlement::run_submit(app, &job.payload).await,
        crate::settlement::SETTLE_JOB => crate::settlement::run_settle(app, &job.payload).await,
        // The `/pingQueue` probe: proves a worker is alive and claiming.
        "ping" => Ok(()),
        // Test hook: fails every time, to exercise retries and the dead-letter state.
        "always_fail" => Err(AppError::bad_request(
            "error.job.failed",
            "this job always fails",
        )),
        other => Err(AppError::bad_request(
            "error.job.unknown",
            format!("no handler for job kind {other}"),
        )),
    }
}

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

/// Claims and runs one batch of due jobs; returns how many ran. Tests call this to drive
/// workers deterministically.
pub async fn run_due(app: &App, worker_id: &str) -> Result<usize, AppError> {
    let cfg = &app.config.worker;
    let claimed = jobs::claim(
        &app.db,
        worker_id,
        app.now(),
        cfg.lease_secs * 1_000_000,
        cfg.concurrency as i64,
    )
    .await?;
    let n = claimed.len();
    let sem = Arc::new(Semaphore::new(cfg.concurrency));
    let mut tasks = Vec::with_capacity(n);
    for job in claimed {
        let app = app.clone();
        let worker_id = worker_id.to_string();
        let permit = sem.clone().acquire_owned().await;
        tasks.push(tokio::spawn(async move {
            let _permit = permit;
            run_one(&app, &worker_id, job).await;
        }));
    }
    for t in tasks {
        let _ = t.await;
    }
    Ok(n)
}

async fn run_one(app: &App, worker_id: &str, job: Job) {
    let outcome = AssertUnwindSafe(dispatch(app, &job)).catch_unwind().await;
    let now = app.now();
    let result = match outcome {
        Ok(Ok(())) => jobs::complete(&app.db, &job.id, worker_id, now)
            .await
            .map(|_| ()),
        Ok(Err(e)) => {
            tracing::warn!(job = %job.id, kind = %job.kind, attempt = job.attempts, error = %e, "job failed");
            jobs::fail(
                &app.db,
                &job,
                worker_id,
                &e.to_string(),
                now + backoff_micros(job.attempts),
                now,
            )
            .await
        }
        Err(_) => {
            tracing::error!(job = %job.id, kind = %job.kind, "job panicked");
            jobs::fail(
                &app.db,
                &job,
                worker_id,
                "panicked",
                now + backoff_micros(job.attempts),
                now,
            )
            .await
        }
    };
    if let Err(e) = result {
        tracing::error!(job = %job.id, error = %e, "could not record job outcome");
    }
}

/// The worker loop: runs until `shutdown`, then gives back its leases.
pub async fn run(app: App, worker_id: String, shutdown: CancellationToken) {
    let poll = Duration::from_millis(app.config.worker.poll_ms);
    let mut last_purge = 0i64;
    tracing::info!(worker = %worker_id, "worker started");
    while !shutdown.is_cancelled() {
        let notified = app.job_wake.notified();
        match run_due(&app, &worker_id).await {
            Ok(n) if n > 0 => continue,
            Ok(_) => {}
            Err(e) => tracing::error!(error = %e, "claiming jobs failed"),
        }
        let now = app.now();
        if now - last_purge > 3_600_000_000 {
            last_purge = now;
            let _ = jobs::purge_done(&app.db, now - 86_400_000_000).await;
        }
        tokio::select! {
            _ = shutdown.cancelled() => break,
            _ = notified => {}
            _ = tokio::time::sleep(poll) => {}
        }
    }
    match jobs::release(&app.db, &worker_id, app.now()).await {
        Ok(n) => tracing::info!(worker = %worker_id, released = n, "worker stopped"),
        Err(e) => tracing::error!(error = %e, "releasing job leases failed"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_and_is_capped() {
        assert!(backoff_micros(1) >= 1_000_000 && backoff_micros(1) < 1_300_000);
        assert!(backoff_micros(3) >= 4_000_000);
        assert!(backoff_micros(40) <= 3_600_000_000 * 12 / 10);
    }
}
