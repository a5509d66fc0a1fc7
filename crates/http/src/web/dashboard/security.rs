//! Two-factor authentication: enrolling an authenticator (the `otpauth://` URI as a QR code and
//! as its base32 secret), confirmed by a first code. The authenticator then guards logins and
//! withdrawals. Enrolment happens in live mode, as the API's (it also guards live money).
use super::accounts::form_error;
use crate::web::csrf::Form;
use crate::web::layout::Layout;
use crate::web::session::UserSession;
use crate::web::{Ctx, WebError, done, page, page_with, reveal};
use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use payplane_app::App;
use payplane_app::pazemo::auth::Mode;
use payplane_app::pazemo::twofa;
use serde::Deserialize;

/// An enrolment just started: what the authenticator app needs, shown on this page only.
pub struct Started {
    pub secret: String,
    pub uri: String,
    /// The URI as an inline SVG QR code.
    pub qr_svg: String,
}

#[derive(Template)]
#[template(path = "dashboard/security.html")]
struct SecurityPage {
    layout: Layout,
    enrolled: bool,
    /// An enrolment waits for its first code.
    pending: bool,
    live: bool,
    started: Option<Started>,
    errors: Vec<String>,
}

/// What the page shows once after an enrolment starts: the `otpauth://` URI.
const REVEALED: &str = "totp";

async fn security_page(
    app: &App,
    ctx: Ctx,
    d: &UserSession,
    errors: Vec<String>,
) -> Result<SecurityPage, WebError> {
    let started = match ctx.revealed(REVEALED) {
        Some(uri) => Some(Started {
            qr_svg: qr_svg(&uri)?,
            secret: secret_of(&uri),
            uri,
        }),
        None => None,
    };
    Ok(SecurityPage {
        layout: Layout::dashboard(ctx, d, "security", "Two-factor authentication"),
        enrolled: twofa::enrolled(app, &d.user.id).await?,
        pending: twofa::enrolment_pending(app, &d.user.id).await?,
        live: d.mode() == Mode::Live,
        started,
        errors,
    })
}

pub async fn show(State(app): State<App>, d: UserSession, ctx: Ctx) -> Result<Response, WebError> {
    page(&security_page(&app, ctx, &d, vec![]).await?)
}

/// The QR code of `text` as an SVG element (dark modules on white), for inline use.
pub fn qr_svg(text: &str) -> Result<String, WebError> {
    let code = qrcode::QrCode::new(text.as_bytes()).map_err(WebError::internal)?;
    let svg = code
        .render::<qrcode::render::svg::Color>()
        .min_dimensions(192, 192)
        .quiet_zone(true)
        .build();
    // Inline in HTML the XML declaration has no place.
    Ok(match svg.find("<svg") {
        Some(i) => svg[i..].to_string(),
        None => svg,
    })
}

/// The base32 secret of an `otpauth://` URI (its `secret` parameter).
fn secret_of(uri: &str) -> String {
    uri.split_once('?')
        .map(|(_, q)| q)
        .and_then(|q| {
            form_urlencoded::parse(q.as_bytes())
                .find(|(k, _)| k == "secret")
                .map(|(_, v)| v.into_owned())
        })
        .unwrap_or_default()
}

#[derive(Deserialize)]
pub struct CodeForm {
    #[serde(default)]
    code: String,
}

pub async fn begin(
    State(app): State<App>,
    d: UserSession,
    ctx: Ctx,
    Form(f): Form<CodeForm>,
) -> Result<Response, WebError> {
    let code = Some(f.code.trim()).filter(|c| !c.is_empty());
    match twofa::begin_enrollment(&app, &d.principal, code).await {
        Ok(e) => reveal(
            &app,
            "/dashboard/security",
            "Scan the code with your authenticator app, then confirm with its first code.",
            REVEALED,
            &e.otpauth_uri,
        ),
        Err(e) => {
            form_error(e, |errors| async move {
                page_with(
                    StatusCode::BAD_REQUEST,
                    &security_page(&app, ctx, &d, errors).await?,
                )
            })
            .await
        }
    }
}

pub async fn confirm(
    State(app): State<App>,
    d: UserSession,
    ctx: Ctx,
    Form(f): Form<CodeForm>,
) -> Result<Response, WebError> {
    match twofa::confirm_enrollment(&app, &d.principal, &f.code).await {
        Ok(()) => Ok(done(
            &app,
            "/dashboard/security",
            "Your authenticator is active: its codes now confirm logins and withdrawals.",
        )),
        Err(e) => {
            form_error(e, |errors| async move {
                page_with(
                    StatusCode::BAD_REQUEST,
                    &security_page(&app, ctx, &d, errors).await?,
                )
            })
            .await
        }
    }
}
