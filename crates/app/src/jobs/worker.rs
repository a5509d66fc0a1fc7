//! The background worker: claims due jobs, runs each through the handler its kind registered
//! (`jobs::Registry`), records the outcome. Claim, commit, run, record — no transaction spans a
//! job's I/O.
use super::backoff_micros;
use crate::{App, AppError};
use futures::FutureExt;
use payplane_store::jobs::{self, Job};

use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Semaphore;
use tokio_util::sync::CancellationToken;

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
    let outcome = AssertUnwindSafe(app.jobs.run(app, &job))
        .catch_unwind()
        .await;
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
