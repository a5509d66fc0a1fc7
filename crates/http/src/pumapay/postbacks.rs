//! Postback URLs (seed 004): create, edit, delete, get one, get all; and the signing secret.
use super::auth::ApiKey;
use super::envelope::{Envelope, Reply, check, from_body, ok, required};
use crate::error::ApiError;
use crate::extract::{Body, PathParams};
use crate::middleware::HoldsSecret;
use axum::extract::State;
use axum::{Extension, Json};
use payplane_app::App;
use payplane_app::pumapay::postbacks::{self as uc, NewPostback, input};
use payplane_store::pumapay::postbacks::Postback;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;

/// S-Postback / S-PostbackSub.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PostbackView {
    id: String,
    /// `"true"`: a stored URL always passed the URL check (http(s), no credentials).
    valid: String,
    #[serde(rename = "businessID")]
    business_id: String,
    url: String,
    /// The headers sent with every delivery, as a JSON object in a string (null if none).
    authorization: Option<String>,
    /// `Ropsten` or `Mainnet`.
    environment: String,
    #[serde(rename = "networkID")]
    network_id: i64,
    #[serde(rename = "parentBusinessPostbackID")]
    parent_business_postback_id: Option<String>,
    /// The business's `whsec_…` signing secret: only in the answer that created it.
    #[serde(skip_serializing_if = "Option::is_none")]
    signing_secret: Option<String>,
}

pub fn view(p: &Postback) -> PostbackView {
    PostbackView {
        id: p.endpoint.id.clone(),
        valid: "true".into(),
        business_id: p.business_id.clone(),
        url: p.endpoint.url.clone(),
        authorization: input::authorization_text(&p.endpoint.headers),
        environment: input::environment_name(p.network_id).into(),
        network_id: p.network_id,
        parent_business_postback_id: p.parent_postback_id.clone(),
        signing_secret: None,
    }
}

#[derive(Deserialize, ToSchema, Default)]
#[serde(default)]
pub struct PostbackBody {
    /// The postback (edit only).
    id: Option<String>,
    #[serde(rename = "businessID")]
    #[schema(required = true, nullable = false, pattern = "\\S")]
    business_id: String,
    #[schema(required = true, nullable = false, format = "url")]
    url: String,
    /// `{"pma-api-key": "…"}`: header names and values sent to the URL with every delivery (at
    /// most 10, 4 096 bytes in all; not `webhook-*`, `content-type`, `host` and the like), or one
    /// `"Name: value"` string.
    #[schema(value_type = Option<String>, format = "header-map")]
    authorization: Option<Value>,
    /// `Ropsten` or `Mainnet` (also 3 or 1).
    #[schema(value_type = String, required = true, nullable = false, format = "environment")]
    environment: Option<Value>,
    /// The PHP sample's flat credential, used when `authorization` is absent.
    #[serde(rename = "pma-api-key")]
    #[schema(pattern = "^[^\\u0000-\\u0008\\u000A-\\u001F\\u007F]*$")]
    pma_api_key: Option<String>,
}

impl PostbackBody {
    fn input(&self) -> Result<NewPostback, payplane_app::AppError> {
        let mut errors = vec![];
        required("businessID", &self.business_id, &mut errors);
        required("url", &self.url, &mut errors);
        let network = input::environment("environment", self.environment.as_ref(), &mut errors);
        let headers = input::authorization(
            self.authorization.as_ref(),
            self.pma_api_key.as_deref(),
            &mut errors,
        );
        check(errors)?;
        Ok(NewPostback {
            business_id: self.business_id.trim().into(),
            // Trimmed by the use case, after its size is checked as sent.
            url: self.url.clone(),
            headers,
            network_id: network.unwrap_or(3),
        })
    }
}

/// Create Postback URL. The business's first postback also creates its signing secret, shown
/// once as `signingSecret`. (A body with `id` edits, as the document's JavaScript does with POST.)
#[utoipa::path(post, path = "/api/v2/api-key-auth/business/postback", tag = "Postbacks",
    security(("pma-api-key" = [])), request_body = PostbackBody,
    responses((status = 200, body = Envelope<PostbackView>), (status = 403, description = "Not your business")))]
pub async fn create(
    State(app): State<App>,
    ApiKey(c): ApiKey,
    Body(v): Body<Value>,
) -> Result<(Option<Extension<HoldsSecret>>, Json<Envelope<PostbackView>>), ApiError> {
    let body: PostbackBody = from_body(v)?;
    if let Some(id) = body.id.as_deref().filter(|i| !i.trim().is_empty()) {
        let p = uc::update(&app, &c, id.trim(), body.input()?).await?;
        return Ok((None, ok("Successfully updated postback url", view(&p))?));
    }
    let created = uc::create(&app, &c, body.input()?).await?;
    let mut v = view(&created.postback);
    let secret = created
        .new_secret
        .is_some()
        .then_some(Extension(HoldsSecret));
    v.signing_secret = created.new_secret;
    Ok((secret, ok("Successfully created postback url", v)?))
}

