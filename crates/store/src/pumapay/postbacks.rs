//! Postback URLs of seed 004: webhook endpoints of a business on one network, their links to a
//! business, product or payment model, their parent PSP postback, and the postback-control
//! switches.
use crate::webhooks::Endpoint;
use crate::{Conn, Result};
use sqlx::{Any, Executor, Row};

/// The endpoint mode of a network's postbacks (`net1`, `net3`): endpoints of a business never
/// mix with account webhooks (modes `live`/`test`).
pub fn mode(network_id: i64) -> String {
    format!("net{network_id}")
}

#[derive(Debug, Clone)]
pub struct Postback {
    pub endpoint: Endpoint,
    pub business_id: String,
    pub network_id: i64,
    pub parent_postback_id: Option<String>,
    pub updated_at: i64,
}

const COLUMNS: &str = "e.id, e.owner_id, e.mode, e.url, e.secret, e.previous_secret, e.previous_secret_until, \
    e.headers, e.created_at, p.business_id, p.network_id, p.parent_postback_id, p.updated_at";

fn from_row(r: &sqlx::any::AnyRow) -> Result<Postback> {
    let headers: String = r.try_get("headers")?;
    Ok(Postback {
        endpoint: Endpoint {
            id: r.try_get("id")?,
            owner_id: r.try_get("owner_id")?,
            mode: r.try_get("mode")?,
            url: r.try_get("url")?,
            secret: r.try_get("secret")?,
            previous_secret: r.try_get("previous_secret")?,
            previous_secret_until: r.try_get("previous_secret_until")?,
            headers: serde_json::from_str(&headers).unwrap_or_default(),
            created_at: r.try_get("created_at")?,
        },
        business_id: r.try_get("business_id")?,
        network_id: r.try_get("network_id")?,
        parent_postback_id: r.try_get("parent_postback_id")?,
        updated_at: r.try_get("updated_at")?,
    })
}

fn headers_json(h: &[(String, String)]) -> String {
    serde_json::to_string(h).unwrap_or_else(|_| "[]".into())
}

pub async fn insert(
    conn: &mut Conn,
    e: &Endpoint,
    business_id: &str,
    network_id: i64,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO webhook_endpoints (id, owner_id, mode, url, secret, previous_secret, previous_secret_until, \
         headers, created_at) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9)",
    )
    .bind(&e.id)
    .bind(&e.owner_id)
    .bind(&e.mode)
    .bind(&e.url)
    .bind(&e.secret)
    .bind(&e.previous_secret)
    .bind(e.previous_secret_until)
    .bind(headers_json(&e.headers))
    .bind(e.created_at)
    .execute(&mut *conn)
    .await?;
    sqlx::query(
        "INSERT INTO postbacks (endpoint_id, business_id, network_id, created_at, updated_at) VALUES ($1,$2,$3,$4,$4)",
    )
    .bind(&e.id)
    .bind(business_id)
    .bind(network_id)
    .bind(e.created_at)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// A live postback by id.
pub async fn get<'e, E: Executor<'e, Database = Any>>(ex: E, id: &str) -> Result<Option<Postback>> {
    let row = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM postbacks p JOIN webhook_endpoints e ON e.id = p.endpoint_id \
         WHERE p.endpoint_id = $1 AND e.deleted_at IS NULL"
    ))
    .bind(id)
    .fetch_optional(ex)
    .await?;
    row.as_ref().map(from_row).transpose()
}

/// The live postbacks of a business, oldest first.
pub async fn list<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    business_id: &str,
) -> Result<Vec<Postback>> {
    let rows = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM postbacks p JOIN webhook_endpoints e ON e.id = p.endpoint_id \
         WHERE p.business_id = $1 AND e.deleted_at IS NULL ORDER BY e.created_at, e.id"
    ))
    .bind(business_id)
    .fetch_all(ex)
    .await?;
    rows.iter().map(from_row).collect()
}

