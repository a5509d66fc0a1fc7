//! The customer's side of a pull payment: the merchant's QR code creates a request; the wallet
//! reads the terms behind it (EIP-712 consent, EIP-2612 permit when the allowance is short),
//! signs them and posts the signatures back; the pull payment is then written in status 1
//! (Initial) and handed to the executor's `pullpayment.register` job. The customer can also
//! cancel with a signed `CancelPullPayment`, relayed by the `pullpayment.cancel` job.
//!
//! Everything the customer signs is fixed by the request's first wallet read (`fix_terms`), so
//! the server recomputes exactly the signed digest when the signatures come back.
use crate::error::detail;
use crate::limits::{self, Face};
use crate::pumapay::access::{self, Caller, Intent};
use crate::pumapay::networks::{self, Network};
use crate::pumapay::rates::{self, Rate};
use crate::pumapay::{fields, qr};
use crate::{App, AppError, Detail, ErrorKind, jobs};
use alloy_primitives::keccak256;
use payplane_chain::consent::{
    Permit, cancel_digest, cancel_typed_data, consent_digest, consent_typed_data, permit_digest,
    permit_typed_data, recover_signer, split_signature,
};
use payplane_chain::{Address, B256, PullPaymentTerms, U256, parse_address};
use payplane_core::ids::new_id;
use payplane_core::kinds::{PaymentModelStatus, PaymentModelType, PullPaymentStatus};
use payplane_core::text::TextRule;
use payplane_core::timefmt::iso_millis;
use payplane_store::pumapay::businesses::Business;
use payplane_store::pumapay::payment_models::{self, PaymentModel};
use payplane_store::pumapay::products;
use payplane_store::pumapay::pull_payments::{self as store, PullPayment, Request};
use rust_decimal::Decimal;
use serde::Serialize;
use serde_json::{Value, json};
use std::sync::Arc;
use utoipa::ToSchema;

/// The job the executor runs to register a signed pull payment on chain.
pub const REGISTER_JOB: &str = "pullpayment.register";
/// The job the executor runs to relay a cancellation.
pub const CANCEL_JOB: &str = "pullpayment.cancel";

/// Where wallets read and sign a request, under the server's public URL.
pub fn wallet_path(request_id: &str) -> String {
    format!("/api/v2/open-auth/pull-payment-requests/{request_id}")
}

// ---------------------------------------------------------------------------------------------
// QR codes

/// "Generate QR Code": the path's model and customer reference plus the query's dynamic values.
#[derive(Debug, Clone, Default)]
pub struct QrInput {
    pub model_id: String,
    pub unique_reference_id: String,
    pub amount: Option<String>,
    pub title: Option<String>,
    pub description: Option<String>,
    pub currency: Option<String>,
    /// `[pumapay] public_url`, or what the request's Host header says when that is empty.
    pub base_url: String,
}

pub struct Qr {
    pub request: Request,
    /// The URL the code encodes.
    pub url: String,
    pub png: Vec<u8>,
}

impl Qr {
    /// The PNG as the document's `data` carries it ("in base64 image format").
    pub fn png_base64(&self) -> String {
        use base64::Engine as _;
        base64::engine::general_purpose::STANDARD.encode(&self.png)
    }
}

/// The values a dynamic model takes at QR time.
struct QrValues {
    amount: Option<i64>,
    currency: Option<String>,
    title: Option<String>,
    description: Option<String>,
}

/// A query value that is really there: the document's samples send `?amount=` + a JavaScript
/// `null`, so empty, `null` and `undefined` count as absent.
fn given(v: &Option<String>) -> Option<&str> {
    v.as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty() && *s != "null" && *s != "undefined")
}

fn parse_amount(raw: &str, errors: &mut Vec<Detail>) -> Option<i64> {
    match raw.parse::<i64>() {
        Ok(a) if a > 0 => Some(a),
        Ok(_) => {
            errors.push(detail(
                "amount",
                "error.field.must.be.positive",
                "amount must be more than 0 cents",
            ));
            None
        }
        Err(_) => {
            errors.push(detail(
                "amount",
                "error.field.not.integer",
                "amount must be an integer number of cents",
            ));
            None
        }
    }
}

