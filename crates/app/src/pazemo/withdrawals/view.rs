//! The one body of a withdrawal: what its routes answer, the payload of its events, and (through
//! `ToSchema`) its OpenAPI schema, so the three cannot drift apart.
use crate::pazemo::amounts;
use payplane_core::kinds::WithdrawalStatus;
use payplane_store::pazemo::withdrawals::Withdrawal;
use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;

/// A withdrawal, with exactly the document's fields.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct WithdrawalView {
    pub id: String,
    pub created_time: String,
    pub updated_time: String,
    pub account_id: String,
    /// Ledger transaction of the hold.
    pub transaction_id: i64,
    /// pending, processing, succeeded, failed or cancelled.
    #[schema(value_type = String)]
    pub status: WithdrawalStatus,
    /// `flip` in test mode (the sandbox network).
    pub network: String,
    pub address: String,
    pub address_name: String,
    /// The exact decimal amount, as a JSON number.
    #[schema(value_type = f64)]
    pub amount: Value,
    #[schema(value_type = f64)]
    pub fee_amount: Value,
    pub notes: String,
    pub prefix: String,
    /// The recipient paid; 0 (the document's sample, and what a request sends for none) when
    /// the withdrawal names a bank account directly. Recipient ids start at 1.
    pub beneficiary_id: i64,
    pub reference: String,
    #[schema(value_type = Object)]
    pub reference_data: Value,
}

impl WithdrawalView {
    pub fn of(w: &Withdrawal) -> WithdrawalView {
        let units = 2;
        WithdrawalView {
            id: w.id.clone(),
            created_time: payplane_core::timefmt::iso_millis(w.created_at),
            updated_time: payplane_core::timefmt::iso_millis(w.updated_at),
            account_id: w.account_id.clone(),
            transaction_id: w.transaction_id,
            status: w.status,
            network: w.network.clone(),
            address: w.address.clone(),
            address_name: w.address_name.clone(),
            amount: amounts::json(w.amount, units),
            fee_amount: amounts::json(w.fee_amount, units),
            notes: w.notes.clone(),
            prefix: w.prefix.clone(),
            beneficiary_id: w.beneficiary_id.unwrap_or(0),
            reference: w.reference.clone(),
            reference_data: w.reference_data.clone(),
        }
    }
}

/// The view as JSON: the payload of the withdrawal's events.
pub fn view(w: &Withdrawal) -> Value {
    // Serializing a struct of strings, numbers and JSON values cannot fail.
    serde_json::to_value(WithdrawalView::of(w)).unwrap_or_default()
}
