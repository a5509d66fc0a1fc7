//! Logins of the web dashboard: a user's password (set through a one-time link or by an
//! operator), email + password (+ authenticator code when enrolled) logins with a throttle on
//! failures, and browser sessions that act as the user in one mode at a time.
use crate::login_throttle::{DUMMY_HASH, LoginThrottle};
use crate::pazemo::auth::{Mode, Principal};
use crate::pazemo::twofa::{self, Verdict};
use crate::{App, AppError, ErrorKind, pazemo::users, sealing};
use payplane_core::ids::new_id;
use payplane_core::secrets::{random_token, sha256_hex};
use payplane_store::pazemo::logins::{self, WebSession};
use payplane_store::pazemo::users::User;

/// Where a set-password link leads (the token follows as `?token=`).
pub const SET_PASSWORD_PATH: &str = "/dashboard/set-password";

pub struct Link {
    /// The raw token, shown once; only its hash is stored.
    pub token: String,
    pub url: String,
    pub expires_at: i64,
}

/// Makes a one-time set-password link for the user (valid `web.password_link_hours`). Earlier
/// links stay valid until used, expired, or a password is set.
pub async fn issue_password_link(app: &App, user_id: &str) -> Result<Link, AppError> {
    users::get_user(app, user_id).await?;
    let token = random_token("ppl_", 32);
    let now = app.now();
    let expires_at = now + app.config.web.password_link_hours * 3_600_000_000;
    logins::insert_link(
        app.db.writer(),
        user_id,
        &sha256_hex(token.as_bytes()),
        now,
        expires_at,
    )
    .await?;
    Ok(Link {
        url: link_url(app, &token),
        token,
        expires_at,
    })
}

/// The full URL of a set-password link: `web.public_url`, or the listen address over http.
fn link_url(app: &App, token: &str) -> String {
    let base = if app.config.web.public_url.is_empty() {
        // A wildcard listen address is no address to browse to: the same port on loopback.
        let listen = app
            .config
            .listen
            .replace("0.0.0.0:", "127.0.0.1:")
            .replace("[::]:", "[::1]:");
        format!("http://{listen}")
    } else {
        app.config.web.public_url.trim_end_matches('/').to_string()
    };
    format!("{base}{SET_PASSWORD_PATH}?token={token}")
}

fn link_invalid() -> AppError {
    AppError::new(
        ErrorKind::Gone,
        "error.password.link.invalid",
        "This set-password link is used, expired or unknown: ask an operator for a new one",
    )
}

/// The user a usable link belongs to (the page shows whose password is being set).
pub async fn link_user(app: &App, token: &str) -> Result<User, AppError> {
    let user_id = logins::link_user(
        &app.db.read,
        &sha256_hex(token.trim().as_bytes()),
        app.now(),
    )
    .await?
    .ok_or_else(link_invalid)?;
    users::get_user(app, &user_id).await
}

/// A password: 10 to 256 characters (the hash is deliberately slow, so the length is bounded).
fn check_password(password: &str) -> Result<(), AppError> {
    let n = password.chars().count();
    if !(10..=256).contains(&n) {
        return Err(AppError::field(
            "password",
            "error.password.weak",
            "The password must be 10 to 256 characters",
        )
        .with_arguments(vec!["10".into(), "256".into()]));
    }
    Ok(())
}

/// Sets the password of the link's user and spends the link; every session of the user ends.
pub async fn set_password_with_link(
    app: &App,
    token: &str,
    password: &str,
) -> Result<User, AppError> {
    check_password(password)?;
    let hash = sealing::hash_password(password).await?;
    let now = app.now();
    let mut tx = app.db.begin().await?;
    let user_id = logins::spend_link(&mut tx, &sha256_hex(token.trim().as_bytes()), now)
        .await?
        .ok_or_else(link_invalid)?;
    logins::set_password(&mut tx, &user_id, &hash, now).await?;
    payplane_store::audit::record(
        &mut tx,
        &user_id,
        "user.password.set",
        &user_id,
        "link",
        now,
    )
    .await?;
    tx.commit().await?;
    users::get_user(app, &user_id).await
}

/// Operator: sets a user's password directly (`payplane admin user set-password`),
/// audit-logged; every session of the user ends.
pub async fn operator_set_password(
    app: &App,
    actor: &str,
    source: &str,
    user_id: &str,
    password: &str,
) -> Result<(), AppError> {
    check_password(password)?;
    users::get_user(app, user_id).await?;
    let hash = sealing::hash_password(password).await?;
    let now = app.now();
    let mut tx = app.db.begin().await?;
    logins::set_password(&mut tx, user_id, &hash, now).await?;
    payplane_store::audit::record(&mut tx, actor, "user.password.set", user_id, source, now)
        .await?;
    tx.commit().await?;
    Ok(())
}

