//! The conformance suite (issue 18, docs/conformance.md): every documented route that is served
//! is called over HTTP with valid data, on SQLite and PostgreSQL, and its answer is compared with
//! the seed's own sample (`conformance/samples.json`, extracted by `scripts/extract-samples`):
//! every documented field present, each with its documented JSON type, the envelope of its face,
//! the documented enumerations and query parameters. Where a seed contradicts itself,
//! `conformance/decisions.rs` says what is served instead, with the catalogue's id;
//! `conformance/routes.rs` lists every served route, so none is skipped silently.
mod decisions;
mod routes;
mod shape;

use crate::dual;
use crate::pazemo::support::{act, deposit, open_account};
use crate::pumapay::executor::{fund, settle, subscribe};
use crate::pumapay::support::*;
use crate::support::*;
use decisions::{Decision, ENUMERATIONS, NOT_COMPARED, applies};
use payplane_app::pazemo::auth::Mode;
use reqwest::{Method, RequestBuilder};
use routes::{ROUTES, State};
use serde_json::{Map, Value, json as j};
use std::collections::BTreeSet;
use std::sync::OnceLock;

/// The extracted samples by key (`<seed>:<line>`).
fn samples() -> &'static Map<String, Value> {
    static S: OnceLock<Map<String, Value>> = OnceLock::new();
    S.get_or_init(|| {
        let all: Value = serde_json::from_str(include_str!("conformance/samples.json"))
            .expect("samples.json is JSON");
        all["samples"].as_object().expect("samples").clone()
    })
}

/// The run's record: the routes called and every deviation found.
struct Run<'a> {
    t: &'a TestApp,
    called: BTreeSet<(String, String)>,
    deviations: Vec<String>,
}

impl<'a> Run<'a> {
    fn new(t: &'a TestApp) -> Self {
        Run {
            t,
            called: BTreeSet::new(),
            deviations: vec![],
        }
    }

    /// Sends `rb` (a call of route `method template`), compares the answer with the route's
    /// samples and returns the body.
    async fn check(&mut self, method: &str, template: &str, rb: RequestBuilder) -> Value {
        let route = routes::find(method, template)
            .unwrap_or_else(|| panic!("{method} {template} is not in the route table"));
        self.called
            .insert((method.to_string(), template.to_string()));
        let (status, body) = send(rb).await;
        let at = format!("{method} {template} ({})", route.doc);
        if !(200..300).contains(&status) {
            self.deviations
                .push(format!("{at}: answered {status} to valid data: {body}"));
            return body;
        }
        if template.starts_with("/api/v2/") {
            envelope(&at, status, &body, &mut self.deviations);
        }
        for key in route.samples {
            let sample = &samples()
                .get(*key)
                .unwrap_or_else(|| panic!("no sample {key}"))["body"];
            let mut found = vec![];
            shape::compare(key, sample, &body, &mut found);
            enumerations(key, &body, &mut found);
            self.deviations
                .extend(found.into_iter().map(|d| format!("{at}: {d}")));
        }
        body
    }

    /// A call of route `method template` at `path` as `face`'s caller, with an optional JSON body.
    async fn call(
        &mut self,
        face: Face<'_>,
        method: Method,
        template: &str,
        path: &str,
        body: Option<Value>,
    ) -> Value {
        let mut rb = face.req(method.clone(), path);
        if let Some(body) = body {
            rb = rb.json(&body);
        }
        self.check(method.as_str(), template, rb).await
    }

    /// A pull-payment API call with `b`'s key.
    async fn puma(
        &mut self,
        b: &Biz,
        method: Method,
        template: &str,
        path: &str,
        body: Option<Value>,
    ) -> Value {
        let t = self.t;
        self.call(t.pumapay(b), method, template, path, body).await
    }

    /// An accounts API call with `u`'s token.
    async fn paz(
        &mut self,
        u: &TestUser,
        method: Method,
        template: &str,
        path: &str,
        body: Option<Value>,
    ) -> Value {
        let t = self.t;
        self.call(t.pazemo(u), method, template, path, body).await
    }
}

/// The pull-payment envelope: `success`, `status` equal to the HTTP status, and a `message`
/// (A-P29: always); `data` is compared with the samples.
fn envelope(at: &str, status: u16, body: &Value, out: &mut Vec<String>) {
    if body["success"] != true {
        out.push(format!("{at}: success is not true: {body}"));
    }
    if body["status"] != status {
        out.push(format!(
            "{at}: status {} differs from HTTP {status}",
            body["status"]
        ));
    }
    if !body["message"].is_string() {
        out.push(format!("{at}: no message: {body}"));
    }
}

