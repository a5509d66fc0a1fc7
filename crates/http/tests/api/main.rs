//! End-to-end tests over real HTTP, each against SQLite and PostgreSQL: `pazemo/` for the accounts
//! & payouts API, `pumapay/` for the pull-payment API, the rest for what both faces share.
mod support;

mod pazemo;
mod pumapay;

mod browser;
mod conformance;
mod errors;
mod fuzz_regressions;
mod health;
mod idempotency;
mod isolation;
mod jobs;
mod limits;
mod openapi;
mod overflow;
mod rate_limits;
mod schema;
mod security;
mod slow_clients;
mod snapshots;
mod web;
mod web_console;
