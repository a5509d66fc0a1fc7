use crate::dual;
use crate::support::*;
use serde_json::{Value, json as j};

async fn rpc(t: &TestApp, net: i64, body: Value) -> (u16, Value) {
    json(
        t.post(&format!("/api/v2/open-auth/rpc/{net}"))
            .json(&body)
            .send()
            .await
            .unwrap(),
    )
    .await
}

async fn call(t: &TestApp, method: &str, params: Value) -> Value {
    let (s, body) = rpc(
        t,
        3,
        j!({"jsonrpc": "2.0", "id": 1, "method": method, "params": params}),
    )
    .await;
    assert_eq!(s, 200, "{body}");
    assert!(body.get("error").is_none(), "{method}: {body}");
    body["result"].clone()
}

dual!(the_test_network_speaks_ethereum_json_rpc, async |b| {
    let t = TestApp::start(b).await;
    assert_eq!(call(&t, "eth_chainId", j!([])).await, "0x539");
    assert_eq!(call(&t, "net_version", j!([])).await, "1337");
    let block = u64::from_str_radix(
        call(&t, "eth_blockNumber", j!([]))
            .await
            .as_str()
            .unwrap()
            .trim_start_matches("0x"),
        16,
    )
    .unwrap();
    assert!(block >= 2, "genesis deployed the contracts");
    let (s, batch) = rpc(
        &t,
        3,
        j!([
            {"jsonrpc": "2.0", "id": 1, "method": "eth_chainId", "params": []},
            {"jsonrpc": "2.0", "id": 2, "method": "eth_gasPrice", "params": []}
        ]),
    )
    .await;
    assert_eq!(s, 200);
    assert_eq!(batch.as_array().unwrap().len(), 2);
    let res = t
        .post("/api/v2/open-auth/rpc/3")
        .header("content-type", "application/json")
        .body("{nope")
        .send()
        .await
        .unwrap();
    let (s, body) = json(res).await;
    assert_eq!(s, 200);
    assert_eq!(body["error"]["code"], -32700);
    let (_, unknown) = rpc(
        &t,
        3,
        j!({"jsonrpc": "2.0", "id": 9, "method": "eth_mine_gold", "params": []}),
    )
    .await;
    assert_eq!(unknown["error"]["code"], -32601);
});

dual!(
    the_main_network_is_unconfigured_and_other_ids_are_invalid,
    async |b| {
        let t = TestApp::start(b).await;
        let (s, body) = rpc(
            &t,
            1,
            j!({"jsonrpc": "2.0", "id": 1, "method": "eth_chainId", "params": []}),
        )
        .await;
        assert_eq!(s, 400);
        assert_eq!(body["success"], false);
        assert_eq!(body["errors"][0]["code"], "error.network.not.configured");
        let (s, body) = rpc(&t, 7, j!({})).await;
        assert_eq!(s, 400);
        assert_eq!(body["errors"][0]["code"], "error.network.invalid");
        assert_eq!(body["errors"][0]["field"], "networkID");
    }
);

dual!(the_faucet_funds_an_address_once_a_day, async |b| {
    let t = TestApp::start(b).await;
    let address = "0x00000000000000000000000000000000000fa0ce";
    let (s, body) = json(
        t.post("/api/v2/open-auth/faucet")
            .json(&j!({"address": address}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(s, 200, "{body}");
    assert_eq!(body["success"], true);
    assert_eq!(body["data"]["eth"], "1000000000000000000");
    assert_eq!(body["data"]["pma"], "1000000000000000000000");
    assert!(
        body["data"]["ethTxHash"]
            .as_str()
            .unwrap()
            .starts_with("0x")
    );
    assert_eq!(
        call(&t, "eth_getBalance", j!([address, "latest"])).await,
        "0xde0b6b3a7640000"
    );
    let (s, body) = json(
        t.post("/api/v2/open-auth/faucet")
            .json(&j!({"address": address}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(s, 429);
    assert_eq!(body["errors"][0]["code"], "error.faucet.rate.limited");
    let (s, body) = json(
        t.post("/api/v2/open-auth/faucet")
            .json(&j!({"address": "0x123"}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(s, 400);
    assert_eq!(body["errors"][0]["field"], "address");
});

/// A real third-party client (web3.py) sends a signed PMA transfer through the server's route.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn web3_py_transfers_pma_over_the_servers_json_rpc() {
    let py = |args: &[&str]| {
        std::process::Command::new("python3")
            .args(args)
            .output()
            .unwrap()
    };
    if !py(&["-c", "import web3"]).status.success() {
        assert!(std::env::var("CI").is_err(), "CI must install web3");
        eprintln!("skipped: web3 not installed (pip install web3)");
        return;
    }
    let t = TestApp::start(Backend::Sqlite).await;
    let out = py(&[
        "-c",
        "from eth_account import Account; a = Account.create(); print(a.key.hex(), a.address)",
    ]);
    let line = String::from_utf8_lossy(&out.stdout).trim().to_string();
    let (key, address) = line.split_once(' ').unwrap();
    let (s, _) = json(
        t.post("/api/v2/open-auth/faucet")
            .json(&j!({"address": address}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(s, 200);
    let net = payplane_app::pumapay::networks::network(&t.app, 3)
        .await
        .unwrap();
    let token = net.chain.contracts().token.to_string();
    let recipient = "0x000000000000000000000000000000000000b0b0";
    let manifest = env!("CARGO_MANIFEST_DIR");
    let out = std::process::Command::new("python3")
        .arg(format!("{manifest}/../chain/tests/web3_transfer.py"))
        .arg(format!("{}/api/v2/open-auth/rpc/3", t.base))
        .arg(if key.starts_with("0x") {
            key.to_string()
        } else {
            format!("0x{key}")
        })
        .arg(&token)
        .arg(format!(
            "{manifest}/../../contracts/artifacts/PMAToken.json"
        ))
        .arg(recipient)
        .arg("7000000000000000001")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "web3.py failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let seen: Value = serde_json::from_str(stdout.trim().lines().last().unwrap()).unwrap();
    assert_eq!(seen["status"], 1);
    assert_eq!(seen["recipient_balance"], "7000000000000000001");
    assert_eq!(seen["symbol"], "PMA");
}
