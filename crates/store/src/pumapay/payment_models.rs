//! Payment models (billing models) of products, per network.
use crate::{Result, StoreError};
use payplane_core::kinds::PaymentModelStatus;
use sqlx::{AnyPool, Row};

#[derive(Debug, Clone)]
pub struct PaymentModel {
    pub id: String,
    pub business_id: String,
    pub product_id: String,
    pub network_id: i64,
    pub type_id: i64,
    pub status: PaymentModelStatus,
    pub title: Option<String>,
    pub internal_title: Option<String>,
    pub description: Option<String>,
    pub amount: Option<i64>,
    pub initial_payment_amount: i64,
    pub trial_period: i64,
    pub currency: Option<String>,
    pub number_of_payments: Option<i64>,
    pub frequency: Option<i64>,
    pub treasury_wallet: String,
    pub destination: String,
    pub top_up_threshold: Option<i64>,
    pub top_up_threshold_currency: Option<String>,
    pub top_up_suggested_total_limit: Option<i64>,
    pub created_at: i64,
    pub updated_at: i64,
    pub deleted_at: Option<i64>,
}

const COLUMNS: &str = "id, business_id, product_id, network_id, type_id, status, title, internal_title, description, \
    amount, initial_payment_amount, trial_period, currency, number_of_payments, frequency, treasury_wallet, destination, \
    top_up_threshold, top_up_threshold_currency, top_up_suggested_total_limit, created_at, updated_at, deleted_at";

fn from_row(r: &sqlx::any::AnyRow) -> Result<PaymentModel> {
    Ok(PaymentModel {
        id: r.try_get("id")?,
        business_id: r.try_get("business_id")?,
        product_id: r.try_get("product_id")?,
        network_id: r.try_get("network_id")?,
        type_id: r.try_get("type_id")?,
        status: r
            .try_get::<String, _>("status")?
            .parse()
            .map_err(|e: payplane_core::kinds::UnknownKind| StoreError::Corrupt(e.to_string()))?,
        title: r.try_get("title")?,
        internal_title: r.try_get("internal_title")?,
        description: r.try_get("description")?,
        amount: r.try_get("amount")?,
        initial_payment_amount: r.try_get("initial_payment_amount")?,
        trial_period: r.try_get("trial_period")?,
        currency: r.try_get("currency")?,
        number_of_payments: r.try_get("number_of_payments")?,
        frequency: r.try_get("frequency")?,
        treasury_wallet: r.try_get("treasury_wallet")?,
        destination: r.try_get("destination")?,
        top_up_threshold: r.try_get("top_up_threshold")?,
        top_up_threshold_currency: r.try_get("top_up_threshold_currency")?,
        top_up_suggested_total_limit: r.try_get("top_up_suggested_total_limit")?,
        created_at: r.try_get("created_at")?,
        updated_at: r.try_get("updated_at")?,
        deleted_at: r.try_get("deleted_at")?,
    })
}

pub async fn insert(conn: &mut crate::Conn, m: &PaymentModel) -> Result<()> {
    sqlx::query(&format!(
        "INSERT INTO payment_models ({COLUMNS}) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16,$17,$18,$19,$20,$21,$22,$23)"
    ))
    .bind(&m.id)
    .bind(&m.business_id)
    .bind(&m.product_id)
    .bind(m.network_id)
    .bind(m.type_id)
    .bind(m.status.as_str())
    .bind(&m.title)
    .bind(&m.internal_title)
    .bind(&m.description)
    .bind(m.amount)
    .bind(m.initial_payment_amount)
    .bind(m.trial_period)
    .bind(&m.currency)
    .bind(m.number_of_payments)
    .bind(m.frequency)
    .bind(&m.treasury_wallet)
    .bind(&m.destination)
    .bind(m.top_up_threshold)
    .bind(&m.top_up_threshold_currency)
    .bind(m.top_up_suggested_total_limit)
    .bind(m.created_at)
    .bind(m.updated_at)
    .bind(m.deleted_at)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn get(pool: &AnyPool, id: &str) -> Result<Option<PaymentModel>> {
    let row = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM payment_models WHERE id = $1"
    ))
    .bind(id)
    .fetch_optional(pool)
    .await?;
    row.as_ref().map(from_row).transpose()
}

