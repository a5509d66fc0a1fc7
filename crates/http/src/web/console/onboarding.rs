//! Onboarding: the checklist of the business-control flags (details, KYC, treasury wallet),
//! the details form and the treasury wallet, with the API's use cases
//! (`business/business-details`, `treasury-wallet`, `treasury-wallet/confirm`).
use super::session::BusinessSession;
use crate::pumapay::envelope::int;
use crate::web::csrf::Form;
use crate::web::dashboard::accounts::form_error;
use crate::web::dashboard::login::Empty;
use crate::web::layout::Layout;
use crate::web::{Ctx, WebError, done, page, page_with};
use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use payplane_app::pumapay::businesses::{self, DetailsInput};
use payplane_app::pumapay::reference;
use payplane_app::{App, AppError};
use payplane_store::pumapay::businesses::{Business, Details};
use serde::Deserialize;
use serde_json::Value;

/// One line of the checklist.
pub struct Step {
    pub name: &'static str,
    pub done: bool,
    /// `ok`, `wait` or `bad`: the colour of its state.
    pub class: &'static str,
    pub state: String,
}

/// The checklist of a business, from its control flags.
pub fn checklist(b: &Business) -> Vec<Step> {
    let f = &b.flags;
    let step = |name, done, class, state: &str| Step {
        name,
        done,
        class,
        state: state.into(),
    };
    vec![
        if f.details_approved {
            step("Business details", true, "ok", "approved")
        } else if f.details_submitted {
            step("Business details", true, "ok", "submitted")
        } else {
            step("Business details", false, "wait", "to fill in below")
        },
        if f.kyc_approved {
            step("KYC", true, "ok", "approved")
        } else if f.kyc_rejected {
            step("KYC", false, "bad", "rejected: contact your operator")
        } else if f.kyc_submitted {
            step("KYC", false, "wait", "submitted, waiting for an operator")
        } else if f.kyc_requested {
            step("KYC", false, "wait", "requested: submit your details")
        } else {
            step("KYC", false, "wait", "submit your details first")
        },
        if f.treasury_approved {
            step("Treasury wallet", true, "ok", "confirmed")
        } else if f.treasury_submitted {
            step(
                "Treasury wallet",
                false,
                "wait",
                "assigned: confirm it below",
            )
        } else {
            step("Treasury wallet", false, "wait", "to assign below")
        },
    ]
}

/// An option of a select list: (value, text).
pub type Choice = (String, String);

#[derive(Template)]
#[template(path = "console/onboarding.html")]
struct OnboardingPage {
    layout: Layout,
    status: &'static str,
    steps: Vec<Step>,
    details: DetailsFields,
    treasury: String,
    treasury_confirmed: bool,
    gas_wallet: String,
    business_types: Vec<Choice>,
    countries: Vec<Choice>,
    industries: Vec<Choice>,
    errors: Vec<String>,
}

/// The details form's fields, as text (what the business submitted, or what it just typed).
#[derive(Deserialize, Default)]
pub struct DetailsFields {
    #[serde(default)]
    business_name: String,
    #[serde(default)]
    business_type: String,
    #[serde(default)]
    country_id: String,
    #[serde(default)]
    industry1: String,
    #[serde(default)]
    city: String,
    #[serde(default)]
    url: String,
    #[serde(default)]
    description: String,
}

impl DetailsFields {
    fn of(d: &Details) -> Self {
        let text = |v: &Option<String>| v.clone().unwrap_or_default();
        let num = |v: Option<i64>| v.map(|n| n.to_string()).unwrap_or_default();
        DetailsFields {
            business_name: text(&d.business_name),
            business_type: num(d.business_type),
            country_id: text(&d.country_id),
            industry1: num(d.industry1),
            city: text(&d.city),
            url: text(&d.url),
            description: text(&d.description),
        }
    }
}

