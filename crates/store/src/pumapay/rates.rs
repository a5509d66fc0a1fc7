//! Exchange rates: the price of one PMA in each fiat currency, as the rate source last set it.
use crate::Result;
use sqlx::{AnyPool, Row};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredRate {
    pub currency: String,
    /// Exact decimal text.
    pub rate: String,
    pub source: String,
    /// Microseconds.
    pub updated_at: i64,
}

pub async fn set<'c, E: sqlx::Executor<'c, Database = sqlx::Any>>(
    conn: E,
    r: &StoredRate,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO exchange_rates (currency, rate, source, updated_at) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (currency) DO UPDATE SET rate = excluded.rate, source = excluded.source, \
         updated_at = excluded.updated_at",
    )
    .bind(&r.currency)
    .bind(&r.rate)
    .bind(&r.source)
    .bind(r.updated_at)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn get(pool: &AnyPool, currency: &str) -> Result<Option<StoredRate>> {
    let row = sqlx::query(
        "SELECT currency, rate, source, updated_at FROM exchange_rates WHERE currency = $1",
    )
    .bind(currency)
    .fetch_optional(pool)
    .await?;
    row.map(|r| {
        Ok(StoredRate {
            currency: r.try_get(0)?,
            rate: r.try_get(1)?,
            source: r.try_get(2)?,
            updated_at: r.try_get(3)?,
        })
    })
    .transpose()
}

pub async fn all(pool: &AnyPool) -> Result<Vec<StoredRate>> {
    let rows = sqlx::query(
        "SELECT currency, rate, source, updated_at FROM exchange_rates ORDER BY currency",
    )
    .fetch_all(pool)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(StoredRate {
                currency: r.try_get(0)?,
                rate: r.try_get(1)?,
                source: r.try_get(2)?,
                updated_at: r.try_get(3)?,
            })
        })
        .collect()
}
