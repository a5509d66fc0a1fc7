//! The one body of a fiat settlement: what the settlement routes answer, the payload of its
//! postbacks, and (through `ToSchema`) its OpenAPI schema.
use crate::pumapay::transactions::pma_text;
use alloy_primitives::U256;
use payplane_core::kinds::SettlementStatus;
use payplane_core::timefmt::iso_millis;
use payplane_store::pumapay::settlements::Summary;
use serde::Serialize;
use utoipa::ToSchema;

/// S-FiatSettlement (seed 004 P34/P36), every documented field, plus the network, the number of
/// pulls it holds, what is paid out after the fee, and where it was paid.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SettlementView {
    /// The fiat settlement id.
    pub id: String,
    #[serde(rename = "businessID")]
    pub business_id: String,
    /// EUR or USD.
    pub currency: String,
    /// pending, settled or unsettled.
    #[schema(value_type = String)]
    pub status: SettlementStatus,
    /// The platform's running number of settlements.
    pub reference_no: i64,
    /// The PMA its pulls moved, in PMA (decimal text, up to 18 decimals).
    pub asset_amount: String,
    /// What its pulls are worth in `currency`, minor units (cents).
    pub total_fiat_amount: i64,
    /// The settlement fee, minor units: each pull's `fee` summed.
    pub fee_amount: i64,
    /// The fee rate in force when it was created: each pull's fee is its fiat value × this /
    /// 10 000, rounded half up.
    pub fee_basis_points: i64,
    /// What is paid out: `totalFiatAmount - feeAmount`, minor units.
    pub net_fiat_amount: i64,
    /// The pull payment its pulls belong to, when they all belong to one; otherwise null (see
    /// `GET reports/fiat/transactions/…` for each pull's).
    #[serde(rename = "paymentID")]
    pub payment_id: Option<String>,
    /// Null: a settlement is paid on the platform's ledger, not by a chain transaction.
    pub tx_hash: Option<String>,
    /// The settlement statement: a signed link that opens without a key (`?format=csv` for CSV).
    pub document_path: String,
    #[serde(rename = "networkID")]
    pub network_id: i64,
    /// How many pulls it holds.
    pub transaction_count: i64,
    /// The account of the accounts API it was paid into (settled through a link).
    pub account_id: Option<String>,
    /// The operator's reference of a payment made outside the platform.
    pub payout_reference: Option<String>,
    /// Why an operator marked it unsettled.
    pub status_reason: Option<String>,
    /// ISO-8601.
    pub created_at: String,
    pub updated_at: String,
    pub settled_at: Option<String>,
    /// Always null: settlements are never deleted.
    pub deleted_at: Option<String>,
}

impl SettlementView {
    /// The view of `s`; `tokens` are the token amounts (18-decimal units) of its pulls.
    pub fn of(s: &Summary, tokens: &[Option<String>], document_path: String) -> SettlementView {
        let units: U256 = tokens
            .iter()
            .flatten()
            .filter_map(|t| t.parse::<U256>().ok())
            .fold(U256::ZERO, |a, b| a.saturating_add(b));
        let st = &s.settlement;
        SettlementView {
            id: st.id.clone(),
            business_id: st.business_id.clone(),
            currency: st.currency.clone(),
            status: st.status,
            reference_no: st.reference_no,
            asset_amount: pma_text(units),
            total_fiat_amount: s.total_fiat,
            fee_amount: s.fee,
            fee_basis_points: st.fee_bps,
            net_fiat_amount: s.total_fiat - s.fee,
            payment_id: s.payment_id.clone(),
            tx_hash: None,
            document_path,
            network_id: st.network_id,
            transaction_count: s.lines,
            account_id: st.account_id.clone(),
            payout_reference: st.payout_reference.clone(),
            status_reason: st.status_reason.clone(),
            created_at: iso_millis(st.created_at),
            updated_at: iso_millis(st.updated_at),
            settled_at: st.settled_at.map(iso_millis),
            deleted_at: None,
        }
    }
}
