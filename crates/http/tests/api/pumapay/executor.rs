//! The executor end to end, as a merchant and a customer meet it: an approved model, its QR code
//! read by `zbarimg`, consent and permit signed by a real key, registration on the embedded
//! chain, the test clock moving through the schedule, every pull a real transaction.
use crate::dual;
use crate::pumapay::postbacks::{create as create_postback, private_ok};
use crate::pumapay::support::*;
use crate::support::*;
use payplane_chain::U256;
use serde_json::{Value, json as j};

pub(crate) const MONTH: i64 = 2_592_000;
pub(crate) const WEEK: i64 = 604_800;

/// Gives the customer test ETH (faucet) and `pma` PMA (minted by the token's owner, the
/// executor, as the faucet does).
pub(crate) async fn fund(t: &TestApp, w: &Wallet, pma: u64) {
    let (s, b) = send(
        t.post("/api/v2/open-auth/faucet")
            .json(&j!({"address": w.address()})),
    )
    .await;
    assert_eq!(s, 200, "{b}");
    let net = payplane_app::pumapay::networks::network(&t.app, 3)
        .await
        .unwrap();
    let extra = U256::from(pma) * payplane_chain::PMA;
    net.chain
        .mint_tokens(net.executor, w.key.address(), extra)
        .await
        .unwrap();
}

/// The customer scans the model's QR code, reads the terms, signs consent (and the permit when
/// asked) and posts them; returns the pull payment's id.
pub(crate) async fn subscribe(
    t: &TestApp,
    biz: &Biz,
    model_id: &str,
    w: &Wallet,
    query: &str,
) -> String {
    let (s, b) = t
        .pumapay(biz)
        .get(&format!(
            "/api-key-auth/qr/pull-payment/{model_id}/customer-42{query}"
        ))
        .await;
    let png = data(s, &b, "Successfully generated QR code");
    let url = scan_qr(png.as_str().unwrap());
    let path = url.strip_prefix(&t.base).unwrap_or_else(|| panic!("{url}"));
    let (s, b) = send(t.get(&format!("{path}?customerAddress={}", w.address()))).await;
    assert_eq!(s, 200, "{b}");
    let view = &b["data"];
    let consent = w.sign_typed(&view["consent"]);
    let permit = match &view["permit"] {
        Value::Null => Value::Null,
        p => j!(w.sign_typed(p)),
    };
    let (s, b) = send(t.post(path).json(&j!({
        "customerAddress": w.address(), "consentSignature": consent, "permitSignature": permit
    })))
    .await;
    assert_eq!(s, 201, "{b}");
    assert_eq!(b["data"]["status"], 1, "{b}");
    b["data"]["id"].as_str().unwrap().to_string()
}

/// Moves the test network's clock (operator route) and runs the jobs and the executor's rounds.
pub(crate) async fn advance(t: &TestApp, secs: i64) {
    move_clock(t, secs).await;
    settle(t).await;
}

/// Moves the test network's clock (operator route, which persists the offset), and nothing else.
pub(crate) async fn move_clock(t: &TestApp, secs: i64) {
    let op = t.admin().await;
    let (s, b) = send(
        t.post("/api/v2/admin/test-clock/advance")
            .header("Authorization", op.bearer())
            .json(&j!({"seconds": secs})),
    )
    .await;
    assert_eq!(s, 200, "{b}");
}

pub(crate) async fn settle(t: &TestApp) {
    t.run_jobs().await;
    t.run_pulls().await;
}

pub(crate) async fn payment(t: &TestApp, biz: &Biz, id: &str) -> Value {
    let (s, b) = t
        .pumapay(biz)
        .get(&format!("/api-key-auth/pull-payments/{id}"))
        .await;
    data(s, &b, "Successfully retrieved payment")
}

