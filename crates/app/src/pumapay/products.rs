//! Products of a business: create with an image, list with statistics, update, hide.
use crate::error::detail;
use crate::limits::{self, Face};
use crate::pumapay::access::{self, Caller, Intent};
use crate::pumapay::fields;
use crate::pumapay::paging::{self, PageQuery};
use crate::{App, AppError, Detail, pumapay::reference};
use base64::Engine as _;
use payplane_core::ids::new_id;
use payplane_core::text::TextRule;
use payplane_store::pumapay::products::{self, Order, Product, Stats};

/// The update sentinel that keeps the current image.
pub const NO_IMAGE_CHANGE: &str = "NO_IMAGE_CHANGE";

#[derive(Debug, Clone, Default)]
pub struct ProductInput {
    pub category_id: Option<i64>,
    pub tags: Option<Vec<serde_json::Value>>,
    pub name: Option<String>,
    pub description: Option<String>,
    pub url: Option<String>,
    pub image: Option<String>,
    pub network_id: Option<i64>,
}

/// Product categories of the industries the business registered under (all of them until it
/// names an industry).
pub async fn categories(
    app: &App,
    caller: &Caller,
    business_id: &str,
) -> Result<Vec<reference::ProductCategory>, AppError> {
    let b = access::authorize(app, caller, business_id, Intent::Read).await?;
    let industries: Vec<i64> = [b.details.industry1, b.details.industry2]
        .into_iter()
        .flatten()
        .collect();
    Ok(reference::get()
        .categories
        .iter()
        .filter(|c| industries.is_empty() || industries.contains(&c.industry_id))
        .cloned()
        .collect())
}

/// A decoded, type-checked image.
pub struct Image {
    pub content_type: &'static str,
    pub bytes: Vec<u8>,
}

/// Decodes `byte64Image` (plain base64 or a `data:` URL) and checks its type by magic bytes.
pub fn decode_image(raw: &str, max: usize) -> Result<Image, Detail> {
    let b64 = match raw.split_once("base64,") {
        Some((prefix, rest)) if prefix.starts_with("data:") => rest,
        _ => raw,
    };
    let cleaned: String = b64.chars().filter(|c| !c.is_ascii_whitespace()).collect();
    if cleaned.len() > max.saturating_mul(4) / 3 + 8 {
        return Err(too_large(max));
    }
    let lenient = base64::engine::GeneralPurpose::new(
        &base64::alphabet::STANDARD,
        base64::engine::GeneralPurposeConfig::new()
            .with_decode_padding_mode(base64::engine::DecodePaddingMode::Indifferent),
    );
    let bytes = lenient.decode(&cleaned).map_err(|_| {
        detail(
            "byte64Image",
            "error.image.base64",
            "byte64Image is not valid base64",
        )
    })?;
    if bytes.len() > max {
        return Err(too_large(max));
    }
    let content_type = if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        "image/png"
    } else if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        "image/jpeg"
    } else if bytes.len() >= 12 && &bytes[..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
        "image/webp"
    } else {
        return Err(detail(
            "byte64Image",
            "error.image.type",
            "byte64Image must be a PNG, JPEG or WebP image",
        ));
    };
    Ok(Image {
        content_type,
        bytes,
    })
}

fn too_large(max: usize) -> Detail {
    detail(
        "byte64Image",
        "error.image.too.large",
        &format!("byte64Image is larger than {} KiB decoded", max / 1024),
    )
}

