//! Reading pull payments and transactions (seed 004 P17–P22) over HTTP, on both engines.
//!
//! Until the wallet flow (which creates pull payments) and the executor (which writes
//! transactions) land, the rows are seeded through the store's own `insert` functions with full
//! structs: `seed_pull_payment` / `seed_transaction` write exactly what those flows would.
use crate::dual;
use crate::pumapay::support::*;
use crate::support::*;
use payplane_core::kinds::{PullPaymentStatus, TxStatus, TxType};
use payplane_store::pumapay::pull_payments::{self as pp_store, PullPayment};
use payplane_store::pumapay::transactions::{self as tx_store, Transaction};
use serde_json::{Value, json as j};
use std::sync::atomic::{AtomicI64, Ordering};

static SEQ: AtomicI64 = AtomicI64::new(1);

/// Base of the seeded creation times (µs); `n` seconds later is newer.
const BASE_MICROS: i64 = 1_700_000_000_000_000;
/// The contract address seeded pull payments name.
pub const CONTRACT: &str = "0x00000000000000000000000000000000C0ffEE01";

/// What the wallet flow writes when a customer signs for payment model `model` of `product`:
/// a pull payment of `business`, on the test network, created `n` seconds after a fixed base.
pub fn pull_payment(
    business: &str,
    product: &str,
    model: &str,
    type_id: i64,
    status: PullPaymentStatus,
    reference: &str,
    n: i64,
) -> PullPayment {
    let seq = SEQ.fetch_add(1, Ordering::SeqCst);
    let created = BASE_MICROS + n * 1_000_000;
    PullPayment {
        id: payplane_core::ids::new_id(),
        chain_payment_id: format!("0x{seq:064x}"),
        request_id: payplane_core::ids::new_id(),
        business_id: business.into(),
        payment_model_id: model.into(),
        product_id: product.into(),
        network_id: 3,
        type_id,
        status,
        status_reason: None,
        title: Some("Monthly".into()),
        description: Some("A pair a month".into()),
        currency: "USD".into(),
        amount: 1299,
        initial_payment_amount: 0,
        trial_period: 0,
        frequency: 2_592_000,
        number_of_payments: 12,
        top_up_limit: None,
        customer_address: format!("0x{:040x}", 0xc0_0000 + seq),
        treasury_wallet: WALLET.into(),
        contract_address: CONTRACT.into(),
        hd_wallet_index: seq,
        unique_reference_id: reference.into(),
        terms: "{}".into(),
        signature: "0x".into(),
        permit: None,
        start_timestamp: 1_700_000_000 + n,
        end_timestamp: 1_800_000_000,
        next_payment_at: Some(1_702_592_000 + n),
        last_payment_at: Some(1_700_000_000 + n),
        pulls_made: 1,
        fiat_pulled: 1299,
        failed_attempts: 0,
        created_at: created,
        updated_at: created,
    }
}

/// What the executor writes for one chain transaction of `pp`, executed at unix second `executed`
/// (`None`: still pending, no block yet).
pub fn transaction(
    pp: &PullPayment,
    tx_type: TxType,
    status: TxStatus,
    pull_index: Option<i64>,
    executed: Option<i64>,
    fiat_amount: i64,
) -> Transaction {
    let seq = SEQ.fetch_add(1, Ordering::SeqCst);
    let created = executed.map_or(BASE_MICROS + seq, |e| e * 1_000_000);
    Transaction {
        id: payplane_core::ids::new_id(),
        pull_payment_id: pp.id.clone(),
        business_id: pp.business_id.clone(),
        product_id: pp.product_id.clone(),
        payment_model_id: pp.payment_model_id.clone(),
        network_id: pp.network_id,
        tx_type,
        status,
        pull_index,
        reference_no: seq,
        tx_hash: Some(format!("0x{:064x}", 0xab_0000_0000_i64 + seq)),
        sender: Some("0x0000000000000000000000000000000000000e0e".into()),
        receiver: Some(CONTRACT.into()),
        block_number: executed.map(|_| 100 + seq),
        block_hash: executed.map(|_| format!("0x{seq:064x}")),
        transaction_index: executed.map(|_| 0),
        gas_used: executed.map(|_| 81_234),
        cumulative_gas_used: executed.map(|_| 81_234),
        effective_gas_price: executed.map(|_| "1000000000".into()),
        logs: Some("[]".into()),
        logs_bloom: None,
        currency: pp.currency.clone(),
        fiat_amount,
        token_amount: Some("4330000000000000000".into()),
        rate: Some("3".into()),
        rate_source: Some("config".into()),
        rate_at: Some(1_623_383_785_871_000),
        reason: (status == TxStatus::Failed).then(|| "InsufficientAllowance".into()),
        execution_date: executed,
        created_at: created,
        updated_at: created,
    }
}

