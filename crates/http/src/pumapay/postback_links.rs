//! Which postback a product, payment model or business uses, and the parent PSP's postback.
//! Rows answer in the document's `[1, [row]]` shape with `businessPostbackID`.
use super::auth::ApiKey;
use super::envelope::{Envelope, Reply, check, from_body, ok, required};
use super::postbacks::{PostbackView, view};
use crate::extract::Body;
use axum::extract::State;
use payplane_app::pumapay::postbacks::links as uc;
use payplane_app::{App, AppError};
use serde::Deserialize;
use serde_json::{Value, json};
use utoipa::ToSchema;

/// What every route of this file reads; which fields each one needs is in its documented body
/// (`ProductLink`, `ModelLink`, `BusinessLink`, `ParentLink`) and checked by `link_body`.
#[derive(Deserialize, Default)]
#[serde(default)]
pub struct LinkBody {
    #[serde(rename = "businessID")]
    business_id: String,
    #[serde(rename = "productID")]
    product_id: String,
    #[serde(rename = "paymentModelID")]
    payment_model_id: String,
    #[serde(rename = "businessPostbackID")]
    business_postback_id: String,
    #[serde(rename = "parentBusinessPostbackID")]
    parent_business_postback_id: String,
}

/// The body of the product routes.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct ProductLink {
    #[schema(rename = "businessID", pattern = "\\S")]
    business_id: String,
    #[schema(rename = "productID", pattern = "\\S")]
    product_id: String,
    #[schema(rename = "businessPostbackID", pattern = "\\S")]
    business_postback_id: String,
}

/// The body of the payment-model routes.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct ModelLink {
    #[schema(rename = "businessID", pattern = "\\S")]
    business_id: String,
    #[schema(rename = "paymentModelID", pattern = "\\S")]
    payment_model_id: String,
    #[schema(rename = "businessPostbackID", pattern = "\\S")]
    business_postback_id: String,
}

/// The body of the business routes and of removing the parent's postback.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct BusinessLink {
    #[schema(rename = "businessID", pattern = "\\S")]
    business_id: String,
    #[schema(rename = "businessPostbackID", pattern = "\\S")]
    business_postback_id: String,
}

/// The body of setting the parent PSP's postback.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct ParentLink {
    #[schema(rename = "businessID", pattern = "\\S")]
    business_id: String,
    #[schema(rename = "businessPostbackID", pattern = "\\S")]
    business_postback_id: String,
    #[schema(rename = "parentBusinessPostbackID", pattern = "\\S")]
    parent_business_postback_id: String,
}

/// Reads the body and checks that `businessID`, `businessPostbackID` and `extra` are present.
fn link_body(v: Value, extra: &[&str]) -> Result<LinkBody, AppError> {
    let b: LinkBody = from_body(v)?;
    let mut errors = vec![];
    required("businessID", &b.business_id, &mut errors);
    required("businessPostbackID", &b.business_postback_id, &mut errors);
    for f in extra {
        let v = match *f {
            "productID" => &b.product_id,
            "paymentModelID" => &b.payment_model_id,
            _ => &b.parent_business_postback_id,
        };
        required(f, v, &mut errors);
    }
    check(errors)?;
    Ok(b)
}

/// The document's update tuple `[affectedCount, [row]]`, the row with `businessPostbackID`.
fn tuple(row: impl serde::Serialize, postback_id: Option<String>) -> Result<Value, AppError> {
    let mut row = serde_json::to_value(row).map_err(AppError::internal)?;
    row["businessPostbackID"] = json!(postback_id);
    Ok(json!([1, [row]]))
}

/// Create/Update Postback for a Product.
#[utoipa::path(put, path = "/api/v2/api-key-auth/business/postback/product", tag = "Postbacks",
    security(("pma-api-key" = [])), request_body = ProductLink,
    responses((status = 200, body = Envelope<Value>), (status = 404, description = "No such postback or product")))]
pub async fn set_product(
    State(app): State<App>,
    ApiKey(c): ApiKey,
    Body(v): Body<Value>,
) -> Reply<Value> {
    let b = link_body(v, &["productID"])?;
    let p = uc::set_product(
        &app,
        &c,
        &b.business_id,
        &b.product_id,
        &b.business_postback_id,
    )
    .await?;
    let row = super::products::view(&app, &p);
    ok(
        "Successfully updated business postback product",
        tuple(row, Some(b.business_postback_id))?,
    )
}

/// Remove Postback for a Product.
#[utoipa::path(put, path = "/api/v2/api-key-auth/business/postback/product/remove", tag = "Postbacks",
    security(("pma-api-key" = [])), request_body = ProductLink,
    responses((status = 200, body = Envelope<Value>), (status = 404, description = "No such postback or product")))]
pub async fn remove_product(
    State(app): State<App>,
    ApiKey(c): ApiKey,
    Body(v): Body<Value>,
) -> Reply<Value> {
    let b = link_body(v, &["productID"])?;
    let p = uc::remove_product(
        &app,
        &c,
        &b.business_id,
        &b.product_id,
        &b.business_postback_id,
    )
    .await?;
    let row = super::products::view(&app, &p);
    ok(
        "Successfully removed business postback product",
        tuple(row, None)?,
    )
}

