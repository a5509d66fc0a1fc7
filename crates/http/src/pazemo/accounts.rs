//! Multi-currency accounts (Z3–Z5), their ledger history, and money in: sandbox deposits and
//! operator credits.
use super::common::{PageQuery, path_user};
use crate::error::ApiError;
use crate::extract::{Admin, Auth, Body, ClientIp, PathParams, QueryParams};
use crate::next_link;
use axum::Json;
use axum::extract::OriginalUri;
use axum::extract::State;
use axum::http::HeaderMap;
use payplane_app::pazemo::accounts::{self, NewAccount};
use payplane_app::{App, pazemo::amounts};
use payplane_core::timefmt::iso_millis;
use payplane_store::keyset::Key;
use payplane_store::pazemo::accounts::{Account, AccountTxn};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AccountView {
    id: String,
    created_time: String,
    updated_time: String,
    user_id: String,
    currency_id: String,
    number: String,
    /// Ledger balance including held funds (major units, exact).
    #[schema(value_type = f64, example = 948775.42)]
    balance: Value,
    /// Funds held by open withdrawals with their fees, as a non-positive number.
    /// Available = balance + locked.
    #[schema(value_type = f64, example = -84311)]
    locked: Value,
}

pub fn view(a: Account) -> AccountView {
    AccountView {
        balance: amounts::json(a.available + a.held, 2),
        locked: amounts::json(-a.held, 2),
        id: a.id,
        created_time: iso_millis(a.created_at),
        updated_time: iso_millis(a.updated_at),
        user_id: a.user_id,
        currency_id: a.currency,
        number: a.number,
    }
}

#[derive(Deserialize, ToSchema, Default)]
#[serde(rename_all = "camelCase")]
pub struct CreateAccount {
    /// IDR, USD, SGD, MYR or EUR.
    #[schema(
        required = true,
        nullable = false,
        pattern = "^(IDR|USD|SGD|MYR|EUR|idr|usd|sgd|myr|eur)$"
    )]
    currency_id: Option<String>,
    /// Optional 11–12 digit number; assigned by the server when absent.
    #[schema(pattern = "^([0-9]{11,12})?$")]
    number: Option<String>,
}

/// Create an account in one currency (one per currency and mode).
#[utoipa::path(post, path = "/users/{userId}/accounts", tag = "Accounts", security(("bearer" = [])),
    params(("userId" = String, Path, description = "Your user id, or `me`")), request_body = CreateAccount,
    responses((status = 200, body = AccountView), (status = 400, description = "Unknown currency or bad number"),
        (status = 403, description = "Another user's id"), (status = 409, description = "Currency or number taken")))]
pub async fn create_account(
    State(app): State<App>,
    Auth(p): Auth,
    PathParams(user_id): PathParams<String>,
    Body(req): Body<CreateAccount>,
) -> Result<Json<AccountView>, ApiError> {
    if path_user(&p, &user_id)? != p.user_id {
        return Err(payplane_app::AppError::forbidden(
            "error.user.forbidden",
            "Accounts are opened by their owner",
        )
        .into());
    }
    let a = accounts::create(
        &app,
        &p,
        NewAccount {
            currency: req.currency_id,
            number: req.number,
        },
    )
    .await?;
    Ok(Json(view(a)))
}

/// List your accounts in the token's mode.
#[utoipa::path(get, path = "/users/{userId}/accounts", tag = "Accounts", security(("bearer" = [])),
    params(("userId" = String, Path, description = "Your user id, or `me`")),
    responses((status = 200, body = [AccountView]), (status = 403, description = "Another user's id")))]
pub async fn list_accounts(
    State(app): State<App>,
    Auth(p): Auth,
    PathParams(user_id): PathParams<String>,
) -> Result<Json<Vec<AccountView>>, ApiError> {
    let user = path_user(&p, &user_id)?;
    let list = accounts::list(&app, &p, &user).await?;
    Ok(Json(list.into_iter().map(view).collect()))
}

/// One of your accounts.
#[utoipa::path(get, path = "/users/{userId}/accounts/{id}", tag = "Accounts", security(("bearer" = [])),
    params(("userId" = String, Path, description = "Your user id, or `me`"), ("id" = String, Path, description = "Account id")),
    responses((status = 200, body = AccountView), (status = 404, description = "No such account of yours in this mode")))]