/// Writes a pull payment the way the wallet flow does (store `insert`, one transaction).
pub async fn seed_pull_payment(t: &TestApp, p: &PullPayment) {
    let mut tx = t.app.db.begin().await.unwrap();
    pp_store::insert(&mut tx, p).await.unwrap();
    tx.commit().await.unwrap();
}

/// Writes a chain transaction the way the executor does (store `insert`, one transaction).
pub async fn seed_transaction(t: &TestApp, x: &Transaction) {
    let mut tx = t.app.db.begin().await.unwrap();
    tx_store::insert(&mut tx, x).await.unwrap();
    tx.commit().await.unwrap();
}

/// A business with a product and an approved-or-not subscription model (type 3) on network 3.
struct Shop {
    biz: Biz,
    product: String,
    model: String,
}

async fn shop(t: &TestApp) -> Shop {
    let biz = business(t).await;
    shop_of(t, &biz, &biz).await
}

/// A product and a type-3 model of `owner`, created with `caller`'s key.
async fn shop_of(t: &TestApp, caller: &Biz, owner: &Biz) -> Shop {
    let product = product(t, caller, &owner.id).await;
    let model = model(t, caller, &model_body(3, &owner.id, &product)).await;
    Shop {
        biz: owner.clone(),
        product,
        model,
    }
}

async fn get(t: &TestApp, b: &Biz, path: &str) -> (u16, Value) {
    t.pumapay(b).get(path).await
}

fn ids(data: &Value) -> Vec<String> {
    data.as_array()
        .unwrap_or_else(|| panic!("not an array: {data}"))
        .iter()
        .map(|v| v["id"].as_str().unwrap().to_string())
        .collect()
}

fn sorted(mut v: Vec<String>) -> Vec<String> {
    v.sort();
    v
}

dual!(pull_payments_list_filters_and_pages, async |b| {
    let t = TestApp::start(b).await;
    let s = shop(&t).await;
    let p2 = product(&t, &s.biz, &s.biz.id).await;
    let single_model = model(&t, &s.biz, &model_body(2, &s.biz.id, &p2)).await;
    let id = &s.biz.id;
    use PullPaymentStatus::*;
    let a = pull_payment(id, &s.product, &s.model, 3, Running, "cust-a", 1);
    let bb = pull_payment(id, &s.product, &s.model, 3, Done, "cust-b", 2);
    let c = pull_payment(id, &p2, &single_model, 2, Initial, "cust-a", 3);
    let mut d = pull_payment(id, &s.product, &s.model, 3, Running, "cust-d", 4);
    d.network_id = 1;
    for p in [&a, &bb, &c, &d] {
        seed_pull_payment(&t, p).await;
    }
    let list = |q: &str| {
        let path = format!("/api-key-auth/pull-payments/business/{id}{q}");
        let t = &t;
        let biz = s.biz.clone();
        async move { get(t, &biz, &path).await }
    };
    let (st, body) = list("").await;
    let all = data(st, &body, "Successfully retrieved all payments");
    assert_eq!(
        ids(&all),
        vec![d.id.clone(), c.id.clone(), bb.id.clone(), a.id.clone()],
        "newest first"
    );
    let cases: Vec<(String, Vec<&String>)> = vec![
        ("?networkID=3".into(), vec![&a.id, &bb.id, &c.id]),
        ("?networkID=1".into(), vec![&d.id]),
        ("?statuses=[1,2]".into(), vec![&a.id, &c.id, &d.id]),
        ("?statuses=1,2".into(), vec![&a.id, &c.id, &d.id]),
        ("?statuses=1&statuses=2".into(), vec![&a.id, &c.id, &d.id]),
        ("?statuses[]=5".into(), vec![&bb.id]),
        (format!("?billingModels=[{single_model}]"), vec![&c.id]),
        (
            format!("?billingModels=[\"{single_model}\",\"{}\"]", s.model),
            vec![&a.id, &bb.id, &c.id, &d.id],
        ),
        ("?billingTypes=[2]".into(), vec![&c.id]),
        ("?billingTypes=[3,4]".into(), vec![&a.id, &bb.id, &d.id]),
        (
            format!("?products=[{}]", s.product),
            vec![&a.id, &bb.id, &d.id],
        ),
        (format!("?products=[{p2}]"), vec![&c.id]),
        ("?uniqueReferenceID=cust-a".into(), vec![&a.id, &c.id]),
        ("?uniqueReferenceID=nobody".into(), vec![]),
        (
            format!("?networkID=3&statuses=[2]&products=[{}]", s.product),
            vec![&a.id],
        ),
    ];
    for (q, want) in cases {
        let (st, body) = list(&q).await;
        let got = data(st, &body, "Successfully retrieved all payments");
        assert_eq!(
            sorted(ids(&got)),
            sorted(want.into_iter().cloned().collect()),
            "{q}"
        );
    }
    // Pages of two, newest first; ItemsPerPage is the document's spelling.
    let (st, body) = list("?itemsPerPage=2&page=1").await;
    assert_eq!(
        ids(&data(st, &body, "Successfully retrieved all payments")),
        vec![d.id.clone(), c.id.clone()]
    );
    let (_, body) = list("?ItemsPerPage=2&page=2").await;
    assert_eq!(ids(&body["data"]), vec![bb.id.clone(), a.id.clone()]);
    let (_, body) = list("?itemsPerPage=2&page=3").await;
    assert_eq!(body["data"], j!([]));
    // Bad filters are field errors naming the parameter; nothing is silently ignored.
    let (st, body) = list("?statuses=[9]").await;
    assert_field(st, &body, "statuses", "error.filter.invalid");
    let (st, body) = list("?statuses=[x]").await;
    assert_field(st, &body, "statuses", "error.filter.invalid");
    let (st, body) = list("?networkID=2").await;
    assert_field(st, &body, "networkID", "error.network.invalid");
    let (st, body) = list("?networkID=abc").await;
    assert_field(st, &body, "networkID", "error.field.not.integer");
    let (st, body) = list("?billingTypes=[1]").await;
    assert_field(st, &body, "billingTypes", "error.filter.invalid");
    let (st, body) = list("?page=0&itemsPerPage=500").await;
    assert_field(st, &body, "page", "error.page.invalid");
    assert_field(st, &body, "itemsPerPage", "error.items.per.page.invalid");
    let (st, body) = list("?itemsPerPage=ten").await;
    assert_field(st, &body, "itemsPerPage", "error.field.not.integer");
});

