//! PSP sub-businesses: create, update details, list, disable/enable.
use super::auth::ApiKey;
use super::business::DetailsBody;
use super::envelope::{Envelope, Reply, check, from_body, ok, required};
use super::views::{self, BusinessView, ControlView};
use crate::extract::{Body, PathParams, QueryParams};
use axum::extract::State;
use payplane_app::pumapay::businesses as uc;
use payplane_app::{App, AppError};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;

#[derive(Deserialize, ToSchema, Default)]
#[serde(default)]
pub struct SubBusinessBody {
    /// Company name (`companyName` is accepted too).
    #[serde(alias = "companyName")]
    #[schema(
        required = true,
        nullable = false,
        format = "line",
        min_length = 1,
        max_length = 200
    )]
    company: String,
    #[schema(required = true, nullable = false, format = "email")]
    email: String,
    /// 8 to 256 characters.
    #[schema(required = true, nullable = false, min_length = 8, max_length = 256)]
    password: String,
    /// The PSP; defaults to the caller's business.
    #[serde(rename = "parentID")]
    parent_id: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct Created {
    #[serde(rename = "businessID")]
    business_id: String,
    #[serde(rename = "userID")]
    user_id: String,
}

/// Create Sub Business with its admin user (who can log in to the console).
#[utoipa::path(post, path = "/api/v2/api-key-auth/register/sub/business", tag = "PSP",
    security(("pma-api-key" = [])), request_body = SubBusinessBody,
    responses((status = 200, body = Envelope<Created>), (status = 403, description = "Not your business"), (status = 409, description = "Email taken")))]
pub async fn create_sub(
    State(app): State<App>,
    ApiKey(c): ApiKey,
    Body(v): Body<Value>,
) -> Reply<Created> {
    let body: SubBusinessBody = from_body(v)?;
    let parent = body
        .parent_id
        .clone()
        .unwrap_or_else(|| c.business_id.clone());
    let (b, u) = payplane_app::pumapay::sub_businesses::create_sub_business(
        &app,
        &c,
        &parent,
        &body.company,
        &body.email,
        &body.password,
    )
    .await?;
    ok(
        "Successfully created the child",
        Created {
            business_id: b.id,
            user_id: u.id,
        },
    )
}

/// The body of the sub-business updates: the business details with `businessID` required.
/// (For the document: the handlers read a `DetailsBody`.)
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct SubDetailsBody {
    #[schema(rename = "businessID", pattern = "\\S")]
    business_id: String,
    #[serde(flatten)]
    details: DetailsBody,
}

#[derive(Serialize, ToSchema)]
pub struct Updated {
    #[serde(rename = "businessID")]
    business_id: String,
}

/// Update Sub Business: the PSP fills in a sub-business's details and its user's contact data.
#[utoipa::path(put, path = "/api/v2/api-key-auth/business/business-details/sub/business", tag = "PSP",
    security(("pma-api-key" = [])), request_body = SubDetailsBody,
    responses((status = 200, body = Envelope<Updated>), (status = 403, description = "Not your sub-business")))]
pub async fn update_sub(
    State(app): State<App>,
    ApiKey(c): ApiKey,
    Body(v): Body<Value>,
) -> Reply<Updated> {
    let body: DetailsBody = from_body(v)?;
    let Some(business_id) = body.business_id.clone() else {
        return Err(AppError::field(
            "businessID",
            "error.field.required",
            "businessID is required",
        )
        .into());
    };
    let parent = body
        .parent_id
        .clone()
        .unwrap_or_else(|| c.business_id.clone());
    let input = body.input()?;
    payplane_app::pumapay::sub_businesses::authorize_sub(
        &app,
        &c,
        &parent,
        &business_id,
        payplane_app::pumapay::access::Intent::Write,
    )
    .await?;
    let b = uc::update_details(&app, &c, &business_id, body.user_id.as_deref(), input).await?;
    ok(
        "Successfully updated the child",
        Updated { business_id: b.id },
    )
}