/// A model's destination (`Treasury` or `Kemix`), read in the caller's transaction.
pub async fn destination(conn: &mut crate::Conn, id: &str) -> Result<Option<String>> {
    let row = sqlx::query("SELECT destination FROM payment_models WHERE id = $1")
        .bind(id)
        .fetch_optional(conn)
        .await?;
    Ok(row.map(|r| r.try_get(0)).transpose()?)
}

/// Moves a model to `status` only from one of `from` (so two operators cannot both move it);
/// false when it was in another status or does not exist.
pub async fn set_status(
    conn: &mut crate::Conn,
    id: &str,
    status: PaymentModelStatus,
    from: &[PaymentModelStatus],
    now: i64,
) -> Result<bool> {
    let placeholders: Vec<String> = (0..from.len()).map(|i| format!("${}", i + 4)).collect();
    let sql = format!(
        "UPDATE payment_models SET status = $1, updated_at = $2 WHERE id = $3 AND status IN ({})",
        placeholders.join(",")
    );
    let mut q = sqlx::query(&sql).bind(status.as_str()).bind(now).bind(id);
    for f in from {
        q = q.bind(f.as_str());
    }
    Ok(q.execute(conn).await?.rows_affected() == 1)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Order {
    Date,
    Amount,
    Title,
}

#[derive(Debug, Clone)]
pub struct Filter {
    pub business_id: String,
    pub network_id: i64,
    pub product_id: String,
    pub type_id: Option<i64>,
    pub status: Option<PaymentModelStatus>,
    pub currency: Option<String>,
    pub order: Order,
    pub ascending: bool,
    pub limit: i64,
    pub offset: i64,
}

pub async fn list(pool: &AnyPool, f: &Filter) -> Result<Vec<PaymentModel>> {
    let mut sql = format!(
        "SELECT {COLUMNS} FROM payment_models WHERE business_id = $1 AND network_id = $2 AND product_id = $3"
    );
    let mut n = 4;
    if f.type_id.is_some() {
        sql += &format!(" AND type_id = ${n}");
        n += 1;
    }
    if f.status.is_some() {
        sql += &format!(" AND status = ${n}");
        n += 1;
    }
    if f.currency.is_some() {
        sql += &format!(" AND currency = ${n}");
        n += 1;
    }
    let key = match f.order {
        Order::Date => "created_at",
        Order::Amount => "COALESCE(amount, 0)",
        Order::Title => "LOWER(COALESCE(title, internal_title, ''))",
    };
    let dir = if f.ascending { "ASC" } else { "DESC" };
    sql += &format!(
        " ORDER BY {key} {dir}, id {dir} LIMIT ${n} OFFSET ${}",
        n + 1
    );
    let mut q = sqlx::query(&sql)
        .bind(&f.business_id)
        .bind(f.network_id)
        .bind(&f.product_id);
    if let Some(t) = f.type_id {
        q = q.bind(t);
    }
    if let Some(s) = f.status {
        q = q.bind(s.as_str());
    }
    if let Some(c) = &f.currency {
        q = q.bind(c.clone());
    }
    let rows = q.bind(f.limit).bind(f.offset).fetch_all(pool).await?;
    rows.iter().map(from_row).collect()
}

/// Payment models waiting for an operator's review (status PND, not deleted), oldest first.
pub async fn awaiting_review(pool: &AnyPool, limit: i64) -> Result<Vec<PaymentModel>> {
    let rows = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM payment_models WHERE status = $1 AND deleted_at IS NULL \
         ORDER BY created_at, id LIMIT $2"
    ))
    .bind(PaymentModelStatus::Pending.as_str())
    .bind(limit)
    .fetch_all(pool)
    .await?;
    rows.iter().map(from_row).collect()
}
