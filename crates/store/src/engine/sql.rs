//! Placeholder lists for statements whose size depends on the data (`IN (…)` lists and
//! multi-row `VALUES`), so batches cost one statement instead of one per row; and scripts of
//! such statements.
use crate::{Conn, Dialect, Result};

/// `$start,$start+1,…` — `n` placeholders.
pub fn marks(start: usize, n: usize) -> String {
    (start..start + n)
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(",")
}

/// [`marks`] for a statement on `dialect`: on SQLite anonymous `?` (see [`Builder`]'s
/// `positional`), so the statement must bind its values in the order its text names them.
/// For the multi-row statements of the executor's batches, whose thousands of numbered
/// placeholders SQLite bound in time quadratic in their number (BENCH.md, issue 14).
pub fn marks_in(dialect: Dialect, start: usize, n: usize) -> String {
    match dialect {
        Dialect::Sqlite => vec!["?"; n].join(","),
        Dialect::Postgres => marks(start, n),
    }
}

/// `(…),(…)`: `rows` rows of `n` placeholders each, numbered from `start` ([`marks_in`]).
pub fn rows_in(dialect: Dialect, start: usize, rows: usize, n: usize) -> String {
    (0..rows)
        .map(|r| format!("({})", marks_in(dialect, start + r * n, n)))
        .collect::<Vec<_>>()
        .join(",")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_placeholders_in_order() {
        assert_eq!(marks(3, 2), "$3,$4");
        assert_eq!(marks_in(Dialect::Postgres, 3, 2), "$3,$4");
        assert_eq!(marks_in(Dialect::Sqlite, 3, 2), "?,?");
        assert_eq!(rows_in(Dialect::Postgres, 2, 2, 2), "($2,$3),($4,$5)");
        assert_eq!(rows_in(Dialect::Sqlite, 2, 2, 2), "(?,?),(?,?)");
    }
}

/// A bind value of a statement assembled by `Builder`.
#[derive(Debug, Clone)]
pub enum Arg<'a> {
    Text(&'a str),
    Owned(String),
    Int(i64),
    MaybeText(Option<&'a str>),
    MaybeInt(Option<i64>),
}

/// A statement and its bind values, assembled together so each placeholder's number is the
/// position of its value: `push` returns the placeholder to write in the SQL.
#[derive(Debug, Default)]
pub struct Builder<'a> {
    pub sql: String,
    args: Vec<Arg<'a>>,
    /// SQLite: anonymous `?` placeholders, so the SQL must name the values in the order they
    /// were pushed (every statement of a script does). SQLite looks a numbered placeholder's
    /// name up by walking a list of all of them, so binding the several hundred of a batch by
    /// number cost time in their square: 6 % of a creation's instructions (BENCH.md, issue 20).
    positional: bool,
}

impl<'a> Builder<'a> {
    pub fn push(&mut self, arg: Arg<'a>) -> String {
        let mut mark = String::with_capacity(6);
        self.mark(arg, &mut mark);
        mark
    }

    /// `(p1,p2,…)` for one row of values.
    pub fn row(&mut self, args: impl IntoIterator<Item = Arg<'a>>) -> String {
        let mut row = String::with_capacity(64);
        self.row_into(args, &mut row);
        row
    }

    /// Appends `(p1,p2,…)` to `out`. A batch writes some fifty placeholders per withdrawal:
    /// written in place (no `format!`, no string per placeholder, no join) they cost a tenth of
    /// what they did, which the one writer of a SQLite database pays serially (BENCH.md, issue 20).
    fn row_into(&mut self, args: impl IntoIterator<Item = Arg<'a>>, out: &mut String) {
        out.push('(');
        for (i, arg) in args.into_iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            self.mark(arg, out);
        }
        out.push(')');
    }

    /// Takes `arg` and appends its placeholder (`$n`, or `?` when positional) to `out`.
    fn mark(&mut self, arg: Arg<'a>, out: &mut String) {
        self.args.push(arg);
        if self.positional {
            out.push('?');
        } else {
            out.push('$');
            out.push_str(itoa::Buffer::new().format(self.args.len()));
        }
    }

    pub fn query(&self) -> AnyQuery<'_> {
        bind(sqlx::query(&self.sql), &self.args)
    }
}

type AnyQuery<'q> = sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>>;

