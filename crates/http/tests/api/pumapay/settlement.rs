//! Fiat settlement end to end (issue 15): pulls of a Kemix model on the test network accrue on
//! the ledger, a settlement is refused under the threshold and created above it holding exactly
//! the unsettled pulls, it is paid into the linked account of the accounts API (whose balance,
//! history, events and webhooks show it) or settled/unsettled by an operator, its statement
//! exports as JSON and CSV behind a signed link, and `ledger check` holds after every step.
use crate::dual;
use crate::pazemo::support::{open_account, token_of};
use crate::pumapay::executor::{MONTH, advance, fund, settle, subscribe, transactions};
use crate::pumapay::postbacks::create as create_postback;
use crate::pumapay::support::*;
use crate::support::*;
use payplane_app::pazemo::auth::Mode;
use payplane_chain::U256;
use serde_json::{Value, json as j};

/// A test app whose settlements need 20.00 and cost 1 % (per pull, rounded half up), with
/// deliveries to the local receivers allowed.
async fn start(b: Backend) -> TestApp {
    TestApp::builder(b)
        .config(|c| {
            c.settlement.threshold_minor.insert("EUR".into(), 2000);
            c.settlement.fee_bps = 100;
            c.webhooks.allow_private = true;
        })
        .start()
        .await
}

/// An approved Kemix model of `biz` priced in EUR (the treasury is the platform's).
pub(crate) async fn kemix_model(
    t: &TestApp,
    biz: &Biz,
    product: &str,
    type_id: i64,
    cents: i64,
) -> String {
    let mut body = model_body(type_id, &biz.id, product);
    body["currency"] = j!("EUR");
    body["amount"] = j!(cents);
    body["destination"] = j!("Kemix");
    body.as_object_mut().unwrap().remove("treasuryWallet");
    approved_model(t, biz, &body).await
}

/// A customer who signs `model` and whose first pull is made.
pub(crate) async fn customer_pays(t: &TestApp, biz: &Biz, model: &str) -> String {
    let w = Wallet::new();
    fund(t, &w, 100_000).await;
    let id = subscribe(t, biz, model, &w, "").await;
    settle(t).await;
    id
}

fn reports(path: &str) -> String {
    format!("/reports/fiat/{path}")
}

async fn balance(t: &TestApp, biz: &Biz, currency: &str) -> Value {
    let (s, b) = t
        .pumapay(biz)
        .get(&reports(&format!(
            "total/{}/{currency}?networkID=3",
            biz.id
        )))
        .await;
    data(s, &b, "Successfully retrieved total fiat amount")
}

async fn create(t: &TestApp, biz: &Biz, currency: &str) -> (u16, Value) {
    t.pumapay(biz)
        .post(
            &reports(&format!("settlement/{}/{currency}?networkID=3", biz.id)),
            &j!({}),
        )
        .await
}

async fn created(t: &TestApp, biz: &Biz, currency: &str) -> Value {
    let (s, b) = create(t, biz, currency).await;
    data(s, &b, "Successful fiat settlement inserted.")
}

async fn with_transactions(t: &TestApp, biz: &Biz, id: &str) -> Value {
    let (s, b) = t
        .pumapay(biz)
        .get(&reports(&format!(
            "transactions/{}/{id}?itemsPerPage=100",
            biz.id
        )))
        .await;
    data(s, &b, "Successfully retrieved fiat settlement transactions")
}

async fn all(t: &TestApp, biz: &Biz, query: &str) -> Vec<Value> {
    let (s, b) = t
        .pumapay(biz)
        .get(&reports(&format!("all/{}?networkID=3{query}", biz.id)))
        .await;
    data(s, &b, "Successfully retrieved fiat settlement transactions")
        .as_array()
        .unwrap()
        .clone()
}

/// Links `owner`'s account as `biz`'s settlement account (the owner's token consents).
pub(crate) async fn link(
    t: &TestApp,
    biz: &Biz,
    owner: &TestUser,
    account: &str,
    currency: &str,
) -> (u16, Value) {
    send(
        t.pumapay(biz)
            .req(
                reqwest::Method::PUT,
                "/api-key-auth/business/settlement-account",
            )
            .header("Authorization", owner.bearer())
            .json(&j!({"currency": currency, "accountId": account, "userId": owner.id})),
    )
    .await
}

