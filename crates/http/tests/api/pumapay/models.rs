use crate::dual;
use crate::pumapay::support::*;
use crate::support::*;
use reqwest::Method;
use serde_json::{Value, json as j};

fn get(
    t: &TestApp,
    b: &Biz,
    path: &str,
) -> impl std::future::Future<Output = (u16, Value)> + use<> {
    let rb = api(t, Method::GET, path, b);
    async move { json(rb.send().await.unwrap()).await }
}

fn post(
    t: &TestApp,
    b: &Biz,
    body: &Value,
) -> impl std::future::Future<Output = (u16, Value)> + use<> {
    let rb = api(t, Method::POST, "/api-key-auth/pull-payment-models", b).json(body);
    async move { json(rb.send().await.unwrap()).await }
}

dual!(
    one_payment_model_of_each_type_is_created_pending,
    async |b| {
        let t = TestApp::start(b).await;
        let biz = business(&t).await;
        let pid = product(&t, &biz, &biz.id).await;
        for type_id in 2..=8 {
            let (s, body) = post(&t, &biz, &model_body(type_id, &biz.id, &pid)).await;
            let d = data(s, &body, "Successful Payment Model inserted.");
            assert_eq!(d["typeID"], type_id);
            assert_eq!(d["statusID"], "PND");
            assert_eq!(d["networkID"], 3);
            assert_eq!(d["productID"], pid.as_str());
            assert_eq!(d["treasuryWallet"], WALLET);
            assert_eq!(d["destination"], "Treasury");
            assert_eq!(d["fiatSettlementOptIn"], false);
            assert_eq!(d["smartContractID"], 1);
            assert!(d["createdAt"].as_str().unwrap().ends_with('Z') && d["deletedAt"].is_null());
            match type_id {
                2 => assert_eq!(
                    (d["numberOfPayments"].as_i64(), d["frequency"].as_i64()),
                    (Some(1), Some(1))
                ),
                4 => assert_eq!(d["initialPaymentAmount"], 199),
                5 => {
                    assert_eq!(d["trialPeriod"], 604_800);
                    assert_eq!(d["currency"], "GBP", "GPB is read as GBP");
                }
                7 => assert!(
                    d["amount"].is_null() && d["currency"].is_null(),
                    "dynamic amounts come at QR time: {d}"
                ),
                8 => {
                    assert_eq!(d["topUpThreshold"], 500);
                    assert_eq!(d["topUpThresholdCurrency"], "EUR");
                    assert_eq!(d["topUpSuggestedTotalLimit"], 5000);
                    assert_eq!(d["currency"], "EUR");
                }
                _ => {}
            }
        }
    }
);

dual!(
    amounts_may_be_numeric_strings_and_kemix_opts_into_fiat_settlement,
    async |b| {
        let t = TestApp::start(b).await;
        let biz = business(&t).await;
        let pid = product(&t, &biz, &biz.id).await;
        let mut body = model_body(3, &biz.id, &pid);
        body["amount"] = j!("1299");
        body["numberOfPayments"] = j!("12");
        body["destination"] = j!("Kemix");
        // A Kemix model's PMA goes to the platform's settlement wallet (docs/settlement.md).
        body.as_object_mut().unwrap().remove("treasuryWallet");
        let (s, res) = post(&t, &biz, &body).await;
        let d = data(s, &res, "Successful Payment Model inserted.");
        assert_eq!(d["amount"], 1299);
        assert_eq!(d["fiatSettlementOptIn"], true);
        assert_eq!(d["destination"], "Kemix");
        assert_eq!(
            d["treasuryWallet"],
            payplane_app::pumapay::wallets::settlement_wallet(&t.app)
                .await
                .unwrap()
        );
    }
);

