//! Products of a business, their images, and statistics aggregated from pull payments.
use crate::{Result, StoreError};
use sqlx::{AnyPool, Row};

#[derive(Debug, Clone)]
pub struct Product {
    pub id: String,
    pub business_id: String,
    pub category_id: i64,
    pub tags: Vec<serde_json::Value>,
    pub name: String,
    pub description: String,
    pub url: String,
    pub image_id: Option<String>,
    pub verified: bool,
    pub enabled: bool,
    pub created_at: i64,
    pub updated_at: i64,
}

const COLUMNS: &str = "p.id, p.business_id, p.category_id, p.tags, p.name, p.description, p.url, p.image_id, p.verified, p.enabled, p.created_at, p.updated_at";

fn from_row(r: &sqlx::any::AnyRow) -> Result<Product> {
    let tags: String = r.try_get("tags")?;
    Ok(Product {
        id: r.try_get("id")?,
        business_id: r.try_get("business_id")?,
        category_id: r.try_get("category_id")?,
        tags: serde_json::from_str(&tags).map_err(|e| StoreError::Corrupt(e.to_string()))?,
        name: r.try_get("name")?,
        description: r.try_get("description")?,
        url: r.try_get("url")?,
        image_id: r.try_get("image_id")?,
        verified: r.try_get::<i64, _>("verified")? != 0,
        enabled: r.try_get::<i64, _>("enabled")? != 0,
        created_at: r.try_get("created_at")?,
        updated_at: r.try_get("updated_at")?,
    })
}

pub async fn insert(conn: &mut crate::Conn, p: &Product) -> Result<()> {
    sqlx::query(
        "INSERT INTO products (id, business_id, category_id, tags, name, description, url, image_id, verified, enabled, created_at, updated_at) \
         VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12)",
    )
    .bind(&p.id)
    .bind(&p.business_id)
    .bind(p.category_id)
    .bind(serde_json::Value::from(p.tags.clone()).to_string())
    .bind(&p.name)
    .bind(&p.description)
    .bind(&p.url)
    .bind(&p.image_id)
    .bind(p.verified as i64)
    .bind(p.enabled as i64)
    .bind(p.created_at)
    .bind(p.updated_at)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn update(conn: &mut crate::Conn, p: &Product) -> Result<()> {
    sqlx::query(
        "UPDATE products SET category_id=$1, tags=$2, name=$3, description=$4, url=$5, image_id=$6, enabled=$7, updated_at=$8 WHERE id=$9",
    )
    .bind(p.category_id)
    .bind(serde_json::Value::from(p.tags.clone()).to_string())
    .bind(&p.name)
    .bind(&p.description)
    .bind(&p.url)
    .bind(&p.image_id)
    .bind(p.enabled as i64)
    .bind(p.updated_at)
    .bind(&p.id)
    .execute(conn)
    .await?;
    Ok(())
}

/// A product of a business (`None` when it does not exist or belongs to another business).
pub async fn get(pool: &AnyPool, business_id: &str, id: &str) -> Result<Option<Product>> {
    let row = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM products p WHERE p.id = $1 AND p.business_id = $2"
    ))
    .bind(id)
    .bind(business_id)
    .fetch_optional(pool)
    .await?;
    row.as_ref().map(from_row).transpose()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Order {
    Date,
    Price,
    Name,
}

#[derive(Debug, Clone)]
pub struct Filter {
    pub business_id: String,
    pub network_id: i64,
    pub category_id: Option<i64>,
    pub currency: Option<String>,
    pub verified: Option<bool>,
    pub order: Order,
    pub ascending: bool,
    pub limit: i64,
    pub offset: i64,
}