/// The body of Edit Postback URL: a `PostbackBody` with the postback's `id`. (For the document:
/// the handler reads a `PostbackBody`.)
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct PostbackEditBody {
    #[schema(required = true, nullable = false, pattern = "\\S")]
    id: String,
    #[serde(flatten)]
    postback: PostbackBody,
}

/// Edit Postback URL.
#[utoipa::path(put, path = "/api/v2/api-key-auth/business/postback", tag = "Postbacks",
    security(("pma-api-key" = [])), request_body = PostbackEditBody,
    responses((status = 200, body = Envelope<PostbackView>), (status = 404, description = "No such postback")))]
pub async fn update(
    State(app): State<App>,
    ApiKey(c): ApiKey,
    Body(v): Body<Value>,
) -> Reply<PostbackView> {
    let body: PostbackBody = from_body(v)?;
    let id = body.id.clone().unwrap_or_default();
    let mut errors = vec![];
    required("id", &id, &mut errors);
    check(errors)?;
    let p = uc::update(&app, &c, id.trim(), body.input()?).await?;
    ok("Successfully updated postback url", view(&p))
}

#[derive(Serialize, ToSchema)]
pub struct Deleted {
    #[serde(rename = "businessID")]
    business_id: String,
}

/// Get Postback (GET) and Delete Postback URL (DELETE; the first segment is the
/// `businessPostbackID`).
#[utoipa::path(delete, path = "/api/v2/api-key-auth/business/postback/{postbackID}/{businessID}", tag = "Postbacks",
    security(("pma-api-key" = [])), params(("postbackID" = String, Path), ("businessID" = String, Path)),
    responses((status = 200, body = Envelope<Deleted>), (status = 404, description = "No such postback")))]
pub async fn delete(
    State(app): State<App>,
    ApiKey(c): ApiKey,
    PathParams((id, business)): PathParams<(String, String)>,
) -> Reply<Deleted> {
    uc::delete(&app, &c, &business, &id).await?;
    ok(
        "Successfully deleted business postback.",
        Deleted {
            business_id: business,
        },
    )
}

/// Get Postback.
#[utoipa::path(get, path = "/api/v2/api-key-auth/business/postback/{postbackID}/{businessID}", tag = "Postbacks",
    security(("pma-api-key" = [])), params(("postbackID" = String, Path), ("businessID" = String, Path)),
    responses((status = 200, body = Envelope<PostbackView>), (status = 404, description = "No such postback")))]
pub async fn get_one(
    State(app): State<App>,
    ApiKey(c): ApiKey,
    PathParams((id, business)): PathParams<(String, String)>,
) -> Reply<PostbackView> {
    let p = uc::get(&app, &c, &business, &id).await?;
    ok("Successfully retrieved business postback", view(&p))
}

/// Get All Postbacks by Business (an array, oldest first).
#[utoipa::path(get, path = "/api/v2/api-key-auth/business/postback/{businessID}", tag = "Postbacks",
    security(("pma-api-key" = [])), params(("businessID" = String, Path)),
    responses((status = 200, body = Envelope<Vec<PostbackView>>)))]
pub async fn list(
    State(app): State<App>,
    ApiKey(c): ApiKey,
    PathParams(business): PathParams<String>,
) -> Reply<Vec<PostbackView>> {
    let all = uc::list(&app, &c, &business).await?;
    ok(
        "Successfully retrieved business postback",
        all.iter().map(view).collect(),
    )
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Rotated {
    #[serde(rename = "businessID")]
    business_id: String,
    signing_secret: String,
    /// Unix seconds until which the previous secret also signs.
    previous_secret_valid_until: i64,
}

/// Rotate the business's postback signing secret (all its postbacks share one); the previous
/// secret keeps signing, alongside the new one, for 24 hours.
#[utoipa::path(post, path = "/api/v2/api-key-auth/business/postback-secret/{businessID}/rotate", tag = "Postbacks",
    security(("pma-api-key" = [])), params(("businessID" = String, Path)),
    responses((status = 200, body = Envelope<Rotated>), (status = 404, description = "No postback yet")))]
pub async fn rotate_secret(
    State(app): State<App>,
    ApiKey(c): ApiKey,
    PathParams(business): PathParams<String>,
) -> Result<(Extension<HoldsSecret>, Json<Envelope<Rotated>>), ApiError> {
    let (secret, until) = uc::rotate_secret(&app, &c, &business).await?;
    let reply = ok(
        "Successfully rotated postback signing secret",
        Rotated {
            business_id: business,
            signing_secret: secret,
            previous_secret_valid_until: until / 1_000_000,
        },
    )?;
    Ok((Extension(HoldsSecret), reply))
}
