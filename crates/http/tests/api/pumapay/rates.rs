//! The HTTP rate source against a local price server: good answers are stored exactly (no
//! float on the way), bad ones keep the last price.
use crate::dual;
use crate::support::*;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use payplane_app::pumapay::rates::{self, RateSource, http::HttpRateSource};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// What the price server answers next: status and body (`{currency}` in the body is replaced).
#[derive(Clone)]
struct PriceServer {
    url: String,
    answer: Arc<Mutex<(u16, String)>>,
    asked: Arc<Mutex<Vec<String>>>,
}

impl PriceServer {
    async fn start() -> PriceServer {
        let answer = Arc::new(Mutex::new((200, String::new())));
        let asked = Arc::new(Mutex::new(Vec::new()));
        let state = (answer.clone(), asked.clone());
        type St = (Arc<Mutex<(u16, String)>>, Arc<Mutex<Vec<String>>>);
        let app = axum::Router::new()
            .route(
                "/price/{currency}",
                axum::routing::get(
                    |State((answer, asked)): State<St>, Path(currency): Path<String>| async move {
                        asked.lock().unwrap().push(currency.clone());
                        let (status, body) = answer.lock().unwrap().clone();
                        (
                            StatusCode::from_u16(status).unwrap(),
                            [("content-type", "application/json")],
                            body.replace("{currency}", &currency),
                        )
                    },
                ),
            )
            .with_state(state);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!(
            "http://{}/price/{{currency}}",
            listener.local_addr().unwrap()
        );
        tokio::spawn(async move { axum::serve(listener, app).await });
        PriceServer { url, answer, asked }
    }
    fn answer(&self, status: u16, body: &str) {
        *self.answer.lock().unwrap() = (status, body.to_string());
    }
}

async fn usd(t: &TestApp) -> rates::Rate {
    rates::current(&t.app, "USD").await.unwrap()
}

