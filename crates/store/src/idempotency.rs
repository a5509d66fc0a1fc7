//! Stored first responses for `Idempotency-Key` requests, per credential, and the mark a
//! request's effect leaves in its own database transaction ([`mark_effect`]), which tells,
//! for a request that died mid-way, whether running it again is safe.
use crate::engine::sql::{Arg, Script};
use crate::{Conn, Db, Result};
use sqlx::Row;

/// The key a running request holds: whose, which, and when it was claimed (the claim is taken
/// over after a crash by changing `claimed_at`).
#[derive(Debug, Clone)]
pub struct Claim {
    pub credential: String,
    pub key: String,
    pub claimed_at: i64,
}

tokio::task_local! {
    static CLAIM: Claim;
}

/// Runs a request's handler holding `claim`: every write transaction it begins (`Db::begin`)
/// marks the claim's effect.
pub async fn scope<F: std::future::Future>(claim: Claim, f: F) -> F::Output {
    CLAIM.scope(claim, f).await
}

/// The claim of the request this task is running, if it holds one. Work handed to another task
/// (a group commit) takes it along and marks it there (`mark_effect_in`).
pub fn current() -> Option<Claim> {
    CLAIM.try_with(Claim::clone).ok()
}

#[derive(Debug, Clone)]
pub struct Stored {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    /// The response held a secret: nothing of it was kept, and the key cannot be replayed.
    pub withheld: bool,
}

#[derive(Debug)]
pub enum Begin {
    /// This request owns the key: run it, then `finish` or `abandon`.
    Started,
    /// The key finished before with the same request: answer the stored response.
    Replay(Stored),
    /// The key was used with a different request.
    Mismatch,
    /// The first request with this key is still running.
    InFlight,
    /// The first request with this key stopped (its process died) after its effect committed
    /// and before it answered: running it again would do it twice, and its answer is lost.
    Interrupted,
}

/// Claims `key` for a request. A claim older than `abandon_micros` with no answer belongs to a
/// request whose process died: if its effect never committed (no mark), this request takes the
/// claim over and runs; if it did, the answer is `Interrupted`.
pub async fn begin(
    db: &Db,
    credential: &str,
    key: &str,
    request_hash: &str,
    now: i64,
    ttl_micros: i64,
    abandon_micros: i64,
) -> Result<Begin> {
    sqlx::query(
        "DELETE FROM idempotency_keys WHERE credential = $1 AND idem_key = $2 AND created_at < $3",
    )
    .bind(credential)
    .bind(key)
    .bind(now - ttl_micros)
    .execute(db.writer())
    .await?;
    // ON CONFLICT DO NOTHING turns the race between two requests with one key into a clean
    // "someone else has it" instead of a unique-violation error.
    let inserted = sqlx::query(
        "INSERT INTO idempotency_keys (credential, idem_key, request_hash, created_at) VALUES ($1,$2,$3,$4) \
         ON CONFLICT (credential, idem_key) DO NOTHING",
    )
    .bind(credential)
    .bind(key)
    .bind(request_hash)
    .bind(now)
    .execute(db.writer())
    .await?;
    if inserted.rows_affected() == 1 {
        return Ok(Begin::Started);
    }
    let row = sqlx::query(
        "SELECT request_hash, status_code, response_headers, response_body, secret_withheld, \
                created_at, effect_at \
         FROM idempotency_keys \
         WHERE credential = $1 AND idem_key = $2",
    )
    .bind(credential)
    .bind(key)
    .fetch_optional(db.writer())
    .await?;
    let Some(row) = row else {
        return Ok(Begin::InFlight);
    };
    let hash: String = row.try_get(0)?;
    if hash != request_hash {
        return Ok(Begin::Mismatch);
    }
    let status: Option<i64> = row.try_get(1)?;
    match status {
        None => {
            let claimed_at: i64 = row.try_get(5)?;
            let effect_at: Option<i64> = row.try_get(6)?;
            if claimed_at >= now - abandon_micros {
                Ok(Begin::InFlight)
            } else if effect_at.is_some() {
                Ok(Begin::Interrupted)
            } else {
                // Conditional on the claim being the one read, so of two retries one takes it.
                let taken = sqlx::query(
                    "UPDATE idempotency_keys SET created_at = $1 \
                     WHERE credential = $2 AND idem_key = $3 AND created_at = $4 \
                       AND status_code IS NULL AND effect_at IS NULL",
                )
                .bind(now)
                .bind(credential)
                .bind(key)
                .bind(claimed_at)
                .execute(db.writer())
                .await?;
                Ok(if taken.rows_affected() == 1 {
                    Begin::Started
                } else {
                    Begin::InFlight
                })
            }
        }
        Some(status) => {
            let headers: Option<String> = row.try_get(2)?;
            let body: Option<Vec<u8>> = row.try_get(3)?;
            let withheld: i64 = row.try_get(4)?;
            Ok(Begin::Replay(Stored {
                status: status as u16,
                headers: headers
                    .and_then(|h| serde_json::from_str(&h).ok())
                    .unwrap_or_default(),
                body: body.unwrap_or_default(),
                withheld: withheld != 0,
            }))
        }
    }
}

