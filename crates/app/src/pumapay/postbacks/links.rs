//! Which postback a business, product or payment model uses, and the parent PSP's postback a
//! sub-business's postback also reports to.
use super::{not_found, owned};
use crate::pumapay::access::{self, Caller, Intent};
use crate::{App, AppError};
use payplane_store::pumapay::businesses::Business;
use payplane_store::pumapay::payment_models::PaymentModel;
use payplane_store::pumapay::postbacks::{self as store, Postback, Scope};
use payplane_store::pumapay::products::Product;

/// Links a business's own postback to its product (on the postback's network).
pub async fn set_product(
    app: &App,
    caller: &Caller,
    business_id: &str,
    product_id: &str,
    postback_id: &str,
) -> Result<Product, AppError> {
    let p = owned(app, caller, business_id, postback_id, Intent::Write).await?;
    let product = product_of(app, business_id, product_id).await?;
    link(
        app,
        Scope::Product,
        product_id,
        p.network_id,
        business_id,
        postback_id,
    )
    .await?;
    Ok(product)
}

pub async fn remove_product(
    app: &App,
    caller: &Caller,
    business_id: &str,
    product_id: &str,
    postback_id: &str,
) -> Result<Product, AppError> {
    owned(app, caller, business_id, postback_id, Intent::Write).await?;
    let product = product_of(app, business_id, product_id).await?;
    remove(app, Scope::Product, product_id, postback_id).await?;
    Ok(product)
}

/// Links a postback to a payment model of the same network.
pub async fn set_model(
    app: &App,
    caller: &Caller,
    business_id: &str,
    model_id: &str,
    postback_id: &str,
) -> Result<PaymentModel, AppError> {
    let p = owned(app, caller, business_id, postback_id, Intent::Write).await?;
    let model = model_of(app, business_id, model_id).await?;
    if model.network_id != p.network_id {
        return Err(AppError::field(
            "businessPostbackID",
            "error.postback.network.mismatch",
            "businessPostbackID is for another environment than the payment model's network",
        ));
    }
    link(
        app,
        Scope::PaymentModel,
        model_id,
        p.network_id,
        business_id,
        postback_id,
    )
    .await?;
    Ok(model)
}

pub async fn remove_model(
    app: &App,
    caller: &Caller,
    business_id: &str,
    model_id: &str,
    postback_id: &str,
) -> Result<PaymentModel, AppError> {
    owned(app, caller, business_id, postback_id, Intent::Write).await?;
    let model = model_of(app, business_id, model_id).await?;
    remove(app, Scope::PaymentModel, model_id, postback_id).await?;
    Ok(model)
}

/// Makes a postback the business-level default on its network.
pub async fn set_business(
    app: &App,
    caller: &Caller,
    business_id: &str,
    postback_id: &str,
) -> Result<Business, AppError> {
    let p = owned(app, caller, business_id, postback_id, Intent::Write).await?;
    let business = access::authorize(app, caller, business_id, Intent::Write).await?;
    link(
        app,
        Scope::Business,
        business_id,
        p.network_id,
        business_id,
        postback_id,
    )
    .await?;
    Ok(business)
}

pub async fn remove_business(
    app: &App,
    caller: &Caller,
    business_id: &str,
    postback_id: &str,
) -> Result<Business, AppError> {
    owned(app, caller, business_id, postback_id, Intent::Write).await?;
    let business = access::authorize(app, caller, business_id, Intent::Write).await?;
    remove(app, Scope::Business, business_id, postback_id).await?;
    Ok(business)
}

/// The postback linked to a scope on a network (for the `businessPostbackID` of a row).
pub async fn linked(
    app: &App,
    scope: Scope,
    scope_id: &str,
    network_id: i64,
) -> Result<Option<String>, AppError> {
    Ok(store::link(&app.db.read, scope, scope_id, network_id).await?)
}

async fn remove(
    app: &App,
    scope: Scope,
    scope_id: &str,
    postback_id: &str,
) -> Result<(), AppError> {
    let mut tx = app.db.begin().await?;
    store::remove_link(&mut tx, scope, scope_id, postback_id).await?;
    tx.commit().await?;
    Ok(())
}

/// Links a sub-business's postback to a postback of its parent PSP, which then also receives the
/// sub-business's events. The caller must be allowed to act for both businesses (so only the PSP,
/// or a business above it, can link: a sub-business cannot subscribe its parent).
pub async fn set_parent(
    app: &App,
    caller: &Caller,
    business_id: &str,
    postback_id: &str,
    parent_postback_id: &str,
) -> Result<Postback, AppError> {
    let p = owned(app, caller, business_id, postback_id, Intent::Write).await?;
    let business = access::authorize(app, caller, business_id, Intent::Write).await?;
    let parent = store::get(&app.db.read, parent_postback_id)
        .await?
        .ok_or_else(parent_not_found)?;
    access::authorize(app, caller, &parent.business_id, Intent::Write).await?;
    if business.parent_id.as_deref() != Some(parent.business_id.as_str()) {
        return Err(parent_not_found());
    }
    if parent.network_id != p.network_id {
        return Err(AppError::field(
            "parentBusinessPostbackID",
            "error.postback.network.mismatch",
            "parentBusinessPostbackID is for another environment than businessPostbackID",
        ));
    }
    let mut tx = app.db.begin().await?;
    store::set_parent(&mut tx, postback_id, Some(parent_postback_id), app.now()).await?;
    tx.commit().await?;
    super::opened(
        app,
        store::get(&app.db.read, postback_id)
            .await?
            .ok_or_else(not_found)?,
    )
}

pub async fn remove_parent(
    app: &App,
    caller: &Caller,
    business_id: &str,
    postback_id: &str,
) -> Result<Postback, AppError> {
    owned(app, caller, business_id, postback_id, Intent::Write).await?;
    let mut tx = app.db.begin().await?;
    store::set_parent(&mut tx, postback_id, None, app.now()).await?;
    tx.commit().await?;
    super::opened(
        app,
        store::get(&app.db.read, postback_id)
            .await?
            .ok_or_else(not_found)?,
    )
}

fn parent_not_found() -> AppError {
    AppError::not_found(
        "error.postback.parent.not.found",
        "parentBusinessPostbackID is not a postback of this business's parent",
    )
}

pub async fn product_of(
    app: &App,
    business_id: &str,
    product_id: &str,
) -> Result<Product, AppError> {
    payplane_store::pumapay::products::get(&app.db.read, business_id, product_id)
        .await?
        .ok_or_else(crate::pumapay::products::not_found)
}

pub async fn model_of(
    app: &App,
    business_id: &str,
    model_id: &str,
) -> Result<PaymentModel, AppError> {
    payplane_store::pumapay::payment_models::get(&app.db.read, model_id)
        .await?
        .filter(|m| m.business_id == business_id && m.deleted_at.is_none())
        .ok_or_else(|| {
            AppError::not_found("error.payment.model.not.found", "Payment model not found")
        })
}

/// Writes one link in its own transaction.
async fn link(
    app: &App,
    scope: Scope,
    target: &str,
    network_id: i64,
    business_id: &str,
    postback_id: &str,
) -> Result<(), AppError> {
    let mut tx = app.db.begin().await?;
    store::set_link(
        &mut tx,
        scope,
        target,
        network_id,
        business_id,
        postback_id,
        app.now(),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}
