//! Postback delivery: routing (model → product → business, parent PSPs), control, headers,
//! the documented body, signatures, redelivery, the test route and secret rotation.
use super::postbacks::{call, create, private_ok};
use crate::dual;
use crate::pumapay::support::*;
use crate::support::*;
use payplane_app::pumapay::postbacks::body::{
    self, PullPaymentFacts, TransactionFacts, TxStatus, TxType,
};
use payplane_app::pumapay::postbacks::routing::{Published, publish_pull_payment_event};
use reqwest::Method;
use serde_json::{Value, json as j};
use std::collections::BTreeSet;

fn facts(business_id: &str, network_id: i64) -> (PullPaymentFacts, TransactionFacts) {
    let pp = PullPaymentFacts {
        payment_id: "pp-1".into(),
        business_id: business_id.into(),
        unique_reference_id: "customer-42".into(),
        customer_address: WALLET.into(),
        treasury_wallet: WALLET.into(),
        executor_address: "0xdbF03B407c01E7cD3CBea99509d93f8DDDC8C6FB".into(),
        currency: "EUR".into(),
        start_timestamp: 1_700_000_000,
        end_timestamp: 1_731_536_000,
        fiat_amount_in_cents: 1299,
        initial_payment_amount: 199,
        frequency: 2_592_000,
        number_of_payments: 12,
        signature: "0xsig".into(),
        encrypted_details: "sealed".into(),
        network_id,
    };
    let tx = TransactionFacts {
        hash: "0xhash".into(),
        tx_type: TxType::Execute,
        status: TxStatus::Success,
        from: WALLET.into(),
        to: "0xdbF03B407c01E7cD3CBea99509d93f8DDDC8C6FB".into(),
        contract_address: None,
        block_hash: Some("0xblock".into()),
        block_number: Some(7),
        gas_used: Some(81_000),
        cumulative_gas_used: Some(90_000),
        logs: vec![],
        logs_bloom: Some("0x00".into()),
        index: 2,
    };
    (pp, tx)
}

async fn publish(
    t: &TestApp,
    business_id: &str,
    network_id: i64,
    product: Option<&str>,
    model: Option<&str>,
) -> Published {
    let (pp, tx) = facts(business_id, network_id);
    let data = body::build(&pp, &tx);
    let mut db = t.app.db.begin().await.unwrap();
    let out = publish_pull_payment_event(
        &mut db,
        business_id,
        network_id,
        product,
        model,
        &data,
        t.app.now(),
    )
    .await
    .unwrap();
    db.commit().await.unwrap();
    out
}

fn id(v: &Value) -> String {
    v["id"].as_str().unwrap().to_string()
}

async fn link(t: &TestApp, who: &Biz, path: &str, body: Value) {
    let (s, res) = call(t, Method::PUT, path, who, Some(body)).await;
    assert_eq!(s, 200, "{res}");
}

