//! The web pages, server-rendered from askama templates (`crates/http/templates/`) with their
//! assets embedded in the binary: the landing page `/`, the accounts dashboard `/dashboard`,
//! the operator pages `/operator` and the Business Console `/console`. Pages call the app's
//! use cases, as the API handlers do.
//!
//! The shared pieces every area uses:
//! - [`layer`]: on every page, the CSRF cookie, the one-shot flash message and the
//!   Content-Security-Policy of HTML answers;
//! - [`csrf`]: the token of every form ([`csrf::Csrf`]) and the checked form body ([`csrf::Form`]);
//! - [`session`]: the dashboard session cookie and the [`session::UserSession`] /
//!   [`session::OperatorSession`] extractors;
//! - [`layout::Layout`]: what `templates/layout.html` shows around a page;
//! - [`WebError`], [`page`], [`see_other`], [`flash`]: answers.
pub mod assets;
pub mod console;
pub mod csrf;
pub mod dashboard;
pub mod format;
pub mod landing;
pub mod layout;
pub mod operator;
pub mod session;

use askama::Template;
use axum::Router;
use axum::extract::{FromRequestParts, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header, request::Parts};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use payplane_app::{App, AppError, ErrorKind, sealing};

/// Every page route, with [`layer`] around them.
pub fn routes(app: &App) -> Router<App> {
    Router::new()
        .merge(landing::routes())
        .merge(dashboard::routes())
        .merge(operator::routes())
        .merge(console::routes())
        .layer(axum::middleware::from_fn_with_state(app.clone(), layer))
        .merge(assets::routes())
}

/// What pages may load: their own stylesheet, script and images, nothing inline, nothing from
/// elsewhere; forms post only here, and no other site may frame them.
pub const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
     connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

const FLASH_COOKIE: &str = "pp_flash";
const REVEAL_COOKIE: &str = "pp_reveal";

/// A message for the next page the browser shows ("Recipient added"), carried by a short-lived
/// cookie across a redirect and cleared once a page has shown it.
#[derive(Clone)]
pub struct Flash(pub Option<String>);

/// A secret to show once on the next page (a new API token, a signing secret, an
/// authenticator key), carried across the redirect after its form sealed with the master key.
#[derive(Clone)]
pub struct Revealed(pub Option<String>);

/// The CSRF seed, flash message and one-time secret of the request, the CSP of HTML answers.
pub async fn layer(State(app): State<App>, mut req: Request, next: Next) -> Response {
    let seed = read_cookie(req.headers(), csrf::COOKIE)
        .filter(|s| csrf::valid_seed(s))
        .map(str::to_string);
    let fresh = seed.is_none();
    let seed = seed.unwrap_or_else(csrf::new_seed);
    req.extensions_mut().insert(csrf::Seed(seed.clone()));
    let flash = read_cookie(req.headers(), FLASH_COOKIE).and_then(|v| {
        form_urlencoded::parse(format!("m={v}").as_bytes())
            .next()
            .map(|(_, m)| m.chars().take(300).collect::<String>())
    });
    let had_flash = flash.is_some();
    req.extensions_mut().insert(Flash(flash));
    let revealed = read_cookie(req.headers(), REVEAL_COOKIE)
        .and_then(|v| sealing::open(&app, v).ok())
        .and_then(|v| String::from_utf8(v).ok());
    let had_reveal = read_cookie(req.headers(), REVEAL_COOKIE).is_some();
    req.extensions_mut().insert(Revealed(revealed));
    let mut res = next.run(req).await;
    let sets = |res: &Response, name: &str| {
        res.headers()
            .get_all(header::SET_COOKIE)
            .iter()
            .any(|v| v.as_bytes().starts_with(format!("{name}=").as_bytes()))
    };
    if fresh && !sets(&res, csrf::COOKIE) {
        append_cookie(&mut res, &csrf::seed_cookie(&app, &seed));
    }
    let html = res
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"text/html"));
    if html {
        if had_flash && !sets(&res, FLASH_COOKIE) {
            append_cookie(&mut res, &cookie(&app, FLASH_COOKIE, "", "Lax", Some(0)));
        }
        // Shown once: whatever page showed it, the secret is gone after it.
        if had_reveal && !sets(&res, REVEAL_COOKIE) {
            append_cookie(
                &mut res,
                &cookie(&app, REVEAL_COOKIE, "", "Strict", Some(0)),
            );
        }
        res.headers_mut().insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(CSP),
        );
        // Not the API's `no-referrer`: with it, browsers send `Origin: null` on a page's own
        // form posts, and the CSRF check needs the real origin. Other sites still get nothing.
        res.headers_mut().insert(
            header::REFERRER_POLICY,
            HeaderValue::from_static("same-origin"),
        );
    }
    res
}

