//! Earnings: what the business's successful pulls brought per day over the last 30 days, in one
//! currency on one network, drawn server-side as an SVG bar chart (no script), beside the number
//! of active customers. The figures come from the store's per-day sums of the successful pulls
//! (`transactions::daily_earnings`, the same rows as the transactions report) and the products'
//! statistics (`products/all/…`).
use super::session::BusinessSession;
use crate::web::format;
use crate::web::layout::Layout;
use crate::web::{Ctx, WebError, page};
use askama::Template;
use axum::extract::{Query, State};
use axum::response::Response;
use payplane_app::App;
use payplane_app::pumapay::paging::PageQuery;
use payplane_app::pumapay::products::{self, ListQuery};
use payplane_app::pumapay::pull_payments::requests::money;
use payplane_app::pumapay::transactions;
use serde::Deserialize;

/// Days the chart shows, today included.
const DAYS: i64 = 30;
/// The chart's drawing box (the SVG scales to the page's width).
const WIDTH: i64 = 720;
const HEIGHT: i64 = 220;
const TOP: i64 = 16;
const BOTTOM: i64 = 24;

/// One bar: its day and what it drew.
pub struct Bar {
    pub x: i64,
    pub y: i64,
    pub width: i64,
    pub height: i64,
    pub label: String,
}

pub struct Chart {
    pub bars: Vec<Bar>,
    pub max: String,
    pub first_day: String,
    pub last_day: String,
    pub baseline: i64,
    pub top: i64,
    pub width: i64,
    pub height: i64,
}

/// Bars of `cents` per day (oldest first), scaled to the tallest.
pub fn chart(days: &[(String, i64)], currency: &str) -> Chart {
    let max = days.iter().map(|(_, v)| *v).max().unwrap_or(0).max(1);
    let n = days.len().max(1) as i64;
    let slot = WIDTH / n;
    let plot = HEIGHT - TOP - BOTTOM;
    let bars = days
        .iter()
        .enumerate()
        .map(|(i, (day, cents))| {
            // i128: a day's earnings times the plot height cannot overflow.
            let h = (*cents as i128 * plot as i128 / max as i128) as i64;
            Bar {
                x: i as i64 * slot + 1,
                y: HEIGHT - BOTTOM - h,
                width: (slot - 2).max(1),
                height: h,
                label: format!("{day}: {}", money(*cents, currency)),
            }
        })
        .collect();
    Chart {
        bars,
        max: money(max, currency),
        first_day: days.first().map(|d| d.0.clone()).unwrap_or_default(),
        last_day: days.last().map(|d| d.0.clone()).unwrap_or_default(),
        baseline: HEIGHT - BOTTOM,
        top: TOP,
        width: WIDTH,
        height: HEIGHT,
    }
}

#[derive(Template)]
#[template(path = "console/earnings.html")]
struct EarningsPage {
    layout: Layout,
    network: &'static str,
    currency: String,
    currencies: Vec<&'static str>,
    chart: Chart,
    total: String,
    active_customers: i64,
}

#[derive(Deserialize, Default)]
pub struct EarningsQuery {
    #[serde(default)]
    network: String,
    #[serde(default)]
    currency: String,
}

pub async fn show(
    State(app): State<App>,
    s: BusinessSession,
    ctx: Ctx,
    Query(q): Query<EarningsQuery>,
) -> Result<Response, WebError> {
    let (network, network_id) = if q.network.trim() == "1" {
        ("1", 1)
    } else {
        ("3", 3)
    };
    let currencies = super::models::model_form_choices().1;
    let currency = currencies
        .iter()
        .find(|c| **c == q.currency.trim())
        .copied()
        .unwrap_or("USD");
    let day_secs = 86_400;
    let today = app.now() / 1_000_000 / day_secs;
    let first = today - DAYS + 1;
    let mut per_day = vec![0i64; DAYS as usize];
    let totals = transactions::daily_earnings(
        &app,
        &s.caller(),
        s.id(),
        network_id,
        currency,
        first * day_secs,
    )
    .await?;
    for (day, cents) in totals {
        if let Some(slot) = usize::try_from(day - first)
            .ok()
            .and_then(|i| per_day.get_mut(i))
        {
            *slot += cents;
        }
    }
    let days: Vec<(String, i64)> = per_day
        .iter()
        .enumerate()
        .map(|(i, v)| {
            let micros = (first + i as i64) * day_secs * 1_000_000;
            (format::time(micros)[..10].to_string(), *v)
        })
        .collect();
    let pq = ListQuery {
        page: PageQuery {
            items_per_page: Some(100),
            ..PageQuery::default()
        },
        ..ListQuery::default()
    };
    let active_customers = products::list(&app, &s.caller(), s.id(), network_id, pq)
        .await?
        .iter()
        .map(|(_, st)| st.active_customers)
        .sum();
    page(&EarningsPage {
        layout: Layout::console(ctx, &s, "earnings", "Earnings"),
        network,
        currency: currency.into(),
        currencies,
        total: money(per_day.iter().sum(), currency),
        chart: chart(&days, currency),
        active_customers,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bars_scale_to_the_tallest_day() {
        let c = chart(
            &[
                ("2026-01-01".into(), 0),
                ("2026-01-02".into(), 500),
                ("2026-01-03".into(), 1000),
            ],
            "USD",
        );
        assert_eq!(c.bars[0].height, 0);
        assert_eq!(c.bars[2].height, HEIGHT - TOP - BOTTOM);
        assert_eq!(c.bars[1].height * 2, c.bars[2].height);
        assert_eq!(c.bars[2].y + c.bars[2].height, c.baseline);
        assert_eq!(c.max, "10.00 USD");
        assert_eq!(c.bars[1].label, "2026-01-02: 5.00 USD");
    }
}
