use crate::{App, AppError};
use payplane_store::ledger::{InvariantQuery, Violation, check};

/// What each withdrawal holds: the sum of its ledger transactions' postings on its account's
/// hold ledger, computed once for all withdrawals (set-based, so checking large books stays
/// linear instead of one sub-query per withdrawal).
macro_rules! with_held {
    ($select:literal) => {
        concat!(
            "WITH held AS (SELECT t.reference AS id, p.account_id, SUM(p.amount) AS amount \
             FROM ledger_postings p JOIN ledger_transactions t ON t.id = p.txn_id \
             WHERE p.account_id LIKE 'hold:%' GROUP BY t.reference, p.account_id), \
             w AS (SELECT w.id, w.status, w.amount + w.fee_amount AS total, COALESCE(h.amount, 0) AS held \
             FROM withdrawals w LEFT JOIN held h ON h.id = w.id AND h.account_id = 'hold:' || w.account_id) ",
            $select
        )
    };
}

/// Invariants beyond the ledger's own, contributed by capabilities that hold money.
pub const CAPABILITY_INVARIANTS: &[InvariantQuery] = &[
    (
        "every open withdrawal holds exactly its amount plus fee",
        with_held!(
            "SELECT 'withdrawal ' || id || ' (' || status || ') holds ' || CAST(held AS TEXT) || \
             ' instead of ' || CAST(total AS TEXT) FROM w \
             WHERE status IN ('pending', 'processing') AND held <> total"
        ),
    ),
    (
        "a finished withdrawal holds nothing",
        with_held!(
            "SELECT 'withdrawal ' || id || ' (' || status || ') still holds ' || CAST(held AS TEXT) FROM w \
             WHERE status NOT IN ('pending', 'processing') AND held <> 0"
        ),
    ),
    (
        "every withdrawal is on an existing account",
        "SELECT 'withdrawal ' || w.id || ' is on account ' || w.account_id || ', which does not exist' \
         FROM withdrawals w LEFT JOIN accounts a ON a.id = w.account_id WHERE a.id IS NULL",
    ),
    (
        "an account's hold balance equals its open withdrawals",
        "WITH open AS (SELECT account_id, SUM(amount + fee_amount) AS total FROM withdrawals \
         WHERE status IN ('pending', 'processing') GROUP BY account_id) \
         SELECT 'hold of account ' || a.id || ' is ' || CAST(COALESCE(h.balance, 0) AS TEXT) || \
         ' but open withdrawals total ' || CAST(COALESCE(o.total, 0) AS TEXT) \
         FROM accounts a LEFT JOIN ledger_accounts h ON h.id = 'hold:' || a.id \
         LEFT JOIN open o ON o.account_id = a.id \
         WHERE COALESCE(h.balance, 0) <> COALESCE(o.total, 0)",
    ),
];

/// Verifies every ledger invariant; an empty list means the books are sound.
pub async fn verify(app: &App) -> Result<Vec<Violation>, AppError> {
    let extra: Vec<InvariantQuery> = CAPABILITY_INVARIANTS
        .iter()
        .chain(crate::pumapay::settlement::INVARIANTS)
        .copied()
        .collect();
    Ok(check(&app.db.read, &extra).await?)
}
