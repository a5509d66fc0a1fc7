//! Registering a business and logging in and out of the console, with the API's use cases
//! (`console-auth/register`, `…/login`, `…/logout`) and their limits: failed logins per
//! email-and-address pair and per address, registrations per address.
use super::session::{self, BusinessSession};
use crate::extract::ClientIp;
use crate::web::csrf::Form;
use crate::web::dashboard::login::{Empty, LoginPage};
use crate::web::layout::Layout;
use crate::web::{
    Ctx, WebError, done, local_path, page, page_with, read_cookie, refused, see_other,
};
use askama::Template;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use payplane_app::App;
use payplane_app::pumapay::console;
use serde::Deserialize;

fn login_page(ctx: Ctx, next: &str, email: &str, errors: Vec<String>) -> LoginPage {
    LoginPage {
        layout: Layout::anonymous(ctx, "Log in to the Business Console"),
        heading: "Log in to the Business Console",
        note: "With the email and password your business registered with.",
        action: "/console/login",
        next: next.into(),
        email: email.into(),
        with_code: false,
        errors,
        alternative: Some(("/console/register", "New here? Register your business")),
    }
}

#[derive(Deserialize, Default)]
pub struct Next {
    #[serde(default)]
    next: String,
}

fn next_or_home(next: &str) -> &str {
    local_path(next)
        .filter(|n| n.starts_with("/console"))
        .unwrap_or("/console")
}

pub async fn show(
    State(app): State<App>,
    headers: HeaderMap,
    ctx: Ctx,
    Query(q): Query<Next>,
) -> Result<Response, WebError> {
    if let Some(token) = read_cookie(&headers, session::COOKIE)
        && console::session(&app, token).await.is_ok()
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
    next: String,
}

pub async fn submit(
    State(app): State<App>,
    ClientIp(ip): ClientIp,
    ctx: Ctx,
    Form(f): Form<LoginForm>,
) -> Result<Response, WebError> {
    match console::login(&app, &f.email, &f.password, &ip.to_string()).await {
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
    s: BusinessSession,
    Form(_): Form<Empty>,
) -> Result<Response, WebError> {
    console::logout(&app, &s.session).await?;
    Ok(see_other(
        "/console/login",
        &[
            session::end_cookie(&app),
            crate::web::flash(&app, "You are logged out."),
        ],
    ))
}

#[derive(Template)]
#[template(path = "console/register.html")]
struct RegisterPage {
    layout: Layout,
    company: String,
    email: String,
    errors: Vec<String>,
}

pub async fn register_form(ctx: Ctx) -> Result<Response, WebError> {
    page(&RegisterPage {
        layout: Layout::anonymous(ctx, "Register your business"),
        company: String::new(),
        email: String::new(),
        errors: vec![],
    })
}

#[derive(Deserialize)]
pub struct RegisterForm {
    #[serde(default)]
    company: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
}

pub async fn register(
    State(app): State<App>,
    ClientIp(ip): ClientIp,
    ctx: Ctx,
    Form(f): Form<RegisterForm>,
) -> Result<Response, WebError> {
    match console::register(&app, &f.company, &f.email, &f.password, &ip.to_string()).await {
        Ok(_) => Ok(done(
            &app,
            "/console/login",
            "Your business is registered. Log in with your email and password.",
        )),
        Err(e) => refused(e, |errors| {
            page_with(
                StatusCode::BAD_REQUEST,
                &RegisterPage {
                    layout: Layout::anonymous(ctx, "Register your business"),
                    company: f.company,
                    email: f.email,
                    errors,
                },
            )
        }),
    }
}