dual!(a_pull_payment_reads_with_the_documents_fields, async |b| {
    let t = TestApp::start(b).await;
    let s = shop(&t).await;
    let other = shop(&t).await;
    let mut p = pull_payment(
        &s.biz.id,
        &s.product,
        &s.model,
        3,
        PullPaymentStatus::Failed,
        "cust-42",
        1,
    );
    p.status_reason = Some("InsufficientBalance".into());
    p.last_payment_at = None;
    seed_pull_payment(&t, &p).await;
    let theirs = pull_payment(
        &other.biz.id,
        &other.product,
        &other.model,
        3,
        PullPaymentStatus::Running,
        "x",
        2,
    );
    seed_pull_payment(&t, &theirs).await;

    let (st, body) = get(&t, &s.biz, &format!("/api-key-auth/pull-payments/{}", p.id)).await;
    let d = data(st, &body, "Successfully retrieved payment");
    let want = j!({
        "id": p.id, "title": "Monthly", "productID": s.product, "businessID": s.biz.id,
        "description": "A pair a month", "amount": 1299, "initialPaymentAmount": 0, "trialPeriod": 0,
        "currency": "USD", "hdWalletIndex": p.hd_wallet_index, "numberOfPayments": 12,
        "frequency": 2_592_000, "type": 3, "status": 7, "networkID": 3,
        "nextPaymentDate": "1702592001", "lastPaymentDate": null, "startTimestamp": "1700000001",
        "customerAddress": p.customer_address, "pullPaymentAddress": CONTRACT, "treasuryWallet": WALLET,
        "uniqueReferenceID": "cust-42", "createdAt": "2023-11-14T22:13:21.000Z",
        "updatedAt": "2023-11-14T22:13:21.000Z", "deletedAt": null,
        "paymentModelID": s.model, "statusReason": "InsufficientBalance"
    });
    assert_eq!(d, want);
    // The code samples' spelling, without api-key-auth.
    let (st, body) = get(&t, &s.biz, &format!("/pull-payments/{}", p.id)).await;
    assert_eq!(data(st, &body, "Successfully retrieved payment"), want);
    // In a list, the same object.
    let (_, body) = get(
        &t,
        &s.biz,
        &format!("/api-key-auth/pull-payments/business/{}", s.biz.id),
    )
    .await;
    assert_eq!(body["data"], j!([want]));

    // Another tenant's pull payment is not found (its existence is not revealed), like an unknown id.
    for path in [
        format!("/api-key-auth/pull-payments/{}", theirs.id),
        format!("/pull-payments/{}", theirs.id),
        "/api-key-auth/pull-payments/nope".to_string(),
    ] {
        let (st, body) = get(&t, &s.biz, &path).await;
        assert_error(st, &body, 404, "error.pull.payment.not.found");
    }
    // Another business's id in the path is refused before anything is read.
    let (st, body) = get(
        &t,
        &s.biz,
        &format!("/api-key-auth/pull-payments/business/{}", other.biz.id),
    )
    .await;
    assert_error(st, &body, 403, "error.business.forbidden");
    let (st, body) = get(
        &t,
        &s.biz,
        "/api-key-auth/pull-payments/business/unknown-business",
    )
    .await;
    assert_error(st, &body, 403, "error.business.forbidden");
    let (st, _) = t
        .pumapay_key("pma_wrong")
        .get(&format!("/api-key-auth/pull-payments/{}", p.id))
        .await;
    assert_eq!(st, 401);
});

