//! Webhooks: the user's endpoints of the session's mode (the signing secret shown once, on
//! creation and rotation), a test event, and the delivery log with redelivery.
use super::accounts::form_error;
use crate::web::csrf::Form;
use crate::web::format;
use crate::web::layout::Layout;
use crate::web::session::UserSession;
use crate::web::{Ctx, WebError, done, page, page_with, reveal};
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use payplane_app::App;
use payplane_app::webhooks::endpoints;
use payplane_store::keyset::Window;
use payplane_store::webhooks::DeliveryFilter;
use serde::Deserialize;

pub struct EndpointRow {
    pub id: String,
    pub url: String,
    pub created: String,
}

pub struct DeliveryRow {
    pub id: String,
    pub url: String,
    pub event: String,
    pub status: String,
    pub class: &'static str,
    pub attempts: i64,
    pub last: String,
    pub created: String,
}

impl DeliveryRow {
    /// A delivery of the log as pages show it, to the endpoint at `url`.
    pub fn of(r: &payplane_store::webhooks::DeliveryRow, url: String) -> DeliveryRow {
        DeliveryRow {
            id: r.id.clone(),
            url,
            event: r.event_kind.clone(),
            status: r.status.clone(),
            class: delivery_class(&r.status),
            attempts: r.attempts,
            last: match (&r.last_status, &r.last_error) {
                (Some(code), _) => format!("HTTP {code}"),
                (None, Some(e)) => e.clone(),
                (None, None) => String::new(),
            },
            created: format::time(r.created_at),
        }
    }
}

/// A secret just made (new endpoint or rotation), shown on this page only.
pub struct Secret {
    pub url: String,
    pub secret: String,
}

const STATUSES: [&str; 4] = ["pending", "delivering", "succeeded", "dead"];

#[derive(Template)]
#[template(path = "dashboard/webhooks.html")]
struct WebhooksPage {
    layout: Layout,
    mode: &'static str,
    endpoints: Vec<EndpointRow>,
    deliveries: Vec<DeliveryRow>,
    redeliver_base: &'static str,
    statuses: [&'static str; 4],
    filter: String,
    secret: Option<Secret>,
    url: String,
    errors: Vec<String>,
}

#[derive(Deserialize, Default)]
pub struct LogQuery {
    #[serde(default)]
    status: String,
}

fn delivery_class(status: &str) -> &'static str {
    match status {
        "succeeded" => "ok",
        "dead" => "bad",
        _ => "wait",
    }
}

/// What the webhooks page shows once after an endpoint is added or its secret rotated:
/// `url secret`.
const REVEALED: &str = "webhook";

async fn webhooks_page(
    app: &App,
    ctx: Ctx,
    d: &UserSession,
    filter: &str,
    url: &str,
    errors: Vec<String>,
) -> Result<WebhooksPage, WebError> {
    let secret = ctx.revealed(REVEALED).and_then(|r| {
        let (url, secret) = r.rsplit_once(' ')?;
        Some(Secret {
            url: url.to_string(),
            secret: secret.to_string(),
        })
    });
    let list = endpoints::list(app, &d.principal).await?;
    let status = STATUSES.iter().find(|s| **s == filter).copied();
    let rows = endpoints::deliveries(
        app,
        &d.principal,
        DeliveryFilter {
            status,
            window: Window::new(50, 0, None),
            ..DeliveryFilter::default()
        },
    )
    .await?;
    let url_of = |id: &str| {
        list.iter()
            .find(|e| e.id == id)
            .map(|e| e.url.clone())
            .unwrap_or_else(|| "(removed or other mode)".into())
    };
    Ok(WebhooksPage {
        layout: Layout::dashboard(ctx, d, "webhooks", "Webhooks"),
        mode: d.mode().as_str(),
        deliveries: rows
            .iter()
            .map(|r| DeliveryRow::of(r, url_of(&r.endpoint_id)))
            .collect(),
        endpoints: list
            .into_iter()
            .map(|e| EndpointRow {
                created: format::time(e.created_at),
                id: e.id,
                url: e.url,
            })
            .collect(),
        redeliver_base: "/dashboard/webhooks/deliveries",
        statuses: STATUSES,
        filter: status.unwrap_or("").to_string(),
        secret,
        url: url.to_string(),
        errors,
    })
}

pub async fn show(
    State(app): State<App>,
    d: UserSession,
    ctx: Ctx,
    Query(q): Query<LogQuery>,
) -> Result<Response, WebError> {
    page(&webhooks_page(&app, ctx, &d, &q.status, "", vec![]).await?)
}

#[derive(Deserialize)]
pub struct AddForm {
    #[serde(default)]
    url: String,
}

pub async fn add(
    State(app): State<App>,
    d: UserSession,
    ctx: Ctx,
    Form(f): Form<AddForm>,
) -> Result<Response, WebError> {
    match endpoints::create(&app, &d.principal, &f.url).await {
        Ok(e) => reveal(
            &app,
            "/dashboard/webhooks",
            "The endpoint is added. Copy its signing secret now: it is not shown again.",
            REVEALED,
            &format!("{} {}", e.url, e.secret),
        ),
        Err(e) => {
            form_error(e, |errors| async move {
                page_with(
                    StatusCode::BAD_REQUEST,
                    &webhooks_page(&app, ctx, &d, "", &f.url, errors).await?,
                )
            })
            .await
        }
    }
}

pub async fn remove(
    State(app): State<App>,
    d: UserSession,
    Path(id): Path<String>,
    Form(_): Form<super::login::Empty>,
) -> Result<Response, WebError> {
    endpoints::delete(&app, &d.principal, &id).await?;
    Ok(done(
        &app,
        "/dashboard/webhooks",
        "The endpoint was removed.",
    ))
}

pub async fn rotate(
    State(app): State<App>,
    d: UserSession,
    Path(id): Path<String>,
    Form(_): Form<super::login::Empty>,
) -> Result<Response, WebError> {
    let e = endpoints::rotate(&app, &d.principal, &id).await?;
    reveal(
        &app,
        "/dashboard/webhooks",
        "A new signing secret is below; the previous one keeps signing for 24 hours.",
        REVEALED,
        &format!("{} {}", e.url, e.secret),
    )
}

pub async fn test(
    State(app): State<App>,
    d: UserSession,
    Form(_): Form<super::login::Empty>,
) -> Result<Response, WebError> {
    endpoints::send_test(&app, &d.principal).await?;
    Ok(done(
        &app,
        "/dashboard/webhooks",
        "A webhook.test event is on its way to your endpoints.",
    ))
}

pub async fn redeliver(
    State(app): State<App>,
    d: UserSession,
    Path(id): Path<String>,
    Form(_): Form<super::login::Empty>,
) -> Result<Response, WebError> {
    endpoints::redeliver(&app, &d.principal, &id).await?;
    Ok(done(
        &app,
        "/dashboard/webhooks",
        "The delivery is queued for another attempt.",
    ))
}
