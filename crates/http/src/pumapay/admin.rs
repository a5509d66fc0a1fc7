//! Operator actions of the pull-payment API (Bearer token of an admin user; audit-logged).
use super::envelope::{Envelope, Reply, ok};
use super::views::{self, ControlView};
use crate::extract::{Admin, Body, PathParams};
use axum::extract::State;
use payplane_app::pumapay::settlement::SettlementView;
use payplane_app::{App, pumapay::payment_models};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// An operator action on a business: approve-kyc, reject-kyc, request-kyc, approve-details,
/// approve-treasury-wallet, trust, untrust, mark-psp, approve-pride-access.
#[utoipa::path(post, path = "/api/v2/admin/businesses/{businessID}/{action}", tag = "Admin",
    security(("bearer" = [])), params(("businessID" = String, Path),
        ("action" = String, Path, pattern = "^(approve-kyc|reject-kyc|request-kyc|approve-details|approve-treasury-wallet|trust|untrust|mark-psp|approve-pride-access)$")),
    responses((status = 200, body = Envelope<ControlView>), (status = 403, description = "Not an operator")))]
pub async fn business_action(
    State(app): State<App>,
    Admin(p): Admin,
    PathParams((id, action)): PathParams<(String, String)>,
) -> Reply<ControlView> {
    let b = payplane_app::pumapay::business_operator::operator_action(
        &app, &p.user_id, "api", &id, &action,
    )
    .await?;
    ok(
        "Successfully updated the business control.",
        views::control(&b),
    )
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ModelStatus {
    id: String,
    status_code: String,
    status_name: String,
}

/// An operator decision on a payment model: approve, reject or suspend.
#[utoipa::path(post, path = "/api/v2/admin/payment-models/{paymentModelID}/{action}", tag = "Admin",
    security(("bearer" = [])), params(("paymentModelID" = String, Path), ("action" = String, Path, pattern = "^(approve|reject|suspend)$")),
    responses((status = 200, body = Envelope<ModelStatus>), (status = 409, description = "Not allowed from its status")))]
pub async fn payment_model_action(
    State(app): State<App>,
    Admin(p): Admin,
    PathParams((id, action)): PathParams<(String, String)>,
) -> Reply<ModelStatus> {
    let m = payment_models::operator_action(&app, &p.user_id, "api", &id, &action).await?;
    ok(
        "Successfully updated the payment model status.",
        ModelStatus {
            id: m.id,
            status_name: m.status.name().into(),
            status_code: m.status.as_str().into(),
        },
    )
}

#[derive(Serialize, ToSchema)]
pub struct ProductVerified {
    #[serde(rename = "productID")]
    product_id: String,
    verified: bool,
}

/// Operator verification of a product: verify or unverify.
#[utoipa::path(post, path = "/api/v2/admin/products/{productID}/{action}", tag = "Admin",
    security(("bearer" = [])), params(("productID" = String, Path), ("action" = String, Path, pattern = "^(verify|unverify)$")),
    responses((status = 200, body = Envelope<ProductVerified>), (status = 404, description = "No such product")))]
pub async fn product_action(
    State(app): State<App>,
    Admin(p): Admin,
    PathParams((id, action)): PathParams<(String, String)>,
) -> Reply<ProductVerified> {
    let verified = payplane_app::pumapay::business_operator::product_action(
        &app, &p.user_id, "api", &id, &action,
    )
    .await?;
    ok(
        "Successfully updated the product.",
        ProductVerified {
            product_id: id,
            verified,
        },
    )
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AdvanceClock {
    /// How far to move the test network's time ahead: 1 to 316 224 000 (ten years).
    #[schema(required = true, nullable = false, minimum = 1, maximum = 316224000)]
    seconds: Option<i64>,
    /// The network: 3 (the default; the test clock moves the test network only).
    #[serde(rename = "networkID")]
    #[schema(minimum = 3, maximum = 3)]
    network_id: Option<i64>,
}

#[derive(Serialize, ToSchema)]
pub struct NetworkTimeView {
    #[serde(rename = "networkID")]
    network_id: i64,
    /// How far the network runs ahead of the wall clock, seconds.
    #[serde(rename = "offsetSeconds")]
    offset_seconds: i64,
    /// The network's time now, unix seconds (what schedules and new blocks use).
    now: i64,
}

/// The test clock: moves the test network's time `seconds` ahead — schedule time and the block
/// time of the embedded network together (on an anvil node, `evm_increaseTime` and `evm_mine`).
/// Served when `[pull_payments] test_clock` is on; operator credential; audit-logged.
#[utoipa::path(post, path = "/api/v2/admin/test-clock/advance", tag = "Admin",
    security(("bearer" = [])), request_body = AdvanceClock,
    responses((status = 200, body = Envelope<NetworkTimeView>),
        (status = 400, description = "seconds missing or out of range, or a networkID other than 3"),
        (status = 403, description = "Not an operator, or the test clock is switched off")))]
pub async fn advance_test_clock(
    State(app): State<App>,
    Admin(p): Admin,
    Body(req): Body<AdvanceClock>,
) -> Reply<NetworkTimeView> {
    let seconds = req.seconds.ok_or_else(|| {
        payplane_app::AppError::field(
            "seconds",
            "error.test.clock.seconds",
            "seconds is required: how far to move the test network's time, in seconds",
        )
    })?;
    let t = payplane_app::pumapay::test_clock::advance(
        &app,
        &p.user_id,
        "api",
        req.network_id.unwrap_or(3),
        seconds,
    )
    .await?;
    ok(
        "Successfully advanced the test clock.",
        NetworkTimeView {
            network_id: t.network_id,
            offset_seconds: t.offset_secs,
            now: t.now,
        },
    )
}

#[derive(Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct SettlementAction {
    /// `settle` without a linked account: the reference of the payment made outside the
    /// platform (a bank transfer's).
    reference: Option<String>,
    /// `unsettle`: why it is not paid.
    reason: Option<String>,
}

/// An operator decision on a fiat settlement: `settle` (pending or unsettled → settled: paid into
/// the business's linked account if it has one, otherwise recorded as paid outside the platform
/// under `reference`) or `unsettle` (pending → unsettled, with `reason`). Audit-logged.
#[utoipa::path(post, path = "/api/v2/admin/settlements/{settlementID}/{action}", tag = "Admin",
    security(("bearer" = [])), params(("settlementID" = String, Path), ("action" = String, Path, pattern = "^(settle|unsettle)$", description = "settle or unsettle")),
    request_body = SettlementAction,
    responses((status = 200, body = Envelope<SettlementView>), (status = 404, description = "No such settlement"),
        (status = 409, description = "Not allowed from its status (error.settlement.status)")))]
pub async fn settlement_action(
    State(app): State<App>,
    Admin(p): Admin,
    PathParams((id, action)): PathParams<(String, String)>,
    Body(b): Body<SettlementAction>,
) -> Reply<SettlementView> {
    let s = payplane_app::pumapay::settlement::payout::operator_action(
        &app,
        &p.user_id,
        "api",
        &id,
        &action,
        b.reference.as_deref(),
        b.reason.as_deref(),
    )
    .await?;
    ok("Successfully updated the fiat settlement.", s)
}
