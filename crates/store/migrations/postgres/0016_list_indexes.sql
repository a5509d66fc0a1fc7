-- Indexes of the newest-first lists (issue 20, item 2; docs/foundation.md "Lists"). Each list
-- reads its page by walking one index from the newest row (or from a cursor) and stops after
-- offset + limit rows, so a page costs the same at 10 k and at 1 M rows. Where an index below
-- replaces an older one, the older one's columns are its prefix: every query that used it can
-- use the new one, and writes keep the same number of indexes to maintain.

-- An account's transactions (GET /users/{userId}/accounts/{id}/transactions) pick the page's
-- transaction ids from each of the account's two ledgers newest first: that needs the postings
-- of one ledger account in transaction order. Posting ids are not in transaction order (two
-- concurrent transactions interleave their postings), so (account_id, id) could not do it.
-- The balance checks (SUM over account_id) use the prefix.
DROP INDEX ledger_postings_account;
CREATE INDEX ledger_postings_account_txn ON ledger_postings(account_id, txn_id, id);

-- GET /users/me/events lists one owner's events in one mode, newest first: with `mode` in the
-- index the walk reads only the rows it returns (an owner's sandbox events no longer have to be
-- skipped to reach the live ones, and the other way round).
DROP INDEX events_owner;
CREATE INDEX events_owner_mode ON events(owner_id, mode, seq);

-- The webhook and postback delivery logs merge the newest deliveries of each endpoint of the
-- owner, ordered by (created_at, id): `id` breaks ties of one microsecond and lets a cursor seek
-- to the exact row, without a sort of the rows that share that instant.
DROP INDEX webhook_deliveries_endpoint;
CREATE INDEX webhook_deliveries_endpoint_created ON webhook_deliveries(endpoint_id, created_at, id);

-- Pull payments of a business, newest first, (created_at, id) order: with a network
-- (`networkID`)...
DROP INDEX pull_payments_business;
CREATE INDEX pull_payments_business ON pull_payments(business_id, network_id, created_at, id);
-- ...and without one (the filter is optional), where the index above would need a sort of every
-- pull payment of the business.
CREATE INDEX pull_payments_business_created ON pull_payments(business_id, created_at, id);

-- The transactions report (always on one network) and the transactions of one pull payment,
-- newest first, (created_at, id) order: `id` in the index so that SQLite needs no temporary
-- B-tree for the tiebreak and a cursor seeks to its row.
DROP INDEX transactions_business;
CREATE INDEX transactions_business ON transactions(business_id, network_id, created_at, id);
DROP INDEX transactions_payment;
CREATE INDEX transactions_payment ON transactions(pull_payment_id, created_at, id);
