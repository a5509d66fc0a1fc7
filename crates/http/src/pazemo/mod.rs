//! The accounts-and-payouts face (seed 000), served at the root.
pub mod accounts;
pub mod beneficiaries;
mod common;
pub mod health;
pub mod me;
pub mod quotes;
pub mod users;
pub mod webhooks;
pub mod withdrawals;

use payplane_app::App;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn routes() -> OpenApiRouter<App> {
    OpenApiRouter::new()
        .routes(routes!(health::ping))
        .routes(routes!(health::check))
        .routes(routes!(health::ping_queue))
        .routes(routes!(users::me))
        .routes(routes!(users::get_user))
        .routes(routes!(users::list_tokens, users::create_token))
        .routes(routes!(users::revoke_token))
        .routes(routes!(webhooks::list, webhooks::create))
        .routes(routes!(webhooks::delete))
        .routes(routes!(webhooks::rotate))
        .routes(routes!(webhooks::send_test))
        .routes(routes!(webhooks::deliveries))
        .routes(routes!(webhooks::redeliver))
        .routes(routes!(me::enroll_2fa))
        .routes(routes!(me::confirm_2fa))
        .routes(routes!(me::list_events))
        .routes(routes!(accounts::create_account, accounts::list_accounts))
        .routes(routes!(accounts::get_account))
        .routes(routes!(accounts::account_transactions))
        .routes(routes!(accounts::sandbox_deposit))
        .routes(routes!(accounts::admin_credit))
        .routes(routes!(
            beneficiaries::create_beneficiary,
            beneficiaries::list_beneficiaries
        ))
        .routes(routes!(
            beneficiaries::get_beneficiary,
            beneficiaries::delete_beneficiary
        ))
        .routes(routes!(beneficiaries::list_banks))
        .routes(routes!(
            withdrawals::create_withdrawal,
            withdrawals::list_withdrawals
        ))
        .routes(routes!(withdrawals::get_withdrawal))
        .routes(routes!(withdrawals::confirm_withdrawal))
        .routes(routes!(withdrawals::cancel_withdrawal))
        .routes(routes!(quotes::create_quote))
        .routes(routes!(quotes::get_quote))
        .routes(routes!(quotes::convert_quote))
}
