//! QR codes and the wallet flow (issue 14): the merchant's QR code, read by `zbarimg` as a phone
//! would, leads a wallet (a real key signing EIP-712 typed data) to the terms; its signatures
//! create the pull payment in status 1 with its registration queued.
use crate::dual;
use crate::pumapay::support::*;
use crate::support::*;
use payplane_store::sqlx;
use reqwest::Method;
use serde_json::{Value, json as j};

const TYPE_TRIAL: i64 = 5;

/// A business, its product and an approved model of `type_id`; returns (business, model id).
async fn approved(t: &TestApp, type_id: i64) -> (Biz, String) {
    let biz = business(t).await;
    let pid = product(t, &biz, &biz.id).await;
    let id = approved_model(t, &biz, &model_body(type_id, &biz.id, &pid)).await;
    (biz, id)
}

async fn qr(t: &TestApp, b: &Biz, model: &str, reference: &str, query: &str) -> (u16, Value) {
    send(api(
        t,
        Method::GET,
        &format!("/api-key-auth/qr/pull-payment/{model}/{reference}{query}"),
        b,
    ))
    .await
}

/// A QR code's request: the code scanned, its URL (and request id).
async fn request(t: &TestApp, b: &Biz, model: &str, query: &str) -> String {
    let (s, body) = qr(t, b, model, "customer-42", query).await;
    let png = data(s, &body, "Successfully generated QR code");
    scan_qr(png.as_str().unwrap())
}

async fn read(t: &TestApp, url: &str, customer: &str) -> (u16, Value) {
    send(t.client.get(format!("{url}?customerAddress={customer}"))).await
}

async fn sign(t: &TestApp, url: &str, body: &Value) -> (u16, Value) {
    send(t.client.post(url).json(body)).await
}

/// The wallet's whole round: read, sign consent (and permit when asked), post.
fn signatures(w: &Wallet, offer: &Value) -> Value {
    let permit = &offer["permit"];
    j!({
        "customerAddress": w.address(),
        "consentSignature": w.sign_typed(&offer["consent"]),
        "permitSignature": if permit.is_null() { Value::Null } else { j!(w.sign_typed(permit)) },
    })
}

fn lower(v: &Value) -> String {
    v.as_str().unwrap_or_else(|| panic!("{v}")).to_lowercase()
}

/// A uint256 of typed data (a JSON number, decimal or 0x-hex string).
fn uint(v: &Value) -> u64 {
    match v {
        Value::Number(n) => n.as_u64().unwrap(),
        Value::String(s) => match s.strip_prefix("0x") {
            Some(h) => u64::from_str_radix(h, 16).unwrap(),
            None => s.parse().unwrap(),
        },
        _ => panic!("{v}"),
    }
}

async fn count(t: &TestApp, sql: &str, bind: &str) -> i64 {
    sqlx::query_scalar::<_, i64>(sql)
        .bind(bind)
        .fetch_one(&t.app.db.read)
        .await
        .unwrap()
}

