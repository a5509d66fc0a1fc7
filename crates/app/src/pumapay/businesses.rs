//! Businesses of the pull-payment API: creation (standalone or under a PSP), details,
//! onboarding flags, wallets, sub-businesses, and operator actions on them.
use crate::error::detail;
use crate::limits::{self, Face};
use crate::pumapay::access::{self, Caller, Intent};
use crate::{App, AppError, Detail, pumapay::reference, pumapay::wallets, sealing};
use payplane_core::ids::new_id;
use payplane_core::text::TextRule;
use payplane_store::pumapay::businesses::{self, Business, Details, Flags};
use payplane_store::pumapay::console::{self, BusinessUser};

/// Creates a business with its admin user and a gas wallet at the next free HD index.
pub async fn create(
    app: &App,
    parent_id: Option<&str>,
    company: &str,
    email: &str,
    password: &str,
) -> Result<(Business, BusinessUser), AppError> {
    let email = email.trim().to_lowercase();
    let mut errors = vec![];
    if company.trim().is_empty() {
        errors.push(detail(
            "company",
            "error.company.required",
            "company is required (at most 200 characters)",
        ));
    }
    limits::collect(
        Face::Pumapay,
        "company",
        Some(company.trim()),
        TextRule::NAME,
        &mut errors,
    );
    if !crate::pazemo::users::is_email(&email) {
        errors.push(detail(
            "email",
            "error.email.invalid",
            "email must be a valid e-mail address",
        ));
    }
    if !(8..=256).contains(&password.chars().count()) {
        errors.push(detail(
            "password",
            "error.password.weak",
            "password must be 8 to 256 characters",
        ));
    }
    if !errors.is_empty() {
        return Err(AppError::fields(errors));
    }
    if console::user_by_email(&app.db.read, &email)
        .await?
        .is_some()
    {
        return Err(email_taken());
    }
    let password_hash = sealing::hash_password(password).await?;
    let phrase = wallets::mnemonic(app).await?;
    let now = app.now();
    let mut tx = app.db.begin().await?;
    let index = payplane_store::platform::next_value(
        &mut tx,
        "gas_wallet_index",
        wallets::FIRST_GAS_WALLET_INDEX,
    )
    .await?;
    let business = Business {
        id: new_id(),
        parent_id: parent_id.map(str::to_string),
        company_name: company.trim().into(),
        details: Details::default(),
        treasury_wallet: None,
        gas_wallet: wallets::derive_address(&phrase, index)?,
        gas_wallet_index: index,
        is_psp: false,
        disabled: false,
        flags: Flags::default(),
        status_updated_at: None,
        created_at: now,
        updated_at: now,
    };
    businesses::insert(&mut tx, &business).await?;
    let user = BusinessUser {
        id: new_id(),
        business_id: business.id.clone(),
        email,
        password_hash,
        first_name: None,
        last_name: None,
        phone_number: None,
        job_title: None,
        created_at: now,
        updated_at: now,
    };
    console::insert_user(&mut tx, &user)
        .await
        .map_err(|e| match e {
            payplane_store::StoreError::Conflict(_) => email_taken(),
            e => e.into(),
        })?;
    tx.commit().await?;
    Ok((business, user))
}

fn email_taken() -> AppError {
    AppError::conflict("error.email.taken", "A user with this email already exists")
}

/// Onboarding is complete when details, KYC and both wallets are in place.
pub fn onboarding_completed(b: &Business) -> bool {
    kyc_flow_completed(b) && b.flags.treasury_submitted && b.flags.treasury_approved
}

/// The `kycTierID` a business shows (a string in the document, never null): the tier recorded
/// with its details; else "1" once an operator approved its KYC (the one tier the platform
/// approves); else "0", no tier passed yet.
pub fn kyc_tier(b: &Business) -> String {
    match &b.details.kyc_tier_id {
        Some(tier) => tier.clone(),
        None if b.flags.kyc_approved => "1".into(),
        None => "0".into(),
    }
}

pub fn kyc_flow_completed(b: &Business) -> bool {
    b.flags.details_submitted && b.flags.kyc_approved
}

/// The business `status` of business-control.
pub fn status(b: &Business) -> &'static str {
    if b.disabled {
        "disabled"
    } else if onboarding_completed(b) {
        "active"
    } else {
        "onboarding"
    }
}

