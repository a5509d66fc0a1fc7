//! Withdrawals: created `pending` with amount + fee on hold (same transaction), then confirmed
//! (→ `processing`, handed to the payout network) or cancelled (hold released) with a 2FA code.
pub mod group_commit;
pub mod payout_jobs;
pub mod view;

use crate::config::FeeRule;
use crate::limits::{self, Face};
use crate::pazemo::auth::Principal;
use crate::pazemo::payouts::{network_for, network_name};
use crate::{App, AppError, jobs, pazemo::accounts, pazemo::amounts, pazemo::banks, pazemo::twofa};
use group_commit::InsufficientFunds;
use payout_jobs::SUBMIT_JOB;
use payplane_core::Currency;
use payplane_core::ids::new_id;
use payplane_core::kinds::{RecipientStatus, WithdrawalStatus};
use payplane_core::text::TextRule;
use payplane_store::keyset::Window;
use payplane_store::pazemo::beneficiaries;
use payplane_store::pazemo::withdrawals::{self, Withdrawal};
use rust_decimal::{Decimal, RoundingStrategy};
use serde_json::{Value, json};

#[derive(Debug, Default)]
pub struct NewWithdrawal {
    pub beneficiary_id: Option<i64>,
    pub address: Option<String>,
    pub address_name: Option<String>,
    pub prefix: Option<String>,
    pub amount: Option<Value>,
    pub notes: Option<String>,
    pub reference: Option<String>,
    pub reference_data: Option<Value>,
}

/// The fee for withdrawing `amount` minor units under the configured schedule; `None` when it
/// does not fit in minor units.
pub fn fee_for(app: &App, currency: Currency, amount: i64) -> Option<i64> {
    match app.config.payouts.fees.get(currency.code()) {
        Some(rule) => fee(rule, currency, amount),
        None => Some(0),
    }
}

/// `fixed + amount × percent / 100`, in minor units, rounded half up (away from zero); `None`
/// when a step overflows (never a clamped or zero fee).
pub fn fee(rule: &FeeRule, currency: Currency, amount: i64) -> Option<i64> {
    let scale = Decimal::from(10i64.checked_pow(currency.minor_units())?);
    let fixed = rule.fixed.checked_mul(scale)?;
    let variable = Decimal::from(amount)
        .checked_mul(rule.percent)?
        .checked_div(Decimal::ONE_HUNDRED)?;
    fixed
        .checked_add(variable)?
        .round_dp_with_strategy(0, RoundingStrategy::MidpointAwayFromZero)
        .try_into()
        .ok()
}

/// Amount plus fee, the sum a withdrawal holds, within the currency's maximum.
fn held_total(app: &App, currency: Currency, amount: i64) -> Result<(i64, i64), AppError> {
    let too_large = || {
        AppError::field("amount", "error.amount.too.large", "amount is too large").with_arguments(
            vec![amounts::json(amount, currency.minor_units()).to_string()],
        )
    };
    let fee = fee_for(app, currency, amount).ok_or_else(too_large)?;
    let total = amount.checked_add(fee).ok_or_else(too_large)?;
    amounts::within_maximum(app, "amount", total, currency)?;
    Ok((fee, total))
}

pub async fn create(
    app: &App,
    p: &Principal,
    account_id: &str,
    req: NewWithdrawal,
) -> Result<Withdrawal, AppError> {
    let currency = accounts::owned(app, p, account_id).await?;
    let amount = amounts::parse("amount", req.amount.as_ref(), currency)?;
    let (fee, total) = held_total(app, currency, amount)?;
    let notes =
        limits::pazemo_trimmed("notes", &req.notes, TextRule::Multiline { max_chars: 500 })?;
    let reference = limits::pazemo_trimmed(
        "reference",
        &req.reference,
        TextRule::Line { max_chars: 100 },
    )?;
    let reference_data = match req.reference_data {
        None | Some(Value::Null) => json!({}),
        Some(v @ Value::Object(_)) => {
            limits::reference_data(Face::Pazemo, "referenceData", &v)
                .map_err(|d| AppError::fields(vec![d]))?;
            v
        }
        Some(_) => {
            return Err(AppError::field(
                "referenceData",
                "error.referenceData.invalid",
                "referenceData must be an object",
            ));
        }
    };
    // The document's sample sends `"beneficiaryId": 0` next to a direct address: 0 means none.
    let (address, address_name, prefix, beneficiary_id) = match req.beneficiary_id {
        Some(bid) if bid != 0 => {
            let b = {
                let mut conn = app.db.read.acquire().await?;
                beneficiaries::get(&mut conn, bid, &p.user_id, p.mode.as_str()).await?
            }
            .ok_or_else(|| {
                crate::pazemo::beneficiaries::not_found().with_arguments(vec![bid.to_string()])
            })?;
            if b.account_id != account_id {
                return Err(AppError::field(
                    "beneficiaryId",
                    "error.beneficiary.account.mismatch",
                    "This recipient belongs to another of your accounts",
                )
                .with_arguments(vec![bid.to_string()]));
            }
            if b.status != RecipientStatus::Active {
                return Err(AppError::conflict(
                    "error.beneficiary.not.active",
                    format!(
                        "This recipient is {}; only active recipients can receive withdrawals",
                        b.status
                    ),
                )
                .with_arguments(vec![bid.to_string(), b.status.to_string()]));
            }
            (b.address, b.name, b.bank_id, Some(bid))
        }
        _ => {
            let prefix = required("prefix", &req.prefix)?;
            let bank = banks::find("prefix", &prefix, currency)?;
            let address =
                banks::check_account_number("address", bank, &required("address", &req.address)?)?;
            let name = required("addressName", &req.address_name)?;
            (
                address,
                limits::pazemo_trimmed(
                    "addressName",
                    &Some(name),
                    TextRule::Line { max_chars: 100 },
                )?,
                prefix,
                None,
            )
        }
    };
    let now = app.now();
    let mut w = Withdrawal {
        id: new_id(),
        account_id: account_id.to_string(),
        user_id: p.user_id.clone(),
        mode: p.mode.as_str().into(),
        currency: currency.code().into(),
        transaction_id: 0,
        status: WithdrawalStatus::Pending,
        network: network_name(app, p.mode),
        address,
        address_name,
        amount,
        fee_amount: fee,
        notes,
        prefix,
        beneficiary_id,
        reference,
        reference_data,
        failed_attempts: 0,
        network_ref: None,
        failure_reason: None,
        created_at: now,
        updated_at: now,
    };
    w.transaction_id = app
        .group_commit
        .create(w.clone())
        .await?
        .map_err(|InsufficientFunds| {
            AppError::payment_required(
                "error.balance.insufficient",
                "The available balance does not cover the amount plus the fee",
            )
            .with_arguments(vec![
                amounts::json(total, currency.minor_units()).to_string(),
            ])
        })?;
    Ok(w)
}