async fn operator(t: &TestApp, id: &str, action: &str, body: Value) -> (u16, Value) {
    let op = t.admin().await;
    send(
        t.post(&format!("/api/v2/admin/settlements/{id}/{action}"))
            .header("Authorization", op.bearer())
            .json(&body),
    )
    .await
}

/// The successful pulls (initial/execute/register_and_execute) of a pull payment.
async fn pulls_of(t: &TestApp, biz: &Biz, payment: &str) -> Vec<Value> {
    transactions(t, biz, payment)
        .await
        .into_iter()
        .filter(|x| x["transactionStatus"] == 3 && x["fiatAmount"].as_i64() > Some(0))
        .collect()
}

fn ids(v: &[Value]) -> Vec<String> {
    let mut out: Vec<String> = v
        .iter()
        .map(|x| x["id"].as_str().unwrap().to_string())
        .collect();
    out.sort();
    out
}

dual!(
    pulls_accrue_a_settlement_holds_exactly_them_and_is_paid_into_the_linked_account,
    async |b| {
        let t = start(b).await;
        let biz = business(&t).await;
        let product = product(&t, &biz, &biz.id).await;
        let hook = Receiver::start().await;
        create_postback(&t, &biz, &biz.id, &hook.url, "Ropsten").await;

        // A Kemix subscription: 12.99 EUR a month; its treasury is the platform's settlement
        // wallet, not the business's.
        let model = kemix_model(&t, &biz, &product, 3, 1299).await;
        let (s, body) = t
            .pumapay(&biz)
            .get(&format!(
                "/api-key-auth/pull-payment-models/single/{}/3/{model}",
                biz.id
            ))
            .await;
        let m = data(s, &body, "Successfully retrieved Payment Model");
        let wallet = payplane_app::pumapay::wallets::settlement_wallet(&t.app)
            .await
            .unwrap();
        assert_eq!(m["destination"], "Kemix", "{m}");
        assert_eq!(m["treasuryWallet"], wallet, "{m}");
        // A Treasury model's pulls stay out of settlement.
        let mut plain = model_body(2, &biz.id, &product);
        plain["currency"] = j!("EUR");
        let plain = approved_model(&t, &biz, &plain).await;
        customer_pays(&t, &biz, &plain).await;

        let net = payplane_app::pumapay::networks::network(&t.app, 3)
            .await
            .unwrap();
        let wallet_pma = || async {
            net.chain
                .token_balance(wallet.parse().unwrap())
                .await
                .unwrap()
        };
        let payment = customer_pays(&t, &biz, &model).await;
        let bal = balance(&t, &biz, "EUR").await;
        assert_eq!(bal["availableFiatBalance"], 1299, "{bal}");
        assert_eq!(bal["pendingFiatBalance"], 0);
        assert_eq!(bal["settlementThreshold"], 2000);
        t.assert_ledger_sound().await;

        // Under the threshold: refused, saying the balance and the threshold; nothing changes.
        let (s, body) = create(&t, &biz, "EUR").await;
        assert_error(s, &body, 400, "error.settlement.below.threshold");
        let msg = body["errors"][0]["message"].as_str().unwrap();
        assert!(
            msg.contains("12.99 EUR") && msg.contains("20.00 EUR"),
            "{msg}"
        );
        assert!(all(&t, &biz, "").await.is_empty());
        t.assert_ledger_sound().await;

        // A month later the second pull: 25.98 EUR, past the threshold.
        advance(&t, MONTH).await;
        let pulls = pulls_of(&t, &biz, &payment).await;
        assert_eq!(pulls.len(), 2, "{pulls:?}");
        // The PMA went to the platform's settlement wallet.
        let pulled: U256 = pulls
            .iter()
            .map(|p| p["tokenAmount"].as_str().unwrap().parse::<U256>().unwrap())
            .fold(U256::ZERO, |a, b| a + b);
        assert_eq!(wallet_pma().await, pulled);
        assert_eq!(balance(&t, &biz, "EUR").await["availableFiatBalance"], 2598);

        let st = created(&t, &biz, "EUR").await;
        let id = st["id"].as_str().unwrap().to_string();
        assert_eq!(st["status"], "pending", "{st}");
        assert_eq!(st["businessID"], biz.id);
        assert_eq!(st["currency"], "EUR");
        assert_eq!(st["networkID"], 3);
        assert_eq!(st["totalFiatAmount"], 2598);
        // 1 % of 12.99 is 0.1299, rounded half up per pull: 0.13 twice.
        assert_eq!(st["feeAmount"], 26);
        assert_eq!(st["netFiatAmount"], 2572);
        assert_eq!(st["transactionCount"], 2);
        assert_eq!(st["paymentID"], payment);
        assert_eq!(st["txHash"], Value::Null);
        assert_eq!(st["deletedAt"], Value::Null);
        assert!(st["referenceNo"].as_i64().unwrap() >= 1);
        let pma_text = payplane_app::pumapay::transactions::pma_text(pulled);
        assert_eq!(st["assetAmount"], pma_text);
        let bal = balance(&t, &biz, "EUR").await;
        assert_eq!(
            (&bal["availableFiatBalance"], &bal["pendingFiatBalance"]),
            (&j!(0), &j!(2598)),
            "{bal}"
        );
        t.assert_ledger_sound().await;

        // It holds exactly the two pulls, each with its rate and fee.
        let w = with_transactions(&t, &biz, &id).await;
        assert_eq!(w["id"], id);
        let lines = w["transactions"].as_array().unwrap();
        assert_eq!(ids(lines), ids(&pulls));
        for l in lines {
            assert_eq!(l["paymentID"], payment);
            assert_eq!(l["billingID"], model);
            assert_eq!(l["fiatAmount"], 1299);
            assert_eq!(l["fee"], 13);
            assert_eq!(l["rateSource"], "config");
            assert_eq!(l["transactionType"], 3);
            assert_eq!(l["txHash"].as_str().unwrap().len(), 66);
        }
        // Nothing is left to settle.
        let (s, body) = create(&t, &biz, "EUR").await;
        assert_error(s, &body, 400, "error.settlement.below.threshold");
        assert!(
            body["errors"][0]["message"]
                .as_str()
                .unwrap()
                .contains("is 0.00 EUR")
        );

        // Without a linked account the job leaves it pending for an operator.
        t.run_jobs().await;
        assert_eq!(all(&t, &biz, "").await[0]["status"], "pending");

        // The owner of an EUR test-mode account links it (their token consents): it is paid.
        let owner = t.user(Mode::Test).await;
        let account = open_account(&t, &owner, "EUR").await;
        let events = Receiver::start().await;
        let (s, body) = send(
            t.post("/users/me/webhooks")
                .header("Authorization", owner.bearer())
                .json(&j!({"url": events.url})),
        )
        .await;
        assert_eq!(s, 201, "{body}");
        let (s, body) = link(&t, &biz, &owner, &account, "EUR").await;
        let l = data(s, &body, "Successfully linked the settlement account");
        assert_eq!(
            (l["networkID"].clone(), l["accountId"].clone()),
            (j!(3), j!(account))
        );
        t.run_jobs().await;
        let st = &all(&t, &biz, "").await[0];
        assert_eq!(st["status"], "settled", "{st}");
        assert_eq!(st["accountId"], account);
        assert!(st["settledAt"].is_string());
        let acct = crate::pazemo::support::account(&t, &owner, &account).await;
        assert_eq!(acct["balance"].to_string(), "25.72", "{acct}");
        let (s, history) = t
            .pazemo(&owner)
            .get(&format!("/users/me/accounts/{account}/transactions"))
            .await;
        assert_eq!(s, 200, "{history}");
        assert_eq!(history[0]["type"], "settlement", "{history}");
        assert_eq!(history[0]["reference"], id);
        assert_eq!(history[0]["amount"].to_string(), "25.72");
        let (s, evs) = t.pazemo(&owner).get("/users/me/events").await;
        assert_eq!(s, 200);
        let credited = evs
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["type"] == "settlement.credited")
            .unwrap_or_else(|| panic!("{evs}"));
        assert_eq!(credited["data"]["settlementId"], id);
        assert_eq!(credited["data"]["amount"].to_string(), "25.72");
        let bal = balance(&t, &biz, "EUR").await;
        assert_eq!(
            (&bal["settledFiatBalance"], &bal["pendingFiatBalance"]),
            (&j!(2598), &j!(0))
        );
        t.assert_ledger_sound().await;

        // Its events went out: the business's postbacks, the owner's webhook.
        t.run_deliveries().await;
        let kinds: Vec<(String, String)> = hook
            .received()
            .iter()
            .filter_map(|r| {
                let v: Value = serde_json::from_str(&r.body).ok()?;
                v.get("status")
                    .and_then(|s| s.as_str())
                    .map(|s| (v["id"].as_str().unwrap_or("").to_string(), s.to_string()))
            })
            .collect();
        assert!(kinds.contains(&(id.clone(), "pending".into())), "{kinds:?}");
        assert!(kinds.contains(&(id.clone(), "settled".into())), "{kinds:?}");
        let got: Vec<Value> = events
            .received()
            .iter()
            .map(|r| serde_json::from_str(&r.body).unwrap())
            .collect();
        assert!(
            got.iter()
                .any(|e| e["type"] == "settlement.credited" && e["data"]["settlementId"] == id),
            "{got:?}"
        );

        // The statement: JSON and CSV with the key, and behind the signed link without one.
        let (s, body) = t
            .pumapay(&biz)
            .get(&reports(&format!("statement/{}/{id}", biz.id)))
            .await;
        let statement = data(s, &body, "Successfully retrieved the settlement statement");
        let lines = statement["lines"].as_array().unwrap();
        assert_eq!(lines.len(), 2);
        for l in lines {
            assert_eq!(l["fiatAmount"], 1299);
            assert_eq!(l["fee"], 13);
            assert!(l["rate"].is_string() && l["blockTime"].is_string(), "{l}");
        }
        let path = st["documentPath"].as_str().unwrap();
        let (s, body) = send(t.get(path)).await;
        assert_eq!(
            data(s, &body, "Successfully retrieved the settlement statement"),
            statement
        );
        let res = t.get(&format!("{path}?format=csv")).send().await.unwrap();
        assert_eq!(res.status(), 200);
        assert!(
            res.headers()["content-type"]
                .to_str()
                .unwrap()
                .starts_with("text/csv")
        );
        let csv = res.text().await.unwrap();
        let rows: Vec<&str> = csv.lines().collect();
        assert_eq!(rows.len(), 3, "{csv}");
        assert!(rows[0].starts_with("transaction_id,payment_id,"), "{csv}");
        assert!(rows[1].contains(",EUR,12.99,0.13,"), "{csv}");
        // A link made up, or another settlement's, opens nothing.
        let forged = format!("{}x", &path[..path.len() - 1]);
        let (s, _) = send(t.get(&forged)).await;
        assert_eq!(s, 404);

        // The QR code encodes the signed link; a phone reads it.
        let (s, body) = t
            .pumapay(&biz)
            .get(&format!("/open-auth/qr/settlement/{}/{id}/EUR", biz.id))
            .await;
        let qr = data(s, &body, "Successfully retrieved the QR code.");
        assert_eq!(qr["currency"], "PMA");
        assert_eq!(qr["amount"].to_string(), pma_text);
        assert_eq!(qr["pullPaymentModelID"], model);
        assert_eq!(qr["typeID"], 3);
        assert_eq!(qr["uniqueReferenceID"], "customer-42");
        let url = scan_qr(qr["qrCode"].as_str().unwrap());
        assert_eq!(url, format!("{}{path}", t.base));
        let (s, body) = t
            .pumapay(&biz)
            .get(&format!("/open-auth/qr/settlement/{}/{id}/USD", biz.id))
            .await;
        assert_field(s, &body, "currency", "error.settlement.currency.mismatch");
        t.assert_ledger_sound().await;
    }
);