/// A `Set-Cookie` value: HttpOnly, Path=/, the given SameSite, `Secure` when `web.secure_cookies`
/// is set, and a Max-Age (none: a browser-session cookie; 0: delete it).
pub fn cookie(app: &App, name: &str, value: &str, same_site: &str, max_age: Option<i64>) -> String {
    let mut c = format!("{name}={value}; Path=/; HttpOnly; SameSite={same_site}");
    if let Some(age) = max_age {
        c.push_str(&format!("; Max-Age={age}"));
    }
    if app.config.web.secure_cookies {
        c.push_str("; Secure");
    }
    c
}

/// The value of a cookie the request carries.
pub fn read_cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
        .filter(|v| !v.is_empty())
}

fn append_cookie(res: &mut Response, value: &str) {
    if let Ok(v) = HeaderValue::from_str(value) {
        res.headers_mut().append(header::SET_COOKIE, v);
    }
}

/// The `Set-Cookie` value of a flash message for the next page.
pub fn flash(app: &App, message: &str) -> String {
    let encoded: String = form_urlencoded::byte_serialize(message.as_bytes()).collect();
    cookie(app, FLASH_COOKIE, &encoded, "Lax", Some(60))
}

/// A 303 to `location` (after a form), setting the given cookies.
pub fn see_other(location: &str, cookies: &[String]) -> Response {
    let mut res = StatusCode::SEE_OTHER.into_response();
    if let Ok(v) = HeaderValue::from_str(location) {
        res.headers_mut().insert(header::LOCATION, v);
    }
    for c in cookies {
        append_cookie(&mut res, c);
    }
    res
}

/// A 303 to `location` with a flash message for the page there.
pub fn done(app: &App, location: &str, message: &str) -> Response {
    see_other(location, &[flash(app, message)])
}

/// A 303 to `location` with a flash message and a secret that the page there shows once
/// (`Ctx::revealed`). Answering the form with a redirect rather than the page itself means a
/// reload cannot send the form again (and make a second token). The secret travels sealed with
/// the master key in an HttpOnly, SameSite=Strict cookie that lives two minutes at most and is
/// cleared by the first page that shows it.
/// `kind` names what the secret is, so only the page of that kind shows it
/// ([`Ctx::revealed`]).
pub fn reveal(
    app: &App,
    location: &str,
    message: &str,
    kind: &str,
    secret: &str,
) -> Result<Response, WebError> {
    let sealed = sealing::seal(app, format!("{kind}:{secret}").as_bytes())?;
    Ok(see_other(
        location,
        &[
            flash(app, message),
            cookie(app, REVEAL_COOKIE, &sealed, "Strict", Some(120)),
        ],
    ))
}

