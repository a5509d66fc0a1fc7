#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A unique constraint refused the write: the caller maps it to a 409.
    #[error("unique constraint violated: {0}")]
    Conflict(String),
    #[error("not found")]
    NotFound,
    /// A conditional update found the balance too small.
    #[error("insufficient funds")]
    InsufficientFunds,
    /// A posting would take this ledger account's balance past what an i64 holds: that one
    /// transaction is refused, the account and every other transaction are untouched.
    #[error("ledger account {0} would overflow")]
    Overflow(String),
    #[error(transparent)]
    Ledger(#[from] payplane_core::ledger::LedgerError),
    #[error("database error")]
    Db(#[source] sqlx::Error),
    #[error("migration failed")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("stored data is corrupt: {0}")]
    Corrupt(String),
    /// The request's `Idempotency-Key` was taken over by a retry (the request ran longer than
    /// `idempotency_abandon_secs`): its transaction must not commit.
    #[error("the idempotency key was taken over by a retry")]
    ClaimLost,
}

impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> Self {
        match &e {
            sqlx::Error::RowNotFound => StoreError::NotFound,
            sqlx::Error::Database(db) if db.is_unique_violation() => {
                StoreError::Conflict(db.constraint().unwrap_or(db.message()).to_string())
            }
            _ => StoreError::Db(e),
        }
    }
}