fn validate(
    input: &ProductInput,
    creating: bool,
    max_image: usize,
) -> Result<Option<Image>, AppError> {
    let mut errors = vec![];
    match input.category_id {
        None if creating => errors.push(detail(
            "categoryID",
            "error.field.required",
            "categoryID is required",
        )),
        Some(c) if !reference::get().has_category(c) => errors.push(detail(
            "categoryID",
            "error.category.unknown",
            "categoryID is not a known product category",
        )),
        _ => {}
    }
    match input.name.as_deref().map(str::trim) {
        None | Some("") if creating => errors.push(detail(
            "productName",
            "error.field.required",
            "productName is required",
        )),
        Some("") => errors.push(detail(
            "productName",
            "error.field.required",
            "productName cannot be empty",
        )),
        n => limits::collect(Face::Pumapay, "productName", n, TextRule::NAME, &mut errors),
    }
    limits::collect(
        Face::Pumapay,
        "productDescription",
        input.description.as_deref(),
        TextRule::Multiline { max_chars: 5000 },
        &mut errors,
    );
    limits::collect(
        Face::Pumapay,
        "productUrl",
        input.url.as_deref(),
        TextRule::Url,
        &mut errors,
    );
    if let Some(u) = input.url.as_deref().filter(|u| !u.is_empty())
        && let Err(m) = crate::webhooks::guard::check_url(u)
    {
        errors.push(detail(
            "productUrl",
            "error.url.invalid",
            &format!("productUrl must be an http(s) URL: {m}"),
        ));
    }
    if let Some(tags) = &input.tags {
        let ok = tags.len() <= 50
            && tags.iter().all(|t| match t {
                serde_json::Value::String(s) => s.len() <= 100,
                serde_json::Value::Number(_) => true,
                _ => false,
            });
        if !ok {
            errors.push(detail(
                "tags",
                "error.tags.invalid",
                "tags is a list of at most 50 strings or numbers",
            ));
        }
    }
    if let Some(n) = input.network_id {
        fields::network("networkID", n, &mut errors);
    }
    let mut image = None;
    if let Some(raw) = input
        .image
        .as_deref()
        .filter(|r| *r != NO_IMAGE_CHANGE && !r.is_empty())
    {
        match decode_image(raw, max_image) {
            Ok(i) => image = Some(i),
            Err(d) => errors.push(d),
        }
    }
    fields::check(errors)?;
    Ok(image)
}

pub async fn create(
    app: &App,
    caller: &Caller,
    business_id: &str,
    input: ProductInput,
) -> Result<Product, AppError> {
    let image = validate(&input, true, app.config.pumapay.image_max_bytes)?;
    let b = access::authorize(app, caller, business_id, Intent::Write).await?;
    let now = app.now();
    let mut tx = app.db.begin().await?;
    let image_id = match image {
        Some(i) => {
            let id = new_id();
            products::insert_image(&mut tx, &id, &b.id, i.content_type, &i.bytes, now).await?;
            Some(id)
        }
        None => None,
    };
    let p = Product {
        id: new_id(),
        business_id: b.id.clone(),
        category_id: input.category_id.unwrap_or_default(),
        tags: input.tags.unwrap_or_default(),
        name: input.name.unwrap_or_default().trim().to_string(),
        description: input.description.unwrap_or_default(),
        url: input.url.unwrap_or_default(),
        image_id,
        verified: false,
        enabled: true,
        created_at: now,
        updated_at: now,
    };
    products::insert(&mut tx, &p).await?;
    tx.commit().await?;
    Ok(p)
}

/// A product of an authorised business, or 404.
pub async fn find(
    app: &App,
    caller: &Caller,
    business_id: &str,
    product_id: &str,
    intent: Intent,
) -> Result<Product, AppError> {
    let b = access::authorize(app, caller, business_id, intent).await?;
    products::get(&app.db.read, &b.id, product_id)
        .await?
        .ok_or_else(not_found)
}

pub fn not_found() -> AppError {
    AppError::not_found("error.product.not.found", "Product not found")
}

