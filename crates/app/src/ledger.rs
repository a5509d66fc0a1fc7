use crate::{App, AppError};
use payplane_store::ledger::{InvariantQuery, Violation, check};

/// Invariants beyond the ledger's own, contributed by capabilities that hold money.
pub const CAPABILITY_INVARIANTS: &[InvariantQuery] = &[
    (
        "every open withdrawal holds exactly its amount plus fee",
        "SELECT 'withdrawal ' || w.id || ' (' || w.status || ') holds ' || \
         CAST(COALESCE((SELECT SUM(p.amount) FROM ledger_postings p JOIN ledger_transactions t ON t.id = p.txn_id \
           WHERE t.reference = w.id AND p.account_id = 'hold:' || w.account_id), 0) AS TEXT) || \
         ' instead of ' || CAST(w.amount + w.fee_amount AS TEXT) FROM withdrawals w \
         WHERE w.status IN ('pending', 'processing') AND w.amount + w.fee_amount <> \
         COALESCE((SELECT SUM(p.amount) FROM ledger_postings p JOIN ledger_transactions t ON t.id = p.txn_id \
           WHERE t.reference = w.id AND p.account_id = 'hold:' || w.account_id), 0)",
    ),
    (
        "a finished withdrawal holds nothing",
        "SELECT 'withdrawal ' || w.id || ' (' || w.status || ') still holds ' || \
         CAST(COALESCE((SELECT SUM(p.amount) FROM ledger_postings p JOIN ledger_transactions t ON t.id = p.txn_id \
           WHERE t.reference = w.id AND p.account_id = 'hold:' || w.account_id), 0) AS TEXT) FROM withdrawals w \
         WHERE w.status NOT IN ('pending', 'processing') AND 0 <> \
         COALESCE((SELECT SUM(p.amount) FROM ledger_postings p JOIN ledger_transactions t ON t.id = p.txn_id \
           WHERE t.reference = w.id AND p.account_id = 'hold:' || w.account_id), 0)",
    ),
    (
        "an account's hold balance equals its open withdrawals",
        "SELECT 'hold of account ' || a.id || ' is ' || CAST(COALESCE(h.balance, 0) AS TEXT) || \
         ' but open withdrawals total ' || CAST(COALESCE((SELECT SUM(w.amount + w.fee_amount) FROM withdrawals w \
           WHERE w.account_id = a.id AND w.status IN ('pending', 'processing')), 0) AS TEXT) \
         FROM accounts a LEFT JOIN ledger_accounts h ON h.id = 'hold:' || a.id \
         WHERE COALESCE(h.balance, 0) <> COALESCE((SELECT SUM(w.amount + w.fee_amount) FROM withdrawals w \
           WHERE w.account_id = a.id AND w.status IN ('pending', 'processing')), 0)",
    ),
];

/// Verifies every ledger invariant; an empty list means the books are sound.
pub async fn verify(app: &App) -> Result<Vec<Violation>, AppError> {
    Ok(check(&app.db.read, CAPABILITY_INVARIANTS).await?)
}