/// Reads the query's values. Dynamic models (7) take them, each required unless the model
/// presets it (the document's "optional only if preset"). Other models are fixed by their
/// approved terms: a value that differs from the model's is refused rather than ignored, so a
/// merchant never believes a QR code charges an amount it does not.
fn qr_values(model: &PaymentModel, t: PaymentModelType, q: &QrInput) -> Result<QrValues, AppError> {
    let mut errors = vec![];
    let amount = given(&q.amount).and_then(|a| parse_amount(a, &mut errors));
    let currency = given(&q.currency).and_then(|c| fields::currency("currency", c, &mut errors));
    let title = given(&q.title).map(str::to_string);
    let description = given(&q.description).map(str::to_string);
    limits::collect(
        Face::Pumapay,
        "title",
        title.as_deref(),
        TextRule::NAME,
        &mut errors,
    );
    limits::collect(
        Face::Pumapay,
        "description",
        description.as_deref(),
        TextRule::Multiline { max_chars: 5000 },
        &mut errors,
    );
    limits::collect(
        Face::Pumapay,
        "uniqueReferenceID",
        Some(&q.unique_reference_id),
        TextRule::NAME,
        &mut errors,
    );
    fields::check(errors)?;
    let mut errors = vec![];
    if t == PaymentModelType::Dynamic {
        let mut need = |field: &str, missing: bool| {
            if missing {
                errors.push(detail(
                    field,
                    "error.field.required",
                    &format!(
                        "{field} is required for a dynamic payment model that does not preset it"
                    ),
                ));
            }
        };
        need("amount", amount.is_none() && model.amount.is_none());
        need("currency", currency.is_none() && model.currency.is_none());
        need("title", title.is_none() && model.title.is_none());
        need(
            "description",
            description.is_none() && model.description.is_none(),
        );
        fields::check(errors)?;
        return Ok(QrValues {
            amount: amount.or(model.amount),
            currency: currency.or_else(|| model.currency.clone()),
            title: title.or_else(|| model.title.clone()),
            description: description.or_else(|| model.description.clone()),
        });
    }
    let mut fixed = |field: &str, differs: bool| {
        if differs {
            errors.push(detail(
                field,
                "error.field.fixed.by.model",
                &format!(
                    "{field} is set by the payment model (typeID {}); only dynamic models (typeID 7) take it in the QR code",
                    t.id()
                ),
            ));
        }
    };
    fixed("amount", amount.is_some() && amount != model.amount);
    fixed("currency", currency.is_some() && currency != model.currency);
    fixed("title", title.is_some() && title != model.title);
    fixed(
        "description",
        description.is_some() && description != model.description,
    );
    fields::check(errors)?;
    Ok(QrValues {
        amount: None,
        currency: None,
        title: None,
        description: None,
    })
}

/// "Generate QR Code" (seed 004 P32): only for approved models of a business the key may act
/// for. The code encodes the wallet URL of a new request that can be signed for
/// `request_ttl_secs`.
pub async fn create_qr(app: &App, caller: &Caller, q: QrInput) -> Result<Qr, AppError> {
    let model = live_model(app, &q.model_id).await?;
    access::authorize(app, caller, &model.business_id, Intent::Write).await?;
    let t = model_type(&model)?;
    if model.status != PaymentModelStatus::Approved {
        return Err(not_approved(&model));
    }
    let v = qr_values(&model, t, &q)?;
    if model.destination == crate::pumapay::payment_models::rules::KEMIX
        && let Some(c) = v.currency.as_ref().or(model.currency.as_ref())
        && !crate::config::SETTLEMENT_CURRENCIES.contains(&c.as_str())
    {
        return Err(AppError::field(
            "currency",
            "error.settlement.currency",
            format!(
                "currency is {c}: a payment model settled in fiat (destination Kemix) is priced in EUR or USD"
            ),
        ));
    }
    let now = app.now();
    let request = Request {
        id: new_id(),
        payment_model_id: model.id.clone(),
        business_id: model.business_id.clone(),
        network_id: model.network_id,
        unique_reference_id: q.unique_reference_id.clone(),
        amount: v.amount,
        currency: v.currency,
        title: v.title,
        description: v.description,
        start_time: None,
        token_cap: None,
        terms_expiry: None,
        created_at: now,
        expires_at: now + app.config.pull_payments.request_ttl_secs * 1_000_000,
        used_at: None,
        pull_payment_id: None,
    };
    let url = format!(
        "{}{}",
        q.base_url.trim_end_matches('/'),
        wallet_path(&request.id)
    );
    let png = qr::png(&url)?;
    let mut tx = app.db.begin().await?;
    store::insert_request(&mut tx, &request).await?;
    tx.commit().await?;
    Ok(Qr { request, url, png })
}

// ---------------------------------------------------------------------------------------------
// The schedule and the terms

/// What one request's customer agrees to, in fiat (cents) and seconds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Schedule {
    pub model_type: PaymentModelType,
    pub currency: String,
    /// Cents per pull (type 8: per top-up).
    pub amount: i64,
    pub initial: i64,
    pub frequency: i64,
    /// Recurring pulls (the initial pull is not counted: the contract adds it).
    pub pulls: i64,
    pub trial: i64,
    /// The whole schedule's fiat (type 8: the customer's top-up limit).
    pub total: i64,
    /// Type 8: the balance under which a top-up happens.
    pub top_up_threshold: Option<i64>,
}

fn range() -> AppError {
    AppError::bad_request(
        "error.amount.range",
        "The payment model's schedule is out of range",
    )
}

