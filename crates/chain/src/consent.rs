//! The customer's consent to a pull payment, as EIP-712 typed data, and the EIP-2612 permit that
//! lets the customer approve the contract without holding ETH. Tests (and the wallet demo) sign
//! with a local key; a real wallet signs the JSON of [`consent_typed_data`] with
//! `eth_signTypedData_v4`, and the contract verifies the same digest.

use alloy::dyn_abi::TypedData;
use alloy::primitives::{Address, B256, Bytes, U256};
use alloy::signers::SignerSync;
use alloy::signers::local::PrivateKeySigner;
use alloy::sol_types::{Eip712Domain, SolStruct};
use serde::{Deserialize, Serialize};

use crate::contracts::{PullPayments, TOKEN_NAME};
use crate::error::{ChainError, Result};

pub const CONSENT_DOMAIN_NAME: &str = "PayplanePullPayments";
pub const CONSENT_DOMAIN_VERSION: &str = "1";

alloy::sol! {
    /// The terms the customer signs. Field names and order are part of the signed type: they
    /// must match `TERMS_TYPEHASH` in `PullPayments.sol`.
    #[derive(Debug, PartialEq, Eq, Serialize, Deserialize)]
    struct PullPayment {
        bytes32 paymentId;
        address customer;
        address treasury;
        string currency;
        uint256 fiatAmount;
        uint256 initialAmount;
        uint256 frequency;
        uint256 numberOfPayments;
        uint256 trialPeriod;
        uint256 startTime;
        uint256 tokenCap;
        uint256 expiry;
    }

    #[derive(Debug, PartialEq, Eq, Serialize, Deserialize)]
    struct CancelPullPayment {
        bytes32 paymentId;
    }

    /// EIP-2612.
    #[derive(Debug, PartialEq, Eq, Serialize, Deserialize)]
    struct Permit {
        address owner;
        address spender;
        uint256 value;
        uint256 nonce;
        uint256 deadline;
    }
}

/// The terms of one pull payment (fiat amounts in cents, times in unix seconds, tokenCap in
/// token units).
pub type PullPaymentTerms = PullPayment;

