//! Businesses of the pull-payment API: standalone merchants, PSPs and their sub-businesses.
use crate::Result;
use sqlx::{AnyPool, Row};

/// The onboarding flags of business-control (seed 004, "Retrieve Business Status").
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Flags {
    pub details_submitted: bool,
    pub details_approved: bool,
    pub kyc_submitted: bool,
    pub kyc_approved: bool,
    pub kyc_requested: bool,
    pub kyc_rejected: bool,
    pub treasury_submitted: bool,
    pub treasury_approved: bool,
    pub pride_requested: bool,
    pub pride_approved: bool,
    pub is_trusted: bool,
}

/// The business details a business (or its PSP) fills in.
#[derive(Debug, Clone, Default)]
pub struct Details {
    pub business_name: Option<String>,
    pub business_type: Option<i64>,
    pub description: Option<String>,
    pub kyc_tier_id: Option<String>,
    pub country_id: Option<String>,
    pub state: Option<String>,
    pub city: Option<String>,
    pub zip_code: Option<String>,
    pub street_address1: Option<String>,
    pub street_address2: Option<String>,
    pub industry1: Option<i64>,
    pub industry2: Option<i64>,
    pub url: Option<String>,
}

#[derive(Debug, Clone)]
pub struct Business {
    pub id: String,
    pub parent_id: Option<String>,
    pub company_name: String,
    pub details: Details,
    pub treasury_wallet: Option<String>,
    pub gas_wallet: String,
    pub gas_wallet_index: i64,
    pub is_psp: bool,
    pub disabled: bool,
    pub flags: Flags,
    pub status_updated_at: Option<i64>,
    pub created_at: i64,
    pub updated_at: i64,
}

const COLUMNS: &str = "id, parent_id, company_name, business_name, business_type, description, kyc_tier_id, \
    country_id, state, city, zip_code, street_address1, street_address2, industry1, industry2, url, \
    treasury_wallet, gas_wallet, gas_wallet_index, is_psp, disabled, details_submitted, details_approved, \
    kyc_submitted, kyc_approved, kyc_requested, kyc_rejected, treasury_submitted, treasury_approved, \
    pride_requested, pride_approved, is_trusted, status_updated_at, created_at, updated_at";

fn flag(r: &sqlx::any::AnyRow, c: &str) -> Result<bool> {
    Ok(r.try_get::<i64, _>(c)? != 0)
}

fn from_row(r: &sqlx::any::AnyRow) -> Result<Business> {
    Ok(Business {
        id: r.try_get("id")?,
        parent_id: r.try_get("parent_id")?,
        company_name: r.try_get("company_name")?,
        details: Details {
            business_name: r.try_get("business_name")?,
            business_type: r.try_get("business_type")?,
            description: r.try_get("description")?,
            kyc_tier_id: r.try_get("kyc_tier_id")?,
            country_id: r.try_get("country_id")?,
            state: r.try_get("state")?,
            city: r.try_get("city")?,
            zip_code: r.try_get("zip_code")?,
            street_address1: r.try_get("street_address1")?,
            street_address2: r.try_get("street_address2")?,
            industry1: r.try_get("industry1")?,
            industry2: r.try_get("industry2")?,
            url: r.try_get("url")?,
        },
        treasury_wallet: r.try_get("treasury_wallet")?,
        gas_wallet: r.try_get("gas_wallet")?,
        gas_wallet_index: r.try_get("gas_wallet_index")?,
        is_psp: flag(r, "is_psp")?,
        disabled: flag(r, "disabled")?,
        flags: Flags {
            details_submitted: flag(r, "details_submitted")?,
            details_approved: flag(r, "details_approved")?,
            kyc_submitted: flag(r, "kyc_submitted")?,
            kyc_approved: flag(r, "kyc_approved")?,
            kyc_requested: flag(r, "kyc_requested")?,
            kyc_rejected: flag(r, "kyc_rejected")?,
            treasury_submitted: flag(r, "treasury_submitted")?,
            treasury_approved: flag(r, "treasury_approved")?,
            pride_requested: flag(r, "pride_requested")?,
            pride_approved: flag(r, "pride_approved")?,
            is_trusted: flag(r, "is_trusted")?,
        },
        status_updated_at: r.try_get("status_updated_at")?,
        created_at: r.try_get("created_at")?,
        updated_at: r.try_get("updated_at")?,
    })
}

fn b(v: bool) -> i64 {
    v as i64
}

