//! Operations routes: metrics, the OpenAPI document and Swagger UI.
use crate::metrics::Metrics;
use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;
use axum::{Extension, Router};
use payplane_app::App;
use std::sync::Arc;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn routes() -> OpenApiRouter<App> {
    OpenApiRouter::new().routes(routes!(metrics))
}

/// Prometheus metrics: requests by route and status, latency histogram, job queue depth.
#[utoipa::path(get, path = "/metrics", tag = "Operations", responses((status = 200, description = "Prometheus text format", body = String, content_type = "text/plain")))]
pub async fn metrics(
    State(app): State<App>,
    Extension(m): Extension<Arc<Metrics>>,
) -> impl IntoResponse {
    let jobs = payplane_store::jobs::depth(&app.db)
        .await
        .unwrap_or_default();
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        m.render(&jobs),
    )
}

/// `/openapi.json` and Swagger UI at `/docs`.
pub fn docs(doc: serde_json::Value) -> Router<App> {
    Router::new().merge(
        utoipa_swagger_ui::SwaggerUi::new("/docs").external_url_unchecked("/openapi.json", doc),
    )
}