fn model_row(
    m: &payplane_store::pumapay::payment_models::PaymentModel,
    postback: Option<String>,
) -> Result<Value, AppError> {
    let mut t = tuple(super::payment_models::created(m), postback)?;
    // S-PaymentModelRow names the initial amount `initialAmount`.
    t[1][0]["initialAmount"] = json!(m.initial_payment_amount);
    Ok(t)
}

/// Create/Update Payment Model Postback (the document's message says "retrieved").
#[utoipa::path(put, path = "/api/v2/api-key-auth/business/postback/paymentmodel", tag = "Postbacks",
    security(("pma-api-key" = [])), request_body = ModelLink,
    responses((status = 200, body = Envelope<Value>), (status = 404, description = "No such postback or payment model")))]
pub async fn set_model(
    State(app): State<App>,
    ApiKey(c): ApiKey,
    Body(v): Body<Value>,
) -> Reply<Value> {
    let b = link_body(v, &["paymentModelID"])?;
    let m = uc::set_model(
        &app,
        &c,
        &b.business_id,
        &b.payment_model_id,
        &b.business_postback_id,
    )
    .await?;
    ok(
        "Successfully retrieved business postback",
        model_row(&m, Some(b.business_postback_id))?,
    )
}

/// Remove Payment Model Postback.
#[utoipa::path(put, path = "/api/v2/api-key-auth/business/postback/paymentmodel/remove", tag = "Postbacks",
    security(("pma-api-key" = [])), request_body = ModelLink,
    responses((status = 200, body = Envelope<Value>), (status = 404, description = "No such postback or payment model")))]
pub async fn remove_model(
    State(app): State<App>,
    ApiKey(c): ApiKey,
    Body(v): Body<Value>,
) -> Reply<Value> {
    let b = link_body(v, &["paymentModelID"])?;
    let m = uc::remove_model(
        &app,
        &c,
        &b.business_id,
        &b.payment_model_id,
        &b.business_postback_id,
    )
    .await?;
    ok(
        "Successfully removed business postback",
        model_row(&m, None)?,
    )
}

/// Create/Update Postback for a Business: its default on the postback's network.
#[utoipa::path(put, path = "/api/v2/api-key-auth/business/postback/business", tag = "Postbacks",
    security(("pma-api-key" = [])), request_body = BusinessLink,
    responses((status = 200, body = Envelope<Value>), (status = 404, description = "No such postback")))]
pub async fn set_business(
    State(app): State<App>,
    ApiKey(c): ApiKey,
    Body(v): Body<Value>,
) -> Reply<Value> {
    let b = link_body(v, &[])?;
    let biz = uc::set_business(&app, &c, &b.business_id, &b.business_postback_id).await?;
    ok(
        "Successfully updated business postback business",
        tuple(super::views::business(&biz), Some(b.business_postback_id))?,
    )
}

/// Remove Postback for a Business (the document's message says "updated").
#[utoipa::path(put, path = "/api/v2/api-key-auth/business/postback/business/remove", tag = "Postbacks",
    security(("pma-api-key" = [])), request_body = BusinessLink,
    responses((status = 200, body = Envelope<Value>), (status = 404, description = "No such postback")))]
pub async fn remove_business(
    State(app): State<App>,
    ApiKey(c): ApiKey,
    Body(v): Body<Value>,
) -> Reply<Value> {
    let b = link_body(v, &[])?;
    let biz = uc::remove_business(&app, &c, &b.business_id, &b.business_postback_id).await?;
    ok(
        "Successfully updated business postback business",
        tuple(super::views::business(&biz), None)?,
    )
}

/// Create/Update Postback for a Parent Business: the parent PSP's postback also receives this
/// sub-business postback's events. The key must act for both businesses (the PSP's does).
#[utoipa::path(put, path = "/api/v2/api-key-auth/business/postback/parent", tag = "Postbacks",
    security(("pma-api-key" = [])), request_body = ParentLink,
    responses((status = 200, body = Envelope<PostbackView>), (status = 404, description = "No such postback")))]
pub async fn set_parent(
    State(app): State<App>,
    ApiKey(c): ApiKey,
    Body(v): Body<Value>,
) -> Reply<PostbackView> {
    let b = link_body(v, &["parentBusinessPostbackID"])?;
    let p = uc::set_parent(
        &app,
        &c,
        &b.business_id,
        &b.business_postback_id,
        &b.parent_business_postback_id,
    )
    .await?;
    ok("Successfully updated postback parent", view(&p))
}

/// Remove Postback for Parent.
#[utoipa::path(put, path = "/api/v2/api-key-auth/business/postback/parent/remove", tag = "Postbacks",
    security(("pma-api-key" = [])), request_body = BusinessLink,
    responses((status = 200, body = Envelope<PostbackView>), (status = 404, description = "No such postback")))]
pub async fn remove_parent(
    State(app): State<App>,
    ApiKey(c): ApiKey,
    Body(v): Body<Value>,
) -> Reply<PostbackView> {
    let b = link_body(v, &[])?;
    let p = uc::remove_parent(&app, &c, &b.business_id, &b.business_postback_id).await?;
    ok("Successfully updated business postback parent", view(&p))
}