dual!(two_concurrent_requests_create_one_settlement, async |b| {
    let t = start(b).await;
    let biz = business(&t).await;
    let product = product(&t, &biz, &biz.id).await;
    let model = kemix_model(&t, &biz, &product, 2, 1500).await;
    let first = customer_pays(&t, &biz, &model).await;
    let second = customer_pays(&t, &biz, &model).await;
    assert_eq!(balance(&t, &biz, "EUR").await["availableFiatBalance"], 3000);
    let answers = futures::future::join_all((0..8).map(|_| create(&t, &biz, "EUR"))).await;
    let made: Vec<&Value> = answers
        .iter()
        .filter(|(s, _)| *s == 200)
        .map(|(_, b)| b)
        .collect();
    assert_eq!(made.len(), 1, "{answers:?}");
    for (s, body) in answers.iter().filter(|(s, _)| *s != 200) {
        assert_error(*s, body, 400, "error.settlement.below.threshold");
    }
    let list = all(&t, &biz, "").await;
    assert_eq!(list.len(), 1);
    assert_eq!(list[0]["totalFiatAmount"], 3000);
    let lines = with_transactions(&t, &biz, list[0]["id"].as_str().unwrap()).await;
    let mut expected = pulls_of(&t, &biz, &first).await;
    expected.extend(pulls_of(&t, &biz, &second).await);
    assert_eq!(
        ids(lines["transactions"].as_array().unwrap()),
        ids(&expected)
    );
    t.assert_ledger_sound().await;
});

