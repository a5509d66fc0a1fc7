//! Amounts as the accounts API carries them: JSON numbers in major units, parsed from their
//! text (never through f64), so `0.1 + 0.2` problems cannot happen and extra decimals are refused.
use crate::{AppError, Detail};
use payplane_core::Currency;
use payplane_core::money::{MoneyError, parse_minor};
use payplane_store::keyset::{Key, Window};
use serde_json::Value;

/// Parses a required amount field into minor units of `currency`.
pub fn parse(field: &str, v: Option<&Value>, currency: Currency) -> Result<i64, AppError> {
    let text = match v {
        None | Some(Value::Null) => {
            return Err(AppError::field(
                field,
                "error.amount.required",
                format!("{field} is required"),
            ));
        }
        // serde_json keeps the number's exact text (arbitrary_precision is enabled).
        Some(Value::Number(n)) => n.to_string(),
        // Form-encoded bodies carry every value as text.
        Some(Value::String(s)) => s.trim().to_string(),
        Some(_) => String::new(),
    };
    parse_minor(&text, currency.minor_units()).map_err(|e| {
        // A well-formed number beyond what an exact decimal holds (1e30, 1e-40) is still a
        // number: say what is wrong with it. The float is only looked at, never used as a value.
        let e = match (e, text.parse::<f64>()) {
            (MoneyError::NotANumber, Ok(f)) if f.is_finite() && f.abs() >= 1.0 => {
                MoneyError::TooLarge
            }
            (MoneyError::NotANumber, Ok(f)) if f.is_finite() && f != 0.0 => {
                MoneyError::TooManyDecimals(currency.minor_units())
            }
            (e, _) => e,
        };
        amount_error(field, &text, e)
    })
}

pub fn amount_error(field: &str, text: &str, e: MoneyError) -> AppError {
    let (code, message) = match e {
        MoneyError::NotANumber | MoneyError::UnsupportedCurrency(_) => {
            ("error.amount.invalid", format!("{field} must be a number"))
        }
        MoneyError::TooManyDecimals(n) => (
            "error.amount.too.many.decimals",
            format!("{field} has more than {n} decimal places"),
        ),
        MoneyError::NotPositive => (
            "error.amount.not.positive",
            format!("{field} must be greater than zero"),
        ),
        MoneyError::TooLarge => ("error.amount.too.large", format!("{field} is too large")),
    };
    AppError::fields(vec![Detail {
        field: Some(field.into()),
        code: code.into(),
        message,
        arguments: vec![text.to_string()],
    }])
}

/// The configured largest single operation in `currency`, in minor units (`[limits]
/// max_amount`); `None` when the currency has no maximum configured.
pub fn maximum(app: &crate::App, currency: Currency) -> Option<i64> {
    let major = app.config.limits.max_amount.get(currency.code())?;
    payplane_core::money::to_minor(*major, currency.minor_units()).ok()
}

/// Refuses an amount past the currency's configured maximum with `error.amount.above.maximum`
/// (the maximum, in major units, is the argument).
pub fn within_maximum(
    app: &crate::App,
    field: &str,
    minor: i64,
    currency: Currency,
) -> Result<(), AppError> {
    match maximum(app, currency) {
        Some(max) if minor > max => Err(AppError::field(
            field,
            "error.amount.above.maximum",
            format!(
                "{field} is above the largest single operation in {currency} ({})",
                json(max, currency.minor_units())
            ),
        )
        .with_arguments(vec![json(max, currency.minor_units()).to_string()])),
        _ => Ok(()),
    }
}

/// A currency code from the request; unknown ones are `error.currency.not.supported`.
pub fn currency(field: &str, code: Option<&str>) -> Result<Currency, AppError> {
    let code = code.map(str::trim).unwrap_or("");
    if code.is_empty() {
        return Err(AppError::field(
            field,
            "error.currency.required",
            format!("{field} is required"),
        ));
    }
    code.to_ascii_uppercase().parse::<Currency>().map_err(|_| {
        AppError::field(
            field,
            "error.currency.not.supported",
            format!("Currency {code} is not supported (IDR, USD, SGD, MYR, EUR)"),
        )
        .with_arguments(vec![code.to_string()])
    })
}

/// Page of a list: `page` is 1-based, `size` defaults to 20 and is at most 100.
#[derive(Debug, Clone, Copy)]
pub struct Page {
    pub limit: i64,
    pub offset: i64,
}

impl Page {
    pub fn new(page: Option<i64>, size: Option<i64>) -> Result<Page, AppError> {
        let page = page.unwrap_or(1);
        let size = size.unwrap_or(20);
        if page < 1 {
            return Err(AppError::field(
                "page",
                "error.page.invalid",
                "page starts at 1",
            ));
        }
        if !(1..=100).contains(&size) {
            return Err(AppError::field(
                "size",
                "error.size.invalid",
                "size is between 1 and 100",
            ));
        }
        Ok(Page {
            limit: size,
            offset: (page - 1).saturating_mul(size),
        })
    }

    /// The rows to read: this page by number, or the page after `cursor` (a `next` cursor of an
    /// earlier page) when one is given; a cursor that is not one is a 400 naming `cursor`.
    pub fn window(self, cursor: Option<&str>) -> Result<Window, AppError> {
        let after = match cursor.map(str::trim).filter(|c| !c.is_empty()) {
            None => None,
            Some(c) => Some(Key::decode(c).ok_or_else(bad_cursor)?),
        };
        Ok(Window::new(self.limit, self.offset, after))
    }
}

pub fn bad_cursor() -> AppError {
    AppError::field(
        "cursor",
        "error.cursor.invalid",
        "cursor is not one this list gave",
    )
}

/// Minor units as the exact JSON number of the major amount (`94877542` → `948775.42`).
pub fn json(minor: i64, currency_minor_units: u32) -> Value {
    let text = payplane_core::money::from_minor(minor, currency_minor_units).to_string();
    text.parse::<serde_json::Number>()
        .map(Value::Number)
        .unwrap_or(Value::Null)
}
