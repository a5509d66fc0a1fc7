//! Dashboard sessions in the browser: the `pp_session` cookie (HttpOnly, SameSite=Lax) holds a
//! random token whose hash names a `web_sessions` row (`payplane_app::pazemo::logins`). The
//! extractors here are how a page gets its user: `UserSession` for the dashboard, and
//! `OperatorSession` for the operator pages (users with the admin role).
use super::{WebError, cookie, read_cookie};
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use payplane_app::App;
use payplane_app::pazemo::logins::{self, Dashboard};
use std::ops::Deref;

pub const COOKIE: &str = "pp_session";

/// The `Set-Cookie` values that start a session: the session cookie, and a fresh CSRF seed (so
/// a seed planted before login is worthless after it).
pub fn start_cookies(app: &App, token: &str) -> [String; 2] {
    area_start_cookies(app, COOKIE, token, app.config.web.session_hours)
}

/// The `Set-Cookie` value that removes the session cookie.
pub fn end_cookie(app: &App) -> String {
    area_end_cookie(app, COOKIE)
}

/// The cookies that start a session of an area with its own session cookie `name` (the
/// console's `pp_console`), living `hours`.
pub fn area_start_cookies(app: &App, name: &str, token: &str, hours: i64) -> [String; 2] {
    [
        cookie(app, name, token, "Lax", Some(hours * 3600)),
        super::csrf::seed_cookie(app, &super::csrf::new_seed()),
    ]
}

/// The `Set-Cookie` value that removes an area's session cookie `name`.
pub fn area_end_cookie(app: &App, name: &str) -> String {
    cookie(app, name, "", "Lax", Some(0))
}

/// The logged-in dashboard user. Without a live session, a page answers with a redirect to the
/// login page, which comes back here afterwards.
pub struct UserSession(pub Dashboard);

impl Deref for UserSession {
    type Target = Dashboard;
    fn deref(&self) -> &Dashboard {
        &self.0
    }
}

impl FromRequestParts<App> for UserSession {
    type Rejection = WebError;

    async fn from_request_parts(parts: &mut Parts, app: &App) -> Result<Self, Self::Rejection> {
        let back = || WebError::LoginRequired {
            next: parts
                .uri
                .path_and_query()
                .map(|p| p.as_str().to_string())
                .unwrap_or_else(|| "/dashboard".into()),
        };
        let Some(token) = read_cookie(&parts.headers, COOKIE) else {
            return Err(back());
        };
        match logins::session(app, token).await {
            Ok(d) => Ok(UserSession(d)),
            Err(e) if e.kind == payplane_app::ErrorKind::Unauthorized => Err(back()),
            Err(e) => Err(e.into()),
        }
    }
}

/// A logged-in user with the admin role (an operator).
pub struct OperatorSession(pub Dashboard);

impl Deref for OperatorSession {
    type Target = Dashboard;
    fn deref(&self) -> &Dashboard {
        &self.0
    }
}

impl FromRequestParts<App> for OperatorSession {
    type Rejection = WebError;

    async fn from_request_parts(parts: &mut Parts, app: &App) -> Result<Self, Self::Rejection> {
        let UserSession(d) = UserSession::from_request_parts(parts, app).await?;
        if !d.principal.admin {
            return Err(WebError::forbidden(
                "The operator pages are for users with the admin role.",
            ));
        }
        Ok(OperatorSession(d))
    }
}