/// Stores the answer of the claim's request (not if a retry took the key over meanwhile).
pub async fn finish(db: &Db, claim: &Claim, stored: &Stored) -> Result<()> {
    sqlx::query(
        "UPDATE idempotency_keys SET status_code = $1, response_headers = $2, response_body = $3, \
         secret_withheld = $6 WHERE credential = $4 AND idem_key = $5 AND created_at = $7",
    )
    .bind(stored.status as i64)
    .bind(serde_json::to_string(&stored.headers).unwrap_or_else(|_| "[]".into()))
    .bind(stored.body.clone())
    .bind(&claim.credential)
    .bind(&claim.key)
    .bind(i64::from(stored.withheld))
    .bind(claim.claimed_at)
    .execute(db.writer())
    .await?;
    Ok(())
}

/// Frees the key after a server error, so the client's retry runs again — unless the request's
/// effect committed, when running it again would do it twice.
pub async fn abandon(db: &Db, claim: &Claim) -> Result<()> {
    sqlx::query(
        "DELETE FROM idempotency_keys \
         WHERE credential = $1 AND idem_key = $2 AND created_at = $3 AND effect_at IS NULL",
    )
    .bind(&claim.credential)
    .bind(&claim.key)
    .bind(claim.claimed_at)
    .execute(db.writer())
    .await?;
    Ok(())
}

const MARK: &str = "UPDATE idempotency_keys SET effect_at = created_at";

/// Marks the claim's effect, in the effect's own transaction (`conn`): it commits with it.
/// `ClaimLost` if a retry took the key over, so the transaction must not go on.
pub async fn mark_effect(conn: &mut Conn, claim: &Claim) -> Result<()> {
    let marked = sqlx::query(&format!(
        "{MARK} WHERE credential = $1 AND idem_key = $2 AND created_at = $3"
    ))
    .bind(&claim.credential)
    .bind(&claim.key)
    .bind(claim.claimed_at)
    .execute(&mut *conn)
    .await?;
    if marked.rows_affected() == 0 {
        return Err(crate::StoreError::ClaimLost);
    }
    Ok(())
}

/// [`mark_effect`] as a statement of a script, for writes assembled in one.
pub fn mark_effect_in<'a>(script: &mut Script<'a>, claim: &'a Claim) {
    let b = script.statement();
    let (c, k, t) = (
        b.push(Arg::Text(&claim.credential)),
        b.push(Arg::Text(&claim.key)),
        b.push(Arg::Int(claim.claimed_at)),
    );
    b.sql = format!("{MARK} WHERE credential = {c} AND idem_key = {k} AND created_at = {t}");
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn db() -> Db {
        let path =
            std::env::temp_dir().join(format!("payplane-idem-{}.db", payplane_core::ids::new_id()));
        let db = Db::connect(&format!("sqlite://{}?mode=rwc", path.display()), 2)
            .await
            .unwrap();
        db.migrate().await.unwrap();
        db
    }

    const TTL: i64 = 86_400_000_000;
    const ABANDON: i64 = 60_000_000;

    async fn claim(db: &Db, key: &str, now: i64) -> Begin {
        begin(db, "cred", key, "hash", now, TTL, ABANDON)
            .await
            .unwrap()
    }

    /// A claim whose request died is taken over when nothing of it committed, and answered
    /// `Interrupted` when its effect did; a live claim stays in flight.
    #[tokio::test]
    async fn an_abandoned_claim_runs_again_only_if_its_effect_did_not_commit() {
        let db = db().await;
        assert!(matches!(claim(&db, "a", 1_000).await, Begin::Started));
        assert!(matches!(claim(&db, "a", 2_000).await, Begin::InFlight));
        // Past the abandon time with no effect: taken over, once.
        let later = 1_000 + ABANDON + 1;
        assert!(matches!(claim(&db, "a", later).await, Begin::Started));
        assert!(matches!(claim(&db, "a", later + 1).await, Begin::InFlight));

        // An effect marked in a transaction that rolls back leaves no mark.
        assert!(matches!(claim(&db, "b", 1_000).await, Begin::Started));
        let c = Claim {
            credential: "cred".into(),
            key: "b".into(),
            claimed_at: 1_000,
        };
        {
            let tx = scope(c.clone(), db.begin()).await.unwrap();
            tx.rollback().await.unwrap();
        }
        assert!(matches!(claim(&db, "b", later).await, Begin::Started));
        // A committed one does, under the claim that took it over: a retry is then refused.
        let c = Claim {
            claimed_at: later,
            ..c
        };
        scope(c, db.begin()).await.unwrap().commit().await.unwrap();
        assert!(matches!(
            claim(&db, "b", later + ABANDON + 1).await,
            Begin::Interrupted
        ));
        // Nor does a server error free it.
        let b = Claim {
            credential: "cred".into(),
            key: "b".into(),
            claimed_at: later,
        };
        abandon(&db, &b).await.unwrap();
        assert!(matches!(
            claim(&db, "b", later + ABANDON + 2).await,
            Begin::Interrupted
        ));
        // A claim taken over (its request was only slow) can begin no transaction.
        let stale = Claim {
            credential: "cred".into(),
            key: "a".into(),
            claimed_at: 1_000,
        };
        assert!(matches!(
            scope(stale, db.begin()).await,
            Err(crate::StoreError::ClaimLost)
        ));
        assert!(matches!(
            claim(&db, "a", later + ABANDON + 2).await,
            Begin::Started
        ));
    }
}
