//! Two-factor codes for confirming and cancelling withdrawals: TOTP (RFC 6238, SHA-1, 6 digits,
//! 30 s steps, one step of skew either way) from an authenticator the user enrolled. Enrolment
//! is two steps, as authenticator apps expect: a pending secret, active once a code from it is
//! presented.
use crate::pazemo::auth::{Mode, Principal};
use crate::{App, AppError, pazemo::users};
use payplane_store::pazemo::users::User;
use rand::RngCore;
use totp_rs::{Builder, Secret, Totp};

/// Accepted in test mode in place of a real code, so sandboxes need no authenticator.
pub const TEST_MODE_CODE: &str = "000000";

pub struct Enrollment {
    /// Base32 secret, for authenticators that take it typed in.
    pub secret: String,
    pub otpauth_uri: String,
}

fn totp(secret_b32: &str, account: &str) -> Result<Totp, AppError> {
    let secret = Secret::try_from_base32(secret_b32).map_err(AppError::internal)?;
    Builder::new()
        .with_secret(secret)
        .with_account_name(account.replace(':', "_"))
        .with_issuer(Some("payplane"))
        .build()
        .map_err(AppError::internal)
}

/// The code an authenticator with `secret_b32` shows at `unix_secs` (tests and tooling).
pub fn code_at(secret_b32: &str, unix_secs: u64) -> Result<String, AppError> {
    Ok(totp(secret_b32, "x")?.generate(unix_secs).to_string())
}

/// What a submitted code is worth.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Valid,
    /// Not a current code (or no authenticator enrolled).
    Invalid,
    /// A current code that was already used: refused, but not a guess.
    Replayed,
}

/// The stored TOTP state is `<base32 secret>` or `<base32 secret>:<last accepted time step>`
/// (`:` is not in the base32 alphabet), so replay protection needs no extra column.
fn split_state(state: &str) -> (&str, Option<u64>) {
    match state.split_once(':') {
        Some((secret, step)) => (secret, step.parse().ok()),
        None => (state, None),
    }
}

/// Checks `code` for the caller now. A TOTP code is accepted once (RFC 6238 §5.2): its time
/// step is recorded with a compare-and-swap, so a second use (a replay, or a double-submitted
/// form) is refused.
pub async fn verify(app: &App, p: &Principal, code: &str) -> Result<Verdict, AppError> {
    let code = code.trim();
    if p.mode == Mode::Test && code == TEST_MODE_CODE {
        return Ok(Verdict::Valid);
    }
    let user = users::get_user(app, &p.user_id).await?;
    check_active(app, &user, code).await
}

/// Checks `code` against the user's active authenticator (never the test-mode code), consuming
/// it when valid.
pub(crate) async fn check_active(app: &App, user: &User, code: &str) -> Result<Verdict, AppError> {
    let Some(sealed) = user.totp_secret.clone() else {
        return Ok(Verdict::Invalid);
    };
    let state =
        String::from_utf8(crate::sealing::open(app, &sealed)?).map_err(AppError::internal)?;
    let (secret, last) = split_state(&state);
    let now = (app.now().max(0) / 1_000_000) as u64;
    let Some(step) = totp(secret, &user.email)?.check(code, now) else {
        return Ok(Verdict::Invalid);
    };
    if last.is_some_and(|last| step <= last) {
        return Ok(Verdict::Replayed);
    }
    let next = crate::sealing::seal(app, format!("{secret}:{step}").as_bytes())?;
    let swapped =
        payplane_store::pazemo::users::swap_totp_state(app.db.writer(), &user.id, &sealed, &next)
            .await?;
    // Losing the swap means a concurrent request consumed a code first.
    Ok(if swapped {
        Verdict::Valid
    } else {
        Verdict::Replayed
    })
}

/// Whether the user has an authenticator (live mode needs one to move money).
pub async fn enrolled(app: &App, user_id: &str) -> Result<bool, AppError> {
    Ok(users::get_user(app, user_id).await?.totp_secret.is_some())
}

/// Whether an enrolment is waiting for its first code.
pub async fn enrolment_pending(app: &App, user_id: &str) -> Result<bool, AppError> {
    Ok(
        payplane_store::pazemo::users::pending_totp(&app.db.read, user_id)
            .await?
            .is_some(),
    )
}