/// (type, field to change, new value or null to remove, field named, code)
fn invalid_variants() -> Vec<(i64, &'static str, Value, &'static str, &'static str)> {
    vec![
        (
            2,
            "initialPaymentAmount",
            j!(100),
            "initialPaymentAmount",
            "error.field.must.be.zero",
        ),
        (
            2,
            "numberOfPayments",
            j!(3),
            "numberOfPayments",
            "error.field.must.be.one",
        ),
        (
            2,
            "trialPeriod",
            j!(10),
            "trialPeriod",
            "error.field.must.be.zero",
        ),
        (
            2,
            "frequency",
            j!(60),
            "frequency",
            "error.field.must.be.one",
        ),
        (2, "amount", j!(0), "amount", "error.field.must.be.positive"),
        (2, "amount", Value::Null, "amount", "error.field.required"),
        (2, "title", Value::Null, "title", "error.field.required"),
        (
            2,
            "currency",
            j!("BTC"),
            "currency",
            "error.currency.invalid",
        ),
        (
            2,
            "currency",
            Value::Null,
            "currency",
            "error.field.required",
        ),
        (
            3,
            "numberOfPayments",
            j!(1),
            "numberOfPayments",
            "error.field.at.least.two",
        ),
        (
            3,
            "numberOfPayments",
            Value::Null,
            "numberOfPayments",
            "error.field.required",
        ),
        (
            3,
            "initialPaymentAmount",
            j!(100),
            "initialPaymentAmount",
            "error.field.must.be.zero",
        ),
        (
            3,
            "trialPeriod",
            j!(5),
            "trialPeriod",
            "error.field.must.be.zero",
        ),
        (
            3,
            "frequency",
            j!(0),
            "frequency",
            "error.field.must.be.positive",
        ),
        (
            3,
            "frequency",
            Value::Null,
            "frequency",
            "error.field.required",
        ),
        (
            4,
            "initialPaymentAmount",
            j!(0),
            "initialPaymentAmount",
            "error.field.must.be.positive",
        ),
        (
            4,
            "trialPeriod",
            j!(5),
            "trialPeriod",
            "error.field.must.be.zero",
        ),
        (
            4,
            "numberOfPayments",
            j!(1),
            "numberOfPayments",
            "error.field.at.least.two",
        ),
        (
            5,
            "trialPeriod",
            j!(0),
            "trialPeriod",
            "error.field.must.be.positive",
        ),
        (
            5,
            "initialPaymentAmount",
            j!(100),
            "initialPaymentAmount",
            "error.field.must.be.zero",
        ),
        (
            5,
            "numberOfPayments",
            j!(1),
            "numberOfPayments",
            "error.field.at.least.two",
        ),
        (
            6,
            "trialPeriod",
            j!(0),
            "trialPeriod",
            "error.field.must.be.positive",
        ),
        (
            6,
            "initialPaymentAmount",
            j!(0),
            "initialPaymentAmount",
            "error.field.must.be.positive",
        ),
        (
            6,
            "numberOfPayments",
            j!(1),
            "numberOfPayments",
            "error.field.at.least.two",
        ),
        (
            7,
            "internalTitle",
            Value::Null,
            "internalTitle",
            "error.field.required",
        ),
        (
            7,
            "amount",
            j!(-5),
            "amount",
            "error.field.must.be.positive",
        ),
        (
            7,
            "numberOfPayments",
            j!(2),
            "numberOfPayments",
            "error.field.must.be.one",
        ),
        (
            7,
            "trialPeriod",
            j!(60),
            "trialPeriod",
            "error.field.must.be.zero",
        ),
        (
            8,
            "topUpThreshold",
            Value::Null,
            "topUpThreshold",
            "error.field.required",
        ),
        (
            8,
            "topUpThreshold",
            j!(0),
            "topUpThreshold",
            "error.field.must.be.positive",
        ),
        (
            8,
            "topUpThresholdCurrency",
            j!("XXX"),
            "topUpThresholdCurrency",
            "error.currency.invalid",
        ),
        (
            8,
            "topUpThresholdCurrency",
            Value::Null,
            "topUpThresholdCurrency",
            "error.field.required",
        ),
        (
            8,
            "topUpSuggestedTotalLimit",
            Value::Null,
            "topUpSuggestedTotalLimit",
            "error.field.required",
        ),
        (
            8,
            "topUpSuggestedTotalLimit",
            j!(100),
            "topUpSuggestedTotalLimit",
            "error.field.below.threshold",
        ),
        (
            8,
            "currency",
            j!("USD"),
            "currency",
            "error.currency.mismatch",
        ),
        (
            8,
            "paymentID",
            Value::Null,
            "productID",
            "error.field.required",
        ),
        (
            3,
            "topUpThreshold",
            j!(10),
            "topUpThreshold",
            "error.field.not.allowed",
        ),
        (3, "typeID", j!(9), "typeID", "error.type.invalid"),
        (3, "typeID", Value::Null, "typeID", "error.field.required"),
        (3, "networkID", j!(2), "networkID", "error.network.invalid"),
        (
            3,
            "networkID",
            Value::Null,
            "networkID",
            "error.field.required",
        ),
        (
            3,
            "businessID",
            Value::Null,
            "businessID",
            "error.field.required",
        ),
        (
            3,
            "productID",
            Value::Null,
            "productID",
            "error.field.required",
        ),
        (
            3,
            "destination",
            j!("Bank"),
            "destination",
            "error.destination.invalid",
        ),
        (
            3,
            "treasuryWallet",
            j!("0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAeD"),
            "treasuryWallet",
            "error.wallet.checksum",
        ),
        (
            3,
            "treasuryWallet",
            j!("0x1234"),
            "treasuryWallet",
            "error.wallet.invalid",
        ),
        (
            3,
            "amount",
            j!("12.99"),
            "amount",
            "error.field.not.integer",
        ),
    ]
}