pub(crate) async fn transactions(t: &TestApp, biz: &Biz, id: &str) -> Vec<Value> {
    let (s, b) = t
        .pumapay(biz)
        .get(&format!(
            "/api-key-auth/transactions/pull-payment/{}/{id}?itemsPerPage=100",
            biz.id
        ))
        .await;
    assert_eq!(s, 200, "{b}");
    let mut all = b["data"].as_array().unwrap().clone();
    all.sort_by_key(|t| t["referenceNo"].as_i64().unwrap());
    all
}

pub(crate) async fn treasury_pma(t: &TestApp) -> U256 {
    let net = payplane_app::pumapay::networks::network(&t.app, 3)
        .await
        .unwrap();
    net.chain
        .token_balance(WALLET.parse().unwrap())
        .await
        .unwrap()
}

/// (type, status) of each transaction, in order.
pub(crate) fn kinds(txs: &[Value]) -> Vec<(i64, i64)> {
    txs.iter()
        .map(|t| {
            (
                t["transactionType"].as_i64().unwrap(),
                t["transactionStatus"].as_i64().unwrap(),
            )
        })
        .collect()
}

pub(crate) async fn merchant(t: &TestApp) -> (Biz, String) {
    let biz = business(t).await;
    let product = product(t, &biz, &biz.id).await;
    (biz, product)
}

dual!(
    a_subscription_with_trial_registers_and_pulls_through_the_test_clock,
    async |b| {
        let t = TestApp::start(b).await;
        let (biz, product) = merchant(&t).await;
        // Type 5: 9.99 GBP monthly after a 7-day trial, 6 payments.
        let model = approved_model(&t, &biz, &model_body(5, &biz.id, &product)).await;
        let w = Wallet::new();
        fund(&t, &w, 20_000).await;
        let before = treasury_pma(&t).await;
        let id = subscribe(&t, &biz, &model, &w, "").await;
        settle(&t).await;
        let p = payment(&t, &biz, &id).await;
        assert_eq!(p["status"], 2, "registered and running: {p}");
        assert_eq!(kinds(&transactions(&t, &biz, &id).await), vec![(1, 3)]);
        // Nothing is due during the trial.
        advance(&t, WEEK - 60).await;
        assert_eq!(transactions(&t, &biz, &id).await.len(), 1);
        // The trial ends, then two more periods: three pulls.
        advance(&t, 60).await;
        advance(&t, MONTH).await;
        advance(&t, MONTH).await;
        let txs = transactions(&t, &biz, &id).await;
        assert_eq!(kinds(&txs), vec![(1, 3), (3, 3), (3, 3), (3, 3)], "{txs:?}");
        // 9.99 GBP at 0.0079 GBP per PMA, rounded down at 18 decimals.
        let mut pulled = U256::ZERO;
        for tx in &txs[1..] {
            assert_eq!(tx["tokenAmount"], "1264556962025316455696", "{tx}");
            assert_eq!(tx["rate"], "0.0079");
            assert_eq!(tx["rateSource"], "config");
            assert_eq!(tx["fiatAmount"], 999);
            let hash = tx["txHash"].as_str().unwrap();
            assert_eq!(hash.len(), 66, "{tx}");
            assert!(tx["blockNumber"].as_i64().unwrap() > 0);
            assert!(tx["gasUsed"].as_i64().unwrap() > 21_000);
            pulled += tx["tokenAmount"].as_str().unwrap().parse::<U256>().unwrap();
            // The hash is a real receipt of the chain.
            let net = payplane_app::pumapay::networks::network(&t.app, 3)
                .await
                .unwrap();
            let r = net
                .chain
                .receipt(hash.parse().unwrap())
                .await
                .unwrap()
                .unwrap();
            assert!(r.success);
        }
        assert_eq!(treasury_pma(&t).await - before, pulled);
        let p = payment(&t, &biz, &id).await;
        assert_eq!(p["status"], 2);
    }
);

