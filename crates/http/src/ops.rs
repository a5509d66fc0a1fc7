//! Operations routes: metrics, the OpenAPI document and Swagger UI.
use crate::metrics::Metrics;
use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;
use axum::{Extension, Router};
use payplane_app::App;
use std::sync::Arc;
use utoipa::Modify;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub struct SecuritySchemes;

impl Modify for SecuritySchemes {
    fn modify(&self, doc: &mut utoipa::openapi::OpenApi) {
        let c = doc.components.get_or_insert_with(Default::default);
        c.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
        c.add_security_scheme(
            "pma-api-key",
            SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::new("pma-api-key"))),
        );
        c.add_security_scheme(
            "x-access-token",
            SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::new("x-access-token"))),
        );
    }
}

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
pub fn docs(doc: utoipa::openapi::OpenApi) -> Router<App> {
    Router::new().merge(utoipa_swagger_ui::SwaggerUi::new("/docs").url("/openapi.json", doc))
}
