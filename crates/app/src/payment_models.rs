//! Payment models: creation with the per-type rules of decisions.md §2, listing per product and
//! network, and operator status changes (PND → APR/REJ, APR → SUP, SUP → APR).
use crate::access::{self, Caller, Intent};
use crate::paging::{self, PageQuery};
use crate::users::detail;
use crate::{App, AppError, Detail, businesses, products, wallets};
use payplane_core::ids::new_id;
use payplane_store::payment_models::{self, Order, PaymentModel};

/// One PullPayments contract serves every type (the chain layer's contract).
pub const SMART_CONTRACT_ID: i64 = 1;

/// Body of "Create Payment Model"; numbers already read from integers or numeric strings.
#[derive(Debug, Clone, Default)]
pub struct NewModel {
    pub business_id: Option<String>,
    pub product_id: Option<String>,
    pub title: Option<String>,
    pub internal_title: Option<String>,
    pub description: Option<String>,
    pub amount: Option<i64>,
    pub initial_payment_amount: Option<i64>,
    pub currency: Option<String>,
    pub number_of_payments: Option<i64>,
    pub type_id: Option<i64>,
    pub frequency: Option<i64>,
    pub network_id: Option<i64>,
    pub trial_period: Option<i64>,
    pub destination: Option<String>,
    pub treasury_wallet: Option<String>,
    pub top_up_threshold: Option<i64>,
    pub top_up_threshold_currency: Option<String>,
    pub top_up_suggested_total_limit: Option<i64>,
}

pub fn type_name(t: i64) -> &'static str {
    match t {
        2 => "single pull payment",
        3 => "subscription",
        4 => "subscription with initial payment",
        5 => "subscription with trial",
        6 => "subscription with trial and initial payment",
        7 => "dynamic pull payment",
        8 => "top-up pull payment",
        _ => "unknown type",
    }
}

pub fn status_name(code: &str) -> &'static str {
    match code {
        "PND" => "Pending",
        "APR" => "Approved",
        "REJ" => "Rejected",
        "SUP" => "Suspended",
        _ => "Unknown",
    }
}

fn rule(errors: &mut Vec<Detail>, field: &str, code: &str, t: i64, rule: &str) {
    errors.push(detail(
        field,
        code,
        &format!("{field} {rule} for typeID {t} ({})", type_name(t)),
    ));
}