dual!(
    qr_codes_are_for_approved_models_of_the_callers_business,
    async |b| {
        let t = TestApp::start(b).await;
        let biz = business(&t).await;
        let pid = product(&t, &biz, &biz.id).await;
        let pending = model(&t, &biz, &model_body(3, &biz.id, &pid)).await;
        let (s, body) = qr(&t, &biz, &pending, "c1", "").await;
        assert_error(s, &body, 409, "error.payment.model.not.approved");
        approve(&t, &pending).await;
        let (s, body) = qr(&t, &biz, &pending, "c1", "").await;
        let png = data(s, &body, "Successfully generated QR code");
        let url = scan_qr(png.as_str().unwrap());
        let prefix = format!("{}/api/v2/open-auth/pull-payment-requests/", t.base);
        assert!(url.starts_with(&prefix), "{url}");
        let other = business(&t).await;
        let (s, body) = qr(&t, &other, &pending, "c1", "").await;
        assert_error(s, &body, 403, "error.business.forbidden");
        let (s, body) = qr(&t, &biz, "no-such-model", "c1", "").await;
        assert_error(s, &body, 404, "error.payment.model.not.found");
        // A fixed model's terms come from the model: a different amount is refused, the same
        // (or the document's `amount=null`) accepted.
        let (s, body) = qr(&t, &biz, &pending, "c1", "?amount=500").await;
        assert_field(s, &body, "amount", "error.field.fixed.by.model");
        let (s, _) = qr(&t, &biz, &pending, "c1", "?amount=1299&currency=usd").await;
        assert_eq!(s, 200);
        let (s, _) = qr(&t, &biz, &pending, "c1", "?amount=null").await;
        assert_eq!(s, 200);
        let (s, body) = send(t.get(&format!(
            "/api/v2/api-key-auth/qr/pull-payment/{pending}/c1"
        )))
        .await;
        assert_error(s, &body, 401, "unauthorized");
        // A suspended model takes no new customers.
        let op = t.admin().await;
        let res = t
            .post(&format!("/api/v2/admin/payment-models/{pending}/suspend"))
            .header("Authorization", op.bearer())
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
        let (s, body) = qr(&t, &biz, &pending, "c1", "").await;
        assert_error(s, &body, 409, "error.payment.model.not.approved");
    }
);

dual!(
    the_scanned_code_leads_the_wallet_to_fixed_terms,
    async |b| {
        let t = TestApp::start(b).await;
        let (biz, model) = approved(&t, TYPE_TRIAL).await;
        let url = request(&t, &biz, &model, "").await;
        let w = Wallet::new();
        let (s, body) = send(t.client.get(&url)).await;
        assert_field(s, &body, "customerAddress", "error.field.required");
        let (s, body) = read(&t, &url, "0x1234").await;
        assert_field(s, &body, "customerAddress", "error.address.invalid");
        let (s, body) = read(&t, &url, &w.address()).await;
        let offer = data(s, &body, "Successfully retrieved pull payment request");
        let consent = &offer["consent"];
        assert_eq!(consent["primaryType"], "PullPayment", "{offer}");
        assert_eq!(consent["domain"]["name"], "PayplanePullPayments");
        let terms = &offer["terms"];
        assert_eq!(terms["merchant"], "Acme Ltd");
        assert_eq!(terms["product"], "Plan");
        assert_eq!(
            terms["schedule"],
            "6 monthly payments of 9.99 GBP after a 7-day trial"
        );
        assert_eq!(terms["currency"], "GBP");
        assert_eq!(terms["amount"], 999);
        assert_eq!(terms["totalAmount"], 5994);
        assert_eq!(
            terms["estimatedPma"]["totalAmount"],
            "7587.341772151898734177"
        );
        assert_eq!(terms["numberOfPayments"], 6);
        assert_eq!(terms["trialPeriod"], 604_800);
        assert_eq!(terms["customerAddress"], w.address());
        assert_eq!(terms["treasuryWallet"], WALLET);
        assert_eq!(terms["chainId"], 1337);
        let message = &consent["message"];
        assert_eq!(lower(&message["customer"]), w.address().to_lowercase());
        assert_eq!(uint(&message["numberOfPayments"]), 6);
        // A fresh wallet has no allowance: the permit of the token cap to the contract is asked.
        let permit = &offer["permit"];
        assert_eq!(permit["primaryType"], "Permit", "{offer}");
        assert_eq!(permit["message"]["value"], message["tokenCap"]);
        assert_eq!(
            lower(&permit["message"]["spender"]),
            lower(&terms["contracts"]["pullPayments"])
        );
        assert_eq!(
            lower(&permit["message"]["owner"]),
            w.address().to_lowercase()
        );
        // Start, cap and expiry stay as the first read fixed them, even later.
        t.clock.advance_secs(60);
        let (_, again) = read(&t, &url, &w.address()).await;
        assert_eq!(again["data"]["consent"], *consent);
        let start = terms["startTime"].as_i64().unwrap();
        assert_eq!(
            terms["expiry"].as_i64().unwrap(),
            start + 604_800 + 5 * 2_592_000 + 30 * 86_400
        );
    }
);

