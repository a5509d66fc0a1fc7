//! Postback URLs of the pull-payment API (seed 004): a business's URLs per network, delivered by
//! the webhook engine. Every operation authorizes each business it names (`access::authorize`).
pub mod body;
pub mod control;
pub mod developer;
pub mod input;
pub mod links;
pub mod routing;

use crate::pumapay::access::{self, Caller, Intent};
use crate::webhooks::{at_rest, guard, sign};
use crate::{App, AppError};
use payplane_store::pumapay::postbacks::{self as store, Postback, Scope};
use payplane_store::webhooks::Endpoint;

/// A business's postbacks per network are capped so routing and listing stay cheap.
const MAX_POSTBACKS: usize = 50;
/// How long the previous secret keeps signing after a rotation.
pub const ROTATION_OVERLAP_MICROS: i64 = 24 * 3_600_000_000;

pub struct NewPostback {
    pub business_id: String,
    pub url: String,
    pub headers: Vec<(String, String)>,
    pub network_id: i64,
}

/// A created postback and, when it is the business's first, its new signing secret (shown once).
pub struct Created {
    pub postback: Postback,
    pub new_secret: Option<String>,
}

pub fn not_found() -> AppError {
    AppError::not_found("error.postback.not.found", "Postback not found")
}

/// `url` as the client sent it: its size is checked as sent (what the document's `maxLength`
/// counts); the answer is the URL without the spaces around it, as it is stored.
fn check_url(url: &str) -> Result<String, AppError> {
    crate::limits::check(
        crate::limits::Face::Pumapay,
        "url",
        url,
        payplane_core::text::TextRule::Url,
    )
    .map_err(|d| AppError::fields(vec![d]))?;
    guard::check_url(url)
        .map(|_| url.trim().to_string())
        .map_err(|m| AppError::field("url", "error.url.invalid", format!("url is invalid: {m}")))
}

/// Creates a postback. The business's first postback on a network also becomes its
/// business-level postback there, so a merchant who only creates a URL receives its events.
pub async fn create(app: &App, caller: &Caller, input: NewPostback) -> Result<Created, AppError> {
    access::authorize(app, caller, &input.business_id, Intent::Write).await?;
    let url = check_url(&input.url)?;
    if store::list(&app.db.read, &input.business_id).await?.len() >= MAX_POSTBACKS {
        return Err(AppError::bad_request(
            "error.postback.limit",
            format!("At most {MAX_POSTBACKS} postbacks per business"),
        ));
    }
    let now = app.now();
    let mut tx = app.db.begin().await?;
    // Serialises the business's postback writes, so concurrent first postbacks share one secret.
    payplane_store::pumapay::businesses::lock(&mut tx, &input.business_id).await?;
    let (secret, previous_secret, previous_secret_until, new_secret) =
        match store::business_secret(&mut tx, &input.business_id).await? {
            Some((s, p, u)) => (s, p, u, None),
            None => {
                let s = sign::new_secret();
                (at_rest::seal_secret(app, &s)?, None, None, Some(s))
            }
        };
    let e = Endpoint {
        id: payplane_core::ids::new_id(),
        owner_id: input.business_id.clone(),
        mode: store::mode(input.network_id),
        url,
        secret,
        previous_secret,
        previous_secret_until,
        headers: at_rest::seal_headers(app, &input.headers)?,
        created_at: now,
    };
    store::insert(&mut tx, &e, &input.business_id, input.network_id).await?;
    let b = &input.business_id;
    if store::link(&mut *tx, Scope::Business, b, input.network_id)
        .await?
        .is_none()
    {
        store::set_link(&mut tx, Scope::Business, b, input.network_id, b, &e.id, now).await?;
    }
    tx.commit().await?;
    let postback = store::get(&app.db.read, &e.id)
        .await?
        .ok_or_else(not_found)?;
    Ok(Created {
        postback: opened(app, postback)?,
        new_secret,
    })
}

