use crate::{Db, Result};
use sqlx::Row;

/// (table, column) pairs of the live schema, to prove both migration sets agree.
pub async fn columns(db: &Db) -> Result<Vec<(String, String)>> {
    let rows = sqlx::query(db.dialect.columns_query())
        .fetch_all(&db.read)
        .await?;
    rows.iter()
        .map(|r| Ok((r.try_get(0)?, r.try_get(1)?)))
        .collect()
}
