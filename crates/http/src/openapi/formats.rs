//! The kinds of field both faces share, named by a `format` on the field
//! (`#[schema(format = "line", max_length = 100)]`, `#[param(format = "amount")]`) and spelled
//! out here as JSON Schema, so each says what the server's own check accepts and a client, or the
//! fuzzer, can tell a good value from a bad one before sending it:
//!
//! | format | the server accepts |
//! |---|---|
//! | `line` | one line of text: no control character, no character that reorders or hides text (`payplane_core::text`); with `minLength` ≥ 1, at least one visible character |
//! | `line-or-number` | a `line`, or a number (kept as its text) |
//! | `multiline` | the same, but tab, line feed and carriage return are allowed |
//! | `url` | an `http`/`https` URL with a host, no user or password, at most 2 048 bytes |
//! | `email` / `email-or-empty` | an address in RFC 5321's dot-atom form, ASCII, a local part of at most 64 characters, a domain whose last label holds a letter |
//! | `header-map` | HTTP headers to send: an object of at most 10 header names and values (strings or numbers; not `webhook-*`, `content-type`, `host` and the other headers the server sets), or one `"Name: value"` string; 4 096 bytes in all |
//! | `ip-or-cidr` | an IPv4 or IPv6 address, or a CIDR range |
//! | `eth-address` | `0x` and 40 hex digits, not the zero address |
//! | `signature` | `0x` and 130 hex digits (65 bytes) |
//! | `amount` | a positive decimal with at most two places, at most 10^13 (the parser's bound; an operation may have a lower one per currency), as a JSON number or its text |
//! | `integer-text` | a whole number, as a JSON number or its text |
//! | `network-id` | 1 (main network) or 3 (test network) |
//! | `environment` | `Ropsten` or `Mainnet` (any case), or the network id 3 or 1, as a number or text |
//! | `switch` | `true` or `false`, as a boolean or text (any case) |
//! | `order-type` | `ASC` or `DESC` (any case) |
//! | `any-case:a\|b` | one of the words, in any case |
//! | `integer-text-enum:1,3` | one of the integers, as a JSON number or its text |
//! | `url-or-empty` | a `url`, or nothing |
//! | `digit-list:2-8` | a list of one-digit numbers in the range: `[2,3]`, `2,3` or `2` |
//! | `fiat` | `USD`, `EUR`, `JPY` or `GBP` (any case; the document's `GPB` is read as GBP) |
//! | `fiat-or-empty` | a `fiat` currency, or nothing |
//! | `settlement-currency` | a fiat settlement currency, `EUR` or `USD` (any case) |
//! | `word-list:a\|b` | a list of the words (any case): `[a,b]`, `a,b` or `a` |
//! | `blank-or:F` | a query parameter that `ListParams` reads as absent when blank, otherwise format `F` (`blank-or:` alone: otherwise the parameter's own type) |
//! | `image-base64` | a PNG or JPEG image in base64 (at most 512 KiB decoded), `NO_IMAGE_CHANGE` or nothing |
//! | `country-id`, `industry-id`, `business-type-id`, `category-id` | an id of the reference lists (`GET /api/v2/api-key-auth/business/business-details/{businessID}`, `GET /api/v2/api-key-auth/product-categories/{businessID}`) |
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
        "line-or-number" => {
            text(schema, CONTROLS);
            set_types(schema, &["string", "number"]);
        }
        "multiline" => text(schema, CONTROLS_BUT_LINE_BREAKS),
        "url" => {
            schema.insert("maxLength".into(), json!(2048));
            schema.insert("pattern".into(), json!(format!("^{URL}$")));
        }
        "url-or-empty" => {
            schema.insert("maxLength".into(), json!(2048));
            schema.insert("pattern".into(), json!(format!("^({URL})?$")));
        }
        "fiat" => {
            let words = ["usd", "eur", "jpy", "gbp", "gpb"].map(any_case).join("|");
            schema.insert("pattern".into(), json!(format!(r"^\s*({words})\s*$")));
        }
        "fiat-or-empty" => {
            let words = ["usd", "eur", "jpy", "gbp", "gpb"].map(any_case).join("|");
            schema.insert("pattern".into(), json!(format!(r"^\s*({words})?\s*$")));
        }
        "settlement-currency" => {
            let words = payplane_app::config::SETTLEMENT_CURRENCIES
                .map(|c| any_case(&c.to_ascii_lowercase()))
                .join("|");
            schema.insert("pattern".into(), json!(format!(r"^\s*({words})\s*$")));
        }
        "image-base64" => {
            // A base64 tail with its unused bits zero (the decoder refuses others).
            let b64 = "[A-Za-z0-9+/]";
            let tail = format!("({b64}{{4}})*({b64}[AQgw](==)?|{b64}{{2}}[AEIMQUYcgkosw048]=?)?");
            // The signatures: PNG `\x89PNG\r\n\x1a\n` and JPEG `\xff\xd8\xff`.
            schema.insert(
                "pattern".into(),
                json!(format!(
                    "^(NO_IMAGE_CHANGE|iVBORw0KGgo{b64}{tail}|/9j/{tail})?$"
                )),
            );
            schema.insert("maxLength".into(), json!(699_064));
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
        "header-map" => {
            let token = "[A-Za-z0-9!#$%&'*+.^_`|~-]+";
            let value = r"[^\u0000-\u0008\u000A-\u001F\u007F]*";
            schema.remove("type");
            schema.insert(
                "anyOf".into(),
                json!([
                    {"type": "object", "maxProperties": 10,
                     "propertyNames": {"pattern": format!("^{token}$"), "not": {"enum": [
                        "webhook-id", "webhook-timestamp", "webhook-signature", "content-type",
                        "content-length", "host", "transfer-encoding", "connection"]}},
                     "additionalProperties": {"anyOf": [
                        {"type": "string", "pattern": format!("^{value}$")},
                        {"type": "number"}]}},
                    {"type": "string", "pattern": format!("^({token}:)?[^:{}]*$", &value[2..value.len() - 2])},
                    {"type": "null"},
                ]),
            );
        }
        "eth-address" => {
            schema.insert("pattern".into(), json!("^0x[0-9a-f]{40}$"));
            schema.insert(
                "not".into(),
                json!({"const": format!("0x{}", "0".repeat(40))}),
            );
        }
        "signature" => {
            schema.insert("pattern".into(), json!("^0x[0-9a-fA-F]{130}$"));
        }
        "amount" => {
            set_types(schema, &["number", "string"]);
            schema.insert("exclusiveMinimum".into(), json!(0));
            // The parser's bound, the same for every currency (all have two decimals). An
            // operation may have a lower one, `[limits.max_amount]` of its account's currency,
            // which the schema cannot state: such operations say so in their description.
            schema.insert(
                "maximum".into(),
                json!(payplane_core::money::MAX_MINOR / 100),
            );
            schema.insert("multipleOf".into(), json!(0.01));
            // As text: more than zero (leading zeros and trailing zero decimals are fine), and at
            // most 10^13.
            schema.insert(
                "pattern".into(),
                json!(r"^\s*(0*[1-9][0-9]{0,12}(\.[0-9]{1,2}0*)?|0*10000000000000(\.0*)?|0+\.([1-9][0-9]?|0[1-9])0*)\s*$"),
            );
        }
        "integer-text" => {
            set_types(schema, &["integer", "string"]);
            schema.insert("minimum".into(), json!(i64::MIN));
            schema.insert("maximum".into(), json!(i64::MAX));
            schema.insert("pattern".into(), json!("^-?[0-9]{1,18}$"));
        }
        "network-id" => {
            set_types(schema, &["integer"]);
            schema.insert("enum".into(), json!([1, 3]));
        }
        "environment" => {
            let nullable = is_nullable(schema);
            schema.remove("type");
            let mut any = vec![
                json!({"type": "string", "pattern": format!(r"^\s*({}|{}|1|3)\s*$", any_case("ropsten"), any_case("mainnet"))}),
                json!({"type": "integer", "enum": [1, 3]}),
            ];
            if nullable {
                any.push(json!({"type": "null"}));
            }
            schema.insert("anyOf".into(), Value::Array(any));
        }
        "switch" => {
            set_types(schema, &["boolean", "string"]);
            schema.insert(
                "pattern".into(),
                json!(format!("^({}|{})$", any_case("true"), any_case("false"))),
            );
        }
        "order-type" => {
            schema.insert(
                "pattern".into(),
                json!(format!("^({}|{})$", any_case("asc"), any_case("desc"))),
            );
        }
        "country-id" => {
            let ids: Vec<Value> = reference()
                .countries
                .iter()
                .map(|c| json!(c.country_id))
                .collect();
            schema.insert("enum".into(), with_null(schema, ids));
        }
        "industry-id" => {
            let ids = reference()
                .industries
                .iter()
                .map(|i| i.id)
                .collect::<Vec<_>>();
            integer_enum(schema, &ids);
        }
        "business-type-id" => {
            let ids = reference()
                .business_types
                .iter()
                .map(|i| i.id)
                .collect::<Vec<_>>();
            integer_enum(schema, &ids);
        }
        "category-id" => {
            let ids = reference()
                .categories
                .iter()
                .map(|i| i.id)
                .collect::<Vec<_>>();
            integer_enum(schema, &ids);
        }
        _ => {
            if let Some(words) = format.strip_prefix("any-case:") {
                let words: Vec<String> = words.split('|').map(any_case).collect();
                schema.insert("pattern".into(), json!(format!("^({})$", words.join("|"))));
            } else if let Some(inner) = format.strip_prefix("blank-or:") {
                if !inner.is_empty() && !spell(inner, schema) {
                    return false;
                }
                blank_or(schema);
            } else if let Some(words) = format.strip_prefix("word-list:") {
                let w = format!(
                    "({})",
                    words.split('|').map(any_case).collect::<Vec<_>>().join("|")
                );
                schema.insert("pattern".into(), json!(format!(r"^\[?({w}(,{w})*)?\]?$")));
            } else if let Some(range) = format.strip_prefix("digit-list:") {
                let d = format!("[{range}]");
                schema.insert("pattern".into(), json!(format!(r"^\[?({d}(,{d})*)?\]?$")));
            } else if let Some(ids) = format.strip_prefix("integer-text-enum:") {
                let ids: Vec<i64> = ids.split(',').filter_map(|i| i.parse().ok()).collect();
                integer_enum(schema, &ids);
            } else {
                return false;
            }
        }
    }
    true
}

