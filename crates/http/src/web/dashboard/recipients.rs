//! Recipients: bank accounts a withdrawal can pay, added from the bank directory of the
//! account's currency; each is checked with the payout network (`pending` until the inquiry
//! answers, then `active` or `rejected`), which the page follows live.
use super::accounts::form_error;
use crate::web::csrf::Form;
use crate::web::layout::Layout;
use crate::web::session::UserSession;
use crate::web::{Ctx, WebError, done, page, page_with};
use askama::Template;
use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use payplane_app::App;
use payplane_app::pazemo::accounts;
use payplane_app::pazemo::amounts::Page;
use payplane_app::pazemo::banks::{self, Bank};
use payplane_app::pazemo::beneficiaries::{self, NewBeneficiary};
use payplane_core::kinds::RecipientStatus;
use payplane_store::pazemo::beneficiaries::Beneficiary;
use serde::Deserialize;

pub struct RecipientRow {
    pub id: i64,
    pub name: String,
    pub label: String,
    pub bank: String,
    pub address: String,
    pub currency: String,
    pub status: String,
    pub class: &'static str,
    pub pending: bool,
}

/// The CSS class of a status badge.
pub fn status_class(s: RecipientStatus) -> &'static str {
    match s {
        RecipientStatus::Active => "ok",
        RecipientStatus::Pending => "wait",
        RecipientStatus::Rejected => "bad",
    }
}

pub fn bank_name(id: &str) -> String {
    banks::list(None)
        .into_iter()
        .find(|b| b.id == id)
        .map(|b| b.name)
        .unwrap_or_else(|| id.to_string())
}

pub fn row(b: &Beneficiary, currency: &str) -> RecipientRow {
    RecipientRow {
        id: b.id,
        name: b.name.clone(),
        label: b.label.clone(),
        bank: bank_name(&b.bank_id),
        address: b.address.clone(),
        currency: currency.to_string(),
        status: b.status.to_string(),
        class: status_class(b.status),
        pending: b.status == RecipientStatus::Pending,
    }
}

pub struct AccountChoice {
    pub id: String,
    pub label: String,
    pub selected: bool,
}

pub struct ChosenAccount {
    pub id: String,
    pub currency: String,
}

#[derive(Template)]
#[template(path = "dashboard/recipients.html")]
struct RecipientsPage {
    layout: Layout,
    recipients: Vec<RecipientRow>,
    accounts: Vec<AccountChoice>,
    /// The account a new recipient is added to, once chosen, with its currency's banks.
    chosen: Option<ChosenAccount>,
    banks: Vec<Bank>,
    form: AddForm,
    errors: Vec<String>,
}

#[derive(Deserialize, Default)]
pub struct Chosen {
    account: Option<String>,
}

/// Every recipient of the user in this mode (the directory is small: one page of 100).
pub async fn all(app: &App, d: &UserSession) -> Result<Vec<Beneficiary>, WebError> {
    Ok(beneficiaries::list(
        app,
        &d.principal,
        None,
        Page {
            limit: 100,
            offset: 0,
        },
    )
    .await?)
}

async fn recipients_page(
    app: &App,
    ctx: Ctx,
    d: &UserSession,
    account: Option<&str>,
    form: AddForm,
    errors: Vec<String>,
) -> Result<RecipientsPage, WebError> {
    let accounts = accounts::list(app, &d.principal, &d.user.id).await?;
    let currency_of = |id: &str| {
        accounts
            .iter()
            .find(|a| a.id == id)
            .map(|a| a.currency.clone())
            .unwrap_or_default()
    };
    let recipients = all(app, d)
        .await?
        .iter()
        .map(|b| row(b, &currency_of(&b.account_id)))
        .collect();
    // With one account there is nothing to choose.
    let account = account.or(match accounts.as_slice() {
        [only] => Some(only.id.as_str()),
        _ => None,
    });
    let chosen = account
        .and_then(|id| accounts.iter().find(|a| a.id == id))
        .map(|a| ChosenAccount {
            id: a.id.clone(),
            currency: a.currency.clone(),
        });
    let banks = match &chosen {
        Some(c) => banks::list(c.currency.parse().ok()),
        None => vec![],
    };
    Ok(RecipientsPage {
        layout: Layout::dashboard(ctx, d, "recipients", "Recipients"),
        recipients,
        accounts: accounts
            .iter()
            .map(|a| AccountChoice {
                id: a.id.clone(),
                label: format!("{} account {}", a.currency, a.number),
                selected: chosen.as_ref().is_some_and(|c| c.id == a.id),
            })
            .collect(),
        chosen,
        banks,
        form,
        errors,
    })
}

pub async fn list(
    State(app): State<App>,
    d: UserSession,
    ctx: Ctx,
    Query(q): Query<Chosen>,
) -> Result<Response, WebError> {
    page(
        &recipients_page(
            &app,
            ctx,
            &d,
            q.account.as_deref(),
            AddForm::default(),
            vec![],
        )
        .await?,
    )
}

/// The add-recipient form as sent (shown again when the use case refuses it).
#[derive(Deserialize, Default)]
pub struct AddForm {
    #[serde(default)]
    pub account: String,
    #[serde(default)]
    pub bank: String,
    #[serde(default)]
    pub address: String,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub email: String,
    #[serde(default)]
    pub label: String,
    #[serde(default)]
    pub kind: String,
}

pub async fn add(
    State(app): State<App>,
    d: UserSession,
    ctx: Ctx,
    Form(f): Form<AddForm>,
) -> Result<Response, WebError> {
    let some = |s: &str| Some(s.trim().to_string()).filter(|s| !s.is_empty());
    let req = NewBeneficiary {
        account_id: some(&f.account),
        bank_id: some(&f.bank),
        address: some(&f.address),
        name: some(&f.name),
        email: some(&f.email),
        label: some(&f.label),
        kind: some(&f.kind),
    };
    match beneficiaries::create(&app, &d.principal, req).await {
        Ok(b) => Ok(done(
            &app,
            "/dashboard/recipients",
            &format!("{} was added; the bank is checking the account.", b.name),
        )),
        Err(e) => {
            let account = f.account.clone();
            form_error(e, |errors| async move {
                page_with(
                    StatusCode::BAD_REQUEST,
                    &recipients_page(&app, ctx, &d, Some(&account), f, errors).await?,
                )
            })
            .await
        }
    }
}

pub async fn delete(
    State(app): State<App>,
    d: UserSession,
    Path(id): Path<i64>,
    Form(_): Form<super::login::Empty>,
) -> Result<Response, WebError> {
    beneficiaries::delete(&app, &d.principal, id).await?;
    Ok(done(
        &app,
        "/dashboard/recipients",
        "The recipient was removed.",
    ))
}

/// The recipient's status for `live.js`.
pub async fn status(
    State(app): State<App>,
    d: UserSession,
    Path(id): Path<i64>,
) -> Result<Response, WebError> {
    let b = beneficiaries::get(&app, &d.principal, id).await?;
    Ok(Json(serde_json::json!({
        "status": b.status.to_string(),
        "final": b.status != RecipientStatus::Pending,
        "class": status_class(b.status),
    }))
    .into_response())
}
