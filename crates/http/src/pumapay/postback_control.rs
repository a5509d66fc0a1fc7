//! Postback-control: switch postback levels on or off per business and network.
use super::auth::ApiKey;
use super::envelope::{Envelope, Reply, check, from_body, ok, required};
use crate::extract::{Body, PathParams, QueryParams};
use axum::extract::State;
use payplane_app::pumapay::postbacks::{control as uc, input};
use payplane_app::{App, AppError};
use payplane_store::pumapay::postbacks::Control;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::{IntoParams, ToSchema};

/// S-PostbackControl.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = PostbackControlView)]
pub struct ControlView {
    #[serde(rename = "businessID")]
    business_id: String,
    product: bool,
    payment_model: bool,
    business: bool,
    parent_business: bool,
    /// The network these switches are for; null = every network.
    #[serde(rename = "networkID")]
    network_id: Option<i64>,
}

fn view(business_id: &str, network_id: Option<i64>, c: Control) -> ControlView {
    ControlView {
        business_id: business_id.into(),
        product: c.product,
        payment_model: c.payment_model,
        business: c.business,
        parent_business: c.parent_business,
        network_id,
    }
}

/// `networkID` (1 or 3) or `environment` (Ropsten or Mainnet); neither = every network.
fn network(
    network_id: Option<&Value>,
    environment: Option<&Value>,
) -> Result<Option<i64>, AppError> {
    // Each one given is checked; `networkID` wins when both are.
    let mut errors = vec![];
    let mut read = |field, v: Option<&Value>| {
        v.filter(|v| !v.is_null())
            .and_then(|v| input::environment(field, Some(v), &mut errors))
    };
    let n = read("networkID", network_id);
    let e = read("environment", environment);
    check(errors)?;
    Ok(n.or(e))
}

#[derive(Deserialize, ToSchema, Default)]
#[serde(default)]
pub struct ControlBody {
    /// The business (`BusinessControlBody`); the other path names it in the path.
    #[serde(rename = "businessID")]
    #[schema(ignore)]
    business_id: String,
    /// Each switch: true/false (or "true"/"false"); an absent switch keeps its value.
    #[schema(value_type = Option<bool>, format = "switch")]
    product: Option<Value>,
    #[serde(rename = "paymentModel")]
    #[schema(value_type = Option<bool>, format = "switch")]
    payment_model: Option<Value>,
    #[schema(value_type = Option<bool>, format = "switch")]
    business: Option<Value>,
    #[serde(rename = "parentBusiness")]
    #[schema(value_type = Option<bool>, format = "switch")]
    parent_business: Option<Value>,
    /// 1 or 3 (or Ropsten, Mainnet); absent (the document's body) = both networks.
    #[serde(rename = "networkID")]
    #[schema(value_type = Option<i64>, format = "environment")]
    network_id: Option<Value>,
    /// The same as `networkID`, by name.
    #[schema(value_type = Option<String>, format = "environment")]
    environment: Option<Value>,
}

async fn put(
    app: App,
    c: payplane_app::pumapay::access::Caller,
    v: Value,
    path_business: Option<String>,
) -> Reply<ControlView> {
    let mut b: ControlBody = from_body(v)?;
    if let Some(id) = path_business {
        b.business_id = id;
    }
    let mut errors = vec![];
    required("businessID", &b.business_id, &mut errors);
    // Validate the switches before touching anything.
    for (f, v) in [
        ("product", &b.product),
        ("paymentModel", &b.payment_model),
        ("business", &b.business),
        ("parentBusiness", &b.parent_business),
    ] {
        input::switch(f, v.as_ref(), true, &mut errors);
    }
    check(errors)?;
    let net = network(b.network_id.as_ref(), b.environment.as_ref())?;
    let c2 = uc::set(&app, &c, b.business_id.trim(), net, |cur| {
        let mut ignore = vec![];
        Control {
            product: input::switch("product", b.product.as_ref(), cur.product, &mut ignore),
            payment_model: input::switch(
                "paymentModel",
                b.payment_model.as_ref(),
                cur.payment_model,
                &mut ignore,
            ),
            business: input::switch("business", b.business.as_ref(), cur.business, &mut ignore),
            parent_business: input::switch(
                "parentBusiness",
                b.parent_business.as_ref(),
                cur.parent_business,
                &mut ignore,
            ),
        }
    })
    .await?;
    ok(
        "Successfully updated postback control",
        view(b.business_id.trim(), net, c2),
    )
}

/// The body of the `business/postback-control/` path: the switches of `ControlBody` and the
/// business they are for. (For the document: the handler reads a `ControlBody`.)
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct BusinessControlBody {
    #[schema(rename = "businessID", pattern = "\\S")]
    business_id: String,
    #[serde(flatten)]
    switches: ControlBody,
}

/// Create/Update Postback Notification (postback-control).
#[utoipa::path(put, path = "/api/v2/api-key-auth/business/postback-control/", tag = "Postbacks",
    security(("pma-api-key" = [])), request_body = BusinessControlBody,
    responses((status = 200, body = Envelope<ControlView>), (status = 403, description = "Not your business")))]
pub async fn set(
    State(app): State<App>,
    ApiKey(c): ApiKey,
    Body(v): Body<Value>,
) -> Reply<ControlView> {
    put(app, c, v, None).await
}

/// The stray path printed beside Top Up Payment: postback-control of the business in the path.
#[utoipa::path(put, path = "/api/v2/api-key-auth/postback-control/{business_id}", tag = "Postbacks",
    security(("pma-api-key" = [])), params(("business_id" = String, Path)), request_body = ControlBody,
    responses((status = 200, body = Envelope<ControlView>)))]
pub async fn set_stray(
    State(app): State<App>,
    ApiKey(c): ApiKey,
    PathParams(business): PathParams<String>,
    Body(v): Body<Value>,
) -> Reply<ControlView> {
    put(app, c, v, Some(business)).await
}

#[derive(Deserialize, IntoParams, Default)]
#[into_params(parameter_in = Query)]
#[serde(default)]
pub struct NetworkQuery {
    /// 1 or 3 (or Ropsten, Mainnet); absent = every network (a switch is on only if on for both).
    #[serde(rename = "networkID")]
    #[param(format = "environment")]
    network_id: Option<String>,
    /// The same as `networkID`, by name.
    #[param(format = "environment")]
    environment: Option<String>,
}

/// Retrieve All Postback Controls for a Business (one object).
#[utoipa::path(get, path = "/api/v2/api-key-auth/business/postback-control/{business_id}", tag = "Postbacks",
    security(("pma-api-key" = [])), params(("business_id" = String, Path), NetworkQuery),
    responses((status = 200, body = Envelope<ControlView>)))]
pub async fn get(
    State(app): State<App>,
    ApiKey(c): ApiKey,
    PathParams(business): PathParams<String>,
    QueryParams(q): QueryParams<NetworkQuery>,
) -> Reply<ControlView> {
    let n = q.network_id.map(Value::String);
    let e = q.environment.map(Value::String);
    let net = network(n.as_ref(), e.as_ref())?;
    let ctl = uc::get(&app, &c, &business, net).await?;
    ok(
        "Successfully retrieved business postback control",
        view(&business, net, ctl),
    )
}
