//! The customer's pay page: the QR code's URL opened in a browser. The same URL answers the
//! wallet's JSON to everyone else (`pull_payment_requests::read`); a browser, which prefers
//! `text/html`, gets this page: the merchant, the product, the terms in words and figures, and
//! a small script (`assets/pay.js`) that connects an EIP-1193 wallet, signs the consent and the
//! permit with `eth_signTypedData_v4`, posts them to the JSON route and follows the payment's
//! status. The page reads the request without fixing its terms (`summary`): only the wallet's
//! read, once an address is known, does.
use super::pull_payment_requests::base_url;
use askama::Template;
use axum::Router;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use base64::Engine as _;
use payplane_app::pumapay::pull_payments::requests::{duration_words, money, wallet_path};
use payplane_app::pumapay::pull_payments::summary::{self, RequestState, Summary};
use payplane_app::{App, AppError};
use payplane_core::kinds::PaymentModelType;
use sha2::{Digest, Sha256};
use std::sync::LazyLock;

/// The page's script and style, embedded in the binary.
const PAY_JS: &str = include_str!("../../assets/pay.js");
const PAY_CSS: &str = include_str!("../../assets/pay.css");
const JS_PATH: &str = "/pay/assets/pay.js";
const CSS_PATH: &str = "/pay/assets/pay.css";

/// `sha256-…` of an asset, for the page's Subresource Integrity attributes and its CSP.
fn integrity(body: &str) -> String {
    let digest = Sha256::digest(body.as_bytes());
    format!(
        "sha256-{}",
        base64::engine::general_purpose::STANDARD.encode(digest)
    )
}

static JS_INTEGRITY: LazyLock<String> = LazyLock::new(|| integrity(PAY_JS));
static CSS_INTEGRITY: LazyLock<String> = LazyLock::new(|| integrity(PAY_CSS));

/// The page's policy: its one script (by hash, so no other script of this origin runs) and its
/// one style sheet; it may call this origin only (the wallet routes, the faucet). No inline
/// script or style, no other site, no frames, no forms.
fn page_csp() -> String {
    format!(
        "default-src 'none'; script-src '{}'; style-src 'self'; img-src 'self'; connect-src 'self'; \
         base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
        *JS_INTEGRITY
    )
}

/// The page's asset routes (not API operations: left out of the OpenAPI document).
pub fn routes() -> Router<App> {
    Router::new()
        .route(JS_PATH, get(script))
        .route(CSS_PATH, get(style))
}

fn asset(content_type: &'static str, body: &'static str) -> Response {
    let mut res = body.into_response();
    let h = res.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'none'; frame-ancestors 'none'"),
    );
    // Small and embedded: revalidating costs nothing, and a new binary is never shadowed.
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    res
}

async fn script() -> Response {
    asset("text/javascript; charset=utf-8", PAY_JS)
}

async fn style() -> Response {
    asset("text/css; charset=utf-8", PAY_CSS)
}

/// Whether the client prefers HTML to JSON (`Accept`, with q-values): browsers ask for
/// `text/html` first; `fetch`, curl and wallets send `*/*` or `application/json`, and a tie
/// keeps the JSON the route always answered.
pub fn wants_html(headers: &HeaderMap) -> bool {
    let accept = headers
        .get_all(header::ACCEPT)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .collect::<Vec<_>>()
        .join(",");
    let html = quality(&accept, "text", "html");
    html > 0.0 && html > quality(&accept, "application", "json")
}

/// The q-value `accept` gives `kind/sub`: that of the most specific matching range (RFC 9110
/// §12.5.1), 0 when none matches.
fn quality(accept: &str, kind: &str, sub: &str) -> f32 {
    let mut best: Option<(u8, f32)> = None;
    for item in accept.split(',') {
        let mut parts = item.split(';').map(str::trim);
        let Some((t, s)) = parts.next().and_then(|r| r.split_once('/')) else {
            continue;
        };
        let specificity = match (t, s) {
            (t, s) if t.eq_ignore_ascii_case(kind) && s.eq_ignore_ascii_case(sub) => 3,
            (t, "*") if t.eq_ignore_ascii_case(kind) => 2,
            ("*", "*") => 1,
            _ => continue,
        };
        let q = parts
            .filter_map(|p| p.split_once('='))
            .find(|(k, _)| k.trim().eq_ignore_ascii_case("q"))
            .and_then(|(_, v)| v.trim().parse::<f32>().ok())
            .unwrap_or(1.0)
            .clamp(0.0, 1.0);
        if best.is_none_or(|(sp, _)| specificity > sp) {
            best = Some((specificity, q));
        }
    }
    best.map_or(0.0, |(_, q)| q)
}

