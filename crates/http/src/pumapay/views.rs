//! Response shapes of businesses (seed 004's S-Business, S-BusinessDetails, S-BusinessControl).
use payplane_app::pumapay::businesses as uc;
use payplane_app::pumapay::reference::{self, BusinessType, Country, Industry};
use payplane_core::timefmt::iso_millis;
use payplane_store::pumapay::businesses::Business;
use payplane_store::pumapay::console::BusinessUser;
use serde::Serialize;
use utoipa::ToSchema;

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct BusinessView {
    #[serde(rename = "businessID")]
    business_id: String,
    #[serde(rename = "parentID")]
    parent_id: Option<String>,
    company_name: String,
    business_name: Option<String>,
    business_type: Option<i64>,
    description: Option<String>,
    #[serde(rename = "kycTierID")]
    kyc_tier_id: String,
    #[serde(rename = "countryID")]
    country_id: Option<String>,
    state: Option<String>,
    city: Option<String>,
    zip_code: Option<String>,
    street_address1: Option<String>,
    street_address2: Option<String>,
    gas_wallet: String,
    gas_wallet_index: i64,
    treasury_wallet: Option<String>,
    industry1: Option<i64>,
    industry2: Option<i64>,
    url: Option<String>,
    registration_date: String,
    update_date: String,
    disabled: bool,
    #[serde(rename = "isPSP")]
    is_psp: bool,
}

pub fn business(b: &Business) -> BusinessView {
    let d = &b.details;
    BusinessView {
        business_id: b.id.clone(),
        parent_id: b.parent_id.clone(),
        company_name: b.company_name.clone(),
        business_name: d.business_name.clone(),
        business_type: d.business_type,
        description: d.description.clone(),
        kyc_tier_id: uc::kyc_tier(b),
        country_id: d.country_id.clone(),
        state: d.state.clone(),
        city: d.city.clone(),
        zip_code: d.zip_code.clone(),
        street_address1: d.street_address1.clone(),
        street_address2: d.street_address2.clone(),
        gas_wallet: b.gas_wallet.clone(),
        gas_wallet_index: b.gas_wallet_index,
        treasury_wallet: b.treasury_wallet.clone(),
        industry1: d.industry1,
        industry2: d.industry2,
        url: d.url.clone(),
        registration_date: iso_millis(b.created_at),
        update_date: iso_millis(b.updated_at),
        disabled: b.disabled,
        is_psp: b.is_psp,
    }
}

/// A row of "Retrieve All Businesses" (P42): the business and its default postback.
#[derive(Serialize, ToSchema)]
pub struct SubBusinessView {
    #[serde(flatten)]
    business: BusinessView,
    /// The postback linked to the business (Mainnet's, else Ropsten's); null when none is.
    #[serde(rename = "businessPostbackID")]
    business_postback_id: Option<String>,
}

pub fn sub_business(b: &Business, business_postback_id: Option<String>) -> SubBusinessView {
    SubBusinessView {
        business: business(b),
        business_postback_id,
    }
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct DetailsView {
    #[serde(flatten)]
    business: BusinessView,
    first_name: Option<String>,
    last_name: Option<String>,
    phone_number: Option<String>,
    job_title: Option<String>,
    #[schema(value_type = Vec<Object>)]
    countries: Vec<Country>,
    #[schema(value_type = Vec<Object>)]
    industries: Vec<Industry>,
    #[schema(value_type = Vec<Object>)]
    business_types: Vec<BusinessType>,
}

pub fn details(b: &Business, owner: Option<BusinessUser>) -> DetailsView {
    let r = reference::get();
    let o = owner.as_ref();
    DetailsView {
        business: business(b),
        first_name: o.and_then(|u| u.first_name.clone()),
        last_name: o.and_then(|u| u.last_name.clone()),
        phone_number: o.and_then(|u| u.phone_number.clone()),
        job_title: o.and_then(|u| u.job_title.clone()),
        countries: r.countries.clone(),
        industries: r.industries.clone(),
        business_types: r.business_types.clone(),
    }
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ControlView {
    #[serde(rename = "businessID")]
    business_id: String,
    business_details_submitted: bool,
    business_details_approved: bool,
    kyc_submitted: bool,
    kyc_approved: bool,
    kyc_requested: bool,
    kyc_rejected: bool,
    treasury_wallet_address_submitted: bool,
    treasury_wallet_address_approved: bool,
    pride_access_requested: bool,
    pride_access_approved: bool,
    gas_wallet_assigned: bool,
    business_kyc_flow_completed: bool,
    on_boarding_completed: bool,
    is_trusted: bool,
    disabled: bool,
    status: String,
    updated_status_at: Option<String>,
}

pub fn control(b: &Business) -> ControlView {
    let f = &b.flags;
    ControlView {
        business_id: b.id.clone(),
        business_details_submitted: f.details_submitted,
        business_details_approved: f.details_approved,
        kyc_submitted: f.kyc_submitted,
        kyc_approved: f.kyc_approved,
        kyc_requested: f.kyc_requested,
        kyc_rejected: f.kyc_rejected,
        treasury_wallet_address_submitted: f.treasury_submitted,
        treasury_wallet_address_approved: f.treasury_approved,
        pride_access_requested: f.pride_requested,
        pride_access_approved: f.pride_approved,
        gas_wallet_assigned: !b.gas_wallet.is_empty(),
        business_kyc_flow_completed: uc::kyc_flow_completed(b),
        on_boarding_completed: uc::onboarding_completed(b),
        is_trusted: f.is_trusted,
        disabled: b.disabled,
        status: uc::status(b).into(),
        updated_status_at: b.status_updated_at.map(iso_millis),
    }
}