/// Seeds, for `s`, two pull payments with transactions of every kind the report filters on.
struct Ledger {
    monthly: PullPayment,
    single: PullPayment,
    /// register (success), execute #0 (success), execute #1 (failed), execute #2 (pending)
    m_register: Transaction,
    m_exec0: Transaction,
    m_exec1: Transaction,
    m_exec2: Transaction,
    /// register_and_execute of the single payment, EUR.
    s_rae: Transaction,
    /// A transaction on the main network (invisible from network 3).
    main_net: Transaction,
}

async fn ledger(t: &TestApp, s: &Shop) -> Ledger {
    let p2 = product(t, &s.biz, &s.biz.id).await;
    let single_model = model(t, &s.biz, &model_body(2, &s.biz.id, &p2)).await;
    let id = &s.biz.id;
    let monthly = pull_payment(
        id,
        &s.product,
        &s.model,
        3,
        PullPaymentStatus::Running,
        "cust-m",
        1,
    );
    let mut single = pull_payment(
        id,
        &p2,
        &single_model,
        2,
        PullPaymentStatus::Done,
        "cust-s",
        2,
    );
    single.currency = "EUR".into();
    single.number_of_payments = 1;
    single.frequency = 0;
    single.next_payment_at = None;
    let mut main = pull_payment(
        id,
        &s.product,
        &s.model,
        3,
        PullPaymentStatus::Running,
        "cust-m",
        3,
    );
    main.network_id = 1;
    for p in [&monthly, &single, &main] {
        seed_pull_payment(t, p).await;
    }
    use TxStatus::*;
    use TxType::*;
    let m_register = transaction(&monthly, Register, Success, None, Some(1_700_000_100), 0);
    let m_exec0 = transaction(
        &monthly,
        Execute,
        Success,
        Some(0),
        Some(1_700_000_200),
        1299,
    );
    let m_exec1 = transaction(
        &monthly,
        Execute,
        Failed,
        Some(1),
        Some(1_700_000_300),
        1299,
    );
    let m_exec2 = transaction(&monthly, Execute, Pending, Some(2), None, 1299);
    let s_rae = transaction(
        &single,
        RegisterAndExecute,
        Success,
        Some(0),
        Some(1_700_000_400),
        1000,
    );
    let main_net = transaction(&main, Execute, Success, Some(0), Some(1_700_000_500), 1299);
    for x in [&m_register, &m_exec0, &m_exec1, &m_exec2, &s_rae, &main_net] {
        seed_transaction(t, x).await;
    }
    Ledger {
        monthly,
        single,
        m_register,
        m_exec0,
        m_exec1,
        m_exec2,
        s_rae,
        main_net,
    }
}

