//! The executor: registers signed pull payments on chain, makes each pull when it is due,
//! cancels, and records every outcome (transaction row, pull-payment status, postback) in one
//! database transaction.
//!
//! Due pulls are made in batches: one statement claims the batch (payments → processing) and
//! one writes its pending rows; the pulls are handed to the network one after the other without
//! waiting for their blocks (they share blocks) and their receipts awaited together; one
//! database transaction records every outcome ([`record_all`]).
//!
//! Crash safety: before a transaction is sent, its row is written `pending` with the pull index
//! and the payment moves to `processing` (6). Whatever happens next, the chain is the judge: a
//! payment found `processing` after its lease (a crash, a lost answer) is reconciled by reading
//! the contract — `pulls` past the row's index means the pull was made (its `Executed` log gives
//! the receipt), otherwise it is sent again. The contract's own pull counter makes a second send
//! of the same pull impossible to count twice, and a pull is never skipped because the row stays
//! pending until the chain answers.
use super::{events, schedule};
use crate::jobs::Handler;
use crate::pumapay::networks::{Network, network};
use crate::pumapay::rates;
use crate::{App, AppError};
use futures::StreamExt;
use payplane_chain::chain::PaymentEvent;
use payplane_chain::{B256, ChainError, TxReceipt};
use payplane_core::ids::new_id;
use payplane_core::kinds::{PaymentModelStatus, PullPaymentStatus as S, TxStatus, TxType};
use payplane_store::pumapay::pull_payments::{self as store, PullPayment, Transition};
use payplane_store::pumapay::transactions::{self as txs, Transaction};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

pub const REGISTER: &str = "pullpayment.register";
pub const CANCEL: &str = "pullpayment.cancel";

pub const JOBS: &[(&str, Handler)] = &[
    (REGISTER, |app, p| Box::pin(register_job(app, p))),
    (CANCEL, |app, p| Box::pin(cancel_job(app, p))),
];

fn payload_id(p: &serde_json::Value) -> Result<String, AppError> {
    p.get("id")
        .and_then(|v| v.as_str())
        .map(str::to_string)
        .ok_or_else(|| AppError::bad_request("error.job.payload", "job payload has no id"))
}

async fn register_job(app: &App, p: &serde_json::Value) -> Result<(), AppError> {
    register(app, &payload_id(p)?).await
}

async fn cancel_job(app: &App, p: &serde_json::Value) -> Result<(), AppError> {
    let id = payload_id(p)?;
    let by = match p.get("signature").and_then(|s| s.as_str()) {
        Some(sig) => Canceller::Customer(sig.to_string()),
        None => Canceller::Business,
    };
    match cancel(app, &id, by).await {
        // Already final or refused by the contract: retrying changes nothing.
        Err(e) if e.kind != crate::ErrorKind::Unavailable => {
            tracing::warn!(pull_payment = %id, error = %e, "cancellation not made");
            Ok(())
        }
        other => other.map(|_| ()),
    }
}

fn unavailable(net: &Network, e: ChainError) -> AppError {
    AppError::unavailable(format!("Network {} did not answer: {e}", net.id))
}

fn payment_id(pp: &PullPayment) -> Result<B256, AppError> {
    pp.chain_payment_id.parse().map_err(AppError::internal)
}

async fn load(app: &App, id: &str) -> Result<Option<PullPayment>, AppError> {
    Ok(store::get(&app.db.read, id).await?)
}

/// Why a payment must not pull any more: its business is disabled or its model suspended.
async fn stop_reason(app: &App, pp: &PullPayment) -> Result<Option<String>, AppError> {
    let business = payplane_store::pumapay::businesses::get(&app.db.read, &pp.business_id).await?;
    if business.is_none_or(|b| b.disabled) {
        return Ok(Some("The business is disabled".into()));
    }
    let model =
        payplane_store::pumapay::payment_models::get(&app.db.read, &pp.payment_model_id).await?;
    if model.is_none_or(|m| m.status == PaymentModelStatus::Suspended) {
        return Ok(Some("The payment model is suspended".into()));
    }
    Ok(None)
}