dual!(
    routing_picks_the_model_over_the_product_over_the_business,
    async |b| {
        let t = private_ok(b).start().await;
        let (rb, rp, rm) = (
            Receiver::start().await,
            Receiver::start().await,
            Receiver::start().await,
        );
        let biz = business(&t).await;
        // The first postback on a network becomes the business-level one.
        let pb_b = id(&create(&t, &biz, &biz.id, &rb.url, "Ropsten").await);
        let pb_p = id(&create(&t, &biz, &biz.id, &rp.url, "Ropsten").await);
        let pb_m = id(&create(&t, &biz, &biz.id, &rm.url, "Ropsten").await);
        let product = product(&t, &biz, &biz.id).await;
        let other_product = crate::pumapay::support::product(&t, &biz, &biz.id).await;
        let model = model(&t, &biz, &model_body(3, &biz.id, &product)).await;
        let other_model =
            crate::pumapay::support::model(&t, &biz, &model_body(2, &biz.id, &product)).await;
        link(
            &t,
            &biz,
            "/business/postback/product",
            j!({"businessID": biz.id, "productID": product, "businessPostbackID": pb_p}),
        )
        .await;
        link(
            &t,
            &biz,
            "/business/postback/paymentmodel",
            j!({"businessID": biz.id, "paymentModelID": model, "businessPostbackID": pb_m}),
        )
        .await;

        let out = publish(&t, &biz.id, 3, Some(&product), Some(&model)).await;
        assert_eq!(
            out.deliveries
                .iter()
                .map(|d| d.1.clone())
                .collect::<Vec<_>>(),
            vec![pb_m.clone()]
        );
        let out = publish(&t, &biz.id, 3, Some(&product), Some(&other_model)).await;
        assert_eq!(out.deliveries[0].1, pb_p);
        let out = publish(&t, &biz.id, 3, Some(&other_product), None).await;
        assert_eq!(out.deliveries[0].1, pb_b);
        // Nothing on the other network.
        assert!(
            publish(&t, &biz.id, 1, Some(&product), Some(&model))
                .await
                .deliveries
                .is_empty()
        );
        assert_eq!(t.run_deliveries().await, 3);
        assert_eq!(
            (
                rb.received().len(),
                rp.received().len(),
                rm.received().len()
            ),
            (1, 1, 1)
        );
        // Control can skip a level: with payment-model postbacks off, the product's is used.
        let (s, res) = call(
            &t,
            Method::PUT,
            "/business/postback-control/",
            &biz,
            Some(j!({"businessID": biz.id, "paymentModel": false, "networkID": 3})),
        )
        .await;
        assert_eq!(s, 200, "{res}");
        assert_eq!(
            publish(&t, &biz.id, 3, Some(&product), Some(&model))
                .await
                .deliveries[0]
                .1,
            pb_p
        );
    }
);

dual!(
    a_parent_psp_also_receives_its_sub_businesses_events,
    async |b| {
        let t = private_ok(b).start().await;
        let (r_psp, r_mid, r_shop) = (
            Receiver::start().await,
            Receiver::start().await,
            Receiver::start().await,
        );
        let psp = business(&t).await;
        let mid = sub_business(&t, &psp).await;
        let shop = sub_business(&t, &mid).await;
        let pb_psp = id(&create(&t, &psp, &psp.id, &r_psp.url, "Ropsten").await);
        let pb_mid = id(&create(&t, &mid, &mid.id, &r_mid.url, "Ropsten").await);
        let pb_shop = id(&create(&t, &shop, &shop.id, &r_shop.url, "Ropsten").await);
        link(&t, &mid, "/business/postback/parent", j!({"businessID": shop.id, "businessPostbackID": pb_shop, "parentBusinessPostbackID": pb_mid})).await;
        link(&t, &psp, "/business/postback/parent", j!({"businessID": mid.id, "businessPostbackID": pb_mid, "parentBusinessPostbackID": pb_psp})).await;
        let out = publish(&t, &shop.id, 3, None, None).await;
        let got: Vec<String> = out.deliveries.iter().map(|d| d.1.clone()).collect();
        assert_eq!(got, vec![pb_shop.clone(), pb_mid.clone(), pb_psp.clone()]);
        t.run_deliveries().await;
        for r in [&r_psp, &r_mid, &r_shop] {
            let got = r.received();
            assert_eq!(got.len(), 1);
            let body: Value = serde_json::from_str(&got[0].body).unwrap();
            assert_eq!(body["paymentData"]["businessID"], shop.id);
        }
        // The PSP sees the delivery in its own log.
        let (s, res) = call(
            &t,
            Method::GET,
            &format!("/business/postback-deliveries/{}", psp.id),
            &psp,
            None,
        )
        .await;
        let log = data(s, &res, "Successfully retrieved postback deliveries");
        assert_eq!(log.as_array().unwrap().len(), 1);
        // The middle business switches its parent postback off: the chain stops there.
        let (s, res) = call(
            &t,
            Method::PUT,
            "/business/postback-control/",
            &mid,
            Some(j!({"businessID": mid.id, "parentBusiness": false})),
        )
        .await;
        assert_eq!(s, 200, "{res}");
        let out = publish(&t, &shop.id, 3, None, None).await;
        assert_eq!(
            out.deliveries
                .iter()
                .map(|d| d.1.clone())
                .collect::<Vec<_>>(),
            vec![pb_shop, pb_mid]
        );
    }
);

