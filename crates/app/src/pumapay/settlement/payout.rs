//! Paying a settlement: one ledger transaction from the business's claimed balance into the
//! linked account of the accounts API (the job `settlement.pay`, queued when the settlement is
//! created and when an account is linked), or, without a link, an operator's decision
//! (`payplane admin settlement settle|unsettle ID`, `POST /api/v2/admin/settlements/{id}/{action}`).
//! Each change goes out, in the same transaction, as a postback to the business
//! (`settlement.pending|settled|unsettled`) and, for a payment into an account, as an event of the
//! account's owner (`settlement.credited`: `/users/me/events` and their webhooks).
use super::view::SettlementView;
use super::{claimed_ledger, not_found, view_in};
use crate::jobs::Handler;
use crate::pazemo::accounts::ensure_platform;
use crate::pazemo::amounts;
use crate::pumapay::postbacks::routing;
use crate::{App, AppError};
use payplane_core::kinds::{Network, SettlementStatus as S};
use payplane_core::ledger::Posting;
use payplane_store::Conn;
use payplane_store::ledger;
use payplane_store::pazemo::accounts::{self, main_ledger};
use payplane_store::pumapay::settlements::{self as store, Change, Link, PAYOUT, Summary};

pub const PAY: &str = "settlement.pay";

pub const JOBS: &[(&str, Handler)] = &[(PAY, |app, p| Box::pin(pay_job(app, p)))];

/// The account event of a payment into an account.
pub const CREDITED: &str = "settlement.credited";

async fn pay_job(app: &App, p: &serde_json::Value) -> Result<(), AppError> {
    let id = p
        .get("id")
        .and_then(|v| v.as_str())
        .ok_or_else(|| AppError::bad_request("error.job.payload", "job payload has no id"))?;
    pay_if_linked(app, id).await.map(|_| ())
}

/// Pays a pending settlement into the business's linked account; true when it did. Without a
/// usable link it stays pending for an operator.
pub async fn pay_if_linked(app: &App, id: &str) -> Result<bool, AppError> {
    let mut tx = app.db.begin().await?;
    let Some(s) = store::get(&mut *tx, id).await? else {
        return Ok(false);
    };
    if s.settlement.status != S::Pending {
        return Ok(false);
    }
    let Some(link) = usable_link(&mut tx, &s).await? else {
        return Ok(false);
    };
    let paid = pay(&mut tx, app, &s, PayTo::Account(&link)).await?;
    tx.commit().await?;
    Ok(paid.is_some())
}

/// The business's link for the settlement's network and currency, if it can be paid into: the
/// account is (still) in that currency and mode, and the owner's token that consented is not
/// revoked (revoking it withdraws the consent).
async fn usable_link(conn: &mut Conn, s: &Summary) -> Result<Option<Link>, AppError> {
    let st = &s.settlement;
    let Some(link) = store::link(&mut *conn, &st.business_id, st.network_id, &st.currency).await?
    else {
        return Ok(None);
    };
    let account = accounts::get_any(conn, &link.account_id).await?;
    let fits = account.is_some_and(|a| {
        a.currency == st.currency && a.mode == mode(st.network_id) && a.user_id == link.user_id
    });
    if !fits {
        tracing::warn!(settlement = %st.id, account = %link.account_id, "linked account does not fit the settlement: left pending");
        return Ok(None);
    }
    if !payplane_store::pazemo::tokens::is_active(conn, &link.token_id).await? {
        tracing::info!(settlement = %st.id, "the consenting token was revoked: left pending");
        return Ok(None);
    }
    Ok(Some(link))
}

fn mode(network_id: i64) -> &'static str {
    Network::from_id(network_id).map_or("test", Network::mode)
}

