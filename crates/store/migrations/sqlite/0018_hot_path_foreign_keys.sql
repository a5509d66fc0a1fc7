-- The withdrawal batch writes its rows with multi-row INSERTs inside one transaction. SQLite
-- gives every multi-row write that a foreign key could abort a statement journal: each page the
-- statement touches is copied first, so that the statement alone can be undone. Our batches never
-- need that (any error rolls the whole transaction back), and the copies were a tenth of the
-- writer thread's time (perf, creations on 8 accounts). The foreign keys below are the ones
-- PostgreSQL dropped in its 0006 for the same hot path: every ledger write goes through
-- `ledger::prepare_batch`, which refuses a missing account, and `payplane admin ledger check`
-- reports orphaned postings and withdrawals. SQLite cannot drop a constraint, so the two tables
-- are rebuilt with the same columns, rows, indexes and AUTOINCREMENT counter.
CREATE TABLE ledger_postings_new (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    txn_id BIGINT NOT NULL,
    account_id TEXT NOT NULL,
    currency TEXT NOT NULL,
    amount BIGINT NOT NULL,
    created_at BIGINT NOT NULL
);
INSERT INTO ledger_postings_new (id, txn_id, account_id, currency, amount, created_at)
    SELECT id, txn_id, account_id, currency, amount, created_at FROM ledger_postings;
DELETE FROM sqlite_sequence WHERE name = 'ledger_postings_new';
INSERT INTO sqlite_sequence (name, seq)
    SELECT 'ledger_postings_new', seq FROM sqlite_sequence WHERE name = 'ledger_postings';
DROP TABLE ledger_postings;
ALTER TABLE ledger_postings_new RENAME TO ledger_postings;
CREATE INDEX ledger_postings_txn ON ledger_postings(txn_id);
CREATE INDEX ledger_postings_account_txn ON ledger_postings(account_id, txn_id, id);

CREATE TABLE withdrawals_new (
    id TEXT PRIMARY KEY,
    account_id TEXT NOT NULL,
    user_id TEXT NOT NULL,
    mode TEXT NOT NULL,
    currency TEXT NOT NULL,
    transaction_id BIGINT NOT NULL,
    status TEXT NOT NULL,
    network TEXT NOT NULL,
    address TEXT NOT NULL,
    address_name TEXT NOT NULL,
    amount BIGINT NOT NULL,
    fee_amount BIGINT NOT NULL,
    notes TEXT NOT NULL,
    prefix TEXT NOT NULL,
    beneficiary_id BIGINT,
    reference TEXT NOT NULL,
    reference_data TEXT NOT NULL,
    failed_attempts BIGINT NOT NULL,
    network_ref TEXT,
    failure_reason TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
INSERT INTO withdrawals_new SELECT * FROM withdrawals;
DROP TABLE withdrawals;
ALTER TABLE withdrawals_new RENAME TO withdrawals;
CREATE INDEX withdrawals_account ON withdrawals(account_id, id);
