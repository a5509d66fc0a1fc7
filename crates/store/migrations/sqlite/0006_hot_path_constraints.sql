-- No query selects withdrawals by status alone (lists filter by account first); the index only
-- cost a page per withdrawal batch. SQLite keeps its foreign keys: it checks them with an index
-- read, without the per-row locking query PostgreSQL runs (see the postgres migration 0006).
DROP INDEX IF EXISTS withdrawals_status;
