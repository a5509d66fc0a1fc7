//! Console sessions in the browser: the `pp_console` cookie (HttpOnly, SameSite=Lax) holds the
//! same `pcs_…` session token the API's console login answers (`payplane_app::pumapay::console`),
//! kept apart from the dashboard's `pp_session`: a console login is a business's, not a
//! dashboard user's. [`BusinessSession`] is how a console page gets its business.
use crate::web::{WebError, read_cookie, see_other};
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use payplane_app::pumapay::access::{self, Caller};
use payplane_app::pumapay::console;
use payplane_app::{App, ErrorKind};
use payplane_store::pumapay::businesses::Business;
use payplane_store::pumapay::console::Session;

pub const COOKIE: &str = "pp_console";

/// The `Set-Cookie` values that start a console session (and a fresh CSRF seed).
pub fn start_cookies(app: &App, token: &str) -> [String; 2] {
    crate::web::session::area_start_cookies(app, COOKIE, token, app.config.pumapay.session_hours)
}

/// The `Set-Cookie` value that removes the console session cookie.
pub fn end_cookie(app: &App) -> String {
    crate::web::session::area_end_cookie(app, COOKIE)
}

/// The logged-in console user and their business. Without a live session a page answers with a
/// redirect to the console's login page, which comes back afterwards; a business its PSP
/// disabled is refused, as its API key is.
pub struct BusinessSession {
    pub session: Session,
    pub business: Business,
}

impl BusinessSession {
    /// Who the use cases act as: the session's business (and, as a PSP, its sub-businesses).
    pub fn caller(&self) -> Caller {
        Caller {
            business_id: self.session.business_id.clone(),
        }
    }

    pub fn id(&self) -> &str {
        &self.business.id
    }
}

/// The console's login page, coming back to `next` afterwards.
pub fn login_redirect(next: &str) -> Response {
    let next: String = form_urlencoded::byte_serialize(next.as_bytes()).collect();
    see_other(&format!("/console/login?next={next}"), &[])
}

impl FromRequestParts<App> for BusinessSession {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, app: &App) -> Result<Self, Self::Rejection> {
        let next = parts
            .uri
            .path_and_query()
            .map(|p| p.as_str().to_string())
            .unwrap_or_else(|| "/console".into());
        let Some(token) = read_cookie(&parts.headers, COOKIE) else {
            return Err(login_redirect(&next));
        };
        let session = match console::session(app, token).await {
            Ok(s) => s,
            Err(e) if e.kind == ErrorKind::Unauthorized => return Err(login_redirect(&next)),
            Err(e) => return Err(WebError::from(e).into_response()),
        };
        let business = access::caller_business(app, &session.business_id)
            .await
            .map_err(|e| WebError::from(e).into_response())?;
        Ok(BusinessSession { session, business })
    }
}
