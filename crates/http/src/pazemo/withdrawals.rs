//! Withdrawals (Z7–Z9) plus list and get.
use super::common::PageQuery;
use crate::error::ApiError;
use crate::extract::{Auth, Body, PathParams, QueryParams};
use crate::next_link;
use axum::Json;
use axum::extract::OriginalUri;
use axum::extract::State;
use axum::http::HeaderMap;
use payplane_app::App;
use payplane_app::pazemo::withdrawals::view::WithdrawalView;
use payplane_app::pazemo::withdrawals::{self, NewWithdrawal};
use payplane_store::keyset::Key;
use serde::Deserialize;
use serde_json::Value;
use utoipa::{IntoParams, ToSchema};

/// The document's body. `id`, `updatedTime`, `accountId` and `status` are the server's and are
/// ignored. Either `beneficiaryId` (an active recipient of this account) or `address` +
/// `addressName` + `prefix` (the bank id).
#[derive(Deserialize, ToSchema, Default)]
#[serde(rename_all = "camelCase")]
pub struct CreateWithdrawal {
    /// An active recipient of this account (0: none, use `address`).
    beneficiary_id: Option<i64>,
    /// Bank account number, with `prefix` and `addressName` when there is no `beneficiaryId`.
    address: Option<String>,
    #[serde(alias = "adressName")]
    #[schema(format = "line", max_length = 100)]
    address_name: Option<String>,
    /// The bank id (`GET /banks`).
    prefix: Option<String>,
    #[schema(value_type = f64, format = "amount", required = true, nullable = false, example = 150000)]
    amount: Option<Value>,
    #[schema(format = "multiline", max_length = 500)]
    notes: Option<String>,
    #[schema(format = "line", max_length = 100)]
    reference: Option<String>,
    /// Your own data kept with the withdrawal: an object of at most 4 096 bytes of JSON.
    #[schema(value_type = Option<Object>)]
    reference_data: Option<Value>,
}

#[derive(Deserialize, ToSchema, Default)]
#[serde(rename_all = "camelCase")]
pub struct Authorization {
    /// Code from your authenticator (`POST /users/me/2fa`); test mode also takes `000000`.
    #[schema(required = true, nullable = false, pattern = "^[0-9]{6}$")]
    authorization_code: Option<String>,
}

/// Create a withdrawal: `pending`, with amount + fee held from the available balance.
#[utoipa::path(post, path = "/accounts/{accountId}/withdraw", tag = "Withdraw", security(("bearer" = [])),
    params(("accountId" = String, Path, description = "Account id")), request_body = CreateWithdrawal,
    responses((status = 200, body = WithdrawalView), (status = 400, description = "Invalid input, or amount and fee above `[limits.max_amount]` of the currency (error.amount.above.maximum)"),
        (status = 402, description = "Available balance too small"), (status = 404, description = "No such account or recipient")))]
pub async fn create_withdrawal(
    State(app): State<App>,
    Auth(p): Auth,
    PathParams(account_id): PathParams<String>,
    Body(req): Body<CreateWithdrawal>,
) -> Result<Json<WithdrawalView>, ApiError> {
    let w = withdrawals::create(
        &app,
        &p,
        &account_id,
        NewWithdrawal {
            beneficiary_id: req.beneficiary_id,
            address: req.address,
            address_name: req.address_name,
            prefix: req.prefix,
            amount: req.amount,
            notes: req.notes,
            reference: req.reference,
            reference_data: req.reference_data,
        },
    )
    .await?;
    Ok(Json(WithdrawalView::of(&w)))
}

/// Confirm a pending withdrawal with a 2FA code: it becomes `processing` and is paid out.
#[utoipa::path(post, path = "/accounts/{accountId}/withdraw/{id}/confirm", tag = "Withdraw", security(("bearer" = [])),
    params(("accountId" = String, Path, description = "Account id"), ("id" = String, Path, description = "Withdrawal id")),
    request_body = Authorization,
    responses((status = 200, body = WithdrawalView), (status = 400, description = "Wrong code"),
        (status = 402, description = "No payout network (live)"), (status = 409, description = "Not pending")))]
