//! FX between your own accounts: quote, then convert before the quote expires.
use crate::error::ApiError;
use crate::extract::{Auth, Body, PathParams};
use axum::Json;
use axum::extract::State;
use payplane_app::pazemo::fx::{self, NewQuote};
use payplane_app::{App, pazemo::amounts};
use payplane_core::timefmt::iso_millis;
use payplane_store::pazemo::quotes::Quote;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct QuoteView {
    id: String,
    source_account_id: String,
    target_account_id: String,
    source_currency: String,
    target_currency: String,
    /// Target units per source unit (exact decimal).
    #[schema(value_type = f64)]
    rate: Value,
    /// Debited from the source account, fee included.
    #[schema(value_type = f64)]
    source_amount: Value,
    /// Credited to the target account.
    #[schema(value_type = f64)]
    target_amount: Value,
    /// Conversion fee, in the source currency.
    #[schema(value_type = f64)]
    fee: Value,
    /// open or converted.
    status: String,
    created_time: String,
    expiry_time: String,
    /// Ledger transaction of the conversion, once converted.
    transaction_id: Option<i64>,
}

fn view(q: Quote) -> QuoteView {
    QuoteView {
        rate: q
            .rate
            .parse::<serde_json::Number>()
            .map(Value::Number)
            .unwrap_or(Value::Null),
        source_amount: amounts::json(q.source_amount, 2),
        target_amount: amounts::json(q.target_amount, 2),
        fee: amounts::json(q.fee_amount, 2),
        id: q.id,
        source_account_id: q.source_account_id,
        target_account_id: q.target_account_id,
        source_currency: q.source_currency,
        target_currency: q.target_currency,
        status: q.status,
        created_time: iso_millis(q.created_at),
        expiry_time: iso_millis(q.expires_at),
        transaction_id: q.transaction_id,
    }
}

#[derive(Deserialize, ToSchema, Default)]
#[serde(rename_all = "camelCase")]
pub struct CreateQuote {
    #[schema(required = true, nullable = false, pattern = "\\S")]
    source_account_id: Option<String>,
    #[schema(required = true, nullable = false, pattern = "\\S")]
    target_account_id: Option<String>,
    /// Exactly one of sourceAmount and targetAmount.
    #[schema(value_type = Option<f64>, format = "amount")]
    source_amount: Option<Value>,
    #[schema(value_type = Option<f64>, format = "amount")]
    target_amount: Option<Value>,
}

/// Price a conversion between two of your accounts.
#[utoipa::path(post, path = "/quotes", tag = "FX", security(("bearer" = [])), request_body = CreateQuote,
    responses((status = 200, body = QuoteView), (status = 400, description = "Invalid, error.route.not.supported, or an amount above `[limits.max_amount]` of its currency (error.amount.above.maximum)"), (status = 404, description = "No such account")))]
pub async fn create_quote(
    State(app): State<App>,
    Auth(p): Auth,
    Body(req): Body<CreateQuote>,
) -> Result<Json<QuoteView>, ApiError> {
    let q = fx::quote(
        &app,
        &p,
        NewQuote {
            source_account_id: req.source_account_id,
            target_account_id: req.target_account_id,
            source_amount: req.source_amount,
            target_amount: req.target_amount,
        },
    )
    .await?;
    Ok(Json(view(q)))
}

/// One of your quotes.
#[utoipa::path(get, path = "/quotes/{id}", tag = "FX", security(("bearer" = [])),
    params(("id" = String, Path, description = "Quote id")),
    responses((status = 200, body = QuoteView), (status = 404, description = "No such quote")))]
pub async fn get_quote(
    State(app): State<App>,
    Auth(p): Auth,
    PathParams(id): PathParams<String>,
) -> Result<Json<QuoteView>, ApiError> {
    Ok(Json(view(fx::get(&app, &p, &id).await?)))
}

/// Convert at the quoted terms (until the quote expires).
#[utoipa::path(post, path = "/quotes/{id}/convert", tag = "FX", security(("bearer" = [])),
    params(("id" = String, Path, description = "Quote id")),
    responses((status = 200, body = QuoteView), (status = 402, description = "Source balance too small"),
        (status = 409, description = "error.quote.expired or error.quote.already.converted")))]
pub async fn convert_quote(
    State(app): State<App>,
    Auth(p): Auth,
    PathParams(id): PathParams<String>,
) -> Result<Json<QuoteView>, ApiError> {
    Ok(Json(view(fx::convert(&app, &p, &id).await?)))
}
