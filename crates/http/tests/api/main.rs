//! End-to-end tests over real HTTP, each against SQLite and PostgreSQL.
mod support;

mod errors;
mod health;
mod idempotency;
mod jobs;
mod ledger;
mod schema;
mod users;
mod webhooks;
