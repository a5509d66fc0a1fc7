use crate::{App, AppError};
use payplane_store::ledger::{InvariantQuery, Violation, check};

/// Invariants beyond the ledger's own, contributed by capabilities that hold money.
pub const CAPABILITY_INVARIANTS: &[InvariantQuery] = &[];

/// Verifies every ledger invariant; an empty list means the books are sound.
pub async fn verify(app: &App) -> Result<Vec<Violation>, AppError> {
    Ok(check(&app.db.read, CAPABILITY_INVARIANTS).await?)
}