dual!(the_transaction_report_filters_and_pages, async |b| {
    let t = TestApp::start(b).await;
    let s = shop(&t).await;
    let l = ledger(&t, &s).await;
    let id = s.biz.id.clone();
    let report = |q: String| {
        let t = &t;
        let biz = s.biz.clone();
        let path = format!("/api-key-auth/transactions/report/all/{id}/3{q}");
        async move { get(t, &biz, &path).await }
    };
    let (st, body) = report(String::new()).await;
    let all = data(st, &body, "Successfully retrieved transactions");
    let monthly_all = vec![
        &l.m_register.id,
        &l.m_exec0.id,
        &l.m_exec1.id,
        &l.m_exec2.id,
    ];
    assert_eq!(
        ids(&all),
        vec![
            l.s_rae.id.clone(),
            l.m_exec1.id.clone(),
            l.m_exec0.id.clone(),
            l.m_register.id.clone(),
            l.m_exec2.id.clone(),
        ],
        "network 3 only, newest first (the pending one was written first)"
    );
    assert!(!ids(&all).contains(&l.main_net.id));
    let p2 = &l.single.product_id;
    let cases: Vec<(String, Vec<&String>)> = vec![
        (format!("?products=[{}]", s.product), monthly_all.clone()),
        (format!("?products=[{p2}]"), vec![&l.s_rae.id]),
        (
            format!("?billingModels=[{}]", l.single.payment_model_id),
            vec![&l.s_rae.id],
        ),
        (
            "?transactionStatuses=[3]".into(),
            vec![&l.m_register.id, &l.m_exec0.id, &l.s_rae.id],
        ),
        ("?statusID=2".into(), vec![&l.m_exec1.id]),
        (
            "?transactionStatuses=[1]&statusID=2".into(),
            vec![&l.m_exec1.id, &l.m_exec2.id],
        ),
        (
            "?transactionTypes=[3]".into(),
            vec![&l.m_exec0.id, &l.m_exec1.id, &l.m_exec2.id],
        ),
        ("?typeID=1,5".into(), vec![&l.m_register.id, &l.s_rae.id]),
        ("?paymentTypes=[2]".into(), vec![&l.s_rae.id]),
        ("?paymentTypes=[3]".into(), monthly_all.clone()),
        ("?currency=EUR".into(), vec![&l.s_rae.id]),
        ("?currency=usd".into(), monthly_all.clone()),
        (
            "?startTimestamp=1700000200".into(),
            vec![&l.m_exec0.id, &l.m_exec1.id, &l.s_rae.id],
        ),
        (
            "?startTimestamp=1700000200&endTimestamp=1700000300".into(),
            vec![&l.m_exec0.id, &l.m_exec1.id],
        ),
        ("?endTimestamp=1700000100".into(), vec![&l.m_register.id]),
        ("?uniqueReferenceID=cust-s".into(), vec![&l.s_rae.id]),
        (
            format!(
                "?products=[{}]&transactionStatuses=[3]&transactionTypes=[3]&uniqueReferenceID=cust-m",
                s.product
            ),
            vec![&l.m_exec0.id],
        ),
    ];
    for (q, want) in cases {
        let (st, body) = report(q.clone()).await;
        let got = data(st, &body, "Successfully retrieved transactions");
        assert_eq!(
            sorted(ids(&got)),
            sorted(want.into_iter().cloned().collect()),
            "{q}"
        );
    }
    let (st, body) = report("?itemsPerPage=2&page=2".into()).await;
    assert_eq!(
        ids(&data(st, &body, "Successfully retrieved transactions")),
        vec![l.m_exec0.id.clone(), l.m_register.id.clone()]
    );
    let (_, body) = report("?itemsPerPage=2&page=3".into()).await;
    assert_eq!(ids(&body["data"]), vec![l.m_exec2.id.clone()]);
    // The main network has its own report.
    let (st, body) = get(
        &t,
        &s.biz,
        &format!("/api-key-auth/transactions/report/all/{id}/1"),
    )
    .await;
    let main = data(st, &body, "Successfully retrieved transactions");
    assert_eq!(ids(&main), vec![l.main_net.id.clone()]);
    assert_eq!(
        main[0]["pmaBalance"],
        Value::Null,
        "the main network is not configured: no balance, but the read works"
    );
    // Bad filters name the parameter.
    for (q, field, code) in [
        (
            "?startTimestamp=abc",
            "startTimestamp",
            "error.timestamp.invalid",
        ),
        (
            "?endTimestamp=-5",
            "endTimestamp",
            "error.timestamp.invalid",
        ),
        (
            "?startTimestamp=20&endTimestamp=10",
            "endTimestamp",
            "error.timestamp.range",
        ),
        (
            "?transactionStatuses=[4]",
            "transactionStatuses",
            "error.filter.invalid",
        ),
        ("?statusID=0", "statusID", "error.filter.invalid"),
        (
            "?transactionTypes=[6]",
            "transactionTypes",
            "error.filter.invalid",
        ),
        ("?typeID=[register]", "typeID", "error.filter.invalid"),
        ("?paymentTypes=[9]", "paymentTypes", "error.filter.invalid"),
        ("?currency=BTC", "currency", "error.currency.invalid"),
        ("?page=-1", "page", "error.page.invalid"),
    ] {
        let (st, body) = report(q.into()).await;
        assert_field(st, &body, field, code);
    }
    let (st, body) = get(
        &t,
        &s.biz,
        &format!("/api-key-auth/transactions/report/all/{id}/2"),
    )
    .await;
    assert_field(st, &body, "networkID", "error.network.invalid");
});

