//! Reading the document's loosely typed postback fields: `environment` and `authorization`.
use crate::Detail;
use crate::error::detail;
use serde_json::Value;

/// `"Ropsten"` → 3, `"Mainnet"` → 1 (any case); the code samples' 3 / 1 (number or string) too.
pub fn environment(field: &str, v: Option<&Value>, errors: &mut Vec<Detail>) -> Option<i64> {
    let s = match v {
        None | Some(Value::Null) => {
            errors.push(detail(
                field,
                "error.field.required",
                &format!("{field} is required"),
            ));
            return None;
        }
        Some(Value::Number(n)) => n.to_string(),
        Some(Value::String(s)) => s.trim().to_ascii_lowercase(),
        Some(_) => String::new(),
    };
    match s.as_str() {
        "ropsten" | "3" => Some(3),
        "mainnet" | "1" => Some(1),
        _ => {
            errors.push(detail(
                field,
                "error.environment.invalid",
                &format!("{field} must be Ropsten or Mainnet"),
            ));
            None
        }
    }
}

pub fn environment_name(network_id: i64) -> &'static str {
    if network_id == payplane_core::kinds::Network::Main.id() {
        "Mainnet"
    } else {
        "Ropsten"
    }
}

/// Headers the engine sets itself; a postback may not override them.
const RESERVED: &[&str] = &[
    "webhook-id",
    "webhook-timestamp",
    "webhook-signature",
    "content-type",
    "content-length",
    "host",
    "transfer-encoding",
    "connection",
];

/// The credential presented to the merchant with every delivery, as HTTP headers:
/// an object `{"pma-api-key": "…"}` (each pair a header), a string `"Name: value"`, or a bare
/// string (sent as `pma-api-key`, like the PHP sample's flat field `flat`).
pub fn authorization(
    v: Option<&Value>,
    flat: Option<&str>,
    errors: &mut Vec<Detail>,
) -> Vec<(String, String)> {
    let mut pairs: Vec<(String, String)> = Vec::new();
    match v {
        None | Some(Value::Null) => {}
        Some(Value::Object(o)) => {
            for (k, v) in o {
                match v {
                    Value::String(s) => pairs.push((k.clone(), s.clone())),
                    Value::Number(n) => pairs.push((k.clone(), n.to_string())),
                    _ => errors.push(detail(
                        "authorization",
                        "error.authorization.invalid",
                        "authorization values must be strings",
                    )),
                }
            }
        }
        Some(Value::String(s)) => pairs.push(split_pair(s)),
        Some(_) => errors.push(detail(
            "authorization",
            "error.authorization.invalid",
            "authorization must be an object of header names and values or a string",
        )),
    }
    if let Some(f) = flat.filter(|f| !f.trim().is_empty() && pairs.is_empty()) {
        pairs.push(("pma-api-key".into(), f.trim().to_string()));
    }
    for (k, v) in &pairs {
        let valid_name = !k.is_empty()
            && k.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b));
        let valid_value = v.bytes().all(|b| b == b'\t' || (b >= 0x20 && b != 0x7f));
        if !valid_name || !valid_value {
            errors.push(detail(
                "authorization",
                "error.authorization.invalid",
                "authorization must hold valid HTTP header names and values",
            ));
        } else if RESERVED.contains(&k.to_ascii_lowercase().as_str()) {
            errors.push(detail(
                "authorization",
                "error.authorization.reserved",
                &format!("authorization cannot set the {k} header"),
            ));
        }
    }
    // Sent as headers with every delivery and stored with the postback: bounded in all.
    let bytes = pairs.iter().map(|(k, v)| k.len() + v.len()).sum();
    if let Err(d) = crate::limits::size(
        crate::limits::Face::Pumapay,
        "authorization",
        bytes,
        payplane_core::text::REFERENCE_DATA_MAX_BYTES,
    ) {
        errors.push(d);
    }
    if pairs.len() > 10 {
        errors.push(detail(
            "authorization",
            "error.authorization.invalid",
            "authorization holds at most 10 headers",
        ));
    }
    pairs
}

fn split_pair(s: &str) -> (String, String) {
    let s = s.trim().trim_start_matches('{').trim_end_matches('}');
    match s.split_once(':') {
        Some((k, v)) if !k.trim().is_empty() && !k.trim().contains(' ') => {
            (k.trim().to_string(), v.trim().to_string())
        }
        _ => ("pma-api-key".into(), s.trim().to_string()),
    }
}

/// The stored pairs as the document's `authorization` string: a JSON object, or null if none.
pub fn authorization_text(pairs: &[(String, String)]) -> Option<String> {
    if pairs.is_empty() {
        return None;
    }
    let o: serde_json::Map<String, Value> = pairs
        .iter()
        .map(|(k, v)| (k.clone(), Value::String(v.clone())))
        .collect();
    Some(Value::Object(o).to_string())
}

/// A postback-control switch: a boolean or `"true"`/`"false"`; absent keeps the current value.
pub fn switch(field: &str, v: Option<&Value>, current: bool, errors: &mut Vec<Detail>) -> bool {
    match v {
        None | Some(Value::Null) => current,
        Some(Value::Bool(b)) => *b,
        Some(Value::String(s)) if s.eq_ignore_ascii_case("true") => true,
        Some(Value::String(s)) if s.eq_ignore_ascii_case("false") => false,
        Some(_) => {
            errors.push(detail(
                field,
                "error.field.not.boolean",
                &format!("{field} must be true or false"),
            ));
            current
        }
    }
}
