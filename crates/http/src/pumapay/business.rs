//! Business data and wallets: retrieve business, status and details; submit details; treasury
//! wallet assign and confirm.
use super::auth::ApiKey;
use super::envelope::{Envelope, Reply, check, from_body, int, ok, required};
use super::views::{self, BusinessView, ControlView, DetailsView};
use crate::extract::{Body, PathParams};
use axum::extract::State;
use payplane_app::pumapay::businesses::{self as uc, DetailsInput};
use payplane_app::{App, AppError};
use payplane_store::pumapay::businesses::Details;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;

/// Retrieve Business.
#[utoipa::path(get, path = "/api/v2/api-key-auth/business/{businessID}", tag = "Business Data",
    security(("pma-api-key" = [])), params(("businessID" = String, Path)),
    responses((status = 200, body = Envelope<BusinessView>), (status = 403, description = "Not your business")))]
pub async fn get_business(
    State(app): State<App>,
    ApiKey(c): ApiKey,
    PathParams(id): PathParams<String>,
) -> Reply<BusinessView> {
    let b = uc::get(&app, &c, &id).await?;
    ok(
        "Successfully retrieved business details.",
        views::business(&b),
    )
}

/// Retrieve Business Status (the onboarding flags).
#[utoipa::path(get, path = "/api/v2/api-key-auth/business-control/status/{businessID}", tag = "Business Data",
    security(("pma-api-key" = [])), params(("businessID" = String, Path)),
    responses((status = 200, body = Envelope<ControlView>), (status = 403, description = "Not your business")))]
pub async fn get_control(
    State(app): State<App>,
    ApiKey(c): ApiKey,
    PathParams(id): PathParams<String>,
) -> Reply<ControlView> {
    let b = uc::get(&app, &c, &id).await?;
    ok(
        "Successfully retrieved business control.",
        views::control(&b),
    )
}

/// Retrieve Business Details, with the countries, industries and business types lists.
#[utoipa::path(get, path = "/api/v2/api-key-auth/business/business-details/{businessID}", tag = "Business Data",
    security(("pma-api-key" = [])), params(("businessID" = String, Path)),
    responses((status = 200, body = Envelope<DetailsView>), (status = 403, description = "Not your business")))]
pub async fn get_details(
    State(app): State<App>,
    ApiKey(c): ApiKey,
    PathParams(id): PathParams<String>,
) -> Reply<DetailsView> {
    let (b, owner) = uc::with_owner(&app, &c, &id).await?;
    ok(
        "Successfully retrieved the business details.",
        views::details(&b, owner),
    )
}

/// Business details as submitted (own business, or a sub-business by its PSP). Numbers may be
/// sent as numbers or numeric strings; the document's spellings with spaces and lowercase
/// `firstname`/`lastname` are accepted.
#[derive(Deserialize, ToSchema, Default)]
#[serde(rename_all = "camelCase")]
pub struct DetailsBody {
    #[serde(rename = "parentID")]
    pub parent_id: Option<String>,
    #[serde(rename = "businessID")]
    pub business_id: Option<String>,
    #[serde(rename = "userID")]
    pub user_id: Option<String>,
    #[serde(alias = "business name")]
    #[schema(format = "line", max_length = 200)]
    pub business_name: Option<String>,
    #[serde(alias = "business type")]
    #[schema(value_type = Option<i64>, format = "business-type-id")]
    pub business_type: Option<Value>,
    #[schema(format = "multiline", max_length = 1000)]
    pub description: Option<String>,
    #[serde(rename = "kycTierID")]
    #[schema(format = "line", max_length = 1000)]
    pub kyc_tier_id: Option<String>,
    #[serde(rename = "countryID")]
    #[schema(format = "country-id")]
    pub country_id: Option<String>,
    /// Text (or a number, kept as its text).
    #[schema(value_type = Option<String>, format = "line-or-number", max_length = 1000)]
    pub state: Option<Value>,
    #[schema(format = "line", max_length = 1000)]
    pub city: Option<String>,
    /// Text (or a number, kept as its text).
    #[schema(value_type = Option<String>, format = "line-or-number", max_length = 1000)]
    pub zip_code: Option<Value>,
    #[schema(format = "line", max_length = 1000)]
    pub street_address1: Option<String>,
    #[schema(format = "line", max_length = 1000)]
    pub street_address2: Option<String>,
    #[schema(value_type = Option<i64>, format = "industry-id")]
    pub industry1: Option<Value>,
    #[schema(value_type = Option<i64>, format = "industry-id")]
    pub industry2: Option<Value>,
    #[schema(format = "url")]
    pub url: Option<String>,
    #[serde(alias = "firstname")]
    #[schema(format = "line", max_length = 200)]
    pub first_name: Option<String>,
    #[serde(alias = "lastname")]
    #[schema(format = "line", max_length = 200)]
    pub last_name: Option<String>,
    #[schema(format = "line", max_length = 200)]
    pub phone_number: Option<String>,
    #[schema(format = "line", max_length = 200)]
    pub job_title: Option<String>,
}

/// A text field the document's samples also send as a number (`zipCode: 12345`); anything else
/// is an error naming the field.
fn text(field: &str, v: &Option<Value>, errors: &mut Vec<payplane_app::Detail>) -> Option<String> {
    match v {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(s.clone()),
        Some(Value::Number(n)) => Some(n.to_string()),
        Some(_) => {
            errors.push(payplane_app::Detail {
                field: Some(field.into()),
                code: "error.field.not.text".into(),
                message: format!("{field} must be text or a number"),
                arguments: vec![],
            });
            None
        }
    }
}