dual!(
    transactions_carry_the_documents_fields_per_route,
    async |b| {
        let t = TestApp::start(b).await;
        let s = shop(&t).await;
        let l = ledger(&t, &s).await;
        // The treasury holds 1000 PMA from the faucet.
        let (st, body) = json(
            t.post("/api/v2/open-auth/faucet")
                .json(&j!({"address": WALLET}))
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert_eq!(st, 200, "{body}");
        let id = &s.biz.id;
        let (st, body) = get(
        &t,
        &s.biz,
        &format!(
            "/api-key-auth/transactions/report/all/{id}/3?transactionTypes=[3]&transactionStatuses=[3]"
        ),
    )
    .await;
        let d = data(st, &body, "Successfully retrieved transactions");
        let x = &l.m_exec0;
        let common = j!({
            "id": x.id, "paymentID": l.monthly.id, "billingID": s.model, "businessID": id,
            "executionDate": "1700000200", "productName": "Plan", "billingName": "Monthly",
            "numberOfPayments": 12, "customerID": "cust-m", "customerAddress": l.monthly.customer_address,
            "referenceNo": x.reference_no, "txHash": x.tx_hash, "pmaBalance": "1000", "currency": "USD",
            "fiatAmount": 1299, "destination": "Treasury", "transactionStatus": 3, "paymentType": 3,
            "nextPaymentDate": "1702592001", "lastPaymentDate": "1700000001", "frequency": 2_592_000,
            "blockNumber": x.block_number, "gasUsed": 81_234, "tokenAmount": "4330000000000000000",
            "rate": "3", "rateSource": "config", "rateTimestamp": "2021-06-11T03:56:25.871Z", "reason": null
        });
        let with = |ty: Value, index: Value| {
            let mut v = common.clone();
            v["transactionType"] = ty;
            v["transactionIndex"] = index;
            v
        };
        // The report types transactionType as a string and transactionIndex as an integer…
        assert_eq!(d, j!([with(j!("3"), j!(0))]));
        // …the per-payment and by-hash routes the other way round.
        let (st, body) = get(
            &t,
            &s.biz,
            &format!(
                "/api-key-auth/transactions/pull-payment/{id}/{}?statusID=3&typeID=[3]",
                l.monthly.id
            ),
        )
        .await;
        assert_eq!(
            data(st, &body, "Successfully retrieved transactions"),
            j!([with(j!(3), j!("0"))])
        );
        let hash = x.tx_hash.clone().unwrap();
        let (st, body) = get(
            &t,
            &s.biz,
            &format!("/api-key-auth/transactions/single/{hash}"),
        )
        .await;
        assert_eq!(
            data(st, &body, "Successfully retrieved transaction"),
            j!([with(j!(3), j!("0"))]),
            "an array of one, as the document shows"
        );
        let (st, body) = get(
            &t,
            &s.biz,
            &format!(
                "/api-key-auth/transactions/single/{}",
                hash.to_uppercase().replace("0X", "0x")
            ),
        )
        .await;
        assert_eq!(st, 200, "hashes match whatever their case: {body}");
        // A pending transaction: no execution date, no block; a failed one says why; a register has
        // no pull index.
        let (_, body) = get(
            &t,
            &s.biz,
            &format!(
                "/api-key-auth/transactions/single/{}",
                l.m_exec2.tx_hash.clone().unwrap()
            ),
        )
        .await;
        assert_eq!(body["data"][0]["executionDate"], Value::Null);
        assert_eq!(body["data"][0]["blockNumber"], Value::Null);
        assert_eq!(body["data"][0]["transactionStatus"], 1);
        assert_eq!(body["data"][0]["transactionIndex"], "2");
        let (_, body) = get(
            &t,
            &s.biz,
            &format!(
                "/api-key-auth/transactions/single/{}",
                l.m_exec1.tx_hash.clone().unwrap()
            ),
        )
        .await;
        assert_eq!(body["data"][0]["reason"], "InsufficientAllowance");
        let (_, body) = get(
            &t,
            &s.biz,
            &format!("/api-key-auth/transactions/report/all/{id}/3?transactionTypes=[1]"),
        )
        .await;
        assert_eq!(body["data"][0]["id"], j!(l.m_register.id));
        assert_eq!(body["data"][0]["transactionType"], "1");
        assert_eq!(body["data"][0]["transactionIndex"], Value::Null);
    }
);

dual!(transactions_of_a_pull_payment_filter_and_page, async |b| {
    let t = TestApp::start(b).await;
    let s = shop(&t).await;
    let l = ledger(&t, &s).await;
    let id = s.biz.id.clone();
    let of = |pp: String, q: &'static str| {
        let t = &t;
        let biz = s.biz.clone();
        let path = format!("/api-key-auth/transactions/pull-payment/{id}/{pp}{q}");
        async move { get(t, &biz, &path).await }
    };
    let m = l.monthly.id.clone();
    let (st, body) = of(m.clone(), "").await;
    assert_eq!(
        ids(&data(st, &body, "Successfully retrieved transactions")),
        vec![
            l.m_exec1.id.clone(),
            l.m_exec0.id.clone(),
            l.m_register.id.clone(),
            l.m_exec2.id.clone()
        ],
        "only this pull payment's, newest first"
    );
    for (q, want) in [
        ("?statusID=3", vec![&l.m_register.id, &l.m_exec0.id]),
        ("?statusID=[1,2]", vec![&l.m_exec1.id, &l.m_exec2.id]),
        (
            "?typeID=[3]",
            vec![&l.m_exec0.id, &l.m_exec1.id, &l.m_exec2.id],
        ),
        ("?typeID=[1,2]", vec![&l.m_register.id]),
        ("?typeID=3&statusID=1", vec![&l.m_exec2.id]),
        ("?typeID=[4]", vec![]),
    ] {
        let (st, body) = of(m.clone(), q).await;
        let got = data(st, &body, "Successfully retrieved transactions");
        assert_eq!(
            sorted(ids(&got)),
            sorted(want.into_iter().cloned().collect()),
            "{q}"
        );
    }
    let (_, body) = of(m.clone(), "?itemsPerPage=3&page=2").await;
    assert_eq!(ids(&body["data"]), vec![l.m_exec2.id.clone()]);
    let (_, body) = of(l.single.id.clone(), "").await;
    assert_eq!(ids(&body["data"]), vec![l.s_rae.id.clone()]);
    let (st, body) = of(m.clone(), "?statusID=4").await;
    assert_field(st, &body, "statusID", "error.filter.invalid");
    let (st, body) = of(m.clone(), "?typeID=[0]").await;
    assert_field(st, &body, "typeID", "error.filter.invalid");
    let (st, body) = of(m.clone(), "?itemsPerPage=0").await;
    assert_field(st, &body, "itemsPerPage", "error.items.per.page.invalid");
    let (st, body) = of("unknown".into(), "").await;
    assert_error(st, &body, 404, "error.pull.payment.not.found");
});

