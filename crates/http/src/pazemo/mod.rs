//! The accounts-and-payouts face (seed 000), served at the root.
pub mod health;
pub mod users;
pub mod webhooks;

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
}
