-- The withdrawal batch statement writes postings, their transaction and the withdrawal row
-- together, after locking and checking every ledger account it touches (`pg_batch`), and every
-- other ledger write goes through `ledger::prepare_batch`, which refuses a missing account. On
-- PostgreSQL each foreign key below was a trigger running a locking query per inserted row —
-- twenty per batch of four withdrawals, a fifth of the statement's time. `payplane admin ledger
-- check` verifies the same relations (orphaned postings and withdrawals are violations).
ALTER TABLE ledger_postings DROP CONSTRAINT IF EXISTS ledger_postings_txn_id_fkey;
ALTER TABLE ledger_postings DROP CONSTRAINT IF EXISTS ledger_postings_account_id_fkey;
ALTER TABLE withdrawals DROP CONSTRAINT IF EXISTS withdrawals_account_id_fkey;
-- No query selects withdrawals by status alone (lists filter by account first), and an index on
-- status stops every status change from being a HOT update.
DROP INDEX IF EXISTS withdrawals_status;