dual!(
    an_operator_unsettles_and_settles_without_a_link,
    async |b| {
        let t = start(b).await;
        let biz = business(&t).await;
        let product = product(&t, &biz, &biz.id).await;
        let model = kemix_model(&t, &biz, &product, 2, 2500).await;
        customer_pays(&t, &biz, &model).await;
        let id = created(&t, &biz, "EUR").await["id"]
            .as_str()
            .unwrap()
            .to_string();
        t.run_jobs().await;

        let (s, body) = operator(&t, &id, "unsettle", j!({"reason": "bank details missing"})).await;
        let st = data(s, &body, "Successfully updated the fiat settlement.");
        assert_eq!(
            (st["status"].clone(), st["statusReason"].clone()),
            (j!("unsettled"), j!("bank details missing"))
        );
        assert_eq!(balance(&t, &biz, "EUR").await["unsettledFiatBalance"], 2500);
        assert_eq!(all(&t, &biz, "&statuses=[unsettled]").await.len(), 1);
        assert!(all(&t, &biz, "&statuses=pending,settled").await.is_empty());
        let by_amount = all(&t, &biz, "&orderBy=amount&orderType=ASC&currency=EUR").await;
        assert_eq!(by_amount.len(), 1);
        t.assert_ledger_sound().await;
        let (s, body) = operator(&t, &id, "unsettle", j!({})).await;
        assert_error(s, &body, 409, "error.settlement.status");

        // Settled outside the platform: the money leaves to the payout clearing, net of the fee.
        let (s, body) = operator(&t, &id, "settle", j!({"reference": "SEPA-2024-0001"})).await;
        let st = data(s, &body, "Successfully updated the fiat settlement.");
        assert_eq!(st["status"], "settled");
        assert_eq!(st["payoutReference"], "SEPA-2024-0001");
        assert_eq!(st["accountId"], Value::Null);
        let payout =
            payplane_store::ledger::balance(&t.app.db.read, "platform:test:settlement-payout:EUR")
                .await
                .unwrap();
        let fees = payplane_store::ledger::balance(&t.app.db.read, "platform:test:fees:EUR")
            .await
            .unwrap();
        assert_eq!((payout, fees), (2475, 25));
        let bal = balance(&t, &biz, "EUR").await;
        assert_eq!(
            (&bal["settledFiatBalance"], &bal["unsettledFiatBalance"]),
            (&j!(2500), &j!(0))
        );
        for action in ["settle", "unsettle"] {
            let (s, body) = operator(&t, &id, action, j!({})).await;
            assert_error(s, &body, 409, "error.settlement.status");
        }
        let (s, body) = operator(&t, &id, "pay", j!({})).await;
        assert_error(s, &body, 400, "error.action.unknown");
        let (s, body) = operator(&t, "no-such-id", "settle", j!({})).await;
        assert_error(s, &body, 404, "error.settlement.not.found");
        // Not an operator.
        let user = t.user(Mode::Live).await;
        let (s, _) = send(
            t.post(&format!("/api/v2/admin/settlements/{id}/settle"))
                .header("Authorization", user.bearer()),
        )
        .await;
        assert_eq!(s, 403);
        t.assert_ledger_sound().await;
    }
);

