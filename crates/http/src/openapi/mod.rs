//! The OpenAPI document. Routes declare what is theirs (success bodies, parameters, the statuses
//! only they answer, their security scheme); `complete` then adds to every operation what its
//! face, credential, parameters and body imply anyway, each in the face's error shape: 401 and
//! 403 for a credential, 400 for input, 404 for an id in the path, 408 and 413 for a body, 409 and
//! 400 for an `Idempotency-Key`, 500 for everyone. One place, so a new route is documented the
//! same way as the others without anyone remembering to.
pub mod formats;

use crate::error::Face;
use serde_json::{Map, Value, json};

/// Operation methods of a path item, in document order.
const METHODS: [&str; 5] = ["get", "post", "put", "patch", "delete"];

/// Completes the document `utoipa` built from the routes (see the module comment).
/// The result is JSON rather than utoipa's types, which cannot hold all of JSON Schema 2020-12
/// (`"type": ["string", "null"]`, `enum` of a boolean).
pub fn complete(doc: utoipa::openapi::OpenApi) -> Value {
    let mut v = serde_json::to_value(&doc).expect("the OpenAPI document is JSON");
    formats::expand(&mut v);
    drop_defaults_of_required(&mut v);
    security_schemes(&mut v);
    error_schemas(&mut v);
    let schemas = v["components"]["schemas"].clone();
    let paths = v["paths"].as_object_mut().expect("paths");
    for (path, item) in paths.iter_mut() {
        for method in METHODS {
            if let Some(op) = item.get_mut(method) {
                op["operationId"] = json!(operation_id(method, path));
                implied_responses(Face::of(path), method, op, &schemas);
            }
        }
    }
    v
}

/// `#[serde(default)]` makes utoipa show each field's `Default` (`""`), which a required field
/// never takes (the server refuses it) and which may break the field's own pattern.
fn drop_defaults_of_required(v: &mut Value) {
    match v {
        Value::Object(o) => {
            let required: Vec<String> = o
                .get("required")
                .and_then(Value::as_array)
                .map(|r| {
                    r.iter()
                        .filter_map(|n| n.as_str().map(str::to_string))
                        .collect()
                })
                .unwrap_or_default();
            if let Some(Value::Object(props)) = o.get_mut("properties") {
                for name in &required {
                    if let Some(Value::Object(p)) = props.get_mut(name) {
                        p.remove("default");
                    }
                }
            }
            o.values_mut().for_each(drop_defaults_of_required);
        }
        Value::Array(a) => a.iter_mut().for_each(drop_defaults_of_required),
        _ => {}
    }
}

/// The three credentials: a bearer token (accounts API and operators), a `pma-api-key` (a
/// business) and an `x-access-token` (a console session).
fn security_schemes(v: &mut Value) {
    let components = v["components"].as_object_mut().expect("components");
    components.insert(
        "securitySchemes".into(),
        json!({
            "bearer": {"type": "http", "scheme": "bearer",
                "description": "An API token (`payplane admin token create`, `POST /users/me/tokens`); an operator's for `/admin/…` and `/api/v2/admin/…`"},
            "pma-api-key": {"type": "apiKey", "in": "header", "name": "pma-api-key",
                "description": "A business's API key (`GET /api/v2/console-auth/api-keys/generate/{businessID}`)"},
            "x-access-token": {"type": "apiKey", "in": "header", "name": "x-access-token",
                "description": "A console session (`POST /api/v2/console-auth/login`)"},
        }),
    );
}

