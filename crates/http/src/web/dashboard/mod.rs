//! The accounts dashboard, `/dashboard` (seed 000 users): log in, then a sidebar of accounts,
//! recipients, withdrawals, API tokens, two-factor enrolment and webhooks. Every page acts as
//! the logged-in user in the session's mode, through the same use cases as the API.
pub mod accounts;
pub mod login;
pub mod recipients;
pub mod security;
pub mod tokens;
pub mod webhooks;
pub mod withdraw;

use axum::Router;
use axum::response::Redirect;
use axum::routing::{get, post};
use payplane_app::App;

pub fn routes() -> Router<App> {
    Router::new()
        .route(
            "/dashboard",
            get(|| async { Redirect::to("/dashboard/accounts") }),
        )
        .route("/dashboard/login", get(login::show).post(login::submit))
        .route("/dashboard/logout", post(login::logout))
        .route("/dashboard/mode", post(login::switch_mode))
        .route(
            "/dashboard/set-password",
            get(login::set_password_form).post(login::set_password),
        )
        .route(
            "/dashboard/accounts",
            get(accounts::list).post(accounts::open),
        )
        .route("/dashboard/accounts/{id}", get(accounts::show))
        .route("/dashboard/accounts/{id}/deposit", post(accounts::deposit))
        .route(
            "/dashboard/recipients",
            get(recipients::list).post(recipients::add),
        )
        .route(
            "/dashboard/recipients/{id}/delete",
            post(recipients::delete),
        )
        .route("/dashboard/recipients/{id}/status", get(recipients::status))
        .route(
            "/dashboard/withdraw",
            get(withdraw::show).post(withdraw::create),
        )
        .route(
            "/dashboard/withdraw/{account}/{id}",
            get(withdraw::show_one),
        )
        .route(
            "/dashboard/withdraw/{account}/{id}/confirm",
            post(withdraw::confirm),
        )
        .route(
            "/dashboard/withdraw/{account}/{id}/cancel",
            post(withdraw::cancel),
        )
        .route(
            "/dashboard/withdraw/{account}/{id}/status",
            get(withdraw::status),
        )
        .route("/dashboard/tokens", get(tokens::list).post(tokens::create))
        .route("/dashboard/tokens/{id}/revoke", post(tokens::revoke))
        .route("/dashboard/security", get(security::show))
        .route("/dashboard/security/2fa", post(security::begin))
        .route("/dashboard/security/2fa/confirm", post(security::confirm))
        .route(
            "/dashboard/webhooks",
            get(webhooks::show).post(webhooks::add),
        )
        .route("/dashboard/webhooks/test", post(webhooks::test))
        .route("/dashboard/webhooks/{id}/delete", post(webhooks::remove))
        .route("/dashboard/webhooks/{id}/rotate", post(webhooks::rotate))
        .route(
            "/dashboard/webhooks/deliveries/{id}/redeliver",
            post(webhooks::redeliver),
        )
}
