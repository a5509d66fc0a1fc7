//! Payout networks: where confirmed withdrawals are sent and where recipients' bank accounts are
//! looked up. Test mode always uses the sandbox network (reported as `flip`, the document's
//! network name); live mode uses the network named in configuration.
use crate::App;
use crate::pazemo::auth::Mode;
use futures::future::BoxFuture;

/// A payout as handed to a network.
#[derive(Debug, Clone)]
pub struct PayoutOrder {
    pub withdrawal_id: String,
    pub currency: String,
    pub amount: i64,
    pub bank_id: String,
    pub account_number: String,
    pub account_name: String,
    /// When the network accepted it (set once submitted).
    pub submitted_at: i64,
    pub network_ref: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PayoutStatus {
    Processing,
    Succeeded,
    Failed(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Inquiry {
    /// The account exists; the network reports its holder's name.
    Found {
        holder_name: String,
    },
    NotFound,
}

#[derive(Debug, thiserror::Error)]
#[error("payout network error: {0}")]
pub struct NetworkError(pub String);

/// A payout network. Calls are made by background jobs outside any database transaction.
pub trait PayoutNetwork: Send + Sync {
    /// Name shown as the withdrawal's `network`.
    fn name(&self) -> &'static str;
    /// Hands a payout over; returns the network's reference for it.
    fn submit<'a>(&'a self, order: &'a PayoutOrder) -> BoxFuture<'a, Result<String, NetworkError>>;
    fn status<'a>(
        &'a self,
        order: &'a PayoutOrder,
        now: i64,
    ) -> BoxFuture<'a, Result<PayoutStatus, NetworkError>>;
    /// Looks up a bank account before it may receive payouts.
    fn inquire<'a>(
        &'a self,
        bank_id: &'a str,
        account_number: &'a str,
    ) -> BoxFuture<'a, Result<Inquiry, NetworkError>>;
}

/// The sandbox: settles `settle_secs` after submission; an amount ending in `.13` fails, an
/// account number ending in `0000` does not exist. Deterministic, so tests and newcomers can
/// exercise every path.
pub struct Sandbox {
    pub settle_secs: i64,
}

impl PayoutNetwork for Sandbox {
    fn name(&self) -> &'static str {
        "flip"
    }

    fn submit<'a>(&'a self, order: &'a PayoutOrder) -> BoxFuture<'a, Result<String, NetworkError>> {
        Box::pin(async move { Ok(format!("sbx_{}", order.withdrawal_id)) })
    }

    fn status<'a>(
        &'a self,
        order: &'a PayoutOrder,
        now: i64,
    ) -> BoxFuture<'a, Result<PayoutStatus, NetworkError>> {
        Box::pin(async move {
            Ok(if now < order.submitted_at + self.settle_secs * 1_000_000 {
                PayoutStatus::Processing
            } else if order.amount % 100 == 13 {
                PayoutStatus::Failed(
                    "sandbox: amounts ending in .13 are refused by the bank".into(),
                )
            } else {
                PayoutStatus::Succeeded
            })
        })
    }

    fn inquire<'a>(
        &'a self,
        _bank_id: &'a str,
        account_number: &'a str,
    ) -> BoxFuture<'a, Result<Inquiry, NetworkError>> {
        Box::pin(async move {
            Ok(if account_number.ends_with("0000") {
                Inquiry::NotFound
            } else {
                let tail = &account_number[account_number.len().saturating_sub(4)..];
                Inquiry::Found {
                    holder_name: format!("SANDBOX HOLDER {tail}"),
                }
            })
        })
    }
}

/// The network for a mode, or None when live mode has none configured.
pub fn network_for(app: &App, mode: Mode) -> Option<Box<dyn PayoutNetwork>> {
    let sandbox = || -> Box<dyn PayoutNetwork> {
        Box::new(Sandbox {
            settle_secs: app.config.payouts.sandbox_settle_secs,
        })
    };
    match mode {
        Mode::Test => Some(sandbox()),
        Mode::Live => match app.config.payouts.live_network.as_deref() {
            Some("sandbox") => Some(sandbox()),
            _ => None,
        },
    }
}

/// The `network` a new withdrawal in `mode` reports.
pub fn network_name(app: &App, mode: Mode) -> String {
    network_for(app, mode)
        .map(|n| n.name().to_string())
        .unwrap_or_else(|| "none".into())
}
