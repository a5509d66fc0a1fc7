//! CSRF protection of every form: a signed double-submit token. Each browser gets a random
//! `pp_csrf` cookie (HttpOnly, SameSite=Strict); every form carries `csrf` = HMAC(server key,
//! cookie) in a hidden field, and a POST is accepted only when the field matches the cookie it
//! came with. Another site can make the browser send the cookie but can neither read it nor
//! compute the HMAC. A POST whose `Origin` names another host is refused as well. Logging in
//! replaces the cookie, so a value planted before login is worthless after it.
use super::{WebError, cookie};
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::{HeaderMap, header, request::Parts};
use payplane_app::{App, sealing};
use serde::de::DeserializeOwned;

pub const COOKIE: &str = "pp_csrf";
/// The form field that carries the token.
pub const FIELD: &str = "csrf";

/// The browser's CSRF seed, put in the request's extensions by `web::layer` (from the cookie,
/// or new when the browser has none yet: the layer then sets the cookie on the answer).
#[derive(Clone)]
pub struct Seed(pub String);

/// A new random seed for the `pp_csrf` cookie.
pub fn new_seed() -> String {
    payplane_core::secrets::random_token("", 24)
}

/// The token forms carry for a seed.
pub fn token(app: &App, seed: &str) -> String {
    sealing::mac(app, "csrf", seed.as_bytes())
}

/// The `Set-Cookie` value of a seed.
pub fn seed_cookie(app: &App, seed: &str) -> String {
    cookie(app, COOKIE, seed, "Strict", None)
}

/// A seed that is plausibly one of ours (the cookie is attacker-writable text).
pub fn valid_seed(s: &str) -> bool {
    s.len() == 48 && s.bytes().all(|b| b.is_ascii_hexdigit())
}

/// The CSRF token of this browser, for the hidden field of every form on a page.
pub struct Csrf(pub String);

impl FromRequestParts<App> for Csrf {
    type Rejection = WebError;

    async fn from_request_parts(parts: &mut Parts, app: &App) -> Result<Self, Self::Rejection> {
        let seed = parts
            .extensions
            .get::<Seed>()
            .ok_or_else(|| WebError::internal("web::layer is not installed on this route"))?;
        Ok(Csrf(token(app, &seed.0)))
    }
}

/// A form body (`application/x-www-form-urlencoded`) whose CSRF token was checked. Fields the
/// form type does not name (the token among them) are ignored.
pub struct Form<T>(pub T);

impl<T: DeserializeOwned> FromRequest<App> for Form<T> {
    type Rejection = WebError;

    async fn from_request(req: Request, app: &App) -> Result<Self, Self::Rejection> {
        let seed = req.extensions().get::<Seed>().cloned();
        if !same_origin(req.headers()) {
            return Err(WebError::forbidden(
                "This form was sent from another site, so it was refused.",
            ));
        }
        let bytes = bytes::Bytes::from_request(req, app)
            .await
            .map_err(|_| WebError::bad_request("The form could not be read."))?;
        let sent = form_urlencoded::parse(&bytes)
            .find(|(k, _)| k == FIELD)
            .map(|(_, v)| v.into_owned())
            .unwrap_or_default();
        let expected = seed.map(|s| token(app, &s.0)).unwrap_or_default();
        if sent.is_empty() || !constant_time_eq(sent.as_bytes(), expected.as_bytes()) {
            return Err(WebError::forbidden(
                "This form has expired or was not sent from this site. Go back, reload the page and try again.",
            ));
        }
        let de = serde_urlencoded::Deserializer::new(form_urlencoded::parse(&bytes));
        serde_path_to_error::deserialize(de)
            .map(Form)
            .map_err(|e| WebError::bad_request(format!("The form field {} is invalid.", e.path())))
    }
}

/// A POST from a page of this server: no `Origin` (older browsers, same-origin navigations of
/// some), or an `Origin` whose host and port are the request's `Host`.
fn same_origin(headers: &HeaderMap) -> bool {
    let Some(origin) = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) else {
        return true;
    };
    let host = headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let origin_host = origin
        .split_once("://")
        .map(|(_, rest)| rest.trim_end_matches('/'))
        .unwrap_or("");
    !host.is_empty() && origin_host.eq_ignore_ascii_case(host)
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    #[test]
    fn origin_must_match_host() {
        let mut h = HeaderMap::new();
        assert!(same_origin(&h));
        h.insert(header::HOST, HeaderValue::from_static("127.0.0.1:8080"));
        h.insert(
            header::ORIGIN,
            HeaderValue::from_static("http://127.0.0.1:8080"),
        );
        assert!(same_origin(&h));
        h.insert(
            header::ORIGIN,
            HeaderValue::from_static("http://evil.example"),
        );
        assert!(!same_origin(&h));
        h.insert(header::ORIGIN, HeaderValue::from_static("null"));
        assert!(!same_origin(&h));
    }

    #[test]
    fn seeds_are_checked_for_shape() {
        assert!(valid_seed(&new_seed()));
        assert!(!valid_seed("short"));
        assert!(!valid_seed(&"z".repeat(48)));
    }
}
