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
mod network;
mod pumapay_authz;
mod pumapay_business;
mod pumapay_console;
mod pumapay_models;
mod pumapay_postback_routing;
mod pumapay_postbacks;
mod pumapay_products;
mod pumapay_psp;
mod pumapay_support;
mod schema;
mod users;
mod webhooks;
mod withdrawal_concurrency;
mod withdrawals;
