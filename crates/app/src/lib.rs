//! payplane's use cases: one function per operation, each one database transaction; the
//! background workers; configuration.
pub mod accounts;
pub mod amounts;
pub mod auth;
pub mod banks;
pub mod batcher;
pub mod beneficiaries;
pub mod config;
pub mod error;
pub mod fx;
pub mod gas;
pub mod group_commit;
pub mod health;
pub mod ledger;
pub mod limits;
#[cfg(test)]
mod money_properties;
pub mod networks;
pub mod payouts;
pub mod settlement;
pub mod state;
pub mod twofa;
pub mod users;
pub mod webhooks;
pub mod withdrawals;
pub mod worker;

pub use config::Config;
pub use error::{AppError, Detail, ErrorKind};
pub use state::App;
pub mod access;
pub mod business_operator;
pub mod businesses;
pub mod console;
pub mod paging;
pub mod payment_model_rules;
pub mod payment_models;
pub mod postbacks;
pub mod products;
pub mod reference;
pub mod sealing;
pub mod sub_businesses;
pub mod wallets;