impl DetailsBody {
    pub fn input(&self) -> Result<DetailsInput, AppError> {
        let mut errors = vec![];
        let details = Details {
            business_name: self.business_name.clone(),
            business_type: int("businessType", &self.business_type, &mut errors),
            description: self.description.clone(),
            kyc_tier_id: self.kyc_tier_id.clone(),
            country_id: self.country_id.clone(),
            state: text("state", &self.state, &mut errors),
            city: self.city.clone(),
            zip_code: text("zipCode", &self.zip_code, &mut errors),
            street_address1: self.street_address1.clone(),
            street_address2: self.street_address2.clone(),
            industry1: int("industry1", &self.industry1, &mut errors),
            industry2: int("industry2", &self.industry2, &mut errors),
            url: self.url.clone(),
        };
        check(errors)?;
        Ok(DetailsInput {
            details,
            first_name: self.first_name.clone(),
            last_name: self.last_name.clone(),
            phone_number: self.phone_number.clone(),
            job_title: self.job_title.clone(),
        })
    }
}

/// Submit or update the business details of a business (its own, or a sub-business's).
#[utoipa::path(put, path = "/api/v2/api-key-auth/business/business-details/{businessID}", tag = "Business Data",
    security(("pma-api-key" = [])), params(("businessID" = String, Path)), request_body = DetailsBody,
    responses((status = 200, body = Envelope<BusinessView>), (status = 400, description = "Invalid field"), (status = 403, description = "Not your business")))]
pub async fn update_details(
    State(app): State<App>,
    ApiKey(c): ApiKey,
    PathParams(id): PathParams<String>,
    Body(v): Body<Value>,
) -> Reply<BusinessView> {
    let body: DetailsBody = from_body(v)?;
    let input = body.input()?;
    let b = uc::update_details(&app, &c, &id, body.user_id.as_deref(), input).await?;
    ok(
        "Successfully updated the business details.",
        views::business(&b),
    )
}

#[derive(Deserialize, ToSchema, Default)]
#[serde(default)]
pub struct TreasuryBody {
    #[serde(rename = "treasuryWallet")]
    #[schema(required = true, nullable = false, format = "eth-address")]
    treasury_wallet: String,
    #[serde(rename = "businessID")]
    #[schema(required = true, nullable = false, pattern = "\\S")]
    business_id: String,
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TreasuryView {
    #[serde(rename = "businessID")]
    business_id: String,
    treasury_wallet: Option<String>,
    treasury_wallet_address_submitted: bool,
    treasury_wallet_address_approved: bool,
}

fn treasury(b: &payplane_store::pumapay::businesses::Business) -> TreasuryView {
    TreasuryView {
        business_id: b.id.clone(),
        treasury_wallet: b.treasury_wallet.clone(),
        treasury_wallet_address_submitted: b.flags.treasury_submitted,
        treasury_wallet_address_approved: b.flags.treasury_approved,
    }
}

/// Assigning the Treasury Wallet: an EIP-55 address (lowercase accepted, stored checksummed).
#[utoipa::path(post, path = "/api/v2/api-key-auth/treasury-wallet", tag = "Wallets",
    security(("pma-api-key" = [])), request_body = TreasuryBody,
    responses((status = 200, body = Envelope<TreasuryView>), (status = 400, description = "Not a valid address")))]
pub async fn assign_treasury(
    State(app): State<App>,
    ApiKey(c): ApiKey,
    Body(v): Body<Value>,
) -> Reply<TreasuryView> {
    let body: TreasuryBody = from_body(v)?;
    let mut errors = vec![];
    required("businessID", &body.business_id, &mut errors);
    required("treasuryWallet", &body.treasury_wallet, &mut errors);
    check(errors)?;
    let b = uc::assign_treasury_wallet(&app, &c, &body.business_id, &body.treasury_wallet).await?;
    ok("Successfully assigned the treasury wallet.", treasury(&b))
}

#[derive(Deserialize, ToSchema, Default)]
#[serde(default)]
pub struct ConfirmBody {
    #[serde(rename = "businessID")]
    #[schema(required = true, nullable = false, pattern = "\\S")]
    business_id: String,
    #[serde(rename = "userID")]
    #[schema(required = true, nullable = false, pattern = "\\S")]
    user_id: String,
}

/// Confirming the Treasury Wallet: a user of the business confirms the assigned address.
#[utoipa::path(post, path = "/api/v2/api-key-auth/treasury-wallet/confirm", tag = "Wallets",
    security(("pma-api-key" = [])), request_body = ConfirmBody,
    responses((status = 200, body = Envelope<TreasuryView>), (status = 409, description = "No wallet assigned")))]
pub async fn confirm_treasury(
    State(app): State<App>,
    ApiKey(c): ApiKey,
    Body(v): Body<Value>,
) -> Reply<TreasuryView> {
    let body: ConfirmBody = from_body(v)?;
    let mut errors = vec![];
    required("businessID", &body.business_id, &mut errors);
    required("userID", &body.user_id, &mut errors);
    check(errors)?;
    let b = uc::confirm_treasury_wallet(&app, &c, &body.business_id, &body.user_id).await?;
    ok("Successfully confirmed the treasury wallet.", treasury(&b))
}
