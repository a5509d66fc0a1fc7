//! Products: categories, create (with an image), list, single, update, hide; and the public
//! image route.
use super::auth::ApiKey;
use super::envelope::{Envelope, Reply, check, from_body, int, ok, ok_empty};
use crate::error::ApiError;
use crate::extract::{Body, PathParams, QueryParams};
use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;
use payplane_app::pumapay::paging::PageQuery;
use payplane_app::pumapay::products::{self as uc, ListQuery, ProductInput};
use payplane_app::pumapay::reference::ProductCategory;
use payplane_app::{App, AppError};
use payplane_store::pumapay::products::{Product, Stats};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ProductView {
    #[serde(rename = "productID")]
    product_id: String,
    verified: bool,
    enabled: bool,
    /// Unix seconds.
    creation_timestamp: i64,
    last_update_timestamp: i64,
    #[serde(rename = "businessID")]
    business_id: String,
    #[serde(rename = "categoryID")]
    category_id: i64,
    /// Strings or numbers.
    tags: Vec<Value>,
    product_name: String,
    product_description: String,
    product_url: String,
    /// Empty when the product has no image (the document types it a string).
    image_url: String,
}

pub(crate) fn view(app: &App, p: &Product) -> ProductView {
    ProductView {
        product_id: p.id.clone(),
        verified: p.verified,
        enabled: p.enabled,
        creation_timestamp: p.created_at / 1_000_000,
        last_update_timestamp: p.updated_at / 1_000_000,
        business_id: p.business_id.clone(),
        category_id: p.category_id,
        tags: p.tags.clone(),
        product_name: p.name.clone(),
        product_description: p.description.clone(),
        product_url: p.url.clone(),
        image_url: p
            .image_id
            .as_deref()
            .map(|i| uc::image_url(app, i))
            .unwrap_or_default(),
    }
}

/// A product with what it earned on the network (cents, per currency, from successful pull
/// payment transactions) and its active customers.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ProductStatsView {
    #[serde(flatten)]
    product: ProductView,
    usd_total_earnings: String,
    eur_total_earnings: String,
    jpy_total_earnings: String,
    gbp_total_earnings: String,
    active_customers: String,
    num_of_billing: String,
    /// Earnings in the `currency` filter's currency (USD without one), cents.
    total_earnings: i64,
}

fn stats_view(app: &App, p: &Product, s: &Stats, currency: Option<&str>) -> ProductStatsView {
    let earned = |c: &str| {
        s.earnings
            .iter()
            .find(|(cur, _)| cur == c)
            .map(|(_, v)| *v)
            .unwrap_or(0)
    };
    let total_in = match currency.map(str::to_ascii_uppercase).as_deref() {
        Some("GPB") => "GBP".to_string(),
        Some(c) => c.to_string(),
        None => "USD".to_string(),
    };
    ProductStatsView {
        product: view(app, p),
        usd_total_earnings: earned("USD").to_string(),
        eur_total_earnings: earned("EUR").to_string(),
        jpy_total_earnings: earned("JPY").to_string(),
        gbp_total_earnings: earned("GBP").to_string(),
        active_customers: s.active_customers.to_string(),
        num_of_billing: s.payment_models.to_string(),
        total_earnings: earned(&total_in),
    }
}

/// Retrieve Product Categories of the business's industries.
#[utoipa::path(get, path = "/api/v2/api-key-auth/product-categories/{businessID}", tag = "Products",
    security(("pma-api-key" = [])), params(("businessID" = String, Path)),
    responses((status = 200, body = Envelope<Vec<Object>>)))]
pub async fn categories(
    State(app): State<App>,
    ApiKey(c): ApiKey,
    PathParams(id): PathParams<String>,
) -> Reply<Vec<ProductCategory>> {
    let list = uc::categories(&app, &c, &id).await?;
    ok("Successfully retrieved product categories.", list)
}

