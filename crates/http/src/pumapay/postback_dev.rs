//! Developer routes of postbacks: the delivery log, redelivery, and a test postback.
use super::auth::ApiKey;
use super::envelope::{Envelope, ListReply, Reply, check, from_body, int, ok, ok_list};
use crate::extract::{Body, PathParams, QueryParams};
use axum::extract::{OriginalUri, State};
use payplane_app::App;
use payplane_app::pumapay::fields::network;
use payplane_app::pumapay::paging::{self, PageQuery, page};
use payplane_app::pumapay::postbacks::developer::{self as uc, LogQuery};
use payplane_store::keyset::Key;
use payplane_store::webhooks::DeliveryRow;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::{IntoParams, ToSchema};

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = PostbackDeliveryView)]
pub struct DeliveryView {
    /// Also the `webhook-id` header of every attempt.
    id: String,
    #[serde(rename = "postbackID")]
    postback_id: String,
    #[serde(rename = "eventID")]
    event_id: String,
    /// `pullpayment.transaction` or `postback.test`.
    event: String,
    /// pending, delivering, succeeded or dead.
    status: String,
    attempts: i64,
    last_status_code: Option<i64>,
    last_error: Option<String>,
    /// Unix seconds.
    created_timestamp: i64,
    delivered_timestamp: Option<i64>,
}

fn view(d: DeliveryRow) -> DeliveryView {
    DeliveryView {
        id: d.id,
        postback_id: d.endpoint_id,
        event_id: d.event_id,
        event: d.event_kind,
        status: d.status,
        attempts: d.attempts,
        last_status_code: d.last_status,
        last_error: d.last_error,
        created_timestamp: d.created_at / 1_000_000,
        delivered_timestamp: d.delivered_at.map(|t| t / 1_000_000),
    }
}

#[derive(Deserialize, IntoParams, Default)]
#[into_params(parameter_in = Query)]
#[serde(default, rename_all = "camelCase")]
pub struct LogParams {
    status: Option<String>,
    event: Option<String>,
    /// Unix seconds, inclusive.
    start_timestamp: Option<i64>,
    end_timestamp: Option<i64>,
    #[param(minimum = 1)]
    page: Option<i64>,
    #[param(minimum = 1, maximum = 100)]
    items_per_page: Option<i64>,
    /// The page after the one whose `Link: <…>; rel="next"` header gave this cursor (`page` is
    /// then not used).
    cursor: Option<String>,
}

/// Postback deliveries of a business, newest first. A full page has a `Link: <…>; rel="next"`
/// header whose `cursor` reads the next one.
#[utoipa::path(get, path = "/api/v2/api-key-auth/business/postback-deliveries/{businessID}", tag = "Postbacks",
    security(("pma-api-key" = [])), params(("businessID" = String, Path), LogParams),
    responses((status = 200, body = Envelope<Vec<DeliveryView>>)))]
pub async fn deliveries(
    State(app): State<App>,
    ApiKey(c): ApiKey,
    PathParams(business): PathParams<String>,
    QueryParams(q): QueryParams<LogParams>,
    OriginalUri(uri): OriginalUri,
) -> ListReply<Vec<DeliveryView>> {
    let mut errors = vec![];
    let p = page(
        &PageQuery {
            page: q.page,
            items_per_page: q.items_per_page,
            order_by: None,
            order_type: None,
        },
        &mut errors,
    );
    let window = paging::window(&p, q.cursor.as_deref(), &mut errors);
    check(errors)?;
    let micros = |s: Option<i64>| s.map(|s| s.saturating_mul(1_000_000));
    let log = LogQuery {
        status: q.status,
        event: q.event,
        from: micros(q.start_timestamp),
        to: q
            .end_timestamp
            .map(|s| s.saturating_mul(1_000_000).saturating_add(999_999)),
        window,
    };
    let rows = uc::deliveries(&app, &c, &business, &log).await?;
    let next = log
        .window
        .next(&rows, |d| Key::new(d.created_at, d.id.as_str()));
    ok_list(
        "Successfully retrieved postback deliveries",
        rows.into_iter().map(view).collect(),
        &uri,
        next,
    )
}