pub async fn update(
    conn: &mut Conn,
    id: &str,
    url: &str,
    headers: &[(String, String)],
    network_id: i64,
    now: i64,
) -> Result<()> {
    sqlx::query("UPDATE webhook_endpoints SET url = $1, headers = $2, mode = $3 WHERE id = $4")
        .bind(url)
        .bind(headers_json(headers))
        .bind(mode(network_id))
        .bind(id)
        .execute(&mut *conn)
        .await?;
    sqlx::query("UPDATE postbacks SET network_id = $1, updated_at = $2 WHERE endpoint_id = $3")
        .bind(network_id)
        .bind(now)
        .bind(id)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Soft-deletes a postback: its pending deliveries die, and links and parent references to it go.
pub async fn delete(conn: &mut Conn, id: &str, now: i64) -> Result<()> {
    sqlx::query(
        "UPDATE webhook_endpoints SET deleted_at = $1 WHERE id = $2 AND deleted_at IS NULL",
    )
    .bind(now)
    .bind(id)
    .execute(&mut *conn)
    .await?;
    crate::webhooks::kill_pending(conn, id, "postback deleted", now).await?;
    detach(conn, id, now).await
}

/// Drops a postback's links and its parent references in both directions (on delete, and when
/// it moves to another network, where none of them applies any more).
pub async fn detach(conn: &mut Conn, id: &str, now: i64) -> Result<()> {
    sqlx::query("DELETE FROM postback_links WHERE postback_id = $1")
        .bind(id)
        .execute(&mut *conn)
        .await?;
    sqlx::query(
        "UPDATE postbacks SET parent_postback_id = NULL, updated_at = $1 \
         WHERE parent_postback_id = $2 OR endpoint_id = $2",
    )
    .bind(now)
    .bind(id)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// The signing secrets shared by a business's postbacks (from its newest one, deleted or not, so
/// deleting every postback and adding one later keeps the secret).
pub async fn business_secret(
    conn: &mut Conn,
    business_id: &str,
) -> Result<Option<(String, Option<String>, Option<i64>)>> {
    let row = sqlx::query(
        "SELECT e.secret, e.previous_secret, e.previous_secret_until FROM webhook_endpoints e \
         JOIN postbacks p ON p.endpoint_id = e.id WHERE p.business_id = $1 ORDER BY e.created_at DESC, e.id DESC LIMIT 1",
    )
    .bind(business_id)
    .fetch_optional(&mut *conn)
    .await?;
    row.map(|r| -> Result<_> { Ok((r.try_get(0)?, r.try_get(1)?, r.try_get(2)?)) })
        .transpose()
}

/// Replaces the secret of every postback of a business; the old one keeps signing until `until`.
pub async fn rotate_business_secret(
    conn: &mut Conn,
    business_id: &str,
    secret: &str,
    until: i64,
) -> Result<u64> {
    let done = sqlx::query(
        "UPDATE webhook_endpoints SET previous_secret = secret, previous_secret_until = $1, secret = $2 \
         WHERE id IN (SELECT endpoint_id FROM postbacks WHERE business_id = $3)",
    )
    .bind(until)
    .bind(secret)
    .bind(business_id)
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected())
}

pub async fn set_parent(conn: &mut Conn, id: &str, parent: Option<&str>, now: i64) -> Result<()> {
    sqlx::query(
        "UPDATE postbacks SET parent_postback_id = $1, updated_at = $2 WHERE endpoint_id = $3",
    )
    .bind(parent)
    .bind(now)
    .bind(id)
    .execute(conn)
    .await?;
    Ok(())
}

/// What a postback is linked to: a business, a product or a payment model.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    Business,
    Product,
    PaymentModel,
}

impl Scope {
    pub fn as_str(self) -> &'static str {
        match self {
            Scope::Business => "business",
            Scope::Product => "product",
            Scope::PaymentModel => "payment_model",
        }
    }
}

pub async fn set_link(
    conn: &mut Conn,
    scope: Scope,
    scope_id: &str,
    network_id: i64,
    business_id: &str,
    postback_id: &str,
    now: i64,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO postback_links (scope, scope_id, network_id, business_id, postback_id, updated_at) \
         VALUES ($1,$2,$3,$4,$5,$6) ON CONFLICT (scope, scope_id, network_id) \
         DO UPDATE SET postback_id = excluded.postback_id, updated_at = excluded.updated_at",
    )
    .bind(scope.as_str())
    .bind(scope_id)
    .bind(network_id)
    .bind(business_id)
    .bind(postback_id)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}

/// Removes a link when it points at `postback_id`; returns whether one was removed.
pub async fn remove_link(
    conn: &mut Conn,
    scope: Scope,
    scope_id: &str,
    postback_id: &str,
) -> Result<bool> {
    let done = sqlx::query(
        "DELETE FROM postback_links WHERE scope = $1 AND scope_id = $2 AND postback_id = $3",
    )
    .bind(scope.as_str())
    .bind(scope_id)
    .bind(postback_id)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() > 0)
}

/// The postback linked to a scope on a network.
pub async fn link<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    scope: Scope,
    scope_id: &str,
    network_id: i64,
) -> Result<Option<String>> {
    let row = sqlx::query("SELECT postback_id FROM postback_links WHERE scope = $1 AND scope_id = $2 AND network_id = $3")
        .bind(scope.as_str())
        .bind(scope_id)
        .bind(network_id)
        .fetch_optional(ex)
        .await?;
    Ok(row.map(|r| r.try_get(0)).transpose()?)
}

/// The postback-control switches of a business on a network.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Control {
    pub product: bool,
    pub payment_model: bool,
    pub business: bool,
    pub parent_business: bool,
}

impl Default for Control {
    fn default() -> Self {
        Control {
            product: true,
            payment_model: true,
            business: true,
            parent_business: true,
        }
    }
}

pub async fn control<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    business_id: &str,
    network_id: i64,
) -> Result<Control> {
    let row = sqlx::query(
        "SELECT product, payment_model, business, parent_business FROM postback_controls \
         WHERE business_id = $1 AND network_id = $2",
    )
    .bind(business_id)
    .bind(network_id)
    .fetch_optional(ex)
    .await?;
    let Some(r) = row else {
        return Ok(Control::default());
    };
    Ok(Control {
        product: r.try_get::<i64, _>(0)? != 0,
        payment_model: r.try_get::<i64, _>(1)? != 0,
        business: r.try_get::<i64, _>(2)? != 0,
        parent_business: r.try_get::<i64, _>(3)? != 0,
    })
}

pub async fn set_control(
    conn: &mut Conn,
    business_id: &str,
    network_id: i64,
    c: Control,
    now: i64,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO postback_controls (business_id, network_id, product, payment_model, business, parent_business, updated_at) \
         VALUES ($1,$2,$3,$4,$5,$6,$7) ON CONFLICT (business_id, network_id) DO UPDATE SET \
         product = excluded.product, payment_model = excluded.payment_model, business = excluded.business, \
         parent_business = excluded.parent_business, updated_at = excluded.updated_at",
    )
    .bind(business_id)
    .bind(network_id)
    .bind(c.product as i64)
    .bind(c.payment_model as i64)
    .bind(c.business as i64)
    .bind(c.parent_business as i64)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}
