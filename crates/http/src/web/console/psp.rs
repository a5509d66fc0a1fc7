//! PSP sub-businesses: a business that creates a sub-business becomes its PSP; the list of its
//! sub-businesses with their status, creating one (its own console login), and disabling or
//! enabling one (`register/sub/business`, `business/sub/business/{parentID}`,
//! `business-control/sub/business/disabled`).
use super::session::BusinessSession;
use crate::web::csrf::Form;
use crate::web::dashboard::accounts::form_error;
use crate::web::dashboard::login::Empty;
use crate::web::format;
use crate::web::layout::Layout;
use crate::web::{Ctx, WebError, done, page, page_with};
use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use payplane_app::App;
use payplane_app::pumapay::{businesses, sub_businesses};
use serde::Deserialize;

pub struct SubRow {
    pub id: String,
    pub company: String,
    pub status: &'static str,
    pub disabled: bool,
    pub created: String,
}

#[derive(Template)]
#[template(path = "console/businesses.html")]
struct BusinessesPage {
    layout: Layout,
    subs: Vec<SubRow>,
    company: String,
    email: String,
    errors: Vec<String>,
}

async fn businesses_page(
    app: &App,
    ctx: Ctx,
    s: &BusinessSession,
    company: String,
    email: String,
    errors: Vec<String>,
) -> Result<BusinessesPage, WebError> {
    let list = sub_businesses::sub_businesses(app, &s.caller(), s.id()).await?;
    Ok(BusinessesPage {
        layout: Layout::console(ctx, s, "businesses", "Sub-businesses"),
        subs: list
            .iter()
            .map(|b| SubRow {
                id: b.id.clone(),
                company: b.company_name.clone(),
                status: businesses::status(b),
                disabled: b.disabled,
                created: format::time(b.created_at),
            })
            .collect(),
        company,
        email,
        errors,
    })
}

pub async fn list(
    State(app): State<App>,
    s: BusinessSession,
    ctx: Ctx,
) -> Result<Response, WebError> {
    page(&businesses_page(&app, ctx, &s, String::new(), String::new(), vec![]).await?)
}

#[derive(Deserialize)]
pub struct CreateForm {
    #[serde(default)]
    company: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
}

pub async fn create(
    State(app): State<App>,
    s: BusinessSession,
    ctx: Ctx,
    Form(f): Form<CreateForm>,
) -> Result<Response, WebError> {
    match sub_businesses::create_sub_business(
        &app,
        &s.caller(),
        s.id(),
        &f.company,
        &f.email,
        &f.password,
    )
    .await
    {
        Ok((b, _)) => Ok(done(
            &app,
            "/console/businesses",
            &format!(
                "{} is created as your sub-business; it logs in to the console with its own email.",
                b.company_name
            ),
        )),
        Err(e) => {
            form_error(e, |errors| async move {
                page_with(
                    StatusCode::BAD_REQUEST,
                    &businesses_page(&app, ctx, &s, f.company, f.email, errors).await?,
                )
            })
            .await
        }
    }
}

async fn set(
    app: &App,
    s: &BusinessSession,
    id: &str,
    disabled: bool,
) -> Result<Response, WebError> {
    let b = sub_businesses::set_disabled(app, &s.caller(), s.id(), id, disabled).await?;
    let what = if disabled {
        "disabled: its key and logins are refused"
    } else {
        "enabled again"
    };
    Ok(done(
        app,
        "/console/businesses",
        &format!("{} is {what}.", b.company_name),
    ))
}

pub async fn disable(
    State(app): State<App>,
    s: BusinessSession,
    Path(id): Path<String>,
    Form(_): Form<Empty>,
) -> Result<Response, WebError> {
    set(&app, &s, &id, true).await
}

pub async fn enable(
    State(app): State<App>,
    s: BusinessSession,
    Path(id): Path<String>,
    Form(_): Form<Empty>,
) -> Result<Response, WebError> {
    set(&app, &s, &id, false).await
}