/// An `http` or `https` URL with a host (a domain name whose last label starts with a letter: a
/// numeric one would make it an IPv4 address), an optional port, then anything but a control
/// character; no user or password; spaces around are ignored.
const URL: &str = r" *[Hh][Tt][Tt][Pp]([Ss])?://([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)*[A-Za-z]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(:[1-9][0-9]{0,3})?([/?#][^\u0000-\u001F\u007F-\u009F]*)?";

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

/// What the server takes for an e-mail address (`is_email`): RFC 5321's dot-atom in ASCII, and
/// a domain of two labels or more, the last one holding a letter.
fn email() -> String {
    // Two dot-separated runs of at most 32 characters: a local part within the 64 allowed.
    let atom = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]{1,32}";
    let label = "[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?";
    let last = "[A-Za-z]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?";
    format!(r"{atom}(\.{atom})?@({label}\.)+{last}")
}

fn reference() -> &'static payplane_app::pumapay::reference::Reference {
    payplane_app::pumapay::reference::get()
}

/// `word` in any case, as a pattern (`[Tt][Rr][Uu][Ee]`): JSON Schema patterns have no flags.
/// A query parameter that `ListParams` trims and reads as absent when blank (the seed document's
/// samples send `page=&itemsPerPage=`): a pattern is widened to take blank text; any other
/// schema (an integer, an enum) becomes "that, or blank text".
fn blank_or(schema: &mut Map<String, Value>) {
    schema.remove("format");
    if let Some(p) = schema.get("pattern").and_then(Value::as_str) {
        let body = p.strip_prefix('^').unwrap_or(p);
        let body = body.strip_suffix('$').unwrap_or(body);
        let blank = format!(r"^\s*({body})?\s*$");
        schema.insert("pattern".into(), json!(blank));
        return;
    }
    let description = schema.remove("description");
    if schema.get("type") == Some(&json!("integer")) {
        // The `format` attribute replaced the parameter's `int64`: its bounds say it again.
        schema.insert("format".into(), json!("int64"));
        schema.entry("minimum").or_insert(json!(i64::MIN));
        schema.entry("maximum").or_insert(json!(i64::MAX));
    }
    let value = Value::Object(std::mem::take(schema));
    schema.insert(
        "anyOf".into(),
        json!([value, {"type": "string", "pattern": r"^\s*$"}]),
    );
    if let Some(d) = description {
        schema.insert("description".into(), d);
    }
}

fn any_case(word: &str) -> String {
    word.chars()
        .map(|c| format!("[{}{}]", c.to_ascii_uppercase(), c.to_ascii_lowercase()))
        .collect()
}

fn is_nullable(schema: &Map<String, Value>) -> bool {
    match schema.get("type") {
        Some(Value::Array(t)) => t.iter().any(|t| t == "null"),
        _ => false,
    }
}

/// `values`, and `null` if the schema allows it.
fn with_null(schema: &Map<String, Value>, mut values: Vec<Value>) -> Value {
    if is_nullable(schema) {
        values.push(Value::Null);
    }
    Value::Array(values)
}

/// One of `ids`, as a JSON number or its text (the pull-payment API reads both).
fn integer_enum(schema: &mut Map<String, Value>, ids: &[i64]) {
    set_types(schema, &["integer", "string"]);
    let mut values: Vec<Value> = ids.iter().map(|i| json!(i)).collect();
    values.extend(ids.iter().map(|i| json!(i.to_string())));
    let values = with_null(schema, values);
    schema.insert("enum".into(), values);
}

/// Sets the schema's types to `types`, keeping `null` if it was allowed.
fn set_types(schema: &mut Map<String, Value>, types: &[&str]) {
    let nullable = is_nullable(schema);
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