pub async fn get(app: &App, caller: &Caller, id: &str) -> Result<Business, AppError> {
    access::authorize(app, caller, id, Intent::Read).await
}

/// A business with its admin user (the owner contact of business details).
pub async fn with_owner(
    app: &App,
    caller: &Caller,
    id: &str,
) -> Result<(Business, Option<BusinessUser>), AppError> {
    let b = access::authorize(app, caller, id, Intent::Read).await?;
    let owner = console::admin_user(&app.db.read, &b.id).await?;
    Ok((b, owner))
}

/// Details as submitted; `None` leaves a field as it is.
#[derive(Debug, Clone, Default)]
pub struct DetailsInput {
    pub details: Details,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub phone_number: Option<String>,
    pub job_title: Option<String>,
}

fn validate_details(d: &Details) -> Vec<Detail> {
    let r = reference::get();
    let mut errors = vec![];
    if let Some(t) = d.business_type
        && !r.has_business_type(t)
    {
        errors.push(detail(
            "businessType",
            "error.business.type.unknown",
            "businessType is not in the businessTypes list",
        ));
    }
    if let Some(c) = &d.country_id
        && !r.has_country(c)
    {
        errors.push(detail(
            "countryID",
            "error.country.unknown",
            "countryID is not in the countries list",
        ));
    }
    for (field, v) in [("industry1", d.industry1), ("industry2", d.industry2)] {
        if let Some(i) = v
            && !r.has_industry(i)
        {
            errors.push(detail(
                field,
                "error.industry.unknown",
                &format!("{field} is not in the industries list"),
            ));
        }
    }
    if let Some(u) = &d.url
        && let Err(m) = crate::webhooks::guard::check_url(u)
    {
        errors.push(detail(
            "url",
            "error.url.invalid",
            &format!("url must be an http(s) URL: {m}"),
        ));
    }
    let line = TextRule::Line { max_chars: 1000 };
    for (field, v, rule) in [
        ("businessName", &d.business_name, TextRule::NAME),
        (
            "description",
            &d.description,
            TextRule::Multiline { max_chars: 1000 },
        ),
        ("kycTierID", &d.kyc_tier_id, line),
        ("state", &d.state, line),
        ("city", &d.city, line),
        ("zipCode", &d.zip_code, line),
        ("streetAddress1", &d.street_address1, line),
        ("streetAddress2", &d.street_address2, line),
        ("url", &d.url, TextRule::Url),
    ] {
        limits::collect(Face::Pumapay, field, v.as_deref(), rule, &mut errors);
    }
    errors
}

fn merge(into: &mut Details, from: Details) {
    fn set<T>(a: &mut Option<T>, b: Option<T>) {
        if b.is_some() {
            *a = b;
        }
    }
    set(&mut into.business_name, from.business_name);
    set(&mut into.business_type, from.business_type);
    set(&mut into.description, from.description);
    set(&mut into.kyc_tier_id, from.kyc_tier_id);
    set(&mut into.country_id, from.country_id);
    set(&mut into.state, from.state);
    set(&mut into.city, from.city);
    set(&mut into.zip_code, from.zip_code);
    set(&mut into.street_address1, from.street_address1);
    set(&mut into.street_address2, from.street_address2);
    set(&mut into.industry1, from.industry1);
    set(&mut into.industry2, from.industry2);
    set(&mut into.url, from.url);
}

