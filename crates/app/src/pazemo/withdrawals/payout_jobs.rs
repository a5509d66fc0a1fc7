//! What happens to a withdrawal's money after it is confirmed: the payout job hands it to the
//! network, the settle job polls the network and books the outcome. Ledger movements:
//! hold: main → hold (amount + fee), at creation;
//! release: hold → main, on cancel or failure;
//! payout: hold → platform payout clearing (amount), and fee: hold → platform fee revenue (fee),
//! on success.
use super::view::view;
use crate::pazemo::auth::Mode;
use crate::pazemo::payouts::{PayoutOrder, PayoutStatus, network_for};
use crate::{App, AppError, jobs, pazemo::accounts::ensure_platform};
use payplane_core::kinds::WithdrawalStatus;
use payplane_core::ledger::transfer;
use payplane_store::events;
use payplane_store::pazemo::accounts::{hold_ledger, main_ledger};
use payplane_store::pazemo::withdrawals::{self, Withdrawal, event_of};
use payplane_store::{Conn, ledger};
use serde_json::json;

pub const SUBMIT_JOB: &str = "withdrawal.submit";
pub const SETTLE_JOB: &str = "withdrawal.settle";

/// The job kinds of a confirmed withdrawal (see `jobs::Registry`).
pub const JOBS: &[(&str, jobs::Handler)] = &[
    (SUBMIT_JOB, |app, payload| {
        Box::pin(run_submit(app, payload))
    }),
    (SETTLE_JOB, |app, payload| {
        Box::pin(run_settle(app, payload))
    }),
];

pub async fn release(conn: &mut Conn, w: &Withdrawal, now: i64) -> Result<(), AppError> {
    let postings = transfer(
        &hold_ledger(&w.account_id),
        &main_ledger(&w.account_id),
        &w.currency,
        w.amount + w.fee_amount,
    );
    ledger::post(conn, "release", &w.mode, &w.id, &postings, now).await?;
    Ok(())
}

async fn pay_out(conn: &mut Conn, w: &Withdrawal, now: i64) -> Result<(), AppError> {
    let hold = hold_ledger(&w.account_id);
    let clearing = ensure_platform(conn, &w.mode, "payout", &w.currency, now).await?;
    let payout = transfer(&hold, &clearing, &w.currency, w.amount);
    ledger::post(conn, "payout", &w.mode, &w.id, &payout, now).await?;
    if w.fee_amount > 0 {
        let revenue = ensure_platform(conn, &w.mode, "fees", &w.currency, now).await?;
        let fee = transfer(&hold, &revenue, &w.currency, w.fee_amount);
        ledger::post(conn, "fee", &w.mode, &w.id, &fee, now).await?;
    }
    Ok(())
}

/// Writes the `withdrawal.<status>` outbox event for `w` as it now is.
pub async fn event(conn: &mut Conn, w: &Withdrawal, now: i64) -> Result<(), AppError> {
    let (kind, payload) = (format!("withdrawal.{}", w.status), view(w));
    events::append(conn, event_of(w, &kind, &payload), now).await?;
    Ok(())
}

/// `from` → failed (or cancelled) with the hold released, in the caller's transaction. False if
/// the withdrawal was no longer in `from`.
pub async fn finish_unpaid(
    conn: &mut Conn,
    w: &Withdrawal,
    from: WithdrawalStatus,
    to: WithdrawalStatus,
    reason: Option<&str>,
    now: i64,
) -> Result<bool, AppError> {
    if !withdrawals::transition(conn, &w.id, from, to, reason, now).await? {
        return Ok(false);
    }
    release(conn, w, now).await?;
    let mut w = w.clone();
    w.status = to;
    w.updated_at = now;
    event(conn, &w, now).await?;
    Ok(true)
}

fn order(w: &Withdrawal, submitted_at: i64) -> PayoutOrder {
    PayoutOrder {
        withdrawal_id: w.id.clone(),
        currency: w.currency.clone(),
        amount: w.amount,
        bank_id: w.prefix.clone(),
        account_number: w.address.clone(),
        account_name: w.address_name.clone(),
        submitted_at,
        network_ref: w.network_ref.clone(),
    }
}

async fn load_processing(
    app: &App,
    payload: &serde_json::Value,
) -> Result<Option<Withdrawal>, AppError> {
    let id = payload["withdrawalId"].as_str().unwrap_or("");
    let mut conn = app.db.read.acquire().await?;
    Ok(withdrawals::get_any(&mut conn, id)
        .await?
        .filter(|w| w.status == WithdrawalStatus::Processing))
}

fn settle_delay(app: &App) -> i64 {
    app.config.payouts.sandbox_settle_secs.max(1) * 1_000_000
}

/// Job: hands a confirmed withdrawal to its network. The network call happens with no
/// transaction open; networks deduplicate on the withdrawal id if the job is retried.
pub async fn run_submit(app: &App, payload: &serde_json::Value) -> Result<(), AppError> {
    let Some(w) = load_processing(app, payload).await? else {
        return Ok(());
    };
    let mode = Mode::parse(&w.mode).unwrap_or(Mode::Test);
    let now = app.now();
    let Some(network) = network_for(app, mode) else {
        let mut tx = app.db.begin().await?;
        finish_unpaid(
            &mut tx,
            &w,
            WithdrawalStatus::Processing,
            WithdrawalStatus::Failed,
            Some("no payout network configured"),
            now,
        )
        .await?;
        tx.commit().await?;
        return Ok(());
    };
    let reference = network
        .submit(&order(&w, now))
        .await
        .map_err(AppError::internal)?;
    let mut tx = app.db.begin().await?;
    withdrawals::set_network_ref(&mut tx, &w.id, &reference, now).await?;
    jobs::enqueue(
        app,
        &mut tx,
        SETTLE_JOB,
        &json!({"withdrawalId": w.id, "submittedAt": now}),
        now + settle_delay(app),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Job: asks the network how a submitted payout went and books the outcome (or asks again later).
pub async fn run_settle(app: &App, payload: &serde_json::Value) -> Result<(), AppError> {
    let Some(w) = load_processing(app, payload).await? else {
        return Ok(());
    };
    let mode = Mode::parse(&w.mode).unwrap_or(Mode::Test);
    let submitted_at = payload["submittedAt"].as_i64().unwrap_or(w.updated_at);
    let Some(network) = network_for(app, mode) else {
        return Err(AppError::unavailable("payout network no longer configured"));
    };
    let now = app.now();
    let status = network
        .status(&order(&w, submitted_at), now)
        .await
        .map_err(AppError::internal)?;
    let mut tx = app.db.begin().await?;
    match status {
        PayoutStatus::Processing => {
            jobs::enqueue(app, &mut tx, SETTLE_JOB, payload, now + settle_delay(app)).await?;
        }
        PayoutStatus::Succeeded => {
            if withdrawals::transition(
                &mut tx,
                &w.id,
                WithdrawalStatus::Processing,
                WithdrawalStatus::Succeeded,
                None,
                now,
            )
            .await?
            {
                pay_out(&mut tx, &w, now).await?;
                let mut done = w.clone();
                done.status = WithdrawalStatus::Succeeded;
                done.updated_at = now;
                event(&mut tx, &done, now).await?;
            }
        }
        PayoutStatus::Failed(reason) => {
            finish_unpaid(
                &mut tx,
                &w,
                WithdrawalStatus::Processing,
                WithdrawalStatus::Failed,
                Some(&reason),
                now,
            )
            .await?;
        }
    }
    tx.commit().await?;
    Ok(())
}
