//! End-to-end tests over real HTTP, each against SQLite and PostgreSQL.
mod fixtures;
mod support;

mod accounts;
mod beneficiaries;
mod errors;
mod fx;
mod health;
mod idempotency;
mod jobs;
mod ledger;
mod modes;
mod schema;
mod users;
mod webhooks;
mod withdrawal_concurrency;
mod withdrawals;
