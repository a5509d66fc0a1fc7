//! Free-text limits as each face's validation errors. The rules live in `payplane_core::text`;
//! this only names the codes: the accounts face says `error.{field}.too.long`, the billing face
//! `error.field.too.long` (its convention), both with the field and a message naming it.
use crate::{AppError, Detail};
use payplane_core::text::{self, TextError, TextRule};
use serde_json::Value;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Face {
    Pazemo,
    Pumapay,
}

fn detail(face: Face, field: &str, e: TextError) -> Detail {
    let what = match e {
        TextError::TooLong { .. } => "too.long",
        TextError::InvalidCharacters => "invalid.characters",
    };
    let code = match face {
        Face::Pazemo => format!("error.{field}.{what}"),
        Face::Pumapay => format!("error.field.{what}"),
    };
    let arguments = match e {
        TextError::TooLong { max, .. } => vec![max.to_string()],
        TextError::InvalidCharacters => vec![],
    };
    Detail {
        field: Some(field.into()),
        code,
        message: format!("{field} {e}"),
        arguments,
    }
}

/// Checks one text field against `rule`.
pub fn check(face: Face, field: &str, value: &str, rule: TextRule) -> Result<(), Detail> {
    text::check(value, rule).map_err(|e| detail(face, field, e))
}

/// Checks an optional field and collects the problem into `errors` (billing-face style).
pub fn collect(
    face: Face,
    field: &str,
    value: Option<&str>,
    rule: TextRule,
    errors: &mut Vec<Detail>,
) {
    if let Some(Err(d)) = value.map(|v| check(face, field, v, rule)) {
        errors.push(d);
    }
}

/// Checks the size of data made of several parts (`len` bytes in all) against `max_bytes`.
pub fn size(face: Face, field: &str, len: usize, max_bytes: usize) -> Result<(), Detail> {
    text::check_serialized_len(len, max_bytes).map_err(|e| detail(face, field, e))
}

/// One field of the accounts face, as its 400.
pub fn pazemo(field: &str, value: &str, rule: TextRule) -> Result<(), AppError> {
    check(Face::Pazemo, field, value, rule).map_err(|d| AppError::fields(vec![d]))
}

/// An optional accounts-face field, trimmed (absent is empty) and checked against `rule`.
pub fn pazemo_trimmed(field: &str, v: &Option<String>, rule: TextRule) -> Result<String, AppError> {
    let s = v.as_deref().map(str::trim).unwrap_or("").to_string();
    pazemo(field, &s, rule)?;
    Ok(s)
}

/// Client-supplied structured data: at most `REFERENCE_DATA_MAX_BYTES` of compact JSON, and no
/// hidden characters in any string in it (keys included).
pub fn reference_data(face: Face, field: &str, v: &Value) -> Result<(), Detail> {
    let len = serde_json::to_vec(v).map(|b| b.len()).unwrap_or(usize::MAX);
    text::check_serialized_len(len, text::REFERENCE_DATA_MAX_BYTES)
        .map_err(|e| detail(face, field, e))?;
    let rule = TextRule::Multiline {
        max_chars: text::REFERENCE_DATA_MAX_BYTES,
    };
    let mut stack = vec![v];
    while let Some(v) = stack.pop() {
        match v {
            Value::String(s) => text::check(s, rule).map_err(|e| detail(face, field, e))?,
            Value::Array(a) => stack.extend(a),
            Value::Object(o) => {
                for (k, v) in o {
                    text::check(k, rule).map_err(|e| detail(face, field, e))?;
                    stack.push(v);
                }
            }
            _ => {}
        }
    }
    Ok(())
}