dual!(
    postback_control_off_stops_only_that_business_and_network,
    async |b| {
        let t = private_ok(b).start().await;
        let rx = Receiver::start().await;
        let biz = business(&t).await;
        let other = business(&t).await;
        create(&t, &biz, &biz.id, &rx.url, "Ropsten").await;
        create(&t, &biz, &biz.id, &rx.url, "Mainnet").await;
        create(&t, &other, &other.id, &rx.url, "Ropsten").await;
        let (s, res) = call(&t, Method::PUT, "/business/postback-control/", &biz,
        Some(j!({"businessID": biz.id, "product": false, "paymentModel": false, "business": false, "parentBusiness": false, "environment": "Ropsten"}))).await;
        assert_eq!(s, 200, "{res}");
        assert!(
            publish(&t, &biz.id, 3, None, None)
                .await
                .deliveries
                .is_empty()
        );
        assert_eq!(
            publish(&t, &biz.id, 1, None, None).await.deliveries.len(),
            1
        );
        assert_eq!(
            publish(&t, &other.id, 3, None, None).await.deliveries.len(),
            1
        );
        assert_eq!(t.run_deliveries().await, 2);
        let bodies: Vec<Value> = rx
            .received()
            .iter()
            .map(|r| serde_json::from_str(&r.body).unwrap())
            .collect();
        assert!(
            bodies
                .iter()
                .all(|b| !(b["paymentData"]["businessID"] == biz.id
                    && b["paymentData"]["networkID"] == 3))
        );
    }
);

fn keys(v: &Value) -> BTreeSet<String> {
    v.as_object().unwrap().keys().cloned().collect()
}

fn set(names: &[&str]) -> BTreeSet<String> {
    names.iter().map(|s| s.to_string()).collect()
}

dual!(
    a_delivery_carries_the_documented_body_headers_and_a_verifiable_signature,
    async |b| {
        let t = private_ok(b).start().await;
        let rx = Receiver::start().await;
        let biz = business(&t).await;
        let created = create(&t, &biz, &biz.id, &rx.url, "Ropsten").await;
        let secret = created["signingSecret"].as_str().unwrap().to_string();
        publish(&t, &biz.id, 3, None, None).await;
        assert_eq!(t.run_deliveries().await, 1);
        let r = &rx.received()[0];
        assert_eq!(r.headers["pma-api-key"], "Bearer merchant-token");
        let body: Value = serde_json::from_str(&r.body).unwrap();
        assert_eq!(keys(&body), set(&["transactionData", "paymentData"]));
        assert_eq!(
            keys(&body["transactionData"]),
            set(&[
                "blockHash",
                "blockNumber",
                "contractAddress",
                "cumulativeGasPrice",
                "from",
                "gasUsed",
                "logs",
                "logsBloom",
                "status",
                "to",
                "transactionHash",
                "transactionType",
                "transactionIndex"
            ])
        );
        assert_eq!(
            keys(&body["paymentData"]),
            set(&[
                "paymentID",
                "businessID",
                "uniqueReferenceID",
                "customerAddress",
                "treasuryWallet",
                "pullPaymentExecutorAddress",
                "currency",
                "endTimestamp",
                "fiatAmountInCents",
                "initialPaymentAmount",
                "frequency",
                "numberOfPayments",
                "startTimestamp",
                "signature",
                "encryptedPaymebntDetails",
                "type",
                "networkID"
            ])
        );
        assert_eq!(body["transactionData"]["status"], "true");
        assert_eq!(body["transactionData"]["transactionType"], "3");
        assert_eq!(body["paymentData"]["type"], 3);
        assert_eq!(body["paymentData"]["networkID"], 3);
        assert_eq!(body["paymentData"]["uniqueReferenceID"], "customer-42");
        let ts: i64 = r.headers["webhook-timestamp"].parse().unwrap();
        let expected =
            payplane_app::webhooks::sign::sign(&secret, &r.headers["webhook-id"], ts, &r.body);
        assert_eq!(r.headers["webhook-signature"], expected);
        verify_with_official_library(&secret, r);
    }
);