fn bind<'q>(mut q: AnyQuery<'q>, args: &'q [Arg<'_>]) -> AnyQuery<'q> {
    for a in args {
        q = match a {
            Arg::Text(s) => q.bind(*s),
            Arg::Owned(s) => q.bind(s.as_str()),
            Arg::Int(i) => q.bind(*i),
            Arg::MaybeText(s) => q.bind(*s),
            Arg::MaybeInt(i) => q.bind(*i),
        };
    }
    q
}

/// Write statements to run in order in the caller's transaction, once whatever they depend on
/// has been read. SQLite runs them as one script — one hand-off to its connection's worker
/// thread instead of one per statement; PostgreSQL's extended protocol takes one statement per
/// message, so there they run one by one.
pub struct Script<'a> {
    dialect: Dialect,
    parts: Vec<Builder<'a>>,
    /// A condition every write added after `guard` is conditional on (see `guard`).
    guard: Option<String>,
    /// Whether the script ends by selecting its guard (`check_guard`).
    checks_guard: bool,
}

impl<'a> Script<'a> {
    pub fn new(dialect: Dialect) -> Self {
        Script {
            dialect,
            parts: vec![],
            guard: None,
            checks_guard: false,
        }
    }

    /// Makes every write added from now on conditional on `condition` (a SQL expression that
    /// the script's own writes cannot change), so that all of them happen or none does.
    pub fn guard(&mut self, condition: String) {
        self.guard = Some(condition);
    }

    /// `" AND (guard)"` for a hand-written `UPDATE … WHERE …`, or nothing without a guard.
    pub fn guard_clause(&self) -> String {
        self.guard
            .as_ref()
            .map_or_else(String::new, |g| format!(" AND ({g})"))
    }

    /// Ends the script (so far) by selecting its guard, inside the transaction, for `run` to
    /// report whether the guarded writes happened.
    pub fn check_guard(&mut self) {
        if let Some(g) = self.guard.clone() {
            self.statement().sql = format!("SELECT CASE WHEN {g} THEN 1 ELSE 0 END");
            self.checks_guard = true;
        }
    }

    /// Puts `prefix` before the first statement (to open the transaction in the same message).
    pub fn prefix(&mut self, prefix: &str) {
        match self.parts.first_mut() {
            Some(first) => first.sql.insert_str(0, prefix),
            None => self.statement().sql = prefix.trim_end_matches([' ', ';']).to_string(),
        }
    }

    /// A new statement at the end of the script, to fill in.
    pub fn statement(&mut self) -> &mut Builder<'a> {
        let next = self.next();
        self.parts.push(next);
        let last = self.parts.len() - 1;
        &mut self.parts[last]
    }

    /// `" OR ROLLBACK"` on SQLite, for the script's multi-row `INSERT`s and `UPDATE`s. A
    /// multi-row write that a constraint could abort midway gets a statement journal from SQLite
    /// (every page it touches is copied first, so the statement alone can be undone), which a
    /// script never needs: it runs whole inside its transaction, and any error rolls all of it
    /// back. Without the journal, creations on 8 accounts spend a tenth less of the writer
    /// thread's time (BENCH.md, issue 20). PostgreSQL has no such clause and no such cost.
    pub fn or_rollback(&self) -> &'static str {
        match self.dialect {
            Dialect::Sqlite => " OR ROLLBACK",
            Dialect::Postgres => "",
        }
    }

    /// Adds `INSERT INTO {into} VALUES (…),(…)`, one row per item of `rows` (nothing if none).
    pub fn insert<R>(&mut self, into: &str, rows: impl IntoIterator<Item = R>)
    where
        R: IntoIterator<Item = Arg<'a>>,
    {
        let mut b = self.next();
        let mut values = String::new();
        for (i, row) in rows.into_iter().enumerate() {
            if i > 0 {
                values.push(',');
            }
            b.row_into(row, &mut values);
        }
        if !values.is_empty() {
            let or = self.or_rollback();
            b.sql = match &self.guard {
                None => format!("INSERT{or} INTO {into} VALUES {values}"),
                Some(g) => {
                    format!("INSERT{or} INTO {into} SELECT * FROM (VALUES {values}) WHERE {g}")
                }
            };
            self.parts.push(b);
        }
    }

    fn next(&self) -> Builder<'a> {
        match self.dialect {
            Dialect::Sqlite => Builder {
                positional: true,
                ..Builder::default()
            },
            Dialect::Postgres => Builder::default(),
        }
    }

    /// Runs the script; `false` if it checks its guard (`check_guard`) and the guard did not
    /// hold, so none of its guarded writes happened.
    pub async fn run(self, conn: &mut Conn) -> Result<bool> {
        let mut rows = vec![];
        match self.dialect {
            Dialect::Sqlite if !self.parts.is_empty() => {
                let sql: Vec<&str> = self.parts.iter().map(|p| p.sql.as_str()).collect();
                let sql = sql.join(";\n");
                let args: Vec<&Arg> = self.parts.iter().flat_map(|p| &p.args).collect();
                let mut q = sqlx::query(&sql);
                for a in args {
                    q = bind(q, std::slice::from_ref(a));
                }
                rows = q.fetch_all(&mut *conn).await?;
            }
            Dialect::Sqlite => {}
            Dialect::Postgres => {
                for p in &self.parts {
                    rows.extend(p.query().fetch_all(&mut *conn).await?);
                }
            }
        }
        if !self.checks_guard {
            return Ok(true);
        }
        let held: i64 = match rows.last() {
            Some(r) => sqlx::Row::try_get(r, 0)?,
            None => 0,
        };
        Ok(held == 1)
    }
}

