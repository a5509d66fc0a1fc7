//! The operator pages, `/operator` (dashboard users with the admin role): the review queues of
//! businesses (KYC, details, treasury wallet) and payment models with the decisions the CLI
//! makes (`payplane admin business …`, `payplane admin payment-model …`, the same use cases),
//! the ledger check, and work that failed for good (dead jobs and deliveries, redeliverable).
use crate::extract::ClientIp;
use crate::web::csrf::Form;
use crate::web::dashboard::login::Empty;
use crate::web::format;
use crate::web::layout::Layout;
use crate::web::session::OperatorSession;
use crate::web::{Ctx, WebError, done, page};
use askama::Template;
use axum::Router;
use axum::extract::{Path, State};
use axum::response::{Redirect, Response};
use axum::routing::{get, post};
use payplane_app::pumapay::business_operator;
use payplane_app::pumapay::payment_models;
use payplane_app::{App, operator};
use payplane_core::kinds::PaymentModelType;
use std::net::IpAddr;

pub fn routes() -> Router<App> {
    Router::new()
        .route(
            "/operator",
            get(|| async { Redirect::to("/operator/queues") }),
        )
        .route("/operator/queues", get(queues))
        .route("/operator/businesses/{id}/{action}", post(business_action))
        .route("/operator/payment-models/{id}/{action}", post(model_action))
        .route("/operator/ledger", get(ledger))
        .route("/operator/failed", get(failed))
        .route("/operator/deliveries/{id}/redeliver", post(redeliver))
}

/// Where an operator's decision came from, for the audit log.
fn source(ip: IpAddr) -> String {
    format!("web@{ip}")
}

pub struct BusinessRow {
    pub id: String,
    pub name: String,
    pub waiting: Vec<&'static str>,
    /// The decisions that apply: (action, button text).
    pub actions: Vec<(&'static str, &'static str)>,
    pub since: String,
}

pub struct ModelRow {
    pub id: String,
    pub title: String,
    pub business_id: String,
    pub kind: &'static str,
    pub amount: String,
    pub network: i64,
    pub created: String,
}

#[derive(Template)]
#[template(path = "operator/queues.html")]
struct QueuesPage {
    layout: Layout,
    businesses: Vec<BusinessRow>,
    models: Vec<ModelRow>,
}

async fn queues(
    State(app): State<App>,
    d: OperatorSession,
    ctx: Ctx,
) -> Result<Response, WebError> {
    let businesses = operator::businesses_awaiting(&app)
        .await?
        .into_iter()
        .map(|b| {
            let f = &b.flags;
            let kyc = (f.kyc_submitted || f.kyc_requested) && !f.kyc_approved && !f.kyc_rejected;
            let details = f.details_submitted && !f.details_approved;
            let treasury = f.treasury_submitted && !f.treasury_approved;
            let mut waiting = vec![];
            let mut actions = vec![];
            if kyc {
                waiting.push("KYC");
                actions.push(("approve-kyc", "Approve KYC"));
                actions.push(("reject-kyc", "Reject KYC"));
            }
            if details {
                waiting.push("details");
                actions.push(("approve-details", "Approve details"));
            }
            if treasury {
                waiting.push("treasury wallet");
                actions.push(("approve-treasury-wallet", "Approve treasury wallet"));
            }
            BusinessRow {
                name: b
                    .details
                    .business_name
                    .clone()
                    .filter(|n| !n.is_empty())
                    .unwrap_or_else(|| b.company_name.clone()),
                id: b.id,
                waiting,
                actions,
                since: format::time(b.updated_at),
            }
        })
        .collect();
    let models = operator::models_awaiting(&app)
        .await?
        .into_iter()
        .map(|m| ModelRow {
            title: m
                .title
                .clone()
                .or(m.internal_title.clone())
                .unwrap_or_else(|| "(untitled)".into()),
            kind: PaymentModelType::from_id(m.type_id)
                .map(|t| t.name())
                .unwrap_or("unknown type"),
            amount: match (m.amount, &m.currency) {
                (Some(a), Some(c)) => format!("{} {c}", format::amount(a, 2)),
                _ => "set by the business".into(),
            },
            network: m.network_id,
            created: format::time(m.created_at),
            business_id: m.business_id,
            id: m.id,
        })
        .collect();
    page(&QueuesPage {
        layout: Layout::operator(ctx, &d, "queues", "Review queues"),
        businesses,
        models,
    })
}