/// Where a settlement's money goes.
enum PayTo<'a> {
    /// Into the linked account.
    Account(&'a Link),
    /// Paid outside the platform (an operator's bank transfer), under this reference.
    Outside(Option<&'a str>),
}

/// Marks `s` settled and pays it in one ledger transaction: the claimed balance gives its total,
/// the account (or the platform's settlement payout clearing) gets it less the fee, the fee goes
/// to fee revenue. `None` when it was no longer pending or unsettled (paid meanwhile).
async fn pay(
    conn: &mut Conn,
    app: &App,
    s: &Summary,
    to: PayTo<'_>,
) -> Result<Option<SettlementView>, AppError> {
    let st = &s.settlement;
    let now = app.now();
    let mode = mode(st.network_id);
    let (account_id, reference) = match &to {
        PayTo::Account(l) => (Some(l.account_id.as_str()), None),
        PayTo::Outside(r) => (None, *r),
    };
    let moved = store::set_status(
        conn,
        &st.id,
        &[S::Pending, S::Unsettled],
        &Change {
            to: S::Settled,
            account_id,
            payout_reference: reference,
            reason: None,
            now,
        },
    )
    .await?;
    if !moved {
        return Ok(None);
    }
    let cur = st.currency.as_str();
    let net = s.total_fiat - s.fee;
    let receiver = match &to {
        PayTo::Account(l) => main_ledger(&l.account_id),
        PayTo::Outside(_) => ensure_platform(conn, mode, "settlement-payout", cur, now).await?,
    };
    let mut postings = vec![Posting::new(
        claimed_ledger(&st.business_id, mode, cur),
        cur,
        -s.total_fiat,
    )];
    if net > 0 {
        postings.push(Posting::new(receiver, cur, net));
    }
    if s.fee > 0 {
        let fees = ensure_platform(conn, mode, "fees", cur, now).await?;
        postings.push(Posting::new(fees, cur, s.fee));
    }
    let txn = ledger::post(conn, PAYOUT, mode, &st.id, &postings, now).await?;
    let after = store::get(&mut *conn, &st.id)
        .await?
        .ok_or_else(not_found)?;
    let view = view_in(conn, app, &after).await?;
    postback(conn, &view, now).await?;
    if let PayTo::Account(l) = to {
        let payload = serde_json::json!({
            "accountId": l.account_id,
            "settlementId": st.id,
            "referenceNo": st.reference_no,
            "businessID": st.business_id,
            "currencyId": cur,
            "amount": amounts::json(net, 2),
            "feeAmount": amounts::json(s.fee, 2),
            "totalFiatAmount": amounts::json(s.total_fiat, 2),
            "transactionId": txn,
        });
        payplane_store::events::append(
            conn,
            payplane_store::events::NewEvent {
                kind: CREDITED,
                owner_id: &l.user_id,
                mode,
                subject_id: &st.id,
                payload: &payload,
            },
            now,
        )
        .await?;
    }
    Ok(Some(view))
}

/// The `settlement.<status>` postback of the business (its business-level postback and its
/// PSPs', as postback-control allows), with the settlement as body.
pub(crate) async fn postback(
    conn: &mut Conn,
    view: &SettlementView,
    now: i64,
) -> Result<(), AppError> {
    routing::publish(
        conn,
        &format!("settlement.{}", view.status),
        &view.business_id,
        view.network_id,
        None,
        None,
        view,
        now,
    )
    .await?;
    Ok(())
}

/// An operator's decision on a settlement, audit-logged:
/// - `settle`: a pending or unsettled settlement is paid — into the linked account when the
///   business has a usable one, otherwise recorded as paid outside the platform under
///   `reference` (the money leaves to the platform's settlement payout clearing);
/// - `unsettle`: a pending settlement is marked not paid (`reason` kept); its money stays
///   claimed, and it can still be settled later.
pub async fn operator_action(
    app: &App,
    actor: &str,
    source: &str,
    id: &str,
    action: &str,
    reference: Option<&str>,
    reason: Option<&str>,
) -> Result<SettlementView, AppError> {
    let reference = reference.map(str::trim).filter(|r| !r.is_empty());
    let reason = reason.map(str::trim).filter(|r| !r.is_empty());
    if !matches!(action, "settle" | "unsettle") {
        return Err(AppError::bad_request(
            "error.action.unknown",
            format!("Unknown action {action}; one of settle, unsettle"),
        ));
    }
    let mut tx = app.db.begin().await?;
    let s = store::get(&mut *tx, id).await?.ok_or_else(not_found)?;
    let refused = |s: &Summary| {
        AppError::conflict(
            "error.settlement.status",
            format!("A {} settlement cannot be {action}d", s.settlement.status),
        )
    };
    let now = app.now();
    let view = if action == "settle" {
        let link = usable_link(&mut tx, &s).await?;
        let to = match &link {
            Some(l) => PayTo::Account(l),
            None => PayTo::Outside(reference),
        };
        pay(&mut tx, app, &s, to)
            .await?
            .ok_or_else(|| refused(&s))?
    } else {
        let moved = store::set_status(
            &mut tx,
            id,
            &[S::Pending],
            &Change {
                to: S::Unsettled,
                account_id: None,
                payout_reference: None,
                reason,
                now,
            },
        )
        .await?;
        if !moved {
            return Err(refused(&s));
        }
        let after = store::get(&mut *tx, id).await?.ok_or_else(not_found)?;
        let view = view_in(&mut tx, app, &after).await?;
        postback(&mut tx, &view, now).await?;
        view
    };
    let what = match (action, &view.account_id, reference, reason) {
        ("settle", Some(a), _, _) => format!("{id} into account {a}"),
        ("settle", None, r, _) => format!("{id} outside ref={}", r.unwrap_or("-")),
        (_, _, _, r) => format!("{id} reason={}", r.unwrap_or("-")),
    };
    payplane_store::audit::record(
        &mut tx,
        actor,
        &format!("settlement.{action}"),
        &what,
        source,
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(view)
}
