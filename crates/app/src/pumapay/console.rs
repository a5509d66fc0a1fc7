//! Console identity of the pull-payment API: register, log in/out (x-access-token sessions) and
//! the business's `pma-api-key`.
use crate::login_throttle::{DUMMY_HASH, LoginThrottle};
use crate::pumapay::access::{self, Caller, Intent};
use crate::{App, AppError, ErrorKind, pumapay::businesses, sealing};
use payplane_core::secrets::{random_token, sha256_hex};
use payplane_store::pumapay::console::{self, Session};

pub struct Registered {
    pub business_id: String,
    pub user_id: String,
}

/// Registers a business. Attempts are counted per client IP: past `register_max_per_ip` within
/// `register_window_secs` every attempt answers 429, which also bounds how fast anyone can
/// probe for registered emails (`error.email.taken`, see docs/security.md).
pub async fn register(
    app: &App,
    company: &str,
    email: &str,
    password: &str,
    ip: &str,
) -> Result<Registered, AppError> {
    let cfg = &app.config.pumapay;
    let now = app.now();
    let since = now - cfg.register_window_secs * 1_000_000;
    let attempts = console::record_registration(app.db.writer(), ip, now, since, since).await?;
    if attempts > cfg.register_max_per_ip {
        return Err(AppError::new(
            ErrorKind::TooManyRequests,
            "error.register.rate.limited",
            "Too many registrations from this address; try again later",
        ));
    }
    let (b, u) = businesses::create(app, None, company, email, password).await?;
    Ok(Registered {
        business_id: b.id,
        user_id: u.id,
    })
}

pub struct LoggedIn {
    pub token: String,
    pub business_id: String,
    pub user_id: String,
    pub expires_at: i64,
}

/// Checks the password, under the console's [`LoginThrottle`].
pub async fn login(app: &App, email: &str, password: &str, ip: &str) -> Result<LoggedIn, AppError> {
    let email = email.trim().to_lowercase();
    let cfg = &app.config.pumapay;
    let now = app.now();
    let throttle = LoginThrottle::console(app);
    throttle.check(app, &email, ip).await?;
    let user = console::user_by_email(&app.db.read, &email).await?;
    let hash = user
        .as_ref()
        .map(|u| u.password_hash.as_str())
        .unwrap_or(DUMMY_HASH);
    let ok = sealing::verify_password(password, hash).await && user.is_some();
    let Some(user) = user.filter(|_| ok) else {
        throttle.failed(app, &email, ip).await?;
        return Err(AppError::unauthorized("Invalid email or password"));
    };
    access::caller_business(app, &user.business_id).await?;
    let token = random_token("pcs_", 32);
    let session = Session {
        id: payplane_core::ids::new_id(),
        user_id: user.id.clone(),
        business_id: user.business_id.clone(),
        expires_at: now + cfg.session_hours * 3_600_000_000,
    };
    console::insert_session(
        app.db.writer(),
        &session,
        &sha256_hex(token.as_bytes()),
        now,
    )
    .await?;
    Ok(LoggedIn {
        token,
        business_id: session.business_id,
        user_id: session.user_id,
        expires_at: session.expires_at,
    })
}

/// The live session of an `x-access-token`.
pub async fn session(app: &App, raw: &str) -> Result<Session, AppError> {
    console::live_session(&app.db.read, &sha256_hex(raw.as_bytes()), app.now())
        .await?
        .ok_or_else(|| AppError::unauthorized("Invalid or expired x-access-token"))
}

pub async fn logout(app: &App, session: &Session) -> Result<(), AppError> {
    console::revoke_session(app.db.writer(), &session.id, app.now()).await?;
    Ok(())
}

/// Makes a new `pma-api-key` for the business; the previous one stops working at once.
pub async fn generate_api_key(
    app: &App,
    caller: &Caller,
    business_id: &str,
) -> Result<String, AppError> {
    let b = access::authorize(app, caller, business_id, Intent::Write).await?;
    let raw = random_token("pma_", 32);
    let sealed = sealing::seal(app, raw.as_bytes())?;
    let mut tx = app.db.begin().await?;
    console::replace_api_key(
        &mut tx,
        &b.id,
        &sha256_hex(raw.as_bytes()),
        &sealed,
        app.now(),
    )
    .await?;
    tx.commit().await?;
    Ok(raw)
}

/// The business's current key (kept sealed with the master key so the console can show it).
pub async fn current_api_key(
    app: &App,
    caller: &Caller,
    business_id: &str,
) -> Result<String, AppError> {
    let b = access::authorize(app, caller, business_id, Intent::Read).await?;
    let sealed = console::active_key_sealed(&app.db.read, &b.id)
        .await?
        .ok_or_else(|| {
            AppError::not_found(
                "error.api.key.not.found",
                "No API key has been generated for this business yet",
            )
        })?;
    String::from_utf8(sealing::open(app, &sealed)?).map_err(AppError::internal)
}

/// The business a `pma-api-key` acts as; 401 for an unknown or replaced key, 403 when the
/// business (or a PSP above it) is disabled.
pub async fn api_key_caller(app: &App, raw: &str) -> Result<Caller, AppError> {
    let id = console::business_of_key(&app.db.read, &sha256_hex(raw.as_bytes()))
        .await?
        .ok_or_else(|| AppError::unauthorized("Invalid API key"))?;
    let b = access::caller_business(app, &id).await?;
    Ok(Caller { business_id: b.id })
}
