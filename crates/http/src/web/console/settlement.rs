//! Fiat settlement: the settlement balance per currency on a network (accrued from the pulls of
//! Kemix models), creating a settlement once the balance reaches the threshold, and the
//! settlements with their statements (`settlements/balance`, `settlements`, the settlement
//! statement link). See docs/settlement.md.
use super::session::BusinessSession;
use crate::web::csrf::Form;
use crate::web::dashboard::accounts::form_error;
use crate::web::layout::Layout;
use crate::web::{Ctx, WebError, done, page, page_with};
use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use payplane_app::App;
use payplane_app::config::SETTLEMENT_CURRENCIES;
use payplane_app::pumapay::settlement::{self, ListQuery, money};
use serde::Deserialize;

pub struct BalanceRow {
    pub currency: String,
    pub available: String,
    pub pending: String,
    pub settled: String,
    pub threshold: String,
    pub ready: bool,
}

pub struct SettlementRow {
    pub reference_no: i64,
    pub currency: String,
    pub status: String,
    pub class: &'static str,
    pub total: String,
    pub fee: String,
    pub net: String,
    pub pulls: i64,
    pub created: String,
    pub statement: String,
}

#[derive(Template)]
#[template(path = "console/settlement.html")]
struct SettlementPage {
    layout: Layout,
    network: String,
    balances: Vec<BalanceRow>,
    settlements: Vec<SettlementRow>,
    errors: Vec<String>,
}

#[derive(Deserialize, Default)]
pub struct NetworkQuery {
    #[serde(default)]
    network: String,
}

/// `1` (mainnet) or `3` (test network, the default).
fn network_of(v: &str) -> &'static str {
    if v.trim() == "1" { "1" } else { "3" }
}

async fn settlement_page(
    app: &App,
    ctx: Ctx,
    s: &BusinessSession,
    network: &'static str,
    errors: Vec<String>,
) -> Result<SettlementPage, WebError> {
    let mut balances = vec![];
    for c in SETTLEMENT_CURRENCIES {
        let b = settlement::balance(app, &s.caller(), s.id(), c, Some(network)).await?;
        balances.push(BalanceRow {
            available: money(b.available, &b.currency),
            pending: money(b.pending, &b.currency),
            settled: money(b.settled, &b.currency),
            threshold: money(b.threshold, &b.currency),
            ready: b.available >= b.threshold && b.available > 0,
            currency: b.currency,
        });
    }
    let q = ListQuery {
        network_id: Some(network.into()),
        items_per_page: Some("50".into()),
        ..ListQuery::default()
    };
    let list = settlement::list(app, &s.caller(), s.id(), q).await?;
    Ok(SettlementPage {
        layout: Layout::console(ctx, s, "settlement", "Settlement"),
        network: network.into(),
        balances,
        settlements: list
            .into_iter()
            .map(|v| {
                let status = format!("{:?}", v.status).to_lowercase();
                SettlementRow {
                    class: match status.as_str() {
                        "settled" => "ok",
                        "pending" => "wait",
                        _ => "bad",
                    },
                    reference_no: v.reference_no,
                    total: money(v.total_fiat_amount, &v.currency),
                    fee: money(v.fee_amount, &v.currency),
                    net: money(v.net_fiat_amount, &v.currency),
                    pulls: v.transaction_count,
                    created: v.created_at.replace('T', " ").chars().take(16).collect(),
                    statement: v.document_path,
                    currency: v.currency,
                    status,
                }
            })
            .collect(),
        errors,
    })
}

pub async fn show(
    State(app): State<App>,
    s: BusinessSession,
    ctx: Ctx,
    Query(q): Query<NetworkQuery>,
) -> Result<Response, WebError> {
    page(&settlement_page(&app, ctx, &s, network_of(&q.network), vec![]).await?)
}

#[derive(Deserialize)]
pub struct CreateForm {
    #[serde(default)]
    currency: String,
    #[serde(default)]
    network: String,
}

pub async fn create(
    State(app): State<App>,
    s: BusinessSession,
    ctx: Ctx,
    Form(f): Form<CreateForm>,
) -> Result<Response, WebError> {
    let network = network_of(&f.network);
    match settlement::create(&app, &s.caller(), s.id(), &f.currency, Some(network)).await {
        Ok(v) => Ok(done(
            &app,
            &format!("/console/settlement?network={network}"),
            &format!(
                "Settlement {} of {} is created.",
                v.reference_no,
                money(v.net_fiat_amount, &v.currency)
            ),
        )),
        Err(e) => {
            form_error(e, |errors| async move {
                page_with(
                    StatusCode::BAD_REQUEST,
                    &settlement_page(&app, ctx, &s, network, errors).await?,
                )
            })
            .await
        }
    }
}