/// Checks the body and returns the model to store (status and ids still to be set).
fn validate(m: &NewModel, errors: &mut Vec<Detail>) -> Option<PaymentModel> {
    let required = |errors: &mut Vec<Detail>, field: &str, present: bool| {
        if !present {
            errors.push(detail(
                field,
                "error.field.required",
                &format!("{field} is required"),
            ));
        }
    };
    required(
        errors,
        "businessID",
        m.business_id.as_deref().is_some_and(|s| !s.is_empty()),
    );
    let Some(t) = m.type_id else {
        required(errors, "typeID", false);
        return None;
    };
    if !(2..=8).contains(&t) {
        errors.push(detail(
            "typeID",
            "error.type.invalid",
            "typeID must be 2, 3, 4, 5, 6, 7 or 8",
        ));
        return None;
    }
    match m.network_id {
        None => required(errors, "networkID", false),
        Some(n) => paging::network("networkID", n, errors),
    }
    required(
        errors,
        "productID",
        m.product_id.as_deref().is_some_and(|s| !s.is_empty()),
    );
    let destination = match m.destination.as_deref().map(str::trim) {
        None | Some("") => "Treasury".to_string(),
        Some(d) if d.eq_ignore_ascii_case("treasury") => "Treasury".into(),
        Some(d) if d.eq_ignore_ascii_case("kemix") => "Kemix".into(),
        Some(_) => {
            errors.push(detail(
                "destination",
                "error.destination.invalid",
                "destination must be Treasury or Kemix",
            ));
            String::new()
        }
    };
    for (field, v, max) in [
        ("title", &m.title, 200),
        ("internalTitle", &m.internal_title, 200),
        ("description", &m.description, 5000),
    ] {
        if v.as_ref().is_some_and(|s| s.len() > max) {
            errors.push(detail(
                field,
                "error.field.too.long",
                &format!("{field} is at most {max} characters"),
            ));
        }
    }
    let currency = m
        .currency
        .as_deref()
        .and_then(|c| paging::currency("currency", c, errors));
    let initial = m.initial_payment_amount.unwrap_or(0);
    let trial = m.trial_period.unwrap_or(0);
    let recurring = (3..=6).contains(&t);
    let mut number_of_payments = m.number_of_payments;
    let mut frequency = m.frequency;
    let mut top_up_currency = None;
    if (2..=6).contains(&t) {
        required(
            errors,
            "title",
            m.title.as_deref().is_some_and(|s| !s.trim().is_empty()),
        );
        match m.amount {
            None => required(errors, "amount", false),
            Some(a) if a <= 0 => rule(
                errors,
                "amount",
                "error.field.must.be.positive",
                t,
                "must be more than 0 cents",
            ),
            _ => {}
        }
        if m.currency.is_none() {
            required(errors, "currency", false);
        }
    }
    match t {
        2 => {
            if initial != 0 {
                rule(
                    errors,
                    "initialPaymentAmount",
                    "error.field.must.be.zero",
                    t,
                    "must be 0",
                );
            }
            if trial != 0 {
                rule(
                    errors,
                    "trialPeriod",
                    "error.field.must.be.zero",
                    t,
                    "must be 0",
                );
            }
            match number_of_payments {
                None => number_of_payments = Some(1),
                Some(1) => {}
                Some(_) => rule(
                    errors,
                    "numberOfPayments",
                    "error.field.must.be.one",
                    t,
                    "must be 1",
                ),
            }
            match frequency {
                None => frequency = Some(1),
                Some(1) => {}
                Some(_) => rule(
                    errors,
                    "frequency",
                    "error.field.must.be.one",
                    t,
                    "must be 1 (executed instantly)",
                ),
            }
        }
        _ if recurring => {
            let needs_initial = t == 4 || t == 6;
            let needs_trial = t == 5 || t == 6;
            if needs_initial && initial <= 0 {
                rule(
                    errors,
                    "initialPaymentAmount",
                    "error.field.must.be.positive",
                    t,
                    "must be more than 0 cents",
                );
            }
            if !needs_initial && initial != 0 {
                rule(
                    errors,
                    "initialPaymentAmount",
                    "error.field.must.be.zero",
                    t,
                    "must be 0",
                );
            }
            if needs_trial && trial <= 0 {
                rule(
                    errors,
                    "trialPeriod",
                    "error.field.must.be.positive",
                    t,
                    "must be more than 0 seconds",
                );
            }
            if !needs_trial && trial != 0 {
                rule(
                    errors,
                    "trialPeriod",
                    "error.field.must.be.zero",
                    t,
                    "must be 0",
                );
            }
            match number_of_payments {
                None => required(errors, "numberOfPayments", false),
                Some(n) if n < 2 => rule(
                    errors,
                    "numberOfPayments",
                    "error.field.at.least.two",
                    t,
                    "must be 2 or more",
                ),
                _ => {}
            }
            match frequency {
                None => required(errors, "frequency", false),
                Some(f) if f <= 0 => rule(
                    errors,
                    "frequency",
                    "error.field.must.be.positive",
                    t,
                    "must be more than 0 seconds",
                ),
                _ => {}
            }
        }
        7 => {
            required(
                errors,
                "internalTitle",
                m.internal_title
                    .as_deref()
                    .is_some_and(|s| !s.trim().is_empty()),
            );
            if m.amount.is_some_and(|a| a <= 0) {
                rule(
                    errors,
                    "amount",
                    "error.field.must.be.positive",
                    t,
                    "must be more than 0 cents when given",
                );
            }
            if initial != 0 {
                rule(
                    errors,
                    "initialPaymentAmount",
                    "error.field.must.be.zero",
                    t,
                    "must be 0",
                );
            }
            if trial != 0 {
                rule(
                    errors,
                    "trialPeriod",
                    "error.field.must.be.zero",
                    t,
                    "must be 0",
                );
            }
            if number_of_payments.is_some_and(|n| n != 1) {
                rule(
                    errors,
                    "numberOfPayments",
                    "error.field.must.be.one",
                    t,
                    "must be 1 when given",
                );
            }
            if frequency.is_some_and(|f| f != 1) {
                rule(
                    errors,
                    "frequency",
                    "error.field.must.be.one",
                    t,
                    "must be 1 when given",
                );
            }
        }
        _ => {
            // 8: top-up.
            required(
                errors,
                "title",
                m.title.as_deref().is_some_and(|s| !s.trim().is_empty()),
            );
            match m.top_up_threshold {
                None => required(errors, "topUpThreshold", false),
                Some(v) if v <= 0 => rule(
                    errors,
                    "topUpThreshold",
                    "error.field.must.be.positive",
                    t,
                    "must be more than 0 cents",
                ),
                _ => {}
            }
            match m.top_up_threshold_currency.as_deref() {
                None => required(errors, "topUpThresholdCurrency", false),
                Some(c) => top_up_currency = paging::currency("topUpThresholdCurrency", c, errors),
            }
            match m.top_up_suggested_total_limit {
                None => required(errors, "topUpSuggestedTotalLimit", false),
                Some(v) if v <= 0 => rule(
                    errors,
                    "topUpSuggestedTotalLimit",
                    "error.field.must.be.positive",
                    t,
                    "must be more than 0 cents",
                ),
                Some(v) if m.top_up_threshold.is_some_and(|th| v < th) => rule(
                    errors,
                    "topUpSuggestedTotalLimit",
                    "error.field.below.threshold",
                    t,
                    "must be at least topUpThreshold",
                ),
                _ => {}
            }
            if m.amount.is_some_and(|a| a <= 0) {
                rule(
                    errors,
                    "amount",
                    "error.field.must.be.positive",
                    t,
                    "must be more than 0 cents when given",
                );
            }
            if initial != 0 {
                rule(
                    errors,
                    "initialPaymentAmount",
                    "error.field.must.be.zero",
                    t,
                    "must be 0",
                );
            }
            if trial != 0 {
                rule(
                    errors,
                    "trialPeriod",
                    "error.field.must.be.zero",
                    t,
                    "must be 0",
                );
            }
            if let (Some(c), Some(tc)) = (&currency, &top_up_currency)
                && c != tc
            {
                rule(
                    errors,
                    "currency",
                    "error.currency.mismatch",
                    t,
                    "must equal topUpThresholdCurrency",
                );
            }
        }
    }
    if t != 8
        && (m.top_up_threshold.is_some()
            || m.top_up_threshold_currency.is_some()
            || m.top_up_suggested_total_limit.is_some())
    {
        rule(
            errors,
            "topUpThreshold",
            "error.field.not.allowed",
            t,
            "and the other top-up fields are only for typeID 8",
        );
    }
    let treasury = match m.treasury_wallet.as_deref() {
        Some(w) => match wallets::checksummed(w) {
            Ok(w) => Some(w),
            Err(e) => {
                errors.extend(businesses::address_error("treasuryWallet", e).details);
                None
            }
        },
        None => None,
    };
    Some(PaymentModel {
        id: new_id(),
        business_id: m.business_id.clone().unwrap_or_default(),
        product_id: m.product_id.clone().unwrap_or_default(),
        network_id: m.network_id.unwrap_or_default(),
        type_id: t,
        status: "PND".into(),
        title: m.title.clone(),
        internal_title: m.internal_title.clone(),
        description: m.description.clone(),
        amount: m.amount,
        initial_payment_amount: initial,
        trial_period: trial,
        currency: currency.or_else(|| top_up_currency.clone()),
        number_of_payments,
        frequency,
        treasury_wallet: treasury.unwrap_or_default(),
        destination,
        top_up_threshold: m.top_up_threshold,
        top_up_threshold_currency: top_up_currency,
        top_up_suggested_total_limit: m.top_up_suggested_total_limit,
        created_at: 0,
        updated_at: 0,
        deleted_at: None,
    })
}

