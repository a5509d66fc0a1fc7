//! The success envelope of seed 004 and body helpers shared by the pull-payment routes.
use crate::error::ApiError;
use axum::Json;
use axum::http::{HeaderMap, Uri};
use payplane_app::{AppError, Detail};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;
use utoipa::ToSchema;

/// `{"success":true,"status":200,"message":"…","data":…}`.
#[derive(Serialize, ToSchema)]
pub struct Envelope<T> {
    pub success: bool,
    pub status: u16,
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub data: Option<T>,
}

pub type Reply<T> = Result<Json<Envelope<T>>, ApiError>;

/// A list page: the envelope, and the `Link: <…>; rel="next"` header when there is a next page
/// (the document fixes the envelope's fields, so the cursor travels outside it).
pub type ListReply<T> = Result<(HeaderMap, Json<Envelope<T>>), ApiError>;

pub fn ok_list<T>(message: &str, data: T, uri: &Uri, next: Option<String>) -> ListReply<T> {
    let Json(e) = ok(message, data)?;
    Ok((crate::next_link::headers(uri, next), Json(e)))
}

pub fn ok<T>(message: &str, data: T) -> Reply<T> {
    Ok(Json(Envelope {
        success: true,
        status: 200,
        message: message.into(),
        data: Some(data),
    }))
}

/// A reply without `data` (the document's "Delete Product").
pub fn ok_empty(message: &str) -> Reply<Value> {
    Ok(Json(Envelope {
        success: true,
        status: 200,
        message: message.into(),
        data: None,
    }))
}

/// Reads a JSON body into `T`. The document's JavaScript samples wrap bodies in a one-element
/// array, so `[{…}]` is read as `{…}`.
pub fn from_body<T: DeserializeOwned>(v: Value) -> Result<T, AppError> {
    let v = match v {
        Value::Array(mut a) if a.len() == 1 => a.remove(0),
        v => v,
    };
    serde_path_to_error::deserialize(v).map_err(|e| {
        let path = e.path().to_string();
        AppError::field(
            &path,
            "error.json.invalid",
            format!("{path}: {}", e.inner()),
        )
    })
}

/// An integer given as a JSON number or a numeric string (the document types amounts both ways).
pub fn int(field: &str, v: &Option<Value>, errors: &mut Vec<Detail>) -> Option<i64> {
    match v {
        None | Some(Value::Null) => None,
        Some(Value::Number(n)) if n.as_i64().is_some() => n.as_i64(),
        Some(Value::String(s)) if s.trim().parse::<i64>().is_ok() => s.trim().parse().ok(),
        Some(_) => {
            errors.push(Detail {
                field: Some(field.into()),
                code: "error.field.not.integer".into(),
                message: format!("{field} must be an integer"),
                arguments: vec![],
            });
            None
        }
    }
}

/// A boolean given as JSON `true`/`false` or the strings `"true"`/`"false"` (the document shows
/// booleans both ways).
pub fn boolean(field: &str, v: &Option<Value>, errors: &mut Vec<Detail>) -> Option<bool> {
    match v {
        None | Some(Value::Null) => None,
        Some(Value::Bool(b)) => Some(*b),
        Some(Value::String(s)) if s.trim().eq_ignore_ascii_case("true") => Some(true),
        Some(Value::String(s)) if s.trim().eq_ignore_ascii_case("false") => Some(false),
        Some(_) => {
            errors.push(Detail {
                field: Some(field.into()),
                code: "error.field.not.boolean".into(),
                message: format!("{field} must be true or false"),
                arguments: vec![],
            });
            None
        }
    }
}

/// A missing (or empty) required body field.
pub fn required(field: &str, v: &str, errors: &mut Vec<Detail>) {
    if v.trim().is_empty() {
        errors.push(Detail {
            field: Some(field.into()),
            code: "error.field.required".into(),
            message: format!("{field} is required"),
            arguments: vec![],
        });
    }
}

pub fn check(errors: Vec<Detail>) -> Result<(), AppError> {
    payplane_app::pumapay::fields::check(errors)
}
