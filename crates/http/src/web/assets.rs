//! The pages' static files, compiled into the binary (`include_bytes!`): nothing is read from
//! disk at run time and nothing comes from another site.
use axum::Router;
use axum::extract::Path;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use payplane_app::App;

/// (name, content type, bytes) of every asset, served at `/assets/{name}`.
const ASSETS: &[(&str, &str, &[u8])] = &[
    (
        "web.css",
        "text/css; charset=utf-8",
        include_bytes!("../../assets/web.css"),
    ),
    (
        "live.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../assets/live.js"),
    ),
    (
        "console.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../assets/console.js"),
    ),
];

pub fn routes() -> Router<App> {
    Router::new().route("/assets/{name}", get(asset))
}

async fn asset(Path(name): Path<String>) -> Response {
    match ASSETS.iter().find(|(n, _, _)| *n == name) {
        Some((_, kind, bytes)) => (
            [
                (header::CONTENT_TYPE, *kind),
                // Assets change only with the binary; an hour keeps pages fast and an upgrade
                // visible soon.
                (header::CACHE_CONTROL, "public, max-age=3600"),
            ],
            *bytes,
        )
            .into_response(),
        None => (
            StatusCode::NOT_FOUND,
            [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
            "no such asset",
        )
            .into_response(),
    }
}