pub async fn get_account(
    State(app): State<App>,
    Auth(p): Auth,
    PathParams((user_id, id)): PathParams<(String, String)>,
) -> Result<Json<AccountView>, ApiError> {
    let user = path_user(&p, &user_id)?;
    Ok(Json(view(accounts::get(&app, &p, &user, &id).await?)))
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TransactionView {
    /// Ledger transaction id (a withdrawal's `transactionId` is its hold).
    id: i64,
    /// deposit, credit, hold, release, payout, fee, conversion or settlement.
    #[serde(rename = "type")]
    kind: String,
    /// Withdrawal id, quote id, or the deposit's reference.
    reference: String,
    created_time: String,
    /// Change of `balance`.
    #[schema(value_type = f64)]
    amount: Value,
    /// Change of `locked`.
    #[schema(value_type = f64)]
    locked_change: Value,
    /// Change of the available amount (balance + locked).
    #[schema(value_type = f64)]
    available_change: Value,
}

fn txn_view(t: AccountTxn) -> TransactionView {
    TransactionView {
        id: t.txn_id,
        kind: t.kind,
        reference: t.reference,
        created_time: iso_millis(t.created_at),
        amount: amounts::json(t.available_change + t.held_change, 2),
        locked_change: amounts::json(-t.held_change, 2),
        available_change: amounts::json(t.available_change, 2),
    }
}

/// Ledger history of an account, newest first. A full page has a `Link: <…>; rel="next"` header
/// whose `cursor` reads the next one.
#[utoipa::path(get, path = "/users/{userId}/accounts/{id}/transactions", tag = "Accounts", security(("bearer" = [])),
    params(("userId" = String, Path, description = "Your user id, or `me`"), ("id" = String, Path, description = "Account id"), PageQuery),
    responses((status = 200, body = [TransactionView]), (status = 404, description = "No such account")))]
pub async fn account_transactions(
    State(app): State<App>,
    Auth(p): Auth,
    PathParams((user_id, id)): PathParams<(String, String)>,
    QueryParams(q): QueryParams<PageQuery>,
    OriginalUri(uri): OriginalUri,
) -> Result<(HeaderMap, Json<Vec<TransactionView>>), ApiError> {
    let user = path_user(&p, &user_id)?;
    let w = q.window()?;
    let list = accounts::transactions(&app, &p, &user, &id, w.clone()).await?;
    let next = w.next(&list, |t| Key::new(t.txn_id, ""));
    Ok((
        next_link::headers(&uri, next),
        Json(list.into_iter().map(txn_view).collect()),
    ))
}

#[derive(Deserialize, ToSchema, Default)]
#[serde(rename_all = "camelCase")]
pub struct Deposit {
    #[schema(value_type = f64, format = "amount", required = true, nullable = false, example = 150000)]
    amount: Option<Value>,
    reference: Option<String>,
}

/// Test mode: credit an account from the sandbox funding account.
#[utoipa::path(post, path = "/sandbox/accounts/{id}/deposit", tag = "Sandbox", security(("bearer" = [])),
    params(("id" = String, Path, description = "Account id")), request_body = Deposit,
    responses((status = 200, body = AccountView), (status = 403, description = "Live token"), (status = 404, description = "No such account")))]
pub async fn sandbox_deposit(
    State(app): State<App>,
    Auth(p): Auth,
    PathParams(id): PathParams<String>,
    Body(req): Body<Deposit>,
) -> Result<Json<AccountView>, ApiError> {
    let a = accounts::sandbox_deposit(&app, &p, &id, req.amount.as_ref(), req.reference).await?;
    Ok(Json(view(a)))
}

#[derive(Deserialize, ToSchema, Default)]
#[serde(rename_all = "camelCase")]
pub struct Credit {
    #[schema(value_type = f64, format = "amount", required = true, nullable = false, example = 250000)]
    amount: Option<Value>,
    /// Reference of the incoming payment; a second credit with it is refused.
    #[serde(default)]
    #[schema(required = true, nullable = false, min_length = 1, pattern = "\\S")]
    reference: String,
}

/// Operator: credit any account (audit-logged). Also `payplane admin credit`.
#[utoipa::path(post, path = "/admin/accounts/{id}/credit", tag = "Admin", security(("bearer" = [])),
    params(("id" = String, Path, description = "Account id")), request_body = Credit,
    responses((status = 200, body = AccountView), (status = 403, description = "Not an operator"), (status = 409, description = "Reference already credited")))]
pub async fn admin_credit(
    State(app): State<App>,
    Admin(p): Admin,
    ClientIp(ip): ClientIp,
    PathParams(id): PathParams<String>,
    Body(req): Body<Credit>,
) -> Result<Json<AccountView>, ApiError> {
    let a = accounts::operator_credit(
        &app,
        &p.user_id,
        &format!("{ip} (api token {})", p.token_id),
        &id,
        req.amount.as_ref(),
        &req.reference,
    )
    .await?;
    Ok(Json(view(a)))
}