/// Every leaf of `v` with its path (array elements as `[]`).
fn leaves(v: &Value, path: String, out: &mut Vec<(String, Value)>) {
    match v {
        Value::Object(m) => {
            for (k, x) in m {
                let p = if path.is_empty() {
                    k.clone()
                } else {
                    format!("{path}.{k}")
                };
                leaves(x, p, out);
            }
        }
        Value::Array(a) => {
            for x in a {
                leaves(x, format!("{path}[]"), out);
            }
        }
        _ => out.push((path, v.clone())),
    }
}

/// The documented enumerations that concern the body of sample `key`.
fn enumerations(key: &str, body: &Value, out: &mut Vec<String>) {
    let mut all = vec![];
    leaves(body, String::new(), &mut all);
    for (path, value) in all {
        for e in ENUMERATIONS {
            if applies(e.samples, e.path, key, &path) && !value.is_null() {
                let text = match &value {
                    Value::String(s) => s.clone(),
                    other => other.to_string(),
                };
                if !e.values.contains(&text.as_str()) {
                    out.push(format!(
                        "{key} {path}: {value} is not one of {:?} ({})",
                        e.values, e.source
                    ));
                }
            }
        }
    }
}

/// `(method, path)` of every operation in the OpenAPI document.
fn served() -> Vec<(String, String)> {
    let (_, doc) = payplane_http::api();
    let mut out = vec![];
    for (path, ops) in doc["paths"].as_object().expect("paths") {
        for method in ops.as_object().expect("operations").keys() {
            if ["get", "post", "put", "patch", "delete"].contains(&method.as_str()) {
                out.push((method.to_ascii_uppercase(), path.clone()));
            }
        }
    }
    out
}

#[test]
fn every_served_route_is_in_the_table_and_no_pending_route_is_served() {
    let served = served();
    let missing: Vec<_> = served
        .iter()
        .filter(|(m, p)| routes::find(m, p).is_none())
        .collect();
    assert!(
        missing.is_empty(),
        "served routes missing from conformance/routes.rs: {missing:#?}"
    );
    let stale: Vec<_> = ROUTES
        .iter()
        .filter(|r| {
            let is_served = served.iter().any(|(m, p)| m == r.method && p == r.path);
            (r.state == State::Pending) == is_served
        })
        .map(|r| format!("{} {} ({:?})", r.method, r.path, r.state))
        .collect();
    assert!(
        stale.is_empty(),
        "table entries whose state is wrong (a pending route now served, or a listed route gone): {stale:#?}"
    );
    // Every sample the table names exists, and every sample of the seeds is named by a route
    // (or is the outbound postback body, W1, which no route answers).
    let named: BTreeSet<&str> = ROUTES
        .iter()
        .flat_map(|r| r.samples.iter().copied())
        .collect();
    for key in &named {
        assert!(samples().contains_key(*key), "no sample {key}");
    }
    let set_aside: BTreeSet<&str> = NOT_COMPARED.iter().map(|(k, _, _)| *k).collect();
    let unnamed: Vec<_> = samples()
        .keys()
        .filter(|k| !named.contains(k.as_str()) && !set_aside.contains(k.as_str()))
        .collect();
    assert!(unnamed.is_empty(), "samples no route names: {unnamed:?}");
    let both: Vec<_> = named.intersection(&set_aside).collect();
    assert!(
        both.is_empty(),
        "samples both compared and set aside: {both:?}"
    );
}

/// The checker itself: a body that misses a field, has a wrong type and a value outside the
/// enumeration is reported three times; the sample's own body passes.
#[test]
fn the_checker_reports_what_deviates() {
    let sample = &samples()["000:483"]["body"];
    let mut found = vec![];
    shape::compare("000:483", sample, sample, &mut found);
    enumerations("000:483", sample, &mut found);
    assert!(found.is_empty(), "{found:?}");
    let mut bad = sample.clone();
    bad["id"] = j!("7");
    bad["status"] = j!("lost");
    bad.as_object_mut().expect("object").remove("label");
    shape::compare("000:483", sample, &bad, &mut found);
    enumerations("000:483", &bad, &mut found);
    assert_eq!(found.len(), 3, "{found:#?}");
    for field in ["000:483 id:", "000:483 label:", "000:483 status:"] {
        assert!(
            found.iter().any(|f| f.starts_with(field)),
            "{field} in {found:#?}"
        );
    }
}

