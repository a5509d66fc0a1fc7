//! QR codes (seed 004 "Generate QR Code") and the wallet flow behind them: the open-auth routes
//! a customer's wallet reads and signs, and the customer's signed cancellation.
use super::auth::ApiKey;
use super::envelope::{Envelope, Reply, from_body, ok};
use crate::error::ApiError;
use crate::extract::{Body, PathParams, QueryParams};
use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use payplane_app::App;
use payplane_app::pumapay::pull_payments::requests::{self as uc, QrInput, Signatures, WalletView};
use payplane_app::pumapay::pull_payments::summary::{self, RequestStatus};
use payplane_store::pumapay::pull_payments::PullPayment;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;

#[derive(Deserialize, Default)]
pub struct QrParams {
    /// Cents, required for dynamic models (typeID 7) that do not preset one.
    amount: Option<String>,
    title: Option<String>,
    description: Option<String>,
    /// USD, EUR, JPY or GBP (the document's `GPB` is read as GBP).
    currency: Option<String>,
}

/// Where the QR code's URL points: `[pumapay] public_url`, else this request's Host (plain
/// http: set `public_url` behind a TLS proxy).
pub(crate) fn base_url(app: &App, headers: &HeaderMap) -> String {
    let configured = app.config.pumapay.public_url.trim();
    if !configured.is_empty() {
        return configured.trim_end_matches('/').to_string();
    }
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .filter(|h| !h.is_empty())
        .unwrap_or("localhost");
    format!("http://{host}")
}

/// Generate QR Code: a PNG (base64 in `data`) of the wallet URL of a new pull-payment request,
/// only for approved (APR) models. Dynamic models (typeID 7) take `amount`, `currency`, `title`
/// and `description` here, each required unless the model presets it; other models refuse
/// values that differ from theirs.
#[utoipa::path(get, path = "/api/v2/api-key-auth/qr/pull-payment/{pullPaymentModelID}/{uniqueReferenceID}", tag = "QR Codes",
    security(("pma-api-key" = [])),
    params(("pullPaymentModelID" = String, Path), ("uniqueReferenceID" = String, Path, description = "The customer's id in the merchant's system"),
        ("amount" = Option<String>, Query, description = "Cents; required for dynamic models (typeID 7) that preset none"),
        ("title" = Option<String>, Query), ("description" = Option<String>, Query),
        ("currency" = Option<String>, Query, description = "USD, EUR, JPY or GBP (GPB is read as GBP)")),
    responses((status = 200, body = Envelope<String>, description = "`data` is the base64 PNG"),
        (status = 400, description = "A dynamic value is missing or invalid, or a fixed model's value differs"),
        (status = 403, description = "Not your business's model"), (status = 404, description = "No such model"),
        (status = 409, description = "The model is not approved (error.payment.model.not.approved)")))]
pub async fn qr(
    State(app): State<App>,
    ApiKey(c): ApiKey,
    headers: HeaderMap,
    PathParams((model_id, reference)): PathParams<(String, String)>,
    QueryParams(q): QueryParams<QrParams>,
) -> Reply<String> {
    let input = QrInput {
        model_id,
        unique_reference_id: reference,
        amount: q.amount,
        title: q.title,
        description: q.description,
        currency: q.currency,
        base_url: base_url(&app, &headers),
    };
    let code = uc::create_qr(&app, &c, input).await?;
    ok("Successfully generated QR code", code.png_base64())
}

#[derive(Deserialize, Default)]
pub struct WalletParams {
    /// The wallet's address: the terms and the permit name it.
    #[serde(rename = "customerAddress")]
    customer_address: Option<String>,
}

/// The terms behind a QR code, for the customer's wallet: the EIP-712 consent to sign with
/// `eth_signTypedData_v4`, the EIP-2612 permit (null when the allowance already covers the
/// token cap) and the terms in words. The first read fixes start, token cap and expiry.
/// A browser (`Accept` preferring `text/html`) gets the pay page instead, which fixes nothing.
#[utoipa::path(get, path = "/api/v2/open-auth/pull-payment-requests/{requestID}", tag = "QR Codes",
    params(("requestID" = String, Path),
        ("customerAddress" = String, Query, format = "eth-address", description = "The wallet's address (required for JSON)")),
    responses((status = 200, body = Envelope<WalletView>, description = "The wallet's JSON; with `Accept: text/html` preferred, the pay page (HTML) instead"),
        (status = 400, description = "customerAddress missing or invalid"), (status = 404, description = "No such request"),
        (status = 409, description = "Already signed, or the model is no longer approved"),
        (status = 410, description = "The request expired (error.pull.payment.request.expired)")))]
pub async fn read(
    State(app): State<App>,
    headers: HeaderMap,
    PathParams(id): PathParams<String>,
    QueryParams(q): QueryParams<WalletParams>,
) -> Result<Response, ApiError> {
    if super::pay_page::wants_html(&headers) {
        return Ok(super::pay_page::show(&app, &headers, &id).await);
    }
    let view = uc::wallet_view(&app, &id, q.customer_address.as_deref()).await?;
    let mut res = ok("Successfully retrieved pull payment request", view)?.into_response();
    // The answer depends on Accept: caches must keep the page and the JSON apart.
    res.headers_mut()
        .insert(header::VARY, HeaderValue::from_static("Accept"));
    Ok(res)
}

