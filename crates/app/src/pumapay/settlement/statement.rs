//! The settlement statement: the settlement and its line items (each pull's fiat amount, fee,
//! token amount, rate and rate source, hash and block time), as JSON or CSV. The business reads
//! it with its key; the settlement's `documentPath` and its QR code carry a signed link that
//! opens it without one (HMAC with a key derived from `master_key`: a link cannot be made up or
//! pointed at another settlement).
use super::view::SettlementView;
use super::{find, line_fee, not_found, pma, view_in};
use crate::pumapay::access::Caller;
use crate::{App, AppError, sealing};
use payplane_core::timefmt::iso_millis;
use payplane_store::pumapay::settlements::{self as store, Summary};
use serde::Serialize;
use utoipa::ToSchema;

const PURPOSE: &str = "settlement-statement";

/// The path of the signed statement link of settlement `id` (also its `documentPath`).
pub fn public_path(app: &App, id: &str) -> String {
    format!(
        "/api/v2/open-auth/settlement-statement/{id}/{}",
        sealing::link_signature(app, PURPOSE, id)
    )
}

/// One pull of a settlement.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct StatementLine {
    /// The pull's transaction.
    #[serde(rename = "transactionID")]
    pub transaction_id: String,
    #[serde(rename = "paymentID")]
    pub payment_id: String,
    pub reference_no: i64,
    pub tx_hash: Option<String>,
    pub block_number: Option<i64>,
    /// ISO-8601 time of the block.
    pub block_time: Option<String>,
    /// The settlement currency.
    pub currency: String,
    /// The pull's fiat value, minor units.
    pub fiat_amount: i64,
    /// The settlement fee on it, minor units.
    pub fee: i64,
    /// The PMA it moved, in PMA.
    pub token_amount: Option<String>,
    /// The execution rate: the price of one PMA in `currency`, exact.
    pub rate: Option<String>,
    pub rate_source: Option<String>,
    /// ISO-8601 time of the rate.
    pub rate_timestamp: Option<String>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Statement {
    pub settlement: SettlementView,
    pub lines: Vec<StatementLine>,
}

/// The statement of a settlement of `business_id` (or of a sub-business the caller acts for).
pub async fn of_business(
    app: &App,
    caller: &Caller,
    business_id: &str,
    id: &str,
) -> Result<Statement, AppError> {
    let s = find(app, caller, business_id, id).await?;
    build(app, &s).await
}

/// The statement behind a signed link; a wrong signature is a 404, like an unknown settlement.
pub async fn public(app: &App, id: &str, signature: &str) -> Result<Statement, AppError> {
    if !sealing::link_signature_ok(app, PURPOSE, id, signature) {
        return Err(not_found());
    }
    let s = store::get(&app.db.read, id).await?.ok_or_else(not_found)?;
    build(app, &s).await
}

async fn build(app: &App, s: &Summary) -> Result<Statement, AppError> {
    let st = &s.settlement;
    let lines = store::lines(&app.db.read, &st.id).await?;
    let mut conn = app.db.read.acquire().await?;
    let settlement = view_in(&mut conn, app, s).await?;
    Ok(Statement {
        settlement,
        lines: lines
            .iter()
            .map(|t| StatementLine {
                transaction_id: t.id.clone(),
                payment_id: t.pull_payment_id.clone(),
                reference_no: t.reference_no,
                tx_hash: t.tx_hash.clone(),
                block_number: t.block_number,
                block_time: t.execution_date.map(|secs| iso_millis(secs * 1_000_000)),
                currency: t.currency.clone(),
                fiat_amount: t.fiat_amount,
                fee: line_fee(t.fiat_amount, st.fee_bps),
                token_amount: pma(t.token_amount.as_deref()),
                rate: t.rate.clone(),
                rate_source: t.rate_source.clone(),
                rate_timestamp: t.rate_at.map(iso_millis),
            })
            .collect(),
    })
}