/// Runs a model's whole schedule; returns the transactions.
async fn run_schedule(t: &TestApp, biz: &Biz, model: &str, query: &str, step: i64) -> Vec<Value> {
    let w = Wallet::new();
    fund(t, &w, 100_000).await;
    let id = subscribe(t, biz, model, &w, query).await;
    settle(t).await;
    for _ in 0..10 {
        if payment(t, biz, &id).await["status"] == 5 {
            break;
        }
        advance(t, step).await;
    }
    assert_eq!(payment(t, biz, &id).await["status"], 5, "done");
    transactions(t, biz, &id).await
}

dual!(every_type_runs_its_whole_schedule, async |b| {
    let t = TestApp::start(b).await;
    let (biz, product) = merchant(&t).await;
    let short = |type_id: i64| {
        let mut body = model_body(type_id, &biz.id, &product);
        if body.get("numberOfPayments").is_some() {
            body["numberOfPayments"] = j!(2);
        }
        body
    };
    // 2 single: register, then register_and_execute at once.
    let m = approved_model(&t, &biz, &short(2)).await;
    let txs = run_schedule(&t, &biz, &m, "", MONTH).await;
    assert_eq!(kinds(&txs), vec![(1, 3), (5, 3)]);
    assert_eq!(txs[1]["fiatAmount"], 1000);
    // 3 subscription: pulls at registration and one period later.
    let m = approved_model(&t, &biz, &short(3)).await;
    let txs = run_schedule(&t, &biz, &m, "", MONTH).await;
    assert_eq!(kinds(&txs), vec![(1, 3), (3, 3), (3, 3)]);
    // 4 with initial: the initial at registration, then two recurring.
    let m = approved_model(&t, &biz, &short(4)).await;
    let txs = run_schedule(&t, &biz, &m, "", MONTH).await;
    assert_eq!(kinds(&txs), vec![(1, 3), (2, 3), (3, 3), (3, 3)]);
    assert_eq!(txs[1]["fiatAmount"], 199);
    assert_eq!(txs[2]["fiatAmount"], 1299);
    // 5 with trial: nothing until the trial ends.
    let m = approved_model(&t, &biz, &short(5)).await;
    let txs = run_schedule(&t, &biz, &m, "", WEEK).await;
    assert_eq!(kinds(&txs), vec![(1, 3), (3, 3), (3, 3)]);
    // 6 trial and initial: the initial after the trial, then two recurring.
    let m = approved_model(&t, &biz, &short(6)).await;
    let txs = run_schedule(&t, &biz, &m, "", WEEK).await;
    assert_eq!(kinds(&txs), vec![(1, 3), (2, 3), (3, 3), (3, 3)]);
    assert_eq!(txs[1]["fiatAmount"], 100);
    // 7 dynamic: the amount comes with the QR code.
    let m = approved_model(&t, &biz, &short(7)).await;
    let txs = run_schedule(
        &t,
        &biz,
        &m,
        "?amount=750&currency=USD&title=Tip&description=Thanks",
        MONTH,
    )
    .await;
    assert_eq!(kinds(&txs), vec![(1, 3), (5, 3)]);
    assert_eq!(txs[1]["fiatAmount"], 750);
    assert_eq!(txs[1]["currency"], "USD");
    // 8 top-up: pulls when the business asks, within the signed limit (5000 EUR cents).
    let m = approved_model(&t, &biz, &short(8)).await;
    let w = Wallet::new();
    fund(&t, &w, 100_000).await;
    let id = subscribe(&t, &biz, &m, &w, "").await;
    settle(&t).await;
    assert_eq!(payment(&t, &biz, &id).await["status"], 2);
    let (s, body) = t
        .pumapay(&biz)
        .put(
            "/api-key-auth/pull-payments",
            &j!({"pullPaymentID": id, "amount": 3000}),
        )
        .await;
    let d = data(s, &body, "Successfully created payment");
    assert_eq!(d["fiatAmount"], 3000);
    assert_eq!(d["totalPulled"], 3000);
    assert_eq!(d["transactionHash"].as_str().unwrap().len(), 66);
    let (s, body) = t
        .pumapay(&biz)
        .put(
            "/api-key-auth/pull-payments",
            &j!({"pullPaymentID": id, "amount": 2500}),
        )
        .await;
    assert_field(s, &body, "amount", "error.topup.limit.exceeded");
    let (s, body) = t
        .pumapay(&biz)
        .put(
            "/api-key-auth/pull-payments",
            &j!({"pullPaymentID": id, "amount": "2000"}),
        )
        .await;
    assert_eq!(
        data(s, &body, "Successfully created payment")["totalPulled"],
        5000
    );
    assert_eq!(
        kinds(&transactions(&t, &biz, &id).await),
        vec![(1, 3), (3, 3), (3, 3)]
    );
    // Top-up of a payment that is not type 8.
    let m = approved_model(&t, &biz, &short(3)).await;
    let w = Wallet::new();
    fund(&t, &w, 100_000).await;
    let sub = subscribe(&t, &biz, &m, &w, "").await;
    settle(&t).await;
    let (s, body) = t
        .pumapay(&biz)
        .put("/api-key-auth/pull-payments", &j!({"pullPaymentID": sub}))
        .await;
    assert_field(s, &body, "pullPaymentID", "error.pull.payment.not.topup");
});

