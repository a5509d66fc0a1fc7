//! Users and their API tokens.
use crate::auth::{Mode, forget};
use crate::limits::{self, Face};
use crate::{App, AppError, Detail};
use payplane_core::text::TextRule;
use payplane_core::{ids::new_id, secrets};
use payplane_store::tokens::{self, ApiToken};
use payplane_store::users::{self, User};

pub async fn create_user(
    app: &App,
    email: &str,
    name: &str,
    admin: bool,
) -> Result<User, AppError> {
    let email = email.trim().to_lowercase();
    let mut errors = vec![];
    if !is_email(&email) {
        errors.push(detail(
            "email",
            "error.email.invalid",
            "email must be a valid e-mail address",
        ));
    }
    if name.trim().is_empty() {
        errors.push(detail("name", "error.name.required", "name is required"));
    }
    limits::collect(
        Face::Pazemo,
        "name",
        Some(name.trim()),
        TextRule::NAME,
        &mut errors,
    );
    if !errors.is_empty() {
        return Err(AppError::fields(errors));
    }
    let now = app.now();
    let mut roles = vec!["user".to_string()];
    if admin {
        roles.push("admin".into());
    }
    let user = User {
        id: new_id(),
        email,
        name: name.trim().into(),
        mobile: None,
        status: "active".into(),
        partner_id: None,
        roles,
        configs: serde_json::json!({}),
        totp_secret: None,
        created_at: now,
        updated_at: now,
    };
    users::insert(app.db.writer(), &user)
        .await
        .map_err(|e| match e {
            payplane_store::StoreError::Conflict(_) => {
                AppError::conflict("error.email.taken", "A user with this email already exists")
            }
            e => e.into(),
        })?;
    Ok(user)
}

pub async fn get_user(app: &App, id: &str) -> Result<User, AppError> {
    users::get(&app.db.read, id)
        .await?
        .ok_or_else(|| AppError::not_found("error.user.not.found", "User not found"))
}

#[derive(Debug, Clone)]
pub struct NewToken {
    pub mode: Mode,
    pub read_only: bool,
    pub allow_ips: Vec<String>,
    pub label: String,
}

/// Creates a token and returns it with its secret, which is never shown again.
pub async fn create_token(
    app: &App,
    user_id: &str,
    req: NewToken,
) -> Result<(ApiToken, String), AppError> {
    let mut bad = vec![];
    for (i, ip) in req.allow_ips.iter().enumerate() {
        if secrets::parse_ip_or_cidr(ip).is_none() {
            bad.push(Detail {
                field: Some(format!("allowedIps[{i}]")),
                code: "error.ip.invalid".into(),
                message: format!("{ip} is not an IP address or CIDR range"),
                arguments: vec![ip.clone()],
            });
        }
    }
    limits::collect(
        Face::Pazemo,
        "label",
        Some(&req.label),
        TextRule::Line { max_chars: 100 },
        &mut bad,
    );
    if !bad.is_empty() {
        return Err(AppError::fields(bad));
    }
    get_user(app, user_id).await?;
    let raw = secrets::random_token(&format!("pp_{}_", req.mode.as_str()), 24);
    let token = ApiToken {
        id: new_id(),
        user_id: user_id.into(),
        token_hash: secrets::sha256_hex(raw.as_bytes()),
        token_hint: raw[raw.len() - 4..].to_string(),
        label: req.label,
        mode: req.mode.as_str().into(),
        access: if req.read_only { "read_only" } else { "full" }.into(),
        allow_ips: req.allow_ips.iter().map(|s| s.trim().to_string()).collect(),
        created_at: app.now(),
        last_used_at: None,
        revoked_at: None,
    };
    let max = app.config.tokens.max_active_per_user;
    if !tokens::insert_within_limit(&app.db, &token, max).await? {
        return Err(AppError::bad_request(
            "error.token.limit",
            format!("A user can have at most {max} active API tokens; revoke one first"),
        )
        .with_arguments(vec![max.to_string()]));
    }
    Ok((token, raw))
}

pub async fn list_tokens(app: &App, user_id: &str) -> Result<Vec<ApiToken>, AppError> {
    Ok(tokens::list_active(&app.db.read, user_id).await?)
}

pub async fn revoke_token(app: &App, user_id: &str, token_id: &str) -> Result<(), AppError> {
    let hash = tokens::revoke(app.db.writer(), user_id, token_id, app.now())
        .await?
        .ok_or_else(|| AppError::not_found("error.token.not.found", "Token not found"))?;
    forget(app, &hash);
    Ok(())
}

pub(crate) fn is_email(s: &str) -> bool {
    let mut parts = s.split('@');
    matches!((parts.next(), parts.next(), parts.next()), (Some(l), Some(d), None)
        if !l.is_empty() && d.contains('.') && !d.starts_with('.') && !d.ends_with('.') && !s.contains(' '))
}

pub(crate) fn detail(field: &str, code: &str, message: &str) -> Detail {
    Detail {
        field: Some(field.into()),
        code: code.into(),
        message: message.into(),
        arguments: vec![],
    }
}
