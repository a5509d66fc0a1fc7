//! Which postback URLs receive a pull-payment event: the most specific of the business's
//! (payment model → product → business) and, through parent links, its PSPs' postbacks;
//! postback-control of each business and network can switch every level off.
use super::body::PostbackData;
use crate::AppError;
use payplane_store::Conn;
use payplane_store::pumapay::postbacks::{self as store, Postback, Scope};
use std::collections::HashSet;

pub const KIND_TRANSACTION: &str = "pullpayment.transaction";
pub const KIND_TEST: &str = "postback.test";

/// Parent chains deeper than this stop (they also cannot loop: each postback is sent once).
const MAX_PARENT_HOPS: usize = 32;

/// The deliveries created for one event.
#[derive(Debug, Clone)]
pub struct Published {
    pub event_id: String,
    /// (delivery id = `webhook-id`, postback id)
    pub deliveries: Vec<(String, String)>,
}

/// Creates, in the caller's transaction, one delivery of `body` per chosen postback.
pub async fn publish_pull_payment_event(
    tx: &mut Conn,
    business_id: &str,
    network_id: i64,
    product_id: Option<&str>,
    payment_model_id: Option<&str>,
    body: &PostbackData,
    now: i64,
) -> Result<Published, AppError> {
    publish(
        tx,
        KIND_TRANSACTION,
        business_id,
        network_id,
        product_id,
        payment_model_id,
        body,
        now,
    )
    .await
}

#[allow(clippy::too_many_arguments)]
pub(crate) async fn publish(
    tx: &mut Conn,
    kind: &str,
    business_id: &str,
    network_id: i64,
    product_id: Option<&str>,
    payment_model_id: Option<&str>,
    body: &impl serde::Serialize,
    now: i64,
) -> Result<Published, AppError> {
    let targets = resolve(tx, business_id, network_id, product_id, payment_model_id).await?;
    enqueue(tx, kind, &targets, body, now).await
}

/// The postbacks an event of `business_id` goes to, in order: the most specific of its own and
/// those its parent links reach (what [`publish`] delivers to).
pub async fn resolve(
    tx: &mut Conn,
    business_id: &str,
    network_id: i64,
    product_id: Option<&str>,
    payment_model_id: Option<&str>,
) -> Result<Vec<String>, AppError> {
    let mut targets = Vec::new();
    let control = store::control(&mut *tx, business_id, network_id).await?;
    let levels = [
        (control.payment_model, Scope::PaymentModel, payment_model_id),
        (control.product, Scope::Product, product_id),
        (control.business, Scope::Business, Some(business_id)),
    ];
    let mut chosen = None;
    for (on, scope, id) in levels {
        let Some(id) = id.filter(|_| on) else {
            continue;
        };
        if let Some(p) = linked(tx, scope, id, network_id, business_id).await? {
            chosen = Some(p);
            break;
        }
    }
    let Some(mut current) = chosen else {
        return Ok(targets);
    };
    let mut seen = HashSet::new();
    let mut parent_on = control.parent_business;
    for _ in 0..=MAX_PARENT_HOPS {
        if !seen.insert(current.endpoint.id.clone()) {
            break;
        }
        targets.push(current.endpoint.id.clone());
        let Some(parent_id) = current.parent_postback_id.clone().filter(|_| parent_on) else {
            break;
        };
        let Some(parent) = store::get(&mut *tx, &parent_id)
            .await?
            .filter(|p| p.network_id == network_id)
        else {
            break;
        };
        parent_on = store::control(&mut *tx, &parent.business_id, network_id)
            .await?
            .parent_business;
        current = parent;
    }
    Ok(targets)
}

/// Creates, in the caller's transaction, one delivery of `body` per postback of `targets`
/// (from [`resolve`]).
pub async fn enqueue(
    tx: &mut Conn,
    kind: &str,
    targets: &[String],
    body: &impl serde::Serialize,
    now: i64,
) -> Result<Published, AppError> {
    let event_id = payplane_core::ids::new_id();
    let mut out = Published {
        event_id: event_id.clone(),
        deliveries: vec![],
    };
    if targets.is_empty() {
        return Ok(out);
    }
    let payload = serde_json::to_string(body).map_err(AppError::internal)?;
    for id in targets {
        payplane_store::webhooks::enqueue_one(tx, id, &event_id, kind, &payload, now).await?;
        out.deliveries.push((
            payplane_store::webhooks::delivery_id(&event_id, id),
            id.clone(),
        ));
    }
    Ok(out)
}

async fn linked(
    tx: &mut Conn,
    scope: Scope,
    scope_id: &str,
    network_id: i64,
    business_id: &str,
) -> Result<Option<Postback>, AppError> {
    let Some(id) = store::link(&mut *tx, scope, scope_id, network_id).await? else {
        return Ok(None);
    };
    Ok(store::get(&mut *tx, &id)
        .await?
        .filter(|p| p.business_id == business_id && p.network_id == network_id))
}