pub async fn create(app: &App, caller: &Caller, input: NewModel) -> Result<PaymentModel, AppError> {
    let mut errors = vec![];
    let model = validate(&input, &mut errors);
    paging::check(errors)?;
    let Some(mut model) = model else {
        return Err(AppError::bad_request(
            "error.body.invalid",
            "Invalid payment model",
        ));
    };
    let product = products::find(
        app,
        caller,
        &model.business_id,
        &model.product_id,
        Intent::Write,
    )
    .await?;
    if !product.enabled {
        return Err(AppError::conflict(
            "error.product.hidden",
            "The product is hidden and accepts no new payment models",
        ));
    }
    if model.treasury_wallet.is_empty() {
        let b = access::authorize(app, caller, &model.business_id, Intent::Write).await?;
        model.treasury_wallet = b.treasury_wallet.ok_or_else(|| {
            AppError::field(
                "treasuryWallet",
                "error.treasury.wallet.missing",
                "treasuryWallet is required: the business has no treasury wallet yet",
            )
        })?;
    }
    let now = app.now();
    model.created_at = now;
    model.updated_at = now;
    if model.network_id == 3 && app.config.pumapay.auto_approve_test_network {
        model.status = "APR".into();
    }
    let mut tx = app.db.begin().await?;
    payment_models::insert(&mut tx, &model).await?;
    tx.commit().await?;
    Ok(model)
}

#[derive(Debug, Clone, Default)]
pub struct ListQuery {
    pub type_id: Option<i64>,
    pub status: Option<String>,
    pub currency: Option<String>,
    pub page: PageQuery,
}