/// The lines as CSV (RFC 4180: a header row, CRLF line ends, fields quoted when they hold a
/// comma, quote or line break). Fiat amounts are decimal major units here (`12.90`), for
/// spreadsheets; PMA amounts are decimal PMA.
pub fn csv(s: &Statement) -> String {
    let mut out = String::from(
        "transaction_id,payment_id,reference_no,tx_hash,block_number,block_time,currency,\
         fiat_amount,fee,token_amount_pma,rate,rate_source,rate_time\r\n",
    );
    let money = super::decimal;
    for l in &s.lines {
        let fields = [
            l.transaction_id.clone(),
            l.payment_id.clone(),
            l.reference_no.to_string(),
            l.tx_hash.clone().unwrap_or_default(),
            l.block_number.map(|b| b.to_string()).unwrap_or_default(),
            l.block_time.clone().unwrap_or_default(),
            l.currency.clone(),
            money(l.fiat_amount),
            money(l.fee),
            l.token_amount.clone().unwrap_or_default(),
            l.rate.clone().unwrap_or_default(),
            l.rate_source.clone().unwrap_or_default(),
            l.rate_timestamp.clone().unwrap_or_default(),
        ];
        let row: Vec<String> = fields.iter().map(|f| csv_field(f)).collect();
        out += &row.join(",");
        out += "\r\n";
    }
    out
}

fn csv_field(f: &str) -> String {
    if f.contains([',', '"', '\r', '\n']) {
        format!("\"{}\"", f.replace('"', "\"\""))
    } else {
        f.to_string()
    }
}

/// "Get Settlement QR Code" (P33): a QR code of the settlement's signed statement link.
#[derive(Debug, Clone)]
pub struct SettlementQr {
    pub settlement: SettlementView,
    /// The absolute statement URL the code encodes.
    pub url: String,
    pub png: Vec<u8>,
    /// The payment model, its type and the customer reference, each when every pull shares it.
    pub model_id: Option<String>,
    pub type_id: Option<i64>,
    pub unique_reference_id: Option<String>,
}

impl SettlementQr {
    /// The PNG in base64, as the QR routes answer it.
    pub fn png_base64(&self) -> String {
        use base64::Engine as _;
        base64::engine::general_purpose::STANDARD.encode(&self.png)
    }
}

/// The QR code of a settlement of `business_id` in `currency` (a currency other than the
/// settlement's is a 400 naming both). `base_url` is where this server is reached.
pub async fn qr(
    app: &App,
    caller: &Caller,
    business_id: &str,
    id: &str,
    currency_text: &str,
    base_url: &str,
) -> Result<SettlementQr, AppError> {
    let mut errors = vec![];
    let cur = super::currency("currency", currency_text, &mut errors);
    crate::pumapay::fields::check(errors)?;
    let s = find(app, caller, business_id, id).await?;
    if cur.as_deref() != Some(s.settlement.currency.as_str()) {
        return Err(AppError::field(
            "currency",
            "error.settlement.currency.mismatch",
            format!(
                "currency is {} but settlement {id} is in {}",
                currency_text.trim(),
                s.settlement.currency
            ),
        ));
    }
    let mut conn = app.db.read.acquire().await?;
    let settlement = view_in(&mut conn, app, &s).await?;
    drop(conn);
    let url = format!(
        "{}{}",
        base_url.trim_end_matches('/'),
        settlement.document_path
    );
    let png = crate::pumapay::qr::png(&url)?;
    let lines = store::line_models(&app.db.read, id).await?;
    let shared = |pick: fn(&(String, i64, String)) -> String| {
        let mut values: Vec<String> = lines.iter().map(pick).collect();
        values.sort_unstable();
        values.dedup();
        (values.len() == 1).then(|| values.remove(0))
    };
    let model_id = shared(|l| l.0.clone());
    let type_id = shared(|l| l.1.to_string()).and_then(|t| t.parse().ok());
    let reference = shared(|l| l.2.clone());
    Ok(SettlementQr {
        settlement,
        url,
        png,
        model_id,
        type_id,
        unique_reference_id: reference,
    })
}
