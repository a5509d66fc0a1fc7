//! Tables of the accounts & payouts API: users, tokens, accounts, recipients, withdrawals, FX quotes.
pub mod accounts;
pub mod beneficiaries;
pub mod logins;
pub mod quotes;
pub mod tokens;
pub mod users;
pub mod withdrawals;