dual!(
    redelivery_keeps_the_webhook_id_and_is_private_to_the_business,
    async |b| {
        let t = private_ok(b).start().await;
        let rx = Receiver::start().await;
        let biz = business(&t).await;
        let other = business(&t).await;
        create(&t, &biz, &biz.id, &rx.url, "Ropsten").await;
        let (s, res) = call(
            &t,
            Method::POST,
            &format!("/business/postback/test/{}", biz.id),
            &biz,
            Some(j!({"networkID": 3})),
        )
        .await;
        let sent = data(s, &res, "Successfully sent test postback");
        let delivery = sent["deliveries"][0]["deliveryID"]
            .as_str()
            .unwrap()
            .to_string();
        t.run_deliveries().await;
        let (s, res) = call(
            &t,
            Method::GET,
            &format!(
                "/business/postback-deliveries/{}?status=succeeded&event=postback.test",
                biz.id
            ),
            &biz,
            None,
        )
        .await;
        let log = data(s, &res, "Successfully retrieved postback deliveries");
        assert_eq!(log[0]["id"], delivery);
        assert_eq!(log[0]["attempts"], 1);
        assert_eq!(log[0]["lastStatusCode"], 200);
        let (_, res) = call(
            &t,
            Method::GET,
            &format!("/business/postback-deliveries/{}?status=dead", biz.id),
            &biz,
            None,
        )
        .await;
        assert_eq!(res["data"].as_array().unwrap().len(), 0);
        let (_, res) = call(
            &t,
            Method::GET,
            &format!("/business/postback-deliveries/{}?endTimestamp=1", biz.id),
            &biz,
            None,
        )
        .await;
        assert_eq!(res["data"].as_array().unwrap().len(), 0);

        let path = format!(
            "/business/postback-deliveries/{}/{delivery}/redeliver",
            biz.id
        );
        let (s, res) = call(&t, Method::POST, &path, &other, None).await;
        assert_error(s, &res, 403, "error.business.forbidden");
        let (s, res) = call(
            &t,
            Method::POST,
            &format!(
                "/business/postback-deliveries/{}/{delivery}/redeliver",
                other.id
            ),
            &other,
            None,
        )
        .await;
        assert_error(s, &res, 404, "error.delivery.not.found");
        let (_, res) = call(
            &t,
            Method::GET,
            &format!("/business/postback-deliveries/{}", biz.id),
            &other,
            None,
        )
        .await;
        assert_eq!(res["errors"][0]["code"], "error.business.forbidden");
        let (s, res) = call(&t, Method::POST, &path, &biz, None).await;
        data(s, &res, "Successfully scheduled postback redelivery");
        t.run_deliveries().await;
        let got = rx.received();
        assert_eq!(got.len(), 2);
        assert_eq!(got[0].headers["webhook-id"], got[1].headers["webhook-id"]);
        assert_eq!(got[1].headers["webhook-id"], delivery);
        let body: Value = serde_json::from_str(&got[1].body).unwrap();
        assert_eq!(body["paymentData"]["businessID"], biz.id);
    }
);

dual!(the_test_postback_goes_through_routing, async |b| {
    let t = private_ok(b).start().await;
    let (rb, rm) = (Receiver::start().await, Receiver::start().await);
    let biz = business(&t).await;
    let pb_b = id(&create(&t, &biz, &biz.id, &rb.url, "Ropsten").await);
    let pb_m = id(&create(&t, &biz, &biz.id, &rm.url, "Ropsten").await);
    let product = product(&t, &biz, &biz.id).await;
    let model = model(&t, &biz, &model_body(3, &biz.id, &product)).await;
    link(
        &t,
        &biz,
        "/business/postback/paymentmodel",
        j!({"businessID": biz.id, "paymentModelID": model, "businessPostbackID": pb_m}),
    )
    .await;
    let test = |body: Value| {
        let (t, biz) = (&t, &biz);
        async move {
            call(
                t,
                Method::POST,
                &format!("/business/postback/test/{}", biz.id),
                biz,
                Some(body),
            )
            .await
        }
    };
    let (s, res) = test(j!({"networkID": 3, "productID": product, "paymentModelID": model})).await;
    assert_eq!(
        data(s, &res, "Successfully sent test postback")["deliveries"][0]["postbackID"],
        pb_m
    );
    let (s, res) = test(j!({"networkID": "3"})).await;
    assert_eq!(
        data(s, &res, "Successfully sent test postback")["deliveries"][0]["postbackID"],
        pb_b
    );
    let (s, res) = test(j!({"networkID": 1})).await;
    assert_eq!(
        data(s, &res, "Successfully sent test postback")["deliveries"],
        j!([])
    );
    let (s, res) = test(j!({"networkID": 2})).await;
    assert_field(s, &res, "networkID", "error.network.invalid");
    let (s, res) = test(j!({"networkID": 3, "paymentModelID": payplane_core::ids::new_id()})).await;
    assert_error(s, &res, 404, "error.payment.model.not.found");
    t.run_deliveries().await;
    let body: Value = serde_json::from_str(&rm.received()[0].body).unwrap();
    assert_eq!(body["paymentData"]["networkID"], 3);
    assert_eq!(body["paymentData"]["businessID"], biz.id);
});