dual!(bad_requests_are_refused_and_change_nothing, async |b| {
    let t = start(b).await;
    let biz = business(&t).await;
    let other = business(&t).await;
    let product = product(&t, &biz, &biz.id).await;

    // Settlement currencies are EUR and USD; networks 1 and 3.
    let (s, body) = create(&t, &biz, "JPY").await;
    assert_field(s, &body, "currency", "error.settlement.currency.invalid");
    let (s, body) = t
        .pumapay(&biz)
        .get(&reports(&format!("total/{}/GBP", biz.id)))
        .await;
    assert_field(s, &body, "currency", "error.settlement.currency.invalid");
    let (s, body) = t
        .pumapay(&biz)
        .get(&reports(&format!("total/{}/EUR?networkID=2", biz.id)))
        .await;
    assert_field(s, &body, "networkID", "error.network.invalid");
    let (s, body) = t
        .pumapay(&biz)
        .get(&reports(&format!("all/{}?statuses=[paid]", biz.id)))
        .await;
    assert_field(s, &body, "statuses", "error.filter.invalid");
    let (s, body) = t
        .pumapay(&biz)
        .get(&reports(&format!("all/{}?orderBy=colour", biz.id)))
        .await;
    assert_field(s, &body, "orderBy", "error.order.by.invalid");
    // Another business's routes.
    let (s, body) = t
        .pumapay(&other)
        .post(&reports(&format!("settlement/{}/EUR", biz.id)), &j!({}))
        .await;
    assert_error(s, &body, 403, "error.business.forbidden");
    let (s, body) = t
        .pumapay(&biz)
        .get(&reports(&format!("transactions/{}/nope", biz.id)))
        .await;
    assert_error(s, &body, 404, "error.settlement.not.found");
    // The main network is the default: nothing accrued there.
    let (s, body) = t
        .pumapay(&biz)
        .get(&reports(&format!("total/{}/usd", biz.id)))
        .await;
    let bal = data(s, &body, "Successfully retrieved total fiat amount");
    assert_eq!(
        (bal["networkID"].clone(), bal["currency"].clone()),
        (j!(1), j!("USD"))
    );

    // Kemix models: EUR or USD, the platform's treasury, and an opt-in that agrees.
    let kemix = |currency: &str| {
        let mut body = model_body(3, &biz.id, &product);
        body["currency"] = j!(currency);
        body["destination"] = j!("Kemix");
        body.as_object_mut().unwrap().remove("treasuryWallet");
        body
    };
    let post = |body: Value| {
        let (t, biz) = (&t, &biz);
        async move {
            t.pumapay(biz)
                .post("/api-key-auth/pull-payment-models", &body)
                .await
        }
    };
    let (s, body) = post(kemix("JPY")).await;
    assert_field(s, &body, "currency", "error.settlement.currency");
    let mut with_treasury = kemix("EUR");
    with_treasury["treasuryWallet"] = j!(WALLET);
    let (s, body) = post(with_treasury).await;
    assert_field(s, &body, "treasuryWallet", "error.treasury.wallet.kemix");
    let mut opt_in = kemix("USD");
    opt_in.as_object_mut().unwrap().remove("destination");
    opt_in["fiatSettlementOptIn"] = j!(true);
    let (s, body) = post(opt_in).await;
    let d = data(s, &body, "Successful Payment Model inserted.");
    assert_eq!(
        (d["destination"].clone(), d["fiatSettlementOptIn"].clone()),
        (j!("Kemix"), j!(true))
    );
    let mut contradiction = kemix("USD");
    contradiction["fiatSettlementOptIn"] = j!("false");
    let (s, body) = post(contradiction).await;
    assert_field(
        s,
        &body,
        "fiatSettlementOptIn",
        "error.destination.mismatch",
    );
    // A dynamic Kemix model takes EUR or USD in its QR code only.
    let mut dynamic = model_body(7, &biz.id, &product);
    dynamic["destination"] = j!("Kemix");
    dynamic.as_object_mut().unwrap().remove("treasuryWallet");
    let dynamic = approved_model(&t, &biz, &dynamic).await;
    let (s, body) = t
        .pumapay(&biz)
        .get(&format!(
            "/api-key-auth/qr/pull-payment/{dynamic}/c1?amount=500&currency=JPY&title=T&description=D"
        ))
        .await;
    assert_field(s, &body, "currency", "error.settlement.currency");

    // Linking: the owner's own full-access token, their account, in the settlement currency.
    let owner = t.user(Mode::Test).await;
    let eur = open_account(&t, &owner, "EUR").await;
    let usd = open_account(&t, &owner, "USD").await;
    let (s, body) = send(
        t.pumapay(&biz)
            .req(
                reqwest::Method::PUT,
                "/api-key-auth/business/settlement-account",
            )
            .json(&j!({"currency": "EUR", "accountId": eur, "userId": owner.id})),
    )
    .await;
    assert_eq!(s, 401, "{body}");
    let (s, body) = link(&t, &biz, &owner, &usd, "EUR").await;
    assert_field(s, &body, "currency", "error.settlement.account.currency");
    let (s, body) = link(&t, &biz, &owner, &eur, "JPY").await;
    assert_field(s, &body, "currency", "error.settlement.currency.invalid");
    let stranger = t.user(Mode::Test).await;
    let (s, body) = link(&t, &biz, &stranger, &eur, "EUR").await;
    assert_error(s, &body, 404, "error.account.not.found");
    let pretender = TestUser {
        id: owner.id.clone(),
        token: stranger.token.clone(),
    };
    let (s, body) = link(&t, &biz, &pretender, &eur, "EUR").await;
    assert_error(s, &body, 403, "error.settlement.account.consent");
    let read_only = t.user_with(Mode::Test, true, vec![]).await;
    let (s, body) = link(&t, &biz, &read_only, &eur, "EUR").await;
    assert_error(s, &body, 403, "error.token.read.only");
    let (s, body) = t
        .pumapay(&biz)
        .get(&format!(
            "/api-key-auth/business/settlement-account/{}",
            biz.id
        ))
        .await;
    assert_eq!(
        data(s, &body, "Successfully retrieved the settlement accounts"),
        j!([])
    );
    let (s, body) = link(&t, &biz, &owner, &eur, "EUR").await;
    data(s, &body, "Successfully linked the settlement account");
    let (s, body) = t
        .pumapay(&biz)
        .delete(&format!(
            "/api-key-auth/business/settlement-account/{}/EUR?networkID=3",
            biz.id
        ))
        .await;
    data(s, &body, "Successfully unlinked the settlement account");
    let (s, body) = t
        .pumapay(&biz)
        .delete(&format!(
            "/api-key-auth/business/settlement-account/{}/EUR?networkID=3",
            biz.id
        ))
        .await;
    assert_error(s, &body, 404, "error.settlement.account.not.found");
    t.assert_ledger_sound().await;
});