dual!(
    every_broken_type_rule_is_a_field_error_naming_field_and_rule,
    async |b| {
        let t = TestApp::start(b).await;
        let biz = business(&t).await;
        let pid = product(&t, &biz, &biz.id).await;
        for (type_id, field, value, named, code) in invalid_variants() {
            let mut body = model_body(type_id, &biz.id, &pid);
            let o = body.as_object_mut().unwrap();
            if value.is_null() {
                o.remove(field);
            } else {
                o.insert(field.into(), value.clone());
            }
            let (s, res) = post(&t, &biz, &body).await;
            assert_eq!(s, 400, "type {type_id} {field}={value}: {res}");
            assert_field(s, &res, named, code);
        }
        let (n,): (i64,) = payplane_store::sqlx::query_as("SELECT COUNT(*) FROM payment_models")
            .fetch_one(&t.app.db.read)
            .await
            .unwrap();
        assert_eq!(n, 0, "nothing was stored");
    }
);

dual!(
    several_broken_rules_are_reported_together_with_the_type_in_the_message,
    async |b| {
        let t = TestApp::start(b).await;
        let biz = business(&t).await;
        let pid = product(&t, &biz, &biz.id).await;
        let mut body = model_body(4, &biz.id, &pid);
        body["initialPaymentAmount"] = j!(0);
        body["numberOfPayments"] = j!(1);
        let (s, res) = post(&t, &biz, &body).await;
        assert_field(
            s,
            &res,
            "initialPaymentAmount",
            "error.field.must.be.positive",
        );
        assert_field(s, &res, "numberOfPayments", "error.field.at.least.two");
        let msg = res["errors"][0]["message"].as_str().unwrap();
        assert!(msg.contains("typeID 4"), "{msg}");
    }
);

dual!(
    the_business_treasury_wallet_is_the_default_and_a_product_of_another_business_is_404,
    async |b| {
        let t = TestApp::start(b).await;
        let biz = business(&t).await;
        let other = business(&t).await;
        let pid = product(&t, &biz, &biz.id).await;
        let mut body = model_body(2, &biz.id, &pid);
        body.as_object_mut().unwrap().remove("treasuryWallet");
        let (s, res) = post(&t, &biz, &body).await;
        assert_field(s, &res, "treasuryWallet", "error.treasury.wallet.missing");
        api(&t, Method::POST, "/api-key-auth/treasury-wallet", &biz)
            .json(&j!({"businessID": biz.id, "treasuryWallet": WALLET.to_lowercase()}))
            .send()
            .await
            .unwrap();
        let (s, res) = post(&t, &biz, &body).await;
        assert_eq!(
            data(s, &res, "Successful Payment Model inserted.")["treasuryWallet"],
            WALLET
        );
        let (s, res) = post(&t, &other, &model_body(2, &other.id, &pid)).await;
        assert_error(s, &res, 404, "error.product.not.found");
    }
);

