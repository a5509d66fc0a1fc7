//! Accounts: each with its balance and locked amount, opening one per currency, an account's
//! ledger history, and (test mode) sandbox deposits.
use crate::web::csrf::Form;
use crate::web::format;
use crate::web::layout::Layout;
use crate::web::session::UserSession;
use crate::web::{Ctx, WebError, done, messages, page, page_with};
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use payplane_app::pazemo::accounts::{self, NewAccount};
use payplane_app::pazemo::auth::Mode;
use payplane_app::{App, AppError, ErrorKind};
use payplane_core::money::ACCOUNT_CURRENCIES;
use payplane_store::keyset::Window;
use payplane_store::pazemo::accounts::Account;
use serde::Deserialize;

/// An account as the pages show it.
pub struct AccountRow {
    pub id: String,
    pub currency: String,
    pub number: String,
    /// Ledger balance including what is locked.
    pub balance: String,
    /// Held by open withdrawals with their fees.
    pub locked: String,
    pub available: String,
}

pub fn row(a: &Account) -> AccountRow {
    let units = a
        .currency
        .parse()
        .map(|c: payplane_core::Currency| c.minor_units())
        .unwrap_or(2);
    AccountRow {
        id: a.id.clone(),
        currency: a.currency.clone(),
        number: a.number.clone(),
        balance: format::amount(a.available + a.held, units),
        locked: format::amount(a.held, units),
        available: format::amount(a.available, units),
    }
}

#[derive(Template)]
#[template(path = "dashboard/accounts.html")]
struct AccountsPage {
    layout: Layout,
    accounts: Vec<AccountRow>,
    /// Currencies without an account in this mode yet.
    missing: Vec<&'static str>,
    errors: Vec<String>,
}

async fn accounts_page(
    app: &App,
    ctx: Ctx,
    d: &UserSession,
    errors: Vec<String>,
) -> Result<AccountsPage, WebError> {
    let list = accounts::list(app, &d.principal, &d.user.id).await?;
    let missing = ACCOUNT_CURRENCIES
        .iter()
        .map(|c| c.code())
        .filter(|c| !list.iter().any(|a| a.currency == *c))
        .collect();
    Ok(AccountsPage {
        layout: Layout::dashboard(ctx, d, "accounts", "Accounts"),
        accounts: list.iter().map(row).collect(),
        missing,
        errors,
    })
}

pub async fn list(State(app): State<App>, d: UserSession, ctx: Ctx) -> Result<Response, WebError> {
    page(&accounts_page(&app, ctx, &d, vec![]).await?)
}

#[derive(Deserialize)]
pub struct OpenForm {
    #[serde(default)]
    currency: String,
}

pub async fn open(
    State(app): State<App>,
    d: UserSession,
    ctx: Ctx,
    Form(f): Form<OpenForm>,
) -> Result<Response, WebError> {
    let req = NewAccount {
        currency: Some(f.currency.clone()),
        number: None,
    };
    match accounts::create(&app, &d.principal, req).await {
        Ok(a) => Ok(done(
            &app,
            &format!("/dashboard/accounts/{}", a.id),
            &format!("Your {} account is open.", a.currency),
        )),
        Err(e) => {
            form_error(e, |errors| async move {
                page_with(
                    StatusCode::BAD_REQUEST,
                    &accounts_page(&app, ctx, &d, errors).await?,
                )
            })
            .await
        }
    }
}

/// Shows a use case's refusal on the form's page (a 4xx other than 404), or fails the page.
pub async fn form_error<F, Fut>(e: AppError, show: F) -> Result<Response, WebError>
where
    F: FnOnce(Vec<String>) -> Fut,
    Fut: std::future::Future<Output = Result<Response, WebError>>,
{
    match e.kind {
        ErrorKind::Internal | ErrorKind::Unavailable | ErrorKind::NotFound => Err(e.into()),
        _ => show(messages(&e)).await,
    }
}

/// A ledger transaction of an account as the page shows it.
pub struct TxnRow {
    pub kind: String,
    pub reference: String,
    pub time: String,
    pub amount: String,
    pub locked: String,
}

#[derive(Template)]
#[template(path = "dashboard/account.html")]
struct AccountPage {
    layout: Layout,
    account: AccountRow,
    test_mode: bool,
    txns: Vec<TxnRow>,
    page: i64,
    more: bool,
    errors: Vec<String>,
}

#[derive(Deserialize, Default)]
pub struct PageQuery {
    page: Option<i64>,
}

const PAGE_SIZE: i64 = 25;

async fn account_page(
    app: &App,
    ctx: Ctx,
    d: &UserSession,
    id: &str,
    page_no: i64,
    errors: Vec<String>,
) -> Result<AccountPage, WebError> {
    let a = accounts::get(app, &d.principal, &d.user.id, id).await?;
    let units = accounts::currency_of(&a)?.minor_units();
    let page_no = page_no.max(1);
    // One more than a page tells whether there is a next page.
    let list = accounts::transactions(
        app,
        &d.principal,
        &d.user.id,
        id,
        Window::new(PAGE_SIZE + 1, (page_no - 1) * PAGE_SIZE, None),
    )
    .await?;
    let more = list.len() as i64 > PAGE_SIZE;
    let txns = list
        .iter()
        .take(PAGE_SIZE as usize)
        .map(|t| TxnRow {
            kind: t.kind.clone(),
            reference: t.reference.clone(),
            time: format::time(t.created_at),
            amount: format::amount(t.available_change + t.held_change, units),
            locked: format::amount(t.held_change, units),
        })
        .collect();
    Ok(AccountPage {
        layout: Layout::dashboard(ctx, d, "accounts", &format!("{} account", a.currency)),
        account: row(&a),
        test_mode: d.mode() == Mode::Test,
        txns,
        page: page_no,
        more,
        errors,
    })
}

pub async fn show(
    State(app): State<App>,
    d: UserSession,
    ctx: Ctx,
    Path(id): Path<String>,
    Query(q): Query<PageQuery>,
) -> Result<Response, WebError> {
    page(&account_page(&app, ctx, &d, &id, q.page.unwrap_or(1), vec![]).await?)
}

#[derive(Deserialize)]
pub struct DepositForm {
    #[serde(default)]
    amount: String,
    #[serde(default)]
    reference: String,
}

pub async fn deposit(
    State(app): State<App>,
    d: UserSession,
    ctx: Ctx,
    Path(id): Path<String>,
    Form(f): Form<DepositForm>,
) -> Result<Response, WebError> {
    let amount = serde_json::Value::String(f.amount.trim().to_string());
    let reference = Some(f.reference.trim().to_string()).filter(|r| !r.is_empty());
    match accounts::sandbox_deposit(&app, &d.principal, &id, Some(&amount), reference).await {
        Ok(a) => Ok(done(
            &app,
            &format!("/dashboard/accounts/{id}"),
            &format!("Deposited {} {}.", f.amount.trim(), a.currency),
        )),
        Err(e) => {
            form_error(e, |errors| async move {
                page_with(
                    StatusCode::BAD_REQUEST,
                    &account_page(&app, ctx, &d, &id, 1, errors).await?,
                )
            })
            .await
        }
    }
}
