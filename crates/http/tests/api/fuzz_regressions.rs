//! Every failure the schemathesis run (`scripts/fuzz`) found, as a test of the fixed behaviour:
//! the request that failed, and what the server answers now. Add one here for each new finding.
use crate::dual;
use crate::pumapay::support::*;
use crate::support::*;
use payplane_app::pazemo::auth::Mode;
use reqwest::Method;
use serde_json::json as j;

// A method the path does not serve answered 409 when its Idempotency-Key had been used: the
// idempotency layer ran before routing. Now only a route's handlers see keys.
dual!(
    a_method_the_path_does_not_serve_is_405_whatever_its_idempotency_key,
    async |b| {
        let t = TestApp::start(b).await;
        let u = t.user(Mode::Test).await;
        let (s, body) = send(
            t.pazemo(&u)
                .req(Method::POST, "/users/me/webhooks/test")
                .header("Idempotency-Key", "k1"),
        )
        .await;
        assert_eq!(s, 202, "{body}");
        for method in [Method::PUT, Method::DELETE, Method::PATCH] {
            let res = t
                .pazemo(&u)
                .req(method.clone(), "/users/me/webhooks/test")
                .header("Idempotency-Key", "k1")
                .send()
                .await
                .unwrap();
            assert_eq!(res.headers()["allow"], "POST", "{method}");
            let (s, body) = json(res).await;
            assert_eq!(s, 405, "{method}: {body}");
            assert_validation(&body, "error.method.not.allowed");
        }
        // And on the pull-payment face, in its envelope.
        let biz = business(&t).await;
        let (s, body) = send(
            t.pumapay(&biz)
                .req(
                    Method::PATCH,
                    "/api-key-auth/business/postback-secret/x/rotate",
                )
                .header("Idempotency-Key", "k1"),
        )
        .await;
        assert_eq!(s, 405, "{body}");
        assert_eq!(body["errors"][0]["code"], "error.method.not.allowed");
    }
);

