//! Pull payments (seed 004 "PullPayments", "Top Up Payment", "PullPayment Cancellation"): the
//! customer's signed consent, its schedule, the executor that registers and pulls on chain, and
//! what the business may do with a running payment.
pub mod events;
pub mod executor;
pub mod merchant;
pub mod reads;
pub mod requests;
pub mod schedule;
pub mod summary;

use crate::AppError;

pub fn not_found() -> AppError {
    AppError::not_found("error.pull.payment.not.found", "Pull payment not found")
}
