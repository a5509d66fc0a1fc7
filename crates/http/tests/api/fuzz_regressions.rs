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

// A webhook URL of more than 2 048 bytes as sent, brought under the limit by the spaces before
// it, was taken: its size was checked after trimming, while the document's `maxLength` counts
// what is sent. Postback URLs had the same order. Now the size is checked as sent.
dual!(a_url_is_measured_as_sent, async |b| {
    let t = TestApp::start(b).await;
    let u = t.user(Mode::Test).await;
    let base = "https://e.example/";
    // 14 spaces and 2 048 bytes: 2 062 as sent.
    let long = format!("{}{base}{}", " ".repeat(14), "a".repeat(2048 - base.len()));
    // Two spaces and 2 046 bytes: 2 048 as sent, the most a URL may be.
    let fits = format!("  {base}{}", "a".repeat(2046 - base.len()));
    let (s, body) = t
        .pazemo(&u)
        .post("/users/me/webhooks", &j!({ "url": long }))
        .await;
    assert_eq!(s, 400, "{body}");
    assert_validation(&body, "error.url.too.long");
    let (s, body) = t
        .pazemo(&u)
        .post("/users/me/webhooks", &j!({ "url": fits }))
        .await;
    assert_eq!(s, 201, "{body}");
    assert_eq!(body["url"], fits.trim());

    let biz = business(&t).await;
    let postback = |url: &str| j!({"businessID": biz.id, "url": url, "environment": "Ropsten"});
    let (s, body) = t
        .pumapay(&biz)
        .post("/api-key-auth/business/postback", &postback(&long))
        .await;
    assert_field(s, &body, "url", "error.field.too.long");
    let (s, body) = t
        .pumapay(&biz)
        .post("/api-key-auth/business/postback", &postback(&fits))
        .await;
    assert_eq!(s, 200, "{body}");
    assert_eq!(body["data"]["url"], fits.trim());
});

/// The schema of parameter `name` of operation `method path` in the document.
fn parameter(doc: &serde_json::Value, method: &str, path: &str, name: &str) -> serde_json::Value {
    doc["paths"][path][method]["parameters"]
        .as_array()
        .unwrap_or_else(|| panic!("{method} {path} has no parameters"))
        .iter()
        .find(|p| p["name"] == name)
        .unwrap_or_else(|| panic!("{method} {path} has no parameter {name}"))["schema"]
        .clone()
}

// `GET /beneficiaries?accountId=` answered 404 (no such account of the caller's), which the
// operation did not list. It is listed now.
dual!(
    a_recipient_filter_naming_no_account_of_yours_is_a_listed_404,
    async |b| {
        let t = TestApp::start(b).await;
        let u = t.user(Mode::Test).await;
        let other = t.user(Mode::Test).await;
        let theirs = crate::pazemo::support::open_account(&t, &other, "IDR").await;
        for filter in [String::new(), theirs] {
            let (s, body) = t
                .pazemo(&u)
                .get(&format!("/beneficiaries?accountId={filter}"))
                .await;
            assert_eq!(s, 404, "{filter:?}: {body}");
            assert_validation(&body, "error.account.not.found");
        }
        let doc = payplane_http::api().1;
        assert!(doc["paths"]["/beneficiaries"]["get"]["responses"]["404"].is_object());
    }
);

