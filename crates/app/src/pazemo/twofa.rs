//! Two-factor codes for confirming and cancelling withdrawals: TOTP (RFC 6238, SHA-1, 6 digits,
//! 30 s steps, one step of skew either way) from an authenticator the user enrolled.
use crate::pazemo::auth::{Mode, Principal};
use crate::{App, AppError, pazemo::users};
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

/// Enrolls (or re-enrolls, replacing the old secret) the caller's authenticator.
pub async fn enroll(app: &App, p: &Principal) -> Result<Enrollment, AppError> {
    let user = users::get_user(app, &p.user_id).await?;
    let mut bytes = [0u8; 20];
    rand::thread_rng().fill_bytes(&mut bytes);
    let secret = Secret::from(bytes).to_base32();
    let uri = totp(&secret, &user.email)?
        .to_url()
        .map_err(AppError::internal)?;
    // The secret is sealed at rest under `master_key`: a database dump alone cannot mint codes.
    let sealed = crate::sealing::seal(app, secret.as_bytes())?;
    payplane_store::pazemo::users::set_totp_secret(app.db.writer(), &user.id, &sealed, app.now())
        .await?;
    Ok(Enrollment {
        secret,
        otpauth_uri: uri,
    })
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
    let Some(sealed) = user.totp_secret else {
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
