//! Ethereum addresses: EIP-55 checksums and the platform's HD wallet (BIP-39 mnemonic, BIP-44
//! path m/44'/60'/0'/0/i — the derivation the chain crate uses, so this module can be swapped
//! for it). Index 0 is the chain crate's executor; gas wallets start at 1; the last non-hardened
//! index is the settlement wallet.
use crate::{App, AppError, sealing};
use alloy_primitives::Address;
use std::str::FromStr;

/// First HD index handed out as a gas wallet.
pub const FIRST_GAS_WALLET_INDEX: i64 = 1;
const MNEMONIC_SECRET: &str = "hd_wallet_mnemonic";
/// HD index of the platform's settlement wallet: the treasury of every Kemix payment model, so
/// the PMA of pulls settled in fiat goes to the platform that pays the fiat, never to the
/// business as well. The last non-hardened index, far from the gas wallets counting up from 1.
pub const SETTLEMENT_WALLET_INDEX: i64 = 0x7FFF_FFFF;

/// Why an address was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AddressError {
    /// Not `0x` + 40 hex digits.
    Malformed,
    /// Mixed case that is not the EIP-55 checksum.
    BadChecksum,
    /// The zero address: nothing sent there can ever be spent.
    Zero,
}

/// Validates an address and returns its EIP-55 form. All-lowercase (or all-uppercase) hex has no
/// checksum to check and is accepted; mixed case must be the correct checksum.
pub fn checksummed(input: &str) -> Result<String, AddressError> {
    let s = input.trim();
    let hex = s
        .strip_prefix("0x")
        .or_else(|| s.strip_prefix("0X"))
        .ok_or(AddressError::Malformed)?;
    if hex.len() != 40 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(AddressError::Malformed);
    }
    let has_lower = hex.bytes().any(|b| b.is_ascii_lowercase());
    let has_upper = hex.bytes().any(|b| b.is_ascii_uppercase());
    let addr = if has_lower && has_upper {
        Address::parse_checksummed(format!("0x{hex}"), None)
            .map_err(|_| AddressError::BadChecksum)?
    } else {
        Address::from_str(&hex.to_ascii_lowercase()).map_err(|_| AddressError::Malformed)?
    };
    if addr.is_zero() {
        return Err(AddressError::Zero);
    }
    Ok(addr.to_checksum(None))
}

/// The platform mnemonic: from configuration, else the stored one, else a new one stored sealed.
/// Call before opening a write transaction (it may write).
pub async fn mnemonic(app: &App) -> Result<String, AppError> {
    if !app.config.chain_mnemonic.0.trim().is_empty() {
        return Ok(app.config.chain_mnemonic.0.trim().to_string());
    }
    let db = &app.db;
    let sealed = match payplane_store::platform::secret_get(&db.read, MNEMONIC_SECRET).await? {
        Some(s) => s,
        None => {
            let phrase = payplane_chain::generate_mnemonic().map_err(AppError::internal)?;
            tracing::info!("generated the platform HD wallet mnemonic (stored sealed)");
            let mine = sealing::seal(app, phrase.as_bytes())?;
            payplane_store::platform::secret_get_or_insert(
                db.writer(),
                MNEMONIC_SECRET,
                &mine,
                app.now(),
            )
            .await?
        }
    };
    String::from_utf8(sealing::open(app, &sealed)?).map_err(AppError::internal)
}

/// The platform's settlement wallet (the same address on every network).
pub async fn settlement_wallet(app: &App) -> Result<String, AppError> {
    derive_address(&mnemonic(app).await?, SETTLEMENT_WALLET_INDEX)
}

/// The EIP-55 address at m/44'/60'/0'/0/`index` of `phrase`.
pub fn derive_address(phrase: &str, index: i64) -> Result<String, AppError> {
    let index = u32::try_from(index).map_err(AppError::internal)?;
    let wallet = payplane_chain::HdWallet::from_phrase(phrase).map_err(AppError::internal)?;
    Ok(wallet
        .address(index)
        .map_err(AppError::internal)?
        .to_checksum(None))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn eip55_accepts_lowercase_and_correct_checksum_only() {
        let good = "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed";
        assert_eq!(checksummed(good).unwrap(), good);
        assert_eq!(checksummed(&good.to_lowercase()).unwrap(), good);
        assert_eq!(
            checksummed("0x5AAEB6053F3E94C9B9A09F33669435E7EF1BEAED").unwrap(),
            good
        );
        assert_eq!(
            checksummed("0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAeD"),
            Err(AddressError::BadChecksum)
        );
        assert_eq!(checksummed("0x1234"), Err(AddressError::Malformed));
        assert_eq!(
            checksummed("0x0000000000000000000000000000000000000000"),
            Err(AddressError::Zero)
        );
        assert_eq!(
            checksummed("5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed"),
            Err(AddressError::Malformed)
        );
    }

    #[test]
    fn derivation_matches_the_well_known_test_mnemonic() {
        // The "test test … junk" mnemonic's first account (anvil/hardhat account 0).
        let phrase = "test test test test test test test test test test test junk";
        assert_eq!(
            derive_address(phrase, 0).unwrap(),
            "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266"
        );
    }
}
