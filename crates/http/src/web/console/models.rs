//! Payment models: the create form of a product (only the fields of the chosen type are shown,
//! by `console.js`; the use case's own field messages come back above the form), a model's page
//! with its status (PND/APR/REJ/SUP), and for an approved model a QR code for a customer
//! reference (`pull-payment-models`, `pull-payment-models/single/…`, `qr/pull-payment/…`).
use super::onboarding::{Choice, given, number};
use super::products::product_page;
use super::session::BusinessSession;
use crate::web::csrf::Form;
use crate::web::dashboard::accounts::form_error;
use crate::web::layout::Layout;
use crate::web::{Ctx, WebError, done, page, page_with};
use askama::Template;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use payplane_app::pumapay::payment_models::{self, ListQuery, NewModel};
use payplane_app::pumapay::pull_payments::requests::{self, QrInput, duration_words, money};
use payplane_app::{App, AppError};
use payplane_core::kinds::{PaymentModelStatus, PaymentModelType};
use payplane_store::pumapay::payment_models::PaymentModel;
use serde::Deserialize;

/// The currencies a model may be priced in.
const CURRENCIES: [&str; 4] = ["USD", "EUR", "GBP", "JPY"];

/// The model form's select lists: the types (id, name) and the currencies.
pub fn model_form_choices() -> (Vec<Choice>, Vec<&'static str>) {
    let types = (2..=8)
        .filter_map(PaymentModelType::from_id)
        .map(|t| (t.id().to_string(), format!("{} ({})", t.name(), t.id())))
        .collect();
    (types, CURRENCIES.to_vec())
}

/// A model as the pages list it.
pub struct ModelRow {
    pub id: String,
    pub network: i64,
    pub title: String,
    pub kind: String,
    pub price: String,
    pub schedule: String,
    pub status: &'static str,
    pub status_name: &'static str,
    /// `ok`, `wait` or `bad`.
    pub class: &'static str,
    pub approved: bool,
    pub dynamic: bool,
}

impl ModelRow {
    pub fn of(m: &PaymentModel) -> ModelRow {
        let t = PaymentModelType::from_id(m.type_id);
        let currency = m.currency.clone().unwrap_or_default();
        let price = match (m.amount, t) {
            (_, Some(PaymentModelType::TopUp)) => format!(
                "top-ups below {}",
                money(
                    m.top_up_threshold.unwrap_or_default(),
                    m.top_up_threshold_currency.as_deref().unwrap_or("")
                )
            ),
            (Some(a), _) => money(a, &currency),
            (None, _) => "set per QR code".into(),
        };
        let mut schedule = vec![];
        if m.trial_period > 0 {
            schedule.push(format!("{} free", duration_words(m.trial_period)));
        }
        if m.initial_payment_amount > 0 {
            schedule.push(format!(
                "{} first",
                money(m.initial_payment_amount, &currency)
            ));
        }
        match (
            t.is_some_and(|t| t.is_recurring()),
            m.frequency,
            m.number_of_payments,
        ) {
            (true, Some(f), Some(n)) => {
                schedule.push(format!("every {}, {n} payments", duration_words(f)))
            }
            _ => schedule.push("once".into()),
        }
        let class = match m.status {
            PaymentModelStatus::Approved => "ok",
            PaymentModelStatus::Pending => "wait",
            _ => "bad",
        };
        ModelRow {
            id: m.id.clone(),
            network: m.network_id,
            title: m
                .title
                .clone()
                .or_else(|| m.internal_title.clone())
                .unwrap_or_default(),
            kind: t.map(|t| t.name().to_string()).unwrap_or_default(),
            price,
            schedule: schedule.join(", "),
            status: m.status.as_str(),
            status_name: m.status.name(),
            class,
            approved: m.status == PaymentModelStatus::Approved,
            dynamic: t == Some(PaymentModelType::Dynamic),
        }
    }
}

/// The model form's fields as typed (the API's field names in the messages).
#[derive(Deserialize)]
pub struct ModelFields {
    #[serde(default)]
    pub type_id: String,
    #[serde(default)]
    pub network_id: String,
    #[serde(default)]
    pub title: String,
    #[serde(default)]
    pub internal_title: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub amount: String,
    #[serde(default)]
    pub currency: String,
    #[serde(default)]
    pub initial_payment_amount: String,
    #[serde(default)]
    pub number_of_payments: String,
    #[serde(default)]
    pub frequency: String,
    #[serde(default)]
    pub trial_period: String,
    #[serde(default)]
    pub destination: String,
    #[serde(default)]
    pub top_up_threshold: String,
    #[serde(default)]
    pub top_up_threshold_currency: String,
    #[serde(default)]
    pub top_up_suggested_total_limit: String,
}

impl Default for ModelFields {
    fn default() -> Self {
        ModelFields {
            type_id: "3".into(),
            network_id: "3".into(),
            title: String::new(),
            internal_title: String::new(),
            description: String::new(),
            amount: String::new(),
            currency: "USD".into(),
            initial_payment_amount: String::new(),
            number_of_payments: String::new(),
            frequency: "2592000".into(),
            trial_period: String::new(),
            destination: "Treasury".into(),
            top_up_threshold: String::new(),
            top_up_threshold_currency: "USD".into(),
            top_up_suggested_total_limit: String::new(),
        }
    }
}

