//! The HTTP server: both API faces on one router, their error shapes, idempotency, request ids,
//! body limits, OpenAPI and metrics.
pub mod error;
pub mod extract;
pub mod metrics;
pub mod middleware;
pub mod ops;
pub mod pazemo;
pub mod pumapay;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use ops::SecuritySchemes;
use payplane_app::App;
use std::net::SocketAddr;
use std::sync::Arc;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::limit::RequestBodyLimitLayer;
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;

#[derive(OpenApi)]
#[openapi(
    info(title = "payplane", description = "Accounts & payouts (root paths) and pull-payment billing (/api/v2) on one ledger."),
    modifiers(&SecuritySchemes)
)]
struct ApiDoc;

/// The OpenAPI document and the routes it describes.
pub fn api() -> (Router<App>, utoipa::openapi::OpenApi) {
    let (router, mut doc) = OpenApiRouter::with_openapi(ApiDoc::openapi())
        .merge(pazemo::routes())
        .merge(pumapay::routes())
        .merge(ops::routes())
        .split_for_parts();
    unique_operation_ids(&mut doc);
    (router, doc)
}

/// utoipa names an operation after its handler, and handlers of different resource files share
/// names (`create`, `list`): OpenAPI requires unique operation ids, so every id becomes
/// method + path (`post_api_v2_api_key_auth_products_businessID`).
fn unique_operation_ids(doc: &mut utoipa::openapi::OpenApi) {
    for (path, item) in doc.paths.paths.iter_mut() {
        let slug: String = path
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
            .collect::<String>()
            .split('_')
            .filter(|s| !s.is_empty())
            .collect::<Vec<_>>()
            .join("_");
        let ops = [
            ("get", &mut item.get),
            ("post", &mut item.post),
            ("put", &mut item.put),
            ("patch", &mut item.patch),
            ("delete", &mut item.delete),
        ];
        for (method, op) in ops {
            if let Some(op) = op {
                op.operation_id = Some(format!("{method}_{slug}"));
            }
        }
    }
}

/// The whole application router.
pub fn router(app: App) -> Router {
    let (routes, doc) = api();
    with_layers(routes.merge(ops::docs(doc)), app)
}

/// Wraps routes in the server's layers (tests use it to add a route that misbehaves on purpose).
pub fn with_layers(routes: Router<App>, app: App) -> Router {
    let metrics = Arc::new(metrics::Metrics::default());
    let max_body = app.config.max_body_bytes;
    routes
        .route_layer(axum::middleware::from_fn(middleware::mark_route))
        .layer(DefaultBodyLimit::max(max_body))
        .layer(RequestBodyLimitLayer::new(max_body))
        .layer(CatchPanicLayer::custom(middleware::panic_response))
        .layer(axum::middleware::from_fn_with_state(
            app.clone(),
            middleware::render_errors,
        ))
        .layer(axum::middleware::from_fn_with_state(
            app.clone(),
            middleware::idempotency,
        ))
        .layer(axum::Extension(metrics.clone()))
        .layer(axum::middleware::from_fn_with_state(
            metrics,
            middleware::trace_requests,
        ))
        .with_state(app)
}

/// Serves until `shutdown` is cancelled, then lets in-flight requests finish.
pub async fn serve(
    app: App,
    listener: TcpListener,
    shutdown: CancellationToken,
) -> std::io::Result<()> {
    serve_router(router(app), listener, shutdown).await
}

pub async fn serve_router(
    router: Router,
    listener: TcpListener,
    shutdown: CancellationToken,
) -> std::io::Result<()> {
    axum::serve(
        listener,
        router.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(async move { shutdown.cancelled().await })
    .await
}
