//! Storage of payplane: one schema and one set of queries over SQLite and PostgreSQL.
//! `engine` holds the plumbing (pools, connections, the dialect, statement scripts); `pazemo` and
//! `pumapay` the two API families' tables; the rest (ledger, events, jobs, webhooks, idempotency,
//! audit) both families share. Where SQL must differ per engine, see `engine::dialect`.
pub mod audit;
pub mod engine;
pub mod error;
pub mod events;
pub mod idempotency;
pub mod jobs;
pub mod keyset;
pub mod ledger;
pub mod login_failures;
pub mod pazemo;
pub mod platform;
pub mod pumapay;
pub mod webhooks;

pub use engine::db::{Conn, Db, KeptConn, PooledConn, Tx, WriteTx, WriterConn};
pub use engine::dialect::Dialect;
pub use error::StoreError;
pub use sqlx;

pub type Result<T, E = StoreError> = std::result::Result<T, E>;
