//! The accounts dashboard, `/dashboard` (seed 000 users): log in, then a sidebar of accounts,
//! recipients, withdrawals, API tokens, two-factor enrolment and webhooks. Every page acts as
//! the logged-in user in the session's mode, through the same use cases as the API.
pub mod accounts;
pub mod login;

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
}
