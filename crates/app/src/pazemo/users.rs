//! Users and their API tokens.
use crate::error::detail;
use crate::limits::{self, Face};
use crate::pazemo::auth::{Mode, Principal, forget};
use crate::{App, AppError, Detail};
use payplane_core::text::TextRule;
use payplane_core::{ids::new_id, secrets};
use payplane_store::pazemo::tokens::{self, ApiToken};
use payplane_store::pazemo::users::{self, User};

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
        return Err(AppError::conflict(
            "error.token.limit",
            format!("A user can have at most {max} active API tokens; revoke one first"),
        )
        .with_arguments(vec![max.to_string()]));
    }
    Ok((token, raw))
}

/// The user's active tokens of `mode`: a token does not see (or act on) the other mode's.
pub async fn list_tokens(app: &App, user_id: &str, mode: Mode) -> Result<Vec<ApiToken>, AppError> {
    let mut list = tokens::list_active(&app.db.read, user_id).await?;
    list.retain(|t| t.mode == mode.as_str());
    Ok(list)
}

pub async fn revoke_token(
    app: &App,
    user_id: &str,
    mode: Mode,
    token_id: &str,
) -> Result<(), AppError> {
    let hash = tokens::revoke_in_mode(app.db.writer(), user_id, mode.as_str(), token_id, app.now())
        .await?
        .ok_or_else(|| AppError::not_found("error.token.not.found", "Token not found"))?;
    forget(app, &hash);
    Ok(())
}

/// Creates a token on behalf of the token `caller` (the API path; the operator CLI uses
/// `create_token`). A token cannot hand out more than it has: the same mode only (a test token
/// must not reach live money, and a live token has no business minting sandbox ones), no write
/// access from a read-only token, and an allow-list inside its own (every range of the new one
/// within some range of the caller's).
pub async fn create_token_as(
    app: &App,
    caller: &Principal,
    req: NewToken,
) -> Result<(ApiToken, String), AppError> {
    if caller.read_only {
        return Err(AppError::forbidden(
            "error.token.read.only",
            "This token is read-only",
        ));
    }
    match (caller.mode, req.mode) {
        (Mode::Test, Mode::Live) => {
            return Err(AppError::forbidden(
                "error.mode.escalation",
                "A test-mode token cannot create live-mode tokens",
            ));
        }
        (Mode::Live, Mode::Test) => {
            return Err(AppError::forbidden(
                "error.mode.mismatch",
                "A token can create tokens of its own mode only; test tokens come from a test token or the CLI",
            ));
        }
        _ => {}
    }
    if !caller.allow_ips.is_empty() {
        let own: Vec<ipnet::IpNet> = caller
            .allow_ips
            .iter()
            .filter_map(|s| secrets::parse_ip_or_cidr(s))
            .collect();
        let parsed: Vec<Option<ipnet::IpNet>> = req
            .allow_ips
            .iter()
            .map(|s| secrets::parse_ip_or_cidr(s))
            .collect();
        // Unparseable entries are left to `create_token`, which names each of them.
        let wider = req.allow_ips.is_empty()
            || parsed
                .iter()
                .flatten()
                .any(|new| !own.iter().any(|o| o.contains(new)));
        if wider && parsed.iter().all(Option::is_some) {
            return Err(AppError::forbidden(
                "error.token.allow.list.wider",
                format!(
                    "This token is limited to {}: a token it creates needs an allow-list within that",
                    caller.allow_ips.join(", ")
                ),
            )
            .with_arguments(caller.allow_ips.clone()));
        }
    }
    create_token(app, &caller.user_id, req).await
}

/// An address of the common form (RFC 5321's dot-atom, ASCII): a local part of letters, digits
/// and `!#$%&'*+/=?^_`{|}~-` in dot-separated runs, `@`, and a domain of at least two labels
/// (letters, digits, inner hyphens) whose last one holds a letter; at most 254 characters.
pub(crate) fn is_email(s: &str) -> bool {
    const ATEXT: &[u8] = b"!#$%&'*+/=?^_`{|}~-";
    let Some((local, domain)) = s.split_once('@') else {
        return false;
    };
    let atom = |a: &str| {
        !a.is_empty()
            && a.bytes()
                .all(|b| b.is_ascii_alphanumeric() || ATEXT.contains(&b))
    };
    let label = |l: &str| {
        (1..=63).contains(&l.len())
            && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
            && !l.starts_with('-')
            && !l.ends_with('-')
    };
    let labels: Vec<&str> = domain.split('.').collect();
    s.len() <= 254
        && local.len() <= 64
        && local.split('.').all(atom)
        && labels.len() >= 2
        && labels.iter().all(|l| label(l))
        && labels
            .last()
            .is_some_and(|l| l.bytes().any(|b| b.is_ascii_alphabetic()))
}

#[cfg(test)]
mod tests {
    use super::is_email;

    #[test]
    fn e_mail_addresses_are_ascii_dot_atoms_at_a_domain() {
        for good in [
            "a@b.co",
            "first.last+tag@mail.example.com",
            "x_y@a-b.io",
            "0@0.com",
        ] {
            assert!(is_email(good), "{good}");
        }
        for bad in [
            "",
            "a",
            "a@b",
            "@b.co",
            "a@.co",
            "a@b.",
            "a..b@c.co",
            ".a@c.co",
            "a b@c.co",
            "a@b c.co",
            "a@-b.co",
            "a@b.0",
            "\u{11a}@b.co",
            "a@b\u{e9}.co",
            "a@@b.co",
        ] {
            assert!(!is_email(bad), "{bad}");
        }
        assert!(is_email(&format!("{}@b.co", "a".repeat(64))));
        assert!(!is_email(&format!("{}@b.co", "a".repeat(65))));
    }
}