dual!(
    models_list_per_product_and_network_with_filters_and_paging,
    async |b| {
        let t = TestApp::start(b).await;
        let biz = business(&t).await;
        let pid = product(&t, &biz, &biz.id).await;
        let other_product = product(&t, &biz, &biz.id).await;
        let mut ids = vec![];
        for type_id in [2, 3, 4] {
            ids.push(model(&t, &biz, &model_body(type_id, &biz.id, &pid)).await);
            t.clock.advance_secs(1);
        }
        let mut main = model_body(3, &biz.id, &pid);
        main["networkID"] = j!(1);
        let main_id = model(&t, &biz, &main).await;
        model(&t, &biz, &model_body(2, &biz.id, &other_product)).await;
        let list = |net: i64, q: &str| {
            get(
                &t,
                &biz,
                &format!(
                    "/api-key-auth/pull-payment-models/all/{}/{net}/{pid}{q}",
                    biz.id
                ),
            )
        };
        let ids_of = |v: &Value| -> Vec<String> {
            v["data"]
                .as_array()
                .unwrap()
                .iter()
                .map(|m| m["id"].as_str().unwrap().to_string())
                .collect()
        };
        let (s, body) = list(3, "").await;
        let d = data(s, &body, "Successfully retrieved Payment Models");
        assert_eq!(
            ids_of(&body),
            vec![ids[2].clone(), ids[1].clone(), ids[0].clone()]
        );
        let m = &d[0];
        assert_eq!(m["statusCode"], "PND");
        assert_eq!(m["statusName"], "Pending");
        assert!(
            m.get("estimatedGasResultETH").is_none(),
            "no invented gas estimates: {m}"
        );
        assert!(m.get("businessID").is_none());
        assert_eq!(
            ids_of(&list(1, "").await.1),
            vec![main_id.clone()],
            "networks are kept apart"
        );
        assert_eq!(
            ids_of(&list(3, "?orderType=ASC&page=2&ItemsPerPage=2").await.1),
            vec![ids[2].clone()]
        );
        assert_eq!(ids_of(&list(3, "?typeID=3").await.1), vec![ids[1].clone()]);
        assert_eq!(
            ids_of(&list(3, "?currency=EUR").await.1),
            vec![ids[2].clone()]
        );
        assert_eq!(
            ids_of(&list(3, "?statusCode=APR").await.1),
            Vec::<String>::new()
        );
        assert_eq!(
            ids_of(
                &list(3, "?orderBy=price&orderType=ASC&estimateGas=true")
                    .await
                    .1
            ),
            vec![ids[0].clone(), ids[1].clone(), ids[2].clone()]
        );
        let (s, body) = list(3, "?statusCode=NEW&typeID=1").await;
        assert_field(s, &body, "statusCode", "error.status.invalid");
        assert_field(s, &body, "typeID", "error.type.invalid");
        let (s, body) = list(5, "").await;
        assert_field(s, &body, "networkID", "error.network.invalid");
    }
);

dual!(
    a_single_model_is_served_on_both_paths_and_only_on_its_network,
    async |b| {
        let t = TestApp::start(b).await;
        let biz = business(&t).await;
        let pid = product(&t, &biz, &biz.id).await;
        let id = model(&t, &biz, &model_body(5, &biz.id, &pid)).await;
        for prefix in ["/api-key-auth/pull-payment-models", "/pull-payment-models"] {
            let (s, body) = get(&t, &biz, &format!("{prefix}/single/{}/3/{id}", biz.id)).await;
            let d = data(s, &body, "Successfully retrieved Payment Model");
            assert_eq!(d["id"], id.as_str());
            assert_eq!(d["typeID"], 5);
            let (s, body) = get(&t, &biz, &format!("{prefix}/single/{}/1/{id}", biz.id)).await;
            assert_error(s, &body, 404, "error.payment.model.not.found");
        }
        let (s, _) = get(
            &t,
            &biz,
            &format!(
                "/pull-payment-models/single/{}/3/{id}?typeID=5&statusCode=PND&currency=GBP",
                biz.id
            ),
        )
        .await;
        assert_eq!(s, 200);
        let (s, _) = get(
            &t,
            &biz,
            &format!("/pull-payment-models/single/{}/3/{id}?typeID=2", biz.id),
        )
        .await;
        assert_eq!(s, 404, "filters on the single route act as conditions");
    }
);

