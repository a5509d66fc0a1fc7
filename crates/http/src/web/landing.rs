//! `GET /`: what this server is, and the way to each area and to the API documentation.
use super::layout::Layout;
use super::{Ctx, WebError, page};
use askama::Template;
use axum::Router;
use axum::response::Response;
use axum::routing::get;
use payplane_app::App;

pub fn routes() -> Router<App> {
    Router::new().route("/", get(landing))
}

#[derive(Template)]
#[template(path = "landing.html")]
struct Landing {
    layout: Layout,
}

async fn landing(ctx: Ctx) -> Result<Response, WebError> {
    page(&Landing {
        layout: Layout::anonymous(ctx, "Payments, accounts and pull-payment billing"),
    })
}