dual!(
    a_customer_without_funds_ends_failed_with_the_reason,
    async |b| {
        let t = TestApp::builder(b)
            .config(|c| {
                c.pull_payments.retry_max = 1;
                c.pull_payments.retry_base_secs = 3600;
            })
            .start()
            .await;
        let (biz, product) = merchant(&t).await;
        let m = approved_model(&t, &biz, &model_body(5, &biz.id, &product)).await;
        let w = Wallet::new();
        // ETH for nothing, PMA: none beyond the faucet's 1 000 — 9.99 GBP is 1 264 PMA.
        let (s, body) = send(
            t.post("/api/v2/open-auth/faucet")
                .json(&j!({"address": w.address()})),
        )
        .await;
        assert_eq!(s, 200, "{body}");
        let id = subscribe(&t, &biz, &m, &w, "").await;
        settle(&t).await;
        advance(&t, WEEK).await;
        // The first attempt is refused and retried an hour later.
        let p = payment(&t, &biz, &id).await;
        assert_eq!(p["status"], 2, "{p}");
        assert!(
            p["statusReason"]
                .as_str()
                .unwrap()
                .contains("ERC20InsufficientBalance"),
            "{p}"
        );
        advance(&t, 3600).await;
        let p = payment(&t, &biz, &id).await;
        assert_eq!(p["status"], 7, "{p}");
        assert!(
            p["statusReason"]
                .as_str()
                .unwrap()
                .contains("ERC20InsufficientBalance"),
            "{p}"
        );
        let txs = transactions(&t, &biz, &id).await;
        assert_eq!(kinds(&txs), vec![(1, 3), (3, 2), (3, 2)]);
        assert!(
            txs[1]["reason"]
                .as_str()
                .unwrap()
                .contains("ERC20InsufficientBalance")
        );
        // Failed is final: nothing more is tried.
        advance(&t, MONTH).await;
        assert_eq!(transactions(&t, &biz, &id).await.len(), 3);
    }
);

