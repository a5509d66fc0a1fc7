//! Withdrawals: pick an account and one of its active recipients and an amount; the withdrawal
//! is created `pending` with amount + fee on hold, and its page shows the fee and the total
//! before it is confirmed with the authenticator's code (or cancelled). After confirmation the
//! page follows the status live until `succeeded` or `failed`.
use super::accounts::form_error;
use super::recipients;
use crate::web::csrf::Form;
use crate::web::format;
use crate::web::layout::Layout;
use crate::web::session::UserSession;
use crate::web::{Ctx, WebError, done, page, page_with};
use askama::Template;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use payplane_app::App;
use payplane_app::pazemo::accounts;
use payplane_app::pazemo::auth::Mode;
use payplane_app::pazemo::withdrawals::{self, NewWithdrawal};
use payplane_core::kinds::{RecipientStatus, WithdrawalStatus};
use payplane_store::keyset::Window;
use payplane_store::pazemo::withdrawals::Withdrawal;
use serde::Deserialize;

pub struct Choice {
    pub id: String,
    pub label: String,
    pub selected: bool,
}

pub struct WithdrawalRow {
    pub id: String,
    pub account_id: String,
    pub time: String,
    pub to: String,
    pub amount: String,
    pub fee: String,
    pub currency: String,
    pub status: String,
    pub class: &'static str,
}

pub fn status_class(s: WithdrawalStatus) -> &'static str {
    match s {
        WithdrawalStatus::Succeeded => "ok",
        WithdrawalStatus::Pending | WithdrawalStatus::Processing => "wait",
        WithdrawalStatus::Failed => "bad",
        WithdrawalStatus::Cancelled => "",
    }
}

fn row(w: &Withdrawal) -> WithdrawalRow {
    WithdrawalRow {
        id: w.id.clone(),
        account_id: w.account_id.clone(),
        time: format::time(w.created_at),
        to: format!("{} · {}", w.address_name, w.address),
        amount: format::amount(w.amount, 2),
        fee: format::amount(w.fee_amount, 2),
        currency: w.currency.clone(),
        status: w.status.to_string(),
        class: status_class(w.status),
    }
}

#[derive(Template)]
#[template(path = "dashboard/withdraw.html")]
struct WithdrawPage {
    layout: Layout,
    accounts: Vec<Choice>,
    recipients: Vec<Choice>,
    /// The configured fee of each currency, in words.
    fees: Vec<String>,
    amount: String,
    recent: Vec<WithdrawalRow>,
    errors: Vec<String>,
}

#[derive(Deserialize, Default)]
pub struct WithdrawForm {
    #[serde(default)]
    account: String,
    #[serde(default)]
    recipient: String,
    #[serde(default)]
    amount: String,
    #[serde(default)]
    notes: String,
}

async fn withdraw_page(
    app: &App,
    ctx: Ctx,
    d: &UserSession,
    form: &WithdrawForm,
    errors: Vec<String>,
) -> Result<WithdrawPage, WebError> {
    let accounts = accounts::list(app, &d.principal, &d.user.id).await?;
    let recipients = recipients::all(app, d).await?;
    let mut recent = vec![];
    for a in &accounts {
        let list =
            withdrawals::list(app, &d.principal, &a.id, None, Window::new(10, 0, None)).await?;
        recent.extend(list);
    }
    recent.sort_by_key(|w| std::cmp::Reverse(w.created_at));
    recent.truncate(10);
    let fees = accounts
        .iter()
        .map(|a| {
            let rule = app.config.payouts.fees.get(&a.currency);
            match rule {
                Some(r) if !r.fixed.is_zero() && !r.percent.is_zero() => {
                    format!(
                        "{}: {} {} + {} %",
                        a.currency, r.fixed, a.currency, r.percent
                    )
                }
                Some(r) if !r.percent.is_zero() => format!("{}: {} %", a.currency, r.percent),
                Some(r) => format!("{}: {} {}", a.currency, r.fixed, a.currency),
                None => format!("{}: no fee", a.currency),
            }
        })
        .collect();
    Ok(WithdrawPage {
        layout: Layout::dashboard(ctx, d, "withdraw", "Withdraw"),
        accounts: accounts
            .iter()
            .map(|a| Choice {
                id: a.id.clone(),
                label: format!(
                    "{} account {} · available {}",
                    a.currency,
                    a.number,
                    format::amount(a.available, 2)
                ),
                selected: a.id == form.account,
            })
            .collect(),
        recipients: recipients
            .iter()
            .filter(|b| b.status == RecipientStatus::Active)
            .map(|b| {
                let currency = accounts
                    .iter()
                    .find(|a| a.id == b.account_id)
                    .map(|a| a.currency.as_str())
                    .unwrap_or("");
                Choice {
                    id: b.id.to_string(),
                    label: format!(
                        "{} · {} {} ({currency})",
                        b.name,
                        recipients::bank_name(&b.bank_id),
                        b.address
                    ),
                    selected: b.id.to_string() == form.recipient,
                }
            })
            .collect(),
        fees,
        amount: form.amount.clone(),
        recent: recent.iter().map(row).collect(),
        errors,
    })
}

