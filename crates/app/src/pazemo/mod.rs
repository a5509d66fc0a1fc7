//! Accounts & payouts (the "Pazemo" API): users, API tokens, 2FA, multi-currency accounts, the
//! bank directory, FX, recipients and withdrawals with their payout jobs.
pub mod accounts;
pub mod amounts;
pub mod auth;
pub mod banks;
pub mod beneficiaries;
pub mod fx;
pub mod logins;
#[cfg(test)]
mod money_properties;
pub mod payouts;
pub mod twofa;
pub mod users;
pub mod withdrawals;
