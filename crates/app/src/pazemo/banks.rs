//! The bank directory, shipped as data (`data/banks.json`): which banks a recipient of each
//! currency can be at, and how their account numbers look.
use crate::AppError;
use payplane_core::Currency;
use serde::{Deserialize, Serialize};
use std::sync::OnceLock;

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Bank {
    /// The `bankId` of recipients and the `prefix` of direct withdrawals.
    pub id: String,
    pub name: String,
    pub currency: String,
    /// National clearing code: Indonesian bank code, ABA routing number, Singapore bank code, or
    /// the BIC where the BIC is the routing key (MYR, EUR).
    pub code: String,
    pub bic: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_length: Option<usize>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_length: Option<usize>,
    /// Account numbers are IBANs (checked with the ISO 13616 mod-97 checksum).
    #[serde(default)]
    pub iban: bool,
}

fn all() -> &'static [Bank] {
    static BANKS: OnceLock<Vec<Bank>> = OnceLock::new();
    BANKS.get_or_init(|| {
        // The file is part of the binary and checked by a unit test, so it always parses.
        serde_json::from_str(include_str!("../../data/banks.json")).unwrap_or_default()
    })
}

pub fn list(currency: Option<Currency>) -> Vec<Bank> {
    all()
        .iter()
        .filter(|b| currency.is_none_or(|c| b.currency == c.code()))
        .cloned()
        .collect()
}

/// The bank `id` of `currency`, or a validation error on `field`.
pub fn find(field: &str, id: &str, currency: Currency) -> Result<&'static Bank, AppError> {
    all()
        .iter()
        .find(|b| b.id == id && b.currency == currency.code())
        .ok_or_else(|| {
            AppError::field(
                field,
                "error.bank.not.supported",
                format!("Bank {id} is not in the {currency} bank directory (see GET /banks?currency={currency})"),
            )
            .with_arguments(vec![id.to_string(), currency.to_string()])
        })
}

/// Normalises and checks an account number for `bank` (spaces removed; IBANs upper-cased).
pub fn check_account_number(field: &str, bank: &Bank, raw: &str) -> Result<String, AppError> {
    let number: String = raw.chars().filter(|c| !c.is_whitespace()).collect();
    let ok = if bank.iban {
        let n = number.to_ascii_uppercase();
        let valid = iban_valid(&n);
        return if valid {
            Ok(n)
        } else {
            Err(invalid(field, bank, raw, "a valid IBAN"))
        };
    } else {
        let len = number.len();
        !number.is_empty()
            && number.bytes().all(|b| b.is_ascii_digit())
            && bank.min_length.is_none_or(|m| len >= m)
            && bank.max_length.is_none_or(|m| len <= m)
    };
    if ok {
        Ok(number)
    } else {
        let rule = match (bank.min_length, bank.max_length) {
            (Some(a), Some(b)) if a == b => format!("{a} digits"),
            (Some(a), Some(b)) => format!("{a} to {b} digits"),
            _ => "digits".to_string(),
        };
        Err(invalid(field, bank, raw, &rule))
    }
}

fn invalid(field: &str, bank: &Bank, raw: &str, rule: &str) -> AppError {
    AppError::field(
        field,
        "error.address.invalid",
        format!("An account number at {} is {rule}", bank.name),
    )
    .with_arguments(vec![raw.to_string(), bank.id.clone()])
}

/// ISO 13616: two letters, two check digits, up to 30 alphanumerics; mod 97 of the rearranged
/// number (letters as 10..35) is 1.
pub fn iban_valid(iban: &str) -> bool {
    let b = iban.as_bytes();
    if !(15..=34).contains(&b.len())
        || !b[..2].iter().all(u8::is_ascii_uppercase)
        || !b[2..4].iter().all(u8::is_ascii_digit)
        || !b
            .iter()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
    {
        return false;
    }
    let mut rem: u32 = 0;
    for &c in b[4..].iter().chain(&b[..4]) {
        let v = if c.is_ascii_digit() {
            (c - b'0') as u32
        } else {
            (c - b'A') as u32 + 10
        };
        rem = if v >= 10 {
            (rem * 100 + v) % 97
        } else {
            (rem * 10 + v) % 97
        };
    }
    rem == 1
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_directory_parses_and_covers_every_currency() {
        let idr = list(Some(Currency::IDR));
        assert!(idr.len() >= 10);
        for id in [
            "bca",
            "mandiri",
            "bni",
            "bri",
            "cimb",
            "permata",
            "danamon",
            "btn",
            "maybank",
            "ocbc_nisp",
            "bsi",
        ] {
            assert!(idr.iter().any(|b| b.id == id), "{id}");
        }
        for c in payplane_core::money::ACCOUNT_CURRENCIES {
            assert!(!list(Some(c)).is_empty(), "{c}");
        }
    }

    #[test]
    fn ibans_are_checked_with_mod_97() {
        assert!(iban_valid("DE89370400440532013000"));
        assert!(iban_valid("GB82WEST12345698765432"));
        assert!(iban_valid("NL91ABNA0417164300"));
        assert!(!iban_valid("DE89370400440532013001"));
        assert!(!iban_valid("de89370400440532013000"));
        assert!(!iban_valid("DE89"));
    }

    #[test]
    fn account_numbers_follow_the_bank_rule() {
        let bca = find("bankId", "bca", Currency::IDR).unwrap();
        assert_eq!(
            check_account_number("address", bca, "123 456 7890").unwrap(),
            "1234567890"
        );
        assert!(check_account_number("address", bca, "123456789").is_err());
        assert!(check_account_number("address", bca, "12345678a0").is_err());
        assert!(find("bankId", "bca", Currency::USD).is_err());
    }
}