/// Submits business details (own business or, for a PSP, a sub-business). The details count as
/// submitted (and as the KYB submission) once name, type, country and industry are all present.
pub async fn update_details(
    app: &App,
    caller: &Caller,
    business_id: &str,
    user_id: Option<&str>,
    input: DetailsInput,
) -> Result<Business, AppError> {
    let target = access::authorize(app, caller, business_id, Intent::Write).await?;
    let mut errors = validate_details(&input.details);
    for (field, v) in [
        ("firstName", &input.first_name),
        ("lastName", &input.last_name),
        ("phoneNumber", &input.phone_number),
        ("jobTitle", &input.job_title),
    ] {
        limits::collect(
            Face::Pumapay,
            field,
            v.as_deref(),
            TextRule::NAME,
            &mut errors,
        );
    }
    if !errors.is_empty() {
        return Err(AppError::fields(errors));
    }
    let now = app.now();
    let mut tx = app.db.begin().await?;
    let mut b = businesses::lock(&mut tx, &target.id)
        .await?
        .ok_or_else(|| access::forbidden(business_id))?;
    merge(&mut b.details, input.details);
    let d = &b.details;
    if d.business_name.is_some()
        && d.business_type.is_some()
        && d.country_id.is_some()
        && d.industry1.is_some()
    {
        b.flags.details_submitted = true;
        b.flags.kyc_submitted = true;
    }
    b.updated_at = now;
    businesses::update(&mut tx, &b).await?;
    let user = match user_id {
        Some(uid) => console::user_get(&mut tx, uid)
            .await?
            .filter(|u| u.business_id == b.id)
            .ok_or_else(|| not_member(uid))?,
        None => match console::admin_user(&app.db.read, &b.id).await? {
            Some(u) => u,
            None => {
                tx.commit().await?;
                return Ok(b);
            }
        },
    };
    let mut user = user;
    let contact = [
        (&mut user.first_name, input.first_name),
        (&mut user.last_name, input.last_name),
        (&mut user.phone_number, input.phone_number),
        (&mut user.job_title, input.job_title),
    ];
    let mut changed = false;
    for (slot, v) in contact {
        if v.is_some() {
            *slot = v;
            changed = true;
        }
    }
    if changed {
        user.updated_at = now;
        console::update_user_contact(&mut tx, &user).await?;
    }
    tx.commit().await?;
    Ok(b)
}

/// A `userID` that is not one of the business's users: not found, as any id that does not
/// exist or belongs to someone else (`docs/foundation.md`).
fn not_member(user_id: &str) -> AppError {
    let mut e = AppError::not_found(
        "error.user.not.member",
        format!("userID {user_id} is not a user of this business"),
    );
    e.details[0].field = Some("userID".into());
    e
}

/// Maps an address refusal to a field error.
pub fn address_error(field: &str, e: wallets::AddressError) -> AppError {
    match e {
        wallets::AddressError::Malformed => AppError::field(
            field,
            "error.wallet.invalid",
            format!("{field} must be 0x followed by 40 hexadecimal digits"),
        ),
        wallets::AddressError::BadChecksum => AppError::field(
            field,
            "error.wallet.checksum",
            format!("{field} has mixed case that is not its EIP-55 checksum"),
        ),
        wallets::AddressError::Zero => AppError::field(
            field,
            "error.wallet.zero",
            format!("{field} is the zero address, which nothing can spend from"),
        ),
    }
}

/// Assigns the treasury wallet (EIP-55 checked, stored checksummed); it awaits confirmation.
pub async fn assign_treasury_wallet(
    app: &App,
    caller: &Caller,
    business_id: &str,
    wallet: &str,
) -> Result<Business, AppError> {
    let target = access::authorize(app, caller, business_id, Intent::Write).await?;
    let wallet = wallets::checksummed(wallet).map_err(|e| address_error("treasuryWallet", e))?;
    let mut tx = app.db.begin().await?;
    let mut b = businesses::lock(&mut tx, &target.id)
        .await?
        .ok_or_else(|| access::forbidden(business_id))?;
    b.treasury_wallet = Some(wallet);
    b.flags.treasury_submitted = true;
    b.flags.treasury_approved = false;
    b.updated_at = app.now();
    businesses::update(&mut tx, &b).await?;
    tx.commit().await?;
    Ok(b)
}

/// A user of the business confirms the assigned treasury wallet.
pub async fn confirm_treasury_wallet(
    app: &App,
    caller: &Caller,
    business_id: &str,
    user_id: &str,
) -> Result<Business, AppError> {
    let target = access::authorize(app, caller, business_id, Intent::Write).await?;
    let mut tx = app.db.begin().await?;
    console::user_get(&mut tx, user_id)
        .await?
        .filter(|u| u.business_id == target.id)
        .ok_or_else(|| not_member(user_id))?;
    let mut b = businesses::lock(&mut tx, &target.id)
        .await?
        .ok_or_else(|| access::forbidden(business_id))?;
    if b.treasury_wallet.is_none() {
        return Err(AppError::conflict(
            "error.treasury.wallet.missing",
            "Assign a treasury wallet before confirming it",
        ));
    }
    b.flags.treasury_approved = true;
    b.updated_at = app.now();
    businesses::update(&mut tx, &b).await?;
    tx.commit().await?;
    Ok(b)
}