/// The schedule of `model` for `request` (decisions.md §2): types 2 and 7 pull once; 3 to 6 as
/// the model says; 8 up to `top_up_max_pulls` top-ups, one second apart at least (the contract
/// needs a frequency when more than one pull is allowed), within the suggested total limit.
pub fn schedule(
    model: &PaymentModel,
    request: &Request,
    top_up_max_pulls: i64,
) -> Result<Schedule, AppError> {
    let t = model_type(model)?;
    let currency = request
        .currency
        .clone()
        .or_else(|| model.currency.clone())
        .or_else(|| model.top_up_threshold_currency.clone())
        .ok_or_else(|| incomplete(model, "currency"))?;
    let amount = || {
        request
            .amount
            .or(model.amount)
            .ok_or_else(|| incomplete(model, "amount"))
    };
    let mut s = Schedule {
        model_type: t,
        currency,
        amount: 0,
        initial: 0,
        frequency: 0,
        pulls: 1,
        trial: 0,
        total: 0,
        top_up_threshold: None,
    };
    match t {
        PaymentModelType::Single | PaymentModelType::Dynamic => s.amount = amount()?,
        PaymentModelType::TopUp => {
            let limit = model
                .top_up_suggested_total_limit
                .ok_or_else(|| incomplete(model, "topUpSuggestedTotalLimit"))?;
            s.top_up_threshold = model.top_up_threshold;
            s.amount = model.amount.or(model.top_up_threshold).unwrap_or(limit);
            s.pulls = top_up_max_pulls.max(1);
            s.frequency = if s.pulls > 1 { 1 } else { 0 };
            s.total = limit;
            return Ok(s);
        }
        _ => {
            s.amount = amount()?;
            s.pulls = model
                .number_of_payments
                .ok_or_else(|| incomplete(model, "numberOfPayments"))?;
            s.frequency = model
                .frequency
                .ok_or_else(|| incomplete(model, "frequency"))?;
            if t.has_initial_payment() {
                s.initial = model.initial_payment_amount;
            }
            if t.has_trial() {
                s.trial = model.trial_period;
            }
        }
    }
    s.total = s
        .amount
        .checked_mul(s.pulls)
        .and_then(|x| x.checked_add(s.initial))
        .ok_or_else(range)?;
    Ok(s)
}

impl Schedule {
    /// Seconds from the start to the last scheduled pull. With an initial payment the recurring
    /// pulls begin one period after it (types 4 and 6), so the last one is a period later.
    pub fn last_pull_offset(&self) -> Option<i64> {
        let extra = i64::from(self.model_type.has_initial_payment());
        (self.pulls - 1 + extra)
            .checked_mul(self.frequency)?
            .checked_add(self.trial)
    }

    /// The schedule in words, for the wallet's confirmation screen.
    pub fn words(&self) -> String {
        let money = |cents: i64| money(cents, &self.currency);
        if self.model_type == PaymentModelType::TopUp {
            let each = match self.top_up_threshold {
                Some(th) => format!(
                    "top-ups of {} when your balance falls below {}",
                    money(self.amount),
                    money(th)
                ),
                None => format!("top-ups of {}", money(self.amount)),
            };
            return format!("{each}, up to {} in total", money(self.total));
        }
        let recurring = if self.pulls == 1 && self.frequency == 0 {
            format!("one payment of {}", money(self.amount))
        } else {
            match every(self.frequency) {
                Periodic::Adjective(adj) => {
                    format!("{} {adj} payments of {}", self.pulls, money(self.amount))
                }
                Periodic::Every(period) => format!(
                    "{} payments of {} every {period}",
                    self.pulls,
                    money(self.amount)
                ),
            }
        };
        let trial = (self.trial > 0).then(|| format!("a {} trial", duration_adjective(self.trial)));
        match (self.initial > 0, trial) {
            (false, None) => recurring,
            (false, Some(trial)) => format!("{recurring} after {trial}"),
            (true, None) => format!("{} now, then {recurring}", money(self.initial)),
            (true, Some(trial)) => {
                format!("{} after {trial}, then {recurring}", money(self.initial))
            }
        }
    }
}