fn live_only(p: &Principal) -> Result<(), AppError> {
    if p.mode == Mode::Test {
        return Err(AppError::forbidden(
            "error.2fa.live.only",
            "The authenticator also guards live withdrawals: enrol or replace it with a live-mode token",
        ));
    }
    Ok(())
}

fn code_error(v: Verdict) -> AppError {
    match v {
        Verdict::Replayed => AppError::field(
            "code",
            "error.authorizationCode.used",
            "This code was already used; wait for the next one",
        ),
        _ => AppError::field(
            "code",
            "error.authorizationCode.invalid",
            "The code is not a current code of the authenticator",
        ),
    }
}

/// Starts an enrolment: a new secret is kept pending (sealed) and guards nothing until a code
/// from it is presented to `confirm`. Live mode only, because the one authenticator of a user
/// also guards live withdrawals. Replacing an active authenticator needs a current code from
/// it (consumed like any code), so a stolen token alone cannot swap it for the thief's; a user
/// who lost it asks an operator (`payplane admin user reset-2fa`).
pub async fn begin_enrollment(
    app: &App,
    p: &Principal,
    current_code: Option<&str>,
) -> Result<Enrollment, AppError> {
    live_only(p)?;
    let user = users::get_user(app, &p.user_id).await?;
    if user.totp_secret.is_some() {
        let code = current_code.map(str::trim).unwrap_or("");
        if code.is_empty() {
            return Err(AppError::field(
                "code",
                "error.authorizationCode.required",
                "An authenticator is enrolled: replacing it needs a current code from it",
            ));
        }
        let verdict = check_active(app, &user, code).await?;
        if verdict != Verdict::Valid {
            return Err(code_error(verdict));
        }
    }
    let mut bytes = [0u8; 20];
    rand::thread_rng().fill_bytes(&mut bytes);
    let secret = Secret::from(bytes).to_base32();
    let uri = totp(&secret, &user.email)?
        .to_url()
        .map_err(AppError::internal)?;
    let sealed = crate::sealing::seal(app, secret.as_bytes())?;
    payplane_store::pazemo::users::set_pending_totp(app.db.writer(), &user.id, &sealed, app.now())
        .await?;
    Ok(Enrollment {
        secret,
        otpauth_uri: uri,
    })
}

/// Makes the pending authenticator the active one, given a current code from it. The code is
/// recorded as used, like a code that confirmed a withdrawal.
pub async fn confirm_enrollment(app: &App, p: &Principal, code: &str) -> Result<(), AppError> {
    live_only(p)?;
    let user = users::get_user(app, &p.user_id).await?;
    let not_pending = || {
        AppError::conflict(
            "error.2fa.not.pending",
            "No enrolment is waiting for confirmation: start one at POST /users/me/2fa",
        )
    };
    let pending = payplane_store::pazemo::users::pending_totp(&app.db.read, &user.id)
        .await?
        .ok_or_else(not_pending)?;
    let secret =
        String::from_utf8(crate::sealing::open(app, &pending)?).map_err(AppError::internal)?;
    let now = (app.now().max(0) / 1_000_000) as u64;
    let Some(step) = totp(&secret, &user.email)?.check(code.trim(), now) else {
        return Err(code_error(Verdict::Invalid));
    };
    let active = crate::sealing::seal(app, format!("{secret}:{step}").as_bytes())?;
    // Compare-and-swap on the pending value: a concurrent re-enrolment that replaced it wins.
    if !payplane_store::pazemo::users::activate_pending_totp(
        app.db.writer(),
        &user.id,
        &pending,
        &active,
        app.now(),
    )
    .await?
    {
        return Err(not_pending());
    }
    Ok(())
}

/// Operator reset for a user who lost their authenticator: the active and any pending one are
/// removed, so the next enrolment needs no code, and the reset is written to the audit log.
pub async fn operator_reset(
    app: &App,
    actor: &str,
    source: &str,
    user_id: &str,
) -> Result<(), AppError> {
    users::get_user(app, user_id).await?;
    let mut tx = app.db.begin().await?;
    payplane_store::pazemo::users::clear_totp(&mut tx, user_id, app.now()).await?;
    payplane_store::audit::record(&mut tx, actor, "user.2fa.reset", user_id, source, app.now())
        .await?;
    tx.commit().await?;
    Ok(())
}