/// The faces' error bodies, as `crate::error::render` writes them.
fn error_schemas(v: &mut Value) {
    let schemas = v["components"]["schemas"]
        .as_object_mut()
        .expect("components.schemas");
    let string = json!({"type": "string"});
    schemas.insert(
        "Errors".into(),
        json!({
            "description": "Accounts API: what was wrong with the request, one entry per problem.",
            "type": "object", "required": ["errors"],
            "properties": {"errors": {"type": "array", "minItems": 1, "items": {
                "type": "object", "required": ["code", "message", "arguments"],
                "properties": {
                    "code": {"type": "string", "description": "Stable machine code, e.g. `error.account.not.found`"},
                    "message": string,
                    "arguments": {"type": "array", "items": string},
                }}}},
        }),
    );
    schemas.insert(
        "AuthError".into(),
        json!({
            "description": "Accounts API: the credential is missing, unknown, revoked, expired or not allowed from this address.",
            "type": "object", "required": ["error", "error_description"],
            "properties": {"error": {"type": "string", "enum": ["unauthorized"]}, "error_description": string},
        }),
    );
    schemas.insert(
        "SystemError".into(),
        json!({
            "description": "Accounts API: the server failed (never a stack trace; `exception` names the kind).",
            "type": "object", "required": ["timestamp", "status", "error", "exception", "message", "path"],
            "properties": {"timestamp": string, "status": {"type": "integer"}, "error": string,
                "exception": string, "message": string, "path": string},
        }),
    );
    schemas.insert(
        "ErrorEnvelope".into(),
        json!({
            "description": "Pull-payment API: the envelope with `success: false`, one entry of `errors` per problem.",
            "type": "object", "required": ["success", "status", "message", "errors"],
            "properties": {
                "success": {"type": "boolean", "enum": [false]},
                "status": {"type": "integer"},
                "message": string,
                "errors": {"type": "array", "items": {
                    "type": "object", "required": ["field", "code", "message"],
                    "properties": {
                        "field": {"type": ["string", "null"], "description": "The body field, query or path parameter concerned, if one"},
                        "code": {"type": "string", "description": "Stable machine code, e.g. `error.business.forbidden`"},
                        "message": string,
                    }}},
            },
        }),
    );
}

/// utoipa names an operation after its handler, and handlers of different resource files share
/// names (`create`, `list`): OpenAPI requires unique operation ids, so every id becomes
/// method + path (`post_api_v2_api_key_auth_products_businessID`).
fn operation_id(method: &str, path: &str) -> String {
    let slug = path
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join("_");
    format!("{method}_{slug}")
}

/// Adds the statuses the operation answers whatever its handler does, and gives every error
/// response without a body its face's error body.
fn implied_responses(face: Face, method: &str, op: &mut Value, schemas: &Value) {
    let secured = op["security"].as_array().is_some_and(|s| {
        s.iter()
            .any(|r| r.as_object().is_some_and(|r| !r.is_empty()))
    });
    let params = op["parameters"].as_array().cloned().unwrap_or_default();
    let in_path = params.iter().any(|p| p["in"] == "path");
    let names_an_id = in_path || body_names_an_id(op, schemas);
    let has_input = !params.is_empty() || op.get("requestBody").is_some();
    let has_body = op.get("requestBody").is_some();
    let mutating = method != "get";

    let mut implied: Vec<(u16, &str)> = vec![];
    if has_input {
        implied.push((400, "Invalid input: a parameter or the body is malformed or breaks a rule of this operation"));
    }
    if secured {
        implied.push((401, "No credential, or one that is unknown, revoked, expired or not allowed from this address"));
        implied.push((403, "The credential may not do this (read-only token, not an operator, another tenant's resource, a disabled business)"));
    }
    if names_an_id {
        implied.push((404, "Nothing with this id, or not yours"));
    }
    if has_body {
        implied.push((
            408,
            "The body did not arrive within `http_body_timeout_secs` of the header",
        ));
        implied.push((413, "The body is larger than `max_body_bytes`"));
    }
    if secured && mutating {
        implied.push((400, "Invalid `Idempotency-Key` (1 to 255 characters)"));
        implied.push((409, "This `Idempotency-Key` was used with another request, is still running, or answered a secret that is not kept"));
        idempotency_key_parameter(op);
    }
    implied.push((500, "The server failed; nothing was changed"));

    let responses = op["responses"]
        .as_object_mut()
        .expect("every operation has responses");
    for (status, description) in implied {
        responses
            .entry(status.to_string())
            .or_insert_with(|| json!({"description": description}));
    }
    for (status, response) in responses.iter_mut() {
        let Ok(status) = status.parse::<u16>() else {
            continue;
        };
        if status >= 400 && response.get("content").is_none() {
            error_content(face, status, response);
        }
    }
}