dual!(
    operators_approve_reject_and_suspend_with_an_audit_trail,
    async |b| {
        let t = TestApp::start(b).await;
        let biz = business(&t).await;
        let pid = product(&t, &biz, &biz.id).await;
        let a = model(&t, &biz, &model_body(2, &biz.id, &pid)).await;
        let r = model(&t, &biz, &model_body(3, &biz.id, &pid)).await;
        let op = t.admin().await;
        let act = |id: &str, action: &str| {
            t.post(&format!("/api/v2/admin/payment-models/{id}/{action}"))
                .header("Authorization", op.bearer())
        };
        let (s, body) = json(act(&a, "approve").send().await.unwrap()).await;
        let d = data(s, &body, "Successfully updated the payment model status.");
        assert_eq!(
            (d["statusCode"].as_str(), d["statusName"].as_str()),
            (Some("APR"), Some("Approved"))
        );
        let (s, body) = json(act(&a, "reject").send().await.unwrap()).await;
        assert_error(s, &body, 409, "error.payment.model.status");
        let (s, _) = json(act(&a, "suspend").send().await.unwrap()).await;
        assert_eq!(s, 200);
        let (s, _) = json(act(&r, "reject").send().await.unwrap()).await;
        assert_eq!(s, 200);
        let (s, body) = json(act(&r, "approve").send().await.unwrap()).await;
        assert_error(s, &body, 409, "error.payment.model.status");
        let (_, body) = get(
            &t,
            &biz,
            &format!("/api-key-auth/pull-payment-models/single/{}/3/{a}", biz.id),
        )
        .await;
        assert_eq!(body["data"]["statusCode"], "SUP");
        assert_eq!(body["data"]["statusName"], "Suspended");
        let (n,): (i64,) = payplane_store::sqlx::query_as(
            "SELECT COUNT(*) FROM audit_log WHERE action LIKE 'payment-model.%' AND actor = $1",
        )
        .bind(&op.id)
        .fetch_one(&t.app.db.read)
        .await
        .unwrap();
        assert_eq!(n, 3, "successful decisions are audited");
        let (s, body) = json(
            t.post(&format!("/api/v2/admin/payment-models/{a}/approve"))
                .header("pma-api-key", &biz.key)
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert_error(s, &body, 401, "unauthorized");
    }
);

dual!(the_test_network_can_auto_approve, async |b| {
    let t = TestApp::builder(b)
        .config(|c| c.pumapay.auto_approve_test_network = true)
        .start()
        .await;
    let biz = business(&t).await;
    let pid = product(&t, &biz, &biz.id).await;
    let (_, body) = post(&t, &biz, &model_body(2, &biz.id, &pid)).await;
    assert_eq!(body["data"]["statusID"], "APR");
    let mut main = model_body(2, &biz.id, &pid);
    main["networkID"] = j!(1);
    let (_, body) = post(&t, &biz, &main).await;
    assert_eq!(
        body["data"]["statusID"], "PND",
        "the main network always waits for an operator"
    );
});

dual!(a_psp_creates_models_for_its_sub_business, async |b| {
    let t = TestApp::start(b).await;
    let psp = business(&t).await;
    let merchant = sub_business(&t, &psp).await;
    let pid = product(&t, &psp, &merchant.id).await;
    let id = model(&t, &psp, &model_body(6, &merchant.id, &pid)).await;
    let (s, body) = get(
        &t,
        &merchant,
        &format!(
            "/api-key-auth/pull-payment-models/single/{}/3/{id}",
            merchant.id
        ),
    )
    .await;
    assert_eq!(
        data(s, &body, "Successfully retrieved Payment Model")["typeID"],
        6
    );
    // A PSP's model id under the PSP's own business id is not found (it belongs to the merchant).
    let (s, _) = get(
        &t,
        &psp,
        &format!("/api-key-auth/pull-payment-models/single/{}/3/{id}", psp.id),
    )
    .await;
    assert_eq!(s, 404);
});

dual!(
    gas_estimates_come_from_the_network_when_asked_for,
    async |b| {
        let t = TestApp::start(b).await;
        let biz = business(&t).await;
        let product = product(&t, &biz, &biz.id).await;
        let id = model(&t, &biz, &model_body(3, &biz.id, &product)).await;
        let base = format!("/api-key-auth/pull-payment-models/single/{}/3/{id}", biz.id);
        let (s, plain) = get(&t, &biz, &base).await;
        assert_eq!(s, 200, "{plain}");
        assert!(
            plain["data"].get("estimatedGasResultETH").is_none(),
            "only when asked for"
        );
        let (s, est) = get(&t, &biz, &format!("{base}?estimateGas=true")).await;
        assert_eq!(s, 200, "{est}");
        let eth = est["data"]["estimatedGasResultETH"].as_f64().unwrap();
        let usd = est["data"]["estimatedGasResultFial"].as_f64().unwrap();
        // registerWithPermit costs a couple of hundred thousand gas at the devnet's ~1 gwei.
        assert!(eth > 0.00005 && eth < 0.01, "{est}");
        assert!(
            (usd - eth * 3000.0).abs() < 1e-6,
            "USD at the configured ETH price: {est}"
        );
        let (_, eur) = get(
            &t,
            &biz,
            &format!("{base}?estimateGas=true&currencyEstimateGas=EUR"),
        )
        .await;
        // Each request estimates afresh (a random payment id changes the calldata's gas slightly),
        // so the fiat figure is compared with the ETH figure of the same answer.
        let eur_eth = eur["data"]["estimatedGasResultETH"].as_f64().unwrap();
        let eur = eur["data"]["estimatedGasResultFial"].as_f64().unwrap();
        assert!((eur - eur_eth * 2800.0).abs() < 1e-6);
        let (s, list) = get(
            &t,
            &biz,
            &format!(
                "/api-key-auth/pull-payment-models/all/{}/3/{product}?estimageGas=true",
                biz.id
            ),
        )
        .await;
        assert_eq!(s, 200);
        assert!(
            list["data"][0]["estimatedGasResultETH"].as_f64().unwrap() > 0.0,
            "the document's spelling works too"
        );
    }
);
