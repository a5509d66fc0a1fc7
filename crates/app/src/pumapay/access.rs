//! Who may act for which business in the pull-payment API: a business acts for itself and, as a
//! PSP, for its sub-businesses at any depth. Every business-scoped use case goes through
//! `authorize` before it reads or writes anything.
use crate::{App, AppError};
use payplane_store::pumapay::businesses::{self, Business};

/// The business a request acts as (from its `pma-api-key` or console session).
#[derive(Debug, Clone)]
pub struct Caller {
    pub business_id: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Intent {
    Read,
    /// Changes something. A PSP may still read a disabled sub-business (and re-enable it), but
    /// not act for it otherwise.
    Write,
}

/// Sub-business chains deeper than this are refused (also guards against a cycle).
const MAX_DEPTH: usize = 32;

pub fn forbidden(target: &str) -> AppError {
    AppError::forbidden(
        "error.business.forbidden",
        format!("This API key cannot act for business {target}"),
    )
}

pub fn disabled() -> AppError {
    AppError::forbidden(
        "error.business.disabled",
        "This business has been disabled by its PSP",
    )
}

/// Returns the target business when `caller` may act for it. An unknown id answers exactly as
/// another business's id does (403), so ids cannot be probed.
pub async fn authorize(
    app: &App,
    caller: &Caller,
    target_id: &str,
    intent: Intent,
) -> Result<Business, AppError> {
    let target = businesses::get(&app.db.read, target_id)
        .await?
        .ok_or_else(|| forbidden(target_id))?;
    let mut current = target.clone();
    let mut disabled_on_path = false;
    for _ in 0..MAX_DEPTH {
        if current.id == caller.business_id {
            if disabled_on_path && intent == Intent::Write {
                return Err(disabled());
            }
            return Ok(target);
        }
        disabled_on_path |= current.disabled;
        let Some(parent) = current.parent_id.clone() else {
            break;
        };
        current = businesses::get(&app.db.read, &parent)
            .await?
            .ok_or_else(|| forbidden(target_id))?;
    }
    Err(forbidden(target_id))
}

/// The caller's own business, refused when it or any ancestor is disabled.
pub async fn caller_business(app: &App, business_id: &str) -> Result<Business, AppError> {
    let own = businesses::get(&app.db.read, business_id)
        .await?
        .ok_or_else(|| AppError::unauthorized("Invalid API key"))?;
    let mut current = own.clone();
    for _ in 0..MAX_DEPTH {
        if current.disabled {
            return Err(disabled());
        }
        let Some(parent) = current.parent_id.clone() else {
            return Ok(own);
        };
        current = businesses::get(&app.db.read, &parent)
            .await?
            .ok_or_else(|| AppError::unauthorized("Invalid API key"))?;
    }
    Ok(own)
}