pub async fn insert(conn: &mut crate::Conn, x: &Business) -> Result<()> {
    let d = &x.details;
    let f = &x.flags;
    sqlx::query(&format!(
        "INSERT INTO businesses ({COLUMNS}) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16,\
         $17,$18,$19,$20,$21,$22,$23,$24,$25,$26,$27,$28,$29,$30,$31,$32,$33,$34,$35)"
    ))
    .bind(&x.id)
    .bind(&x.parent_id)
    .bind(&x.company_name)
    .bind(&d.business_name)
    .bind(d.business_type)
    .bind(&d.description)
    .bind(&d.kyc_tier_id)
    .bind(&d.country_id)
    .bind(&d.state)
    .bind(&d.city)
    .bind(&d.zip_code)
    .bind(&d.street_address1)
    .bind(&d.street_address2)
    .bind(d.industry1)
    .bind(d.industry2)
    .bind(&d.url)
    .bind(&x.treasury_wallet)
    .bind(&x.gas_wallet)
    .bind(x.gas_wallet_index)
    .bind(b(x.is_psp))
    .bind(b(x.disabled))
    .bind(b(f.details_submitted))
    .bind(b(f.details_approved))
    .bind(b(f.kyc_submitted))
    .bind(b(f.kyc_approved))
    .bind(b(f.kyc_requested))
    .bind(b(f.kyc_rejected))
    .bind(b(f.treasury_submitted))
    .bind(b(f.treasury_approved))
    .bind(b(f.pride_requested))
    .bind(b(f.pride_approved))
    .bind(b(f.is_trusted))
    .bind(x.status_updated_at)
    .bind(x.created_at)
    .bind(x.updated_at)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn get(pool: &AnyPool, id: &str) -> Result<Option<Business>> {
    let row = sqlx::query(&format!("SELECT {COLUMNS} FROM businesses WHERE id = $1"))
        .bind(id)
        .fetch_optional(pool)
        .await?;
    row.as_ref().map(from_row).transpose()
}

pub async fn get_in(conn: &mut crate::Conn, id: &str) -> Result<Option<Business>> {
    let row = sqlx::query(&format!("SELECT {COLUMNS} FROM businesses WHERE id = $1"))
        .bind(id)
        .fetch_optional(conn)
        .await?;
    row.as_ref().map(from_row).transpose()
}

/// Direct children of a business, oldest first.
pub async fn children(pool: &AnyPool, parent_id: &str) -> Result<Vec<Business>> {
    let rows = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM businesses WHERE parent_id = $1 ORDER BY created_at, id"
    ))
    .bind(parent_id)
    .fetch_all(pool)
    .await?;
    rows.iter().map(from_row).collect()
}

/// Writes the whole mutable state of a business (details, wallets, flags) in one statement.
pub async fn update(conn: &mut crate::Conn, x: &Business) -> Result<()> {
    let d = &x.details;
    let f = &x.flags;
    sqlx::query(
        "UPDATE businesses SET business_name=$1, business_type=$2, description=$3, kyc_tier_id=$4, \
         country_id=$5, state=$6, city=$7, zip_code=$8, street_address1=$9, street_address2=$10, \
         industry1=$11, industry2=$12, url=$13, treasury_wallet=$14, is_psp=$15, disabled=$16, \
         details_submitted=$17, details_approved=$18, kyc_submitted=$19, kyc_approved=$20, \
         kyc_requested=$21, kyc_rejected=$22, treasury_submitted=$23, treasury_approved=$24, \
         pride_requested=$25, pride_approved=$26, is_trusted=$27, status_updated_at=$28, updated_at=$29 \
         WHERE id=$30",
    )
    .bind(&d.business_name)
    .bind(d.business_type)
    .bind(&d.description)
    .bind(&d.kyc_tier_id)
    .bind(&d.country_id)
    .bind(&d.state)
    .bind(&d.city)
    .bind(&d.zip_code)
    .bind(&d.street_address1)
    .bind(&d.street_address2)
    .bind(d.industry1)
    .bind(d.industry2)
    .bind(&d.url)
    .bind(&x.treasury_wallet)
    .bind(b(x.is_psp))
    .bind(b(x.disabled))
    .bind(b(f.details_submitted))
    .bind(b(f.details_approved))
    .bind(b(f.kyc_submitted))
    .bind(b(f.kyc_approved))
    .bind(b(f.kyc_requested))
    .bind(b(f.kyc_rejected))
    .bind(b(f.treasury_submitted))
    .bind(b(f.treasury_approved))
    .bind(b(f.pride_requested))
    .bind(b(f.pride_approved))
    .bind(b(f.is_trusted))
    .bind(x.status_updated_at)
    .bind(x.updated_at)
    .bind(&x.id)
    .execute(conn)
    .await?;
    Ok(())
}

/// Locks a business row for the rest of the transaction (PostgreSQL; SQLite's single writer
/// already serialises) and returns it.
pub async fn lock(conn: &mut crate::Conn, id: &str) -> Result<Option<Business>> {
    let dialect = crate::Dialect::of(conn);
    let row = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM businesses WHERE id = $1{}",
        dialect.for_update()
    ))
    .bind(id)
    .fetch_optional(conn)
    .await?;
    row.as_ref().map(from_row).transpose()
}

/// (business id, gas wallet index) of every business that has a gas wallet.
pub async fn gas_wallets(pool: &sqlx::AnyPool) -> Result<Vec<(String, i64)>> {
    let rows = sqlx::query("SELECT id, gas_wallet_index FROM businesses WHERE gas_wallet <> '' ORDER BY gas_wallet_index")
        .fetch_all(pool)
        .await?;
    rows.iter()
        .map(|r| Ok((r.try_get(0)?, r.try_get(1)?)))
        .collect()
}

/// Enabled businesses with something for an operator to review: KYC submitted or requested and
/// not decided, details submitted and not approved, or a treasury wallet submitted and not
/// approved; the longest-waiting first.
pub async fn awaiting_review(pool: &AnyPool, limit: i64) -> Result<Vec<Business>> {
    let rows = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM businesses WHERE disabled = 0 AND ( \
           ((kyc_submitted = 1 OR kyc_requested = 1) AND kyc_approved = 0 AND kyc_rejected = 0) \
           OR (details_submitted = 1 AND details_approved = 0) \
           OR (treasury_submitted = 1 AND treasury_approved = 0)) \
         ORDER BY updated_at, id LIMIT $1"
    ))
    .bind(limit)
    .fetch_all(pool)
    .await?;
    rows.iter().map(from_row).collect()
}