#[test]
fn every_decision_names_its_inconsistency_and_reason() {
    let id = |s: &str| {
        s.split('/').all(|part| {
            let digits = part
                .strip_prefix("A-Z")
                .or_else(|| part.strip_prefix("A-P"))
                .or_else(|| part.strip_prefix('W'));
            digits.is_some_and(|d| !d.is_empty() && d.chars().all(|c| c.is_ascii_digit()))
        })
    };
    for r in decisions::RULES {
        let (Decision::Types(i, _) | Decision::Renamed(i, _) | Decision::EachOf(i)) = &r.decision;
        assert!(id(i) && !r.why.is_empty(), "{}: {i} / {}", r.path, r.why);
    }
    for (key, i, why) in NOT_COMPARED {
        assert!(
            id(i) && !why.is_empty() && samples().contains_key(*key),
            "{key}: {i} / {why}"
        );
    }
}

dual!(every_documented_route_answers_like_its_sample, async |b| {
    let mut deviations = vec![];
    let mut called = BTreeSet::new();
    {
        let t = TestApp::builder(b).worker().start().await;
        let mut run = Run::new(&t);
        accounts_face(&mut run).await;
        deviations.extend(run.deviations);
        called.extend(run.called);
    }
    {
        let t = TestApp::builder(b)
            .config(|c| {
                c.settlement.threshold_minor.insert("EUR".into(), 2000);
                c.webhooks.allow_private = true;
            })
            .start()
            .await;
        let mut run = Run::new(&t);
        pull_payment_face(&mut run).await;
        deviations.extend(run.deviations);
        called.extend(run.called);
    }
    let uncalled: Vec<_> = ROUTES
        .iter()
        .filter(|r| {
            r.state == State::Covered
                && !called.contains(&(r.method.to_string(), r.path.to_string()))
        })
        .map(|r| format!("{} {} ({})", r.method, r.path, r.doc))
        .collect();
    assert!(
        uncalled.is_empty(),
        "covered routes the suite did not call: {uncalled:#?}"
    );
    assert!(
        deviations.is_empty(),
        "{} deviations from the seeds:\n{}",
        deviations.len(),
        deviations.join("\n")
    );
});

/// Seed 000, in the order a user meets it.
async fn accounts_face(run: &mut Run<'_>) {
    let t = run.t;
    let u = t.user(Mode::Test).await;
    let uid = u.id.clone();
    run.paz(&u, Method::GET, "/users/me", "/users/me", None)
        .await;
    run.paz(
        &u,
        Method::GET,
        "/users/{userId}",
        &format!("/users/{uid}"),
        None,
    )
    .await;
    let acct = run
        .paz(
            &u,
            Method::POST,
            "/users/{userId}/accounts",
            &format!("/users/{uid}/accounts"),
            Some(j!({"currencyId": "IDR"})),
        )
        .await["id"]
        .as_str()
        .expect("account id")
        .to_string();
    open_account(t, &u, "USD").await;
    deposit(t, &u, &acct, "1000000").await;
    run.paz(
        &u,
        Method::GET,
        "/users/{userId}/accounts",
        &format!("/users/{uid}/accounts"),
        None,
    )
    .await;
    run.paz(
        &u,
        Method::GET,
        "/users/{userId}/accounts/{id}",
        &format!("/users/{uid}/accounts/{acct}"),
        None,
    )
    .await;
    run.paz(
        &u,
        Method::POST,
        "/beneficiaries",
        "/beneficiaries",
        Some(j!({
            "accountId": acct, "bankId": "bca", "address": "1234567890", "name": "Budi Santoso",
            "email": "budi@example.com", "label": "Budi", "type": "personal"
        })),
    )
    .await;
    let body = j!({"address": "1234567890", "addressName": "Budi Santoso", "prefix": "bca", "amount": 150000,
        "notes": "rent", "reference": "inv-1", "referenceData": {"order": 7}});
    let w1 = run
        .paz(
            &u,
            Method::POST,
            "/accounts/{accountId}/withdraw",
            &format!("/accounts/{acct}/withdraw"),
            Some(body.clone()),
        )
        .await["id"]
        .as_str()
        .expect("withdrawal id")
        .to_string();
    let w2 = act(t, &u, &acct, &w1, "confirm", "000000").await;
    assert_eq!(w2.0, 200, "{}", w2.1);
    // The confirm above was a set-up call; the documented one is on a fresh withdrawal.
    let w3 = run
        .paz(
            &u,
            Method::POST,
            "/accounts/{accountId}/withdraw",
            &format!("/accounts/{acct}/withdraw"),
            Some(body.clone()),
        )
        .await["id"]
        .as_str()
        .expect("withdrawal id")
        .to_string();
    run.paz(
        &u,
        Method::POST,
        "/accounts/{accountId}/withdraw/{id}/confirm",
        &format!("/accounts/{acct}/withdraw/{w3}/confirm"),
        Some(j!({"authorizationCode": "000000"})),
    )
    .await;
    let w4 = run
        .paz(
            &u,
            Method::POST,
            "/accounts/{accountId}/withdraw",
            &format!("/accounts/{acct}/withdraw"),
            Some(body),
        )
        .await["id"]
        .as_str()
        .expect("withdrawal id")
        .to_string();
    run.paz(
        &u,
        Method::POST,
        "/accounts/{accountId}/withdraw/{id}/cancel",
        &format!("/accounts/{acct}/withdraw/{w4}/cancel"),
        Some(j!({"authorizationCode": "000000"})),
    )
    .await;
    // The document's requests send a content type; /check and /pingQueue echo the headers.
    let json_type = ("content-type", "application/json");
    run.check(
        "GET",
        "/check",
        t.get("/check").header(json_type.0, json_type.1),
    )
    .await;
    run.check(
        "GET",
        "/pingQueue",
        t.get("/pingQueue").header(json_type.0, json_type.1),
    )
    .await;
    // /ping: the server version as text (A-Z18).
    run.called.insert(("GET".into(), "/ping".into()));
    let res = t.get("/ping").send().await.expect("ping");
    assert_eq!(res.status(), 200);
    let text = res.text().await.expect("text");
    if text.trim().is_empty() {
        run.deviations.push("GET /ping (Z11): no version".into());
    }
}