pub async fn update(
    app: &App,
    caller: &Caller,
    business_id: &str,
    product_id: &str,
    input: ProductInput,
) -> Result<Product, AppError> {
    let image = validate(&input, false, app.config.pumapay.image_max_bytes)?;
    let mut p = find(app, caller, business_id, product_id, Intent::Write).await?;
    let now = app.now();
    let mut tx = app.db.begin().await?;
    if let Some(i) = image {
        let id = new_id();
        products::insert_image(&mut tx, &id, &p.business_id, i.content_type, &i.bytes, now).await?;
        p.image_id = Some(id);
    }
    if let Some(c) = input.category_id {
        p.category_id = c;
    }
    if let Some(t) = input.tags {
        p.tags = t;
    }
    if let Some(n) = input.name {
        p.name = n.trim().to_string();
    }
    if let Some(d) = input.description {
        p.description = d;
    }
    if let Some(u) = input.url {
        p.url = u;
    }
    p.updated_at = now;
    products::update(&mut tx, &p).await?;
    tx.commit().await?;
    Ok(p)
}

/// Hides (`enabled=false`) or shows a product. Hidden products stay readable but accept no new
/// payment models.
pub async fn set_enabled(
    app: &App,
    caller: &Caller,
    business_id: &str,
    product_id: &str,
    enabled: bool,
) -> Result<(), AppError> {
    let mut p = find(app, caller, business_id, product_id, Intent::Write).await?;
    p.enabled = enabled;
    p.updated_at = app.now();
    let mut tx = app.db.begin().await?;
    products::update(&mut tx, &p).await?;
    tx.commit().await?;
    Ok(())
}

#[derive(Debug, Clone, Default)]
pub struct ListQuery {
    pub category_id: Option<i64>,
    pub currency: Option<String>,
    pub verified: Option<bool>,
    pub page: PageQuery,
}

pub async fn list(
    app: &App,
    caller: &Caller,
    business_id: &str,
    network_id: i64,
    q: ListQuery,
) -> Result<Vec<(Product, Stats)>, AppError> {
    let mut errors = vec![];
    fields::network("networkID", network_id, &mut errors);
    let page = paging::page(&q.page, &mut errors);
    let order = match page.order_by.as_deref() {
        None | Some("date") | Some("creationtimestamp") => Order::Date,
        Some("price") | Some("amount") => Order::Price,
        Some("name") | Some("productname") => Order::Name,
        Some(_) => {
            errors.push(detail(
                "orderBy",
                "error.order.by.invalid",
                "orderBy must be date, price or name",
            ));
            Order::Date
        }
    };
    let currency = q
        .currency
        .as_deref()
        .and_then(|c| fields::currency("currency", c, &mut errors));
    fields::check(errors)?;
    let b = access::authorize(app, caller, business_id, Intent::Read).await?;
    let items = products::list(
        &app.db.read,
        &products::Filter {
            business_id: b.id,
            network_id,
            category_id: q.category_id,
            currency,
            verified: q.verified,
            order,
            ascending: page.ascending,
            limit: page.limit,
            offset: page.offset,
        },
    )
    .await?;
    let mut out = Vec::with_capacity(items.len());
    for p in items {
        let s = products::stats(&app.db.read, &p.id, network_id).await?;
        out.push((p, s));
    }
    Ok(out)
}

pub async fn single(
    app: &App,
    caller: &Caller,
    business_id: &str,
    product_id: &str,
    network_id: i64,
) -> Result<(Product, Stats), AppError> {
    let mut errors = vec![];
    fields::network("networkID", network_id, &mut errors);
    fields::check(errors)?;
    let p = find(app, caller, business_id, product_id, Intent::Read).await?;
    let s = products::stats(&app.db.read, &p.id, network_id).await?;
    Ok((p, s))
}

/// A stored product image (public: product pages show it to customers).
pub async fn image(app: &App, id: &str) -> Result<(String, Vec<u8>), AppError> {
    products::image(&app.db.read, id)
        .await?
        .ok_or_else(|| AppError::not_found("error.image.not.found", "Image not found"))
}

/// Where a product's image is served.
pub fn image_url(app: &App, image_id: &str) -> String {
    format!(
        "{}/api/v2/open-auth/product-images/{image_id}",
        app.config.pumapay.public_url.trim_end_matches('/')
    )
}
