//! PSP sub-businesses: create, list, check the parent link, disable/enable.
use crate::pumapay::access::{self, Caller, Intent};
use crate::pumapay::businesses::create;
use crate::{App, AppError};
use payplane_store::pumapay::businesses::{self, Business};
use payplane_store::pumapay::console::BusinessUser;

/// A PSP creates a sub-business with its admin user; the parent becomes a PSP by doing so.
pub async fn create_sub_business(
    app: &App,
    caller: &Caller,
    parent_id: &str,
    company: &str,
    email: &str,
    password: &str,
) -> Result<(Business, BusinessUser), AppError> {
    let parent = access::authorize(app, caller, parent_id, Intent::Write).await?;
    if app.config.pumapay.psp_requires_operator_flag && !parent.is_psp {
        return Err(AppError::forbidden(
            "error.business.not.psp",
            "Only a business an operator marked as PSP can create sub-businesses",
        ));
    }
    let created = create(app, Some(&parent.id), company, email, password).await?;
    if !parent.is_psp {
        let mut tx = app.db.begin().await?;
        if let Some(mut p) = businesses::lock(&mut tx, &parent.id).await? {
            p.is_psp = true;
            p.updated_at = app.now();
            businesses::update(&mut tx, &p).await?;
        }
        tx.commit().await?;
    }
    Ok(created)
}

/// The direct sub-businesses of a parent.
pub async fn sub_businesses(
    app: &App,
    caller: &Caller,
    parent_id: &str,
) -> Result<Vec<Business>, AppError> {
    let parent = access::authorize(app, caller, parent_id, Intent::Read).await?;
    Ok(businesses::children(&app.db.read, &parent.id).await?)
}

/// Checks that `business_id` is a direct sub-business of `parent_id` and the caller may act for
/// the parent.
pub async fn authorize_sub(
    app: &App,
    caller: &Caller,
    parent_id: &str,
    business_id: &str,
    intent: Intent,
) -> Result<Business, AppError> {
    access::authorize(app, caller, parent_id, intent).await?;
    let child = access::authorize(app, caller, business_id, Intent::Read).await?;
    if child.parent_id.as_deref() != Some(parent_id) {
        return Err(AppError::forbidden(
            "error.business.not.sub",
            format!("Business {business_id} is not a sub-business of {parent_id}"),
        ));
    }
    Ok(child)
}

/// Disables or re-enables a sub-business. A disabled business's key is refused and the
/// pull-payment executor stops its payments (it reads this flag).
pub async fn set_disabled(
    app: &App,
    caller: &Caller,
    parent_id: &str,
    business_id: &str,
    disabled: bool,
) -> Result<Business, AppError> {
    let child = authorize_sub(app, caller, parent_id, business_id, Intent::Write).await?;
    let now = app.now();
    let mut tx = app.db.begin().await?;
    let mut b = businesses::lock(&mut tx, &child.id)
        .await?
        .ok_or_else(|| access::forbidden(business_id))?;
    if b.disabled != disabled {
        b.disabled = disabled;
        b.status_updated_at = Some(now);
        b.updated_at = now;
        businesses::update(&mut tx, &b).await?;
        let kind = if disabled {
            "business.disabled"
        } else {
            "business.enabled"
        };
        payplane_store::events::append(
            &mut tx,
            payplane_store::events::NewEvent {
                kind,
                owner_id: parent_id,
                mode: "live",
                subject_id: &b.id,
                payload: &serde_json::json!({"businessID": b.id, "parentID": parent_id, "disabled": disabled}),
            },
            now,
        )
        .await?;
    }
    tx.commit().await?;
    Ok(b)
}