/// Seed 004: a PSP with a sub-business, onboarding, products, models, a customer paying a Kemix
/// model on the test network, a settlement, postbacks and their links, a top-up and a stop.
async fn pull_payment_face(run: &mut Run<'_>) {
    let t = run.t;
    // API keys (P1, P2) of a fresh business.
    let psp = business(t).await;
    let id = psp.id.clone();
    let key = run
        .check(
            "GET",
            "/api/v2/console-auth/api-keys/generate/{businessID}",
            t.get(&format!("/api/v2/console-auth/api-keys/generate/{id}"))
                .header("x-access-token", &psp.token),
        )
        .await["data"]
        .as_str()
        .expect("key")
        .to_string();
    let psp = Biz { key, ..psp };
    run.check(
        "GET",
        "/api/v2/console-auth/api-keys/{businessID}",
        t.get(&format!("/api/v2/console-auth/api-keys/{id}"))
            .header("x-access-token", &psp.token),
    )
    .await;

    // Onboarding (P5 update, P6, P7) and business data (P3–P5).
    run.puma(&psp, Method::PUT, p("/business/business-details/{businessID}"), &format!("/api-key-auth/business/business-details/{id}"),
        Some(j!({"businessName": "Acme Shop", "businessType": 3, "description": "Shoes", "countryID": "GR",
            "state": "Attica", "city": "Athens", "zipCode": "10558", "streetAddress1": "Ermou 1", "streetAddress2": "2nd floor",
            "industry1": 1, "industry2": 2, "url": "https://acme.example", "firstName": "Ada", "lastName": "Lovelace",
            "jobTitle": "CEO", "phoneNumber": "+30 210 000"}))).await;
    run.puma(
        &psp,
        Method::POST,
        p("/treasury-wallet"),
        "/api-key-auth/treasury-wallet",
        Some(j!({"businessID": id, "treasuryWallet": WALLET})),
    )
    .await;
    run.puma(
        &psp,
        Method::POST,
        p("/treasury-wallet/confirm"),
        "/api-key-auth/treasury-wallet/confirm",
        Some(j!({"businessID": id, "userID": psp.user_id})),
    )
    .await;
    run.puma(
        &psp,
        Method::GET,
        p("/business/{businessID}"),
        &format!("/api-key-auth/business/{id}"),
        None,
    )
    .await;
    run.puma(
        &psp,
        Method::GET,
        p("/business-control/status/{businessID}"),
        &format!("/api-key-auth/business-control/status/{id}"),
        None,
    )
    .await;
    run.puma(
        &psp,
        Method::GET,
        p("/business/business-details/{businessID}"),
        &format!("/api-key-auth/business/business-details/{id}"),
        None,
    )
    .await;

    // Products (P8–P13).
    run.puma(
        &psp,
        Method::GET,
        p("/product-categories/{businessID}"),
        &format!("/api-key-auth/product-categories/{id}"),
        None,
    )
    .await;
    let product = run
        .puma(&psp, Method::POST, p("/products/{businessID}"), &format!("/api-key-auth/products/{id}"),
            Some(j!({"categoryID": 1, "tags": ["shoes"], "productName": "Plan", "productDescription": "A pair a month",
                "productUrl": "https://acme.example/plan", "networkID": 3})))
        .await["data"]["productID"]
        .as_str()
        .expect("product id")
        .to_string();
    run.puma(
        &psp,
        Method::PUT,
        p("/products/{businessID}/{productID}"),
        &format!("/api-key-auth/products/{id}/{product}"),
        Some(j!({"productName": "Plan+", "byte64Image": "NO_IMAGE_CHANGE"})),
    )
    .await;
    let spare = crate::pumapay::support::product(t, &psp, &id).await;
    run.puma(
        &psp,
        Method::PATCH,
        p("/products/{businessID}/{productID}/hide"),
        &format!("/api-key-auth/products/{id}/{spare}/hide"),
        Some(j!({"enabled": false})),
    )
    .await;

    // Payment models (P14–P16): a Kemix subscription in EUR, approved by an operator.
    let mut body = model_body(3, &id, &product);
    body["currency"] = j!("EUR");
    body["amount"] = j!(2500);
    body["destination"] = j!("Kemix");
    body["description"] = j!("Monthly pairs");
    body.as_object_mut().expect("body").remove("treasuryWallet");
    let model = run
        .puma(
            &psp,
            Method::POST,
            p("/pull-payment-models"),
            "/api-key-auth/pull-payment-models",
            Some(body),
        )
        .await["data"]["id"]
        .as_str()
        .expect("model id")
        .to_string();
    approve(t, &model).await;
    run.puma(&psp, Method::GET, p("/pull-payment-models/all/{businessID}/{networkID}/{productID}"),
        &format!("/api-key-auth/pull-payment-models/all/{id}/3/{product}?estimateGas=true&page=1&itemsPerPage=10"), None).await;
    run.puma(
        &psp,
        Method::GET,
        p("/pull-payment-models/single/{businessID}/{networkID}/{paymentModelID}"),
        &format!("/api-key-auth/pull-payment-models/single/{id}/3/{model}?estimateGas=true"),
        None,
    )
    .await;
    run.puma(
        &psp,
        Method::GET,
        "/api/v2/pull-payment-models/single/{businessID}/{networkID}/{paymentModelID}",
        &format!(
            "/pull-payment-models/single/{id}/3/{model}?estimateGas=true&currencyEstimateGas=USD"
        ),
        None,
    )
    .await;
    run.puma(&psp, Method::GET, p("/products/all/{businessID}/{networkID}"),
        &format!("/api-key-auth/products/all/{id}/3?page=1&itemsPerPage=10&orderBy=productName&orderType=ASC"), None).await;
    run.puma(
        &psp,
        Method::GET,
        p("/products/single/{businessID}/{productID}/{networkID}"),
        &format!("/api-key-auth/products/single/{id}/{product}/3?currency=EUR"),
        None,
    )
    .await;

    // A customer scans the QR code (P32) and pays; the pull payment and its transactions
    // (P17–P21).
    run.puma(
        &psp,
        Method::GET,
        p("/qr/pull-payment/{pullPaymentModelID}/{uniqueReferenceID}"),
        &format!("/api-key-auth/qr/pull-payment/{model}/customer-7"),
        None,
    )
    .await;
    let w = Wallet::new();
    fund(t, &w, 100_000).await;
    let payment = subscribe(t, &psp, &model, &w, "").await;
    settle(t).await;
    run.puma(&psp, Method::GET, p("/pull-payments/business/{businessID}"),
        &format!("/api-key-auth/pull-payments/business/{id}?networkID=3&statuses=[1,2]&page=1&itemsPerPage=10"), None).await;
    run.puma(
        &psp,
        Method::GET,
        p("/pull-payments/{pullPaymentID}"),
        &format!("/api-key-auth/pull-payments/{payment}"),
        None,
    )
    .await;
    run.puma(
        &psp,
        Method::GET,
        "/api/v2/pull-payments/{paymentID}",
        &format!("/pull-payments/{payment}"),
        None,
    )
    .await;
    let report = run
        .puma(
            &psp,
            Method::GET,
            p("/transactions/report/all/{businessID}/{networkID}"),
            &format!(
                "/api-key-auth/transactions/report/all/{id}/3?page=1&itemsPerPage=10&currency=EUR"
            ),
            None,
        )
        .await;
    run.puma(
        &psp,
        Method::GET,
        p("/transactions/pull-payment/{businessID}/{pullpaymentID}"),
        &format!("/api-key-auth/transactions/pull-payment/{id}/{payment}?page=1&itemsPerPage=10"),
        None,
    )
    .await;
    let hash = report["data"][0]["txHash"]
        .as_str()
        .expect("a transaction with a hash")
        .to_string();
    run.puma(
        &psp,
        Method::GET,
        p("/transactions/single/{transactionHash}"),
        &format!("/api-key-auth/transactions/single/{hash}"),
        None,
    )
    .await;

    // Settlement (P33–P37).
    let settlement = run
        .puma(
            &psp,
            Method::POST,
            "/api/v2/reports/fiat/settlement/{businessID}/{currency}",
            &format!("/reports/fiat/settlement/{id}/EUR?networkID=3"),
            Some(j!({})),
        )
        .await["data"]["id"]
        .as_str()
        .expect("settlement id")
        .to_string();
    run.puma(
        &psp,
        Method::GET,
        "/api/v2/reports/fiat/total/{businessID}/{currency}",
        &format!("/reports/fiat/total/{id}/EUR?networkID=3"),
        None,
    )
    .await;
    run.puma(&psp, Method::GET, "/api/v2/reports/fiat/all/{businessID}",
        &format!("/reports/fiat/all/{id}?networkID=3&statuses=[pending]&currency=EUR&page=1&itemsPerPage=10&orderBy=createdAt"), None).await;
    run.puma(
        &psp,
        Method::GET,
        "/api/v2/reports/fiat/transactions/{businessID}/{fiatSettlementID}",
        &format!("/reports/fiat/transactions/{id}/{settlement}"),
        None,
    )
    .await;
    // With the business's key, as the samples send it (docs/settlement.md, A-P12).
    run.puma(
        &psp,
        Method::GET,
        "/api/v2/open-auth/qr/settlement/{businessID}/{settlementID}/{currency}",
        &format!("/open-auth/qr/settlement/{id}/{settlement}/EUR"),
        None,
    )
    .await;

    // Postbacks (P23–P31, P45–P53) and their control (P39, P48, P49).
    let url = "https://example.com/pb";
    let pb = run
        .puma(&psp, Method::POST, p("/business/postback"), "/api-key-auth/business/postback",
            Some(j!({"businessID": id, "url": url, "authorization": {"pma-api-key": "Bearer merchant"}, "environment": "Ropsten"})))
        .await["data"]["id"]
        .as_str()
        .expect("postback id")
        .to_string();
    run.puma(&psp, Method::PUT, p("/business/postback"), "/api-key-auth/business/postback",
        Some(j!({"id": pb, "businessID": id, "url": "https://example.com/pb2", "authorization": {"pma-api-key": "Bearer m"}, "environment": "Ropsten"}))).await;
    run.puma(
        &psp,
        Method::GET,
        p("/business/postback/{postbackID}/{businessID}"),
        &format!("/api-key-auth/business/postback/{pb}/{id}"),
        None,
    )
    .await;
    run.puma(
        &psp,
        Method::GET,
        p("/business/postback/{businessID}"),
        &format!("/api-key-auth/business/postback/{id}"),
        None,
    )
    .await;
    let link = j!({"businessID": id, "productID": product, "businessPostbackID": pb});
    run.puma(
        &psp,
        Method::PUT,
        p("/business/postback/product"),
        "/api-key-auth/business/postback/product",
        Some(link.clone()),
    )
    .await;
    run.puma(
        &psp,
        Method::PUT,
        p("/business/postback/product/remove"),
        "/api-key-auth/business/postback/product/remove",
        Some(link),
    )
    .await;
    let link = j!({"businessID": id, "paymentModelID": model, "businessPostbackID": pb});
    run.puma(
        &psp,
        Method::PUT,
        p("/business/postback/paymentmodel"),
        "/api-key-auth/business/postback/paymentmodel",
        Some(link.clone()),
    )
    .await;
    run.puma(
        &psp,
        Method::PUT,
        p("/business/postback/paymentmodel/remove"),
        "/api-key-auth/business/postback/paymentmodel/remove",
        Some(link),
    )
    .await;
    let link = j!({"businessID": id, "businessPostbackID": pb});
    run.puma(
        &psp,
        Method::PUT,
        p("/business/postback/business"),
        "/api-key-auth/business/postback/business",
        Some(link.clone()),
    )
    .await;
    run.puma(
        &psp,
        Method::PUT,
        p("/business/postback/business/remove"),
        "/api-key-auth/business/postback/business/remove",
        Some(link),
    )
    .await;
    run.puma(
        &psp,
        Method::GET,
        p("/business/postback-control/{business_id}"),
        &format!("/api-key-auth/business/postback-control/{id}"),
        None,
    )
    .await;
    let control = j!({"businessID": id, "product": true, "paymentModel": true, "business": true, "parentBusiness": true});
    run.puma(
        &psp,
        Method::PUT,
        p("/business/postback-control/"),
        "/api-key-auth/business/postback-control/",
        Some(control.clone()),
    )
    .await;
    run.puma(
        &psp,
        Method::PUT,
        p("/postback-control/{business_id}"),
        &format!("/api-key-auth/postback-control/{id}"),
        Some(control),
    )
    .await;

    // PSP (P40–P44) and the parent postback of a sub-business (P47, P53).
    let sub_email = email();
    let sub = run
        .puma(&psp, Method::POST, p("/register/sub/business"), "/api-key-auth/register/sub/business",
            Some(j!({"company": "Merchant", "email": sub_email, "password": PASSWORD, "parentID": id})))
        .await["data"]
        .clone();
    let sub_id = sub["businessID"].as_str().expect("sub id").to_string();
    let sub_user = sub["userID"].as_str().expect("sub user").to_string();
    let details = j!({"parentID": id, "businessID": sub_id, "userID": sub_user, "businessName": "Shop", "businessType": 2,
        "description": "d", "countryID": "FR", "city": "Paris", "zipCode": "75001", "streetAddress1": "1 rue", "industry1": 3,
        "url": "https://shop.example", "firstName": "Jean", "lastName": "Dupont", "jobTitle": "Owner", "phoneNumber": "+33 1"});
    run.puma(
        &psp,
        Method::PUT,
        p("/business/business-details/sub/business"),
        "/api-key-auth/business/business-details/sub/business",
        Some(details.clone()),
    )
    .await;
    run.puma(
        &psp,
        Method::PUT,
        p("/register/sub/business/{parentID}"),
        &format!("/api-key-auth/register/sub/business/{id}"),
        Some(details),
    )
    .await;
    run.puma(
        &psp,
        Method::GET,
        p("/business/sub/business/{parentID}"),
        &format!("/api-key-auth/business/sub/business/{id}"),
        None,
    )
    .await;
    run.puma(
        &psp,
        Method::GET,
        p("/business/sub/businesses/{parentID}"),
        &format!("/api-key-auth/business/sub/businesses/{id}"),
        None,
    )
    .await;
    let sub_pb = run
        .puma(&psp, Method::POST, p("/business/postback"), "/api-key-auth/business/postback",
            Some(j!({"businessID": sub_id, "url": url, "authorization": {"pma-api-key": "Bearer sub"}, "environment": "Ropsten"})))
        .await["data"]["id"]
        .as_str()
        .expect("sub postback id")
        .to_string();
    let parent =
        j!({"businessID": sub_id, "businessPostbackID": sub_pb, "parentBusinessPostbackID": pb});
    run.puma(
        &psp,
        Method::PUT,
        p("/business/postback/parent"),
        "/api-key-auth/business/postback/parent",
        Some(parent),
    )
    .await;
    run.puma(
        &psp,
        Method::PUT,
        p("/business/postback/parent/remove"),
        "/api-key-auth/business/postback/parent/remove",
        Some(j!({"businessID": sub_id, "businessPostbackID": sub_pb})),
    )
    .await;
    run.puma(
        &psp,
        Method::DELETE,
        p("/business/postback/{postbackID}/{businessID}"),
        &format!("/api-key-auth/business/postback/{sub_pb}/{sub_id}"),
        None,
    )
    .await;

    // A top-up payment (P38) and stopping pull payments (P44).
    let mut body = model_body(8, &id, &product);
    body["topUpThresholdCurrency"] = j!("EUR");
    let topup_model = approved_model(t, &psp, &body).await;
    let w8 = Wallet::new();
    fund(t, &w8, 100_000).await;
    let topup = subscribe(t, &psp, &topup_model, &w8, "").await;
    settle(t).await;
    run.puma(
        &psp,
        Method::PUT,
        p("/pull-payments"),
        "/api-key-auth/pull-payments",
        Some(j!({"pullPaymentID": topup, "amount": 1000})),
    )
    .await;
    // The documented paging and ordering, now that each list has two rows or more.
    pages(
        run,
        &psp,
        p("/products/all/{businessID}/{networkID}"),
        &format!("/api-key-auth/products/all/{id}/3"),
        "productID",
    )
    .await;
    pages(
        run,
        &psp,
        p("/pull-payment-models/all/{businessID}/{networkID}/{productID}"),
        &format!("/api-key-auth/pull-payment-models/all/{id}/3/{product}?estimateGas=true"),
        "id",
    )
    .await;
    pages(
        run,
        &psp,
        p("/pull-payments/business/{businessID}"),
        &format!("/api-key-auth/pull-payments/business/{id}?networkID=3"),
        "id",
    )
    .await;
    pages(
        run,
        &psp,
        p("/transactions/report/all/{businessID}/{networkID}"),
        &format!("/api-key-auth/transactions/report/all/{id}/3"),
        "id",
    )
    .await;
    pages(
        run,
        &psp,
        p("/transactions/pull-payment/{businessID}/{pullpaymentID}"),
        &format!("/api-key-auth/transactions/pull-payment/{id}/{payment}"),
        "id",
    )
    .await;
    let mut names = vec![];
    for order in ["ASC", "DESC"] {
        let body = run
            .puma(
                &psp,
                Method::GET,
                p("/products/all/{businessID}/{networkID}"),
                &format!("/api-key-auth/products/all/{id}/3?orderBy=productName&orderType={order}"),
                None,
            )
            .await;
        let rows = body["data"].as_array().cloned().unwrap_or_default();
        names.push(
            rows.iter()
                .map(|r| r["productName"].to_string())
                .collect::<Vec<_>>(),
        );
    }
    let mut desc = names[1].clone();
    desc.reverse();
    if names[0].len() < 2 || names[0] != desc {
        run.deviations.push(format!(
            "GET products/all: orderBy=productName ASC {:?} is not DESC {:?} reversed",
            names[0], names[1]
        ));
    }
    run.puma(
        &psp,
        Method::DELETE,
        p("/business/stop/{paymentID}"),
        &format!("/api-key-auth/business/stop/{payment}"),
        None,
    )
    .await;
    run.puma(
        &psp,
        Method::DELETE,
        p("/business/stop/paymentID/{paymentID}"),
        &format!("/api-key-auth/business/stop/paymentID/{topup}"),
        None,
    )
    .await;
    run.puma(
        &psp,
        Method::POST,
        p("/business-control/sub/business/disabled"),
        &format!("/api-key-auth/business-control/sub/business/disabled?parentID={id}"),
        Some(j!({"businessID": sub_id, "disabled": true})),
    )
    .await;
}

