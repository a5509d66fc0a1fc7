//! Developers' tools for postbacks: the business's postback URLs per network (the first one's
//! signing secret shown once), which URL serves the whole business, a product or a payment
//! model, postback-control, a test postback through the real routing, and the delivery log with
//! redelivery (`postbacks`, `postback-control`, the postback developer routes).
use super::onboarding::Choice;
use super::session::BusinessSession;
use crate::web::csrf::Form;
use crate::web::dashboard::login::Empty;
use crate::web::dashboard::webhooks::DeliveryRow;
use crate::web::format;
use crate::web::{WebError, done, reveal};
use axum::extract::{Path, State};
use axum::response::Response;
use payplane_app::pumapay::postbacks::developer::{self, LogQuery};
use payplane_app::pumapay::postbacks::{self, NewPostback, control, links};
use payplane_app::{App, AppError};
use payplane_store::keyset::Window;
use payplane_store::pumapay::postbacks::{Control, Scope};
use serde::Deserialize;

/// What the developers page shows once after a business's first postback: its signing secret.
pub const REVEALED: &str = "postback-secret";

pub struct PostbackRow {
    pub id: String,
    pub url: String,
    pub network: i64,
    /// Whether it receives the business's events on its network.
    pub business_level: bool,
    pub created: String,
}

/// What the developers page shows of postbacks: the URLs, the control switches, the log.
pub struct Postbacks {
    pub rows: Vec<PostbackRow>,
    pub control: Control,
}

pub async fn overview(
    app: &App,
    s: &BusinessSession,
) -> Result<(Postbacks, Vec<DeliveryRow>), WebError> {
    let list = postbacks::list(app, &s.caller(), s.id()).await?;
    let mut rows = vec![];
    for p in &list {
        let linked = links::linked(app, Scope::Business, s.id(), p.network_id).await?;
        rows.push(PostbackRow {
            id: p.endpoint.id.clone(),
            url: p.endpoint.url.clone(),
            network: p.network_id,
            business_level: linked.as_deref() == Some(p.endpoint.id.as_str()),
            created: format::time(p.endpoint.created_at),
        });
    }
    let log = developer::deliveries(
        app,
        &s.caller(),
        s.id(),
        &LogQuery {
            status: None,
            event: None,
            from: None,
            to: None,
            window: Window::new(50, 0, None),
        },
    )
    .await?;
    let url_of = |id: &str| {
        list.iter()
            .find(|p| p.endpoint.id == id)
            .map(|p| p.endpoint.url.clone())
            .unwrap_or_else(|| "(removed)".into())
    };
    let postbacks = Postbacks {
        rows,
        control: control::get(app, &s.caller(), s.id(), None).await?,
    };
    let deliveries = log
        .iter()
        .map(|r| DeliveryRow::of(r, url_of(&r.endpoint_id)))
        .collect();
    Ok((postbacks, deliveries))
}

/// The postback URLs of the business that a product's or model's page may pick from (those of
/// `network`, or all): (id, "url (network)").
pub async fn choices(
    app: &App,
    s: &BusinessSession,
    network: Option<i64>,
) -> Result<Vec<Choice>, WebError> {
    Ok(postbacks::list(app, &s.caller(), s.id())
        .await?
        .into_iter()
        .filter(|p| network.is_none_or(|n| n == p.network_id))
        .map(|p| {
            let name = format!("{} ({})", p.endpoint.url, network_name(p.network_id));
            (p.endpoint.id, name)
        })
        .collect())
}

/// How pages name a network.
pub fn network_name(id: i64) -> &'static str {
    if id == 1 { "mainnet" } else { "test network" }
}

#[derive(Deserialize)]
pub struct AddForm {
    #[serde(default)]
    url: String,
    #[serde(default)]
    network: String,
}

