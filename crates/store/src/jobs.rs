//! The job queue: due work with `run_at`, attempts, a lease and a dead-letter state.
//! Claim, commit, run, record: no database transaction is held open while a job runs.
use crate::{Conn, Db, Result};
use sqlx::Row;

// The stored spellings of `JobStatus`.
pub const QUEUED: &str = JobStatus::Queued.as_str();
pub const RUNNING: &str = JobStatus::Running.as_str();
pub const DONE: &str = JobStatus::Done.as_str();
pub const DEAD: &str = JobStatus::Dead.as_str();
use payplane_core::kinds::JobStatus;

#[derive(Debug, Clone)]
pub struct Job {
    pub id: String,
    pub kind: String,
    pub payload: serde_json::Value,
    pub attempts: i64,
    pub max_attempts: i64,
}

pub async fn enqueue(
    conn: &mut Conn,
    kind: &str,
    payload: &serde_json::Value,
    run_at: i64,
    max_attempts: i64,
    now: i64,
) -> Result<String> {
    let id = payplane_core::ids::new_id();
    sqlx::query(
        "INSERT INTO jobs (id, kind, payload, status, run_at, attempts, max_attempts, created_at, updated_at) \
         VALUES ($1,$2,$3,'queued',$4,0,$5,$6,$6)",
    )
    .bind(&id)
    .bind(kind)
    .bind(payload.to_string())
    .bind(run_at)
    .bind(max_attempts)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(id)
}

/// Claims up to `limit` due jobs for `worker`: queued ones whose time has come, and running ones
/// whose lease expired (their worker died). PostgreSQL skips rows other workers are claiming.
pub async fn claim(
    db: &Db,
    worker: &str,
    now: i64,
    lease_micros: i64,
    limit: i64,
) -> Result<Vec<Job>> {
    let sql = format!(
        "UPDATE jobs SET status = 'running', attempts = attempts + 1, lease_until = $1, locked_by = $2, updated_at = $3 \
         WHERE id IN (SELECT id FROM jobs WHERE (status = 'queued' AND run_at <= $3) \
                      OR (status = 'running' AND lease_until < $3) ORDER BY run_at LIMIT $4{}) \
         RETURNING id, kind, payload, attempts, max_attempts",
        db.dialect.skip_locked()
    );
    let rows = sqlx::query(&sql)
        .bind(now + lease_micros)
        .bind(worker)
        .bind(now)
        .bind(limit)
        .fetch_all(db.writer())
        .await?;
    rows.iter()
        .map(|r| {
            let payload: String = r.try_get(2)?;
            Ok(Job {
                id: r.try_get(0)?,
                kind: r.try_get(1)?,
                payload: serde_json::from_str(&payload).unwrap_or(serde_json::Value::Null),
                attempts: r.try_get(3)?,
                max_attempts: r.try_get(4)?,
            })
        })
        .collect()
}

/// Marks a job done, only if this worker still holds it. Returns false if the lease was lost.
pub async fn complete(db: &Db, id: &str, worker: &str, now: i64) -> Result<bool> {
    let done = sqlx::query(
        "UPDATE jobs SET status = 'done', lease_until = NULL, updated_at = $1 \
         WHERE id = $2 AND locked_by = $3 AND status = 'running'",
    )
    .bind(now)
    .bind(id)
    .bind(worker)
    .execute(db.writer())
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Records a failure: back to the queue at `retry_at`, or dead once attempts are used up.
pub async fn fail(
    db: &Db,
    job: &Job,
    worker: &str,
    error: &str,
    retry_at: i64,
    now: i64,
) -> Result<()> {
    let status = if job.attempts >= job.max_attempts {
        DEAD
    } else {
        QUEUED
    };
    sqlx::query(
        "UPDATE jobs SET status = $1, run_at = $2, last_error = $3, lease_until = NULL, locked_by = NULL, updated_at = $4 \
         WHERE id = $5 AND locked_by = $6 AND status = 'running'",
    )
    .bind(status)
    .bind(retry_at)
    .bind(error)
    .bind(now)
    .bind(&job.id)
    .bind(worker)
    .execute(db.writer())
    .await?;
    Ok(())
}

/// Gives back every job this worker holds (graceful shutdown), so others pick them up at once.
pub async fn release(db: &Db, worker: &str, now: i64) -> Result<u64> {
    let done = sqlx::query(
        "UPDATE jobs SET status = 'queued', attempts = attempts - 1, lease_until = NULL, locked_by = NULL, updated_at = $1 \
         WHERE locked_by = $2 AND status = 'running'",
    )
    .bind(now)
    .bind(worker)
    .execute(db.writer())
    .await?;
    Ok(done.rows_affected())
}

#[derive(Debug, Clone)]
pub struct JobState {
    pub status: String,
    pub attempts: i64,
    pub last_error: Option<String>,
}

pub async fn state(db: &Db, id: &str) -> Result<Option<JobState>> {
    let row = sqlx::query("SELECT status, attempts, last_error FROM jobs WHERE id = $1")
        .bind(id)
        .fetch_optional(&db.read)
        .await?;
    row.map(|r| {
        Ok(JobState {
            status: r.try_get(0)?,
            attempts: r.try_get(1)?,
            last_error: r.try_get(2)?,
        })
    })
    .transpose()
}

/// Jobs per status, for `/metrics`.
pub async fn depth(db: &Db) -> Result<Vec<(String, i64)>> {
    let rows = sqlx::query("SELECT status, COUNT(*) FROM jobs GROUP BY status")
        .fetch_all(&db.read)
        .await?;
    rows.iter()
        .map(|r| Ok((r.try_get(0)?, r.try_get(1)?)))
        .collect()
}

/// Deletes finished jobs older than `before` so the table stays small.
pub async fn purge_done(db: &Db, before: i64) -> Result<u64> {
    let done = sqlx::query("DELETE FROM jobs WHERE status = 'done' AND updated_at < $1")
        .bind(before)
        .execute(db.writer())
        .await?;
    Ok(done.rows_affected())
}

#[derive(Debug, Clone)]
pub struct DeadJob {
    pub id: String,
    pub kind: String,
    pub attempts: i64,
    pub last_error: Option<String>,
    pub updated_at: i64,
}

/// Jobs that used up their attempts, most recent first.
pub async fn dead(db: &Db, limit: i64) -> Result<Vec<DeadJob>> {
    let rows = sqlx::query(
        "SELECT id, kind, attempts, last_error, updated_at FROM jobs WHERE status = $1 \
         ORDER BY updated_at DESC, id LIMIT $2",
    )
    .bind(DEAD)
    .bind(limit)
    .fetch_all(&db.read)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(DeadJob {
                id: r.try_get(0)?,
                kind: r.try_get(1)?,
                attempts: r.try_get(2)?,
                last_error: r.try_get(3)?,
                updated_at: r.try_get(4)?,
            })
        })
        .collect()
}
