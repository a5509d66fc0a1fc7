//! Storage of payplane: one schema and one set of queries over SQLite and PostgreSQL.
//! What must differ per engine lives in `dialect`.
pub mod accounts;
pub mod audit;
pub mod beneficiaries;
pub mod businesses;
pub mod console;
pub mod db;
pub mod dialect;
pub mod error;
pub mod events;
pub mod idempotency;
pub mod jobs;
pub mod ledger;
pub mod payment_models;
pub mod pg_batch;
pub mod platform;
pub mod postbacks;
pub mod products;
pub mod quotes;
pub mod schema;
pub mod sql;
pub mod tokens;
pub mod users;
pub mod webhooks;
pub mod withdrawals;

pub use db::{Conn, Db, KeptConn, PooledConn, Tx, WriteTx, WriterConn};
pub use dialect::Dialect;
pub use error::StoreError;
pub use sqlx;

pub type Result<T, E = StoreError> = std::result::Result<T, E>;