dual!(dynamic_models_take_their_amount_in_the_qr_code, async |b| {
    let t = TestApp::start(b).await;
    let (biz, model) = approved(&t, 7).await;
    let (s, body) = qr(
        &t,
        &biz,
        &model,
        "c",
        "?title=Tip&description=Thanks&currency=EUR",
    )
    .await;
    assert_field(s, &body, "amount", "error.field.required");
    let (s, body) = qr(&t, &biz, &model, "c", "?amount=250").await;
    assert_field(s, &body, "currency", "error.field.required");
    let (s, body) = qr(
        &t,
        &biz,
        &model,
        "c",
        "?amount=abc&title=T&description=D&currency=EUR",
    )
    .await;
    assert_field(s, &body, "amount", "error.field.not.integer");
    let (s, body) = qr(
        &t,
        &biz,
        &model,
        "c",
        "?amount=-5&title=T&description=D&currency=EUR",
    )
    .await;
    assert_field(s, &body, "amount", "error.field.must.be.positive");
    let (s, body) = qr(
        &t,
        &biz,
        &model,
        "c",
        "?amount=250&title=T&description=D&currency=XYZ",
    )
    .await;
    assert_field(s, &body, "currency", "error.currency.invalid");
    let url = request(
        &t,
        &biz,
        &model,
        "?amount=250&title=Tip&description=Thanks&currency=GPB",
    )
    .await;
    let w = Wallet::new();
    let (s, body) = read(&t, &url, &w.address()).await;
    let offer = data(s, &body, "Successfully retrieved pull payment request");
    let terms = &offer["terms"];
    assert_eq!(terms["schedule"], "one payment of 2.50 GBP");
    assert_eq!(
        (terms["amount"].as_i64(), terms["currency"].as_str()),
        (Some(250), Some("GBP"))
    );
    assert_eq!(
        (
            terms["numberOfPayments"].as_i64(),
            terms["frequency"].as_i64()
        ),
        (Some(1), Some(0))
    );
    assert_eq!(terms["title"], "Tip");
    assert_eq!(uint(&offer["consent"]["message"]["fiatAmount"]), 250);
});

