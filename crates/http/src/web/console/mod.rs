//! The Business Console, `/console` (seed 004 businesses): register, log in with the console
//! credentials, then a sidebar of onboarding (the control flags, details, treasury wallet),
//! developers' tools (the API key, postbacks), products with their payment models and QR codes, pull payments and
//! transactions, the earnings chart, PSP sub-businesses and fiat settlement. Every
//! page acts as the session's business through the same use cases as the API, so it shows only
//! what that business's API key could read.
pub mod developers;
pub mod earnings;
pub mod login;
pub mod models;
pub mod onboarding;
pub mod payments;
pub mod postbacks;
pub mod products;
pub mod psp;
pub mod session;
pub mod settlement;

use axum::Router;
use axum::response::Redirect;
use axum::routing::{get, post};
use payplane_app::App;

pub fn routes() -> Router<App> {
    Router::new()
        .route(
            "/console",
            get(|| async { Redirect::to("/console/onboarding") }),
        )
        .route(
            "/console/register",
            get(login::register_form).post(login::register),
        )
        .route("/console/login", get(login::show).post(login::submit))
        .route("/console/logout", post(login::logout))
        .route("/console/onboarding", get(onboarding::show))
        .route("/console/onboarding/details", post(onboarding::details))
        .route("/console/onboarding/treasury", post(onboarding::treasury))
        .route(
            "/console/onboarding/treasury/confirm",
            post(onboarding::confirm_treasury),
        )
        .route("/console/developers", get(developers::show))
        .route("/console/developers/key", post(developers::generate))
        .route("/console/developers/postbacks", post(postbacks::add))
        .route(
            "/console/developers/postbacks/{id}/delete",
            post(postbacks::remove),
        )
        .route(
            "/console/developers/postbacks/{id}/business",
            post(postbacks::for_business),
        )
        .route("/console/developers/control", post(postbacks::set_control))
        .route("/console/developers/test", post(postbacks::test))
        .route(
            "/console/developers/deliveries/{id}/redeliver",
            post(postbacks::redeliver),
        )
        .route(
            "/console/products/{id}/postback",
            post(postbacks::for_product),
        )
        .route(
            "/console/models/{network}/{id}/postback",
            post(postbacks::for_model),
        )
        .route(
            "/console/products",
            get(products::list).post(products::create),
        )
        .route("/console/products/{id}", get(products::show))
        .route("/console/products/{id}/models", post(models::create))
        .route("/console/models/{network}/{id}", get(models::show))
        .route("/console/earnings", get(earnings::show))
        .route("/console/payments", get(payments::list))
        .route("/console/payments/{id}", get(payments::show))
        .route("/console/transactions", get(payments::transactions))
        .route("/console/transactions/{hash}", get(payments::by_hash))
        .route("/console/businesses", get(psp::list).post(psp::create))
        .route("/console/businesses/{id}/disable", post(psp::disable))
        .route("/console/businesses/{id}/enable", post(psp::enable))
        .route(
            "/console/settlement",
            get(settlement::show).post(settlement::create),
        )
        .route("/console/models/{network}/{id}/qr", post(models::qr))
}