/// Body of create and update. `pmaApiKey` and `businessID` in the body (document samples) are
/// ignored: the header and the path decide.
#[derive(Deserialize, ToSchema, Default)]
#[serde(rename_all = "camelCase")]
pub struct ProductBody {
    #[serde(rename = "categoryID")]
    #[schema(value_type = Option<i64>, format = "category-id")]
    category_id: Option<Value>,
    /// At most 50 strings (of at most 100 characters) or numbers.
    #[schema(value_type = Option<Vec<String>>, max_items = 50)]
    tags: Option<Vec<Value>>,
    #[schema(format = "line", min_length = 1, max_length = 200)]
    product_name: Option<String>,
    #[schema(format = "multiline", max_length = 5000)]
    product_description: Option<String>,
    #[schema(format = "url-or-empty")]
    product_url: Option<String>,
    /// Base64 PNG, JPEG or WebP (at most 512 KiB decoded); `NO_IMAGE_CHANGE` on update keeps it.
    #[schema(format = "image-base64")]
    byte64_image: Option<String>,
    #[serde(rename = "networkID")]
    #[schema(value_type = Option<i64>, format = "integer-text-enum:1,3")]
    network_id: Option<Value>,
}

impl ProductBody {
    fn input(self) -> Result<ProductInput, AppError> {
        let mut errors = vec![];
        let category_id = int("categoryID", &self.category_id, &mut errors);
        let network_id = int("networkID", &self.network_id, &mut errors);
        check(errors)?;
        Ok(ProductInput {
            category_id,
            tags: self.tags,
            name: self.product_name,
            description: self.product_description,
            url: self.product_url,
            image: self.byte64_image,
            network_id,
        })
    }
}

/// The body of Create Product: a `ProductBody` with `categoryID` and `productName`. (For the
/// document: the handler reads a `ProductBody`.)
#[derive(ToSchema)]
#[serde(rename_all = "camelCase")]
#[allow(dead_code)]
pub struct NewProductBody {
    #[schema(rename = "categoryID", value_type = i64, required = true, nullable = false, format = "category-id")]
    category_id: Value,
    #[schema(
        required = true,
        nullable = false,
        format = "line",
        min_length = 1,
        max_length = 200
    )]
    product_name: String,
    #[serde(flatten)]
    product: ProductBody,
}

/// Create Product.
#[utoipa::path(post, path = "/api/v2/api-key-auth/products/{businessID}", tag = "Products",
    security(("pma-api-key" = [])), params(("businessID" = String, Path)), request_body = NewProductBody,
    responses((status = 200, body = Envelope<ProductView>), (status = 400, description = "Invalid field")))]
pub async fn create(
    State(app): State<App>,
    ApiKey(c): ApiKey,
    PathParams(id): PathParams<String>,
    Body(v): Body<Value>,
) -> Reply<ProductView> {
    let body: ProductBody = from_body(v)?;
    let p = uc::create(&app, &c, &id, body.input()?).await?;
    ok("Product record created", view(&app, &p))
}

#[derive(Deserialize, Default)]
pub struct ListParams {
    #[serde(rename = "categoryID")]
    category_id: Option<i64>,
    currency: Option<String>,
    verified: Option<bool>,
    page: Option<i64>,
    #[serde(rename = "itemsPerPage", alias = "ItemsPerPage")]
    items_per_page: Option<i64>,
    #[serde(rename = "orderBy")]
    order_by: Option<String>,
    #[serde(rename = "orderType")]
    order_type: Option<String>,
}

/// Retrieve Products List of a business with statistics on one network.
#[utoipa::path(get, path = "/api/v2/api-key-auth/products/all/{businessID}/{networkID}", tag = "Products",
    security(("pma-api-key" = [])),
    params(("businessID" = String, Path), ("networkID" = i64, Path, format = "network-id"),
        ("categoryID" = Option<i64>, Query), ("currency" = Option<String>, Query, format = "fiat"), ("verified" = Option<bool>, Query),
        ("page" = Option<i64>, Query, minimum = 1), ("itemsPerPage" = Option<i64>, Query, minimum = 1, maximum = 100),
        ("orderBy" = Option<String>, Query, format = "any-case:date|creationTimestamp|price|amount|name|productName", description = "date (default), price or name"),
        ("orderType" = Option<String>, Query, format = "order-type", description = "ASC or DESC (default)")),
    responses((status = 200, body = Envelope<Vec<ProductStatsView>>)))]
pub async fn list(
    State(app): State<App>,
    ApiKey(c): ApiKey,
    PathParams((id, network)): PathParams<(String, i64)>,
    QueryParams(q): QueryParams<ListParams>,
) -> Reply<Vec<ProductStatsView>> {
    let currency = q.currency.clone();
    let items = uc::list(
        &app,
        &c,
        &id,
        network,
        ListQuery {
            category_id: q.category_id,
            currency: q.currency,
            verified: q.verified,
            page: PageQuery {
                page: q.page,
                items_per_page: q.items_per_page,
                order_by: q.order_by,
                order_type: q.order_type,
            },
        },
    )
    .await?;
    ok(
        "Successfully retrieved products list.",
        items
            .iter()
            .map(|(p, s)| stats_view(&app, p, s, currency.as_deref()))
            .collect(),
    )
}