dual!(
    a_signed_consent_and_permit_make_an_initial_pull_payment,
    async |b| {
        let t = TestApp::start(b).await;
        let (biz, model) = approved(&t, TYPE_TRIAL).await;
        let url = request(&t, &biz, &model, "").await;
        let request_id = url.rsplit('/').next().unwrap().to_string();
        let w = Wallet::new();
        let (_, body) = read(&t, &url, &w.address()).await;
        let offer = body["data"].clone();
        let (s, body) = sign(&t, &url, &signatures(&w, &offer)).await;
        assert_eq!(s, 201, "{body}");
        assert_eq!(body["status"], 201);
        assert_eq!(body["message"], "Successfully created pull payment");
        let d = &body["data"];
        assert_eq!(d["status"], 1);
        assert_eq!(d["customerAddress"], w.address());
        assert_eq!(d["paymentId"], offer["terms"]["paymentId"]);
        let id = d["id"].as_str().unwrap().to_string();
        let p = payplane_store::pumapay::pull_payments::get(&t.app.db.read, &id)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(p.status.id(), 1);
        assert_eq!(p.request_id, request_id);
        assert_eq!(p.payment_model_id, model);
        assert_eq!(p.business_id, biz.id);
        assert_eq!((p.type_id, p.amount, p.number_of_payments), (5, 999, 6));
        assert_eq!((p.trial_period, p.frequency), (604_800, 2_592_000));
        assert_eq!(p.currency, "GBP");
        assert_eq!(p.customer_address, w.address());
        assert_eq!(p.treasury_wallet, WALLET);
        assert_eq!(
            p.contract_address,
            offer["terms"]["contracts"]["pullPayments"]
                .as_str()
                .unwrap()
        );
        assert_eq!(p.unique_reference_id, "customer-42");
        assert_eq!(
            p.start_timestamp,
            offer["terms"]["startTime"].as_i64().unwrap()
        );
        assert_eq!(p.end_timestamp, offer["terms"]["expiry"].as_i64().unwrap());
        assert_eq!((p.pulls_made, p.fiat_pulled, p.failed_attempts), (0, 0, 0));
        assert!(p.signature.starts_with("0x") && p.signature.len() == 132);
        let terms: Value = serde_json::from_str(&p.terms).unwrap();
        assert_eq!(lower(&terms["customer"]), w.address().to_lowercase());
        let permit: Value = serde_json::from_str(p.permit.as_deref().unwrap()).unwrap();
        assert_eq!(permit["value"], terms["tokenCap"]);
        assert!(matches!(permit["v"].as_u64(), Some(27 | 28)), "{permit}");
        let jobs = count(
            &t,
            "SELECT COUNT(*) FROM jobs WHERE kind = 'pullpayment.register' AND payload LIKE '%' || $1 || '%'",
            &id,
        )
        .await;
        assert_eq!(jobs, 1, "registration is queued");
        // A request is signed once.
        let (s, body) = sign(&t, &url, &signatures(&w, &offer)).await;
        assert_error(s, &body, 409, "error.pull.payment.request.used");
        let (s, body) = read(&t, &url, &w.address()).await;
        assert_error(s, &body, 409, "error.pull.payment.request.used");
        assert_eq!(
            count(
                &t,
                "SELECT COUNT(*) FROM pull_payments WHERE request_id = $1",
                &request_id
            )
            .await,
            1
        );
    }
);

dual!(signatures_must_be_the_customers, async |b| {
    let t = TestApp::start(b).await;
    let (biz, model) = approved(&t, 3).await;
    let url = request(&t, &biz, &model, "").await;
    let (w, thief) = (Wallet::new(), Wallet::new());
    let (_, body) = read(&t, &url, &w.address()).await;
    let offer = body["data"].clone();
    let good = signatures(&w, &offer);
    let with = |field: &str, v: Value| {
        let mut b = good.clone();
        b[field] = v;
        b
    };
    let cases = [
        (
            "consentSignature",
            j!(thief.sign_typed(&offer["consent"])),
            "error.signature.mismatch",
        ),
        (
            "permitSignature",
            j!(thief.sign_typed(&offer["permit"])),
            "error.signature.mismatch",
        ),
        // The permit signed in place of the consent: a valid signature of other data.
        (
            "consentSignature",
            j!(w.sign_typed(&offer["permit"])),
            "error.signature.mismatch",
        ),
        ("permitSignature", Value::Null, "error.permit.required"),
        ("consentSignature", j!("0x1234"), "error.signature.invalid"),
        ("consentSignature", Value::Null, "error.field.required"),
        ("consentSignature", j!(5), "error.json.invalid"),
        (
            "customerAddress",
            j!(thief.address()),
            "error.signature.mismatch",
        ),
        ("extra", j!(1), "error.json.invalid"),
    ];
    for (field, value, code) in cases {
        let (s, body) = sign(&t, &url, &with(field, value)).await;
        assert_eq!(s, 400, "{field} {code}: {body}");
        assert!(
            body["errors"]
                .as_array()
                .unwrap()
                .iter()
                .any(|e| e["code"] == code),
            "{field}: want {code} in {body}"
        );
    }
    let (s, body) = send(
        t.client
            .post(&url)
            .header("content-type", "application/json")
            .body("{not json"),
    )
    .await;
    assert_eq!(s, 400, "{body}");
    assert_eq!(body["success"], false);
    // None of the refusals used the request.
    let (s, body) = sign(&t, &url, &good).await;
    assert_eq!(s, 201, "{body}");
});