/// The documented paging of a list route: `itemsPerPage=1` makes pages of one row, and pages 1
/// and 2 are different rows.
async fn pages(run: &mut Run<'_>, b: &Biz, template: &'static str, path: &str, id_field: &str) {
    let sep = if path.contains('?') { '&' } else { '?' };
    let mut seen = vec![];
    for page in [1, 2] {
        let body = run
            .puma(
                b,
                Method::GET,
                template,
                &format!("{path}{sep}page={page}&itemsPerPage=1"),
                None,
            )
            .await;
        let rows = body["data"].as_array().cloned().unwrap_or_default();
        if rows.len() != 1 {
            run.deviations.push(format!(
                "GET {template}: page {page} with itemsPerPage=1 has {} rows",
                rows.len()
            ));
        }
        seen.extend(rows.iter().map(|r| r[id_field].clone()));
    }
    if seen.len() == 2 && seen[0] == seen[1] {
        run.deviations.push(format!(
            "GET {template}: pages 1 and 2 show the same row {}",
            seen[0]
        ));
    }
}

/// A template under `/api/v2/api-key-auth`.
fn p(rest: &str) -> &'static str {
    let full = format!("/api/v2/api-key-auth{rest}");
    ROUTES
        .iter()
        .map(|r| r.path)
        .find(|path| *path == full)
        .unwrap_or_else(|| panic!("{full} is not in the route table"))
}
