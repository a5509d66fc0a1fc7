//! Conversion between two of the user's own accounts: a quote fixes rate, fee and amounts until
//! it expires; converting it moves the money in one ledger transaction through the platform's
//! per-currency FX accounts. All arithmetic is exact decimal, never floating point.
use crate::pazemo::auth::Principal;
use crate::{App, AppError, pazemo::accounts, pazemo::amounts};
use payplane_core::ids::new_id;
use payplane_core::ledger::Posting;
use payplane_store::ledger;
use payplane_store::pazemo::accounts::main_ledger;
use payplane_store::pazemo::quotes::{self, CONVERTED, OPEN, Quote};
use rust_decimal::{Decimal, RoundingStrategy};
use serde_json::Value;

#[derive(Debug, Default)]
pub struct NewQuote {
    pub source_account_id: Option<String>,
    pub target_account_id: Option<String>,
    pub source_amount: Option<Value>,
    pub target_amount: Option<Value>,
}

fn unsupported(pair: &str) -> AppError {
    AppError::bad_request("error.route.not.supported", "This route is not supported")
        .with_arguments(vec![pair.to_string()])
}

/// Target units per source unit for `SRC-TGT`, from configuration.
pub fn rate(app: &App, source: &str, target: &str) -> Result<Decimal, AppError> {
    let pair = format!("{source}-{target}");
    if source == target {
        return Err(unsupported(&pair));
    }
    app.config
        .fx
        .rates
        .get(&pair)
        .copied()
        .ok_or_else(|| unsupported(&pair))
}

fn id_field(field: &str, v: &Option<String>) -> Result<String, AppError> {
    match v.as_deref().map(str::trim) {
        Some(s) if !s.is_empty() => Ok(s.to_string()),
        _ => Err(AppError::field(
            field,
            &format!("error.{field}.required"),
            format!("{field} is required"),
        )),
    }
}

/// Prices a conversion. With `sourceAmount` S: fee = S × fee% (half up), target = (S − fee) ×
/// rate rounded down. With `targetAmount` T: the smallest S whose net converts to at least T.
pub async fn quote(app: &App, p: &Principal, req: NewQuote) -> Result<Quote, AppError> {
    let src_id = id_field("sourceAccountId", &req.source_account_id)?;
    let tgt_id = id_field("targetAccountId", &req.target_account_id)?;
    let src = accounts::get(app, p, &p.user_id, &src_id).await?;
    let tgt = accounts::get(app, p, &p.user_id, &tgt_id).await?;
    let (sc, tc) = (accounts::currency_of(&src)?, accounts::currency_of(&tgt)?);
    let r = rate(app, sc.code(), tc.code())?;
    let given = match (&req.source_amount, &req.target_amount) {
        (Some(s), None) => Given::Source(amounts::parse("sourceAmount", Some(s), sc)?),
        (None, Some(t)) => Given::Target(amounts::parse("targetAmount", Some(t), tc)?),
        _ => {
            return Err(AppError::field(
                "sourceAmount",
                "error.amount.one.required",
                "Give exactly one of sourceAmount and targetAmount",
            ));
        }
    };
    // The amount asked for is checked before pricing, so it is refused for what it is rather
    // than for what it would convert to.
    match given {
        Given::Source(s) => amounts::within_maximum(app, "sourceAmount", s, sc)?,
        Given::Target(t) => amounts::within_maximum(app, "targetAmount", t, tc)?,
    }
    let Priced {
        source,
        fee,
        target,
    } = price(
        given,
        r,
        app.config.fx.fee_percent,
        sc.minor_units(),
        tc.minor_units(),
    )
    .map_err(|side| {
        AppError::field(
            side.field(),
            "error.amount.too.large",
            format!("{} is too large to convert", side.field()),
        )
    })?;
    if target <= 0 || source <= 0 {
        return Err(AppError::field(
            "sourceAmount",
            "error.amount.too.small",
            "The amount is too small to convert",
        ));
    }
    amounts::within_maximum(app, "sourceAmount", source, sc)?;
    amounts::within_maximum(app, "targetAmount", target, tc)?;
    let now = app.now();
    let q = Quote {
        id: new_id(),
        user_id: p.user_id.clone(),
        mode: p.mode.as_str().into(),
        source_account_id: src.id,
        target_account_id: tgt.id,
        source_currency: sc.code().into(),
        target_currency: tc.code().into(),
        rate: r.normalize().to_string(),
        source_amount: source,
        target_amount: target,
        fee_amount: fee,
        status: OPEN.into(),
        transaction_id: None,
        expires_at: now + app.config.fx.quote_ttl_secs * 1_000_000,
        created_at: now,
        updated_at: now,
    };
    let mut tx = app.db.begin().await?;
    quotes::insert(&mut tx, &q).await?;
    tx.commit().await?;
    Ok(q)
}

/// The amount a quote is asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Given {
    Source(i64),
    Target(i64),
}

/// A priced conversion, in minor units of each side.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Priced {
    pub source: i64,
    pub fee: i64,
    pub target: i64,
}

/// The side whose amount does not fit in minor units (i64).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    Source,
    Target,
}

impl Side {
    pub fn field(self) -> &'static str {
        match self {
            Side::Source => "sourceAmount",
            Side::Target => "targetAmount",
        }
    }
}