pub async fn list(pool: &AnyPool, f: &Filter) -> Result<Vec<Product>> {
    let mut sql = format!("SELECT {COLUMNS} FROM products p WHERE p.business_id = $1");
    let mut n = 2;
    let mut cat = None;
    let mut ver = None;
    let mut cur = None;
    if let Some(c) = f.category_id {
        sql += &format!(" AND p.category_id = ${n}");
        n += 1;
        cat = Some(c);
    }
    if let Some(v) = f.verified {
        sql += &format!(" AND p.verified = ${n}");
        n += 1;
        ver = Some(v as i64);
    }
    // The network is bound only where a clause uses it: PostgreSQL cannot type an unused parameter.
    let uses_net = f.currency.is_some() || f.order == Order::Price;
    let net = n;
    if uses_net {
        n += 1;
    }
    if let Some(c) = &f.currency {
        sql += &format!(
            " AND EXISTS (SELECT 1 FROM payment_models m WHERE m.product_id = p.id AND m.network_id = ${net} AND m.currency = ${n})"
        );
        n += 1;
        cur = Some(c.clone());
    }
    let key = match f.order {
        Order::Date => "p.created_at".to_string(),
        Order::Name => "LOWER(p.name)".to_string(),
        Order::Price => format!(
            "(SELECT CAST(COALESCE(MIN(m.amount), 0) AS BIGINT) FROM payment_models m WHERE m.product_id = p.id AND m.network_id = ${net})"
        ),
    };
    let dir = if f.ascending { "ASC" } else { "DESC" };
    sql += &format!(
        " ORDER BY {key} {dir}, p.id {dir} LIMIT ${} OFFSET ${}",
        n,
        n + 1
    );
    let mut q = sqlx::query(&sql).bind(&f.business_id);
    if let Some(c) = cat {
        q = q.bind(c);
    }
    if let Some(v) = ver {
        q = q.bind(v);
    }
    if uses_net {
        q = q.bind(f.network_id);
    }
    if let Some(c) = cur {
        q = q.bind(c);
    }
    let rows = q.bind(f.limit).bind(f.offset).fetch_all(pool).await?;
    rows.iter().map(from_row).collect()
}

/// What a product has earned and how many customers it has on one network.
#[derive(Debug, Clone, Default)]
pub struct Stats {
    /// Successful pull-payment transaction amounts per currency, cents.
    pub earnings: Vec<(String, i64)>,
    /// Distinct customers with a running or processing pull payment.
    pub active_customers: i64,
    /// Payment models of the product on the network.
    pub payment_models: i64,
}

/// Transaction status "success" of seed 004.
const TX_SUCCESS: i64 = 3;
/// Pull-payment statuses "running" and "processing".
const PP_RUNNING: i64 = 2;
const PP_PROCESSING: i64 = 6;

pub async fn stats(pool: &AnyPool, product_id: &str, network_id: i64) -> Result<Stats> {
    let rows = sqlx::query(
        "SELECT currency, CAST(COALESCE(SUM(fiat_amount),0) AS BIGINT) FROM transactions \
         WHERE product_id = $1 AND network_id = $2 AND status = $3 GROUP BY currency",
    )
    .bind(product_id)
    .bind(network_id)
    .bind(TX_SUCCESS)
    .fetch_all(pool)
    .await?;
    let earnings = rows
        .iter()
        .map(|r| Ok((r.try_get(0)?, r.try_get(1)?)))
        .collect::<Result<Vec<_>>>()?;
    let r = sqlx::query(
        "SELECT (SELECT COUNT(DISTINCT customer_address) FROM pull_payments \
                 WHERE product_id = $1 AND network_id = $2 AND status IN ($3, $4)), \
                (SELECT COUNT(*) FROM payment_models WHERE product_id = $1 AND network_id = $2)",
    )
    .bind(product_id)
    .bind(network_id)
    .bind(PP_RUNNING)
    .bind(PP_PROCESSING)
    .fetch_one(pool)
    .await?;
    Ok(Stats {
        earnings,
        active_customers: r.try_get(0)?,
        payment_models: r.try_get(1)?,
    })
}

pub async fn insert_image(
    conn: &mut crate::Conn,
    id: &str,
    business_id: &str,
    content_type: &str,
    bytes: &[u8],
    now: i64,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO product_images (id, business_id, content_type, bytes, created_at) VALUES ($1,$2,$3,$4,$5)",
    )
    .bind(id)
    .bind(business_id)
    .bind(content_type)
    .bind(bytes.to_vec())
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}

/// An image's content type and bytes.
pub async fn image(pool: &AnyPool, id: &str) -> Result<Option<(String, Vec<u8>)>> {
    let row = sqlx::query("SELECT content_type, bytes FROM product_images WHERE id = $1")
        .bind(id)
        .fetch_optional(pool)
        .await?;
    row.map(|r| Ok((r.try_get(0)?, r.try_get(1)?))).transpose()
}

/// Operator verification of a product; false when no such product exists.
pub async fn set_verified(
    conn: &mut crate::Conn,
    id: &str,
    verified: bool,
    now: i64,
) -> Result<bool> {
    let done = sqlx::query("UPDATE products SET verified = $1, updated_at = $2 WHERE id = $3")
        .bind(verified as i64)
        .bind(now)
        .bind(id)
        .execute(conn)
        .await?;
    Ok(done.rows_affected() == 1)
}