/// Whether the request body has a field naming a resource (`id`, `businessID`, `userId`, …),
/// which, like an id in the path, may name nothing or someone else's: 404.
fn body_names_an_id(op: &Value, schemas: &Value) -> bool {
    let Some(content) = op["requestBody"]["content"].as_object() else {
        return false;
    };
    content
        .values()
        .any(|c| names_an_id(&c["schema"], schemas, 0))
}

fn names_an_id(schema: &Value, schemas: &Value, depth: usize) -> bool {
    if depth > 8 {
        return false;
    }
    if let Some(r) = schema["$ref"].as_str() {
        let name = r.trim_start_matches("#/components/schemas/");
        return names_an_id(&schemas[name], schemas, depth + 1);
    }
    let own = schema["properties"].as_object().is_some_and(|p| {
        p.keys()
            .any(|k| k == "id" || k.ends_with("ID") || k.ends_with("Id"))
    });
    own || ["allOf", "anyOf", "oneOf"].iter().any(|k| {
        schema[*k]
            .as_array()
            .is_some_and(|a| a.iter().any(|s| names_an_id(s, schemas, depth + 1)))
    })
}

/// The optional `Idempotency-Key` header of a mutating operation with a credential.
fn idempotency_key_parameter(op: &mut Value) {
    let params = op
        .as_object_mut()
        .expect("operation")
        .entry("parameters")
        .or_insert_with(|| json!([]))
        .as_array_mut()
        .expect("parameters");
    if !params.iter().any(|p| p["name"] == "Idempotency-Key") {
        params.push(json!({
            "name": "Idempotency-Key", "in": "header", "required": false,
            "description": "Makes a retry safe: the first response is kept for `idempotency_ttl_hours` and replayed (with `Idempotent-Replayed: true`) to the same request with the same key from the same principal",
            "schema": {"type": "string", "minLength": 1, "maxLength": 255},
        }));
    }
}

/// Real error bodies, one per face and status, recorded from the server by the test
/// `openapi::error_examples_are_real_responses` (which fails when one no longer matches and
/// rewrites the file with `UPDATE_EXAMPLES=1`).
pub const EXAMPLES: &str = include_str!("examples.json");

/// The recorded body of `face`'s `status` error, if there is one.
fn example(face: Face, status: u16) -> Option<Value> {
    static ALL: std::sync::OnceLock<Value> = std::sync::OnceLock::new();
    let all = ALL.get_or_init(|| serde_json::from_str(EXAMPLES).expect("examples.json is JSON"));
    let face = match face {
        Face::Accounts => "accounts",
        Face::PullPayments => "pull-payments",
    };
    all[face].get(status.to_string()).cloned()
}

/// The body (and for the accounts API's 401, the `WWW-Authenticate` header) of an error response.
fn error_content(face: Face, status: u16, response: &mut Value) {
    let schema = match (face, status) {
        (Face::PullPayments, _) => "ErrorEnvelope",
        (Face::Accounts, 401) => "AuthError",
        (Face::Accounts, 500 | 503) => "SystemError",
        (Face::Accounts, _) => "Errors",
    };
    let r = response.as_object_mut().expect("response");
    let mut media = json!({"schema": {"$ref": format!("#/components/schemas/{schema}")}});
    if let Some(e) = example(face, status) {
        media["example"] = e;
    }
    r.insert("content".into(), json!({ "application/json": media }));
    if face == Face::Accounts && status == 401 {
        let headers = r
            .entry("headers")
            .or_insert_with(|| Value::Object(Map::new()));
        headers["WWW-Authenticate"] = json!({
            "description": "`Bearer`",
            "schema": {"type": "string"},
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn operation_ids_are_method_and_path() {
        assert_eq!(
            operation_id("post", "/api/v2/api-key-auth/products/{businessID}"),
            "post_api_v2_api_key_auth_products_businessID"
        );
    }
}
