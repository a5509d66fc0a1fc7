//! The per-type rules of payment models (decisions.md §2): every broken rule is one field error
//! naming the field, the rule and the type.
use crate::error::detail;
use crate::limits::{self, Face};
use crate::pumapay::fields;
use crate::{Detail, pumapay::businesses, pumapay::wallets};
use payplane_core::ids::new_id;
use payplane_core::kinds::{PaymentModelStatus, PaymentModelType};
use payplane_core::text::TextRule;
use payplane_store::pumapay::payment_models::PaymentModel;

/// The destination of payment models settled in fiat (seed 004: "Kemix for fiat settlement").
pub const KEMIX: &str = "Kemix";

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
    /// `true` settles in fiat (destination Kemix), `false` in PMA to the treasury; it must agree
    /// with `destination` when both are given.
    pub fiat_settlement_opt_in: Option<bool>,
    pub treasury_wallet: Option<String>,
    pub top_up_threshold: Option<i64>,
    pub top_up_threshold_currency: Option<String>,
    pub top_up_suggested_total_limit: Option<i64>,
}

fn rule(errors: &mut Vec<Detail>, field: &str, code: &str, t: PaymentModelType, rule: &str) {
    errors.push(detail(
        field,
        code,
        &format!("{field} {rule} for typeID {} ({})", t.id(), t.name()),
    ));
}

/// `field` must be 0 for this type (`nonzero`: it is not).
fn must_be_zero(errors: &mut Vec<Detail>, field: &str, nonzero: bool, t: PaymentModelType) {
    if nonzero {
        rule(errors, field, "error.field.must.be.zero", t, "must be 0");
    }
}

/// An optional amount in cents must be more than 0 when given.
fn positive_when_given(errors: &mut Vec<Detail>, field: &str, v: Option<i64>, t: PaymentModelType) {
    if v.is_some_and(|a| a <= 0) {
        rule(
            errors,
            field,
            "error.field.must.be.positive",
            t,
            "must be more than 0 cents when given",
        );
    }
}

/// Reads the body of "Create Payment Model" into the model to store (status and ids still to
/// be set), or every rule it breaks, each naming its field.
pub fn parse(m: &NewModel) -> Result<PaymentModel, Vec<Detail>> {
    let mut errors = vec![];
    match collect(m, &mut errors) {
        Some(model) if errors.is_empty() => Ok(model),
        // `collect` gives up only after recording why.
        _ => Err(errors),
    }
}

/// Every broken rule of the body into `errors`; the model when the body was complete enough to
/// build one.
fn collect(m: &NewModel, errors: &mut Vec<Detail>) -> Option<PaymentModel> {
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
    let Some(t) = PaymentModelType::from_id(t) else {
        errors.push(detail(
            "typeID",
            "error.type.invalid",
            "typeID must be 2, 3, 4, 5, 6, 7 or 8",
        ));
        return None;
    };
    match m.network_id {
        None => required(errors, "networkID", false),
        Some(n) => fields::network("networkID", n, errors),
    }
    required(
        errors,
        "productID",
        m.product_id.as_deref().is_some_and(|s| !s.is_empty()),
    );
    let opt_in = m.fiat_settlement_opt_in;
    let destination = match m.destination.as_deref().map(str::trim) {
        None | Some("") if opt_in == Some(true) => KEMIX.to_string(),
        None | Some("") => "Treasury".to_string(),
        Some(d) if d.eq_ignore_ascii_case("treasury") => "Treasury".into(),
        Some(d) if d.eq_ignore_ascii_case("kemix") => KEMIX.into(),
        Some(_) => {
            errors.push(detail(
                "destination",
                "error.destination.invalid",
                "destination must be Treasury or Kemix",
            ));
            String::new()
        }
    };
    if !destination.is_empty() && opt_in.is_some_and(|o| o != (destination == KEMIX)) {
        errors.push(detail(
            "fiatSettlementOptIn",
            "error.destination.mismatch",
            &format!(
                "fiatSettlementOptIn {} contradicts destination {destination}: Kemix settles in fiat, Treasury in PMA",
                opt_in.unwrap_or_default()
            ),
        ));
    }
    for (field, v, rule) in [
        ("title", &m.title, TextRule::NAME),
        ("internalTitle", &m.internal_title, TextRule::NAME),
        (
            "description",
            &m.description,
            TextRule::Multiline { max_chars: 5000 },
        ),
    ] {
        limits::collect(Face::Pumapay, field, v.as_deref(), rule, errors);
    }
    let currency = m
        .currency
        .as_deref()
        .and_then(|c| fields::currency("currency", c, errors));
    let initial = m.initial_payment_amount.unwrap_or(0);
    let trial = m.trial_period.unwrap_or(0);
    let recurring = t.is_recurring();
    let mut number_of_payments = m.number_of_payments;
    let mut frequency = m.frequency;
    let mut top_up_currency = None;
    if t == PaymentModelType::Single || recurring {
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
        PaymentModelType::Single => {
            must_be_zero(errors, "initialPaymentAmount", initial != 0, t);
            must_be_zero(errors, "trialPeriod", trial != 0, t);
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
        PaymentModelType::Subscription
        | PaymentModelType::SubscriptionWithInitial
        | PaymentModelType::SubscriptionWithTrial
        | PaymentModelType::SubscriptionWithTrialAndInitial => {
            let needs_initial = t.has_initial_payment();
            let needs_trial = t.has_trial();
            if needs_initial && initial <= 0 {
                rule(
                    errors,
                    "initialPaymentAmount",
                    "error.field.must.be.positive",
                    t,
                    "must be more than 0 cents",
                );
            }
            must_be_zero(
                errors,
                "initialPaymentAmount",
                !needs_initial && initial != 0,
                t,
            );
            if needs_trial && trial <= 0 {
                rule(
                    errors,
                    "trialPeriod",
                    "error.field.must.be.positive",
                    t,
                    "must be more than 0 seconds",
                );
            }
            must_be_zero(errors, "trialPeriod", !needs_trial && trial != 0, t);
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
        PaymentModelType::Dynamic => {
            required(
                errors,
                "internalTitle",
                m.internal_title
                    .as_deref()
                    .is_some_and(|s| !s.trim().is_empty()),
            );
            positive_when_given(errors, "amount", m.amount, t);
            must_be_zero(errors, "initialPaymentAmount", initial != 0, t);
            must_be_zero(errors, "trialPeriod", trial != 0, t);
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
        PaymentModelType::TopUp => {
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
                Some(c) => top_up_currency = fields::currency("topUpThresholdCurrency", c, errors),
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
            positive_when_given(errors, "amount", m.amount, t);
            must_be_zero(errors, "initialPaymentAmount", initial != 0, t);
            must_be_zero(errors, "trialPeriod", trial != 0, t);
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
    if t != PaymentModelType::TopUp
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
    // Fiat settlement is paid in EUR or USD, in the currency the customer paid: no second
    // conversion (and no second rate) stands between a pull and its settlement.
    if destination == KEMIX
        && let Some(c) = currency.as_ref().or(top_up_currency.as_ref())
        && !crate::config::SETTLEMENT_CURRENCIES.contains(&c.as_str())
    {
        let field = if currency.is_some() {
            "currency"
        } else {
            "topUpThresholdCurrency"
        };
        errors.push(detail(
            field,
            "error.settlement.currency",
            &format!(
                "{field} is {c}: a payment model settled in fiat (destination Kemix) is priced in EUR or USD"
            ),
        ));
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
        type_id: t.id(),
        status: PaymentModelStatus::Pending,
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
