//! Stored first responses for `Idempotency-Key` requests, per credential.
use crate::{Db, Result};
use sqlx::Row;

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
}

pub async fn begin(
    db: &Db,
    credential: &str,
    key: &str,
    request_hash: &str,
    now: i64,
    ttl_micros: i64,
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
        "SELECT request_hash, status_code, response_headers, response_body, secret_withheld \
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
        None => Ok(Begin::InFlight),
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

pub async fn finish(db: &Db, credential: &str, key: &str, stored: &Stored) -> Result<()> {
    sqlx::query(
        "UPDATE idempotency_keys SET status_code = $1, response_headers = $2, response_body = $3, \
         secret_withheld = $6 WHERE credential = $4 AND idem_key = $5",
    )
    .bind(stored.status as i64)
    .bind(serde_json::to_string(&stored.headers).unwrap_or_else(|_| "[]".into()))
    .bind(stored.body.clone())
    .bind(credential)
    .bind(key)
    .bind(i64::from(stored.withheld))
    .execute(db.writer())
    .await?;
    Ok(())
}

/// Frees the key after a server error, so the client's retry runs again.
pub async fn abandon(db: &Db, credential: &str, key: &str) -> Result<()> {
    sqlx::query("DELETE FROM idempotency_keys WHERE credential = $1 AND idem_key = $2")
        .bind(credential)
        .bind(key)
        .execute(db.writer())
        .await?;
    Ok(())
}