pub async fn add(
    State(app): State<App>,
    s: BusinessSession,
    Form(f): Form<AddForm>,
) -> Result<Response, WebError> {
    let network_id = match f.network.as_str() {
        "1" => 1,
        _ => 3,
    };
    let input = NewPostback {
        business_id: s.id().to_string(),
        url: f.url.trim().to_string(),
        headers: vec![],
        network_id,
    };
    let created = postbacks::create(&app, &s.caller(), input).await?;
    let message = format!(
        "The postback URL {} is added.",
        created.postback.endpoint.url
    );
    match created.new_secret {
        Some(secret) => reveal(&app, "/console/developers", &message, REVEALED, &secret),
        None => Ok(done(&app, "/console/developers", &message)),
    }
}

pub async fn remove(
    State(app): State<App>,
    s: BusinessSession,
    Path(id): Path<String>,
    Form(_): Form<Empty>,
) -> Result<Response, WebError> {
    postbacks::delete(&app, &s.caller(), s.id(), &id).await?;
    Ok(done(
        &app,
        "/console/developers",
        "The postback URL is removed.",
    ))
}

pub async fn for_business(
    State(app): State<App>,
    s: BusinessSession,
    Path(id): Path<String>,
    Form(_): Form<Empty>,
) -> Result<Response, WebError> {
    links::set_business(&app, &s.caller(), s.id(), &id).await?;
    Ok(done(
        &app,
        "/console/developers",
        "This URL now receives the business's postbacks on its network.",
    ))
}

#[derive(Deserialize)]
pub struct LinkForm {
    #[serde(default)]
    postback: String,
}

pub async fn for_product(
    State(app): State<App>,
    s: BusinessSession,
    Path(product): Path<String>,
    Form(f): Form<LinkForm>,
) -> Result<Response, WebError> {
    links::set_product(&app, &s.caller(), s.id(), &product, &f.postback).await?;
    Ok(done(
        &app,
        &format!("/console/products/{product}"),
        "The product's postbacks go to this URL.",
    ))
}

pub async fn for_model(
    State(app): State<App>,
    s: BusinessSession,
    Path((network, model)): Path<(i64, String)>,
    Form(f): Form<LinkForm>,
) -> Result<Response, WebError> {
    links::set_model(&app, &s.caller(), s.id(), &model, &f.postback).await?;
    Ok(done(
        &app,
        &format!("/console/models/{network}/{model}"),
        "The payment model's postbacks go to this URL.",
    ))
}

/// Checkboxes: present when ticked.
#[derive(Deserialize)]
pub struct ControlForm {
    product: Option<String>,
    payment_model: Option<String>,
    business: Option<String>,
    parent_business: Option<String>,
}

pub async fn set_control(
    State(app): State<App>,
    s: BusinessSession,
    Form(f): Form<ControlForm>,
) -> Result<Response, WebError> {
    let wanted = Control {
        product: f.product.is_some(),
        payment_model: f.payment_model.is_some(),
        business: f.business.is_some(),
        parent_business: f.parent_business.is_some(),
    };
    control::set(&app, &s.caller(), s.id(), None, |_| wanted).await?;
    Ok(done(
        &app,
        "/console/developers",
        "Postback control is saved.",
    ))
}

#[derive(Deserialize)]
pub struct TestForm {
    #[serde(default)]
    network: String,
}

pub async fn test(
    State(app): State<App>,
    s: BusinessSession,
    Form(f): Form<TestForm>,
) -> Result<Response, WebError> {
    let network = if f.network == "1" { 1 } else { 3 };
    let sent = developer::send_test(&app, &s.caller(), s.id(), network, None, None).await?;
    if sent.deliveries.is_empty() {
        return Err(AppError::conflict(
            "error.postback.none",
            "No postback URL receives this business's events on that network: add one first.",
        )
        .into());
    }
    Ok(done(
        &app,
        "/console/developers",
        &format!(
            "A test postback (postback.test) is on its way to {} URL(s).",
            sent.deliveries.len()
        ),
    ))
}

pub async fn redeliver(
    State(app): State<App>,
    s: BusinessSession,
    Path(id): Path<String>,
    Form(_): Form<Empty>,
) -> Result<Response, WebError> {
    developer::redeliver(&app, &s.caller(), s.id(), &id).await?;
    Ok(done(
        &app,
        "/console/developers",
        "The delivery is sent again.",
    ))
}
