//! Every pull-payment transaction's outcome becomes a postback ("Postback URL Data"), written to
//! the outbox in the same database transaction as the change it reports.
use crate::pumapay::postbacks::{body, routing};
use crate::{App, AppError};
use payplane_store::Conn;
use payplane_store::pumapay::pull_payments::PullPayment;
use payplane_store::pumapay::transactions::Transaction;

pub fn facts(pp: &PullPayment) -> body::PullPaymentFacts {
    body::PullPaymentFacts {
        payment_id: pp.id.clone(),
        business_id: pp.business_id.clone(),
        unique_reference_id: pp.unique_reference_id.clone(),
        customer_address: pp.customer_address.clone(),
        treasury_wallet: pp.treasury_wallet.clone(),
        executor_address: pp.contract_address.clone(),
        currency: pp.currency.clone(),
        start_timestamp: pp.start_timestamp,
        end_timestamp: pp.end_timestamp,
        fiat_amount_in_cents: pp.amount,
        initial_payment_amount: pp.initial_payment_amount,
        frequency: pp.frequency,
        number_of_payments: pp.number_of_payments,
        signature: pp.signature.clone(),
        encrypted_details: String::new(),
        network_id: pp.network_id,
    }
}

pub fn transaction_facts(t: &Transaction) -> body::TransactionFacts {
    body::TransactionFacts {
        hash: t.tx_hash.clone().unwrap_or_default(),
        tx_type: t.tx_type,
        status: t.status,
        from: t.sender.clone().unwrap_or_default(),
        to: t.receiver.clone().unwrap_or_default(),
        contract_address: None,
        block_hash: t.block_hash.clone(),
        block_number: t.block_number,
        gas_used: t.gas_used,
        cumulative_gas_used: t.cumulative_gas_used,
        logs: t
            .logs
            .as_deref()
            .and_then(|l| serde_json::from_str(l).ok())
            .unwrap_or_default(),
        logs_bloom: t.logs_bloom.clone(),
        index: t.pull_index.unwrap_or(0),
    }
}

/// Queues the postbacks of `t`'s outcome in the caller's transaction.
pub async fn publish(
    conn: &mut Conn,
    app: &App,
    pp: &PullPayment,
    t: &Transaction,
) -> Result<(), AppError> {
    let data = body::build(&facts(pp), &transaction_facts(t));
    routing::publish_pull_payment_event(
        conn,
        &pp.business_id,
        pp.network_id,
        Some(&pp.product_id),
        Some(&pp.payment_model_id),
        &data,
        app.now(),
    )
    .await?;
    Ok(())
}

/// [`publish`] to postbacks already resolved for `pp` in this transaction
/// ([`routing::resolve`]): the executor resolves them once per business, product and model of a
/// batch.
pub async fn publish_to(
    conn: &mut Conn,
    app: &App,
    targets: &[String],
    pp: &PullPayment,
    t: &Transaction,
) -> Result<(), AppError> {
    if targets.is_empty() {
        return Ok(());
    }
    let data = body::build(&facts(pp), &transaction_facts(t));
    routing::enqueue(conn, routing::KIND_TRANSACTION, targets, &data, app.now()).await?;
    Ok(())
}
