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

#[cfg(test)]
mod tests {
    #[test]
    fn numbers_placeholders_in_order() {
        assert_eq!(super::marks(3, 2), "$3,$4");
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
    /// Values of the statements before this one in a SQLite script (they share one numbering).
    offset: usize,
}

impl<'a> Builder<'a> {
    pub fn push(&mut self, arg: Arg<'a>) -> String {
        self.args.push(arg);
        format!("${}", self.offset + self.args.len())
    }

    /// `(p1,p2,…)` for one row of values.
    pub fn row(&mut self, args: impl IntoIterator<Item = Arg<'a>>) -> String {
        let marks: Vec<String> = args.into_iter().map(|a| self.push(a)).collect();
        format!("({})", marks.join(","))
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

    /// Adds `INSERT INTO {into} VALUES (…),(…)`, one row per item of `rows` (nothing if none).
    pub fn insert<R>(&mut self, into: &str, rows: impl IntoIterator<Item = R>)
    where
        R: IntoIterator<Item = Arg<'a>>,
    {
        let mut b = self.next();
        let rows: Vec<String> = rows.into_iter().map(|r| b.row(r)).collect();
        if !rows.is_empty() {
            b.sql = match &self.guard {
                None => format!("INSERT INTO {into} VALUES {}", rows.join(",")),
                Some(g) => format!(
                    "INSERT INTO {into} SELECT * FROM (VALUES {}) WHERE {g}",
                    rows.join(",")
                ),
            };
            self.parts.push(b);
        }
    }

    fn next(&self) -> Builder<'a> {
        let offset = match self.dialect {
            Dialect::Sqlite => self.parts.iter().map(|p| p.args.len()).sum(),
            Dialect::Postgres => 0,
        };
        Builder {
            offset,
            ..Builder::default()
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
