//! The pull-payment face (seed 004), served under `/api/v2`, business side.
pub mod admin;
pub mod auth;
pub mod business;
pub mod console;
pub mod envelope;
pub mod network;
pub mod pay_page;
pub mod payment_models;
pub mod postback_control;
pub mod postback_dev;
pub mod postback_links;
pub mod postbacks;
pub mod products;
pub mod psp;
pub mod pull_payment_actions;
pub mod pull_payment_requests;
pub mod pull_payments;
pub mod settlement_account;
pub mod settlements;
pub mod transactions;
pub mod views;

use payplane_app::App;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn routes() -> OpenApiRouter<App> {
    OpenApiRouter::new()
        .routes(routes!(console::register))
        .routes(routes!(console::login))
        .routes(routes!(console::logout))
        .routes(routes!(console::generate_key))
        .routes(routes!(console::get_key))
        .routes(routes!(business::get_business))
        .routes(routes!(business::get_control))
        .routes(routes!(business::get_details, business::update_details))
        .routes(routes!(business::assign_treasury))
        .routes(routes!(business::confirm_treasury))
        .routes(routes!(psp::create_sub))
        .routes(routes!(psp::update_sub))
        .routes(routes!(psp::update_sub_alias))
        .routes(routes!(psp::list_subs))
        .routes(routes!(psp::list_subs_alias))
        .routes(routes!(psp::set_disabled))
        .routes(routes!(products::categories))
        .routes(routes!(products::create))
        .routes(routes!(products::list))
        .routes(routes!(products::single))
        .routes(routes!(products::update))
        .routes(routes!(products::hide))
        .routes(routes!(products::image))
        .routes(routes!(payment_models::create))
        .routes(routes!(payment_models::list))
        .routes(routes!(payment_models::single))
        .routes(routes!(payment_models::single_alias))
        .routes(routes!(pull_payments::list))
        .routes(routes!(pull_payments::single))
        .routes(routes!(pull_payments::single_alias))
        .routes(routes!(transactions::report))
        .routes(routes!(transactions::of_pull_payment))
        .routes(routes!(transactions::by_hash))
        .routes(routes!(admin::business_action))
        .routes(routes!(admin::payment_model_action))
        .routes(routes!(admin::product_action))
        .routes(routes!(admin::advance_test_clock))
        .routes(routes!(admin::settlement_action))
        .routes(routes!(network::rpc))
        .routes(routes!(network::faucet))
        .routes(routes!(pull_payment_requests::qr))
        .routes(routes!(
            pull_payment_requests::read,
            pull_payment_requests::sign
        ))
        .routes(routes!(pull_payment_requests::status))
        .routes(routes!(
            pull_payment_requests::cancel_data,
            pull_payment_requests::cancel
        ))
        .routes(routes!(postbacks::create, postbacks::update))
        .routes(routes!(postbacks::get_one, postbacks::delete))
        .routes(routes!(postbacks::list))
        .routes(routes!(postbacks::rotate_secret))
        .routes(routes!(postback_links::set_product))
        .routes(routes!(postback_links::remove_product))
        .routes(routes!(postback_links::set_model))
        .routes(routes!(postback_links::remove_model))
        .routes(routes!(postback_links::set_business))
        .routes(routes!(postback_links::remove_business))
        .routes(routes!(postback_links::set_parent))
        .routes(routes!(postback_links::remove_parent))
        .routes(routes!(postback_control::set))
        // The same without the trailing slash; left out of the OpenAPI document, where both
        // spellings would be one operation.
        .route(
            "/api/v2/api-key-auth/business/postback-control",
            axum::routing::put(postback_control::set),
        )
        .routes(routes!(postback_control::set_stray))
        .routes(routes!(postback_control::get))
        .routes(routes!(postback_dev::deliveries))
        .routes(routes!(postback_dev::redeliver))
        .routes(routes!(postback_dev::test))
        .routes(routes!(pull_payment_actions::top_up))
        .routes(routes!(pull_payment_actions::stop))
        .routes(routes!(pull_payment_actions::stop_alias))
        .routes(routes!(settlements::create))
        .routes(routes!(settlements::total))
        .routes(routes!(settlements::all))
        .routes(routes!(settlements::transactions))
        .routes(routes!(settlements::qr))
        .routes(routes!(settlements::statement_keyed))
        .routes(routes!(settlements::statement_public))
        .routes(routes!(settlement_account::put))
        .routes(routes!(settlement_account::list))
        .routes(routes!(settlement_account::delete))
}
