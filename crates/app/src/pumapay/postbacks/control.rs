//! Postback-control: which levels (payment model, product, business, parent PSP) deliver, per
//! business and network. A business without a control row gets everything.
use crate::pumapay::access::{self, Caller, Intent};
use crate::{App, AppError};
use payplane_store::pumapay::postbacks::{self as store, Control};

pub const NETWORKS: [i64; 2] = [1, 3];

/// The switches on one network, or (no network given) those on every network: a switch reads as
/// on only when it is on for both.
pub async fn get(
    app: &App,
    caller: &Caller,
    business_id: &str,
    network_id: Option<i64>,
) -> Result<Control, AppError> {
    access::authorize(app, caller, business_id, Intent::Read).await?;
    read(app, business_id, network_id).await
}

async fn read(app: &App, business_id: &str, network_id: Option<i64>) -> Result<Control, AppError> {
    let mut out = Control::default();
    for n in network_id.map(|n| vec![n]).unwrap_or(NETWORKS.to_vec()) {
        let c = store::control(&app.db.read, business_id, n).await?;
        out.product &= c.product;
        out.payment_model &= c.payment_model;
        out.business &= c.business;
        out.parent_business &= c.parent_business;
    }
    Ok(out)
}

/// Sets the switches on one network, or on both when none is given (the document's body names no
/// network). `change` gets the current switches of each network and returns the new ones.
pub async fn set(
    app: &App,
    caller: &Caller,
    business_id: &str,
    network_id: Option<i64>,
    change: impl Fn(Control) -> Control,
) -> Result<Control, AppError> {
    access::authorize(app, caller, business_id, Intent::Write).await?;
    let networks = network_id.map(|n| vec![n]).unwrap_or(NETWORKS.to_vec());
    let now = app.now();
    let mut tx = app.db.begin().await?;
    for n in networks {
        let current = store::control(&mut *tx, business_id, n).await?;
        store::set_control(&mut tx, business_id, n, change(current), now).await?;
    }
    tx.commit().await?;
    read(app, business_id, network_id).await
}