dual!(an_expired_request_is_gone, async |b| {
    let t = TestApp::start(b).await;
    let (biz, model) = approved(&t, 2).await;
    let ttl = t.app.config.pull_payments.request_ttl_secs;
    let w = Wallet::new();
    // Read in time, signed too late.
    let url = request(&t, &biz, &model, "").await;
    let (_, body) = read(&t, &url, &w.address()).await;
    let offer = body["data"].clone();
    assert_eq!(offer["terms"]["schedule"], "one payment of 10.00 USD");
    t.clock.advance_secs(ttl + 1);
    let (s, body) = sign(&t, &url, &signatures(&w, &offer)).await;
    assert_error(s, &body, 410, "error.pull.payment.request.expired");
    let (s, body) = read(&t, &url, &w.address()).await;
    assert_error(s, &body, 410, "error.pull.payment.request.expired");
    let (s, body) = send(t.client.get(format!(
        "{}/api/v2/open-auth/pull-payment-requests/nope?customerAddress={}",
        t.base,
        w.address()
    )))
    .await;
    assert_error(s, &body, 404, "error.pull.payment.request.not.found");
});

dual!(no_permit_is_asked_when_the_allowance_suffices, async |b| {
    let t = TestApp::start(b).await;
    let (biz, model) = approved(&t, 2).await;
    let w = Wallet::new();
    // The customer approves the contract itself, with a transaction of its own key.
    let (s, body) = t
        .pumapay(&biz)
        .post("/open-auth/faucet", &j!({"address": w.address()}))
        .await;
    assert_eq!(s, 200, "{body}");
    w.approve_pull_payments(&t).await;
    let url = request(&t, &biz, &model, "").await;
    let (_, body) = read(&t, &url, &w.address()).await;
    let offer = body["data"].clone();
    assert!(offer["permit"].is_null(), "{offer}");
    let (s, body) = sign(&t, &url, &signatures(&w, &offer)).await;
    assert_eq!(s, 201, "{body}");
    let p = payplane_store::pumapay::pull_payments::get(
        &t.app.db.read,
        body["data"]["id"].as_str().unwrap(),
    )
    .await
    .unwrap()
    .unwrap();
    assert_eq!(p.permit, None);
    assert_eq!((p.number_of_payments, p.frequency), (1, 0));
});

dual!(customers_cancel_with_their_own_signature, async |b| {
    let t = TestApp::start(b).await;
    let (biz, model) = approved(&t, 3).await;
    let url = request(&t, &biz, &model, "").await;
    let (w, thief) = (Wallet::new(), Wallet::new());
    let (_, body) = read(&t, &url, &w.address()).await;
    let (s, body) = sign(&t, &url, &signatures(&w, &body["data"])).await;
    assert_eq!(s, 201, "{body}");
    let id = body["data"]["id"].as_str().unwrap().to_string();
    let cancel_url = format!("{}/api/v2/open-auth/pull-payments/{id}/cancel", t.base);
    let (s, body) = send(t.client.get(&cancel_url)).await;
    let d = data(s, &body, "Successfully retrieved cancellation data");
    assert_eq!(d["cancel"]["primaryType"], "CancelPullPayment");
    let typed = d["cancel"].clone();
    let (s, body) = sign(
        &t,
        &cancel_url,
        &j!({"signature": thief.sign_typed(&typed)}),
    )
    .await;
    assert_field(s, &body, "signature", "error.signature.mismatch");
    let (s, body) = sign(&t, &cancel_url, &j!({"signature": "0xzz"})).await;
    assert_field(s, &body, "signature", "error.signature.invalid");
    let signature = w.sign_typed(&typed);
    let (s, body) = sign(&t, &cancel_url, &j!({"signature": signature})).await;
    let d = data(s, &body, "Cancellation queued");
    assert_eq!(d["id"], id.as_str());
    let payload: String =
        sqlx::query_scalar("SELECT payload FROM jobs WHERE kind = 'pullpayment.cancel'")
            .fetch_one(&t.app.db.read)
            .await
            .unwrap();
    let payload: Value = serde_json::from_str(&payload).unwrap();
    assert_eq!(
        payload,
        j!({"id": id, "signature": signature, "by": "customer"})
    );
    // A final payment cannot be cancelled.
    let mut tx = t.app.db.begin().await.unwrap();
    sqlx::query("UPDATE pull_payments SET status = 4 WHERE id = $1")
        .bind(&id)
        .execute(&mut *tx)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let (s, body) = send(t.client.get(&cancel_url)).await;
    assert_error(s, &body, 409, "error.pull.payment.final");
    let (s, body) = sign(&t, &cancel_url, &j!({"signature": signature})).await;
    assert_error(s, &body, 409, "error.pull.payment.final");
    let (s, body) = send(t.client.get(format!(
        "{}/api/v2/open-auth/pull-payments/nope/cancel",
        t.base
    )))
    .await;
    assert_error(s, &body, 404, "error.pull.payment.not.found");
});