dual!(another_tenants_data_stays_invisible, async |b| {
    let t = TestApp::start(b).await;
    let mine = shop(&t).await;
    let theirs = shop(&t).await;
    let lt = ledger(&t, &theirs).await;
    let me = &mine.biz;
    // Their business id in a path: 403, whatever the route.
    for path in [
        format!("/api-key-auth/pull-payments/business/{}", theirs.biz.id),
        format!("/api-key-auth/transactions/report/all/{}/3", theirs.biz.id),
        format!(
            "/api-key-auth/transactions/pull-payment/{}/{}",
            theirs.biz.id, lt.monthly.id
        ),
    ] {
        let (st, body) = get(&t, me, &path).await;
        assert_error(st, &body, 403, "error.business.forbidden");
    }
    // Their ids and hashes under my key: 404, as if unknown.
    let (st, body) = get(
        &t,
        me,
        &format!("/api-key-auth/pull-payments/{}", lt.monthly.id),
    )
    .await;
    assert_error(st, &body, 404, "error.pull.payment.not.found");
    let (st, body) = get(
        &t,
        me,
        &format!(
            "/api-key-auth/transactions/pull-payment/{}/{}",
            me.id, lt.monthly.id
        ),
    )
    .await;
    assert_error(st, &body, 404, "error.pull.payment.not.found");
    for hash in [lt.m_exec0.tx_hash.clone().unwrap(), format!("0x{:064x}", 1)] {
        let (st, body) = get(&t, me, &format!("/api-key-auth/transactions/single/{hash}")).await;
        assert_error(st, &body, 404, "error.transaction.not.found");
    }
    // My own lists do not include theirs.
    let (_, body) = get(
        &t,
        me,
        &format!("/api-key-auth/transactions/report/all/{}/3", me.id),
    )
    .await;
    assert_eq!(body["data"], j!([]));
    let (_, body) = get(
        &t,
        me,
        &format!("/api-key-auth/pull-payments/business/{}", me.id),
    )
    .await;
    assert_eq!(body["data"], j!([]));
});

dual!(a_psp_reads_its_sub_businesses_data, async |b| {
    let t = TestApp::start(b).await;
    let psp = business(&t).await;
    let sub = sub_business(&t, &psp).await;
    let s = shop_of(&t, &psp, &sub).await;
    let l = ledger(&t, &s).await;
    // The PSP names the sub-business.
    let (st, body) = get(
        &t,
        &psp,
        &format!("/api-key-auth/pull-payments/business/{}", sub.id),
    )
    .await;
    assert_eq!(
        sorted(ids(&data(st, &body, "Successfully retrieved all payments"))).len(),
        3
    );
    let (st, body) = get(
        &t,
        &psp,
        &format!("/api-key-auth/pull-payments/{}", l.monthly.id),
    )
    .await;
    assert_eq!(
        data(st, &body, "Successfully retrieved payment")["businessID"],
        j!(sub.id)
    );
    let (st, body) = get(
        &t,
        &psp,
        &format!("/api-key-auth/transactions/report/all/{}/3", sub.id),
    )
    .await;
    assert_eq!(
        ids(&data(st, &body, "Successfully retrieved transactions")).len(),
        5
    );
    let (st, body) = get(
        &t,
        &psp,
        &format!(
            "/api-key-auth/transactions/pull-payment/{}/{}",
            sub.id, l.monthly.id
        ),
    )
    .await;
    assert_eq!(
        ids(&data(st, &body, "Successfully retrieved transactions")).len(),
        4
    );
    let (st, body) = get(
        &t,
        &psp,
        &format!(
            "/api-key-auth/transactions/single/{}",
            l.s_rae.tx_hash.clone().unwrap()
        ),
    )
    .await;
    assert_eq!(
        data(st, &body, "Successfully retrieved transaction")[0]["id"],
        j!(l.s_rae.id)
    );
    // The PSP's own lists are its own business's (empty), not its sub-businesses'.
    let (_, body) = get(
        &t,
        &psp,
        &format!("/api-key-auth/transactions/report/all/{}/3", psp.id),
    )
    .await;
    assert_eq!(body["data"], j!([]));
    // The sub-business cannot read up.
    let (st, body) = get(
        &t,
        &sub,
        &format!("/api-key-auth/pull-payments/business/{}", psp.id),
    )
    .await;
    assert_error(st, &body, 403, "error.business.forbidden");
    // …but reads its own.
    let (st, body) = get(
        &t,
        &sub,
        &format!("/api-key-auth/pull-payments/{}", l.single.id),
    )
    .await;
    assert_eq!(st, 200, "{body}");
});

