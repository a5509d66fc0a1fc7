-- The transactions report filtered by status and currency (`transactionStatuses`, `currency`)
-- walks `transactions_business` newest first. With those columns only in the table, SQLite read
-- the table row of every entry the walk passed, including the ones an OFFSET skips. Past a few
-- hundred thousand rows those reads miss the page cache, so the report's deep pages slowed with
-- the table's size (BENCH.md, issue 20). With the two columns at the end of the index, SQLite
-- tests them in the index entry and reads a table row only for a row it returns. The order is
-- unchanged, so every other use of the index is unchanged.
DROP INDEX transactions_business;
CREATE INDEX transactions_business ON transactions(business_id, network_id, created_at, id, status, currency);
