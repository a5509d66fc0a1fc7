//! Recipients (Z6 plus list, get and delete) and the bank directory they refer to.
use super::common::PageQuery;
use crate::error::ApiError;
use crate::extract::{Auth, Body, PathParams, QueryParams};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use payplane_app::pazemo::banks::{self, Bank};
use payplane_app::pazemo::beneficiaries::{self, NewBeneficiary};
use payplane_app::{App, pazemo::amounts};
use payplane_store::pazemo::beneficiaries::Beneficiary;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct BeneficiaryView {
    id: i64,
    account_id: String,
    bank_id: String,
    /// Bank account number (IBAN for EUR).
    address: String,
    name: String,
    email: String,
    label: String,
    /// pending, active or rejected.
    status: String,
    /// personal or business.
    #[serde(rename = "type")]
    kind: String,
}

fn view(b: Beneficiary) -> BeneficiaryView {
    BeneficiaryView {
        id: b.id,
        account_id: b.account_id,
        bank_id: b.bank_id,
        address: b.address,
        name: b.name,
        email: b.email,
        label: b.label,
        status: b.status.to_string(),
        kind: b.kind,
    }
}

/// The document's body; `id`, `status` and `updatedTime` are the server's and are ignored.
#[derive(Deserialize, ToSchema, Default)]
#[serde(rename_all = "camelCase")]
pub struct CreateBeneficiary {
    #[schema(required = true, nullable = false, pattern = "\\S")]
    account_id: Option<String>,
    /// A bank of the account's currency, from `GET /banks?currency=`.
    #[schema(required = true, nullable = false, pattern = "\\S")]
    bank_id: Option<String>,
    /// Bank account number (digits, length per bank; an IBAN for EUR).
    #[schema(
        required = true,
        nullable = false,
        pattern = "^[0-9A-Za-z ]*[0-9A-Za-z][0-9A-Za-z ]*$"
    )]
    address: Option<String>,
    /// Account holder; filled from the network's inquiry when left empty.
    #[schema(format = "line", max_length = 100)]
    name: Option<String>,
    #[schema(format = "email-or-empty")]
    email: Option<String>,
    #[schema(format = "line", max_length = 100)]
    label: Option<String>,
    /// personal (default) or business.
    #[serde(rename = "type")]
    #[schema(pattern = "^(personal|business)?$")]
    kind: Option<String>,
}

/// Create a recipient; it is `pending` until the payout network confirms the bank account.
#[utoipa::path(post, path = "/beneficiaries", tag = "Recipients", security(("bearer" = [])), request_body = CreateBeneficiary,
    responses((status = 200, body = BeneficiaryView), (status = 400, description = "Bad bank or account number"), (status = 404, description = "No such account")))]
pub async fn create_beneficiary(
    State(app): State<App>,
    Auth(p): Auth,
    Body(req): Body<CreateBeneficiary>,
) -> Result<Json<BeneficiaryView>, ApiError> {
    let b = beneficiaries::create(
        &app,
        &p,
        NewBeneficiary {
            account_id: req.account_id,
            bank_id: req.bank_id,
            address: req.address,
            name: req.name,
            email: req.email,
            label: req.label,
            kind: req.kind,
        },
    )
    .await?;
    Ok(Json(view(b)))
}

#[derive(Deserialize, IntoParams, Default)]
#[into_params(parameter_in = Query)]
#[serde(rename_all = "camelCase")]
pub struct BeneficiaryFilter {
    /// Only recipients of this account (one of yours: another is 404).
    account_id: Option<String>,
    #[param(minimum = 1)]
    page: Option<i64>,
    #[param(minimum = 1, maximum = 100)]
    size: Option<i64>,
}

/// Your recipients in the token's mode, newest first.
#[utoipa::path(get, path = "/beneficiaries", tag = "Recipients", security(("bearer" = [])), params(BeneficiaryFilter),
    responses((status = 200, body = [BeneficiaryView]),
        (status = 404, description = "accountId is not one of your accounts (in this mode)")))]
pub async fn list_beneficiaries(
    State(app): State<App>,
    Auth(p): Auth,
    QueryParams(q): QueryParams<BeneficiaryFilter>,
) -> Result<Json<Vec<BeneficiaryView>>, ApiError> {
    let page = PageQuery {
        page: q.page,
        size: q.size,
        cursor: None,
    }
    .page()?;
    let list = beneficiaries::list(&app, &p, q.account_id.as_deref(), page).await?;
    Ok(Json(list.into_iter().map(view).collect()))
}

/// One of your recipients.
#[utoipa::path(get, path = "/beneficiaries/{id}", tag = "Recipients", security(("bearer" = [])),
    params(("id" = i64, Path, description = "Recipient id")),
    responses((status = 200, body = BeneficiaryView), (status = 404, description = "No such recipient")))]
pub async fn get_beneficiary(
    State(app): State<App>,
    Auth(p): Auth,
    PathParams(id): PathParams<i64>,
) -> Result<Json<BeneficiaryView>, ApiError> {
    Ok(Json(view(beneficiaries::get(&app, &p, id).await?)))
}

/// Delete a recipient (soft: past withdrawals keep naming it).
#[utoipa::path(delete, path = "/beneficiaries/{id}", tag = "Recipients", security(("bearer" = [])),
    params(("id" = i64, Path, description = "Recipient id")),
    responses((status = 204), (status = 404, description = "No such recipient")))]
pub async fn delete_beneficiary(
    State(app): State<App>,
    Auth(p): Auth,
    PathParams(id): PathParams<i64>,
) -> Result<StatusCode, ApiError> {
    beneficiaries::delete(&app, &p, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, IntoParams, Default)]
#[into_params(parameter_in = Query)]
pub struct BankFilter {
    /// IDR, USD, SGD, MYR or EUR; all banks when absent.
    #[param(pattern = "^(IDR|USD|SGD|MYR|EUR|idr|usd|sgd|myr|eur)?$")]
    currency: Option<String>,
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct BankView {
    id: String,
    name: String,
    currency: String,
    code: String,
    bic: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    min_length: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    max_length: Option<usize>,
    iban: bool,
}

fn bank_view(b: Bank) -> BankView {
    BankView {
        id: b.id,
        name: b.name,
        currency: b.currency,
        code: b.code,
        bic: b.bic,
        min_length: b.min_length,
        max_length: b.max_length,
        iban: b.iban,
    }
}

/// The bank directory: where recipients of each currency can bank, and their number rules.
#[utoipa::path(get, path = "/banks", tag = "Recipients", security(("bearer" = [])), params(BankFilter),
    responses((status = 200, body = [BankView]), (status = 400, description = "Unknown currency")))]
pub async fn list_banks(
    Auth(_p): Auth,
    QueryParams(q): QueryParams<BankFilter>,
) -> Result<Json<Vec<BankView>>, ApiError> {
    let currency = match q.currency.as_deref() {
        None | Some("") => None,
        Some(c) => Some(amounts::currency("currency", Some(c))?),
    };
    Ok(Json(
        banks::list(currency).into_iter().map(bank_view).collect(),
    ))
}
