//! The test network on a real development node (anvil), as a newcomer runs it: point network 3
//! at the node, and the server deploys its contracts on first use, keeps their addresses, and
//! moves the node's clock with the test clock. Skipped, with a printed `SKIP:` line, when no
//! anvil binary is found ($ANVIL_BIN, PATH, or contracts/node_modules from
//! contracts/install-tools.sh).
use crate::dual;
use crate::support::*;
use payplane_app::pumapay::networks::network;
use payplane_app::{App, Config};
use payplane_testdb::anvil::{self, Anvil};
use serde_json::json as j;
use std::sync::Arc;

/// A fresh anvil on a free port, serving `chain_id` (its default, 31337, when `None`).
fn spawn_anvil(chain_id: Option<u64>) -> Option<Anvil> {
    let id = chain_id.map(|id| id.to_string());
    let args: Vec<&str> = id
        .iter()
        .flat_map(|id| ["--chain-id", id.as_str()])
        .collect();
    anvil::spawn(&args)
}

/// Network 3 on the node, as `PAYPLANE_CHAIN_RPC_URL_3` alone sets it: no chain id, no contracts.
fn on_node(c: &mut Config, url: &str) {
    let n = c.chain.networks.entry("3".into()).or_default();
    n.backend = "rpc".into();
    n.url = payplane_app::config::Secret(url.to_string());
    n.chain_id = 0;
}

