//! The document's "Postback URL Data": the body of every postback, `{"transactionData",
//! "paymentData"}` with exactly the documented field names (including its `encryptedPaymebntDetails`).
use serde::Serialize;
use serde_json::Value;

pub use payplane_core::kinds::{TxStatus, TxType};

/// What a pull payment says about itself .
#[derive(Debug, Clone)]
pub struct PullPaymentFacts {
    pub payment_id: String,
    pub business_id: String,
    pub unique_reference_id: String,
    pub customer_address: String,
    pub treasury_wallet: String,
    /// The pull-payment contract executing it.
    pub executor_address: String,
    pub currency: String,
    /// Unix seconds.
    pub start_timestamp: i64,
    pub end_timestamp: i64,
    pub fiat_amount_in_cents: i64,
    pub initial_payment_amount: i64,
    /// Seconds.
    pub frequency: i64,
    pub number_of_payments: i64,
    /// The customer's signature of the terms.
    pub signature: String,
    pub encrypted_details: String,
    pub network_id: i64,
}

/// A chain transaction of that pull payment; receipt fields are `None` while it is pending.
#[derive(Debug, Clone)]
pub struct TransactionFacts {
    pub hash: String,
    pub tx_type: TxType,
    pub status: TxStatus,
    pub from: String,
    pub to: String,
    pub contract_address: Option<String>,
    pub block_hash: Option<String>,
    pub block_number: Option<i64>,
    pub gas_used: Option<i64>,
    pub cumulative_gas_used: Option<i64>,
    pub logs: Vec<Value>,
    pub logs_bloom: Option<String>,
    /// Index of the transaction under the same pull-payment contract.
    pub index: i64,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct TransactionData {
    pub block_hash: Option<String>,
    pub block_number: Option<i64>,
    pub contract_address: Option<String>,
    pub cumulative_gas_price: Option<i64>,
    pub from: String,
    pub gas_used: Option<i64>,
    pub logs: Vec<Value>,
    pub logs_bloom: Option<String>,
    /// `"true"` (success) / `"false"` (failed); null while pending.
    pub status: Option<String>,
    pub to: String,
    pub transaction_hash: String,
    /// The Transaction Types code as a string (`"3"` = execute), as the document types it.
    pub transaction_type: String,
    pub transaction_index: i64,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct PaymentData {
    #[serde(rename = "paymentID")]
    pub payment_id: String,
    #[serde(rename = "businessID")]
    pub business_id: String,
    #[serde(rename = "uniqueReferenceID")]
    pub unique_reference_id: String,
    pub customer_address: String,
    pub treasury_wallet: String,
    pub pull_payment_executor_address: String,
    pub currency: String,
    pub end_timestamp: i64,
    pub fiat_amount_in_cents: i64,
    pub initial_payment_amount: i64,
    pub frequency: i64,
    pub number_of_payments: i64,
    pub start_timestamp: i64,
    pub signature: String,
    /// The document's spelling: receivers written against it look for this name.
    #[serde(rename = "encryptedPaymebntDetails")]
    pub encrypted_payment_details: String,
    #[serde(rename = "type")]
    pub kind: i64,
    #[serde(rename = "networkID")]
    pub network_id: i64,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct PostbackData {
    pub transaction_data: TransactionData,
    pub payment_data: PaymentData,
}

pub fn build(pp: &PullPaymentFacts, tx: &TransactionFacts) -> PostbackData {
    PostbackData {
        transaction_data: TransactionData {
            block_hash: tx.block_hash.clone(),
            block_number: tx.block_number,
            contract_address: tx
                .contract_address
                .clone()
                .or_else(|| Some(pp.executor_address.clone())),
            cumulative_gas_price: tx.cumulative_gas_used,
            from: tx.from.clone(),
            gas_used: tx.gas_used,
            logs: tx.logs.clone(),
            logs_bloom: tx.logs_bloom.clone(),
            status: match tx.status {
                TxStatus::Pending => None,
                TxStatus::Failed => Some("false".into()),
                TxStatus::Success => Some("true".into()),
            },
            to: tx.to.clone(),
            transaction_hash: tx.hash.clone(),
            transaction_type: (tx.tx_type as i64).to_string(),
            transaction_index: tx.index,
        },
        payment_data: PaymentData {
            payment_id: pp.payment_id.clone(),
            business_id: pp.business_id.clone(),
            unique_reference_id: pp.unique_reference_id.clone(),
            customer_address: pp.customer_address.clone(),
            treasury_wallet: pp.treasury_wallet.clone(),
            pull_payment_executor_address: pp.executor_address.clone(),
            currency: pp.currency.clone(),
            end_timestamp: pp.end_timestamp,
            fiat_amount_in_cents: pp.fiat_amount_in_cents,
            initial_payment_amount: pp.initial_payment_amount,
            frequency: pp.frequency,
            number_of_payments: pp.number_of_payments,
            start_timestamp: pp.start_timestamp,
            signature: pp.signature.clone(),
            encrypted_payment_details: pp.encrypted_details.clone(),
            kind: tx.status as i64,
            network_id: pp.network_id,
        },
    }
}

/// A plausible successful execution, for the "send test postback" route.
pub fn sample(business_id: &str, network_id: i64, now_secs: i64) -> PostbackData {
    let pp = PullPaymentFacts {
        payment_id: "00000000-0000-0000-0000-000000000000".into(),
        business_id: business_id.into(),
        unique_reference_id: "test-customer".into(),
        customer_address: "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed".into(),
        treasury_wallet: "0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359".into(),
        executor_address: "0xdbF03B407c01E7cD3CBea99509d93f8DDDC8C6FB".into(),
        currency: "USD".into(),
        start_timestamp: now_secs,
        end_timestamp: now_secs + 11 * 2_592_000,
        fiat_amount_in_cents: 1299,
        initial_payment_amount: 0,
        frequency: 2_592_000,
        number_of_payments: 12,
        signature: format!("0x{}", "0".repeat(130)),
        encrypted_details: String::new(),
        network_id,
    };
    let tx = TransactionFacts {
        hash: format!("0x{}", "ab".repeat(32)),
        tx_type: TxType::Execute,
        status: TxStatus::Success,
        from: pp.customer_address.clone(),
        to: pp.executor_address.clone(),
        contract_address: None,
        block_hash: Some(format!("0x{}", "cd".repeat(32))),
        block_number: Some(1),
        gas_used: Some(81_000),
        cumulative_gas_used: Some(81_000),
        logs: vec![],
        logs_bloom: Some(format!("0x{}", "0".repeat(512))),
        index: 1,
    };
    build(&pp, &tx)
}