dual!(
    rotation_signs_with_both_secrets_for_a_day_on_every_postback,
    async |b| {
        let t = private_ok(b).start().await;
        let rx = Receiver::start().await;
        let biz = business(&t).await;
        let (s, res) = call(
            &t,
            Method::POST,
            &format!("/business/postback-secret/{}/rotate", biz.id),
            &biz,
            None,
        )
        .await;
        assert_error(s, &res, 404, "error.postback.secret.not.found");
        let old = create(&t, &biz, &biz.id, &rx.url, "Ropsten").await["signingSecret"]
            .as_str()
            .unwrap()
            .to_string();
        create(&t, &biz, &biz.id, &rx.url, "Mainnet").await;
        let (s, res) = call(
            &t,
            Method::POST,
            &format!("/business/postback-secret/{}/rotate", biz.id),
            &biz,
            None,
        )
        .await;
        let d = data(s, &res, "Successfully rotated postback signing secret");
        let new = d["signingSecret"].as_str().unwrap().to_string();
        assert_ne!(new, old);
        publish(&t, &biz.id, 3, None, None).await;
        publish(&t, &biz.id, 1, None, None).await;
        t.run_deliveries().await;
        for r in rx.received() {
            let ts: i64 = r.headers["webhook-timestamp"].parse().unwrap();
            let sigs: Vec<&str> = r.headers["webhook-signature"].split(' ').collect();
            assert!(
                sigs.contains(
                    &payplane_app::webhooks::sign::sign(
                        &new,
                        &r.headers["webhook-id"],
                        ts,
                        &r.body
                    )
                    .as_str()
                )
            );
            assert!(
                sigs.contains(
                    &payplane_app::webhooks::sign::sign(
                        &old,
                        &r.headers["webhook-id"],
                        ts,
                        &r.body
                    )
                    .as_str()
                )
            );
            verify_with_official_library(&new, &r);
        }
        // A postback created after the rotation uses the new secret without showing it.
        let later = create(&t, &biz, &biz.id, &rx.url, "Ropsten").await;
        assert!(later.get("signingSecret").is_none());
    }
);

#[test]
fn a_pending_transaction_has_no_receipt_fields_and_type_1() {
    let (pp, mut tx) = facts("biz", 3);
    tx.status = TxStatus::Pending;
    tx.tx_type = TxType::Register;
    (
        tx.block_hash,
        tx.block_number,
        tx.gas_used,
        tx.cumulative_gas_used,
        tx.logs_bloom,
    ) = (None, None, None, None, None);
    let v = serde_json::to_value(body::build(&pp, &tx)).unwrap();
    assert_eq!(v["transactionData"]["status"], Value::Null);
    assert_eq!(v["transactionData"]["blockNumber"], Value::Null);
    assert_eq!(v["transactionData"]["transactionType"], "1");
    assert_eq!(v["transactionData"]["contractAddress"], pp.executor_address);
    assert_eq!(v["paymentData"]["type"], 1);
    let (pp, mut tx) = facts("biz", 1);
    tx.status = TxStatus::Failed;
    let v = serde_json::to_value(body::build(&pp, &tx)).unwrap();
    assert_eq!(v["transactionData"]["status"], "false");
    assert_eq!(v["paymentData"]["type"], 2);
    assert_eq!(v["paymentData"]["networkID"], 1);
}