// The fiat settlement routes documented their parameters as any text or integer, while the
// server takes EUR or USD, networkID 1 or 3, pages from 1 and 1–100 items, the actions settle and
// unsettle, and a link body with currency, accountId and userId: schema-valid requests were
// refused (`/reports/fiat/total/{businessID}/0?networkID=9223372036854775807`). A blank
// `orderType` is read as absent, which the document now allows too.
dual!(
    settlement_parameters_are_documented_as_the_server_reads_them,
    async |b| {
        let t = TestApp::start(b).await;
        let biz = business(&t).await;
        let doc = payplane_http::api().1;
        let total = "/api/v2/reports/fiat/total/{businessID}/{currency}";
        let currency = parameter(&doc, "get", total, "currency");
        assert!(
            currency["pattern"]
                .as_str()
                .unwrap()
                .contains("[Ee][Uu][Rr]"),
            "{currency}"
        );
        // "Or blank": these lists read their query leniently (`a_blank_list_parameter_…`).
        assert_eq!(
            parameter(&doc, "get", total, "networkID")["anyOf"][0]["enum"],
            j!([1, 3])
        );
        let (s, body) = t
            .pumapay(&biz)
            .get(&format!(
                "/reports/fiat/total/{}/0?networkID=9223372036854775807",
                biz.id
            ))
            .await;
        assert_field(s, &body, "currency", "error.settlement.currency.invalid");
        let (s, body) = t
            .pumapay(&biz)
            .get(&format!("/reports/fiat/total/{}/eur?networkID=3", biz.id))
            .await;
        assert_eq!(s, 200, "{body}");

        let all = "/api/v2/reports/fiat/all/{businessID}";
        assert_eq!(
            parameter(&doc, "get", all, "page")["anyOf"][0]["minimum"],
            1
        );
        let per = &parameter(&doc, "get", all, "itemsPerPage")["anyOf"][0];
        assert_eq!((&per["minimum"], &per["maximum"]), (&j!(1), &j!(100)));
        let order = parameter(&doc, "get", all, "orderType");
        let pattern = order["pattern"].as_str().unwrap();
        assert!(
            pattern.starts_with(r"^\s*(") && pattern.ends_with(r")?\s*$"),
            "{pattern}"
        );
        let (s, body) = t
            .pumapay(&biz)
            .get(&format!("/reports/fiat/all/{}?itemsPerPage=0", biz.id))
            .await;
        assert_field(s, &body, "itemsPerPage", "error.items.per.page.invalid");
        let (s, body) = t
            .pumapay(&biz)
            .get(&format!(
                "/reports/fiat/all/{}?orderType=&networkID=3",
                biz.id
            ))
            .await;
        assert_eq!(s, 200, "{body}");

        let action = "/api/v2/admin/settlements/{settlementID}/{action}";
        assert_eq!(
            parameter(&doc, "post", action, "action")["pattern"],
            "^(settle|unsettle)$"
        );
        let link = &doc["components"]["schemas"]["LinkBody"]["required"];
        for field in ["currency", "accountId", "userId"] {
            assert!(link.as_array().unwrap().contains(&j!(field)), "{link}");
        }
    }
);

// An operator credit of 900 000 001 was taken while the document's `amount` said at most
// 900 000 000 (a bound below every currency's maximum, which no route enforced). The document
// now states the parser's bound, 10^13 for every currency; an operation with a lower
// maximum per currency (quotes, withdrawals) says so in its 400.
dual!(amounts_are_documented_up_to_the_parsers_bound, async |b| {
    let t = TestApp::start(b).await;
    let u = t.user(Mode::Test).await;
    let op = t.admin().await;
    let acct = crate::pazemo::support::open_account(&t, &u, "IDR").await;
    let credit = |amount: serde_json::Value, reference: &str| {
        send(
            t.post(&format!("/admin/accounts/{acct}/credit"))
                .header("Authorization", op.bearer())
                .json(&j!({"amount": amount, "reference": reference})),
        )
    };
    let (s, body) = credit(j!(900_000_001), "over-the-old-bound").await;
    assert_eq!(s, 200, "{body}");
    let (s, body) = credit(j!("10000000000000.01"), "over-the-parser").await;
    assert_eq!(s, 400, "{body}");
    let doc = payplane_http::api().1;
    let amount = &doc["components"]["schemas"]["Credit"]["properties"]["amount"];
    assert_eq!(amount["maximum"], j!(10_000_000_000_000_i64), "{amount}");
});

// `itemsPerPage=` (blank) was answered 200 while the document said an integer: the lists that
// read their query leniently take a blank parameter as absent, as the seed document's samples
// send it (`?page=&itemsPerPage=`). The document now says "an integer, or blank" for them; the
// first version of that lost the integer's 64-bit bound (`page=769622573438804426752`, a 400,
// was schema-valid).
dual!(a_blank_list_parameter_is_documented_as_absent, async |b| {
    let t = TestApp::start(b).await;
    let biz = business(&t).await;
    let (s, body) = t
        .pumapay(&biz)
        .get(&format!(
            "/api-key-auth/pull-payments/business/{}?page=&itemsPerPage=&networkID=",
            biz.id
        ))
        .await;
    assert_eq!(s, 200, "{body}");
    let doc = payplane_http::api().1;
    let list = "/api/v2/api-key-auth/pull-payments/business/{businessID}";
    for name in ["page", "itemsPerPage", "networkID"] {
        let schema = parameter(&doc, "get", list, name);
        assert_eq!(schema["anyOf"][1]["pattern"], r"^\s*$", "{name}: {schema}");
    }
    assert_eq!(
        parameter(&doc, "get", list, "page")["anyOf"][0]["minimum"],
        1
    );
    // And still a 64-bit integer: `page=769622573438804426752` is not one (a 400, documented).
    let page = &parameter(&doc, "get", list, "page")["anyOf"][0];
    assert_eq!(page["maximum"], j!(i64::MAX), "{page}");
    let (s, body) = t
        .pumapay(&biz)
        .get(&format!(
            "/api-key-auth/pull-payments/business/{}?page=769622573438804426752",
            biz.id
        ))
        .await;
    assert_field(s, &body, "page", "error.field.not.integer");
});
