//! Webhook and postback credentials at rest: signing secrets and the headers a postback sends
//! (the merchant's `authorization`) are stored sealed with `master_key`, so a database dump or
//! backup alone cannot forge deliveries or call the merchant. Rows written before sealing hold
//! them in the clear and are still read: a stored secret is sealed iff it has the `v1:` prefix
//! (a `whsec_…` secret never does), and sealed headers are one entry with an empty name (no
//! real header has one) whose value is the sealed JSON of the list.
use crate::{App, AppError, sealing};
use payplane_store::webhooks::Endpoint;

pub fn seal_secret(app: &App, secret: &str) -> Result<String, AppError> {
    sealing::seal(app, secret.as_bytes())
}

pub fn open_secret(app: &App, stored: &str) -> Result<String, AppError> {
    if !stored.starts_with("v1:") {
        return Ok(stored.to_string());
    }
    String::from_utf8(sealing::open(app, stored)?).map_err(AppError::internal)
}

pub fn seal_headers(
    app: &App,
    headers: &[(String, String)],
) -> Result<Vec<(String, String)>, AppError> {
    if headers.is_empty() {
        return Ok(vec![]);
    }
    let json = serde_json::to_vec(headers).map_err(AppError::internal)?;
    Ok(vec![(String::new(), sealing::seal(app, &json)?)])
}

pub fn open_headers(
    app: &App,
    stored: &[(String, String)],
) -> Result<Vec<(String, String)>, AppError> {
    match stored {
        [(name, sealed)] if name.is_empty() => {
            serde_json::from_slice(&sealing::open(app, sealed)?).map_err(AppError::internal)
        }
        plain => Ok(plain.to_vec()),
    }
}

/// The endpoint with its secrets and headers in the clear, for signing and sending.
pub fn opened(app: &App, e: &Endpoint) -> Result<Endpoint, AppError> {
    Ok(Endpoint {
        secret: open_secret(app, &e.secret)?,
        previous_secret: e
            .previous_secret
            .as_deref()
            .map(|s| open_secret(app, s))
            .transpose()?,
        headers: open_headers(app, &e.headers)?,
        ..e.clone()
    })
}
