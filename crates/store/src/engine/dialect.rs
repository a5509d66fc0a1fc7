//! What differs between SQLite and PostgreSQL in a statement: row locking (`for_update`), claiming
//! (`skip_locked`) and the like, as methods the store's queries call. The rest of the engine
//! specifics stay in this crate, each where its reason is:
//! - `engine/db.rs`: pools (SQLite's one writer, its WAL checkpoints), migrations per engine;
//! - `engine/sql.rs`: scripts sent in one round trip (SQLite runs them as one batch on its writer,
//!   PostgreSQL as one pipelined statement list);
//! - `ledger.rs`: where new ledger ids come from (SQLite counts on, PostgreSQL reserves from its
//!   sequence);
//! - `pazemo/withdrawals/batch.rs` and `pg_batch.rs`: the two engines' fast paths for a batch of
//!   new withdrawals.
//!
//! Nothing above this crate names the engine.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    Sqlite,
    Postgres,
}

impl Dialect {
    pub fn from_url(url: &str) -> Option<Self> {
        if url.starts_with("sqlite:") {
            Some(Dialect::Sqlite)
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Some(Dialect::Postgres)
        } else {
            None
        }
    }

    /// The dialect of an open connection.
    pub fn of(conn: &crate::Conn) -> Self {
        if conn.backend_name().eq_ignore_ascii_case("sqlite") {
            Dialect::Sqlite
        } else {
            Dialect::Postgres
        }
    }

    /// Row locking for a claim sub-select. SQLite has a single writer, so the write transaction
    /// itself is the lock; PostgreSQL workers skip rows another worker holds.
    pub fn skip_locked(self) -> &'static str {
        match self {
            Dialect::Sqlite => "",
            Dialect::Postgres => " FOR UPDATE SKIP LOCKED",
        }
    }

    /// `FOR UPDATE` on a plain select (SQLite: no-op, the single writer serialises).
    pub fn for_update(self) -> &'static str {
        match self {
            Dialect::Sqlite => "",
            Dialect::Postgres => " FOR UPDATE",
        }
    }

    /// A column for the balance read of a ledger batch: SQLite's last ledger transaction id (its
    /// single writer assigns the next ones itself); PostgreSQL draws from its sequence instead.
    pub fn last_txn_id(self) -> &'static str {
        match self {
            Dialect::Sqlite => "(SELECT COALESCE(MAX(id), 0) FROM ledger_transactions)",
            Dialect::Postgres => "CAST(0 AS BIGINT)",
        }
    }

    /// A column for the balance read of a ledger batch: SQLite's `PRAGMA data_version`, which
    /// moves whenever another connection commits (`ledger::Books`); nothing on PostgreSQL.
    pub fn data_version(self) -> &'static str {
        match self {
            Dialect::Sqlite => "(SELECT data_version FROM pragma_data_version())",
            Dialect::Postgres => "CAST(0 AS BIGINT)",
        }
    }

    /// A table `j(value)` of the strings of the JSON array bound at `param`: one statement for
    /// any number of values, so it is prepared once.
    pub fn json_values(self, param: &str) -> String {
        match self {
            Dialect::Sqlite => format!("json_each({param}) j"),
            Dialect::Postgres => format!("jsonb_array_elements_text({param}::jsonb) AS j(value)"),
        }
    }

    /// Tables and columns of the live schema, for the schema-equality test.
    pub fn columns_query(self) -> &'static str {
        match self {
            Dialect::Sqlite => {
                "SELECT m.name, p.name FROM sqlite_master m JOIN pragma_table_info(m.name) p \
                 WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' AND m.name NOT LIKE '_sqlx%' \
                 ORDER BY 1, 2"
            }
            Dialect::Postgres => {
                "SELECT table_name::TEXT, column_name::TEXT FROM information_schema.columns \
                 WHERE table_schema = current_schema() AND table_name NOT LIKE '_sqlx%' ORDER BY 1, 2"
            }
        }
    }
}