fn required(field: &str, v: &Option<String>) -> Result<String, AppError> {
    match v.as_deref().map(str::trim) {
        Some(s) if !s.is_empty() => Ok(s.to_string()),
        _ => Err(AppError::field(
            field,
            &format!("error.{field}.required"),
            format!("{field} is required (or give beneficiaryId)"),
        )),
    }
}

pub fn not_found() -> AppError {
    AppError::not_found("error.withdrawal.not.found", "Withdrawal not found")
}

pub async fn get(
    app: &App,
    p: &Principal,
    account_id: &str,
    id: &str,
) -> Result<Withdrawal, AppError> {
    let mut conn = app.db.read.acquire().await?;
    withdrawals::get(&mut conn, id, account_id, &p.user_id, p.mode.as_str())
        .await?
        .ok_or_else(not_found)
}

pub async fn list(
    app: &App,
    p: &Principal,
    account_id: &str,
    status: Option<&str>,
    w: Window,
) -> Result<Vec<Withdrawal>, AppError> {
    accounts::owned(app, p, account_id).await?;
    let status = match status.map(str::trim).filter(|s| !s.is_empty()) {
        None => None,
        Some(s) => Some(s.parse::<WithdrawalStatus>().map_err(|_| {
            AppError::field(
                "status",
                "error.status.invalid",
                "status is pending, processing, succeeded, failed or cancelled",
            )
            .with_arguments(vec![s.to_string()])
        })?),
    };
    Ok(withdrawals::list(&app.db.read, account_id, status, &w).await?)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Action {
    Confirm,
    Cancel,
}

/// The 409 for acting on a withdrawal that is no longer pending.
fn not_pending(w: &Withdrawal, action: Action) -> AppError {
    let (code, message) = match (w.status, action) {
        (WithdrawalStatus::Processing | WithdrawalStatus::Succeeded, _) => (
            "error.withdrawal.already.confirmed",
            "This withdrawal was already confirmed",
        ),
        (WithdrawalStatus::Cancelled, Action::Confirm) => (
            "error.withdrawal.cancelled",
            "This withdrawal was cancelled",
        ),
        (WithdrawalStatus::Cancelled, Action::Cancel) => (
            "error.withdrawal.already.cancelled",
            "This withdrawal was already cancelled",
        ),
        _ => ("error.withdrawal.failed", "This withdrawal has failed"),
    };
    AppError::conflict(code, message).with_arguments(vec![w.status.to_string()])
}

/// Checks the authorization code; a wrong one is counted, and the last allowed wrong one
/// cancels the withdrawal and releases its hold.
async fn authorize(
    app: &App,
    p: &Principal,
    w: &Withdrawal,
    code: Option<&str>,
    action: Action,
) -> Result<(), AppError> {
    let code = code.map(str::trim).unwrap_or("");
    if code.is_empty() {
        return Err(AppError::field(
            "authorizationCode",
            "error.authorizationCode.required",
            "authorizationCode is required",
        ));
    }
    match twofa::verify(app, p, code).await? {
        twofa::Verdict::Valid => return Ok(()),
        twofa::Verdict::Replayed => {
            return Err(AppError::field(
                "authorizationCode",
                "error.authorizationCode.used",
                "This code was already used; wait for the next one",
            ));
        }
        twofa::Verdict::Invalid => {}
    }
    if !twofa::enrolled(app, &p.user_id).await? {
        return Err(AppError::field(
            "authorizationCode",
            "error.2fa.not.enrolled",
            "Enroll an authenticator at POST /users/me/2fa first (test mode also accepts 000000)",
        ));
    }
    let now = app.now();
    let max = app.config.payouts.max_code_attempts;
    let mut tx = app.db.begin().await?;
    let Some(attempts) = withdrawals::count_failed_attempt(&mut tx, &w.id, now).await? else {
        drop(tx);
        return Err(not_pending(&reload(app, w).await?, action));
    };
    if attempts >= max {
        payout_jobs::finish_unpaid(
            &mut tx,
            w,
            WithdrawalStatus::Pending,
            WithdrawalStatus::Cancelled,
            Some("too many wrong codes"),
            now,
        )
        .await?;
        tx.commit().await?;
        return Err(AppError::field(
            "authorizationCode",
            "error.authorizationCode.attempts.exceeded",
            format!("{max} wrong codes: the withdrawal was cancelled and its funds released"),
        ));
    }
    tx.commit().await?;
    Err(AppError::field(
        "authorizationCode",
        "error.authorizationCode.invalid",
        "The authorization code is wrong or expired",
    )
    .with_arguments(vec![(max - attempts).to_string()]))
}

async fn reload(app: &App, w: &Withdrawal) -> Result<Withdrawal, AppError> {
    let mut conn = app.db.read.acquire().await?;
    withdrawals::get_any(&mut conn, &w.id)
        .await?
        .ok_or_else(not_found)
}

pub async fn confirm(
    app: &App,
    p: &Principal,
    account_id: &str,
    id: &str,
    code: Option<&str>,
) -> Result<Withdrawal, AppError> {
    let w = get(app, p, account_id, id).await?;
    if w.status != WithdrawalStatus::Pending {
        return Err(not_pending(&w, Action::Confirm));
    }
    authorize(app, p, &w, code, Action::Confirm).await?;
    let now = app.now();
    let mut tx = app.db.begin().await?;
    if network_for(app, p.mode).is_none() {
        let failed = payout_jobs::finish_unpaid(
            &mut tx,
            &w,
            WithdrawalStatus::Pending,
            WithdrawalStatus::Failed,
            Some("no payout network configured"),
            now,
        )
        .await?;
        if !failed {
            drop(tx);
            return Err(not_pending(&reload(app, &w).await?, Action::Confirm));
        }
        tx.commit().await?;
        return Err(AppError::payment_required(
            "error.network.not.configured",
            "No payout network is configured for live mode; the withdrawal failed and its funds were released",
        ));
    }
    if !withdrawals::transition(
        &mut tx,
        &w.id,
        WithdrawalStatus::Pending,
        WithdrawalStatus::Processing,
        None,
        now,
    )
    .await?
    {
        drop(tx);
        return Err(not_pending(&reload(app, &w).await?, Action::Confirm));
    }
    let mut w = w;
    w.status = WithdrawalStatus::Processing;
    w.updated_at = now;
    payout_jobs::event(&mut tx, &w, now).await?;
    jobs::enqueue(
        app,
        &mut tx,
        SUBMIT_JOB,
        &json!({"withdrawalId": w.id}),
        now,
    )
    .await?;
    tx.commit().await?;
    jobs::wake(app);
    Ok(w)
}

pub async fn cancel(
    app: &App,
    p: &Principal,
    account_id: &str,
    id: &str,
    code: Option<&str>,
) -> Result<Withdrawal, AppError> {
    let w = get(app, p, account_id, id).await?;
    if w.status != WithdrawalStatus::Pending {
        return Err(not_pending(&w, Action::Cancel));
    }
    authorize(app, p, &w, code, Action::Cancel).await?;
    let now = app.now();
    let mut tx = app.db.begin().await?;
    if !payout_jobs::finish_unpaid(
        &mut tx,
        &w,
        WithdrawalStatus::Pending,
        WithdrawalStatus::Cancelled,
        None,
        now,
    )
    .await?
    {
        drop(tx);
        return Err(not_pending(&reload(app, &w).await?, Action::Cancel));
    }
    tx.commit().await?;
    reload(app, &w).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fees_are_fixed_plus_percent_rounded_half_up() {
        let rule = FeeRule {
            fixed: "0.50".parse().unwrap(),
            percent: "0.5".parse().unwrap(),
        };
        // 100.00 USD: 0.50 + 0.50.
        assert_eq!(fee(&rule, Currency::USD, 10_000), Some(100));
        // 1.01 USD: 0.50 + 0.00505 → 0.51 (0.505 cents rounds up).
        assert_eq!(fee(&rule, Currency::USD, 101), Some(51));
        // 0.99 USD: 0.50 + 0.00495 → 0.50.
        assert_eq!(fee(&rule, Currency::USD, 99), Some(50));
        let idr = FeeRule {
            fixed: "2500".parse().unwrap(),
            percent: "0".parse().unwrap(),
        };
        assert_eq!(fee(&idr, Currency::IDR, 15_000_000), Some(250_000));
    }
}
