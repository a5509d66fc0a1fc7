//! A served body against a documented sample: every documented field present, each with its
//! documented JSON type. The sample's values are mostly descriptions ending in the type in
//! parentheses (`"… (Integer)"`, `"… (String|null)"`); a value without one documents its own
//! JSON type (`"string"`, `0`, `{}`), and a sample `null` (or the text `"null"`) allows null.
use super::decisions::{Decision, decision};
use serde_json::Value;
use std::fmt;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ty {
    String,
    Integer,
    /// Any JSON number (the seed's `decimal`, and a bare numeric sample such as `0` or `9.1`).
    Number,
    Boolean,
    Array,
    Object,
    Null,
}

impl fmt::Display for Ty {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self, f)
    }
}

/// The served value's type, as precisely as the documented one can ask for.
fn served(v: &Value) -> Ty {
    match v {
        Value::String(_) => Ty::String,
        Value::Number(n) if n.is_i64() || n.is_u64() => Ty::Integer,
        Value::Number(_) => Ty::Number,
        Value::Bool(_) => Ty::Boolean,
        Value::Array(_) => Ty::Array,
        Value::Object(_) => Ty::Object,
        Value::Null => Ty::Null,
    }
}

fn accepts(documented: &[Ty], v: &Value) -> bool {
    let got = served(v);
    documented
        .iter()
        .any(|d| *d == got || (*d == Ty::Number && got == Ty::Integer))
}

/// The type named by a sample description's last parenthesis, if it names one
/// (`(Integer)`, `(String|null)`, `(String/null)`, `(decimal)`, `(Integer[])`, …).
fn hinted(text: &str) -> Option<Vec<Ty>> {
    let text = text.trim_end().strip_suffix(')')?;
    let inner = text[text.rfind('(')? + 1..].trim().to_ascii_lowercase();
    if items_of(&inner).is_some() {
        return Some(vec![Ty::Array]);
    }
    inner
        .split(['|', '/'])
        .map(|t| match t.trim() {
            "string" => Some(Ty::String),
            "integer" => Some(Ty::Integer),
            "decimal" => Some(Ty::Number),
            "boolean" => Some(Ty::Boolean),
            "null" => Some(Ty::Null),
            _ => None,
        })
        .collect()
}

/// The element types of an array hint (`Integer[]`, `array of strings`, `array of
/// strings/integers`).
fn items_of(hint: &str) -> Option<Vec<Ty>> {
    Some(match hint {
        "integer[]" => vec![Ty::Integer],
        "array of strings" => vec![Ty::String],
        "array of strings/integers" => vec![Ty::String, Ty::Integer],
        _ => return None,
    })
}

/// A sample array whose one element describes the array itself (`["… (array of strings)"]`):
/// the types its elements may have.
fn described_items(want: &[Value]) -> Option<Vec<Ty>> {
    match want {
        [Value::String(s)] => {
            let text = s.trim_end().strip_suffix(')')?;
            items_of(
                text[text.rfind('(')? + 1..]
                    .trim()
                    .to_ascii_lowercase()
                    .as_str(),
            )
        }
        _ => None,
    }
}

/// The documented types of a sample leaf; `None`: anything (the sample shows null).
pub fn documented(sample: &Value) -> Option<Vec<Ty>> {
    Some(match sample {
        Value::Null => return None,
        Value::String(s) if s == "null" => return None,
        Value::String(s) => {
            let mut types = hinted(s).unwrap_or(vec![Ty::String]);
            // "…, otherwise null": the description itself allows null.
            if s.to_ascii_lowercase()
                .split(|c: char| !c.is_ascii_alphabetic())
                .any(|w| w == "null")
            {
                types.push(Ty::Null);
            }
            types
        }
        Value::Number(_) => vec![Ty::Number],
        Value::Bool(_) => vec![Ty::Boolean],
        Value::Array(_) => vec![Ty::Array],
        Value::Object(_) => vec![Ty::Object],
    })
}