impl PullPayment {
    pub(crate) fn to_contract_terms(&self) -> PullPayments::Terms {
        PullPayments::Terms {
            paymentId: self.paymentId,
            customer: self.customer,
            treasury: self.treasury,
            currency: self.currency.clone(),
            fiatAmount: self.fiatAmount,
            initialAmount: self.initialAmount,
            frequency: self.frequency,
            numberOfPayments: self.numberOfPayments,
            trialPeriod: self.trialPeriod,
            startTime: self.startTime,
            tokenCap: self.tokenCap,
            expiry: self.expiry,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignedConsent {
    pub terms: PullPaymentTerms,
    /// 65 bytes r || s || v, as wallets return from `eth_signTypedData_v4`.
    pub signature: Bytes,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignedPermit {
    pub value: U256,
    pub deadline: U256,
    pub v: u8,
    pub r: B256,
    pub s: B256,
}

pub fn consent_domain(chain_id: u64, pull_payments: Address) -> Eip712Domain {
    Eip712Domain::new(
        Some(CONSENT_DOMAIN_NAME.into()),
        Some(CONSENT_DOMAIN_VERSION.into()),
        Some(U256::from(chain_id)),
        Some(pull_payments),
        None,
    )
}

pub fn permit_domain(chain_id: u64, token: Address) -> Eip712Domain {
    Eip712Domain::new(
        Some(TOKEN_NAME.into()),
        Some("1".into()),
        Some(U256::from(chain_id)),
        Some(token),
        None,
    )
}

/// The digest `PullPayments.termsDigest` computes and the customer's key signs.
pub fn consent_digest(terms: &PullPaymentTerms, chain_id: u64, pull_payments: Address) -> B256 {
    terms.eip712_signing_hash(&consent_domain(chain_id, pull_payments))
}

/// The `eth_signTypedData_v4` payload a wallet shows and signs.
pub fn consent_typed_data(
    terms: &PullPaymentTerms,
    chain_id: u64,
    pull_payments: Address,
) -> serde_json::Value {
    typed_data_json(terms, consent_domain(chain_id, pull_payments))
}

pub fn sign_consent(
    signer: &PrivateKeySigner,
    terms: &PullPaymentTerms,
    chain_id: u64,
    pull_payments: Address,
) -> Result<SignedConsent> {
    let sig = signer.sign_hash_sync(&consent_digest(terms, chain_id, pull_payments))?;
    Ok(SignedConsent {
        terms: terms.clone(),
        signature: Bytes::from(sig.as_bytes().to_vec()),
    })
}

pub fn cancel_digest(payment_id: B256, chain_id: u64, pull_payments: Address) -> B256 {
    CancelPullPayment {
        paymentId: payment_id,
    }
    .eip712_signing_hash(&consent_domain(chain_id, pull_payments))
}

pub fn cancel_typed_data(
    payment_id: B256,
    chain_id: u64,
    pull_payments: Address,
) -> serde_json::Value {
    typed_data_json(
        &CancelPullPayment {
            paymentId: payment_id,
        },
        consent_domain(chain_id, pull_payments),
    )
}

pub fn sign_cancel(
    signer: &PrivateKeySigner,
    payment_id: B256,
    chain_id: u64,
    pull_payments: Address,
) -> Result<Bytes> {
    let sig = signer.sign_hash_sync(&cancel_digest(payment_id, chain_id, pull_payments))?;
    Ok(Bytes::from(sig.as_bytes().to_vec()))
}

/// The permit typed data: `owner` lets `spender` (the pull-payment contract) move `value` tokens.
pub fn permit_typed_data(permit: &Permit, chain_id: u64, token: Address) -> serde_json::Value {
    typed_data_json(permit, permit_domain(chain_id, token))
}

pub fn sign_permit(
    signer: &PrivateKeySigner,
    permit: &Permit,
    chain_id: u64,
    token: Address,
) -> Result<SignedPermit> {
    if permit.owner != signer.address() {
        return Err(ChainError::InvalidInput(
            "permit owner is not the signing key".into(),
        ));
    }
    let sig =
        signer.sign_hash_sync(&permit.eip712_signing_hash(&permit_domain(chain_id, token)))?;
    split_signature(&sig.as_bytes(), permit.value, permit.deadline)
}

/// Splits a 65-byte wallet signature of a permit into the (v, r, s) the token's `permit` takes.
pub fn split_signature(sig: &[u8], value: U256, deadline: U256) -> Result<SignedPermit> {
    if sig.len() != 65 {
        return Err(ChainError::InvalidInput(format!(
            "signature must be 65 bytes, got {}",
            sig.len()
        )));
    }
    let v = match sig[64] {
        v @ (27 | 28) => v,
        v @ (0 | 1) => v + 27,
        other => return Err(ChainError::InvalidInput(format!("signature v {other}"))),
    };
    Ok(SignedPermit {
        value,
        deadline,
        v,
        r: B256::from_slice(&sig[..32]),
        s: B256::from_slice(&sig[32..64]),
    })
}

/// The EIP-712 digest of a permit, as the token's `permit` checks it.
pub fn permit_digest(permit: &Permit, chain_id: u64, token: Address) -> B256 {
    permit.eip712_signing_hash(&permit_domain(chain_id, token))
}

/// The address whose key made the 65-byte wallet signature `sig` (r ‖ s ‖ v) over `digest`.
/// A high-s signature is refused (EIP-2): OpenZeppelin's ECDSA, which the contracts use,
/// refuses it too, so it could never register.
pub fn recover_signer(digest: B256, sig: &[u8]) -> Result<Address> {
    let sig = alloy::primitives::Signature::try_from(sig)
        .map_err(|e| ChainError::InvalidInput(format!("signature: {e}")))?;
    if sig.normalize_s().is_some() {
        return Err(ChainError::InvalidInput(
            "signature s is in the upper half of the curve order (EIP-2)".into(),
        ));
    }
    sig.recover_address_from_prehash(&digest)
        .map_err(|e| ChainError::InvalidInput(format!("signature: {e}")))
}

fn typed_data_json<S: SolStruct + Serialize>(value: &S, domain: Eip712Domain) -> serde_json::Value {
    serde_json::to_value(TypedData::from_struct(value, Some(domain)))
        .unwrap_or(serde_json::Value::Null)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn terms() -> PullPaymentTerms {
        PullPayment {
            paymentId: B256::repeat_byte(7),
            customer: Address::repeat_byte(1),
            treasury: Address::repeat_byte(2),
            currency: "USD".into(),
            fiatAmount: U256::from(999),
            initialAmount: U256::ZERO,
            frequency: U256::from(2_592_000),
            numberOfPayments: U256::from(12),
            trialPeriod: U256::ZERO,
            startTime: U256::from(1_700_000_000u64),
            tokenCap: U256::from(10u64).pow(U256::from(21)),
            expiry: U256::from(1_800_000_000u64),
        }
    }

    #[test]
    fn typed_data_json_hashes_to_the_same_digest() {
        let contract = Address::repeat_byte(9);
        let json = consent_typed_data(&terms(), 1337, contract);
        assert_eq!(json["primaryType"], "PullPayment");
        let parsed: TypedData = serde_json::from_value(json).unwrap();
        assert_eq!(
            parsed.eip712_signing_hash().unwrap(),
            consent_digest(&terms(), 1337, contract)
        );
    }

    #[test]
    fn a_signed_consent_recovers_to_the_customer() {
        let key = PrivateKeySigner::random();
        let contract = Address::repeat_byte(9);
        let signed = sign_consent(&key, &terms(), 1, contract).unwrap();
        let sig = alloy::primitives::Signature::try_from(signed.signature.as_ref()).unwrap();
        let recovered = sig
            .recover_address_from_prehash(&consent_digest(&terms(), 1, contract))
            .unwrap();
        assert_eq!(recovered, key.address());
        assert_eq!(
            recover_signer(consent_digest(&terms(), 1, contract), &signed.signature).unwrap(),
            key.address()
        );
    }

    #[test]
    fn a_signed_permit_recovers_to_its_owner() {
        let key = PrivateKeySigner::random();
        let token = Address::repeat_byte(3);
        let permit = Permit {
            owner: key.address(),
            spender: Address::repeat_byte(9),
            value: U256::from(5),
            nonce: U256::ZERO,
            deadline: U256::from(1_800_000_000u64),
        };
        let sig = key
            .sign_hash_sync(&permit_digest(&permit, 1337, token))
            .unwrap();
        assert_eq!(
            recover_signer(permit_digest(&permit, 1337, token), &sig.as_bytes()).unwrap(),
            key.address()
        );
        assert!(recover_signer(permit_digest(&permit, 1337, token), &[0u8; 64]).is_err());
    }
}