/// A live postback of `business_id` (after authorizing the caller for that business).
pub async fn owned(
    app: &App,
    caller: &Caller,
    business_id: &str,
    postback_id: &str,
    intent: Intent,
) -> Result<Postback, AppError> {
    access::authorize(app, caller, business_id, intent).await?;
    let p = store::get(&app.db.read, postback_id)
        .await?
        .filter(|p| p.business_id == business_id)
        .ok_or_else(not_found)?;
    opened(app, p)
}

/// The postback with its delivery headers in the clear (they are stored sealed), as the merchant
/// who configured them reads them back.
pub(crate) fn opened(app: &App, mut p: Postback) -> Result<Postback, AppError> {
    p.endpoint.headers = at_rest::open_headers(app, &p.endpoint.headers)?;
    Ok(p)
}

/// Edits url, authorization and environment. Moving to another network drops the postback's
/// links and parent references (a link always names the postback's own network); there, like a
/// new postback, it becomes the business-level one if the business has none.
pub async fn update(
    app: &App,
    caller: &Caller,
    id: &str,
    input: NewPostback,
) -> Result<Postback, AppError> {
    let current = owned(app, caller, &input.business_id, id, Intent::Write).await?;
    let url = check_url(&input.url)?;
    let now = app.now();
    let mut tx = app.db.begin().await?;
    let b = &input.business_id;
    if current.network_id != input.network_id {
        store::detach(&mut tx, id, now).await?;
        if store::link(&mut *tx, Scope::Business, b, input.network_id)
            .await?
            .is_none()
        {
            store::set_link(&mut tx, Scope::Business, b, input.network_id, b, id, now).await?;
        }
    }
    store::update(
        &mut tx,
        id,
        &url,
        &at_rest::seal_headers(app, &input.headers)?,
        input.network_id,
        now,
    )
    .await?;
    tx.commit().await?;
    opened(
        app,
        store::get(&app.db.read, id).await?.ok_or_else(not_found)?,
    )
}

pub async fn delete(
    app: &App,
    caller: &Caller,
    business_id: &str,
    id: &str,
) -> Result<(), AppError> {
    owned(app, caller, business_id, id, Intent::Write).await?;
    let mut tx = app.db.begin().await?;
    store::delete(&mut tx, id, app.now()).await?;
    tx.commit().await?;
    Ok(())
}

pub async fn get(
    app: &App,
    caller: &Caller,
    business_id: &str,
    id: &str,
) -> Result<Postback, AppError> {
    owned(app, caller, business_id, id, Intent::Read).await
}

pub async fn list(
    app: &App,
    caller: &Caller,
    business_id: &str,
) -> Result<Vec<Postback>, AppError> {
    access::authorize(app, caller, business_id, Intent::Read).await?;
    store::list(&app.db.read, business_id)
        .await?
        .into_iter()
        .map(|p| opened(app, p))
        .collect()
}

/// A new signing secret for every postback of the business; the old one keeps signing for 24 h.
/// Returns the secret and when the previous one stops signing.
pub async fn rotate_secret(
    app: &App,
    caller: &Caller,
    business_id: &str,
) -> Result<(String, i64), AppError> {
    access::authorize(app, caller, business_id, Intent::Write).await?;
    let secret = sign::new_secret();
    let until = app.now() + ROTATION_OVERLAP_MICROS;
    let mut tx = app.db.begin().await?;
    payplane_store::pumapay::businesses::lock(&mut tx, business_id).await?;
    let sealed = at_rest::seal_secret(app, &secret)?;
    if store::rotate_business_secret(&mut tx, business_id, &sealed, until).await? == 0 {
        return Err(AppError::not_found(
            "error.postback.secret.not.found",
            "This business has no postback signing secret yet: create a postback first",
        ));
    }
    tx.commit().await?;
    Ok((secret, until))
}
