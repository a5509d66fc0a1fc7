//! Secrets at rest: sealing with a key derived from `config.master_key` (ChaCha20-Poly1305), and
//! Argon2id password hashes.
use crate::{App, AppError};
use argon2::{Algorithm, Argon2, Params, Version};
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE_NO_PAD};
use chacha20poly1305::aead::{Aead, KeyInit};
use chacha20poly1305::{ChaCha20Poly1305, Key, Nonce};
use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::{Digest, Sha256};

/// Used when no master key is configured, so a development server runs with nothing set up.
/// Anything sealed with it is only obscured, not protected: the server warns at first use.
const DEV_MASTER_KEY: &str = "payplane-development-master-key-do-not-use-in-production";
static WARN_ONCE: std::sync::Once = std::sync::Once::new();

fn master(app: &App) -> &str {
    if app.config.master_key.0.is_empty() {
        WARN_ONCE.call_once(|| {
            tracing::warn!(
                "master_key is empty: secrets at rest use the built-in development key; set PAYPLANE_MASTER_KEY in production"
            )
        });
        DEV_MASTER_KEY
    } else {
        app.config.master_key.0.as_str()
    }
}

fn cipher(app: &App) -> ChaCha20Poly1305 {
    let mut h = Sha256::new();
    h.update(b"payplane/seal/v1\0");
    h.update(master(app).as_bytes());
    ChaCha20Poly1305::new(Key::from_slice(&h.finalize()))
}

/// HMAC-SHA256 of `message` under a key derived from the master key for `purpose`, so a value
/// the server hands out (a link, a form's CSRF token) can be checked without storing it, and a
/// value of one purpose never verifies as another's.
fn keyed_mac(app: &App, purpose: &str, message: &[u8]) -> Hmac<Sha256> {
    let mut h = Sha256::new();
    h.update(b"payplane/link/v1\0");
    h.update(purpose.as_bytes());
    h.update(b"\0");
    h.update(master(app).as_bytes());
    // HMAC accepts keys of any length, so this cannot fail.
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&h.finalize())
        .unwrap_or_else(|_| unreachable!("HMAC takes any key length"));
    mac.update(message);
    mac
}

/// [`keyed_mac`] in hex (a form's CSRF token).
pub fn mac(app: &App, purpose: &str, data: &[u8]) -> String {
    hex::encode(keyed_mac(app, purpose, data).finalize().into_bytes())
}

/// The signature of a link: base64url (no padding) of [`keyed_mac`].
pub fn link_signature(app: &App, purpose: &str, message: &str) -> String {
    URL_SAFE_NO_PAD.encode(
        keyed_mac(app, purpose, message.as_bytes())
            .finalize()
            .into_bytes(),
    )
}

/// Whether `signature` is the link's (compared in constant time).
pub fn link_signature_ok(app: &App, purpose: &str, message: &str, signature: &str) -> bool {
    URL_SAFE_NO_PAD.decode(signature).is_ok_and(|sig| {
        keyed_mac(app, purpose, message.as_bytes())
            .verify_slice(&sig)
            .is_ok()
    })
}

/// Encrypts `plain`: `v1:` + base64(nonce ‖ ciphertext+tag).
pub fn seal(app: &App, plain: &[u8]) -> Result<String, AppError> {
    let mut nonce = [0u8; 12];
    rand::thread_rng().fill_bytes(&mut nonce);
    let ct = cipher(app)
        .encrypt(Nonce::from_slice(&nonce), plain)
        .map_err(|_| AppError::internal(SealError("encryption failed")))?;
    let mut out = nonce.to_vec();
    out.extend_from_slice(&ct);
    Ok(format!("v1:{}", STANDARD.encode(out)))
}

pub fn open(app: &App, sealed: &str) -> Result<Vec<u8>, AppError> {
    let bytes = sealed
        .strip_prefix("v1:")
        .and_then(|b| STANDARD.decode(b).ok())
        .filter(|b| b.len() > 12)
        .ok_or_else(|| AppError::internal(SealError("sealed value is malformed")))?;
    cipher(app)
        .decrypt(Nonce::from_slice(&bytes[..12]), &bytes[12..])
        .map_err(|_| {
            AppError::internal(SealError(
                "sealed value does not open with this master_key (was it changed?)",
            ))
        })
}

#[derive(Debug, thiserror::Error)]
#[error("{0}")]
struct SealError(&'static str);

fn argon(params: Params) -> Argon2<'static> {
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// An Argon2id hash in PHC string form (`$argon2id$v=19$m=…,t=…,p=…$salt$hash`).
pub async fn hash_password(password: &str) -> Result<String, AppError> {
    let password = password.to_string();
    tokio::task::spawn_blocking(move || {
        let mut salt = [0u8; 16];
        rand::thread_rng().fill_bytes(&mut salt);
        let p = Params::DEFAULT;
        let mut out = [0u8; 32];
        argon(p.clone())
            .hash_password_into(password.as_bytes(), &salt, &mut out)
            .map_err(|_| AppError::internal(SealError("password hashing failed")))?;
        Ok(format!(
            "$argon2id$v=19$m={},t={},p={}${}${}",
            p.m_cost(),
            p.t_cost(),
            p.p_cost(),
            STANDARD_NO_PAD.encode(salt),
            STANDARD_NO_PAD.encode(out)
        ))
    })
    .await
    .map_err(AppError::internal)?
}

/// Whether `password` matches a hash from `hash_password` (constant-time comparison).
pub async fn verify_password(password: &str, phc: &str) -> bool {
    let password = password.to_string();
    let phc = phc.to_string();
    tokio::task::spawn_blocking(move || verify_sync(&password, &phc).unwrap_or(false))
        .await
        .unwrap_or(false)
}

fn verify_sync(password: &str, phc: &str) -> Option<bool> {
    let parts: Vec<&str> = phc.split('$').collect();
    let [_, "argon2id", "v=19", params, salt, hash] = parts.as_slice() else {
        return None;
    };
    let mut m = None;
    let mut t = None;
    let mut p = None;
    for kv in params.split(',') {
        let (k, v) = kv.split_once('=')?;
        let v: u32 = v.parse().ok()?;
        match k {
            "m" => m = Some(v),
            "t" => t = Some(v),
            "p" => p = Some(v),
            _ => return None,
        }
    }
    let salt = STANDARD_NO_PAD.decode(salt).ok()?;
    let expected = STANDARD_NO_PAD.decode(hash).ok()?;
    let params = Params::new(m?, t?, p?, Some(expected.len())).ok()?;
    let mut out = vec![0u8; expected.len()];
    argon(params)
        .hash_password_into(password.as_bytes(), &salt, &mut out)
        .ok()?;
    Some(
        out.iter()
            .zip(&expected)
            .fold(0u8, |acc, (a, b)| acc | (a ^ b))
            == 0,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn password_hash_verifies_and_refuses_others() {
        let h = hash_password("correct horse").await.unwrap();
        assert!(h.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{h}");
        assert!(verify_password("correct horse", &h).await);
        assert!(!verify_password("correct horsE", &h).await);
        assert!(!verify_password("x", "garbage").await);
    }

    #[test]
    fn the_unknown_email_hash_is_well_formed_so_it_costs_a_real_verification() {
        assert_eq!(
            verify_sync("x", crate::login_throttle::DUMMY_HASH),
            Some(false)
        );
    }
}