/// Where a request stands (`open`, `expired`, `used`) and, once signed, its pull payment's
/// status: what the pay page (or a wallet) follows after posting the signatures.
#[utoipa::path(get, path = "/api/v2/open-auth/pull-payment-requests/{requestID}/status", tag = "QR Codes",
    params(("requestID" = String, Path)),
    responses((status = 200, body = Envelope<RequestStatus>), (status = 404, description = "No such request")))]
pub async fn status(
    State(app): State<App>,
    PathParams(id): PathParams<String>,
) -> Reply<RequestStatus> {
    let view = summary::status(&app, &id).await?;
    ok("Successfully retrieved pull payment request status", view)
}

/// The wallet's signatures.
#[derive(Deserialize, ToSchema, Default)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SignBody {
    #[schema(required = true, nullable = false, format = "eth-address")]
    customer_address: Option<String>,
    /// 0x-hex, 65 bytes: `eth_signTypedData_v4` of `consent`.
    #[schema(required = true, nullable = false, format = "signature")]
    consent_signature: Option<String>,
    /// 0x-hex, 65 bytes, of `permit`; null when the GET's `permit` was null.
    #[schema(format = "signature")]
    permit_signature: Option<String>,
}

/// The pull payment written from a signed request (status 1: awaiting registration on chain).
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PullPaymentCreated {
    id: String,
    /// 1 (initial): queued for registration.
    status: i64,
    /// The contract's bytes32 paymentId.
    payment_id: String,
    customer_address: String,
    #[serde(rename = "paymentModelID")]
    payment_model_id: String,
    #[serde(rename = "uniqueReferenceID")]
    unique_reference_id: String,
}

fn created(p: &PullPayment) -> PullPaymentCreated {
    PullPaymentCreated {
        id: p.id.clone(),
        status: p.status.id(),
        payment_id: p.chain_payment_id.clone(),
        customer_address: p.customer_address.clone(),
        payment_model_id: p.payment_model_id.clone(),
        unique_reference_id: p.unique_reference_id.clone(),
    }
}

/// The customer's signed consent (and permit): verified against the fixed terms, then the pull
/// payment is written in status 1 and its registration queued. A request is signed once.
#[utoipa::path(post, path = "/api/v2/open-auth/pull-payment-requests/{requestID}", tag = "QR Codes",
    params(("requestID" = String, Path)), request_body = SignBody,
    responses((status = 201, body = Envelope<PullPaymentCreated>),
        (status = 400, description = "Malformed body, or a signature that is not the customer's (error.signature.mismatch), or a permit missing (error.permit.required)"),
        (status = 403, description = "The business is disabled"), (status = 404, description = "No such request"),
        (status = 409, description = "Already signed (error.pull.payment.request.used) or the model is no longer approved"),
        (status = 410, description = "The request expired")))]
pub async fn sign(
    State(app): State<App>,
    PathParams(id): PathParams<String>,
    Body(v): Body<Value>,
) -> Result<(StatusCode, Json<Envelope<PullPaymentCreated>>), ApiError> {
    let b: SignBody = from_body(v)?;
    let p = uc::sign(
        &app,
        &id,
        Signatures {
            customer_address: b.customer_address,
            consent_signature: b.consent_signature,
            permit_signature: b.permit_signature,
        },
    )
    .await?;
    Ok((
        StatusCode::CREATED,
        Json(Envelope {
            success: true,
            status: 201,
            message: "Successfully created pull payment".into(),
            data: Some(created(&p)),
        }),
    ))
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CancelView {
    id: String,
    status: i64,
    /// EIP-712 typed data of `CancelPullPayment(bytes32 paymentId)`, for `eth_signTypedData_v4`.
    #[schema(value_type = Object)]
    cancel: Value,
}

/// The cancellation a customer signs to stop a pull payment.
#[utoipa::path(get, path = "/api/v2/open-auth/pull-payments/{pullPaymentID}/cancel", tag = "QR Codes",
    params(("pullPaymentID" = String, Path)),
    responses((status = 200, body = Envelope<CancelView>), (status = 404, description = "No such pull payment"),
        (status = 409, description = "Already final (error.pull.payment.final)")))]
pub async fn cancel_data(
    State(app): State<App>,
    PathParams(id): PathParams<String>,
) -> Reply<CancelView> {
    let (p, cancel) = uc::cancel_view(&app, &id).await?;
    ok(
        "Successfully retrieved cancellation data",
        CancelView {
            id: p.id,
            status: p.status.id(),
            cancel,
        },
    )
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CancelBody {
    /// 0x-hex, 65 bytes: `eth_signTypedData_v4` of `cancel`.
    #[schema(required = true, nullable = false, format = "signature")]
    signature: Option<String>,
}

/// A cancellation signed by the customer: verified, then queued for the executor to relay on
/// chain (the status changes when it is mined).
#[utoipa::path(post, path = "/api/v2/open-auth/pull-payments/{pullPaymentID}/cancel", tag = "QR Codes",
    params(("pullPaymentID" = String, Path)), request_body = CancelBody,
    responses((status = 200, body = Envelope<PullPaymentCreated>),
        (status = 400, description = "Malformed, or not the customer's signature (error.signature.mismatch)"),
        (status = 404, description = "No such pull payment"), (status = 409, description = "Already final")))]
pub async fn cancel(
    State(app): State<App>,
    PathParams(id): PathParams<String>,
    Body(v): Body<Value>,
) -> Reply<PullPaymentCreated> {
    let b: CancelBody = from_body(v)?;
    let p = uc::cancel(&app, &id, b.signature.as_deref()).await?;
    ok("Cancellation queued", created(&p))
}
