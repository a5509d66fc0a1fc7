//! The kinds of field both faces share, named by a `format` on the field
//! (`#[schema(format = "line", max_length = 100)]`, `#[param(format = "amount")]`) and spelled
//! out here as JSON Schema, so each says what the server's own check accepts and a client, or the
//! fuzzer, can tell a good value from a bad one before sending it:
//!
//! | format | the server accepts |
//! |---|---|
//! | `line` | one line of text: no control character, no character that reorders or hides text (`payplane_core::text`); with `minLength` ≥ 1, at least one visible character |
//! | `multiline` | the same, but tab, line feed and carriage return are allowed |
//! | `url` | an `http`/`https` URL with a host, no user or password, at most 2 048 bytes |
//! | `email` / `email-or-empty` | one `@` with text before it and a dot inside the part after it, no space |
//! | `ip-or-cidr` | an IPv4 or IPv6 address, or a CIDR range |
//! | `eth-address` | `0x` and 40 hex digits |
//! | `signature` | `0x` and 130 hex digits (65 bytes) |
//! | `amount` | a positive decimal with at most two places, as a JSON number or its text |
//! | `integer-text` | a whole number, as a JSON number or its text |
//! | `network-id` | 1 (main network) or 3 (test network) |
//!
//! The custom `format` is replaced by its spelling, so validators need to know none of them.
use serde_json::{Map, Value, json};

/// Characters no text takes: controls (Cc) and the characters that reorder or hide text
/// (bidirectional marks, overrides and isolates; line and paragraph separators).
const HIDDEN: &str = r"\u061C\u200E\u200F\u202A-\u202E\u2066-\u2069\u2028\u2029";
const CONTROLS: &str = r"\u0000-\u001F\u007F-\u009F";
const CONTROLS_BUT_LINE_BREAKS: &str = r"\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F";

/// Replaces the custom `format` of every schema under `v` (recursively) by its spelling.
pub fn expand(v: &mut Value) {
    match v {
        Value::Object(o) => {
            if let Some(Value::String(format)) = o.get("format").cloned()
                && spell(&format, o)
            {
                o.remove("format");
            }
            for child in o.values_mut() {
                expand(child);
            }
        }
        Value::Array(a) => a.iter_mut().for_each(expand),
        _ => {}
    }
}

/// Spells out `format` into `schema`; false for a format of JSON Schema's own.
fn spell(format: &str, schema: &mut Map<String, Value>) -> bool {
    match format {
        "line" => text(schema, CONTROLS),
        "multiline" => text(schema, CONTROLS_BUT_LINE_BREAKS),
        "url" => {
            schema.insert("maxLength".into(), json!(2048));
            schema.insert(
                "pattern".into(),
                json!(r"^https?://[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*(:[1-9][0-9]{0,3})?(/[A-Za-z0-9._~%!$&'()*+,;=:@-]*)*$"),
            );
        }
        "email" => {
            schema.insert("maxLength".into(), json!(254));
            schema.insert("pattern".into(), json!(format!("^{}$", email())));
        }
        "email-or-empty" => {
            schema.insert("maxLength".into(), json!(254));
            schema.insert("pattern".into(), json!(format!("^({})?$", email())));
        }
        "ip-or-cidr" => {
            let ipv4 = r"((25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])\.){3}(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])";
            schema.insert(
                "anyOf".into(),
                json!([
                    {"format": "ipv4"},
                    {"format": "ipv6"},
                    {"pattern": format!("^{ipv4}/([0-9]|[12][0-9]|3[0-2])$")},
                ]),
            );
        }
        "eth-address" => {
            schema.insert("pattern".into(), json!("^0x[0-9a-f]{40}$"));
        }
        "signature" => {
            schema.insert("pattern".into(), json!("^0x[0-9a-fA-F]{130}$"));
        }
        "amount" => {
            set_types(schema, &["number", "string"]);
            schema.insert("exclusiveMinimum".into(), json!(0));
            schema.insert("maximum".into(), json!(900_000_000));
            schema.insert("multipleOf".into(), json!(0.01));
            schema.insert("pattern".into(), json!(r"^[0-9]{1,9}(\.[0-9]{1,2})?$"));
        }
        "integer-text" => {
            set_types(schema, &["integer", "string"]);
            schema.insert("pattern".into(), json!("^-?[0-9]{1,18}$"));
        }
        "network-id" => {
            set_types(schema, &["integer"]);
            schema.insert("enum".into(), json!([1, 3]));
        }
        _ => return false,
    }
    true
}

/// Text drawn from outside `excluded`; with `minLength` ≥ 1, holding a visible character too
/// (the server trims, then refuses empty text).
fn text(schema: &mut Map<String, Value>, excluded: &str) {
    let class = format!("{excluded}{HIDDEN}");
    let required = schema
        .get("minLength")
        .and_then(Value::as_u64)
        .is_some_and(|n| n >= 1);
    let pattern = if required {
        format!(r"^[^{class}]*[^\s{class}][^{class}]*$")
    } else {
        format!("^[^{class}]*$")
    };
    schema.insert("pattern".into(), json!(pattern));
}

/// What the server takes for an e-mail address (`is_email`): one `@`, something before it, a
/// dot inside the part after it, no space, and as any text no control character.
fn email() -> String {
    let c = format!("@ {CONTROLS}");
    format!(r"[^{c}]+@[^.{c}][^{c}]*\.[^{c}]*[^.{c}]")
}

/// Sets the schema's types to `types`, keeping `null` if it was allowed.
fn set_types(schema: &mut Map<String, Value>, types: &[&str]) {
    let nullable = match schema.get("type") {
        Some(Value::Array(t)) => t.iter().any(|t| t == "null"),
        _ => false,
    };
    let mut t: Vec<Value> = types.iter().map(|t| json!(t)).collect();
    if nullable {
        t.push(json!("null"));
    }
    schema.insert(
        "type".into(),
        if t.len() == 1 {
            t.remove(0)
        } else {
            Value::Array(t)
        },
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_custom_format_is_spelled_out_and_a_standard_one_kept() {
        let mut v = json!({"properties": {
            "name": {"type": ["string", "null"], "format": "line", "maxLength": 100},
            "company": {"type": "string", "format": "line", "minLength": 1, "maxLength": 200},
            "amount": {"type": ["number", "null"], "format": "amount"},
            "when": {"type": "string", "format": "date-time"},
        }});
        expand(&mut v);
        let p = &v["properties"];
        assert_eq!(p["name"]["format"], Value::Null);
        assert_eq!(p["name"]["maxLength"], 100);
        let name = p["name"]["pattern"].as_str().unwrap();
        assert!(name.starts_with(r"^[^\u0000-\u001F") && name.ends_with("]*$"));
        assert!(p["company"]["pattern"].as_str().unwrap().contains(r"[^\s"));
        assert_eq!(p["amount"]["type"], json!(["number", "string", "null"]));
        assert_eq!(p["when"]["format"], "date-time");
    }
}