pub async fn confirm_withdrawal(
    State(app): State<App>,
    Auth(p): Auth,
    PathParams((account_id, id)): PathParams<(String, String)>,
    Body(req): Body<Authorization>,
) -> Result<Json<WithdrawalView>, ApiError> {
    let w = withdrawals::confirm(
        &app,
        &p,
        &account_id,
        &id,
        req.authorization_code.as_deref(),
    )
    .await?;
    Ok(Json(WithdrawalView::of(&w)))
}

/// Cancel a pending withdrawal with a 2FA code: its hold is released.
#[utoipa::path(post, path = "/accounts/{accountId}/withdraw/{id}/cancel", tag = "Withdraw", security(("bearer" = [])),
    params(("accountId" = String, Path, description = "Account id"), ("id" = String, Path, description = "Withdrawal id")),
    request_body = Authorization,
    responses((status = 200, body = WithdrawalView), (status = 400, description = "Wrong code"), (status = 409, description = "Not pending")))]
pub async fn cancel_withdrawal(
    State(app): State<App>,
    Auth(p): Auth,
    PathParams((account_id, id)): PathParams<(String, String)>,
    Body(req): Body<Authorization>,
) -> Result<Json<WithdrawalView>, ApiError> {
    let w = withdrawals::cancel(
        &app,
        &p,
        &account_id,
        &id,
        req.authorization_code.as_deref(),
    )
    .await?;
    Ok(Json(WithdrawalView::of(&w)))
}

#[derive(Deserialize, IntoParams, Default)]
#[into_params(parameter_in = Query)]
pub struct WithdrawalFilter {
    /// pending, processing, succeeded, failed or cancelled.
    #[param(value_type = Option<String>, pattern = "^(pending|processing|succeeded|failed|cancelled)$")]
    status: Option<String>,
    #[param(minimum = 1)]
    page: Option<i64>,
    #[param(minimum = 1, maximum = 100)]
    size: Option<i64>,
    /// The page after the one whose `Link: <…>; rel="next"` header gave this cursor (`page` is
    /// then not used).
    cursor: Option<String>,
}

/// Withdrawals of an account, newest first. A full page has a `Link: <…>; rel="next"` header
/// whose `cursor` reads the next one.
#[utoipa::path(get, path = "/accounts/{accountId}/withdraw", tag = "Withdraw", security(("bearer" = [])),
    params(("accountId" = String, Path, description = "Account id"), WithdrawalFilter),
    responses((status = 200, body = [WithdrawalView]), (status = 404, description = "No such account")))]
pub async fn list_withdrawals(
    State(app): State<App>,
    Auth(p): Auth,
    PathParams(account_id): PathParams<String>,
    QueryParams(q): QueryParams<WithdrawalFilter>,
    OriginalUri(uri): OriginalUri,
) -> Result<(HeaderMap, Json<Vec<WithdrawalView>>), ApiError> {
    let w = PageQuery {
        page: q.page,
        size: q.size,
        cursor: q.cursor,
    }
    .window()?;
    let list = withdrawals::list(&app, &p, &account_id, q.status.as_deref(), w.clone()).await?;
    let next = w.next(&list, |x| Key::new(0, x.id.as_str()));
    Ok((
        next_link::headers(&uri, next),
        Json(list.iter().map(WithdrawalView::of).collect()),
    ))
}

/// One withdrawal.
#[utoipa::path(get, path = "/accounts/{accountId}/withdraw/{id}", tag = "Withdraw", security(("bearer" = [])),
    params(("accountId" = String, Path, description = "Account id"), ("id" = String, Path, description = "Withdrawal id")),
    responses((status = 200, body = WithdrawalView), (status = 404, description = "No such withdrawal")))]
pub async fn get_withdrawal(
    State(app): State<App>,
    Auth(p): Auth,
    PathParams((account_id, id)): PathParams<(String, String)>,
) -> Result<Json<WithdrawalView>, ApiError> {
    Ok(Json(WithdrawalView::of(
        &withdrawals::get(&app, &p, &account_id, &id).await?,
    )))
}