#[derive(Serialize, ToSchema)]
pub struct Scheduled {
    #[serde(rename = "deliveryID")]
    delivery_id: String,
}

/// Send a delivery again now (same `webhook-id`, so receivers dedupe it).
#[utoipa::path(post, path = "/api/v2/api-key-auth/business/postback-deliveries/{businessID}/{deliveryID}/redeliver", tag = "Postbacks",
    security(("pma-api-key" = [])), params(("businessID" = String, Path), ("deliveryID" = String, Path)),
    responses((status = 200, body = Envelope<Scheduled>), (status = 404, description = "No such delivery")))]
pub async fn redeliver(
    State(app): State<App>,
    ApiKey(c): ApiKey,
    PathParams((business, delivery)): PathParams<(String, String)>,
) -> Reply<Scheduled> {
    uc::redeliver(&app, &c, &business, &delivery).await?;
    ok(
        "Successfully scheduled postback redelivery",
        Scheduled {
            delivery_id: delivery,
        },
    )
}

#[derive(Deserialize, ToSchema, Default)]
#[serde(default)]
pub struct TestBody {
    /// 1 or 3.
    #[serde(rename = "networkID")]
    #[schema(value_type = i64, required = true, nullable = false, format = "network-id")]
    network_id: Option<Value>,
    #[serde(rename = "productID")]
    product_id: Option<String>,
    #[serde(rename = "paymentModelID")]
    payment_model_id: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct TestDelivery {
    #[serde(rename = "deliveryID")]
    delivery_id: String,
    #[serde(rename = "postbackID")]
    postback_id: String,
}

#[derive(Serialize, ToSchema)]
#[schema(as = PostbackTestSent)]
pub struct TestSent {
    #[serde(rename = "eventID")]
    event_id: String,
    /// One per postback the routing chose (empty when none applies).
    deliveries: Vec<TestDelivery>,
}

/// Send a test postback: a sample "Postback URL Data" body routed like a real event of the
/// business (optionally of one product or payment model).
#[utoipa::path(post, path = "/api/v2/api-key-auth/business/postback/test/{businessID}", tag = "Postbacks",
    security(("pma-api-key" = [])), params(("businessID" = String, Path)), request_body = TestBody,
    responses((status = 200, body = Envelope<TestSent>)))]
pub async fn test(
    State(app): State<App>,
    ApiKey(c): ApiKey,
    PathParams(business): PathParams<String>,
    Body(v): Body<Value>,
) -> Reply<TestSent> {
    let b: TestBody = from_body(v)?;
    let mut errors = vec![];
    let net = int("networkID", &b.network_id, &mut errors);
    match net {
        Some(n) => network("networkID", n, &mut errors),
        None if errors.is_empty() => errors.push(payplane_app::Detail {
            field: Some("networkID".into()),
            code: "error.field.required".into(),
            message: "networkID is required".into(),
            arguments: vec![],
        }),
        None => {}
    }
    check(errors)?;
    fn nonempty(s: &Option<String>) -> Option<&str> {
        s.as_deref().map(str::trim).filter(|s| !s.is_empty())
    }
    let out = uc::send_test(
        &app,
        &c,
        &business,
        net.unwrap_or(3),
        nonempty(&b.product_id),
        nonempty(&b.payment_model_id),
    )
    .await?;
    ok(
        "Successfully sent test postback",
        TestSent {
            event_id: out.event_id,
            deliveries: out
                .deliveries
                .into_iter()
                .map(|(delivery_id, postback_id)| TestDelivery {
                    delivery_id,
                    postback_id,
                })
                .collect(),
        },
    )
}
