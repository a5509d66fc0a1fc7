//! End-to-end tests over real HTTP, each against SQLite and PostgreSQL.
mod support;

mod errors;
mod health;
mod idempotency;
mod jobs;
mod ledger;
mod pumapay_authz;
mod pumapay_business;
mod pumapay_console;
mod pumapay_models;
mod pumapay_products;
mod pumapay_psp;
mod pumapay_support;
mod schema;
mod users;
