//! HD wallets of the platform: one BIP-39 seed, BIP-44 path `m/44'/60'/0'/0/i`.
//! Index 0 is the executor (and the devnet's contract owner); a business's gas wallet sits at
//! its `gasWalletIndex` (>= 1).

use alloy::primitives::Address;
use alloy::signers::local::coins_bip39::{English, Mnemonic};
use alloy::signers::local::{MnemonicBuilder, PrivateKeySigner};

use crate::error::{ChainError, Result};

pub const EXECUTOR_INDEX: u32 = 0;

/// A BIP-39 mnemonic. `Debug` never prints the phrase.
#[derive(Clone)]
pub struct HdWallet {
    phrase: String,
}

impl std::fmt::Debug for HdWallet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HdWallet")
            .field("executor", &self.executor().ok().map(|s| s.address()))
            .finish()
    }
}

impl HdWallet {
    /// Checks the phrase (word list and checksum) before accepting it.
    pub fn from_phrase(phrase: &str) -> Result<Self> {
        let phrase = phrase.split_whitespace().collect::<Vec<_>>().join(" ");
        Mnemonic::<English>::new_from_phrase(&phrase)
            .map_err(|e| ChainError::InvalidInput(format!("mnemonic: {e}")))?;
        Ok(HdWallet { phrase })
    }

    pub fn phrase(&self) -> &str {
        &self.phrase
    }

    /// The key at `m/44'/60'/0'/0/{index}`.
    pub fn signer(&self, index: u32) -> Result<PrivateKeySigner> {
        Ok(MnemonicBuilder::<English>::default()
            .phrase(self.phrase.as_str())
            .index(index)?
            .build()?)
    }

    pub fn address(&self, index: u32) -> Result<Address> {
        Ok(self.signer(index)?.address())
    }

    pub fn executor(&self) -> Result<PrivateKeySigner> {
        self.signer(EXECUTOR_INDEX)
    }

    pub fn gas_wallet(&self, gas_wallet_index: u32) -> Result<PrivateKeySigner> {
        self.signer(gas_wallet_index)
    }
}

/// A fresh 24-word English mnemonic from the OS random source.
pub fn generate_mnemonic() -> Result<String> {
    let mut rng = rand::rngs::OsRng;
    let mnemonic = Mnemonic::<English>::new_with_count(&mut rng, 24)
        .map_err(|e| ChainError::InvalidInput(format!("mnemonic: {e}")))?;
    Ok(mnemonic.to_phrase())
}

/// Parses an address the way wallets write them (EIP-55): all-lowercase or all-uppercase hex is
/// accepted as is; mixed case must carry a valid checksum, since a typo in a mixed-case address is
/// exactly what the checksum exists to catch. Format the result with `to_checksum(None)` (or
/// `Display`) to get the checksummed form.
pub fn parse_address(input: &str) -> Result<Address> {
    let invalid = |reason| ChainError::InvalidAddress {
        input: input.to_owned(),
        reason,
    };
    let trimmed = input.trim();
    let hex = trimmed
        .strip_prefix("0x")
        .or_else(|| trimmed.strip_prefix("0X"))
        .ok_or_else(|| invalid("missing 0x prefix"))?;
    if hex.len() != 40 {
        return Err(invalid("expected 40 hex digits"));
    }
    if !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(invalid("not hexadecimal"));
    }
    let has_lower = hex.bytes().any(|b| b.is_ascii_lowercase());
    let has_upper = hex.bytes().any(|b| b.is_ascii_uppercase());
    if has_lower && has_upper {
        Address::parse_checksummed(format!("0x{hex}"), None)
            .map_err(|_| invalid("bad EIP-55 checksum"))
    } else {
        format!("0x{hex}")
            .parse::<Address>()
            .map_err(|_| invalid("not an address"))
    }
}

/// [`parse_address`], formatted the EIP-55 way (what the API stores and returns).
pub fn checksummed(input: &str) -> Result<String> {
    Ok(parse_address(input)?.to_checksum(None))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    const ANVIL_MNEMONIC: &str = "test test test test test test test test test test test junk";

    #[test]
    fn derives_the_well_known_dev_accounts() {
        let w = HdWallet::from_phrase(ANVIL_MNEMONIC).unwrap();
        assert_eq!(
            w.address(0).unwrap().to_checksum(None),
            "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266"
        );
        assert_eq!(
            w.gas_wallet(1).unwrap().address().to_checksum(None),
            "0x70997970C51812dc3A010C7d01b50e0d17dc79C8"
        );
    }

    #[test]
    fn rejects_a_mnemonic_with_a_bad_checksum() {
        assert!(
            HdWallet::from_phrase("test test test test test test test test test test test test")
                .is_err()
        );
    }

    #[test]
    fn generated_mnemonics_are_valid_and_distinct() {
        let a = generate_mnemonic().unwrap();
        let b = generate_mnemonic().unwrap();
        assert_ne!(a, b);
        assert_eq!(a.split(' ').count(), 24);
        HdWallet::from_phrase(&a).unwrap().executor().unwrap();
    }

    #[test]
    fn address_parse_accepts_lowercase_and_returns_checksummed() {
        let a = parse_address("0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266").unwrap();
        assert_eq!(
            a.to_checksum(None),
            "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266"
        );
        let upper = parse_address("0xF39FD6E51AAD88F6F4CE6AB8827279CFFFB92266").unwrap();
        assert_eq!(a, upper);
        assert_eq!(
            checksummed("0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266").unwrap(),
            "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266"
        );
    }

    #[test]
    fn address_parse_accepts_a_valid_checksum() {
        assert!(parse_address("0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266").is_ok());
    }

    #[test]
    fn address_parse_rejects_a_bad_checksum_in_mixed_case() {
        let err = parse_address("0xF39fd6e51aad88F6F4ce6aB8827279cffFb92266").unwrap_err();
        assert!(err.to_string().contains("checksum"), "{err}");
    }

    #[test]
    fn address_parse_rejects_malformed_input() {
        for bad in [
            "",
            "0x",
            "f39fd6e51aad88f6f4ce6ab8827279cfffb92266",
            "0x1234",
            "0xzz9fd6e51aad88f6f4ce6ab8827279cfffb92266",
        ] {
            assert!(parse_address(bad).is_err(), "{bad}");
        }
    }
}
