//! Reading pull payments (seed 004, P17 "Retrieve PullPayments List" and P18 "Retrieve a Single
//! PullPayment"). A key reads its own business's pull payments and its sub-businesses'.
use crate::pumapay::access::{self, Caller, Intent};
use crate::pumapay::{fields, paging};
use crate::{App, AppError};
use payplane_core::kinds::{PaymentModelType, PullPaymentStatus};
use payplane_store::pumapay::pull_payments::{self as store, ListFilter, PullPayment};

/// The list's query as sent: lists already split into their members, numbers still text.
#[derive(Debug, Clone, Default)]
pub struct ListQuery {
    pub network_id: Option<String>,
    /// Payment model ids.
    pub billing_models: Vec<String>,
    /// Payment model types, 2–8.
    pub billing_types: Vec<String>,
    pub products: Vec<String>,
    /// Pull-payment statuses, 1–7.
    pub statuses: Vec<String>,
    pub unique_reference_id: Option<String>,
    pub page: Option<String>,
    /// The `next` cursor of an earlier page; `page` is then not used.
    pub cursor: Option<String>,
    pub items_per_page: Option<String>,
}

/// One page of the pull payments of `business_id` (the caller's own or a sub-business's),
/// newest first.
pub async fn list(
    app: &App,
    caller: &Caller,
    business_id: &str,
    q: ListQuery,
) -> Result<Vec<PullPayment>, AppError> {
    let mut errors = vec![];
    let network_id = paging::int_param("networkID", q.network_id.as_deref(), &mut errors);
    if let Some(n) = network_id {
        fields::network("networkID", n, &mut errors);
    }
    let type_ids = paging::int_list(
        "billingTypes",
        &q.billing_types,
        |t| PaymentModelType::from_id(t).is_some(),
        "payment model types 2 to 8",
        &mut errors,
    );
    let statuses = paging::int_list(
        "statuses",
        &q.statuses,
        |s| PullPaymentStatus::from_id(s).is_some(),
        "pull-payment statuses 1 to 7",
        &mut errors,
    )
    .into_iter()
    .filter_map(PullPaymentStatus::from_id)
    .collect();
    let page = paging::page(
        &paging::page_params(q.page.as_deref(), q.items_per_page.as_deref(), &mut errors),
        &mut errors,
    );
    let window = paging::window(&page, q.cursor.as_deref(), &mut errors);
    fields::check(errors)?;
    let b = access::authorize(app, caller, business_id, Intent::Read).await?;
    Ok(store::list_page(
        &app.db.read,
        &ListFilter {
            business_id: b.id,
            network_id,
            payment_model_ids: q.billing_models,
            type_ids,
            product_ids: q.products,
            statuses,
            unique_reference_id: q.unique_reference_id.filter(|r| !r.trim().is_empty()),
            window,
        },
    )
    .await?)
}

/// One pull payment of the caller or of one of its sub-businesses. Anyone else's (or an unknown
/// id) is the same 404, so ids cannot be probed.
pub async fn single(app: &App, caller: &Caller, id: &str) -> Result<PullPayment, AppError> {
    super::merchant::owned(app, caller, id, Intent::Read).await
}