dual!(a_cancelled_payment_pulls_no_more, async |b| {
    let t = TestApp::start(b).await;
    let (biz, product) = merchant(&t).await;
    let m = approved_model(&t, &biz, &model_body(3, &biz.id, &product)).await;
    // The business stops one.
    let w = Wallet::new();
    fund(&t, &w, 100_000).await;
    let id = subscribe(&t, &biz, &m, &w, "").await;
    settle(&t).await;
    assert_eq!(
        transactions(&t, &biz, &id).await.len(),
        2,
        "registered and first pull"
    );
    let (s, body) = t
        .pumapay(&biz)
        .delete(&format!("/api-key-auth/business/stop/{id}"))
        .await;
    let d = data(s, &body, "Successfully cancelled the pull payment");
    assert_eq!(d["status"], 4);
    advance(&t, MONTH).await;
    advance(&t, MONTH).await;
    let txs = transactions(&t, &biz, &id).await;
    assert_eq!(kinds(&txs), vec![(1, 3), (3, 3), (4, 3)]);
    let (s, body) = t
        .pumapay(&biz)
        .delete(&format!("/api-key-auth/business/stop/{id}"))
        .await;
    assert_error(s, &body, 409, "error.pull.payment.final");
    // Another business cannot stop it (404: it does not exist for them).
    let (other, _) = merchant(&t).await;
    let (s, body) = t
        .pumapay(&other)
        .delete(&format!("/api-key-auth/business/stop/{id}"))
        .await;
    assert_error(s, &body, 404, "error.pull.payment.not.found");
    // The customer cancels another one with a signed CancelPullPayment.
    let id = subscribe(&t, &biz, &m, &w, "").await;
    settle(&t).await;
    let (s, body) = send(t.get(&format!("/api/v2/open-auth/pull-payments/{id}/cancel"))).await;
    assert_eq!(s, 200, "{body}");
    let typed = body["data"]["cancel"].clone();
    let typed = if typed.is_null() {
        body["data"].clone()
    } else {
        typed
    };
    let sig = w.sign_typed(&typed);
    let (s, body) = send(
        t.post(&format!("/api/v2/open-auth/pull-payments/{id}/cancel"))
            .json(&j!({"signature": sig})),
    )
    .await;
    assert_eq!(s, 200, "{body}");
    settle(&t).await;
    assert_eq!(payment(&t, &biz, &id).await["status"], 4);
    advance(&t, MONTH).await;
    let txs = transactions(&t, &biz, &id).await;
    assert_eq!(kinds(&txs), vec![(1, 3), (3, 3), (4, 3)]);
});

dual!(a_suspended_model_stops_its_payments, async |b| {
    let t = TestApp::start(b).await;
    let (biz, product) = merchant(&t).await;
    let m = approved_model(&t, &biz, &model_body(3, &biz.id, &product)).await;
    let w = Wallet::new();
    fund(&t, &w, 100_000).await;
    let id = subscribe(&t, &biz, &m, &w, "").await;
    settle(&t).await;
    let op = t.admin().await;
    let (s, body) = send(
        t.post(&format!("/api/v2/admin/payment-models/{m}/suspend"))
            .header("Authorization", op.bearer()),
    )
    .await;
    assert_eq!(s, 200, "{body}");
    advance(&t, MONTH).await;
    let p = payment(&t, &biz, &id).await;
    assert_eq!(p["status"], 3, "{p}");
    assert_eq!(p["statusReason"], "The payment model is suspended");
    assert_eq!(transactions(&t, &biz, &id).await.len(), 2);
});

