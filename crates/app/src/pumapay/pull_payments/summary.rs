//! A pull-payment request as the customer sees it before a wallet is connected (the pay page),
//! and how the payment signed from it is doing. Nothing here fixes the request's terms: only
//! the wallet's read does (`requests::wallet_view`), so opening the page in a browser starts
//! no clock.
use super::requests::{self, Schedule};
use crate::{App, AppError};
use payplane_core::kinds::PullPaymentStatus;
use payplane_store::pumapay::pull_payments as store;
use rust_decimal::Decimal;
use serde::Serialize;
use utoipa::ToSchema;

/// Where a request stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RequestState {
    /// It can be signed until `expires_at`.
    Open,
    /// Past its lifetime, unsigned: the merchant must make a new QR code.
    Expired,
    /// Signed once already: the pull payment exists.
    Used,
}

impl RequestState {
    pub fn as_str(self) -> &'static str {
        match self {
            RequestState::Open => "open",
            RequestState::Expired => "expired",
            RequestState::Used => "used",
        }
    }
}

/// The pull payment a request became.
#[derive(Debug, Clone)]
pub struct PaymentProgress {
    pub id: String,
    pub status: PullPaymentStatus,
    /// Why it stopped, failed or was cancelled.
    pub reason: Option<String>,
}

/// What the pay page shows: the terms in words and figures, and the network to sign on.
pub struct Summary {
    pub request_id: String,
    pub state: RequestState,
    /// Microseconds: until when the request can be signed.
    pub expires_at: i64,
    pub payment: Option<PaymentProgress>,
    pub merchant: String,
    pub product: String,
    pub title: Option<String>,
    pub description: Option<String>,
    pub schedule: Schedule,
    /// The schedule in words, exactly as the wallet's `terms.schedule` says it.
    pub schedule_words: String,
    /// Price of one PMA in the schedule's currency, and where it came from.
    pub rate: Decimal,
    pub rate_source: String,
    pub network_id: i64,
    pub chain_id: u64,
    /// The server serves this network's JSON-RPC (`/api/v2/open-auth/rpc/{id}`), so a wallet
    /// can be told to add it.
    pub public_rpc: bool,
    /// The network has a faucet (`/api/v2/open-auth/faucet`).
    pub faucet: bool,
}

impl Summary {
    /// `cents` of the schedule's currency in PMA at the page's rate, to two decimals: an
    /// estimate for people (each pull converts at its own time's rate).
    pub fn pma(&self, cents: i64) -> String {
        Decimal::new(cents, 2)
            .checked_div(self.rate)
            .map(|d| format!("{:.2}", d.round_dp(2)))
            .unwrap_or_default()
    }
}

/// A status as a word ("running", "processing"), for people.
pub fn status_name(s: PullPaymentStatus) -> String {
    format!("{s:?}").to_lowercase()
}

fn state(app: &App, r: &payplane_store::pumapay::pull_payments::Request) -> RequestState {
    if r.used_at.is_some() {
        RequestState::Used
    } else if requests::check_open(app, r).is_err() {
        RequestState::Expired
    } else {
        RequestState::Open
    }
}

async fn progress(
    app: &App,
    r: &payplane_store::pumapay::pull_payments::Request,
) -> Result<Option<PaymentProgress>, AppError> {
    let Some(id) = &r.pull_payment_id else {
        return Ok(None);
    };
    Ok(store::get(&app.db.read, id)
        .await?
        .map(|p| PaymentProgress {
            id: p.id,
            status: p.status,
            reason: p.status_reason,
        }))
}

/// The request `id` for the pay page, in any state. Refused (as the wallet's read is) when it
/// does not exist, its model is no longer approved or its business is disabled.
pub async fn summary(app: &App, id: &str) -> Result<Summary, AppError> {
    let request = requests::request(app, id).await?;
    let state = state(app, &request);
    let payment = progress(app, &request).await?;
    let c = requests::context(app, &request).await?;
    Ok(Summary {
        request_id: request.id.clone(),
        state,
        expires_at: request.expires_at,
        payment,
        merchant: requests::merchant_name(&c.business),
        product: c.product_name,
        title: request.title.clone().or_else(|| c.model.title.clone()),
        description: request
            .description
            .clone()
            .or_else(|| c.model.description.clone()),
        schedule_words: c.schedule.words(),
        schedule: c.schedule,
        rate: c.rate.price,
        rate_source: c.rate.source,
        network_id: c.network.id,
        chain_id: c.network.chain.chain_id(),
        public_rpc: c.network.rpc.is_some(),
        faucet: c.network.faucet.is_some(),
    })
}

/// `GET …/pull-payment-requests/{id}/status`: where the request stands and, once signed, the
/// status of its pull payment, for the pay page (or a wallet) to follow.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct RequestStatus {
    #[serde(rename = "requestID")]
    pub request_id: String,
    /// `open`, `expired` or `used` (signed).
    pub state: String,
    /// The pull payment written when the request was signed.
    #[serde(rename = "pullPaymentID")]
    pub pull_payment_id: Option<String>,
    /// The pull payment's status (1 initial, 2 running, 3 stopped, 4 cancelled, 5 done,
    /// 6 processing, 7 failed).
    pub status: Option<i64>,
    /// Why it stopped, failed or was cancelled.
    pub status_reason: Option<String>,
    /// Until when the request can be signed (ISO 8601).
    pub request_expires_at: String,
}

/// The request's state and its payment's status; the request's id is the only credential, as
/// for the wallet's routes.
pub async fn status(app: &App, id: &str) -> Result<RequestStatus, AppError> {
    let request = requests::request(app, id).await?;
    let payment = progress(app, &request).await?;
    Ok(RequestStatus {
        request_id: request.id.clone(),
        state: state(app, &request).as_str().to_string(),
        pull_payment_id: payment.as_ref().map(|p| p.id.clone()),
        status: payment.as_ref().map(|p| p.status.id()),
        status_reason: payment.and_then(|p| p.reason),
        request_expires_at: payplane_core::timefmt::iso_millis(request.expires_at),
    })
}