dual!(the_openapi_document_lists_the_read_routes, async |b| {
    let t = TestApp::start(b).await;
    let (st, doc) = json(t.get("/openapi.json").send().await.unwrap()).await;
    assert_eq!(st, 200);
    for path in [
        "/api/v2/api-key-auth/pull-payments/business/{businessID}",
        "/api/v2/api-key-auth/pull-payments/{pullPaymentID}",
        "/api/v2/pull-payments/{paymentID}",
        "/api/v2/api-key-auth/transactions/report/all/{businessID}/{networkID}",
        "/api/v2/api-key-auth/transactions/pull-payment/{businessID}/{pullpaymentID}",
        "/api/v2/api-key-auth/transactions/single/{transactionHash}",
    ] {
        assert!(doc["paths"][path]["get"].is_object(), "{path} missing");
    }
});

dual!(
    a_cursor_reads_pull_payments_and_transactions_once_each_in_order,
    async |b| {
        let t = TestApp::start(b).await;
        let s = shop(&t).await;
        let id = s.biz.id.clone();
        use PullPaymentStatus::*;
        // Seven pull payments, two pairs created in the same second (the id breaks the tie),
        // one on the main network; each with one executed pull at its own second.
        let mut payments = vec![];
        for (i, n) in [1, 2, 2, 3, 4, 4, 5].into_iter().enumerate() {
            let mut p = pull_payment(&id, &s.product, &s.model, 3, Running, "cust", n);
            if i == 3 {
                p.network_id = 1;
            }
            seed_pull_payment(&t, &p).await;
            let x = transaction(
                &p,
                TxType::Execute,
                TxStatus::Success,
                Some(1),
                Some(1_700_000_000 + i as i64 % 3),
                1299,
            );
            seed_transaction(&t, &x).await;
            payments.push(p);
        }
        let face = t.pumapay(&s.biz);
        let members = |v: &Value| {
            assert_eq!(v["success"], true, "{v}");
            v["data"].as_array().unwrap().clone()
        };
        for list in [
            format!("/api-key-auth/pull-payments/business/{id}?"),
            format!("/api-key-auth/pull-payments/business/{id}?networkID=3&statuses=[1,2]&"),
            format!("/api-key-auth/transactions/report/all/{id}/3?"),
            format!(
                "/api-key-auth/transactions/report/all/{id}/3?transactionStatuses=[3]&currency=USD&"
            ),
        ] {
            let (st, body) = get(&t, &s.biz, &format!("{list}itemsPerPage=100")).await;
            let whole = ids(&data(st, &body, body["message"].as_str().unwrap()));
            assert!(whole.len() >= 6, "{list}: {body}");
            for per in [1, 2, 3] {
                let (walked, pages) = face
                    .walk(&format!("{list}itemsPerPage={per}"), members)
                    .await;
                let walked: Vec<String> = walked
                    .iter()
                    .map(|v| v["id"].as_str().unwrap().to_string())
                    .collect();
                assert_eq!(walked, whole, "{list} by {per}: every row once, in order");
                assert_eq!(pages, whole.len() / per + 1, "{list} by {per}");
            }
        }
        for path in [
            format!("/api-key-auth/pull-payments/business/{id}"),
            format!("/api-key-auth/transactions/report/all/{id}/3"),
            format!(
                "/api-key-auth/transactions/pull-payment/{id}/{}",
                payments[0].id
            ),
            format!("/api-key-auth/business/postback-deliveries/{id}"),
        ] {
            for bad in ["zz", "3a", "31", "not-a-cursor"] {
                let (st, body) = get(&t, &s.biz, &format!("{path}?cursor={bad}")).await;
                assert_field(st, &body, "cursor", "error.cursor.invalid");
            }
        }
    }
);