pub struct LoggedIn {
    /// The raw session token for the cookie; only its hash is stored.
    pub token: String,
    pub session: WebSession,
}

fn bad_credentials() -> AppError {
    AppError::unauthorized("Invalid email or password")
}

/// Logs in with email and password, and the authenticator's current code when the user enrolled
/// one, under the dashboard's [`LoginThrottle`] (`[web]`). A wrong or missing code counts as a
/// failure like a wrong password. Sessions start in test mode.
pub async fn login(
    app: &App,
    email: &str,
    password: &str,
    code: Option<&str>,
    ip: &str,
) -> Result<LoggedIn, AppError> {
    let email = email.trim().to_lowercase();
    let cfg = &app.config.web;
    let now = app.now();
    let throttle = LoginThrottle::dashboard(app);
    throttle.check(app, &email, ip).await?;
    let found = logins::credentials(&app.db.read, &email).await?;
    let hash = found
        .as_ref()
        .and_then(|(_, h)| h.as_deref())
        .unwrap_or(DUMMY_HASH)
        .to_string();
    // A user without a password still costs a full verification, so timing tells nothing.
    let password_ok = sealing::verify_password(password, &hash).await
        && found.as_ref().is_some_and(|(_, h)| h.is_some());
    let user = match found.filter(|_| password_ok) {
        Some((id, _)) => Some(users::get_user(app, &id).await?),
        None => None,
    };
    let verdict = match &user {
        None => Err(bad_credentials()),
        Some(u) if u.status != "active" => Err(bad_credentials()),
        Some(u) if u.totp_secret.is_some() => match code.map(str::trim).filter(|c| !c.is_empty()) {
            None => Err(AppError::field(
                "code",
                "error.authorizationCode.required",
                "This account has an authenticator: enter its current code",
            )),
            Some(c) => match twofa::check_active(app, u, c).await? {
                Verdict::Valid => Ok(()),
                Verdict::Replayed => Err(AppError::field(
                    "code",
                    "error.authorizationCode.used",
                    "This code was already used; wait for the next one",
                )),
                Verdict::Invalid => Err(AppError::field(
                    "code",
                    "error.authorizationCode.invalid",
                    "The code is not a current code of your authenticator",
                )),
            },
        },
        Some(_) => Ok(()),
    };
    if let Err(e) = verdict {
        throttle.failed(app, &email, ip).await?;
        return Err(e);
    }
    let user = user.expect("checked above");
    let token = random_token("pps_", 32);
    let session = WebSession {
        id: new_id(),
        user_id: user.id,
        mode: Mode::Test.as_str().into(),
        expires_at: now + cfg.session_hours * 3_600_000_000,
    };
    logins::insert_session(
        app.db.writer(),
        &session,
        &sha256_hex(token.as_bytes()),
        now,
    )
    .await?;
    Ok(LoggedIn { token, session })
}

/// A live session: the user, and the principal the dashboard's use cases act as (the user,
/// full access, in the session's mode, from any address).
pub struct Dashboard {
    pub session: WebSession,
    pub user: User,
    pub principal: Principal,
}

impl Dashboard {
    pub fn mode(&self) -> Mode {
        self.principal.mode
    }
}

/// The live session of a cookie token.
pub async fn session(app: &App, token: &str) -> Result<Dashboard, AppError> {
    let session = logins::live_session(&app.db.read, &sha256_hex(token.as_bytes()), app.now())
        .await?
        .ok_or_else(|| AppError::unauthorized("Log in to continue"))?;
    let user = users::get_user(app, &session.user_id).await?;
    if user.status != "active" {
        return Err(AppError::unauthorized("Log in to continue"));
    }
    let principal = Principal {
        user_id: user.id.clone(),
        token_id: format!("web-session:{}", session.id),
        mode: Mode::parse(&session.mode).unwrap_or(Mode::Test),
        read_only: false,
        admin: user.is_admin(),
        allow_ips: vec![],
    };
    Ok(Dashboard {
        session,
        user,
        principal,
    })
}

/// Switches the mode the session acts in (test: sandbox money; live: real money).
pub async fn set_mode(app: &App, d: &Dashboard, mode: Mode) -> Result<(), AppError> {
    logins::set_session_mode(app.db.writer(), &d.session.id, mode.as_str()).await?;
    Ok(())
}

pub async fn logout(app: &App, d: &Dashboard) -> Result<(), AppError> {
    logins::revoke_session(app.db.writer(), &d.session.id, app.now()).await?;
    Ok(())
}