#[cfg(test)]
mod script_tests {
    use super::*;
    use crate::Db;
    use sqlx::Row;

    async fn sqlite() -> (Db, std::path::PathBuf) {
        let path = std::env::temp_dir().join(format!(
            "payplane-script-{}.db",
            payplane_core::ids::new_id()
        ));
        let db = Db::connect(&format!("sqlite://{}?mode=rwc", path.display()), 2)
            .await
            .unwrap();
        (db, path)
    }

    /// SQLite scripts use anonymous placeholders: each statement's values bind in the order they
    /// were pushed, after the values of the statements before it.
    #[tokio::test]
    async fn each_statement_of_a_sqlite_script_gets_its_own_values() {
        let (db, path) = sqlite().await;
        let mut conn = db.acquire_writer().await.unwrap();
        sqlx::query("CREATE TABLE t (k TEXT PRIMARY KEY, n BIGINT NOT NULL)")
            .execute(&mut *conn)
            .await
            .unwrap();
        let mut script = Script::new(Dialect::Sqlite);
        script.insert(
            "t (k, n)",
            [("a", 1), ("b", 2)].map(|(k, n)| [Arg::Text(k), Arg::Int(n)]),
        );
        let b = script.statement();
        let (n, k) = (b.push(Arg::Int(40)), b.push(Arg::Text("b")));
        b.sql = format!("UPDATE t SET n = n + {n} WHERE k = {k}");
        script.insert("t (k, n)", [[Arg::Text("c"), Arg::Int(3)]]);
        assert!(script.run(&mut conn).await.unwrap());
        let rows: Vec<(String, i64)> = sqlx::query("SELECT k, n FROM t ORDER BY k")
            .fetch_all(&mut *conn)
            .await
            .unwrap()
            .iter()
            .map(|r| (r.get(0), r.get(1)))
            .collect();
        assert_eq!(
            rows,
            [("a".into(), 1), ("b".into(), 42), ("c".into(), 3)],
            "values bound to the wrong placeholders"
        );
        drop(conn);
        db.close().await;
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
        }
    }

    /// A script's writes are all or nothing even without statement journals (`or_rollback`):
    /// a constraint failing in its last statement takes back the ones before it.
    #[tokio::test]
    async fn a_failing_sqlite_script_leaves_nothing_behind() {
        let (db, path) = sqlite().await;
        let mut conn = db.acquire_writer().await.unwrap();
        sqlx::query("CREATE TABLE t (k TEXT PRIMARY KEY, n BIGINT NOT NULL)")
            .execute(&mut *conn)
            .await
            .unwrap();
        let mut script = Script::new(Dialect::Sqlite);
        script.insert("t (k, n)", [[Arg::Text("a"), Arg::Int(1)]]);
        script.insert(
            "t (k, n)",
            [("b", 2), ("a", 3)].map(|(k, n)| [Arg::Text(k), Arg::Int(n)]),
        );
        script.prefix("BEGIN IMMEDIATE; ");
        script.statement().sql = "COMMIT".into();
        assert!(script.run(&mut conn).await.is_err(), "duplicate key");
        let left: i64 = sqlx::query("SELECT COUNT(*) FROM t")
            .fetch_one(&mut *conn)
            .await
            .unwrap()
            .get(0);
        assert_eq!(left, 0, "the rows before the failure were kept");
        drop(conn);
        db.close().await;
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
        }
    }
}