dual!(postbacks_arrive_signed_for_every_transaction, async |b| {
    let t = private_ok(b).start().await;
    let (biz, product) = merchant(&t).await;
    let rx = Receiver::start().await;
    let pb = create_postback(&t, &biz, &biz.id, &rx.url, "Ropsten").await;
    let secret = pb["signingSecret"].as_str().unwrap().to_string();
    let m = approved_model(&t, &biz, &model_body(3, &biz.id, &product)).await;
    // One that runs and is cancelled, one that fails.
    let w = Wallet::new();
    fund(&t, &w, 100_000).await;
    let id = subscribe(&t, &biz, &m, &w, "").await;
    settle(&t).await;
    advance(&t, MONTH).await;
    let (s, body) = t
        .pumapay(&biz)
        .delete(&format!("/api-key-auth/business/stop/{id}"))
        .await;
    assert_eq!(s, 200, "{body}");
    let poor = Wallet::new();
    let (s, body) = send(
        t.post("/api/v2/open-auth/faucet")
            .json(&j!({"address": poor.address()})),
    )
    .await;
    assert_eq!(s, 200, "{body}");
    let mut expensive = model_body(3, &biz.id, &product);
    expensive["amount"] = j!(5_000_000);
    let m2 = approved_model(&t, &biz, &expensive).await;
    let failing = subscribe(&t, &biz, &m2, &poor, "").await;
    settle(&t).await;
    t.run_deliveries().await;
    let got = rx.received();
    let mut bodies: Vec<Value> = got
        .iter()
        .map(|r| serde_json::from_str(&r.body).unwrap())
        .collect();
    // Deliveries run concurrently: put them back in chain order.
    // (A pull the contract refused before it was sent has no block: it came after the rest.)
    bodies.sort_by_key(|b| {
        b["transactionData"]["blockNumber"]
            .as_i64()
            .unwrap_or(i64::MAX)
    });
    let of = |pid: &str| -> Vec<(String, i64)> {
        bodies
            .iter()
            .filter(|b| b["paymentData"]["paymentID"] == pid)
            .map(|b| {
                (
                    b["transactionData"]["transactionType"]
                        .as_str()
                        .unwrap()
                        .to_string(),
                    b["paymentData"]["type"].as_i64().unwrap(),
                )
            })
            .collect()
    };
    // register, two executions, cancel — each success (3).
    assert_eq!(
        of(&id),
        vec![
            ("1".into(), 3),
            ("3".into(), 3),
            ("3".into(), 3),
            ("4".into(), 3)
        ]
    );
    // register, then the refused pull (2 failed).
    assert_eq!(of(&failing), vec![("1".into(), 3), ("3".into(), 2)]);
    for r in &got {
        verify_with_official_library(&secret, r);
    }
    let exec = bodies
        .iter()
        .find(|b| {
            b["paymentData"]["paymentID"] == id && b["transactionData"]["transactionType"] == "3"
        })
        .unwrap();
    assert_eq!(exec["transactionData"]["status"], "true");
    assert_eq!(exec["paymentData"]["uniqueReferenceID"], "customer-42");
    assert_eq!(exec["paymentData"]["customerAddress"], w.address());
    assert_eq!(exec["paymentData"]["networkID"], 3);
});

dual!(
    due_pulls_in_overlapping_batches_are_each_made_once,
    async |b| {
        // Batches of 2: seven due pulls make four batches, each claimed and sent while the one
        // before is recorded.
        let t = TestApp::builder(b)
            .config(|c| c.pull_payments.executor_batch = 2)
            .start()
            .await;
        let (biz, product) = merchant(&t).await;
        let model = approved_model(&t, &biz, &model_body(3, &biz.id, &product)).await;
        let before = treasury_pma(&t).await;
        let mut ids = Vec::new();
        for _ in 0..7 {
            let w = Wallet::new();
            fund(&t, &w, 100_000).await;
            ids.push(subscribe(&t, &biz, &model, &w, "").await);
        }
        settle(&t).await;
        move_clock(&t, MONTH).await;
        t.run_jobs().await;
        assert_eq!(t.run_pulls().await, 7, "every due pull made in one round");
        let mut pulled = U256::ZERO;
        for id in &ids {
            let txs = transactions(&t, &biz, id).await;
            assert_eq!(kinds(&txs), vec![(1, 3), (3, 3), (3, 3)], "{id}: {txs:?}");
            let hashes: std::collections::HashSet<_> =
                txs.iter().map(|t| t["txHash"].clone()).collect();
            assert_eq!(hashes.len(), 3, "each transaction its own: {txs:?}");
            for tx in &txs[1..] {
                pulled += tx["tokenAmount"].as_str().unwrap().parse::<U256>().unwrap();
            }
            let p = payment(&t, &biz, id).await;
            assert_eq!(p["status"], 2, "{p}");
        }
        assert_eq!(treasury_pma(&t).await - before, pulled);
        assert_eq!(t.run_pulls().await, 0, "nothing left due or in flight");
    }
);
