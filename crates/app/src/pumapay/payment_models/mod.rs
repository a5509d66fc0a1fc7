//! Payment models: creation with the per-type rules of decisions.md §2, listing per product and
//! network, and operator status changes (PND → APR/REJ, APR → SUP, SUP → APR).
pub mod rules;

use crate::error::detail;
use crate::pumapay::access::{self, Caller, Intent};
use crate::pumapay::fields;
use crate::pumapay::paging::{self, PageQuery};
use crate::{App, AppError, Detail, pumapay::products};
use payplane_store::pumapay::payment_models::{self, Order, PaymentModel};

/// One PullPayments contract serves every type (the chain layer's contract).
pub const SMART_CONTRACT_ID: i64 = 1;

use payplane_core::kinds::{Network, PaymentModelStatus, PaymentModelType};
pub use rules::NewModel;

pub async fn create(app: &App, caller: &Caller, input: NewModel) -> Result<PaymentModel, AppError> {
    let mut model = rules::parse(&input).map_err(AppError::fields)?;
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
    if model.destination == rules::KEMIX {
        // The PMA of a pull settled in fiat goes to the platform, which pays the fiat.
        let wallet = crate::pumapay::wallets::settlement_wallet(app).await?;
        if !model.treasury_wallet.is_empty() && model.treasury_wallet != wallet {
            return Err(AppError::field(
                "treasuryWallet",
                "error.treasury.wallet.kemix",
                format!(
                    "treasuryWallet cannot be set for destination Kemix: the PMA of pulls settled in fiat goes to the platform's settlement wallet {wallet}"
                ),
            ));
        }
        model.treasury_wallet = wallet;
    } else if model.treasury_wallet.is_empty() {
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
    if model.network_id == Network::Test.id() && app.config.pumapay.auto_approve_test_network {
        model.status = PaymentModelStatus::Approved;
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

fn filters(
    q: &ListQuery,
    errors: &mut Vec<Detail>,
) -> (Option<PaymentModelStatus>, Option<String>) {
    if q.type_id
        .is_some_and(|t| PaymentModelType::from_id(t).is_none())
    {
        errors.push(detail(
            "typeID",
            "error.type.invalid",
            "typeID must be 2 to 8",
        ));
    }
    let status = match q.status.as_ref().map(|s| s.to_ascii_uppercase().parse()) {
        None => None,
        Some(Ok(s)) => Some(s),
        Some(Err(_)) => {
            errors.push(detail(
                "statusCode",
                "error.status.invalid",
                "statusCode must be PND, APR, REJ or SUP",
            ));
            None
        }
    };
    let currency = q
        .currency
        .as_deref()
        .and_then(|c| fields::currency("currency", c, errors));
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
    fields::network("networkID", network_id, &mut errors);
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
    fields::check(errors)?;
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
    fields::network("networkID", network_id, &mut errors);
    let (status, currency) = filters(&q, &mut errors);
    fields::check(errors)?;
    let b = access::authorize(app, caller, business_id, Intent::Read).await?;
    payment_models::get(&app.db.read, id)
        .await?
        .filter(|m| m.business_id == b.id && m.network_id == network_id)
        .filter(|m| q.type_id.is_none_or(|t| t == m.type_id))
        .filter(|m| status.is_none_or(|s| s == m.status))
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
    use PaymentModelStatus::{Approved, Pending, Rejected, Suspended};
    let (to, from): (PaymentModelStatus, &[PaymentModelStatus]) = match action {
        "approve" => (Approved, &[Pending, Suspended]),
        "reject" => (Rejected, &[Pending]),
        "suspend" => (Suspended, &[Approved]),
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
                m.status.name().to_lowercase()
            ),
        )
    };
    if !from.contains(&m.status) {
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
    m.status = to;
    m.updated_at = now;
    Ok(m)
}
