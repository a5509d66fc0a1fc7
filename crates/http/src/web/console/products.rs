//! Products: the business's products with their statistics, creating one with an image (the
//! browser reads the chosen file into the form as a `data:` URL, the API's `byte64Image`), and
//! a product's page with its payment models on both networks and the form that creates one
//! (`products/{businessID}`, `products/all/…`, `pull-payment-models/all/…`).
use super::models::{ModelFields, ModelRow, model_form_choices};
use super::onboarding::{Choice, given, number};
use super::session::BusinessSession;
use crate::web::csrf::Form;
use crate::web::dashboard::accounts::form_error;
use crate::web::format;
use crate::web::layout::Layout;
use crate::web::{Ctx, WebError, done, page, page_with};
use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use payplane_app::pumapay::paging::PageQuery;
use payplane_app::pumapay::products::{self, ListQuery, ProductInput};
use payplane_app::pumapay::{payment_models, reference};
use payplane_app::{App, AppError};
use payplane_core::kinds::Network;
use payplane_store::pumapay::products::Product;
use serde::Deserialize;
use serde_json::Value;

pub struct ProductRow {
    pub id: String,
    pub name: String,
    pub category: String,
    pub image: Option<String>,
    pub verified: bool,
    pub enabled: bool,
    pub models: i64,
    pub customers: i64,
    pub created: String,
}

fn category_name(id: i64) -> String {
    reference::get()
        .categories
        .iter()
        .find(|c| c.id == id)
        .map(|c| c.category_name.clone())
        .unwrap_or_else(|| id.to_string())
}

fn row(app: &App, p: &Product, models: i64, customers: i64) -> ProductRow {
    ProductRow {
        id: p.id.clone(),
        name: p.name.clone(),
        category: category_name(p.category_id),
        image: p.image_id.as_deref().map(|i| products::image_url(app, i)),
        verified: p.verified,
        enabled: p.enabled,
        models,
        customers,
        created: format::time(p.created_at),
    }
}

#[derive(Template)]
#[template(path = "console/products.html")]
struct ProductsPage {
    layout: Layout,
    products: Vec<ProductRow>,
    categories: Vec<Choice>,
    form: ProductForm,
    errors: Vec<String>,
}

/// The product form's fields as typed.
#[derive(Deserialize, Default)]
pub struct ProductForm {
    #[serde(default)]
    category: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    url: String,
    #[serde(default)]
    tags: String,
    /// The chosen image as a `data:` URL (filled in by `console.js`).
    #[serde(default)]
    image: String,
}

async fn products_page(
    app: &App,
    ctx: Ctx,
    s: &BusinessSession,
    form: ProductForm,
    errors: Vec<String>,
) -> Result<ProductsPage, WebError> {
    let q = ListQuery {
        page: PageQuery {
            items_per_page: Some(100),
            ..PageQuery::default()
        },
        ..ListQuery::default()
    };
    let list = products::list(app, &s.caller(), s.id(), Network::Test.id(), q).await?;
    let categories = products::categories(app, &s.caller(), s.id()).await?;
    Ok(ProductsPage {
        layout: Layout::console(ctx, s, "products", "Products"),
        products: list
            .iter()
            .map(|(p, st)| row(app, p, st.payment_models, st.active_customers))
            .collect(),
        categories: categories
            .into_iter()
            .map(|c| (c.id.to_string(), c.category_name))
            .collect(),
        form,
        errors,
    })
}

pub async fn list(
    State(app): State<App>,
    s: BusinessSession,
    ctx: Ctx,
) -> Result<Response, WebError> {
    page(&products_page(&app, ctx, &s, ProductForm::default(), vec![]).await?)
}

pub async fn create(
    State(app): State<App>,
    s: BusinessSession,
    ctx: Ctx,
    Form(f): Form<ProductForm>,
) -> Result<Response, WebError> {
    let mut errors = vec![];
    let input = ProductInput {
        category_id: number("categoryID", &f.category, &mut errors),
        tags: Some(
            f.tags
                .split(',')
                .filter_map(given)
                .map(Value::String)
                .collect(),
        ),
        name: Some(f.name.clone()),
        description: given(&f.description),
        url: given(&f.url),
        image: given(&f.image),
        network_id: None,
    };
    let outcome = if errors.is_empty() {
        products::create(&app, &s.caller(), s.id(), input).await
    } else {
        Err(AppError::fields(errors))
    };
    match outcome {
        Ok(p) => Ok(done(
            &app,
            &format!("/console/products/{}", p.id),
            &format!("The product {} is created.", p.name),
        )),
        Err(e) => {
            form_error(e, |errors| async move {
                // The image is not sent back into the page: the person chooses it again.
                let f = ProductForm {
                    image: String::new(),
                    ..f
                };
                page_with(
                    StatusCode::BAD_REQUEST,
                    &products_page(&app, ctx, &s, f, errors).await?,
                )
            })
            .await
        }
    }
}

#[derive(Template)]
#[template(path = "console/product.html")]
pub struct ProductPage {
    layout: Layout,
    product: ProductRow,
    description: String,
    url: String,
    models: Vec<ModelRow>,
    form: ModelFields,
    types: Vec<Choice>,
    currencies: Vec<&'static str>,
    postbacks: Vec<Choice>,
    errors: Vec<String>,
}

/// The page of a product of the business: its models on both networks and the model form.
pub async fn product_page(
    app: &App,
    ctx: Ctx,
    s: &BusinessSession,
    id: &str,
    form: ModelFields,
    errors: Vec<String>,
) -> Result<ProductPage, WebError> {
    let (p, stats) = products::single(app, &s.caller(), s.id(), id, Network::Test.id()).await?;
    let mut models = vec![];
    for network in [Network::Test, Network::Main] {
        let q = payment_models::ListQuery {
            page: PageQuery {
                items_per_page: Some(100),
                ..PageQuery::default()
            },
            ..payment_models::ListQuery::default()
        };
        let list = payment_models::list(app, &s.caller(), s.id(), network.id(), &p.id, q).await?;
        models.extend(list.iter().map(ModelRow::of));
    }
    let (types, currencies) = model_form_choices();
    Ok(ProductPage {
        layout: Layout::console(ctx, s, "products", &p.name),
        description: p.description.clone(),
        url: p.url.clone(),
        product: row(app, &p, stats.payment_models, stats.active_customers),
        models,
        form,
        types,
        currencies,
        postbacks: super::postbacks::choices(app, s, None).await?,
        errors,
    })
}

pub async fn show(
    State(app): State<App>,
    s: BusinessSession,
    ctx: Ctx,
    Path(id): Path<String>,
) -> Result<Response, WebError> {
    page(&product_page(&app, ctx, &s, &id, ModelFields::default(), vec![]).await?)
}
