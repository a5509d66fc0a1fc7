//! The account of the accounts API a business's settlements are paid into (decisions.md §2
//! "Settlement", docs/settlement.md). Linking takes the business's `pma-api-key` and the
//! account owner's consent: `Authorization: Bearer <one of the owner's tokens>` on the same
//! request (full access; its mode picks the network: test → 3, live → 1).
use super::auth::ApiKey;
use super::envelope::{Envelope, Reply, from_body, ok};
use super::pull_payments::ListParams;
use crate::extract::{Auth, Body, PathParams};
use axum::extract::State;
use payplane_app::App;
use payplane_app::pumapay::settlement::link::{self as uc, LinkInput};
use payplane_core::timefmt::iso_millis;
use payplane_store::pumapay::settlements::Link;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;

#[derive(Deserialize, ToSchema, Default)]
#[serde(rename_all = "camelCase")]
pub struct LinkBody {
    /// EUR or USD: the settlements paid into the account.
    #[schema(required = true, nullable = false, format = "settlement-currency")]
    currency: Option<String>,
    /// The account (of the accounts API) in that currency.
    #[schema(required = true, nullable = false, format = "line", min_length = 1)]
    account_id: Option<String>,
    /// The account's owner: the user of the Authorization token.
    #[schema(required = true, nullable = false, format = "line", min_length = 1)]
    user_id: Option<String>,
    /// The business whose settlements are paid (default: the key's own; a PSP may name a
    /// sub-business).
    #[serde(rename = "businessID")]
    business_id: Option<String>,
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct LinkView {
    #[serde(rename = "businessID")]
    business_id: String,
    currency: String,
    account_id: String,
    user_id: String,
    /// The network whose settlements it receives (3 for a test-mode account, 1 for a live one).
    #[serde(rename = "networkID")]
    network_id: i64,
    /// The owner's token that consented (revoking it stops payments into the account).
    token_id: String,
    created_at: String,
    updated_at: String,
}

fn view(l: Link) -> LinkView {
    LinkView {
        business_id: l.business_id,
        currency: l.currency,
        account_id: l.account_id,
        user_id: l.user_id,
        network_id: l.network_id,
        token_id: l.token_id,
        created_at: iso_millis(l.created_at),
        updated_at: iso_millis(l.updated_at),
    }
}

/// Link a settlement account: settlements in `currency` on the token's network are paid into
/// `accountId` (pending ones at once). The owner's token must be `userId`'s; the account must be
/// theirs, in the token's mode, in `currency`.
#[utoipa::path(put, path = "/api/v2/api-key-auth/business/settlement-account", tag = "Settlement",
    security(("pma-api-key" = [], "bearer" = [])), request_body = LinkBody,
    responses((status = 200, body = Envelope<LinkView>),
        (status = 400, description = "A field is missing, not EUR/USD, or the account is in another currency"),
        (status = 401, description = "No valid Authorization token of the account's owner"),
        (status = 403, description = "A read-only token, a token not of userId, or a business the key cannot act for"),
        (status = 404, description = "No such account of userId in the token's mode")))]
pub async fn put(
    State(app): State<App>,
    ApiKey(c): ApiKey,
    Auth(owner): Auth,
    Body(v): Body<Value>,
) -> Reply<LinkView> {
    let b: LinkBody = from_body(v)?;
    let link = uc::link(
        &app,
        &c,
        &owner,
        LinkInput {
            business_id: b.business_id,
            currency: b.currency,
            account_id: b.account_id,
            user_id: b.user_id,
        },
    )
    .await?;
    ok("Successfully linked the settlement account", view(link))
}

/// The business's settlement accounts, by network and currency.
#[utoipa::path(get, path = "/api/v2/api-key-auth/business/settlement-account/{businessID}", tag = "Settlement",
    security(("pma-api-key" = [])), params(("businessID" = String, Path)),
    responses((status = 200, body = Envelope<Vec<LinkView>>),
        (status = 403, description = "Not your business nor a sub-business")))]
pub async fn list(
    State(app): State<App>,
    ApiKey(c): ApiKey,
    PathParams(business_id): PathParams<String>,
) -> Reply<Vec<LinkView>> {
    let links = uc::links(&app, &c, &business_id).await?;
    ok(
        "Successfully retrieved the settlement accounts",
        links.into_iter().map(view).collect(),
    )
}

/// Unlink: settlements in `currency` on the network are no longer paid into an account (they
/// wait for an operator).
#[utoipa::path(delete, path = "/api/v2/api-key-auth/business/settlement-account/{businessID}/{currency}", tag = "Settlement",
    security(("pma-api-key" = [])),
    params(("businessID" = String, Path), ("currency" = String, Path, format = "settlement-currency", description = "EUR or USD"),
        ("networkID" = Option<i64>, Query, format = "blank-or:network-id", description = "1 (main, the default) or 3 (test)")),
    responses((status = 200, body = Envelope<bool>),
        (status = 404, description = "No account linked for that currency and network")))]
pub async fn delete(
    State(app): State<App>,
    ApiKey(c): ApiKey,
    PathParams((business_id, currency)): PathParams<(String, String)>,
    q: ListParams,
) -> Reply<bool> {
    let network = q.one(&["networkID"]);
    uc::unlink(&app, &c, &business_id, &currency, network.as_deref()).await?;
    ok("Successfully unlinked the settlement account", true)
}
