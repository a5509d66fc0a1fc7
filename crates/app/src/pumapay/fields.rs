//! Field rules shared by the pull-payment API's bodies and filters: network ids, fiat currencies,
//! and turning the collected field errors into one answer.
use crate::error::detail;
use crate::{AppError, Detail};
use payplane_core::kinds::Network;

pub fn check(errors: Vec<Detail>) -> Result<(), AppError> {
    if errors.is_empty() {
        Ok(())
    } else {
        Err(AppError::fields(errors))
    }
}

/// Network ids of seed 004: 1 (main network) and 3 (test network).
pub fn network(field: &str, id: i64, errors: &mut Vec<Detail>) {
    if Network::from_id(id).is_none() {
        errors.push(detail(
            field,
            "error.network.invalid",
            &format!("{field} must be 1 (main network) or 3 (test network)"),
        ));
    }
}

/// Fiat currencies of payment models; the document's `GPB` is read as GBP.
pub fn currency(field: &str, c: &str, errors: &mut Vec<Detail>) -> Option<String> {
    match c.trim().to_ascii_uppercase().as_str() {
        "GPB" | "GBP" => Some("GBP".into()),
        x @ ("USD" | "EUR" | "JPY") => Some(x.to_string()),
        _ => {
            errors.push(detail(
                field,
                "error.currency.invalid",
                &format!("{field} must be one of USD, EUR, JPY, GBP"),
            ));
            None
        }
    }
}