#[derive(Deserialize, Default)]
pub struct CurrencyParam {
    currency: Option<String>,
}

/// Retrieve Single Product with statistics on one network.
#[utoipa::path(get, path = "/api/v2/api-key-auth/products/single/{businessID}/{productID}/{networkID}", tag = "Products",
    security(("pma-api-key" = [])),
    params(("businessID" = String, Path), ("productID" = String, Path), ("networkID" = i64, Path, format = "network-id"), ("currency" = Option<String>, Query, format = "fiat")),
    responses((status = 200, body = Envelope<ProductStatsView>), (status = 404, description = "No such product")))]
pub async fn single(
    State(app): State<App>,
    ApiKey(c): ApiKey,
    PathParams((id, product, network)): PathParams<(String, String, i64)>,
    QueryParams(q): QueryParams<CurrencyParam>,
) -> Reply<ProductStatsView> {
    let mut errors = vec![];
    if let Some(cur) = &q.currency {
        payplane_app::pumapay::fields::currency("currency", cur, &mut errors);
    }
    check(errors)?;
    let (p, s) = uc::single(&app, &c, &id, &product, network).await?;
    ok(
        "Successfully retrieved Product details.",
        stats_view(&app, &p, &s, q.currency.as_deref()),
    )
}

/// Update Product (`byte64Image: "NO_IMAGE_CHANGE"` keeps the image).
#[utoipa::path(put, path = "/api/v2/api-key-auth/products/{businessID}/{productID}", tag = "Products",
    security(("pma-api-key" = [])), params(("businessID" = String, Path), ("productID" = String, Path)),
    request_body = ProductBody,
    responses((status = 200, body = Envelope<bool>), (status = 404, description = "No such product")))]
pub async fn update(
    State(app): State<App>,
    ApiKey(c): ApiKey,
    PathParams((id, product)): PathParams<(String, String)>,
    Body(v): Body<Value>,
) -> Reply<bool> {
    let body: ProductBody = from_body(v)?;
    uc::update(&app, &c, &id, &product, body.input()?).await?;
    ok("Successfully updated product.", true)
}

#[derive(Deserialize, ToSchema, Default)]
pub struct HideBody {
    /// false hides the product (the default); true shows it again.
    enabled: Option<bool>,
}

/// Delete Product: hides it (`enabled=false`). Hidden products stay readable but accept no new
/// payment models.
#[utoipa::path(patch, path = "/api/v2/api-key-auth/products/{businessID}/{productID}/hide", tag = "Products",
    security(("pma-api-key" = [])), params(("businessID" = String, Path), ("productID" = String, Path)),
    request_body = HideBody,
    responses((status = 200, description = "Hidden; no data"), (status = 404, description = "No such product")))]
pub async fn hide(
    State(app): State<App>,
    ApiKey(c): ApiKey,
    PathParams((id, product)): PathParams<(String, String)>,
    Body(v): Body<Value>,
) -> Reply<Value> {
    let body: HideBody = from_body(v)?;
    let enabled = body.enabled.unwrap_or(false);
    uc::set_enabled(&app, &c, &id, &product, enabled).await?;
    ok_empty(if enabled {
        "Successfully restored product"
    } else {
        "Successfully deleted product"
    })
}

/// A product image (public, like any image a product page shows).
#[utoipa::path(get, path = "/api/v2/open-auth/product-images/{imageID}", tag = "Products",
    params(("imageID" = String, Path)),
    responses((status = 200, description = "The image", content_type = "image/*"), (status = 404, description = "No such image")))]
pub async fn image(
    State(app): State<App>,
    PathParams(id): PathParams<String>,
) -> Result<impl IntoResponse, ApiError> {
    let (content_type, bytes) = uc::image(&app, &id).await?;
    Ok((
        [
            (header::CONTENT_TYPE, content_type),
            (
                header::CACHE_CONTROL,
                "public, max-age=31536000, immutable".to_string(),
            ),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff".to_string()),
        ],
        bytes,
    ))
}