dual!(
    the_http_source_stores_exact_prices_and_keeps_the_last_on_a_bad_answer,
    async |b| {
        let server = PriceServer::start().await;
        let url = server.url.clone();
        let t = TestApp::builder(b)
            .config(move |c| {
                c.pull_payments.rates.http_url = url;
                c.pull_payments.rates.http_json_path = "data.{currency}.price".into();
            })
            .start()
            .await;
        // Before any answer: the configured fixed price.
        assert_eq!(usd(&t).await.source, "config");
        let source = HttpRateSource::from_config(&t.app).unwrap().unwrap();
        assert_eq!(source.name(), format!("http:{}", server.url));
        // 19 significant digits: a float would not give them back.
        server.answer(
            200,
            r#"{"data": {"{currency}": {"price": 0.0123456789012345678}}}"#,
        );
        assert_eq!(rates::http::poll_once(&t.app, &source).await, 4);
        let r = usd(&t).await;
        assert_eq!(r.price.to_string(), "0.0123456789012345678");
        assert_eq!(r.source, format!("http:{}", server.url));
        assert_eq!(
            server.asked.lock().unwrap().clone(),
            ["USD", "EUR", "JPY", "GBP"]
        );
        // The converted amount uses it: $1 = 1 / 0.0123456789012345678 PMA.
        let units = rates::token_units(100, &r).unwrap();
        assert_eq!(units.to_string(), "81000000729000007225");
        // A price given as a string is read the same way.
        server.answer(200, r#"{"data": {"{currency}": {"price": "0.02"}}}"#);
        rates::http::poll_once(&t.app, &source).await;
        assert_eq!(usd(&t).await.price.to_string(), "0.02");
        // Bad answers change nothing.
        for (status, body) in [
            (500, r#"{"data": {"{currency}": {"price": 9}}}"#),
            (404, "not found"),
            (200, "not json"),
            (200, r#"{"data": {}}"#),
            (200, r#"{"data": {"{currency}": {"price": 0}}}"#),
            (200, r#"{"data": {"{currency}": {"price": -1.5}}}"#),
            (200, r#"{"data": {"{currency}": {"price": "cheap"}}}"#),
            (200, r#"{"data": {"{currency}": {"price": null}}}"#),
            (200, r#"{"data": {"{currency}": {"price": [1]}}}"#),
        ] {
            server.answer(status, body);
            assert_eq!(rates::http::poll_once(&t.app, &source).await, 0, "{body}");
            let r = usd(&t).await;
            assert_eq!(r.price.to_string(), "0.02", "{status} {body}");
            assert_eq!(r.source, format!("http:{}", server.url));
        }
        // Asked directly, a bad answer is an error that says why.
        server.answer(200, r#"{"data": {"{currency}": {"price": "-3"}}}"#);
        let e = source.price("USD").await.unwrap_err();
        assert!(
            e.message.contains("not a positive decimal"),
            "{}",
            e.message
        );
    }
);

dual!(the_worker_role_polls_the_http_source, async |b| {
    let server = PriceServer::start().await;
    server.answer(200, r#"{"price": 1.25e-2}"#);
    let url = server.url.clone();
    let t = TestApp::builder(b)
        .config(move |c| {
            c.pull_payments.rates.http_url = url;
            c.pull_payments.rates.http_json_path = "price".into();
            c.pull_payments.rates.http_poll_secs = 1;
        })
        .start()
        .await;
    let shutdown = tokio_util::sync::CancellationToken::new();
    let poller = tokio::spawn(rates::http::run(t.app.clone(), shutdown.clone()));
    let mut got = None;
    for _ in 0..100 {
        let r = usd(&t).await;
        if r.source.starts_with("http:") {
            got = Some(r);
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let r = got.expect("the poller stored a price");
    assert_eq!(r.price.to_string(), "0.0125");
    // It polls again: a new price arrives within the interval.
    server.answer(200, r#"{"price": "0.05"}"#);
    let mut moved = false;
    for _ in 0..60 {
        if usd(&t).await.price.to_string() == "0.05" {
            moved = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(moved, "the poller fetched again");
    shutdown.cancel();
    tokio::time::timeout(Duration::from_secs(5), poller)
        .await
        .expect("the poller stops on shutdown")
        .unwrap();
});

dual!(operator_rates_are_validated_stored_and_audited, async |b| {
    let t = TestApp::start(b).await;
    let r = rates::operator_set(&t.app, "cli:ops", "cli@host", "gpb", " 0.0081 ")
        .await
        .unwrap();
    assert_eq!(
        (r.currency.as_str(), r.source.as_str()),
        ("GBP", "operator")
    );
    let now = rates::current(&t.app, "GBP").await.unwrap();
    assert_eq!(now.price.to_string(), "0.0081");
    assert_eq!(now.source, "operator");
    let list = rates::list(&t.app).await.unwrap();
    let names: Vec<_> = list.iter().map(|r| r.currency.as_str()).collect();
    assert_eq!(names, ["USD", "EUR", "JPY", "GBP"]);
    let (actor, action, target): (String, String, String) =
        sqlx::query_as("SELECT actor, action, target FROM audit_log WHERE action = 'rate.set'")
            .fetch_one(&t.app.db.read)
            .await
            .unwrap();
    assert_eq!(
        (actor.as_str(), action.as_str(), target.as_str()),
        ("cli:ops", "rate.set", "GBP=0.0081")
    );
    for (cur, rate, field) in [
        ("CHF", "1", "currency"),
        ("USD", "0", "rate"),
        ("USD", "-1", "rate"),
        ("USD", "abc", "rate"),
        ("USD", "", "rate"),
    ] {
        let e = rates::operator_set(&t.app, "cli:ops", "cli", cur, rate)
            .await
            .unwrap_err();
        assert_eq!(e.kind.status(), 400);
        assert_eq!(e.details[0].field.as_deref(), Some(field), "{cur} {rate}");
    }
    assert_eq!(
        rates::current(&t.app, "USD").await.unwrap().source,
        "config"
    );
});
