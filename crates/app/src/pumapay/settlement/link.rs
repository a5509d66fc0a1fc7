//! Where a business's settlements are paid: an account of the accounts API in the settlement's
//! currency. The business names it with its `pma-api-key`; the account's owner consents with one
//! of their own tokens (full access) on the same request, so a business cannot point at someone
//! else's account. The token's mode decides the network the link serves: a test-mode account
//! receives the test network's settlements, a live one the main network's. Revoking that token
//! withdraws the consent: settlements are then left pending for an operator.
use super::{currency, payout};
use crate::error::detail;
use crate::pazemo::auth::{Mode, Principal};
use crate::pumapay::access::{self, Caller, Intent};
use crate::pumapay::fields;
use crate::{App, AppError};
use payplane_core::kinds::Network;
use payplane_store::pumapay::settlements::{self as store, Link};

/// The body of `PUT business/settlement-account`, as sent.
#[derive(Debug, Clone, Default)]
pub struct LinkInput {
    /// The business whose settlements are paid; default: the key's own.
    pub business_id: Option<String>,
    pub currency: Option<String>,
    pub account_id: Option<String>,
    pub user_id: Option<String>,
}

/// The network whose settlements an account of this mode receives.
pub fn network_of(mode: Mode) -> Network {
    match mode {
        Mode::Live => Network::Main,
        Mode::Test => Network::Test,
    }
}

fn given(v: &Option<String>) -> Option<&str> {
    v.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

/// Links the owner's account (see the module); pending settlements of that network and currency
/// are queued for payment into it. Re-linking replaces the account.
pub async fn link(
    app: &App,
    caller: &Caller,
    owner: &Principal,
    input: LinkInput,
) -> Result<Link, AppError> {
    let mut errors = vec![];
    let cur = match given(&input.currency) {
        Some(c) => currency("currency", c, &mut errors),
        None => {
            errors.push(detail(
                "currency",
                "error.field.required",
                "currency is required (EUR or USD)",
            ));
            None
        }
    };
    for (field, v) in [("accountId", &input.account_id), ("userId", &input.user_id)] {
        if given(v).is_none() {
            errors.push(detail(
                field,
                "error.field.required",
                &format!("{field} is required"),
            ));
        }
    }
    fields::check(errors)?;
    let (Some(cur), Some(account_id), Some(user_id)) =
        (cur, given(&input.account_id), given(&input.user_id))
    else {
        return Err(AppError::bad_request(
            "error.field.required",
            "currency, accountId and userId are required",
        ));
    };
    let business_id = given(&input.business_id).unwrap_or(&caller.business_id);
    let b = access::authorize(app, caller, business_id, Intent::Write).await?;
    if owner.user_id != user_id {
        return Err(AppError::forbidden(
            "error.settlement.account.consent",
            "The Authorization token is not userId's: only the owner of an account can link it, with one of their own tokens",
        ));
    }
    let account = crate::pazemo::accounts::get(app, owner, user_id, account_id).await?;
    if account.currency != cur {
        return Err(AppError::field(
            "currency",
            "error.settlement.account.currency",
            format!(
                "currency is {cur} but account {account_id} is in {}: settlements are paid into an account of their own currency",
                account.currency
            ),
        ));
    }
    let network = network_of(owner.mode);
    let now = app.now();
    let pending = store::pending_ids(&app.db.read, &b.id, network.id(), &cur).await?;
    let mut tx = app.db.begin().await?;
    let created_at = store::link(&mut *tx, &b.id, network.id(), &cur)
        .await?
        .map_or(now, |l| l.created_at);
    let link = Link {
        business_id: b.id.clone(),
        network_id: network.id(),
        currency: cur.clone(),
        account_id: account.id.clone(),
        user_id: owner.user_id.clone(),
        token_id: owner.token_id.clone(),
        created_at,
        updated_at: now,
    };
    store::put_link(&mut tx, &link).await?;
    let payload = serde_json::json!({
        "businessID": link.business_id,
        "accountId": link.account_id,
        "currencyId": link.currency,
        "networkID": link.network_id,
        "tokenId": link.token_id,
    });
    payplane_store::events::append(
        &mut tx,
        payplane_store::events::NewEvent {
            kind: "settlement.account.linked",
            owner_id: &owner.user_id,
            mode: owner.mode.as_str(),
            subject_id: &account.id,
            payload: &payload,
        },
        now,
    )
    .await?;
    for id in pending {
        crate::jobs::enqueue(
            app,
            &mut tx,
            payout::PAY,
            &serde_json::json!({ "id": id }),
            now,
        )
        .await?;
    }
    tx.commit().await?;
    crate::jobs::wake(app);
    Ok(link)
}

/// The business's links, by network and currency.
pub async fn links(app: &App, caller: &Caller, business_id: &str) -> Result<Vec<Link>, AppError> {
    let b = access::authorize(app, caller, business_id, Intent::Read).await?;
    Ok(store::links_of(&app.db.read, &b.id).await?)
}

/// Removes the business's link for a currency on a network (the key alone may: it only stops
/// payments); 404 when there is none.
pub async fn unlink(
    app: &App,
    caller: &Caller,
    business_id: &str,
    currency_text: &str,
    network_text: Option<&str>,
) -> Result<(), AppError> {
    let (cur, network) = super::place(currency_text, network_text)?;
    let b = access::authorize(app, caller, business_id, Intent::Write).await?;
    let mut tx = app.db.begin().await?;
    if !store::delete_link(&mut tx, &b.id, network.id(), &cur).await? {
        return Err(AppError::not_found(
            "error.settlement.account.not.found",
            format!(
                "No account is linked for {cur} settlements on network {}",
                network.id()
            ),
        ));
    }
    tx.commit().await?;
    Ok(())
}
