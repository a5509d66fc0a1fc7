//! Recipients of withdrawals. A new one is `pending` until the payout network's account inquiry
//! (a background job) makes it `active` or `rejected`.
use crate::pazemo::auth::Principal;
use crate::pazemo::payouts::{Inquiry, network_for};
use crate::{App, AppError, ErrorKind, jobs, pazemo::accounts, pazemo::banks};
use payplane_core::kinds::RecipientStatus;
use payplane_core::text::TextRule;
use payplane_store::Conn;
use payplane_store::events::{self, NewEvent};
use payplane_store::pazemo::beneficiaries::{self, Beneficiary};
use serde_json::json;

pub const INQUIRY_JOB: &str = "beneficiary.inquiry";

/// The job kinds recipients run (see `jobs::Registry`).
pub const JOBS: &[(&str, jobs::Handler)] = &[(INQUIRY_JOB, |app, payload| {
    Box::pin(run_inquiry(app, payload))
})];

#[derive(Debug, Default)]
pub struct NewBeneficiary {
    pub account_id: Option<String>,
    pub bank_id: Option<String>,
    pub address: Option<String>,
    pub name: Option<String>,
    pub email: Option<String>,
    pub label: Option<String>,
    pub kind: Option<String>,
}

fn required(field: &str, v: &Option<String>) -> Result<String, AppError> {
    match v.as_deref().map(str::trim) {
        Some(s) if !s.is_empty() => Ok(s.to_string()),
        _ => Err(AppError::field(
            field,
            &format!("error.{field}.required"),
            format!("{field} is required"),
        )),
    }
}

fn bounded(field: &str, v: &Option<String>, max: usize) -> Result<String, AppError> {
    crate::limits::pazemo_trimmed(field, v, TextRule::Line { max_chars: max })
}

pub async fn create(
    app: &App,
    p: &Principal,
    req: NewBeneficiary,
) -> Result<Beneficiary, AppError> {
    let account_id = required("accountId", &req.account_id)?;
    let bank_id = required("bankId", &req.bank_id)?;
    let address = required("address", &req.address)?;
    let name = bounded("name", &req.name, 100)?;
    let label = bounded("label", &req.label, 100)?;
    let email = bounded("email", &req.email, 254)?;
    if !email.is_empty() && !crate::pazemo::users::is_email(&email) {
        return Err(AppError::field(
            "email",
            "error.email.invalid",
            "email must be a valid e-mail address",
        ));
    }
    let kind = match req.kind.as_deref().map(str::trim) {
        None | Some("") | Some("personal") => "personal",
        Some("business") => "business",
        Some(other) => {
            return Err(AppError::field(
                "type",
                "error.type.invalid",
                "type is personal or business",
            )
            .with_arguments(vec![other.to_string()]));
        }
    };
    let currency = accounts::owned(app, p, &account_id).await.map_err(|e| {
        if e.kind == ErrorKind::NotFound {
            e.with_arguments(vec![account_id.clone()])
        } else {
            e
        }
    })?;
    let bank = banks::find("bankId", &bank_id, currency)?;
    let address = banks::check_account_number("address", bank, &address)?;
    let now = app.now();
    let mut b = Beneficiary {
        id: 0,
        account_id,
        user_id: p.user_id.clone(),
        mode: p.mode.as_str().into(),
        bank_id,
        address,
        name,
        email,
        label,
        status: RecipientStatus::Pending,
        kind: kind.into(),
        created_at: now,
        updated_at: now,
    };
    let mut tx = app.db.begin().await?;
    b.id = beneficiaries::insert(&mut tx, &b).await?;
    event(&mut tx, &b, now).await?;
    jobs::enqueue(
        app,
        &mut tx,
        INQUIRY_JOB,
        &json!({"beneficiaryId": b.id}),
        now,
    )
    .await?;
    tx.commit().await?;
    jobs::wake(app);
    Ok(b)
}

/// The outbox event of a recipient's current status (`beneficiary.pending` …).
async fn event(conn: &mut Conn, b: &Beneficiary, now: i64) -> Result<(), AppError> {
    let payload = json!({
        "id": b.id, "accountId": b.account_id, "bankId": b.bank_id, "address": b.address,
        "name": b.name, "email": b.email, "label": b.label, "status": b.status, "type": b.kind,
    });
    events::append(
        conn,
        NewEvent {
            kind: &format!("beneficiary.{}", b.status),
            owner_id: &b.user_id,
            mode: &b.mode,
            subject_id: &b.id.to_string(),
            payload: &payload,
        },
        now,
    )
    .await?;
    Ok(())
}

pub fn not_found() -> AppError {
    AppError::not_found("error.beneficiary.not.found", "Recipient not found")
}

pub async fn get(app: &App, p: &Principal, id: i64) -> Result<Beneficiary, AppError> {
    let mut conn = app.db.read.acquire().await?;
    beneficiaries::get(&mut conn, id, &p.user_id, p.mode.as_str())
        .await?
        .ok_or_else(not_found)
}

pub async fn list(
    app: &App,
    p: &Principal,
    account_id: Option<&str>,
    page: crate::pazemo::amounts::Page,
) -> Result<Vec<Beneficiary>, AppError> {
    // A filter naming an account that is not the caller's (in this mode) is 404, as the account
    // itself would be, not an empty list.
    if let Some(id) = account_id {
        accounts::owned(app, p, id).await?;
    }
    Ok(beneficiaries::list(
        &app.db.read,
        &p.user_id,
        p.mode.as_str(),
        account_id,
        page.limit,
        page.offset,
    )
    .await?)
}

pub async fn delete(app: &App, p: &Principal, id: i64) -> Result<(), AppError> {
    let mut tx = app.db.begin().await?;
    if !beneficiaries::soft_delete(&mut tx, id, &p.user_id, p.mode.as_str(), app.now()).await? {
        return Err(not_found());
    }
    tx.commit().await?;
    Ok(())
}

/// Job: asks the network about a pending recipient and records the answer. The network call is
/// made with no transaction open; the status change is conditional, so a rerun changes nothing.
pub async fn run_inquiry(app: &App, payload: &serde_json::Value) -> Result<(), AppError> {
    let id = payload["beneficiaryId"].as_i64().unwrap_or(0);
    let b = {
        let mut conn = app.db.read.acquire().await?;
        beneficiaries::get_any(&mut conn, id).await?
    };
    let Some(mut b) = b.filter(|b| b.status == RecipientStatus::Pending) else {
        return Ok(());
    };
    let mode = crate::pazemo::auth::Mode::parse(&b.mode).unwrap_or(crate::pazemo::auth::Mode::Test);
    let Some(network) = network_for(app, mode) else {
        // No live network: the recipient stays pending until one is configured.
        tracing::warn!(beneficiary = b.id, "no payout network for the inquiry");
        return Ok(());
    };
    let answer = network
        .inquire(&b.bank_id, &b.address)
        .await
        .map_err(AppError::internal)?;
    let (status, name) = match answer {
        Inquiry::Found { holder_name } => (
            RecipientStatus::Active,
            if b.name.is_empty() {
                holder_name
            } else {
                b.name.clone()
            },
        ),
        Inquiry::NotFound => (RecipientStatus::Rejected, b.name.clone()),
    };
    let now = app.now();
    let mut tx = app.db.begin().await?;
    if beneficiaries::settle(&mut tx, b.id, status, &name, now).await? {
        b.status = status;
        b.name = name;
        event(&mut tx, &b, now).await?;
    }
    tx.commit().await?;
    Ok(())
}