/// Moves a payment to stopped (3); no chain transaction (the consent stays registered but the
/// executor never uses it again).
async fn stop(app: &App, pp: &PullPayment, reason: String) -> Result<(), AppError> {
    let mut tx = app.db.begin().await?;
    store::transition(
        &mut tx,
        &pp.id,
        &[S::Initial, S::Running, S::Processing],
        &Transition {
            status: S::Stopped,
            reason: Some(reason),
            next_payment_at: None,
            last_payment_at: None,
            add_pulls: 0,
            add_fiat: 0,
            failed_attempts: pp.failed_attempts,
            now: app.now(),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// The transition to `status` that keeps the payment's schedule, reason and failed attempts.
pub fn keep(pp: &PullPayment, status: S, now: i64) -> Transition {
    Transition {
        status,
        reason: pp.status_reason.clone(),
        next_payment_at: pp.next_payment_at,
        last_payment_at: None,
        add_pulls: 0,
        add_fiat: 0,
        failed_attempts: pp.failed_attempts,
        now,
    }
}

fn new_row(
    pp: &PullPayment,
    tx_type: TxType,
    pull_index: Option<i64>,
    cents: i64,
    now: i64,
) -> Transaction {
    Transaction {
        id: new_id(),
        pull_payment_id: pp.id.clone(),
        business_id: pp.business_id.clone(),
        product_id: pp.product_id.clone(),
        payment_model_id: pp.payment_model_id.clone(),
        network_id: pp.network_id,
        tx_type,
        status: TxStatus::Pending,
        pull_index,
        reference_no: 0,
        tx_hash: None,
        sender: None,
        receiver: None,
        block_number: None,
        block_hash: None,
        transaction_index: None,
        gas_used: None,
        cumulative_gas_used: None,
        effective_gas_price: None,
        logs: None,
        logs_bloom: None,
        currency: pp.currency.clone(),
        fiat_amount: cents,
        token_amount: None,
        rate: None,
        rate_source: None,
        rate_at: None,
        reason: None,
        execution_date: None,
        created_at: now,
        updated_at: now,
    }
}

/// Moves the payment from `from` to processing and writes the pending row, in one transaction;
/// `None` when someone else moved the payment first.
async fn begin_transaction(
    app: &App,
    pp: &PullPayment,
    from: S,
    row: Transaction,
) -> Result<Option<Transaction>, AppError> {
    Ok(claim(app, vec![(pp.clone(), row)], from)
        .await?
        .pop()
        .map(|(_, row)| row))
}

/// Moves the payments from `from` to processing and writes their pending rows (numbered), in
/// one transaction of two statements; those someone else moved first are left out.
async fn claim(
    app: &App,
    batch: Vec<(PullPayment, Transaction)>,
    from: S,
) -> Result<Vec<(PullPayment, Transaction)>, AppError> {
    let mut tx = app.db.begin().await?;
    let ids: Vec<&str> = batch.iter().map(|(pp, _)| pp.id.as_str()).collect();
    let moved: std::collections::HashSet<String> =
        store::claim(&mut tx, &ids, from, S::Processing, app.now())
            .await?
            .into_iter()
            .collect();
    let mut claimed: Vec<(PullPayment, Transaction)> = batch
        .into_iter()
        .filter(|(pp, _)| moved.contains(&pp.id))
        .collect();
    if claimed.is_empty() {
        return Ok(claimed);
    }
    let first = txs::next_reference_nos(&mut tx, claimed.len() as i64).await?;
    for (i, (_, row)) in claimed.iter_mut().enumerate() {
        row.reference_no = first + i as i64;
    }
    let rows: Vec<Transaction> = claimed.iter().map(|(_, row)| row.clone()).collect();
    txs::insert_many(&mut tx, &rows).await?;
    tx.commit().await?;
    Ok(claimed)
}

fn with_receipt(mut row: Transaction, r: &TxReceipt, block_time: i64, now: i64) -> Transaction {
    row.status = if r.success {
        TxStatus::Success
    } else {
        TxStatus::Failed
    };
    row.tx_hash = Some(r.tx_hash.to_string());
    row.sender = Some(r.from.to_checksum(None));
    row.receiver = r.to.map(|a| a.to_checksum(None));
    row.block_number = Some(r.block_number as i64);
    row.block_hash = Some(r.block_hash.to_string());
    row.transaction_index = Some(r.transaction_index as i64);
    row.gas_used = Some(r.gas_used as i64);
    row.cumulative_gas_used = Some(r.cumulative_gas_used as i64);
    row.effective_gas_price = Some(r.effective_gas_price.to_string());
    row.logs = serde_json::to_string(&r.logs).ok();
    row.execution_date = Some(block_time);
    row.updated_at = now;
    row
}

/// Records the row's outcome and the payment's new state, with its postback and (a pull of a
/// Kemix model) its settlement accrual, in one transaction. False when the payment was no
/// longer processing (another worker recorded it).
async fn finish(
    app: &App,
    pp: &PullPayment,
    row: &Transaction,
    to: Transition,
) -> Result<bool, AppError> {
    let mut tx = app.db.begin().await?;
    if !record(&mut tx, app, pp, row, &to).await? {
        return Ok(false);
    }
    tx.commit().await?;
    Ok(true)
}

/// [`finish`] inside the caller's transaction.
async fn record(
    conn: &mut payplane_store::Conn,
    app: &App,
    pp: &PullPayment,
    row: &Transaction,
    to: &Transition,
) -> Result<bool, AppError> {
    if !store::transition(conn, &pp.id, &[S::Processing], to).await? {
        return Ok(false);
    }
    txs::update(conn, row).await?;
    crate::pumapay::settlement::accrual::accrue(conn, row, to.now).await?;
    // The postback carries the payment as this transition leaves it (no re-read).
    events::publish(conn, app, &pp.after(to), row).await?;
    Ok(true)
}

// ---- registration ----

/// Registers a signed pull payment (job `pullpayment.register`): 1 → 6 → 2 running, then the
/// first pull right away when it is due (single and dynamic payments end 5 done).
pub async fn register(app: &App, id: &str) -> Result<(), AppError> {
    let Some(pp) = load(app, id).await? else {
        return Ok(());
    };
    let pending = txs::pending_of(&app.db.read, id).await?;
    let row = match (
        pp.status,
        pending.into_iter().find(|t| t.tx_type == TxType::Register),
    ) {
        (S::Initial, _) => {
            if let Some(reason) = stop_reason(app, &pp).await? {
                return stop(app, &pp, reason).await;
            }
            let row = new_row(&pp, TxType::Register, None, 0, app.now());
            match begin_transaction(app, &pp, S::Initial, row).await? {
                Some(row) => row,
                None => return Ok(()),
            }
        }
        (S::Processing, Some(row)) => row,
        _ => return Ok(()),
    };
    let net = network(app, pp.network_id).await?;
    let pid = payment_id(&pp)?;
    let state = net
        .chain
        .payment_state(pid)
        .await
        .map_err(|e| unavailable(&net, e))?;
    let sent = if state.customer != payplane_chain::Address::ZERO {
        match net
            .chain
            .find_payment_tx(PaymentEvent::Registered, pid)
            .await
        {
            Ok(Some(r)) => Ok(r),
            Ok(None) => return Err(AppError::unavailable("registration log not found yet")),
            Err(e) => Err(e),
        }
    } else {
        let consent = payplane_chain::SignedConsent {
            terms: serde_json::from_str(&pp.terms).map_err(AppError::internal)?,
            signature: pp.signature.parse().map_err(AppError::internal)?,
        };
        let permit: Option<payplane_chain::SignedPermit> = match &pp.permit {
            Some(p) => Some(serde_json::from_str(p).map_err(AppError::internal)?),
            None => None,
        };
        net.chain
            .register_pull_payment(net.executor, &consent, permit.as_ref())
            .await
    };
    let sent = match sent {
        Err(e) if is_refusal(&e) => {
            match made_meanwhile(&net, pid, PaymentEvent::Registered, |s| {
                s.customer != payplane_chain::Address::ZERO
            })
            .await?
            {
                Some(r) => Ok(r),
                None => Err(e),
            }
        }
        other => other,
    };
    let now = app.now();
    let block_time = net.now_secs(app);
    match sent {
        Ok(receipt) => {
            let row = with_receipt(row, &receipt, block_time, now);
            let next = schedule::next_due(&pp, 0);
            finish(
                app,
                &pp,
                &row,
                Transition {
                    status: S::Running,
                    reason: None,
                    next_payment_at: next,
                    last_payment_at: None,
                    add_pulls: 0,
                    add_fiat: 0,
                    failed_attempts: 0,
                    now,
                },
            )
            .await?;
            if next.is_some_and(|due| due <= block_time) {
                // The first pull of types 2, 3, 4 and 7 is made at registration; if it cannot
                // be made now the executor's rounds retry it.
                if let Err(e) = pull(app, &net, id, None).await {
                    tracing::warn!(pull_payment = %id, error = %e, "first pull deferred");
                }
            }
            Ok(())
        }
        Err(e) => match refusal(e) {
            Ok((reason, receipt)) => {
                let mut row = match receipt {
                    Some(r) => with_receipt(row, &r, block_time, now),
                    None => row,
                };
                row.status = TxStatus::Failed;
                row.reason = Some(reason.clone());
                row.updated_at = now;
                finish(
                    app,
                    &pp,
                    &row,
                    Transition {
                        status: S::Failed,
                        reason: Some(format!("Registration refused: {reason}")),
                        ..keep(&pp, S::Failed, now)
                    },
                )
                .await?;
                Ok(())
            }
            Err(e) => Err(unavailable(&net, e)),
        },
    }
}

/// A refusal by the contract (its decoded error, and the receipt when it was mined), or the
/// error back when the network failed instead.
fn refusal(e: ChainError) -> Result<(String, Option<TxReceipt>), ChainError> {
    match e {
        ChainError::Reverted { reason, .. } => Ok((reason, None)),
        ChainError::FailedOnChain(r) => Ok(("reverted on chain".into(), Some(*r))),
        other => Err(other),
    }
}

/// Whether `e` is the contract's refusal (reverted, in the estimate or on chain), not a failure
/// of the network.
fn is_refusal(e: &ChainError) -> bool {
    matches!(
        e,
        ChainError::Reverted { .. } | ChainError::FailedOnChain(_)
    )
}

/// The chain is the judge: a refusal may only mean that another worker made this very
/// transaction first (one whose lease ran out while it worked: another process, or a slow one).
/// Looks for it on chain (`made` says whether the contract's state shows it) and returns its
/// receipt, to be recorded as made, instead of a refusal that would leave it unrecorded.
async fn made_meanwhile(
    net: &Network,
    pid: B256,
    event: PaymentEvent,
    made: impl FnOnce(&payplane_chain::PaymentState) -> bool,
) -> Result<Option<TxReceipt>, AppError> {
    let state = net
        .chain
        .payment_state(pid)
        .await
        .map_err(|e| unavailable(net, e))?;
    if !made(&state) {
        return Ok(None);
    }
    match net.chain.find_payment_tx(event, pid).await {
        Ok(Some(r)) => Ok(Some(r)),
        Ok(None) => Err(AppError::unavailable("the transaction's log not found yet")),
        Err(e) => Err(unavailable(net, e)),
    }
}

// ---- pulls ----

/// What one call of [`pull`] did.
#[derive(Debug, Clone, PartialEq)]
pub enum Pulled {
    /// Not running, not due, or another worker took it.
    Skipped,
    Made(Box<Transaction>),
    /// Refused by the contract; `retry_at` when it will be tried again.
    Refused {
        reason: String,
        retry_at: Option<i64>,
    },
}

/// What one batch shares: the stop reason of each (business, payment model) and the rate of
/// each currency, read once.
#[derive(Default)]
struct Lookups {
    stops: HashMap<(String, String), Option<String>>,
    rates: HashMap<String, rates::Rate>,
}

/// The pending row of the next pull of `pp` (of `top_up` cents now, for a top-up), or why none
/// is made: `Ok(None)` when it is not running or not due, or when it was stopped now.
async fn prepare(
    app: &App,
    net: &Network,
    pp: &PullPayment,
    top_up: Option<i64>,
    seen: &mut Lookups,
) -> Result<Option<Transaction>, AppError> {
    let due = top_up.is_some() || pp.next_payment_at.is_some_and(|d| d <= net.now_secs(app));
    if pp.status != S::Running || !due {
        return Ok(None);
    }
    let key = (pp.business_id.clone(), pp.payment_model_id.clone());
    let stop_now = match seen.stops.get(&key) {
        Some(r) => r.clone(),
        None => {
            let r = stop_reason(app, pp).await?;
            seen.stops.insert(key, r.clone());
            r
        }
    };
    if let Some(reason) = stop_now {
        stop(app, pp, reason).await?;
        return Ok(None);
    }
    let rate = match seen.rates.get(&pp.currency) {
        Some(r) => r.clone(),
        None => {
            let r = rates::current(app, &pp.currency).await?;
            seen.rates.insert(pp.currency.clone(), r.clone());
            r
        }
    };
    let k = pp.pulls_made;
    let cents = top_up.unwrap_or_else(|| schedule::amount(pp, k));
    let tokens = rates::token_units(cents, &rate)?;
    let mut row = new_row(pp, schedule::tx_type(pp, k), Some(k), cents, app.now());
    row.token_amount = Some(tokens.to_string());
    row.rate = Some(rate.price.normalize().to_string());
    row.rate_source = Some(rate.source.clone());
    row.rate_at = Some(rate.at);
    Ok(Some(row))
}

/// Makes the next pull of a running payment when it is due; `top_up` makes a type-8 pull of
/// that many cents now instead.
pub async fn pull(
    app: &App,
    net: &Network,
    id: &str,
    top_up: Option<i64>,
) -> Result<Pulled, AppError> {
    let Some(pp) = load(app, id).await? else {
        return Ok(Pulled::Skipped);
    };
    let Some(row) = prepare(app, net, &pp, top_up, &mut Lookups::default()).await? else {
        return Ok(Pulled::Skipped);
    };
    let claimed = claim(app, vec![(pp, row)], S::Running).await?;
    let sent = send_all(net, claimed).await;
    match record_all(app, net, sent).await?.pop() {
        Some((_, outcome)) => outcome,
        None => Ok(Pulled::Skipped),
    }
}

/// A batch of pulls handed to the network ([`send_batch`]), not yet settled or recorded.
struct InFlight {
    submitted: Vec<Submitted>,
    /// Payments whose pull could not be prepared (a rate or a read failed): still running.
    unprepared: Vec<(String, Result<Pulled, AppError>)>,
}

/// Prepares, claims (at once) and hands to the network the pulls of `due` (running payments,
/// read by the round), without waiting for their blocks; [`finish_batch`] settles and records
/// them. A payment missing from both lists was not due, stopped or taken by another worker.
async fn send_batch(app: &App, net: &Network, due: Vec<PullPayment>) -> Result<InFlight, AppError> {
    let mut seen = Lookups::default();
    let mut batch = Vec::with_capacity(due.len());
    let mut unprepared = Vec::new();
    for pp in due {
        match prepare(app, net, &pp, None, &mut seen).await {
            Ok(Some(row)) => batch.push((pp, row)),
            Ok(None) => {}
            Err(e) => unprepared.push((pp.id, Err(e))),
        }
    }
    let claimed = claim(app, batch, S::Running).await?;
    Ok(InFlight {
        submitted: submit_all(net, claimed).await,
        unprepared,
    })
}

/// Waits for a batch's receipts and records them in one transaction: each payment's outcome.
async fn finish_batch(
    app: &App,
    net: &Network,
    batch: InFlight,
) -> Result<Vec<(String, Result<Pulled, AppError>)>, AppError> {
    let sent = settle_all(net, batch.submitted).await;
    let mut out = record_all(app, net, sent).await?;
    out.extend(batch.unprepared);
    Ok(out)
}

/// What the chain said of one pull: its receipt, or the error (a refusal or the network).
type Sent = (PullPayment, Transaction, Result<TxReceipt, ChainError>);

/// A claimed pull handed to the network (its hash and what resolves once it is durable), or
/// the error that kept it from being handed.
type Submitted = (
    PullPayment,
    Transaction,
    Result<(B256, payplane_chain::chain::Durable), ChainError>,
);

/// Sends the claimed pulls and waits for them: [`submit_all`], then [`settle_all`].
async fn send_all(net: &Network, claimed: Vec<(PullPayment, Transaction)>) -> Vec<Sent> {
    settle_all(net, submit_all(net, claimed).await).await
}

/// Hands the claimed pulls to the network: each is checked (a read call) and sent in turn,
/// without waiting for its block (consecutive nonces of the executor wallet; on the devnet they
/// fill the blocks its group commit writes with one `fsync`). Neither the payment's on-chain
/// state is read first nor the gas estimated: the payment was claimed just now with a fresh
/// pending row, so its pull `k` cannot be on chain (a payment left processing by a crash goes
/// through [`send_pull`], which reads it), and a pull's gas is bounded (`EXECUTE_GAS_LIMIT`).
async fn submit_all(net: &Network, claimed: Vec<(PullPayment, Transaction)>) -> Vec<Submitted> {
    let mut submitted = Vec::with_capacity(claimed.len());
    for (pp, row) in claimed {
        let handed = match (payment_id(&pp), token_amount(&row)) {
            (Ok(pid), Ok(tokens)) => net.chain.submit_pull(net.executor, pid, tokens).await,
            (Err(e), _) | (_, Err(e)) => Err(ChainError::Evm(e.to_string())),
        };
        submitted.push((pp, row, handed));
    }
    submitted
}

/// Awaits the receipts of submitted pulls together.
async fn settle_all(net: &Network, submitted: Vec<Submitted>) -> Vec<Sent> {
    let settling: futures::stream::FuturesUnordered<_> = submitted
        .into_iter()
        .map(|(pp, row, handed)| settle_pull(net, pp, row, handed))
        .collect();
    settling.collect().await
}

/// Waits for one pull handed to the network; a refusal is checked against the chain.
async fn settle_pull(
    net: &Network,
    pp: PullPayment,
    row: Transaction,
    handed: Result<(B256, payplane_chain::chain::Durable), ChainError>,
) -> Sent {
    let sent = match handed {
        Ok((hash, durable)) => net.chain.settle(hash, durable).await,
        Err(e) => Err(e),
    };
    let sent = match sent {
        Err(e) if is_refusal(&e) => match pulled_meanwhile(net, &pp, &row).await {
            Ok(Some(r)) => Ok(r),
            Ok(None) => Err(e),
            // Unknown whether it was made: left processing, for recovery.
            Err(unknown) => Err(ChainError::Evm(unknown.to_string())),
        },
        other => other,
    };
    (pp, row, sent)
}

/// [`made_meanwhile`] for the pull of `row`.
async fn pulled_meanwhile(
    net: &Network,
    pp: &PullPayment,
    row: &Transaction,
) -> Result<Option<TxReceipt>, AppError> {
    let pid = payment_id(pp)?;
    let k = row.pull_index.unwrap_or(pp.pulls_made);
    made_meanwhile(net, pid, PaymentEvent::Executed(k as u64), |s| {
        i64::from(s.pulls) > k
    })
    .await
}

fn token_amount(row: &Transaction) -> Result<payplane_chain::U256, AppError> {
    row.token_amount
        .as_deref()
        .unwrap_or("0")
        .parse()
        .map_err(AppError::internal)
}

/// Records the outcomes of sent pulls in one database transaction, on the payments as they are
/// now (re-read): one multi-row statement moves the payments ([`outcome`] says where), one
/// rewrites their rows, then each moved payment's settlement accrual and postback are written,
/// with the payment model's destination and the postback targets read once per batch. A pull whose
/// network did not answer is not recorded: its payment stays processing with the pending row,
/// for [`recover`]; so does the whole batch if the transaction fails.
async fn record_all(
    app: &App,
    net: &Network,
    sent: Vec<Sent>,
) -> Result<Vec<(String, Result<Pulled, AppError>)>, AppError> {
    let mut out = Vec::with_capacity(sent.len());
    if sent.is_empty() {
        return Ok(out);
    }
    let mut tx = app.db.begin().await?;
    let ids: Vec<&str> = sent.iter().map(|(pp, _, _)| pp.id.as_str()).collect();
    // Read again: a top-up or the schedule fields may have moved since the round read them.
    let mut fresh: HashMap<String, PullPayment> = store::get_many(&mut tx, &ids)
        .await?
        .into_iter()
        .map(|pp| (pp.id.clone(), pp))
        .collect();
    let now = app.now();
    let now_secs = net.now_secs(app);
    let mut recorded = Vec::with_capacity(sent.len());
    for (pp, row, sent) in sent {
        let pp = fresh.remove(&pp.id).unwrap_or(pp);
        match refusal_or_receipt(net, sent) {
            Ok(sent) => {
                let (row, to, pulled) = outcome(app, &pp, row, sent, now, now_secs);
                recorded.push((pp, row, to, pulled));
            }
            Err(e) => out.push((pp.id, Err(e))),
        }
    }
    let moves: Vec<(&str, &Transition)> = recorded
        .iter()
        .map(|(pp, _, to, _)| (pp.id.as_str(), to))
        .collect();
    let moved: std::collections::HashSet<String> =
        store::transition_many(&mut tx, S::Processing, &moves)
            .await?
            .into_iter()
            .collect();
    let (recorded, lost): (Vec<_>, Vec<_>) = recorded
        .into_iter()
        .partition(|(pp, _, _, _)| moved.contains(&pp.id));
    for (pp, ..) in lost {
        // Another worker recorded it first.
        out.push((pp.id, Ok(Pulled::Skipped)));
    }
    let rows: Vec<&Transaction> = recorded.iter().map(|(_, row, _, _)| row).collect();
    txs::update_many(&mut tx, &rows).await?;
    let mut destinations: HashMap<String, Option<String>> = HashMap::new();
    let mut targets: HashMap<(String, String, String), Vec<String>> = HashMap::new();
    for (pp, row, to, pulled) in recorded {
        let destination = match destinations.get(&pp.payment_model_id) {
            Some(d) => d.clone(),
            None => {
                let d = payplane_store::pumapay::payment_models::destination(
                    &mut tx,
                    &pp.payment_model_id,
                )
                .await?;
                destinations.insert(pp.payment_model_id.clone(), d.clone());
                d
            }
        };
        crate::pumapay::settlement::accrual::accrue_to(&mut tx, &row, now, destination.as_deref())
            .await?;
        let key = (
            pp.business_id.clone(),
            pp.product_id.clone(),
            pp.payment_model_id.clone(),
        );
        if !targets.contains_key(&key) {
            let found = crate::pumapay::postbacks::routing::resolve(
                &mut tx,
                &pp.business_id,
                pp.network_id,
                Some(&pp.product_id),
                Some(&pp.payment_model_id),
            )
            .await?;
            targets.insert(key.clone(), found);
        }
        let after = pp.after(&to);
        events::publish_to(&mut tx, app, &targets[&key], &after, &row).await?;
        out.push((pp.id, Ok(pulled)));
    }
    tx.commit().await?;
    Ok(out)
}

/// A pull's receipt, or the contract's refusal (reason, and the receipt when it was mined);
/// a network failure is an error.
fn refusal_or_receipt(
    net: &Network,
    sent: Result<TxReceipt, ChainError>,
) -> Result<Result<TxReceipt, (String, Option<TxReceipt>)>, AppError> {
    match sent {
        Ok(receipt) => Ok(Ok(receipt)),
        Err(e) => Ok(Err(refusal(e).map_err(|e| unavailable(net, e))?)),
    }
}

/// What one pull's answer makes of its row and payment: the row's outcome, the payment's next
/// state (next due date, done, retry, failed or cancelled) and what the caller is told.
fn outcome(
    app: &App,
    pp: &PullPayment,
    row: Transaction,
    sent: Result<TxReceipt, (String, Option<TxReceipt>)>,
    now: i64,
    now_secs: i64,
) -> (Transaction, Transition, Pulled) {
    match sent {
        Ok(receipt) => {
            let row = with_receipt(row, &receipt, now_secs, now);
            let pulls = pp.pulls_made + 1;
            let done = schedule::is_complete(pp, pulls);
            let to = Transition {
                status: if done { S::Done } else { S::Running },
                reason: None,
                next_payment_at: schedule::next_due(pp, pulls),
                last_payment_at: Some(now_secs),
                add_pulls: 1,
                add_fiat: row.fiat_amount,
                failed_attempts: 0,
                now,
            };
            let made = Pulled::Made(Box::new(row.clone()));
            (row, to, made)
        }
        Err((reason, receipt)) => {
            let mut row = match receipt {
                Some(r) => with_receipt(row, &r, now_secs, now),
                None => row,
            };
            row.status = TxStatus::Failed;
            row.reason = Some(reason.clone());
            row.updated_at = now;
            let cfg = &app.config.pull_payments;
            let attempts = pp.failed_attempts + 1;
            let retryable = reason.starts_with("ERC20InsufficientBalance")
                || reason.starts_with("ERC20InsufficientAllowance");
            let (to, retry_at) = if reason.starts_with("PaymentCancelled") {
                let to = Transition {
                    reason: Some("Cancelled on chain".into()),
                    next_payment_at: None,
                    ..keep(pp, S::Cancelled, now)
                };
                (to, None)
            } else if retryable && attempts <= cfg.retry_max {
                let at = now_secs
                    + cfg
                        .retry_base_secs
                        .saturating_mul(1 << (attempts - 1).min(20));
                let to = Transition {
                    reason: Some(reason.clone()),
                    // A top-up is not scheduled: the business asks again.
                    next_payment_at: if schedule::next_due(pp, pp.pulls_made).is_some() {
                        Some(at)
                    } else {
                        pp.next_payment_at
                    },
                    failed_attempts: attempts,
                    ..keep(pp, S::Running, now)
                };
                (to, Some(at))
            } else {
                let to = Transition {
                    reason: Some(reason.clone()),
                    next_payment_at: None,
                    failed_attempts: attempts,
                    ..keep(pp, S::Failed, now)
                };
                (to, None)
            };
            (row, to, Pulled::Refused { reason, retry_at })
        }
    }
}

/// Finds (after a crash) or sends again the pull of `row`, whose payment was left processing,
/// and records its outcome. The contract's pull counter tells whether pull `k` was made.
async fn send_pull(
    app: &App,
    net: &Network,
    pp: &PullPayment,
    row: Transaction,
) -> Result<Pulled, AppError> {
    let pid = payment_id(pp)?;
    let k = row.pull_index.unwrap_or(pp.pulls_made);
    let tokens = token_amount(&row)?;
    let state = net
        .chain
        .payment_state(pid)
        .await
        .map_err(|e| unavailable(net, e))?;
    let sent = if i64::from(state.pulls) > k {
        match net
            .chain
            .find_payment_tx(PaymentEvent::Executed(k as u64), pid)
            .await
        {
            Ok(Some(r)) => Ok(r),
            Ok(None) => return Err(AppError::unavailable("pull log not found yet")),
            Err(e) => Err(e),
        }
    } else {
        net.chain.execute_pull(net.executor, pid, tokens).await
    };
    let sent = match sent {
        Err(e) if is_refusal(&e) => match pulled_meanwhile(net, pp, &row).await? {
            Some(r) => Ok(r),
            None => Err(e),
        },
        other => other,
    };
    match record_all(app, net, vec![(pp.clone(), row, sent)])
        .await?
        .pop()
    {
        Some((_, outcome)) => outcome,
        None => Ok(Pulled::Skipped),
    }
}

// ---- cancellation ----

/// Who cancels: the business (through the executor, which the contract allows) or the
/// customer (their signed `CancelPullPayment`, relayed).
#[derive(Debug, Clone)]
pub enum Canceller {
    Business,
    Customer(String),
}

/// Cancels a payment (4). Not yet registered: no chain transaction is needed. Running: the
/// cancel transaction is sent and waited for. A pull in flight: 409, try again.
pub async fn cancel(app: &App, id: &str, by: Canceller) -> Result<PullPayment, AppError> {
    let pp = load(app, id).await?.ok_or_else(super::not_found)?;
    let now = app.now();
    match pp.status {
        S::Initial => {
            let mut tx = app.db.begin().await?;
            let moved = store::transition(
                &mut tx,
                id,
                &[S::Initial],
                &Transition {
                    reason: Some(cancel_reason(&by)),
                    next_payment_at: None,
                    ..keep(&pp, S::Cancelled, now)
                },
            )
            .await?;
            tx.commit().await?;
            if !moved {
                return Err(in_flight());
            }
        }
        S::Running => {
            let row = new_row(&pp, TxType::Cancel, None, 0, now);
            let Some(row) = begin_transaction(app, &pp, S::Running, row).await? else {
                return Err(in_flight());
            };
            let net = network(app, pp.network_id).await?;
            let pid = payment_id(&pp)?;
            let sent = match &by {
                Canceller::Business => net.chain.cancel_pull_payment(net.executor, pid).await,
                Canceller::Customer(sig) => {
                    let sig = sig.parse().map_err(|_| {
                        AppError::field(
                            "signature",
                            "error.signature.invalid",
                            "signature must be 0x-hex",
                        )
                    })?;
                    net.chain
                        .cancel_with_signature(net.executor, pid, sig)
                        .await
                }
            };
            let now_secs = net.now_secs(app);
            match sent {
                Ok(receipt) => {
                    let row = with_receipt(row, &receipt, now_secs, app.now());
                    finish(
                        app,
                        &pp,
                        &row,
                        Transition {
                            reason: Some(cancel_reason(&by)),
                            next_payment_at: None,
                            ..keep(&pp, S::Cancelled, app.now())
                        },
                    )
                    .await?;
                }
                Err(e) => {
                    let (reason, receipt) = refusal(e).map_err(|e| unavailable(&net, e))?;
                    let mut row = match receipt {
                        Some(r) => with_receipt(row, &r, now_secs, app.now()),
                        None => row,
                    };
                    row.status = TxStatus::Failed;
                    row.reason = Some(reason.clone());
                    finish(app, &pp, &row, keep(&pp, S::Running, app.now())).await?;
                    return Err(AppError::bad_request(
                        "error.cancel.refused",
                        format!("The contract refused the cancellation: {reason}"),
                    ));
                }
            }
        }
        S::Processing => return Err(in_flight()),
        _ => {
            return Err(AppError::conflict(
                "error.pull.payment.final",
                format!(
                    "The pull payment is already final (status {})",
                    pp.status.id()
                ),
            ));
        }
    }
    load(app, id).await?.ok_or_else(super::not_found)
}

fn cancel_reason(by: &Canceller) -> String {
    match by {
        Canceller::Business => "Cancelled by the business".into(),
        Canceller::Customer(_) => "Cancelled by the customer".into(),
    }
}

fn in_flight() -> AppError {
    AppError::conflict(
        "error.pull.payment.busy",
        "A transaction of this pull payment is in flight; try again in a moment",
    )
}

// ---- rounds ----

/// Reconciles the payments left processing longer than the lease (a crash or a lost answer):
/// registrations and pulls are found on chain or sent again; a cancellation whose fate is
/// unknown is looked up and otherwise given up (the payment runs on).
async fn recover(app: &App, net: &Arc<Network>) -> Result<usize, AppError> {
    let lease = app.config.worker.lease_secs * 1_000_000;
    let ids = store::in_status(&app.db.read, net.id, S::Processing, 1000).await?;
    let mut n = 0;
    for id in ids {
        let Some(pp) = load(app, &id).await? else {
            continue;
        };
        if pp.status != S::Processing || pp.updated_at > app.now() - lease {
            continue;
        }
        let pending = txs::pending_of(&app.db.read, &id).await?;
        let Some(row) = pending.into_iter().next() else {
            continue;
        };
        // Every worker process runs these rounds: one takes the payment over, the others
        // leave it (two sending the same pull at once could each be refused for the other).
        let mut tx = app.db.begin().await?;
        let ours = store::take_over(&mut tx, &id, pp.updated_at, app.now()).await?;
        tx.commit().await?;
        if !ours {
            continue;
        }
        n += 1;
        let result = match row.tx_type {
            TxType::Register => register(app, &id).await,
            TxType::Cancel => recover_cancel(app, net, &pp, row).await,
            _ => send_pull(app, net, &pp, row).await.map(|_| ()),
        };
        if let Err(e) = result {
            tracing::warn!(pull_payment = %id, error = %e, "recovery deferred");
        }
    }
    Ok(n)
}

async fn recover_cancel(
    app: &App,
    net: &Network,
    pp: &PullPayment,
    mut row: Transaction,
) -> Result<(), AppError> {
    let pid = payment_id(pp)?;
    let now = app.now();
    let state = net
        .chain
        .payment_state(pid)
        .await
        .map_err(|e| unavailable(net, e))?;
    if state.cancelled
        && let Some(r) = net
            .chain
            .find_payment_tx(PaymentEvent::Cancelled, pid)
            .await
            .map_err(|e| unavailable(net, e))?
    {
        let row = with_receipt(row, &r, net.now_secs(app), now);
        finish(
            app,
            pp,
            &row,
            Transition {
                reason: Some("Cancelled".into()),
                next_payment_at: None,
                ..keep(pp, S::Cancelled, now)
            },
        )
        .await?;
        return Ok(());
    }
    row.status = TxStatus::Failed;
    row.reason = Some("interrupted before it reached the chain".into());
    row.updated_at = now;
    finish(app, pp, &row, keep(pp, S::Running, now)).await?;
    Ok(())
}

/// One round on every configured network: reconcile stale work, then make every due pull.
/// Returns how many payments it touched. Networks with nothing to do are not even opened.
pub async fn run_due(app: &App) -> Result<usize, AppError> {
    let mut touched = 0;
    let ids: Vec<i64> = app
        .config
        .chain
        .networks
        .keys()
        .filter_map(|k| k.parse().ok())
        .collect();
    for network_id in ids {
        let busy = store::any_in_status(&app.db.read, network_id, S::Processing).await?
            || store::any_in_status(&app.db.read, network_id, S::Running).await?;
        if !busy {
            continue;
        }
        let net = match network(app, network_id).await {
            Ok(n) => n,
            Err(e) => {
                tracing::warn!(network = network_id, error = %e, "network unavailable for pulls");
                continue;
            }
        };
        // Another process may have moved the test clock.
        crate::pumapay::test_clock::refresh(app, &net).await?;
        touched += recover(app, &net).await?;
        touched += pull_due(app, &net).await?;
    }
    Ok(touched)
}

/// Batches sent while earlier ones are still being recorded: the one being sent and up to two
/// waiting for their receipts or their record (PostgreSQL records them on separate connections).
const IN_FLIGHT: usize = 3;

/// Makes every due pull of `net`, a batch at a time, batches overlapping: batch k+1 is read,
/// claimed and handed to the network while the batches before it are awaited and recorded (each
/// on its own task, so the database's part and the network's run on both cores). The due query
/// cannot return a batch's payments again: they are processing until recorded. Ends when a
/// batch claims nothing (everything due is in flight, or could not be prepared) or is short.
async fn pull_due(app: &App, net: &Arc<Network>) -> Result<usize, AppError> {
    let size = app.config.pull_payments.executor_batch;
    let mut touched = 0;
    let mut recording = std::collections::VecDeque::new();
    loop {
        let sent = async {
            let due = store::due(&app.db.read, net.id, net.now_secs(app), size).await?;
            if due.is_empty() {
                return Ok(None);
            }
            let n = due.len() as i64;
            let batch = send_batch(app, net, due).await?;
            Ok::<_, AppError>(Some((n, batch)))
        }
        .await;
        // On an error, what is in flight is still recorded before the round ends.
        let (n, batch) = match sent {
            Ok(Some(sent)) => sent,
            // Nothing due: no claim transaction, no recording task.
            Ok(None) => break,
            Err(e) => {
                for earlier in recording {
                    recorded(earlier).await?;
                }
                return Err(e);
            }
        };
        let claimed = batch.submitted.len();
        let (app2, net2) = (app.clone(), net.clone());
        recording.push_back(tokio::spawn(async move {
            let outcomes = finish_batch(&app2, &net2, batch).await?;
            Ok(progress(outcomes))
        }));
        if claimed == 0 || n < size {
            break;
        }
        if recording.len() >= IN_FLIGHT - 1
            && let Some(oldest) = recording.pop_front()
        {
            touched += recorded(oldest).await?;
        }
    }
    for earlier in recording {
        touched += recorded(earlier).await?;
    }
    Ok(touched)
}

type Recording = tokio::task::JoinHandle<Result<usize, AppError>>;

async fn recorded(batch: Recording) -> Result<usize, AppError> {
    batch.await.map_err(AppError::internal)?
}

/// How many of a batch's payments moved (made or refused); the others are logged.
fn progress(outcomes: Vec<(String, Result<Pulled, AppError>)>) -> usize {
    let mut moved = 0;
    for (id, r) in outcomes {
        match r {
            Ok(Pulled::Skipped) => {}
            Ok(_) => moved += 1,
            Err(e) => tracing::warn!(pull_payment = %id, error = %e, "pull deferred"),
        }
    }
    moved
}

/// The executor loop: a round every `executor_interval_ms`, or at once when woken (a new
/// registration, the test clock), until `shutdown`.
pub async fn run(app: App, shutdown: CancellationToken) {
    let interval = Duration::from_millis(app.config.pull_payments.executor_interval_ms);
    tracing::info!("pull-payment executor started");
    while !shutdown.is_cancelled() {
        let notified = app.job_wake.notified();
        match run_due(&app).await {
            Ok(n) if n > 0 => continue,
            Ok(_) => {}
            Err(e) => tracing::error!(error = %e, "pull-payment round failed"),
        }
        tokio::select! {
            _ = shutdown.cancelled() => break,
            _ = notified => {}
            _ = tokio::time::sleep(interval) => {}
        }
    }
}