enum Periodic {
    Adjective(&'static str),
    Every(String),
}

fn every(secs: i64) -> Periodic {
    match secs {
        86_400 => Periodic::Adjective("daily"),
        604_800 => Periodic::Adjective("weekly"),
        2_592_000 | 2_628_000 | 2_629_746 => Periodic::Adjective("monthly"),
        7_776_000 => Periodic::Adjective("quarterly"),
        31_536_000 | 31_557_600 => Periodic::Adjective("yearly"),
        s => Periodic::Every(duration_words(s)),
    }
}

fn unit(secs: i64) -> (i64, &'static str) {
    for (size, name) in [(86_400, "day"), (3_600, "hour"), (60, "minute")] {
        if secs >= size && secs % size == 0 {
            return (secs / size, name);
        }
    }
    (secs, "second")
}

/// "3 days", "1 hour".
pub fn duration_words(secs: i64) -> String {
    let (n, name) = unit(secs);
    format!("{n} {name}{}", if n == 1 { "" } else { "s" })
}

/// "7-day", as in "a 7-day trial".
fn duration_adjective(secs: i64) -> String {
    let (n, name) = unit(secs);
    format!("{n}-{name}")
}

/// Cents in a currency: "12.99 USD". Every currency of the API counts in hundredths.
pub fn money(cents: i64, currency: &str) -> String {
    format!("{} {currency}", Decimal::new(cents, 2))
}

/// PMA worth `cents` at `rate`, as a decimal string ("1299", "0.333333333333333333").
fn pma(cents: i64, rate: &Rate) -> String {
    Decimal::new(cents, 2)
        .checked_div(rate.price)
        .map(|d| d.round_dp(18).normalize().to_string())
        .unwrap_or_default()
}

/// The contract's `paymentId`: the keccak256 of the request id, so one QR code can register at
/// most one pull payment on chain.
pub fn payment_id(request_id: &str) -> B256 {
    keccak256(request_id.as_bytes())
}

/// The whole schedule's fiat at `rate` plus the configured margin, in token units.
fn token_cap(total: i64, rate: &Rate, margin_pct: i64) -> Result<U256, AppError> {
    let units = rates::token_units(total, rate)?;
    units
        .checked_mul(U256::from(100 + margin_pct.max(0)))
        .map(|x| x / U256::from(100))
        .ok_or_else(range)
}

// ---------------------------------------------------------------------------------------------
// The wallet's read

/// A request made ready to sign: its fixed terms and what they are about.
pub struct Offer {
    pub request: Request,
    pub model: PaymentModel,
    pub business: Business,
    pub product_name: String,
    pub network: Arc<Network>,
    pub schedule: Schedule,
    pub terms: PullPaymentTerms,
    pub rate: Rate,
}

/// The wallet's view of a request: what to sign, and the terms in words.
#[derive(Debug, Serialize, ToSchema)]
pub struct WalletView {
    /// EIP-712 typed data of the consent, exactly as `eth_signTypedData_v4` takes it.
    #[schema(value_type = Object)]
    pub consent: Value,
    /// EIP-2612 typed data of the permit, or null when the customer's allowance already covers
    /// the token cap.
    #[schema(value_type = Option<Object>)]
    pub permit: Option<Value>,
    pub terms: TermsView,
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TermsView {
    /// The business's name.
    pub merchant: String,
    /// The product's name.
    pub product: String,
    pub title: Option<String>,
    pub description: Option<String>,
    #[serde(rename = "typeID")]
    pub type_id: i64,
    #[serde(rename = "paymentModelID")]
    pub payment_model_id: String,
    #[serde(rename = "uniqueReferenceID")]
    pub unique_reference_id: String,
    pub currency: String,
    /// Cents per pull.
    pub amount: i64,
    /// Cents pulled first (types 4 and 6).
    pub initial_amount: i64,
    /// Cents of the whole schedule (type 8: the top-up limit).
    pub total_amount: i64,
    pub estimated_pma: EstimatedPma,
    /// E.g. "12 monthly payments of 12.99 USD after a 7-day trial".
    pub schedule: String,
    pub number_of_payments: i64,
    /// Seconds between pulls.
    pub frequency: i64,
    /// Seconds.
    pub trial_period: i64,
    /// Unix seconds (network time).
    pub start_time: i64,
    /// Unix seconds after which the consent allows no pull.
    pub expiry: i64,
    /// Most PMA the contract lets this payment pull, token units (18 decimals).
    pub token_cap: String,
    pub customer_address: String,
    pub treasury_wallet: String,
    /// The contract's bytes32 paymentId.
    pub payment_id: String,
    pub chain_id: u64,
    #[serde(rename = "networkID")]
    pub network_id: i64,
    pub contracts: ContractsView,
    /// Until when the request can be signed (ISO 8601).
    pub request_expires_at: String,
}

/// PMA at the current rate (decimal strings), an estimate: pulls convert at execution time.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct EstimatedPma {
    pub amount: String,
    pub initial_amount: String,
    pub total_amount: String,
    /// Price of one PMA in the currency.
    pub rate: String,
    pub rate_source: String,
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ContractsView {
    pub token: String,
    pub pull_payments: String,
}

fn customer_address(raw: Option<&str>) -> Result<Address, AppError> {
    match raw.map(str::trim).filter(|s| !s.is_empty()) {
        None => Err(AppError::field(
            "customerAddress",
            "error.field.required",
            "customerAddress is required: the signed terms and the permit name the customer's wallet",
        )),
        Some(a) => parse_address(a).map_err(|_| {
            AppError::field(
                "customerAddress",
                "error.address.invalid",
                "customerAddress must be a 0x-prefixed EIP-55 address",
            )
        }),
    }
}

/// `GET …/pull-payment-requests/{id}?customerAddress=`: the typed data to sign and the terms.
pub async fn wallet_view(
    app: &App,
    request_id: &str,
    customer: Option<&str>,
) -> Result<WalletView, AppError> {
    let customer = customer_address(customer)?;
    let offer = offer(app, request_id, customer).await?;
    let chain = offer.network.chain.clone();
    let contracts = chain.contracts();
    let consent = consent_typed_data(&offer.terms, chain.chain_id(), contracts.pull_payments);
    let permit = permit_needed(&offer, customer)
        .await?
        .map(|p| permit_typed_data(&p, chain.chain_id(), contracts.token));
    let s = &offer.schedule;
    let r = &offer.request;
    let terms = TermsView {
        merchant: merchant_name(&offer.business),
        product: offer.product_name.clone(),
        title: r.title.clone().or_else(|| offer.model.title.clone()),
        description: r
            .description
            .clone()
            .or_else(|| offer.model.description.clone()),
        type_id: s.model_type.id(),
        payment_model_id: offer.model.id.clone(),
        unique_reference_id: r.unique_reference_id.clone(),
        currency: s.currency.clone(),
        amount: s.amount,
        initial_amount: s.initial,
        total_amount: s.total,
        estimated_pma: estimated_pma(s, &offer.rate),
        schedule: s.words(),
        number_of_payments: s.pulls,
        frequency: s.frequency,
        trial_period: s.trial,
        start_time: r.start_time.unwrap_or_default(),
        expiry: r.terms_expiry.unwrap_or_default(),
        token_cap: offer.terms.tokenCap.to_string(),
        customer_address: customer.to_checksum(None),
        treasury_wallet: offer.terms.treasury.to_checksum(None),
        payment_id: offer.terms.paymentId.to_string(),
        chain_id: chain.chain_id(),
        network_id: offer.network.id,
        contracts: ContractsView {
            token: contracts.token.to_checksum(None),
            pull_payments: contracts.pull_payments.to_checksum(None),
        },
        request_expires_at: iso_millis(r.expires_at),
    };
    Ok(WalletView {
        consent,
        permit,
        terms,
    })
}

/// The permit to ask for, or `None` when the customer already allows the contract the cap.
async fn permit_needed(offer: &Offer, customer: Address) -> Result<Option<Permit>, AppError> {
    let allowance = offer
        .network
        .chain
        .token_allowance(customer)
        .await
        .map_err(chain_unavailable)?;
    if allowance >= offer.terms.tokenCap {
        return Ok(None);
    }
    Ok(Some(permit_of(offer, customer).await?))
}

/// The EIP-2612 permit of the token cap to the pull-payment contract, at the customer's
/// current permit nonce.
async fn permit_of(offer: &Offer, customer: Address) -> Result<Permit, AppError> {
    let chain = &offer.network.chain;
    let nonce = chain
        .permit_nonce(customer)
        .await
        .map_err(chain_unavailable)?;
    Ok(Permit {
        owner: customer,
        spender: chain.contracts().pull_payments,
        value: offer.terms.tokenCap,
        nonce,
        deadline: U256::from(permit_deadline(offer)),
    })
}

/// The permit's deadline: the request's lifetime counted from the first read, in the network's
/// time (what the token compares with the block's timestamp), so a test clock that moved the
/// network ahead of the wall clock cannot make a fresh permit already expired on chain. Built
/// from fixed values only, so the GET and the POST compute the same permit. The wallet signs
/// within the request's lifetime and the executor registers right after the POST.
fn permit_deadline(offer: &Offer) -> i64 {
    let ttl = (offer.request.expires_at - offer.request.created_at).div_euclid(1_000_000);
    // A top-up's start is back-dated by its pulls (see `offer`); the first read was that later.
    let backdated = match offer.schedule.model_type {
        PaymentModelType::TopUp => offer.schedule.pulls * offer.schedule.frequency,
        _ => 0,
    };
    offer
        .request
        .start_time
        .unwrap_or_default()
        .saturating_add(backdated)
        .saturating_add(ttl)
        .max(0)
}

fn chain_unavailable(e: payplane_chain::ChainError) -> AppError {
    AppError::unavailable(format!("The network could not be read: {e}"))
}

/// What every view of a request needs besides the request itself: its approved model, the
/// merchant, the product, the schedule, the network and the current rate.
pub(super) struct Context {
    pub model: PaymentModel,
    pub business: Business,
    pub product_name: String,
    pub schedule: Schedule,
    pub network: Arc<Network>,
    pub rate: Rate,
}

/// The request `id`, whatever its state (404 when there is none).
pub(super) async fn request(app: &App, id: &str) -> Result<Request, AppError> {
    store::get_request(&app.db.read, id).await?.ok_or_else(|| {
        AppError::not_found(
            "error.pull.payment.request.not.found",
            "Pull payment request not found",
        )
    })
}

/// The request's context: refused when its model is no longer approved or its business (or
/// a PSP above it) is disabled.
pub(super) async fn context(app: &App, request: &Request) -> Result<Context, AppError> {
    let model = live_model(app, &request.payment_model_id).await?;
    if model.status != PaymentModelStatus::Approved {
        return Err(not_approved(&model));
    }
    let business = access::caller_business(app, &request.business_id).await?;
    let product_name = products::get(&app.db.read, &model.business_id, &model.product_id)
        .await?
        .map(|p| p.name)
        .ok_or_else(crate::pumapay::products::not_found)?;
    let schedule = schedule(&model, request, app.config.pull_payments.top_up_max_pulls)?;
    let network = networks::network(app, request.network_id).await?;
    let rate = rates::current(app, &schedule.currency).await?;
    Ok(Context {
        model,
        business,
        product_name,
        schedule,
        network,
        rate,
    })
}

/// The name the customer knows the merchant by: its trading name, else its company name.
pub(super) fn merchant_name(b: &Business) -> String {
    b.details
        .business_name
        .clone()
        .filter(|n| !n.trim().is_empty())
        .unwrap_or_else(|| b.company_name.clone())
}

/// The schedule's amounts in PMA at `rate`.
pub(super) fn estimated_pma(s: &Schedule, rate: &Rate) -> EstimatedPma {
    EstimatedPma {
        amount: pma(s.amount, rate),
        initial_amount: pma(s.initial, rate),
        total_amount: pma(s.total, rate),
        rate: rate.price.normalize().to_string(),
        rate_source: rate.source.clone(),
    }
}

/// The request's terms for `customer`, fixing start, token cap and expiry on the first read.
async fn offer(app: &App, request_id: &str, customer: Address) -> Result<Offer, AppError> {
    let mut request = request(app, request_id).await?;
    check_open(app, &request)?;
    let Context {
        model,
        business,
        product_name,
        schedule,
        network,
        rate,
    } = context(app, &request).await?;
    let cfg = &app.config.pull_payments;
    if request.start_time.is_none() {
        // Another process may have moved the test clock since this one read its offset: the
        // terms start at the network's time, or a schedule would begin periods in the past.
        crate::pumapay::test_clock::refresh(app, &network).await?;
        let now = network.now_secs(app);
        let cap = token_cap(schedule.total, &rate, cfg.token_cap_margin_pct)?;
        let (start, expiry) = if schedule.model_type == PaymentModelType::TopUp {
            // Top-ups come when the business asks, not on a clock: the schedule starts as many
            // seconds in the past as it has pulls, so the contract's spacing rule (pull k not
            // before start + k × 1 s) never refuses one, and the consent lasts
            // `top_up_consent_secs`.
            (
                now - schedule.pulls * schedule.frequency,
                now.checked_add(cfg.top_up_consent_secs).ok_or_else(range)?,
            )
        } else {
            let expiry = schedule
                .last_pull_offset()
                .and_then(|o| o.checked_add(now))
                .and_then(|x| x.checked_add(cfg.terms_grace_secs))
                .ok_or_else(range)?;
            (now, expiry)
        };
        let mut tx = app.db.begin().await?;
        // A concurrent first read may have won: its values stay, and we read them back.
        store::fix_terms(&mut tx, &request.id, start, &cap.to_string(), expiry).await?;
        request = store::get_request(&mut *tx, &request.id)
            .await?
            .ok_or_else(|| AppError::internal(std::io::Error::other("request vanished")))?;
        tx.commit().await?;
    }
    let (Some(start), Some(cap), Some(expiry)) = (
        request.start_time,
        request.token_cap.as_deref(),
        request.terms_expiry,
    ) else {
        return Err(AppError::internal(std::io::Error::other(
            "request terms not fixed",
        )));
    };
    let treasury = parse_address(&model.treasury_wallet).map_err(|_| {
        AppError::conflict(
            "error.treasury.wallet.invalid",
            "The payment model's treasury wallet is not a valid address",
        )
    })?;
    let secs = |v: i64| U256::from(v.max(0));
    let terms = PullPaymentTerms {
        paymentId: payment_id(&request.id),
        customer,
        treasury,
        currency: schedule.currency.clone(),
        fiatAmount: secs(schedule.amount),
        initialAmount: secs(schedule.initial),
        frequency: secs(schedule.frequency),
        numberOfPayments: secs(schedule.pulls),
        trialPeriod: secs(schedule.trial),
        startTime: secs(start),
        tokenCap: cap
            .parse::<U256>()
            .map_err(|e| AppError::internal(std::io::Error::other(e.to_string())))?,
        expiry: secs(expiry),
    };
    Ok(Offer {
        request,
        model,
        business,
        product_name,
        network,
        schedule,
        terms,
        rate,
    })
}

pub(super) fn check_open(app: &App, r: &Request) -> Result<(), AppError> {
    if r.used_at.is_some() {
        return Err(used());
    }
    if app.now() >= r.expires_at {
        return Err(AppError::new(
            ErrorKind::Gone,
            "error.pull.payment.request.expired",
            format!(
                "This pull payment request expired at {}; ask the merchant for a new QR code",
                iso_millis(r.expires_at)
            ),
        ));
    }
    Ok(())
}

fn used() -> AppError {
    AppError::conflict(
        "error.pull.payment.request.used",
        "This pull payment request was already signed",
    )
}

/// A model that exists and is not deleted.
async fn live_model(app: &App, id: &str) -> Result<PaymentModel, AppError> {
    payment_models::get(&app.db.read, id)
        .await?
        .filter(|m| m.deleted_at.is_none())
        .ok_or_else(|| {
            AppError::not_found("error.payment.model.not.found", "Payment model not found")
        })
}

fn model_type(m: &PaymentModel) -> Result<PaymentModelType, AppError> {
    PaymentModelType::from_id(m.type_id)
        .ok_or_else(|| AppError::internal(std::io::Error::other("unknown payment model type")))
}

fn not_approved(m: &PaymentModel) -> AppError {
    AppError::conflict(
        "error.payment.model.not.approved",
        format!(
            "Only approved (APR) payment models take customers; this one is {}",
            m.status.as_str()
        ),
    )
}

fn incomplete(m: &PaymentModel, field: &str) -> AppError {
    AppError::conflict(
        "error.payment.model.incomplete",
        format!("Payment model {} has no {field}", m.id),
    )
}

// ---------------------------------------------------------------------------------------------
// The wallet's signatures

/// The wallet's POST body.
#[derive(Debug, Clone, Default)]
pub struct Signatures {
    pub customer_address: Option<String>,
    pub consent_signature: Option<String>,
    pub permit_signature: Option<String>,
}

/// A 0x-hex 65-byte signature (r ‖ s ‖ v) from `eth_signTypedData_v4`.
fn signature(field: &str, raw: Option<&str>, errors: &mut Vec<Detail>) -> Option<Vec<u8>> {
    let Some(raw) = raw.map(str::trim).filter(|s| !s.is_empty()) else {
        errors.push(detail(
            field,
            "error.field.required",
            &format!("{field} is required"),
        ));
        return None;
    };
    match raw
        .strip_prefix("0x")
        .and_then(|h| hex::decode(h).ok())
        .filter(|b| b.len() == 65)
    {
        Some(b) => Some(b),
        None => {
            errors.push(detail(
                field,
                "error.signature.invalid",
                &format!("{field} must be a 0x-prefixed 65-byte hex signature"),
            ));
            None
        }
    }
}

/// Refused unless `sig` over `digest` recovers to `expected`.
fn verify(
    field: &str,
    what: &str,
    digest: B256,
    sig: &[u8],
    expected: Address,
) -> Result<(), AppError> {
    match recover_signer(digest, sig) {
        Ok(signer) if signer == expected => Ok(()),
        Ok(signer) => Err(AppError::field(
            field,
            "error.signature.mismatch",
            format!(
                "{field} was made by {}, not by {}: sign the {what} with the customer's wallet",
                signer.to_checksum(None),
                expected.to_checksum(None)
            ),
        )),
        Err(e) => Err(AppError::field(
            field,
            "error.signature.invalid",
            format!("{field} is not a valid signature: {e}"),
        )),
    }
}

/// `POST …/pull-payment-requests/{id}`: checks the signatures against the fixed terms and, in one
/// transaction, uses the request, writes the pull payment (status 1) and queues its registration.
pub async fn sign(app: &App, request_id: &str, body: Signatures) -> Result<PullPayment, AppError> {
    let mut errors = vec![];
    let customer = match customer_address(body.customer_address.as_deref()) {
        Ok(c) => Some(c),
        Err(e) => {
            errors.extend(e.details);
            None
        }
    };
    let consent_sig = signature(
        "consentSignature",
        body.consent_signature.as_deref(),
        &mut errors,
    );
    let permit_sig = match body.permit_signature.as_deref().map(str::trim) {
        None | Some("") => None,
        raw => signature("permitSignature", raw, &mut errors),
    };
    fields::check(errors)?;
    let (Some(customer), Some(consent_sig)) = (customer, consent_sig) else {
        return Err(AppError::bad_request("error.body.invalid", "Invalid body"));
    };
    let offer = offer(app, request_id, customer).await?;
    let chain = offer.network.chain.clone();
    let contracts = chain.contracts();
    let chain_id = chain.chain_id();
    verify(
        "consentSignature",
        "consent (the `consent` typed data)",
        consent_digest(&offer.terms, chain_id, contracts.pull_payments),
        &consent_sig,
        customer,
    )?;
    let permit = match permit_sig {
        // Checked against the permit the GET showed, even when the allowance would do.
        Some(sig) => {
            let p = permit_of(&offer, customer).await?;
            verify(
                "permitSignature",
                "permit (the `permit` typed data)",
                permit_digest(&p, chain_id, contracts.token),
                &sig,
                customer,
            )?;
            let signed = split_signature(&sig, p.value, p.deadline).map_err(|e| {
                AppError::field(
                    "permitSignature",
                    "error.signature.invalid",
                    format!("permitSignature: {e}"),
                )
            })?;
            Some(serde_json::to_string(&signed).map_err(AppError::internal)?)
        }
        None if permit_needed(&offer, customer).await?.is_some() => {
            return Err(AppError::field(
                "permitSignature",
                "error.permit.required",
                "permitSignature is required: the customer's PMA allowance for the pull-payment contract is below the token cap; sign the `permit` typed data",
            ));
        }
        None => None,
    };
    let now = app.now();
    let (s, r, m) = (&offer.schedule, &offer.request, &offer.model);
    let p = PullPayment {
        id: new_id(),
        chain_payment_id: offer.terms.paymentId.to_string(),
        request_id: r.id.clone(),
        business_id: r.business_id.clone(),
        payment_model_id: m.id.clone(),
        product_id: m.product_id.clone(),
        network_id: r.network_id,
        type_id: s.model_type.id(),
        status: PullPaymentStatus::Initial,
        status_reason: None,
        title: r.title.clone().or_else(|| m.title.clone()),
        description: r.description.clone().or_else(|| m.description.clone()),
        currency: s.currency.clone(),
        amount: s.amount,
        initial_payment_amount: s.initial,
        trial_period: s.trial,
        frequency: s.frequency,
        number_of_payments: s.pulls,
        top_up_limit: (s.model_type == PaymentModelType::TopUp).then_some(s.total),
        customer_address: customer.to_checksum(None),
        treasury_wallet: offer.terms.treasury.to_checksum(None),
        contract_address: contracts.pull_payments.to_checksum(None),
        hd_wallet_index: offer.business.gas_wallet_index,
        unique_reference_id: r.unique_reference_id.clone(),
        terms: serde_json::to_string(&offer.terms).map_err(AppError::internal)?,
        signature: format!("0x{}", hex::encode(&consent_sig)),
        permit,
        start_timestamp: r.start_time.unwrap_or_default(),
        // The last moment the consent allows a pull (the terms' expiry).
        end_timestamp: r.terms_expiry.unwrap_or_default(),
        // The executor sets the schedule once the payment is registered.
        next_payment_at: None,
        last_payment_at: None,
        pulls_made: 0,
        fiat_pulled: 0,
        failed_attempts: 0,
        created_at: now,
        updated_at: now,
    };
    let mut tx = app.db.begin().await?;
    if !store::use_request(&mut tx, &r.id, &p.id, now).await? {
        return Err(used());
    }
    store::insert(&mut tx, &p).await?;
    jobs::enqueue(app, &mut tx, REGISTER_JOB, &json!({ "id": p.id }), now).await?;
    tx.commit().await?;
    jobs::wake(app);
    Ok(p)
}

// ---------------------------------------------------------------------------------------------
// Cancellation by the customer

async fn pull_payment(app: &App, id: &str) -> Result<PullPayment, AppError> {
    store::get(&app.db.read, id).await?.ok_or_else(|| {
        AppError::not_found("error.pull.payment.not.found", "Pull payment not found")
    })
}

/// The chain id and contract the payment was signed for, and its bytes32 id.
async fn cancel_domain(app: &App, p: &PullPayment) -> Result<(u64, Address, B256), AppError> {
    let network = networks::network(app, p.network_id).await?;
    let contract = parse_address(&p.contract_address)
        .map_err(|_| AppError::internal(std::io::Error::other("stored contract address")))?;
    let id = p
        .chain_payment_id
        .parse::<B256>()
        .map_err(|_| AppError::internal(std::io::Error::other("stored payment id")))?;
    Ok((network.chain.chain_id(), contract, id))
}

fn refuse_final(p: &PullPayment) -> Result<(), AppError> {
    if p.status.is_final() {
        return Err(AppError::conflict(
            "error.pull.payment.final",
            format!(
                "This pull payment is {} (status {}) and can no longer be cancelled",
                format!("{:?}", p.status).to_lowercase(),
                p.status.id()
            ),
        ));
    }
    Ok(())
}

/// `GET …/pull-payments/{id}/cancel`: the `CancelPullPayment` typed data the customer signs.
pub async fn cancel_view(app: &App, id: &str) -> Result<(PullPayment, Value), AppError> {
    let p = pull_payment(app, id).await?;
    refuse_final(&p)?;
    let (chain_id, contract, payment_id) = cancel_domain(app, &p).await?;
    Ok((p, cancel_typed_data(payment_id, chain_id, contract)))
}

/// `POST …/pull-payments/{id}/cancel`: a cancellation the customer signed, queued for the
/// executor to relay (`cancelWithSignature`).
pub async fn cancel(app: &App, id: &str, sig: Option<&str>) -> Result<PullPayment, AppError> {
    let mut errors = vec![];
    let sig = signature("signature", sig, &mut errors);
    fields::check(errors)?;
    let Some(sig) = sig else {
        return Err(AppError::bad_request("error.body.invalid", "Invalid body"));
    };
    let p = pull_payment(app, id).await?;
    refuse_final(&p)?;
    let (chain_id, contract, payment_id) = cancel_domain(app, &p).await?;
    let customer = parse_address(&p.customer_address)
        .map_err(|_| AppError::internal(std::io::Error::other("stored customer address")))?;
    verify(
        "signature",
        "cancellation (the `cancel` typed data)",
        cancel_digest(payment_id, chain_id, contract),
        &sig,
        customer,
    )?;
    let now = app.now();
    let payload =
        json!({ "id": p.id, "signature": format!("0x{}", hex::encode(&sig)), "by": "customer" });
    let mut tx = app.db.begin().await?;
    jobs::enqueue(app, &mut tx, CANCEL_JOB, &payload, now).await?;
    tx.commit().await?;
    jobs::wake(app);
    Ok(p)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn schedule_of(t: i64, pulls: i64, freq: i64, trial: i64, initial: i64) -> Schedule {
        Schedule {
            model_type: PaymentModelType::from_id(t).unwrap(),
            currency: "USD".into(),
            amount: 1299,
            initial,
            frequency: freq,
            pulls,
            trial,
            total: 1299 * pulls + initial,
            top_up_threshold: None,
        }
    }

    #[test]
    fn schedules_read_as_words() {
        assert_eq!(
            schedule_of(5, 12, 2_592_000, 604_800, 0).words(),
            "12 monthly payments of 12.99 USD after a 7-day trial"
        );
        assert_eq!(
            schedule_of(4, 12, 2_592_000, 0, 199).words(),
            "1.99 USD now, then 12 monthly payments of 12.99 USD"
        );
        assert_eq!(
            schedule_of(6, 3, 259_200, 3_600, 100).words(),
            "1.00 USD after a 1-hour trial, then 3 payments of 12.99 USD every 3 days"
        );
        assert_eq!(
            schedule_of(2, 1, 0, 0, 0).words(),
            "one payment of 12.99 USD"
        );
        let mut top_up = schedule_of(8, 1000, 1, 0, 0);
        top_up.amount = 500;
        top_up.total = 5000;
        top_up.top_up_threshold = Some(500);
        assert_eq!(
            top_up.words(),
            "top-ups of 5.00 USD when your balance falls below 5.00 USD, up to 50.00 USD in total"
        );
    }

    #[test]
    fn the_last_pull_waits_one_more_period_after_an_initial_payment() {
        assert_eq!(schedule_of(3, 12, 100, 0, 0).last_pull_offset(), Some(1100));
        assert_eq!(
            schedule_of(6, 12, 100, 50, 10).last_pull_offset(),
            Some(1250)
        );
        assert_eq!(schedule_of(2, 1, 0, 0, 0).last_pull_offset(), Some(0));
    }

    #[test]
    fn absent_query_values_include_javascript_nulls() {
        assert_eq!(given(&Some("null".into())), None);
        assert_eq!(given(&Some(" ".into())), None);
        assert_eq!(given(&Some("12".into())), Some("12"));
    }
}
