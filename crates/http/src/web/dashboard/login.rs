//! Logging in and out of the dashboard, setting a password from a one-time link, and switching
//! the mode the dashboard acts in.
use crate::extract::ClientIp;
use crate::web::csrf::Form;
use crate::web::layout::Layout;
use crate::web::session::{self, UserSession};
use crate::web::{
    Ctx, WebError, done, local_path, messages, page, page_with, read_cookie, refused, see_other,
};
use askama::Template;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use payplane_app::pazemo::auth::Mode;
use payplane_app::pazemo::logins;
use payplane_app::{App, ErrorKind};
use serde::Deserialize;

/// The login form, shared by the areas that log people in with an email and a password.
#[derive(Template)]
#[template(path = "login.html")]
pub struct LoginPage {
    pub layout: Layout,
    pub heading: &'static str,
    pub note: &'static str,
    pub action: &'static str,
    pub next: String,
    pub email: String,
    pub with_code: bool,
    pub errors: Vec<String>,
    /// A link under the heading to another way in: (href, text), e.g. registering.
    pub alternative: Option<(&'static str, &'static str)>,
}

fn login_page(ctx: Ctx, next: &str, email: &str, errors: Vec<String>) -> LoginPage {
    LoginPage {
        layout: Layout::anonymous(ctx, "Log in"),
        heading: "Log in to your dashboard",
        note: "Your operator sends you a link to set your password.",
        action: "/dashboard/login",
        next: next.into(),
        email: email.into(),
        with_code: true,
        errors,
        alternative: None,
    }
}

#[derive(Deserialize, Default)]
pub struct Next {
    #[serde(default)]
    next: String,
}

fn next_or_home(next: &str) -> &str {
    local_path(next).unwrap_or("/dashboard")
}

pub async fn show(
    State(app): State<App>,
    headers: HeaderMap,
    ctx: Ctx,
    Query(q): Query<Next>,
) -> Result<Response, WebError> {
    // Already logged in: straight on.
    if let Some(token) = read_cookie(&headers, session::COOKIE)
        && logins::session(&app, token).await.is_ok()
    {
        return Ok(see_other(next_or_home(&q.next), &[]));
    }
    page(&login_page(ctx, &q.next, "", vec![]))
}

#[derive(Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    code: String,
    #[serde(default)]
    next: String,
}

pub async fn submit(
    State(app): State<App>,
    ClientIp(ip): ClientIp,
    ctx: Ctx,
    Form(f): Form<LoginForm>,
) -> Result<Response, WebError> {
    let code = Some(f.code.as_str()).filter(|c| !c.trim().is_empty());
    match logins::login(&app, &f.email, &f.password, code, &ip.to_string()).await {
        Ok(l) => Ok(see_other(
            next_or_home(&f.next),
            &session::start_cookies(&app, &l.token),
        )),
        Err(e) => refused(e, |errors| {
            page(&login_page(ctx, &f.next, &f.email, errors))
        }),
    }
}

pub async fn logout(
    State(app): State<App>,
    d: UserSession,
    Form(_): Form<Empty>,
) -> Result<Response, WebError> {
    logins::logout(&app, &d).await?;
    Ok(see_other(
        "/dashboard/login",
        &[
            session::end_cookie(&app),
            crate::web::flash(&app, "You are logged out."),
        ],
    ))
}

/// A form with nothing but its CSRF token (a button).
#[derive(Deserialize)]
pub struct Empty {}

#[derive(Deserialize)]
pub struct ModeForm {
    mode: String,
    /// The page the switch was pressed on (the sidebar's current item).
    #[serde(default)]
    back: String,
}

/// Switches the dashboard between test mode (sandbox money) and live mode.
pub async fn switch_mode(
    State(app): State<App>,
    d: UserSession,
    Form(f): Form<ModeForm>,
) -> Result<Response, WebError> {
    let mode = Mode::parse(&f.mode).ok_or_else(|| WebError::bad_request("Unknown mode."))?;
    logins::set_mode(&app, &d, mode).await?;
    let back = local_path(&f.back)
        .filter(|b| b.starts_with("/dashboard"))
        .unwrap_or("/dashboard");
    Ok(done(
        &app,
        back,
        &format!("You are now in {} mode.", mode.as_str()),
    ))
}

#[derive(Template)]
#[template(path = "dashboard/set_password.html")]
struct SetPasswordPage {
    layout: Layout,
    token: String,
    email: String,
    errors: Vec<String>,
}

#[derive(Deserialize, Default)]
pub struct TokenQuery {
    #[serde(default)]
    token: String,
}

pub async fn set_password_form(
    State(app): State<App>,
    ctx: Ctx,
    Query(q): Query<TokenQuery>,
) -> Result<Response, WebError> {
    let user = logins::link_user(&app, &q.token).await?;
    page(&SetPasswordPage {
        layout: Layout::anonymous(ctx, "Set your password"),
        token: q.token,
        email: user.email,
        errors: vec![],
    })
}

#[derive(Deserialize)]
pub struct SetPasswordForm {
    #[serde(default)]
    token: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    confirm: String,
}

pub async fn set_password(
    State(app): State<App>,
    ctx: Ctx,
    Form(f): Form<SetPasswordForm>,
) -> Result<Response, WebError> {
    let user = logins::link_user(&app, &f.token).await?;
    let outcome = if f.password != f.confirm {
        Err(vec!["The two passwords differ.".to_string()])
    } else {
        match logins::set_password_with_link(&app, &f.token, &f.password).await {
            Ok(_) => Ok(()),
            Err(e) if e.kind == ErrorKind::BadRequest => Err(messages(&e)),
            Err(e) => return Err(e.into()),
        }
    };
    match outcome {
        Ok(()) => Ok(done(
            &app,
            "/dashboard/login",
            "Your password is set. Log in with it.",
        )),
        Err(errors) => page_with(
            StatusCode::BAD_REQUEST,
            &SetPasswordPage {
                layout: Layout::anonymous(ctx, "Set your password"),
                token: f.token,
                email: user.email,
                errors,
            },
        ),
    }
}
