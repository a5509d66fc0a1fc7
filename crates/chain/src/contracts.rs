//! Bindings of the committed artifacts (`contracts/artifacts/*.json`, built by `contracts/build`):
//! the Rust build reads them and never needs node or solc.

use alloy::primitives::Bytes;
use alloy::sol_types::SolInterface;

use crate::error::{ChainError, Result};

alloy::sol!(
    #[sol(all_derives)]
    PMAToken,
    "../../contracts/artifacts/PMAToken.json"
);

alloy::sol!(
    #[sol(all_derives)]
    PullPayments,
    "../../contracts/artifacts/PullPayments.json"
);

const PMA_TOKEN_ARTIFACT: &str = include_str!("../../../contracts/artifacts/PMAToken.json");
const PULL_PAYMENTS_ARTIFACT: &str = include_str!("../../../contracts/artifacts/PullPayments.json");

/// Name and version of the token's EIP-2612 permit domain (set in `PMAToken.sol`).
pub const TOKEN_NAME: &str = "PumaPay";
pub const TOKEN_SYMBOL: &str = "PMA";
pub const TOKEN_DECIMALS: u8 = 18;

fn creation_code(artifact: &str) -> Result<Bytes> {
    #[derive(serde::Deserialize)]
    struct Artifact {
        bytecode: Bytes,
    }
    let parsed: Artifact = serde_json::from_str(artifact)
        .map_err(|e| ChainError::InvalidInput(format!("contract artifact: {e}")))?;
    Ok(parsed.bytecode)
}

pub fn pma_token_creation_code() -> Result<Bytes> {
    creation_code(PMA_TOKEN_ARTIFACT)
}

pub fn pull_payments_creation_code() -> Result<Bytes> {
    creation_code(PULL_PAYMENTS_ARTIFACT)
}

/// A readable reason for revert data: our custom errors (`NotDue(..)`, `ERC20InsufficientAllowance(..)`),
/// `Error(string)`/`Panic(uint)`, or the raw bytes.
pub fn decode_revert(data: &[u8]) -> String {
    if let Ok(e) = PullPayments::PullPaymentsErrors::abi_decode(data) {
        return strip_variant(format!("{e:?}"));
    }
    if let Ok(e) = PMAToken::PMATokenErrors::abi_decode(data) {
        return strip_variant(format!("{e:?}"));
    }
    if let Some(reason) = alloy::sol_types::decode_revert_reason(data) {
        return reason;
    }
    if data.is_empty() {
        "reverted without data".to_owned()
    } else {
        format!("0x{}", alloy::hex::encode(data))
    }
}

/// `NotDue(NotDue { .. })` reads better as `NotDue { .. }`.
fn strip_variant(debug: String) -> String {
    match debug.split_once('(') {
        Some((_, rest)) if rest.ends_with(')') => rest[..rest.len() - 1].to_owned(),
        _ => debug,
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use alloy::primitives::B256;
    use alloy::sol_types::SolError;

    #[test]
    fn artifacts_carry_creation_code() {
        assert!(pma_token_creation_code().unwrap().len() > 1000);
        assert!(pull_payments_creation_code().unwrap().len() > 1000);
    }

    #[test]
    fn custom_errors_decode_to_their_names() {
        let data = PullPayments::NotDue {
            paymentId: B256::ZERO,
            dueAt: alloy::primitives::U256::from(7),
        }
        .abi_encode();
        let reason = decode_revert(&data);
        assert!(reason.starts_with("NotDue"), "{reason}");
    }
}
