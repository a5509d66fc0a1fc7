//! Developers' tools: the business's API key (`pma-api-key`) and its postbacks
//! ([`super::postbacks`]). Generating one replaces the
//! previous key at once; the new key is shown once, and afterwards only its last characters
//! (`console-auth/api-keys/generate/{businessID}`, `console-auth/api-keys/{businessID}`).
use super::session::BusinessSession;
use crate::web::csrf::Form;
use crate::web::dashboard::login::Empty;
use crate::web::layout::Layout;
use crate::web::{Ctx, WebError, page, reveal};
use askama::Template;
use axum::extract::State;
use axum::response::Response;
use payplane_app::pumapay::console;
use payplane_app::{App, ErrorKind};

/// What the developers page shows once after a key is generated.
const REVEALED: &str = "api-key";

#[derive(Template)]
#[template(path = "console/developers.html")]
struct DevelopersPage {
    layout: Layout,
    business_id: String,
    /// The key just generated, shown on this page once.
    created: Option<String>,
    /// The last characters of the current key, when there is one.
    hint: Option<String>,
    /// The postback signing secret just made, shown on this page once.
    postback_secret: Option<String>,
    postbacks: super::postbacks::Postbacks,
    deliveries: Vec<crate::web::dashboard::webhooks::DeliveryRow>,
    redeliver_base: &'static str,
}

pub async fn show(
    State(app): State<App>,
    s: BusinessSession,
    ctx: Ctx,
) -> Result<Response, WebError> {
    let created = ctx.revealed(REVEALED);
    let postback_secret = ctx.revealed(super::postbacks::REVEALED);
    let hint = match console::current_api_key(&app, &s.caller(), s.id()).await {
        Ok(key) => Some(
            key.chars()
                .rev()
                .take(4)
                .collect::<Vec<_>>()
                .into_iter()
                .rev()
                .collect(),
        ),
        Err(e) if e.kind == ErrorKind::NotFound => None,
        Err(e) => return Err(e.into()),
    };
    let (postbacks, deliveries) = super::postbacks::overview(&app, &s).await?;
    page(&DevelopersPage {
        layout: Layout::console(ctx, &s, "developers", "Developers"),
        business_id: s.business.id.clone(),
        created,
        hint,
        postback_secret,
        postbacks,
        deliveries,
        redeliver_base: "/console/developers/deliveries",
    })
}

pub async fn generate(
    State(app): State<App>,
    s: BusinessSession,
    Form(_): Form<Empty>,
) -> Result<Response, WebError> {
    let key = console::generate_api_key(&app, &s.caller(), s.id()).await?;
    reveal(
        &app,
        "/console/developers",
        "A new API key is generated; the previous key no longer works.",
        REVEALED,
        &key,
    )
}
