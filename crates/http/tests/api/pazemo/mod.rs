//! The accounts & payouts API (seed 000).
pub mod support;

mod accounts;
mod beneficiaries;
mod fx;
mod ledger;
mod modes;
mod users;
mod webhooks;
mod withdrawal_concurrency;
mod withdrawals;
