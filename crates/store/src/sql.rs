//! Placeholder lists for statements whose size depends on the data (`IN (…)` lists and
//! multi-row `VALUES`), so batches cost one statement instead of one per row.

/// `$start,$start+1,…` — `n` placeholders.
pub fn marks(start: usize, n: usize) -> String {
    (start..start + n)
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(",")
}

/// `($s,…),($s+cols,…),…` — `rows` tuples of `cols` placeholders numbered from `start`.
pub fn rows(start: usize, rows: usize, cols: usize) -> String {
    (0..rows)
        .map(|r| format!("({})", marks(start + r * cols, cols)))
        .collect::<Vec<_>>()
        .join(",")
}

#[cfg(test)]
mod tests {
    #[test]
    fn numbers_placeholders_in_order() {
        assert_eq!(super::marks(3, 2), "$3,$4");
        assert_eq!(super::rows(2, 2, 3), "($2,$3,$4),($5,$6,$7)");
        assert_eq!(super::rows(1, 0, 3), "");
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
}

impl<'a> Builder<'a> {
    pub fn push(&mut self, arg: Arg<'a>) -> String {
        self.args.push(arg);
        format!("${}", self.args.len())
    }

    /// `(p1,p2,…)` for one row of values.
    pub fn row(&mut self, args: impl IntoIterator<Item = Arg<'a>>) -> String {
        let marks: Vec<String> = args.into_iter().map(|a| self.push(a)).collect();
        format!("({})", marks.join(","))
    }

    pub fn query(&self) -> sqlx::query::Query<'_, sqlx::Any, sqlx::any::AnyArguments<'_>> {
        let mut q = sqlx::query(&self.sql);
        for a in &self.args {
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
}
