//! The operator pages, `/operator` (users with the admin role).
use axum::Router;
use payplane_app::App;

pub fn routes() -> Router<App> {
    Router::new()
}