/// Compares a served body with sample `key`'s body, pushing each deviation.
pub fn compare(key: &str, sample: &Value, actual: &Value, out: &mut Vec<String>) {
    compare_at(key, "", "", sample, actual, out)
}

/// `shown` is where the deviation is reported; `rule` is the path the decisions are keyed by
/// (array elements as `[]`).
fn compare_inner(
    key: &str,
    shown: &str,
    rule: &str,
    sample: &Value,
    actual: &Value,
    out: &mut Vec<String>,
) {
    match (sample, actual) {
        (Value::Object(want), Value::Object(got)) => {
            for (field, sv) in want {
                let rule_path = join(rule, field);
                let shown_path = join(shown, field);
                let (served_as, rule_path) = match decision(key, &rule_path) {
                    // Decisions about the field's type are written under its served name.
                    Some(Decision::Renamed(_, to)) => (*to, join(rule, to)),
                    _ => (field.as_str(), rule_path),
                };
                match got.get(served_as) {
                    Some(av) => compare_at(key, &shown_path, &rule_path, sv, av, out),
                    None => out.push(format!("{key} {shown_path}: documented, not served")),
                }
            }
        }
        (Value::Array(want), Value::Array(got)) if described_items(want).is_some() => {
            let items = described_items(want).unwrap_or_default();
            for (i, av) in got.iter().enumerate() {
                if !accepts(&items, av) {
                    out.push(format!(
                        "{key} {shown}[{i}]: documented {items:?} elements, served {av}"
                    ));
                }
            }
        }
        (Value::Array(want), Value::Array(got)) => {
            // A sample's elements are examples of one row (or, for a tuple such as the
            // `[1, [row]]` of the link routes, of each position).
            let tuple = want.len() > 1
                && want
                    .iter()
                    .map(served)
                    .collect::<Vec<_>>()
                    .windows(2)
                    .any(|w| w[0] != w[1]);
            for (i, av) in got.iter().enumerate() {
                let sv = if tuple { want.get(i) } else { want.first() };
                if let Some(sv) = sv {
                    let rule_path = if tuple {
                        format!("{rule}[{i}]")
                    } else {
                        format!("{rule}[]")
                    };
                    compare_at(key, &format!("{shown}[{i}]"), &rule_path, sv, av, out);
                }
            }
            if tuple && got.len() != want.len() {
                out.push(format!(
                    "{key} {shown}: documented {} positions, served {}",
                    want.len(),
                    got.len()
                ));
            }
        }
        _ => leaf(key, shown, sample, actual, out),
    }
}

fn compare_at(key: &str, shown: &str, rule: &str, sv: &Value, av: &Value, out: &mut Vec<String>) {
    match decision(key, rule) {
        Some(Decision::Types(id, types)) => {
            if !accepts(types, av) {
                out.push(format!(
                    "{key} {shown}: decided {types:?} ({id}), served {av}"
                ));
            }
        }
        Some(Decision::EachOf(id)) => match av.as_array() {
            Some(rows) => {
                for (i, row) in rows.iter().enumerate() {
                    compare_inner(key, &format!("{shown}[{i}]"), rule, sv, row, out);
                }
            }
            None => out.push(format!("{key} {shown}: decided a list ({id}), served {av}")),
        },
        _ => compare_inner(key, shown, rule, sv, av, out),
    }
}

fn leaf(key: &str, path: &str, sample: &Value, actual: &Value, out: &mut Vec<String>) {
    let Some(types) = documented(sample) else {
        return;
    };
    if !accepts(&types, actual) {
        let what = if actual.is_null() {
            "null".to_string()
        } else {
            served(actual).to_string()
        };
        out.push(format!(
            "{key} {path}: documented {} ({sample}), served {what}: {actual}",
            types
                .iter()
                .map(Ty::to_string)
                .collect::<Vec<_>>()
                .join("|")
        ));
    }
}

fn join(path: &str, field: &str) -> String {
    if path.is_empty() {
        field.to_string()
    } else {
        format!("{path}.{field}")
    }
}