/// Prices a conversion, exactly. With a source amount S: fee = S × fee% (half up), target =
/// (S − fee) × rate rounded down. With a target T: the smallest S whose net converts to at least
/// T. Every step is checked: a result that does not fit is an error naming its side, never a
/// clamped value.
pub fn price(
    given: Given,
    rate: Decimal,
    fee_percent: Decimal,
    source_units: u32,
    target_units: u32,
) -> Result<Priced, Side> {
    let su = Decimal::from(10i64.checked_pow(source_units).ok_or(Side::Source)?);
    let tu = Decimal::from(10i64.checked_pow(target_units).ok_or(Side::Target)?);
    let pct = fee_percent
        .checked_div(Decimal::ONE_HUNDRED)
        .ok_or(Side::Source)?;
    let minor = |d: Decimal, side: Side| -> Result<i64, Side> { d.try_into().map_err(|_| side) };
    // Target minor units that `net` source minor units buy, rounded down.
    let converts_to = |net: Decimal| -> Result<Decimal, Side> {
        net.checked_div(su)
            .and_then(|v| v.checked_mul(rate))
            .and_then(|v| v.checked_mul(tu))
            .map(|v| v.floor())
            .ok_or(Side::Target)
    };
    match given {
        Given::Source(s) => {
            let fee = Decimal::from(s)
                .checked_mul(pct)
                .ok_or(Side::Source)?
                .round_dp_with_strategy(0, RoundingStrategy::MidpointAwayFromZero);
            let fee = minor(fee, Side::Source)?;
            let net = s.checked_sub(fee).ok_or(Side::Source)?;
            let t = converts_to(Decimal::from(net))?;
            Ok(Priced {
                source: s,
                fee,
                target: minor(t, Side::Target)?,
            })
        }
        Given::Target(t) => {
            let mut net = Decimal::from(t)
                .checked_div(tu)
                .and_then(|v| v.checked_div(rate))
                .and_then(|v| v.checked_mul(su))
                .ok_or(Side::Source)?
                .ceil();
            // A quotient rounded at Decimal's 28 digits can land one unit short.
            if converts_to(net).map_err(|_| Side::Source)? < Decimal::from(t) {
                net = net.checked_add(Decimal::ONE).ok_or(Side::Source)?;
            }
            let s = Decimal::ONE
                .checked_sub(pct)
                .and_then(|keep| net.checked_div(keep))
                .ok_or(Side::Source)?
                .ceil();
            let source = minor(s, Side::Source)?;
            let fee = source
                .checked_sub(minor(net, Side::Source)?)
                .ok_or(Side::Source)?;
            Ok(Priced {
                source,
                fee,
                target: t,
            })
        }
    }
}

pub async fn get(app: &App, p: &Principal, id: &str) -> Result<Quote, AppError> {
    let mut conn = app.db.read.acquire().await?;
    quotes::get(&mut conn, id, &p.user_id, p.mode.as_str())
        .await?
        .ok_or_else(|| AppError::not_found("error.quote.not.found", "Quote not found"))
}

/// The postings of converting `q`: source main → platform FX (source currency) and fee revenue;
/// platform FX (target currency) → target main. `fees` is the revenue account, when there is a
/// fee. A quote's fee never exceeds its source amount (`price`), so the subtraction holds.
pub fn conversion_postings(
    q: &Quote,
    fx_src: String,
    fx_tgt: String,
    fees: Option<String>,
) -> Vec<Posting> {
    let mut postings = vec![
        Posting::new(
            main_ledger(&q.source_account_id),
            &q.source_currency,
            -q.source_amount,
        ),
        Posting::new(fx_src, &q.source_currency, q.source_amount - q.fee_amount),
        Posting::new(fx_tgt, &q.target_currency, -q.target_amount),
        Posting::new(
            main_ledger(&q.target_account_id),
            &q.target_currency,
            q.target_amount,
        ),
    ];
    if let Some(fees) = fees.filter(|_| q.fee_amount > 0) {
        postings.push(Posting::new(fees, &q.source_currency, q.fee_amount));
    }
    postings
}

/// Converts a quote: source main → platform FX (source currency) and fee revenue; platform FX
/// (target currency) → target main. One ledger transaction, so either all of it or none.
pub async fn convert(app: &App, p: &Principal, id: &str) -> Result<Quote, AppError> {
    let q = get(app, p, id).await?;
    let now = app.now();
    if q.status == CONVERTED {
        return Err(AppError::conflict(
            "error.quote.already.converted",
            "This quote was already converted",
        ));
    }
    if now >= q.expires_at {
        return Err(AppError::conflict(
            "error.quote.expired",
            "This quote has expired; ask for a new one",
        ));
    }
    let mode = q.mode.as_str();
    let mut tx = app.db.begin().await?;
    let fx_src = accounts::ensure_platform(&mut tx, mode, "fx", &q.source_currency, now).await?;
    let fx_tgt = accounts::ensure_platform(&mut tx, mode, "fx", &q.target_currency, now).await?;
    let fees = match q.fee_amount > 0 {
        true => {
            Some(accounts::ensure_platform(&mut tx, mode, "fees", &q.source_currency, now).await?)
        }
        false => None,
    };
    let postings = conversion_postings(&q, fx_src, fx_tgt, fees);
    let txn = ledger::post(&mut tx, "conversion", mode, &q.id, &postings, now)
        .await
        .map_err(|e| match e {
            payplane_store::StoreError::InsufficientFunds => AppError::payment_required(
                "error.balance.insufficient",
                "The available balance of the source account does not cover the conversion",
            ),
            e => e.into(),
        })?;
    if !quotes::mark_converted(&mut tx, &q.id, txn, now).await? {
        drop(tx);
        return Err(AppError::conflict(
            "error.quote.already.converted",
            "This quote was already converted",
        ));
    }
    tx.commit().await?;
    get(app, p, id).await
}