// `"beneficiaryId": -641.0` is an integer to JSON Schema (and to JavaScript); it was a 400.
dual!(
    a_whole_number_written_with_a_fraction_or_exponent_is_an_integer,
    async |b| {
        let t = TestApp::start(b).await;
        let u = t.user(Mode::Test).await;
        let acct = crate::pazemo::support::open_account(&t, &u, "IDR").await;
        for spelling in ["7.0", "7e0", "0.7e1", "700e-2"] {
            let (s, body) = t
                .pazemo(&u)
                .post_raw(
                    &format!("/accounts/{acct}/withdraw"),
                    &format!(r#"{{"beneficiaryId": {spelling}, "amount": 1000}}"#),
                )
                .await;
            // Recipient 7 does not exist: the id was read.
            assert_eq!(s, 404, "{spelling}: {body}");
            assert_validation(&body, "error.beneficiary.not.found");
        }
        let (s, body) = t
            .pazemo(&u)
            .post_raw(
                &format!("/accounts/{acct}/withdraw"),
                r#"{"beneficiaryId": 7.5, "amount": 1000}"#,
            )
            .await;
        assert_eq!(s, 400, "{body}");
        assert_validation(&body, "error.json.invalid");
    }
);

// `size=0` was silently read as 1 on the delivery list, unlike every other list.
dual!(webhook_delivery_pages_out_of_range_are_400, async |b| {
    let t = TestApp::start(b).await;
    let u = t.user(Mode::Test).await;
    for (query, code) in [
        ("size=0", "error.size.invalid"),
        ("size=101", "error.size.invalid"),
        ("page=-1", "error.page.invalid"),
    ] {
        let (s, body) = t
            .pazemo(&u)
            .get(&format!("/users/me/webhooks/deliveries?{query}"))
            .await;
        assert_eq!(s, 400, "{query}: {body}");
        assert_validation(&body, code);
    }
    let (s, body) = t
        .pazemo(&u)
        .get(&format!("/users/me/webhooks/deliveries?page={}", i64::MAX))
        .await;
    assert_eq!(s, 200, "{body}");
});

// The limits on tokens and webhook endpoints are state, not bad input: 409, as a conflict.
dual!(
    the_sixth_token_and_the_seventeenth_webhook_are_409,
    async |b| {
        let t = TestApp::start(b).await;
        let u = t.user(Mode::Test).await;
        for i in 0..17 {
            let (s, body) = t
                .pazemo(&u)
                .post(
                    "/users/me/webhooks",
                    &j!({"url": format!("https://hooks{i}.example.com/x")}),
                )
                .await;
            if i < 16 {
                assert_eq!(s, 201, "{body}");
            } else {
                assert_eq!(s, 409, "{body}");
                assert_validation(&body, "error.webhook.limit");
            }
        }
    }
);

// POST /api/v2/open-auth/faucet {"address": "0x000…0"} was a 500: the token refuses to mint
// to the zero address. Now a 400 before anything is sent; treasury wallets refuse it too.
dual!(the_zero_address_is_refused_not_a_server_error, async |b| {
    let t = TestApp::start(b).await;
    let zero = format!("0x{}", "0".repeat(40));
    let (s, body) = json(
        t.post("/api/v2/open-auth/faucet")
            .json(&j!({"address": zero, "networkID": 3}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_field(s, &body, "address", "error.address.invalid");
    let biz = business(&t).await;
    let (s, body) = t
        .pumapay(&biz)
        .post(
            "/api-key-auth/treasury-wallet",
            &j!({"businessID": biz.id, "treasuryWallet": zero}),
        )
        .await;
    assert_field(s, &body, "treasuryWallet", "error.wallet.zero");
});

// "Ě@b.co" and a 65-character local part were accepted as e-mail addresses; the document's
// `email` format (RFC 5321) refuses both.
dual!(
    e_mail_addresses_are_ascii_with_a_short_local_part,
    async |b| {
        let t = TestApp::start(b).await;
        for email in [
            "\u{11a}\u{de}@b.co".to_string(),
            format!("{}@b.co", "a".repeat(65)),
            "a@b.0".to_string(),
            "a..b@b.co".to_string(),
        ] {
            let (s, body) = json(
                t.post("/api/v2/console-auth/register")
                    .json(&j!({"company": "Acme", "email": email, "password": PASSWORD}))
                    .send()
                    .await
                    .unwrap(),
            )
            .await;
            assert_field(s, &body, "email", "error.email.invalid");
        }
        let (s, body) = json(
        t.post("/api/v2/console-auth/register")
            .json(&j!({"company": "Acme", "email": format!("{}@b.co", "a".repeat(64)), "password": PASSWORD}))
            .send()
            .await
            .unwrap(),
    )
    .await;
        assert_eq!(s, 200, "{body}");
    }
);

// A password of 8 to 256 characters counted bytes at the top: 100 four-byte characters were
// refused while the document (and the message) say characters.
dual!(password_length_is_counted_in_characters, async |b| {
    let t = TestApp::start(b).await;
    let (s, body) = json(
        t.post("/api/v2/console-auth/register")
            .json(&j!({"company": "Acme", "email": email(), "password": "\u{1F600}".repeat(100)}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(s, 200, "{body}");
    let (s, body) = json(
        t.post("/api/v2/console-auth/register")
            .json(&j!({"company": "Acme", "email": email(), "password": "p".repeat(257)}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_field(s, &body, "password", "error.password.weak");
});

// "http://c8.w*" was accepted as a webhook URL (the parser takes `*` in a host), and product and
// business URLs only had to start with http(s)://. Every URL field now takes an http(s) URL whose
// host is a domain name or an IP address, as written.
dual!(urls_must_name_a_real_host, async |b| {
    let t = TestApp::start(b).await;
    let u = t.user(Mode::Test).await;
    for url in [
        "http://c8.w*",
        "http://b\u{fc}cher.example/x",
        "http://a.b:99999/",
    ] {
        let (s, body) = t
            .pazemo(&u)
            .post("/users/me/webhooks", &j!({"url": url}))
            .await;
        assert_eq!(s, 400, "{url}: {body}");
        assert_validation(&body, "error.url.invalid");
    }
    let biz = business(&t).await;
    let (s, body) = t
        .pumapay(&biz)
        .put(
            &format!("/api-key-auth/business/business-details/{}", biz.id),
            &j!({"url": "http://shop*.example"}),
        )
        .await;
    assert_field(s, &body, "url", "error.url.invalid");
    let (s, body) = t
        .pumapay(&biz)
        .post(
            &format!("/api-key-auth/products/{}", biz.id),
            &j!({"categoryID": 1, "productName": "Plan", "productUrl": "http://x*y.example", "networkID": 3}),
        )
        .await;
    assert_field(s, &body, "productUrl", "error.url.invalid");
    let (s, body) = t
        .pumapay(&biz)
        .post(
            "/api-key-auth/business/postback",
            &j!({"businessID": biz.id, "url": "https://h.1.a.x.70.c.2ih.m*", "environment": "Ropsten"}),
        )
        .await;
    assert_field(s, &body, "url", "error.url.invalid");
    // What people write still works: upper case, ports, queries, an address.
    for url in [
        "HTTPS://Hooks.Example.com:8443/in?x=1#y",
        "http://10.0.0.8/hook",
    ] {
        let (s, body) = t
            .pazemo(&u)
            .post("/users/me/webhooks", &j!({"url": url}))
            .await;
        assert_eq!(s, 201, "{url}: {body}");
    }
});

// `state: true` and `zipCode: {}` were silently dropped; only text and numbers are read.
dual!(
    business_details_text_fields_refuse_other_json_types,
    async |b| {
        let t = TestApp::start(b).await;
        let biz = business(&t).await;
        for (field, value) in [("state", j!(true)), ("zipCode", j!({}))] {
            let (s, body) = t
                .pumapay(&biz)
                .put(
                    &format!("/api-key-auth/business/business-details/{}", biz.id),
                    &j!({ field: value }),
                )
                .await;
            assert_field(s, &body, field, "error.field.not.text");
        }
        let (s, body) = t
            .pumapay(&biz)
            .put(
                &format!("/api-key-auth/business/business-details/{}", biz.id),
                &j!({"zipCode": 12345, "state": "Bali"}),
            )
            .await;
        assert_eq!(s, 200, "{body}");
    }
);

// The single-product read ignored an unknown `currency` (and counted nothing in it); the list
// refused it. Both refuse it now.
dual!(a_product_read_refuses_an_unknown_currency, async |b| {
    let t = TestApp::start(b).await;
    let biz = business(&t).await;
    let pid = product(&t, &biz, &biz.id).await;
    let (s, body) = t
        .pumapay(&biz)
        .get(&format!(
            "/api-key-auth/products/single/{}/{pid}/3?currency=XYZ",
            biz.id
        ))
        .await;
    assert_field(s, &body, "currency", "error.currency.invalid");
    let (s, body) = t
        .pumapay(&biz)
        .get(&format!(
            "/api-key-auth/products/single/{}/{pid}/3?currency=gpb",
            biz.id
        ))
        .await;
    assert_eq!(s, 200, "{body}");
});

// postback-control took `environment` unchecked whenever `networkID` was given too.
dual!(
    postback_control_checks_every_network_field_given,
    async |b| {
        let t = TestApp::start(b).await;
        let biz = business(&t).await;
        let (s, body) = t
        .pumapay(&biz)
        .put(
            "/api-key-auth/business/postback-control/",
            &j!({"businessID": biz.id, "networkID": 3, "environment": "Kovan", "product": true}),
        )
        .await;
        assert_field(s, &body, "environment", "error.environment.invalid");
        let (s, body) = t
            .pumapay(&biz)
            .get(&format!(
                "/api-key-auth/business/postback-control/{}?networkID=3&environment=Kovan",
                biz.id
            ))
            .await;
        assert_field(s, &body, "environment", "error.environment.invalid");
    }
);