/// Retrieve All Businesses: the sub-businesses of a parent.
#[utoipa::path(get, path = "/api/v2/api-key-auth/business/sub/business/{parentID}", tag = "PSP",
    security(("pma-api-key" = [])), params(("parentID" = String, Path)),
    responses((status = 200, body = Envelope<Vec<BusinessView>>), (status = 403, description = "Not your business")))]
pub async fn list_subs(
    State(app): State<App>,
    ApiKey(c): ApiKey,
    PathParams(parent): PathParams<String>,
) -> Reply<Vec<BusinessView>> {
    let list = payplane_app::pumapay::sub_businesses::sub_businesses(&app, &c, &parent).await?;
    ok(
        "Successfully retrieved sub business details.",
        list.iter().map(views::business).collect(),
    )
}

/// The code samples' spelling of "Retrieve All Businesses" (`sub/businesses`).
#[utoipa::path(get, path = "/api/v2/api-key-auth/business/sub/businesses/{parentID}", tag = "PSP",
    security(("pma-api-key" = [])), params(("parentID" = String, Path)),
    responses((status = 200, body = Envelope<Vec<BusinessView>>)))]
pub async fn list_subs_alias(
    state: State<App>,
    key: ApiKey,
    path: PathParams<String>,
) -> Reply<Vec<BusinessView>> {
    list_subs(state, key, path).await
}

#[derive(Deserialize, ToSchema, Default)]
#[serde(default)]
pub struct DisableBody {
    #[serde(rename = "parentID")]
    parent_id: Option<String>,
    #[serde(rename = "businessID")]
    #[schema(required = true, nullable = false, pattern = "\\S")]
    business_id: String,
    /// True disables, false re-enables.
    #[schema(required = true, nullable = false)]
    disabled: Option<bool>,
}

#[derive(Deserialize, Default)]
pub struct ParentQuery {
    #[serde(rename = "parentID")]
    parent_id: Option<String>,
}

/// Disable Business: `disabled: true` makes the sub-business's key unusable (403
/// `error.business.disabled`) and stops its pull payments; `false` re-enables it.
#[utoipa::path(post, path = "/api/v2/api-key-auth/business-control/sub/business/disabled", tag = "PSP",
    security(("pma-api-key" = [])), request_body = DisableBody,
    params(("parentID" = Option<String>, Query)),
    responses((status = 200, body = Envelope<ControlView>), (status = 403, description = "Not your sub-business")))]
pub async fn set_disabled(
    State(app): State<App>,
    ApiKey(c): ApiKey,
    QueryParams(q): QueryParams<ParentQuery>,
    Body(v): Body<Value>,
) -> Reply<ControlView> {
    let body: DisableBody = from_body(v)?;
    let mut errors = vec![];
    required("businessID", &body.business_id, &mut errors);
    if body.disabled.is_none() {
        required("disabled", "", &mut errors);
    }
    check(errors)?;
    let disabled = body.disabled.unwrap_or_default();
    let parent = body
        .parent_id
        .or(q.parent_id)
        .unwrap_or_else(|| c.business_id.clone());
    let b = payplane_app::pumapay::sub_businesses::set_disabled(
        &app,
        &c,
        &parent,
        &body.business_id,
        disabled,
    )
    .await?;
    let msg = if disabled {
        "Successfully disabled the business."
    } else {
        "Successfully enabled the business."
    };
    ok(msg, views::control(&b))
}

/// The code samples' path of "Update Sub Business" (`register/sub/business/{parentID}`).
#[utoipa::path(put, path = "/api/v2/api-key-auth/register/sub/business/{parentID}", tag = "PSP",
    security(("pma-api-key" = [])), params(("parentID" = String, Path)), request_body = SubDetailsBody,
    responses((status = 200, body = Envelope<Updated>)))]
pub async fn update_sub_alias(
    state: State<App>,
    key: ApiKey,
    PathParams(parent): PathParams<String>,
    Body(v): Body<Value>,
) -> Reply<Updated> {
    let mut v = match v {
        Value::Array(mut a) if a.len() == 1 => a.remove(0),
        v => v,
    };
    if let Some(o) = v.as_object_mut() {
        o.entry("parentID").or_insert(Value::String(parent));
    }
    update_sub(state, key, Body(v)).await
}