pub async fn show(State(app): State<App>, d: UserSession, ctx: Ctx) -> Result<Response, WebError> {
    page(&withdraw_page(&app, ctx, &d, &WithdrawForm::default(), vec![]).await?)
}

pub async fn create(
    State(app): State<App>,
    d: UserSession,
    ctx: Ctx,
    Form(f): Form<WithdrawForm>,
) -> Result<Response, WebError> {
    let recipient = f.recipient.trim().parse::<i64>().ok();
    let outcome = match recipient {
        None => Err(payplane_app::AppError::field(
            "beneficiaryId",
            "error.beneficiaryId.required",
            "Choose a recipient",
        )),
        Some(id) => {
            withdrawals::create(
                &app,
                &d.principal,
                &f.account,
                NewWithdrawal {
                    beneficiary_id: Some(id),
                    amount: Some(serde_json::Value::String(f.amount.trim().to_string())),
                    notes: Some(f.notes.clone()).filter(|n| !n.trim().is_empty()),
                    ..NewWithdrawal::default()
                },
            )
            .await
        }
    };
    match outcome {
        Ok(w) => Ok(done(
            &app,
            &format!("/dashboard/withdraw/{}/{}", w.account_id, w.id),
            "Check the fee and the total, then confirm with your authenticator's code.",
        )),
        Err(e) => {
            form_error(e, |errors| async move {
                page_with(
                    StatusCode::BAD_REQUEST,
                    &withdraw_page(&app, ctx, &d, &f, errors).await?,
                )
            })
            .await
        }
    }
}

#[derive(Template)]
#[template(path = "dashboard/withdrawal.html")]
struct WithdrawalPage {
    layout: Layout,
    w: WithdrawalRow,
    total: String,
    network: String,
    failure: String,
    pending: bool,
    moving: bool,
    test_mode: bool,
    errors: Vec<String>,
}

async fn withdrawal_page(
    app: &App,
    ctx: Ctx,
    d: &UserSession,
    account: &str,
    id: &str,
    errors: Vec<String>,
) -> Result<WithdrawalPage, WebError> {
    let w = withdrawals::get(app, &d.principal, account, id).await?;
    Ok(WithdrawalPage {
        layout: Layout::dashboard(ctx, d, "withdraw", "Withdrawal"),
        total: format::amount(w.amount + w.fee_amount, 2),
        network: w.network.clone(),
        failure: w.failure_reason.clone().unwrap_or_default(),
        pending: w.status == WithdrawalStatus::Pending,
        moving: w.status == WithdrawalStatus::Processing,
        test_mode: d.mode() == Mode::Test,
        w: row(&w),
        errors,
    })
}

pub async fn show_one(
    State(app): State<App>,
    d: UserSession,
    ctx: Ctx,
    Path((account, id)): Path<(String, String)>,
) -> Result<Response, WebError> {
    page(&withdrawal_page(&app, ctx, &d, &account, &id, vec![]).await?)
}

#[derive(Deserialize)]
pub struct CodeForm {
    #[serde(default)]
    code: String,
}

pub async fn confirm(
    State(app): State<App>,
    d: UserSession,
    ctx: Ctx,
    Path((account, id)): Path<(String, String)>,
    Form(f): Form<CodeForm>,
) -> Result<Response, WebError> {
    let code = Some(f.code.trim()).filter(|c| !c.is_empty());
    match withdrawals::confirm(&app, &d.principal, &account, &id, code).await {
        Ok(_) => Ok(done(
            &app,
            &format!("/dashboard/withdraw/{account}/{id}"),
            "Confirmed: the withdrawal is on its way to the bank.",
        )),
        Err(e) => {
            form_error(e, |errors| async move {
                page_with(
                    StatusCode::BAD_REQUEST,
                    &withdrawal_page(&app, ctx, &d, &account, &id, errors).await?,
                )
            })
            .await
        }
    }
}

pub async fn cancel(
    State(app): State<App>,
    d: UserSession,
    ctx: Ctx,
    Path((account, id)): Path<(String, String)>,
    Form(f): Form<CodeForm>,
) -> Result<Response, WebError> {
    let code = Some(f.code.trim()).filter(|c| !c.is_empty());
    match withdrawals::cancel(&app, &d.principal, &account, &id, code).await {
        Ok(_) => Ok(done(
            &app,
            &format!("/dashboard/withdraw/{account}/{id}"),
            "Cancelled: the amount and the fee are available again.",
        )),
        Err(e) => {
            form_error(e, |errors| async move {
                page_with(
                    StatusCode::BAD_REQUEST,
                    &withdrawal_page(&app, ctx, &d, &account, &id, errors).await?,
                )
            })
            .await
        }
    }
}

/// The withdrawal's status for `live.js`.
pub async fn status(
    State(app): State<App>,
    d: UserSession,
    Path((account, id)): Path<(String, String)>,
) -> Result<Response, WebError> {
    let w = withdrawals::get(&app, &d.principal, &account, &id).await?;
    let moving = matches!(
        w.status,
        WithdrawalStatus::Pending | WithdrawalStatus::Processing
    );
    Ok(Json(serde_json::json!({
        "status": w.status.to_string(),
        "final": !moving,
        "class": status_class(w.status),
    }))
    .into_response())
}
