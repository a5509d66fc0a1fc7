//! Operator actions of the pull-payment API (Bearer token of an admin user; audit-logged).
use super::envelope::{Envelope, Reply, ok};
use super::views::{self, ControlView};
use crate::extract::{Admin, PathParams};
use axum::extract::State;
use payplane_app::{App, pumapay::payment_models};
use serde::Serialize;
use utoipa::ToSchema;

/// An operator action on a business: approve-kyc, reject-kyc, request-kyc, approve-details,
/// approve-treasury-wallet, trust, untrust, mark-psp, approve-pride-access.
#[utoipa::path(post, path = "/api/v2/admin/businesses/{businessID}/{action}", tag = "Admin",
    security(("bearer" = [])), params(("businessID" = String, Path), ("action" = String, Path)),
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
    security(("bearer" = [])), params(("paymentModelID" = String, Path), ("action" = String, Path)),
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
    security(("bearer" = [])), params(("productID" = String, Path), ("action" = String, Path)),
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