dual!(
    revoking_the_consenting_token_stops_payments_into_the_account,
    async |b| {
        let t = start(b).await;
        let biz = business(&t).await;
        let product = product(&t, &biz, &biz.id).await;
        let model = kemix_model(&t, &biz, &product, 2, 2200).await;
        let owner = t.user(Mode::Test).await;
        let account = open_account(&t, &owner, "EUR").await;
        let consent = token_of(&t, &owner, Mode::Test, vec![]).await;
        let (s, body) = link(&t, &biz, &consent, &account, "EUR").await;
        let l = data(s, &body, "Successfully linked the settlement account");
        let (s, body) = t
            .pazemo(&owner)
            .delete(&format!(
                "/users/me/tokens/{}",
                l["tokenId"].as_str().unwrap()
            ))
            .await;
        assert!(s == 200 || s == 204, "{s} {body}");
        customer_pays(&t, &biz, &model).await;
        let id = created(&t, &biz, "EUR").await["id"]
            .as_str()
            .unwrap()
            .to_string();
        t.run_jobs().await;
        let st = &all(&t, &biz, "").await[0];
        assert_eq!(
            (st["id"].as_str(), st["status"].as_str()),
            (Some(id.as_str()), Some("pending"))
        );
        let acct = crate::pazemo::support::account(&t, &owner, &account).await;
        assert_eq!(acct["balance"].to_string(), "0", "{acct}");
        // Consent given again: the pending settlement is paid.
        let (s, body) = link(&t, &biz, &owner, &account, "EUR").await;
        data(s, &body, "Successfully linked the settlement account");
        t.run_jobs().await;
        let acct = crate::pazemo::support::account(&t, &owner, &account).await;
        assert_eq!(acct["balance"].to_string(), "21.78", "{acct}");
        // With a usable link, a new settlement is paid by the job its creation queued.
        customer_pays(&t, &biz, &model).await;
        let next = created(&t, &biz, "EUR").await;
        assert_eq!(next["status"], "pending");
        t.run_jobs().await;
        let list = all(&t, &biz, "&statuses=settled").await;
        assert_eq!(list.len(), 2, "{list:?}");
        let acct = crate::pazemo::support::account(&t, &owner, &account).await;
        assert_eq!(acct["balance"].to_string(), "43.56", "{acct}");
        t.assert_ledger_sound().await;
    }
);