async fn business_action(
    State(app): State<App>,
    d: OperatorSession,
    ClientIp(ip): ClientIp,
    Path((id, action)): Path<(String, String)>,
    Form(_): Form<Empty>,
) -> Result<Response, WebError> {
    let b = business_operator::operator_action(&app, &d.user.id, &source(ip), &id, &action).await?;
    Ok(done(
        &app,
        "/operator/queues",
        &format!("{}: {action} done.", b.company_name),
    ))
}

async fn model_action(
    State(app): State<App>,
    d: OperatorSession,
    ClientIp(ip): ClientIp,
    Path((id, action)): Path<(String, String)>,
    Form(_): Form<Empty>,
) -> Result<Response, WebError> {
    let m = payment_models::operator_action(&app, &d.user.id, &source(ip), &id, &action).await?;
    Ok(done(
        &app,
        "/operator/queues",
        &format!(
            "Payment model {} is now {}.",
            m.title.unwrap_or(m.id),
            m.status.name().to_lowercase()
        ),
    ))
}

pub struct ViolationRow {
    pub check: String,
    pub detail: String,
}

#[derive(Template)]
#[template(path = "operator/ledger.html")]
struct LedgerPage {
    layout: Layout,
    checked: String,
    violations: Vec<ViolationRow>,
}

/// Runs every ledger invariant now (`payplane admin ledger check`).
async fn ledger(
    State(app): State<App>,
    d: OperatorSession,
    ctx: Ctx,
) -> Result<Response, WebError> {
    let violations = payplane_app::ledger::verify(&app).await?;
    page(&LedgerPage {
        layout: Layout::operator(ctx, &d, "ledger", "Ledger check"),
        checked: format::time(app.now()),
        violations: violations
            .into_iter()
            .map(|v| ViolationRow {
                check: v.check,
                detail: v.detail,
            })
            .collect(),
    })
}

pub struct JobRow {
    pub id: String,
    pub kind: String,
    pub attempts: i64,
    pub error: String,
    pub when: String,
}

pub struct DeliveryRow {
    pub id: String,
    pub owner: String,
    pub url: String,
    pub event: String,
    pub attempts: i64,
    pub last: String,
    pub when: String,
}

#[derive(Template)]
#[template(path = "operator/failed.html")]
struct FailedPage {
    layout: Layout,
    jobs: Vec<JobRow>,
    deliveries: Vec<DeliveryRow>,
}

async fn failed(
    State(app): State<App>,
    d: OperatorSession,
    ctx: Ctx,
) -> Result<Response, WebError> {
    let jobs = operator::dead_jobs(&app)
        .await?
        .into_iter()
        .map(|j| JobRow {
            id: j.id,
            kind: j.kind,
            attempts: j.attempts,
            error: j.last_error.unwrap_or_default(),
            when: format::time(j.updated_at),
        })
        .collect();
    let deliveries = operator::dead_deliveries(&app)
        .await?
        .into_iter()
        .map(|r| DeliveryRow {
            id: r.id,
            owner: r.owner_id,
            url: r.url,
            event: r.event_kind,
            attempts: r.attempts,
            last: match (r.last_status, r.last_error) {
                (Some(code), _) => format!("HTTP {code}"),
                (None, Some(e)) => e,
                (None, None) => String::new(),
            },
            when: format::time(r.updated_at),
        })
        .collect();
    page(&FailedPage {
        layout: Layout::operator(ctx, &d, "failed", "Failed work"),
        jobs,
        deliveries,
    })
}

async fn redeliver(
    State(app): State<App>,
    d: OperatorSession,
    ClientIp(ip): ClientIp,
    Path(id): Path<String>,
    Form(_): Form<Empty>,
) -> Result<Response, WebError> {
    operator::redeliver(&app, &d.user.id, &source(ip), &id).await?;
    Ok(done(
        &app,
        "/operator/failed",
        "The delivery is queued for another attempt.",
    ))
}