fn onboarding_page(
    ctx: Ctx,
    s: &BusinessSession,
    b: &Business,
    details: Option<DetailsFields>,
    errors: Vec<String>,
) -> OnboardingPage {
    let r = reference::get();
    OnboardingPage {
        layout: Layout::console(ctx, s, "onboarding", "Onboarding"),
        status: businesses::status(b),
        steps: checklist(b),
        details: details.unwrap_or_else(|| DetailsFields::of(&b.details)),
        treasury: b.treasury_wallet.clone().unwrap_or_default(),
        treasury_confirmed: b.flags.treasury_approved,
        gas_wallet: b.gas_wallet.clone(),
        business_types: r
            .business_types
            .iter()
            .map(|t| (t.id.to_string(), t.business_type.clone()))
            .collect(),
        countries: r
            .countries
            .iter()
            .map(|c| (c.country_id.clone(), c.country_name.clone()))
            .collect(),
        industries: r
            .industries
            .iter()
            .map(|i| (i.id.to_string(), i.industry_name.clone()))
            .collect(),
        errors,
    }
}

pub async fn show(s: BusinessSession, ctx: Ctx) -> Result<Response, WebError> {
    page(&onboarding_page(ctx, &s, &s.business, None, vec![]))
}

/// Text of a field, `None` when left empty (the use case then keeps what is stored).
pub fn given(v: &str) -> Option<String> {
    Some(v.trim().to_string()).filter(|v| !v.is_empty())
}

/// A number field read as the API reads it (its message when it is not an integer).
pub fn number(field: &str, v: &str, errors: &mut Vec<payplane_app::Detail>) -> Option<i64> {
    int(field, &given(v).map(Value::String), errors)
}

pub async fn details(
    State(app): State<App>,
    s: BusinessSession,
    ctx: Ctx,
    Form(f): Form<DetailsFields>,
) -> Result<Response, WebError> {
    let mut errors = vec![];
    let input = DetailsInput {
        details: Details {
            business_name: given(&f.business_name),
            business_type: number("businessType", &f.business_type, &mut errors),
            country_id: given(&f.country_id),
            industry1: number("industry1", &f.industry1, &mut errors),
            city: given(&f.city),
            url: given(&f.url),
            description: given(&f.description),
            ..Details::default()
        },
        ..DetailsInput::default()
    };
    let outcome = if errors.is_empty() {
        businesses::update_details(&app, &s.caller(), s.id(), None, input).await
    } else {
        Err(AppError::fields(errors))
    };
    match outcome {
        Ok(b) if b.flags.details_submitted => Ok(done(
            &app,
            "/console/onboarding",
            "Your details are submitted: an operator reviews them with your KYC.",
        )),
        Ok(_) => Ok(done(
            &app,
            "/console/onboarding",
            "Your details are saved. Name, type, country and industry complete them.",
        )),
        Err(e) => {
            form_error(e, |errors| async move {
                page_with(
                    StatusCode::BAD_REQUEST,
                    &onboarding_page(ctx, &s, &s.business, Some(f), errors),
                )
            })
            .await
        }
    }
}

#[derive(Deserialize)]
pub struct TreasuryForm {
    #[serde(default)]
    wallet: String,
}

pub async fn treasury(
    State(app): State<App>,
    s: BusinessSession,
    ctx: Ctx,
    Form(f): Form<TreasuryForm>,
) -> Result<Response, WebError> {
    match businesses::assign_treasury_wallet(&app, &s.caller(), s.id(), f.wallet.trim()).await {
        Ok(b) => Ok(done(
            &app,
            "/console/onboarding",
            &format!(
                "The treasury wallet {} is assigned. Confirm it to finish.",
                b.treasury_wallet.unwrap_or_default()
            ),
        )),
        Err(e) => {
            form_error(e, |errors| async move {
                page_with(
                    StatusCode::BAD_REQUEST,
                    &onboarding_page(ctx, &s, &s.business, None, errors),
                )
            })
            .await
        }
    }
}

pub async fn confirm_treasury(
    State(app): State<App>,
    s: BusinessSession,
    Form(_): Form<Empty>,
) -> Result<Response, WebError> {
    businesses::confirm_treasury_wallet(&app, &s.caller(), s.id(), &s.session.user_id).await?;
    Ok(done(
        &app,
        "/console/onboarding",
        "The treasury wallet is confirmed.",
    ))
}