/// One line of the terms.
struct Row {
    label: &'static str,
    value: String,
    /// A smaller second line: the amount in PMA at today's rate, the chain id.
    note: Option<String>,
}

struct Notice {
    /// `error` or `info` (a CSS class).
    kind: &'static str,
    text: String,
}

#[derive(Template)]
#[template(path = "pay/page.html")]
struct PayPage {
    page_title: String,
    css_path: &'static str,
    css_integrity: &'static str,
    js_path: &'static str,
    js_integrity: &'static str,
    state: &'static str,
    wallet_path: String,
    status_path: String,
    network_id: i64,
    chain_id: u64,
    network_name: String,
    rpc_url: String,
    faucet: bool,
    merchant: String,
    heading: String,
    description: Option<String>,
    schedule_words: String,
    rows: Vec<Row>,
    rate: String,
    wallet_state: String,
    notice: Option<Notice>,
    sign_label: &'static str,
    expires_at: String,
    request_id: String,
}

#[derive(Template)]
#[template(path = "pay/error.html")]
struct ErrorPage {
    css_path: &'static str,
    css_integrity: &'static str,
    title: &'static str,
    message: String,
}

fn network_name(id: i64) -> &'static str {
    match id {
        3 => "Payplane test network",
        _ => "Ethereum",
    }
}

/// Unix microseconds as `2026-12-01 09:30 UTC`.
fn utc_minutes(micros: i64) -> String {
    let format = time::macros::format_description!("[year]-[month]-[day] [hour]:[minute] UTC");
    time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(micros) * 1000)
        .ok()
        .and_then(|t| t.format(&format).ok())
        .unwrap_or_default()
}

/// The terms as label/value lines, amounts in the schedule's currency and estimated PMA.
fn rows(s: &Summary) -> Vec<Row> {
    let sc = &s.schedule;
    let fiat = |cents: i64| money(cents, &sc.currency);
    let line = |label, cents: i64| Row {
        label,
        value: fiat(cents),
        note: Some(format!("≈ {} PMA", s.pma(cents))),
    };
    let mut rows = vec![Row {
        label: "Product",
        value: s.product.clone(),
        note: None,
    }];
    match sc.model_type {
        PaymentModelType::Single | PaymentModelType::Dynamic => {
            rows.push(line("Amount", sc.amount))
        }
        PaymentModelType::TopUp => {
            rows.push(line("Each top-up", sc.amount));
            if let Some(th) = sc.top_up_threshold {
                rows.push(line("When your balance falls below", th));
            }
            rows.push(line("Limit in total", sc.total));
        }
        _ => {
            if sc.trial > 0 {
                rows.push(Row {
                    label: "Free trial",
                    value: duration_words(sc.trial),
                    note: None,
                });
            }
            if sc.initial > 0 {
                rows.push(line("First payment", sc.initial));
            }
            rows.push(line("Each payment", sc.amount));
            rows.push(Row {
                label: "Payments",
                value: format!("{}, every {}", sc.pulls, duration_words(sc.frequency)),
                note: None,
            });
            rows.push(line("Total", sc.total));
        }
    }
    rows.push(Row {
        label: "Network",
        value: network_name(s.network_id).into(),
        note: Some(format!("chain id {}", s.chain_id)),
    });
    rows
}

fn sign_label(t: PaymentModelType) -> &'static str {
    match t {
        PaymentModelType::Single | PaymentModelType::Dynamic => "Sign and pay",
        PaymentModelType::TopUp => "Sign and allow top-ups",
        _ => "Sign and subscribe",
    }
}

fn page(s: Summary, rpc_base: &str) -> PayPage {
    let (wallet_state, notice) = match s.state {
        RequestState::Open => ("Not connected.".to_string(), None),
        RequestState::Expired => (
            "This request can no longer be signed.".to_string(),
            Some(Notice {
                kind: "error",
                text: format!(
                    "This payment request expired at {}. Ask {} for a new QR code.",
                    utc_minutes(s.expires_at),
                    s.merchant
                ),
            }),
        ),
        RequestState::Used => (
            match &s.payment {
                Some(p) => format!("Its pull payment is {}.", summary::status_name(p.status)),
                None => String::new(),
            },
            Some(Notice {
                kind: "info",
                text: "This payment request was already signed.".into(),
            }),
        ),
    };
    let heading = s.title.clone().unwrap_or_else(|| s.product.clone());
    PayPage {
        page_title: format!("Pay {} · {}", s.merchant, heading),
        css_path: CSS_PATH,
        css_integrity: &CSS_INTEGRITY,
        js_path: JS_PATH,
        js_integrity: &JS_INTEGRITY,
        state: s.state.as_str(),
        wallet_path: wallet_path(&s.request_id),
        status_path: format!("{}/status", wallet_path(&s.request_id)),
        network_id: s.network_id,
        chain_id: s.chain_id,
        network_name: network_name(s.network_id).into(),
        rpc_url: if s.public_rpc {
            format!("{rpc_base}/api/v2/open-auth/rpc/{}", s.network_id)
        } else {
            String::new()
        },
        faucet: s.faucet,
        rows: rows(&s),
        rate: money_rate(&s),
        schedule_words: s.schedule_words,
        merchant: s.merchant,
        heading,
        description: s.description,
        wallet_state,
        notice,
        sign_label: sign_label(s.schedule.model_type),
        expires_at: utc_minutes(s.expires_at),
        request_id: s.request_id,
    }
}