fn filters(q: &ListQuery, errors: &mut Vec<Detail>) -> (Option<String>, Option<String>) {
    if q.type_id.is_some_and(|t| !(2..=8).contains(&t)) {
        errors.push(detail(
            "typeID",
            "error.type.invalid",
            "typeID must be 2 to 8",
        ));
    }
    let status = q.status.as_ref().map(|s| s.to_ascii_uppercase());
    if status
        .as_deref()
        .is_some_and(|s| !matches!(s, "PND" | "APR" | "REJ" | "SUP"))
    {
        errors.push(detail(
            "statusCode",
            "error.status.invalid",
            "statusCode must be PND, APR, REJ or SUP",
        ));
    }
    let currency = q
        .currency
        .as_deref()
        .and_then(|c| paging::currency("currency", c, errors));
    (status, currency)
}

pub async fn list(
    app: &App,
    caller: &Caller,
    business_id: &str,
    network_id: i64,
    product_id: &str,
    q: ListQuery,
) -> Result<Vec<PaymentModel>, AppError> {
    let mut errors = vec![];
    paging::network("networkID", network_id, &mut errors);
    let page = paging::page(&q.page, &mut errors);
    let order = match page.order_by.as_deref() {
        None | Some("date") | Some("createdat") => Order::Date,
        Some("price") | Some("amount") => Order::Amount,
        Some("title") => Order::Title,
        Some(_) => {
            errors.push(detail(
                "orderBy",
                "error.order.by.invalid",
                "orderBy must be date, price or title",
            ));
            Order::Date
        }
    };
    let (status, currency) = filters(&q, &mut errors);
    paging::check(errors)?;
    let p = products::find(app, caller, business_id, product_id, Intent::Read).await?;
    Ok(payment_models::list(
        &app.db.read,
        &payment_models::Filter {
            business_id: p.business_id,
            network_id,
            product_id: p.id,
            type_id: q.type_id,
            status,
            currency,
            order,
            ascending: page.ascending,
            limit: page.limit,
            offset: page.offset,
        },
    )
    .await?)
}

/// One model of the business on the network; the optional filters act as conditions.
pub async fn single(
    app: &App,
    caller: &Caller,
    business_id: &str,
    network_id: i64,
    id: &str,
    q: ListQuery,
) -> Result<PaymentModel, AppError> {
    let mut errors = vec![];
    paging::network("networkID", network_id, &mut errors);
    let (status, currency) = filters(&q, &mut errors);
    paging::check(errors)?;
    let b = access::authorize(app, caller, business_id, Intent::Read).await?;
    payment_models::get(&app.db.read, id)
        .await?
        .filter(|m| m.business_id == b.id && m.network_id == network_id)
        .filter(|m| q.type_id.is_none_or(|t| t == m.type_id))
        .filter(|m| status.as_ref().is_none_or(|s| *s == m.status))
        .filter(|m| currency.is_none() || currency == m.currency)
        .ok_or_else(not_found)
}

fn not_found() -> AppError {
    AppError::not_found("error.payment.model.not.found", "Payment model not found")
}

/// Operator decision on a model, written to the audit log.
pub async fn operator_action(
    app: &App,
    actor: &str,
    source: &str,
    id: &str,
    action: &str,
) -> Result<PaymentModel, AppError> {
    let (to, from): (&str, &[&str]) = match action {
        "approve" => ("APR", &["PND", "SUP"]),
        "reject" => ("REJ", &["PND"]),
        "suspend" => ("SUP", &["APR"]),
        other => {
            return Err(AppError::bad_request(
                "error.action.unknown",
                format!("Unknown action {other}; one of approve, reject, suspend"),
            ));
        }
    };
    let now = app.now();
    let mut m = payment_models::get(&app.db.read, id)
        .await?
        .ok_or_else(not_found)?;
    let refused = |m: &PaymentModel| {
        AppError::conflict(
            "error.payment.model.status",
            format!(
                "A {} payment model cannot be {action}d",
                status_name(&m.status).to_lowercase()
            ),
        )
    };
    if !from.contains(&m.status.as_str()) {
        return Err(refused(&m));
    }
    let mut tx = app.db.begin().await?;
    if !payment_models::set_status(&mut tx, id, to, from, now).await? {
        // Another operator moved it in the meantime.
        return Err(refused(&m));
    }
    payplane_store::audit::record(
        &mut tx,
        actor,
        &format!("payment-model.{action}"),
        id,
        source,
        now,
    )
    .await?;
    tx.commit().await?;
    m.status = to.into();
    m.updated_at = now;
    Ok(m)
}