/// A rendered page with its status.
pub fn page_with(status: StatusCode, t: &impl Template) -> Result<Response, WebError> {
    let html = t.render().map_err(WebError::internal)?;
    Ok((
        status,
        [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
        html,
    )
        .into_response())
}

/// A rendered page (200).
pub fn page(t: &impl Template) -> Result<Response, WebError> {
    page_with(StatusCode::OK, t)
}

/// A form the use case refused, shown again by `show` with the refusal's messages, under the
/// refusal's status (and its `Retry-After`, for a throttled login). An internal error is the
/// error page instead.
pub fn refused(
    e: AppError,
    show: impl FnOnce(Vec<String>) -> Result<Response, WebError>,
) -> Result<Response, WebError> {
    if e.kind == ErrorKind::Internal {
        return Err(e.into());
    }
    let status = StatusCode::from_u16(e.kind.status()).unwrap_or(StatusCode::BAD_REQUEST);
    let mut res = show(messages(&e))?;
    *res.status_mut() = status;
    if let Some(secs) = e.retry_after_secs {
        res.headers_mut().insert(header::RETRY_AFTER, secs.into());
    }
    Ok(res)
}

/// Only a path on this server may be a place to go back to after login (never `//host`).
pub fn local_path(next: &str) -> Option<&str> {
    (next.starts_with('/') && !next.starts_with("//") && !next.contains('\\')).then_some(next)
}

/// What every page's layout needs from the request: the CSRF token and the flash message.
pub struct Ctx {
    pub csrf: String,
    pub flash: Option<String>,
    /// `kind:secret` that the form before this page left to show once (see [`reveal`]).
    revealed: Option<String>,
}

impl Ctx {
    /// The secret of `kind` that the form before this page left to show once.
    pub fn revealed(&self, kind: &str) -> Option<String> {
        self.revealed
            .as_deref()
            .and_then(|r| r.strip_prefix(kind))
            .and_then(|r| r.strip_prefix(':'))
            .map(str::to_string)
    }
}

impl FromRequestParts<App> for Ctx {
    type Rejection = WebError;

    async fn from_request_parts(parts: &mut Parts, app: &App) -> Result<Self, Self::Rejection> {
        let csrf::Csrf(csrf) = csrf::Csrf::from_request_parts(parts, app).await?;
        let flash = parts.extensions.get::<Flash>().and_then(|f| f.0.clone());
        let revealed = parts.extensions.get::<Revealed>().and_then(|r| r.0.clone());
        Ok(Ctx {
            csrf,
            flash,
            revealed,
        })
    }
}

/// A page that cannot be shown: a redirect to log in, or an error page in words.
#[derive(Debug)]
pub enum WebError {
    LoginRequired { next: String },
    Page { status: StatusCode, message: String },
}

impl WebError {
    pub fn bad_request(message: impl Into<String>) -> Self {
        WebError::Page {
            status: StatusCode::BAD_REQUEST,
            message: message.into(),
        }
    }
    pub fn forbidden(message: impl Into<String>) -> Self {
        WebError::Page {
            status: StatusCode::FORBIDDEN,
            message: message.into(),
        }
    }
    pub fn not_found() -> Self {
        WebError::Page {
            status: StatusCode::NOT_FOUND,
            message: "There is nothing here, or it is not yours.".into(),
        }
    }
    pub fn internal(e: impl std::fmt::Display) -> Self {
        tracing::error!(error = %e, "page failed");
        WebError::Page {
            status: StatusCode::INTERNAL_SERVER_ERROR,
            message: "Something went wrong on our side; try again in a moment.".into(),
        }
    }
}

impl From<AppError> for WebError {
    fn from(e: AppError) -> Self {
        match e.kind {
            ErrorKind::Internal => {
                tracing::error!(error = %e, cause = ?e.source, "internal error on a page");
                WebError::internal("see the error above")
            }
            ErrorKind::NotFound => WebError::not_found(),
            kind => WebError::Page {
                status: StatusCode::from_u16(kind.status()).unwrap_or(StatusCode::BAD_REQUEST),
                message: messages(&e).join(" "),
            },
        }
    }
}

/// The messages of an error, one per problem (a form shows them above itself).
pub fn messages(e: &AppError) -> Vec<String> {
    if e.details.is_empty() {
        vec![e.message.clone()]
    } else {
        e.details.iter().map(|d| d.message.clone()).collect()
    }
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage {
    layout: layout::Layout,
    status: u16,
    reason: &'static str,
    message: String,
}

impl IntoResponse for WebError {
    fn into_response(self) -> Response {
        match self {
            WebError::LoginRequired { next } => {
                let next: String = form_urlencoded::byte_serialize(next.as_bytes()).collect();
                see_other(&format!("/dashboard/login?next={next}"), &[])
            }
            WebError::Page { status, message } => {
                let reason = status.canonical_reason().unwrap_or("Error");
                let t = ErrorPage {
                    layout: layout::Layout::public("", None, reason),
                    status: status.as_u16(),
                    reason,
                    message,
                };
                match t.render() {
                    Ok(html) => (
                        status,
                        [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
                        html,
                    )
                        .into_response(),
                    Err(_) => status.into_response(),
                }
            }
        }
    }
}