/// "0.01 USD".
fn money_rate(s: &Summary) -> String {
    format!("{} {}", s.rate.normalize(), s.schedule.currency)
}

fn html(status: StatusCode, body: Result<String, askama::Error>) -> Response {
    let body = match body {
        Ok(b) => b,
        Err(e) => {
            tracing::error!(error = %e, "pay page template");
            return StatusCode::INTERNAL_SERVER_ERROR.into_response();
        }
    };
    let mut res = (status, body).into_response();
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    if let Ok(csp) = HeaderValue::from_str(&page_csp()) {
        h.insert(header::CONTENT_SECURITY_POLICY, csp);
    }
    h.insert(header::VARY, HeaderValue::from_static("Accept"));
    res
}

/// The page a refused request gets: what went wrong, in words.
fn error_page(e: &AppError) -> Response {
    let status = StatusCode::from_u16(e.kind.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let code = e.details.first().map(|d| d.code.as_str()).unwrap_or("");
    let (title, message) = match code {
        "error.pull.payment.request.not.found" => (
            "Payment request not found",
            "There is no payment request at this address. Check the QR code, or ask the merchant for a new one.".to_string(),
        ),
        "error.payment.model.not.approved" | "error.payment.model.not.found" => (
            "This offer is closed",
            "The merchant no longer offers this payment. Nothing was signed or charged.".to_string(),
        ),
        "error.business.disabled" => (
            "This merchant cannot take payments",
            "The merchant's account is disabled. Nothing was signed or charged.".to_string(),
        ),
        _ if status.is_server_error() => (
            "Something went wrong",
            "The payment page could not be shown just now. Try again in a minute.".to_string(),
        ),
        _ => ("This payment request cannot be shown", e.message.clone()),
    };
    html(
        status,
        ErrorPage {
            css_path: CSS_PATH,
            css_integrity: &CSS_INTEGRITY,
            title,
            message,
        }
        .render(),
    )
}

/// `GET /api/v2/open-auth/pull-payment-requests/{id}` for a browser: the pay page (200 while
/// it can be signed, 410 once expired, 409 once signed: the same statuses the JSON gives).
pub async fn show(app: &App, headers: &HeaderMap, id: &str) -> Response {
    match summary::summary(app, id).await {
        Ok(s) => {
            let status = match s.state {
                RequestState::Open => StatusCode::OK,
                RequestState::Expired => StatusCode::GONE,
                RequestState::Used => StatusCode::CONFLICT,
            };
            html(status, page(s, &base_url(app, headers)).render())
        }
        Err(e) => {
            if e.kind == payplane_app::ErrorKind::Internal {
                tracing::error!(error = %e, cause = ?e.source, "pay page");
            }
            error_page(&e)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn accept(v: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(
            header::ACCEPT,
            HeaderValue::from_str(v).unwrap_or(HeaderValue::from_static("")),
        );
        h
    }

    #[test]
    fn browsers_get_html_and_everyone_else_json() {
        // Chromium's and Firefox's navigation Accept headers.
        assert!(wants_html(&accept(
            "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,image/apng,*/*;q=0.8,application/signed-exchange;v=b3;q=0.7"
        )));
        assert!(wants_html(&accept(
            "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
        )));
        assert!(wants_html(&accept("text/*")));
        assert!(!wants_html(&HeaderMap::new()));
        assert!(!wants_html(&accept("*/*")));
        assert!(!wants_html(&accept("application/json")));
        assert!(!wants_html(&accept("application/json, text/plain, */*")));
        assert!(!wants_html(&accept("text/html, application/json")));
        assert!(!wants_html(&accept("text/html;q=0.5, application/json")));
        assert!(!wants_html(&accept("text/html;q=0")));
        assert!(wants_html(&accept("application/json;q=0.5, text/html")));
    }

    #[test]
    fn the_page_policy_names_the_script_by_its_hash() {
        assert!(page_csp().contains(&format!("script-src '{}'", *JS_INTEGRITY)));
        assert!(JS_INTEGRITY.starts_with("sha256-"));
    }
}