impl ModelFields {
    fn input(
        &self,
        business_id: &str,
        product_id: &str,
        errors: &mut Vec<payplane_app::Detail>,
    ) -> NewModel {
        NewModel {
            business_id: Some(business_id.into()),
            product_id: Some(product_id.into()),
            title: given(&self.title),
            internal_title: given(&self.internal_title),
            description: given(&self.description),
            amount: number("amount", &self.amount, errors),
            initial_payment_amount: number(
                "initialPaymentAmount",
                &self.initial_payment_amount,
                errors,
            ),
            currency: given(&self.currency),
            number_of_payments: number("numberOfPayments", &self.number_of_payments, errors),
            type_id: number("typeID", &self.type_id, errors),
            frequency: number("frequency", &self.frequency, errors),
            network_id: number("networkID", &self.network_id, errors),
            trial_period: number("trialPeriod", &self.trial_period, errors),
            destination: given(&self.destination),
            fiat_settlement_opt_in: None,
            treasury_wallet: None,
            top_up_threshold: number("topUpThreshold", &self.top_up_threshold, errors),
            top_up_threshold_currency: given(&self.top_up_threshold_currency),
            top_up_suggested_total_limit: number(
                "topUpSuggestedTotalLimit",
                &self.top_up_suggested_total_limit,
                errors,
            ),
        }
    }
}

pub async fn create(
    State(app): State<App>,
    s: BusinessSession,
    ctx: Ctx,
    Path(product_id): Path<String>,
    Form(f): Form<ModelFields>,
) -> Result<Response, WebError> {
    let mut errors = vec![];
    let input = f.input(s.id(), &product_id, &mut errors);
    let outcome = if errors.is_empty() {
        payment_models::create(&app, &s.caller(), input).await
    } else {
        Err(AppError::fields(errors))
    };
    match outcome {
        Ok(m) => Ok(done(
            &app,
            &format!("/console/models/{}/{}", m.network_id, m.id),
            &format!(
                "The payment model is created: {}.",
                m.status.name().to_lowercase()
            ),
        )),
        Err(e) => {
            form_error(e, |errors| async move {
                page_with(
                    StatusCode::BAD_REQUEST,
                    &product_page(&app, ctx, &s, &product_id, f, errors).await?,
                )
            })
            .await
        }
    }
}

/// The QR code just made for a reference.
pub struct Qr {
    pub reference: String,
    pub png: String,
    pub url: String,
}

#[derive(Template)]
#[template(path = "console/model.html")]
struct ModelPage {
    layout: Layout,
    model: ModelRow,
    product_id: String,
    network: &'static str,
    treasury: String,
    destination: String,
    qr: Option<Qr>,
    currencies: Vec<&'static str>,
    postbacks: Vec<Choice>,
    errors: Vec<String>,
}

async fn model_page(
    app: &App,
    ctx: Ctx,
    s: &BusinessSession,
    network: i64,
    id: &str,
    qr: Option<Qr>,
    errors: Vec<String>,
) -> Result<ModelPage, WebError> {
    let m =
        payment_models::single(app, &s.caller(), s.id(), network, id, ListQuery::default()).await?;
    let row = ModelRow::of(&m);
    Ok(ModelPage {
        layout: Layout::console(ctx, s, "products", &row.title),
        network: super::postbacks::network_name(m.network_id),
        postbacks: super::postbacks::choices(app, s, Some(m.network_id)).await?,
        product_id: m.product_id.clone(),
        treasury: m.treasury_wallet.clone(),
        destination: m.destination.clone(),
        model: row,
        qr,
        currencies: CURRENCIES.to_vec(),
        errors,
    })
}

pub async fn show(
    State(app): State<App>,
    s: BusinessSession,
    ctx: Ctx,
    Path((network, id)): Path<(i64, String)>,
) -> Result<Response, WebError> {
    page(&model_page(&app, ctx, &s, network, &id, None, vec![]).await?)
}

#[derive(Deserialize)]
pub struct QrForm {
    #[serde(default)]
    reference: String,
    #[serde(default)]
    amount: String,
    #[serde(default)]
    currency: String,
}

/// Makes a QR code (a new pull-payment request) for a customer reference and shows it on the
/// model's page.
pub async fn qr(
    State(app): State<App>,
    s: BusinessSession,
    ctx: Ctx,
    headers: HeaderMap,
    Path((network, id)): Path<(i64, String)>,
    Form(f): Form<QrForm>,
) -> Result<Response, WebError> {
    // The model must be this business's, on this network, before anything is made.
    payment_models::single(
        &app,
        &s.caller(),
        s.id(),
        network,
        &id,
        ListQuery::default(),
    )
    .await?;
    let input = QrInput {
        model_id: id.clone(),
        unique_reference_id: f.reference.trim().to_string(),
        amount: given(&f.amount),
        title: None,
        description: None,
        currency: given(&f.currency),
        base_url: crate::pumapay::pull_payment_requests::base_url(&app, &headers),
    };
    match requests::create_qr(&app, &s.caller(), input).await {
        Ok(code) => {
            let qr = Qr {
                reference: f.reference.trim().to_string(),
                png: format!("data:image/png;base64,{}", code.png_base64()),
                url: code.url.clone(),
            };
            page(&model_page(&app, ctx, &s, network, &id, Some(qr), vec![]).await?)
        }
        Err(e) => {
            form_error(e, |errors| async move {
                page_with(
                    StatusCode::BAD_REQUEST,
                    &model_page(&app, ctx, &s, network, &id, None, errors).await?,
                )
            })
            .await
        }
    }
}
