//! The HTTP server: both API faces on one router, their error shapes, idempotency, request ids,
//! body limits, OpenAPI and metrics.
pub mod error;
pub mod extract;
pub mod metrics;
pub mod middleware;
pub mod next_link;
pub mod openapi;
pub mod ops;
pub mod pazemo;
pub mod pumapay;
pub mod rate_limit;
pub mod web;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use payplane_app::App;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::limit::RequestBodyLimitLayer;
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;

#[derive(OpenApi)]
#[openapi(info(
    title = "payplane",
    description = "Accounts & payouts (root paths) and pull-payment billing (/api/v2) on one ledger."
))]
struct ApiDoc;

/// The OpenAPI document and the routes it describes.
pub fn api() -> (Router<App>, serde_json::Value) {
    let (router, mut doc) = OpenApiRouter::with_openapi(ApiDoc::openapi())
        .merge(pazemo::routes())
        .merge(pumapay::routes())
        .merge(ops::routes())
        .split_for_parts();
    rate_limit::document(&mut doc);
    (router, openapi::complete(doc))
}

/// The whole application router.
pub fn router(app: App) -> Router {
    let (routes, doc) = api();
    let pages = web::routes(&app).merge(pumapay::pay_page::routes());
    with_layers(routes.merge(ops::docs(doc)).merge(pages), app)
}

/// Wraps routes in the server's layers (tests use it to add a route that misbehaves on purpose).
pub fn with_layers(routes: Router<App>, app: App) -> Router {
    let metrics = Arc::new(metrics::Metrics::default());
    let max_body = app.config.max_body_bytes;
    let routes = routes
        // Idempotency keys concern the handlers only: a request no handler takes (no such path,
        // or a method the path does not serve) is answered 404 or 405 whatever its key. So the
        // layer is a route layer, and the method-not-allowed answer is set after it, which
        // keeps it outside; errors and panics are rendered inside it, so a replay is the whole
        // answer.
        .route_layer(CatchPanicLayer::custom(middleware::panic_response))
        .route_layer(axum::middleware::from_fn_with_state(
            app.clone(),
            middleware::render_errors,
        ))
        .route_layer(axum::middleware::from_fn_with_state(
            app.clone(),
            middleware::idempotency,
        ))
        .method_not_allowed_fallback(middleware::method_not_allowed)
        .route_layer(axum::middleware::from_fn(middleware::mark_route))
        .layer(DefaultBodyLimit::max(max_body))
        .layer(RequestBodyLimitLayer::new(max_body))
        // The framework's own answers (404, 405, 413) and panics outside the handlers.
        .layer(CatchPanicLayer::custom(middleware::panic_response))
        .layer(axum::middleware::from_fn_with_state(
            app.clone(),
            middleware::render_errors,
        ))
        .layer(axum::middleware::from_fn_with_state(
            app.clone(),
            middleware::body_deadline,
        ));
    // Outside the body deadline and idempotency (a refused request reads no body and uses up no
    // key), inside logging and metrics (a refusal is logged and counted).
    let routes = match rate_limit::RequestLimits::from_app(&app) {
        Some(limits) => routes.layer(axum::middleware::from_fn_with_state(
            limits,
            rate_limit::limit_requests,
        )),
        None => routes,
    };
    routes
        .layer(axum::Extension(rate_limit::RpcRateLimit::from_config(
            &app.config,
        )))
        .layer(axum::Extension(metrics.clone()))
        .layer(axum::middleware::from_fn_with_state(
            metrics,
            middleware::trace_requests,
        ))
        .layer(axum::middleware::from_fn(middleware::security_headers))
        .with_state(app)
}

/// Serves until `shutdown` is cancelled, then lets in-flight requests finish.
pub async fn serve(
    app: App,
    listener: TcpListener,
    shutdown: CancellationToken,
) -> std::io::Result<()> {
    let header_timeout = Duration::from_secs(app.config.http_header_timeout_secs);
    serve_router_with(router(app), listener, shutdown, header_timeout).await
}

/// [`serve_router_with`] with the default header timeout (`http_header_timeout_secs`).
pub async fn serve_router(
    router: Router,
    listener: TcpListener,
    shutdown: CancellationToken,
) -> std::io::Result<()> {
    let header_timeout =
        Duration::from_secs(payplane_app::Config::default().http_header_timeout_secs);
    serve_router_with(router, listener, shutdown, header_timeout).await
}

/// The accept loop. `axum::serve` runs hyper without a timer, so hyper's header read timeout
/// never fires and a client that sends half a header holds its connection for ever: this loop
/// is `axum::serve` with the timer and the timeout set, for HTTP/1.
pub async fn serve_router_with(
    router: Router,
    listener: TcpListener,
    shutdown: CancellationToken,
    header_timeout: Duration,
) -> std::io::Result<()> {
    use hyper_util::rt::{TokioIo, TokioTimer};
    let connections = tokio_util::task::TaskTracker::new();
    loop {
        let accepted = tokio::select! {
            _ = shutdown.cancelled() => break,
            accepted = listener.accept() => accepted,
        };
        let (stream, peer) = match accepted {
            Ok(a) => a,
            Err(e) if is_connection_error(&e) => continue,
            Err(e) => {
                // Out of file descriptors and the like: let other tasks release some.
                tracing::error!(error = %e, "accept failed");
                tokio::time::sleep(Duration::from_secs(1)).await;
                continue;
            }
        };
        let router = router.clone();
        let service = hyper::service::service_fn(move |mut req: hyper::Request<_>| {
            req.extensions_mut()
                .insert(axum::extract::ConnectInfo(peer));
            let mut router = router.clone();
            async move { tower::Service::call(&mut router, req).await }
        });
        let shutdown = shutdown.clone();
        connections.spawn(async move {
            // HTTP/1 only: hyper-util's HTTP/1-or-2 detection waits for the client's first
            // bytes with no timeout, so a client that connects and sends nothing would hold the
            // connection for ever. Clients reach the server over HTTP/1.1 (a TLS proxy in
            // front speaks HTTP/1.1 to it); cleartext HTTP/2 is not offered.
            let conn = hyper::server::conn::http1::Builder::new()
                .timer(TokioTimer::new())
                .header_read_timeout(header_timeout)
                .serve_connection(TokioIo::new(stream), service);
            tokio::pin!(conn);
            tokio::select! {
                _ = conn.as_mut() => {}
                _ = shutdown.cancelled() => {
                    conn.as_mut().graceful_shutdown();
                    let _ = conn.await;
                }
            }
        });
    }
    connections.close();
    connections.wait().await;
    Ok(())
}

fn is_connection_error(e: &std::io::Error) -> bool {
    matches!(
        e.kind(),
        std::io::ErrorKind::ConnectionRefused
            | std::io::ErrorKind::ConnectionAborted
            | std::io::ErrorKind::ConnectionReset
    )
}