dual!(the_test_network_runs_on_anvil_out_of_the_box, async |b| {
    let Some(anvil) = spawn_anvil(None) else {
        return;
    };
    let url = anvil.url.clone();
    let t = TestApp::builder(b)
        .config(move |c| on_node(c, &url))
        .start()
        .await;
    // The faucet is the first use: the contracts are deployed, then ETH and PMA are sent.
    let customer = "0x00000000000000000000000000000000000a4411";
    let (s, body) = send(
        t.post("/api/v2/open-auth/faucet")
            .json(&j!({ "address": customer })),
    )
    .await;
    assert_eq!(s, 200, "{body}");
    assert_eq!(body["data"]["pma"], "1000000000000000000000");
    let net = network(&t.app, 3).await.unwrap();
    let contracts = net.chain.contracts();
    assert_eq!(net.chain.chain_id(), 31337);
    assert!(!net.chain.code(contracts.token).await.unwrap().is_empty());
    assert!(
        !net.chain
            .code(contracts.pull_payments)
            .await
            .unwrap()
            .is_empty()
    );
    let customer = payplane_chain::parse_address(customer).unwrap();
    assert_eq!(
        net.chain.token_balance(customer).await.unwrap(),
        payplane_chain::PMA * payplane_chain::U256::from(1000u64)
    );
    let row = payplane_store::pumapay::network_contracts::get(&t.app.db.read, 3, 31337)
        .await
        .unwrap()
        .expect("the deployment is recorded");
    assert_eq!(row.pull_payments, format!("{:#x}", contracts.pull_payments));

    // The test clock moves the node's clock too.
    let op = t.admin().await;
    let chain_before = net.chain.latest_block_timestamp().await.unwrap();
    let before = net.now_secs(&t.app);
    let (s, body) = send(
        t.post("/api/v2/admin/test-clock/advance")
            .header("authorization", op.bearer())
            .json(&j!({"seconds": 86_400})),
    )
    .await;
    assert_eq!(s, 200, "{body}");
    assert_eq!(body["data"]["now"], before + 86_400);
    let chain_after = net.chain.latest_block_timestamp().await.unwrap();
    assert!(
        chain_after >= chain_before + 86_400,
        "{chain_before} → {chain_after}"
    );

    // Another process (or a restart) on the same database reuses the same contracts.
    let mut config = Config::default();
    config.database_url = payplane_app::config::Secret(t.database_url.clone());
    config.max_connections = 4;
    config.chain.data_dir = String::new();
    on_node(&mut config, &anvil.url);
    let again = App::start(config, Arc::new(payplane_core::TestClock::new()))
        .await
        .unwrap();
    let net2 = network(&again, 3).await.unwrap();
    assert_eq!(net2.chain.contracts(), contracts);
    assert_eq!(
        net2.clock_offset.load(std::sync::atomic::Ordering::SeqCst),
        86_400,
        "the clock offset is shared too"
    );
    again.db.close().await;

    // A restarted anvil has forgotten everything: the server deploys again (same executor,
    // nonce 0 again, so the same addresses) instead of using contracts that are not there.
    drop(net2);
    let fresh_node = spawn_anvil(None).unwrap();
    let mut config = Config::default();
    config.database_url = payplane_app::config::Secret(t.database_url.clone());
    config.max_connections = 4;
    config.chain.data_dir = String::new();
    on_node(&mut config, &fresh_node.url);
    let third = App::start(config, Arc::new(payplane_core::TestClock::new()))
        .await
        .unwrap();
    let net3 = network(&third, 3).await.unwrap();
    let redeployed = net3.chain.contracts();
    assert!(
        !net3
            .chain
            .code(redeployed.pull_payments)
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(redeployed, contracts);
    third.db.close().await;
});

dual!(other_chains_are_never_deployed_to, async |b| {
    let Some(anvil) = spawn_anvil(Some(5)) else {
        return;
    };
    let url = anvil.url.clone();
    let t = TestApp::builder(b)
        .config(move |c| on_node(c, &url))
        .start()
        .await;
    let (s, body) = send(
        t.post("/api/v2/open-auth/faucet")
            .json(&j!({"address": "0x00000000000000000000000000000000000a4411"})),
    )
    .await;
    assert_eq!(s, 400, "{body}");
    assert_eq!(
        body["errors"][0]["code"],
        "error.network.contracts.not.configured"
    );
    let message = body["message"].as_str().unwrap();
    assert!(
        message.contains("chain.networks.3.token") && message.contains("chain id 5"),
        "{message}"
    );
    assert!(
        payplane_store::pumapay::network_contracts::get(&t.app.db.read, 3, 5)
            .await
            .unwrap()
            .is_none()
    );
});

dual!(a_trial_subscription_is_billed_on_anvil, async |b| {
    use crate::pumapay::executor::*;
    use crate::pumapay::support::*;
    let Some(anvil) = spawn_anvil(None) else {
        return;
    };
    let url = anvil.url.clone();
    let t = TestApp::builder(b)
        .config(move |c| on_node(c, &url))
        .start()
        .await;
    let (biz, product) = merchant(&t).await;
    let model = approved_model(&t, &biz, &model_body(5, &biz.id, &product)).await;
    let w = Wallet::new();
    fund(&t, &w, 20_000).await;
    let before = treasury_pma(&t).await;
    let id = subscribe(&t, &biz, &model, &w, "").await;
    settle(&t).await;
    assert_eq!(payment(&t, &biz, &id).await["status"], 2);
    advance(&t, WEEK).await;
    advance(&t, MONTH).await;
    advance(&t, MONTH).await;
    let txs = transactions(&t, &biz, &id).await;
    assert_eq!(kinds(&txs), vec![(1, 3), (3, 3), (3, 3), (3, 3)], "{txs:?}");
    let mut pulled = payplane_chain::U256::ZERO;
    let net = network(&t.app, 3).await.unwrap();
    for tx in &txs[1..] {
        assert_eq!(tx["tokenAmount"], "1264556962025316455696", "{tx}");
        let hash = tx["txHash"].as_str().unwrap();
        let r = net
            .chain
            .receipt(hash.parse().unwrap())
            .await
            .unwrap()
            .unwrap();
        assert!(r.success);
        assert_eq!(r.block_number as i64, tx["blockNumber"].as_i64().unwrap());
        pulled += tx["tokenAmount"]
            .as_str()
            .unwrap()
            .parse::<payplane_chain::U256>()
            .unwrap();
    }
    assert_eq!(treasury_pma(&t).await - before, pulled);
});

// Found by the multi-process soak's review (issue 20, item 4): an API process that had read the
// test clock's offset before another process moved it fixed new terms at its stale time, so a
// subscription signed through it started a period in the past and was billed twice at once.
dual!(
    a_subscription_signed_through_another_process_starts_at_the_moved_clock,
    async |b| {
        use crate::pumapay::executor::*;
        use crate::pumapay::support::*;
        let Some(anvil) = spawn_anvil(None) else {
            return;
        };
        let url = anvil.url.clone();
        let t = TestApp::builder(b)
            .config(move |c| on_node(c, &url))
            .start()
            .await;
        // A second API process on the same database and node.
        let url = anvil.url.clone();
        let other = TestApp::builder(b)
            .database(&t.database_url)
            .config(move |c| on_node(c, &url))
            .start()
            .await;
        let (biz, product) = merchant(&t).await;
        let model = approved_model(&t, &biz, &model_body(3, &biz.id, &product)).await;
        let w = Wallet::new();
        fund(&t, &w, 20_000).await;
        // The other process has the network (and the clock's offset) before the clock moves.
        network(&other.app, 3).await.unwrap();
        move_clock(&t, MONTH).await;
        let now = network(&t.app, 3).await.unwrap().now_secs(&t.app);
        let id = subscribe(&other, &biz, &model, &w, "").await;
        let p = payment(&t, &biz, &id).await;
        let start: i64 = p["startTimestamp"].as_str().unwrap().parse().unwrap();
        assert!(
            (now..now + 60).contains(&start),
            "the terms start at the network's time {now}, not {start}"
        );
        // Its registration job was queued at the other process's (frozen test) time.
        settle(&other).await;
        settle(&other).await;
        let txs = transactions(&t, &biz, &id).await;
        assert_eq!(
            txs.len(),
            2,
            "registration and the first pull only: {txs:?}"
        );
        other.stop().await;
    }
);
