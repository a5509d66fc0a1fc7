//! API tokens: the user's tokens of the session's mode, creating one (its secret shown once),
//! with a mode, read-only access and an IP allow-list, and revoking one.
use super::accounts::form_error;
use crate::web::csrf::Form;
use crate::web::format;
use crate::web::layout::Layout;
use crate::web::session::UserSession;
use crate::web::{Ctx, WebError, done, page, page_with, reveal};
use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use payplane_app::App;
use payplane_app::pazemo::auth::Mode;
use payplane_app::pazemo::users::{self, NewToken};
use serde::Deserialize;

pub struct TokenRow {
    pub id: String,
    pub label: String,
    pub hint: String,
    pub access: &'static str,
    pub allowed: String,
    pub created: String,
    pub last_used: String,
}

/// A token just created: the secret, shown on this one page only.
pub struct Created {
    pub token: String,
    pub mode: String,
}

#[derive(Template)]
#[template(path = "dashboard/tokens.html")]
struct TokensPage {
    layout: Layout,
    mode: &'static str,
    tokens: Vec<TokenRow>,
    created: Option<Created>,
    max: i64,
    errors: Vec<String>,
}

async fn tokens_page(
    app: &App,
    ctx: Ctx,
    d: &UserSession,
    errors: Vec<String>,
) -> Result<TokensPage, WebError> {
    let created = ctx.revealed(REVEALED).map(|token| Created {
        mode: if token.starts_with("pp_live_") {
            "live"
        } else {
            "test"
        }
        .into(),
        token,
    });
    let list = users::list_tokens(app, &d.user.id, d.mode()).await?;
    Ok(TokensPage {
        layout: Layout::dashboard(ctx, d, "tokens", "API tokens"),
        mode: d.mode().as_str(),
        tokens: list
            .into_iter()
            .map(|t| TokenRow {
                access: if t.access == "read_only" {
                    "read-only"
                } else {
                    "full"
                },
                allowed: if t.allow_ips.is_empty() {
                    "any address".into()
                } else {
                    t.allow_ips.join(", ")
                },
                created: format::time(t.created_at),
                last_used: t
                    .last_used_at
                    .map(format::time)
                    .unwrap_or_else(|| "never".into()),
                id: t.id,
                label: t.label,
                hint: t.token_hint,
            })
            .collect(),
        created,
        max: app.config.tokens.max_active_per_user,
        errors,
    })
}

pub async fn list(State(app): State<App>, d: UserSession, ctx: Ctx) -> Result<Response, WebError> {
    page(&tokens_page(&app, ctx, &d, vec![]).await?)
}

#[derive(Deserialize)]
pub struct CreateForm {
    #[serde(default)]
    label: String,
    #[serde(default)]
    mode: String,
    /// A checkbox: present when ticked.
    read_only: Option<String>,
    /// IPs or CIDR ranges, separated by commas, spaces or lines.
    #[serde(default)]
    allowed_ips: String,
}

/// What the tokens page shows once after a token is created.
const REVEALED: &str = "token";

/// Creates a token as the user (the owner, logged in with password and authenticator, may
/// create tokens of either mode); the tokens page shows its secret once.
pub async fn create(
    State(app): State<App>,
    d: UserSession,
    ctx: Ctx,
    Form(f): Form<CreateForm>,
) -> Result<Response, WebError> {
    let mode = Mode::parse(&f.mode).unwrap_or(d.mode());
    let req = NewToken {
        mode,
        read_only: f.read_only.is_some(),
        allow_ips: f
            .allowed_ips
            .split([',', ' ', '\n', '\r'])
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect(),
        label: f.label.trim().to_string(),
    };
    match users::create_token(&app, &d.user.id, req).await {
        Ok((t, secret)) => reveal(
            &app,
            "/dashboard/tokens",
            &format!("The {}-mode token is created.", t.mode),
            REVEALED,
            &secret,
        ),
        Err(e) => {
            form_error(e, |errors| async move {
                page_with(
                    StatusCode::BAD_REQUEST,
                    &tokens_page(&app, ctx, &d, errors).await?,
                )
            })
            .await
        }
    }
}

pub async fn revoke(
    State(app): State<App>,
    d: UserSession,
    Path(id): Path<String>,
    Form(_): Form<super::login::Empty>,
) -> Result<Response, WebError> {
    users::revoke_token(&app, &d.user.id, d.mode(), &id).await?;
    Ok(done(
        &app,
        "/dashboard/tokens",
        "The token is revoked: requests with it are refused from now on.",
    ))
}