dual!(
    a_psp_makes_codes_for_its_sub_business_and_terms_follow_the_network_clock,
    async |b| {
        let t = TestApp::start(b).await;
        let psp = business(&t).await;
        let merchant = sub_business(&t, &psp).await;
        let pid = product(&t, &psp, &merchant.id).await;
        let model = approved_model(&t, &psp, &model_body(3, &merchant.id, &pid)).await;
        let (s, _) = qr(&t, &merchant, &model, "c", "").await;
        assert_eq!(s, 200, "the merchant's own key");
        // The test clock moved the network 30 days ahead of the wall clock.
        let net = payplane_app::pumapay::networks::network(&t.app, 3)
            .await
            .unwrap();
        net.clock_offset
            .store(30 * 86_400, std::sync::atomic::Ordering::SeqCst);
        let url = request(&t, &psp, &model, "").await;
        let w = Wallet::new();
        let (_, body) = read(&t, &url, &w.address()).await;
        let offer = body["data"].clone();
        let start = offer["terms"]["startTime"].as_i64().unwrap();
        assert_eq!(start, net.now_secs(&t.app), "network time, not wall time");
        assert!(uint(&offer["permit"]["message"]["deadline"]) as i64 > start);
        let (s, body) = sign(&t, &url, &signatures(&w, &offer)).await;
        assert_eq!(s, 201, "{body}");
        let p = payplane_store::pumapay::pull_payments::get(
            &t.app.db.read,
            body["data"]["id"].as_str().unwrap(),
        )
        .await
        .unwrap()
        .unwrap();
        assert_eq!(p.business_id, merchant.id);
        assert_eq!(p.start_timestamp, start);
        // A code of a business its PSP disabled, or of a model since suspended, takes no one.
        let url = request(&t, &psp, &model, "").await;
        let (s, body) = psp_disable(&t, &psp, &merchant).await;
        assert_eq!(s, 200, "{body}");
        let (s, body) = read(&t, &url, &w.address()).await;
        assert_error(s, &body, 403, "error.business.disabled");
    }
);

async fn psp_disable(t: &TestApp, psp: &Biz, sub: &Biz) -> (u16, Value) {
    send(
        api(
            t,
            Method::POST,
            "/api-key-auth/business-control/sub/business/disabled",
            psp,
        )
        .json(&j!({"parentID": psp.id, "businessID": sub.id, "disabled": true})),
    )
    .await
}

dual!(
    a_model_suspended_after_the_code_was_made_takes_no_one,
    async |b| {
        let t = TestApp::start(b).await;
        let (biz, model) = approved(&t, 2).await;
        let url = request(&t, &biz, &model, "").await;
        let w = Wallet::new();
        let (_, body) = read(&t, &url, &w.address()).await;
        let offer = body["data"].clone();
        let op = t.admin().await;
        let res = t
            .post(&format!("/api/v2/admin/payment-models/{model}/suspend"))
            .header("Authorization", op.bearer())
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
        let (s, body) = sign(&t, &url, &signatures(&w, &offer)).await;
        assert_error(s, &body, 409, "error.payment.model.not.approved");
    }
);
