use rust_decimal::Decimal;
use std::fmt;
use std::str::FromStr;

/// Currencies of the accounts API. All five have two minor units (ISO 4217).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum Currency {
    IDR,
    USD,
    SGD,
    MYR,
    EUR,
}

pub const ACCOUNT_CURRENCIES: [Currency; 5] = [
    Currency::IDR,
    Currency::USD,
    Currency::SGD,
    Currency::MYR,
    Currency::EUR,
];

impl Currency {
    pub fn code(self) -> &'static str {
        match self {
            Currency::IDR => "IDR",
            Currency::USD => "USD",
            Currency::SGD => "SGD",
            Currency::MYR => "MYR",
            Currency::EUR => "EUR",
        }
    }
    pub fn minor_units(self) -> u32 {
        2
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl FromStr for Currency {
    type Err = MoneyError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        ACCOUNT_CURRENCIES
            .into_iter()
            .find(|c| c.code() == s)
            .ok_or_else(|| MoneyError::UnsupportedCurrency(s.to_string()))
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MoneyError {
    #[error("currency {0} is not supported")]
    UnsupportedCurrency(String),
    #[error("amount is not a number")]
    NotANumber,
    #[error("amount has more than {0} decimal places")]
    TooManyDecimals(u32),
    #[error("amount must be greater than zero")]
    NotPositive,
    #[error("amount is too large")]
    TooLarge,
}

/// Largest amount accepted in minor units: keeps every sum of postings far from i64 overflow.
pub const MAX_MINOR: i64 = 1_000_000_000_000_000; // 10^15 minor units

/// Parses a decimal amount exactly into minor units; more decimals than the currency has is an
/// error, never a rounding.
pub fn parse_minor(text: &str, minor_units: u32) -> Result<i64, MoneyError> {
    let d = Decimal::from_str(text)
        .or_else(|_| Decimal::from_scientific(text))
        .map_err(|_| MoneyError::NotANumber)?;
    to_minor(d, minor_units)
}

pub fn to_minor(d: Decimal, minor_units: u32) -> Result<i64, MoneyError> {
    let d = d.normalize();
    if d.scale() > minor_units {
        return Err(MoneyError::TooManyDecimals(minor_units));
    }
    if d <= Decimal::ZERO {
        return Err(MoneyError::NotPositive);
    }
    let scaled = d
        .checked_mul(Decimal::from(10i64.pow(minor_units)))
        .ok_or(MoneyError::TooLarge)?;
    let v: i64 = scaled.try_into().map_err(|_| MoneyError::TooLarge)?;
    if v > MAX_MINOR {
        return Err(MoneyError::TooLarge);
    }
    Ok(v)
}

/// Minor units back to an exact decimal (`12345` with 2 units is `123.45`).
pub fn from_minor(v: i64, minor_units: u32) -> Decimal {
    Decimal::new(v, minor_units).normalize()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_exact_amounts() {
        assert_eq!(parse_minor("10.13", 2), Ok(1013));
        assert_eq!(parse_minor("10", 2), Ok(1000));
        assert_eq!(parse_minor("0.10", 2), Ok(10));
        assert_eq!(parse_minor("1e2", 2), Ok(10000));
        assert_eq!(
            parse_minor("10.131", 2),
            Err(MoneyError::TooManyDecimals(2))
        );
        assert_eq!(parse_minor("0", 2), Err(MoneyError::NotPositive));
        assert_eq!(parse_minor("-1", 2), Err(MoneyError::NotPositive));
        assert_eq!(parse_minor("abc", 2), Err(MoneyError::NotANumber));
        assert_eq!(
            parse_minor("99999999999999999999", 2),
            Err(MoneyError::TooLarge)
        );
        assert_eq!(from_minor(94877542, 2).to_string(), "948775.42");
    }

    #[test]
    fn currencies_parse() {
        assert_eq!("IDR".parse::<Currency>(), Ok(Currency::IDR));
        assert!("CNY".parse::<Currency>().is_err());
    }
}
