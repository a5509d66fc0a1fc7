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
        assert_eq!(s, 404);
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
    let r = t
        .post("/api/v2/open-auth/faucet")
        .json(&j!({"address": address}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 429);
    let wait: u64 = r.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(wait >= 1, "Retry-After {wait}");
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

fn eth_call(id: i64, code: &str) -> Value {
    // No `to`: the data runs as init code, so a test can ship its own bytecode.
    j!({"jsonrpc": "2.0", "id": id, "method": "eth_call",
        "params": [{"data": code, "gas": "0x1c9c380"}, "latest"]})
}

/// Init code that returns the gas left when it runs: GAS PUSH1 0 MSTORE PUSH1 32 PUSH1 0 RETURN.
const GAS_LEFT: &str = "0x5a60005260206000f3";
/// Init code that loops until it runs out of gas: JUMPDEST PUSH1 0 JUMP.
const SPIN: &str = "0x5b600056";

dual!(
    a_json_rpc_batch_over_the_limit_is_refused_whole,
    async |b| {
        let t = TestApp::builder(b)
            .config(|c| c.chain.rpc_max_batch = 3)
            .start()
            .await;
        let chain_id = |id: i64| j!({"jsonrpc": "2.0", "id": id, "method": "eth_chainId"});
        let (s, body) = rpc(&t, 3, j!([chain_id(1), chain_id(2), chain_id(3)])).await;
        assert_eq!(s, 200);
        assert_eq!(body.as_array().map(Vec::len), Some(3), "{body}");
        let (s, body) = rpc(
            &t,
            3,
            j!([chain_id(1), chain_id(2), chain_id(3), chain_id(4)]),
        )
        .await;
        assert_eq!(s, 200);
        // JSON-RPC 2.0: a batch that is refused as a whole gets one response object, id null.
        assert_eq!(body["jsonrpc"], "2.0", "{body}");
        assert_eq!(body["id"], Value::Null, "{body}");
        assert_eq!(body["error"]["code"], -32600, "{body}");
        assert!(
            body["error"]["message"]
                .as_str()
                .unwrap()
                .contains("at most 3"),
            "{body}"
        );
    }
);

dual!(
    json_rpc_calls_are_capped_and_share_a_gas_budget,
    async |b| {
        let t = TestApp::builder(b)
            .config(|c| {
                c.chain.rpc_gas_cap = 1_000_000;
                c.chain.rpc_gas_budget = 2_500_000;
            })
            .start()
            .await;
        // The call asked for 30 M gas; it ran with at most the 1 M cap.
        let (s, body) = rpc(&t, 3, eth_call(1, GAS_LEFT)).await;
        assert_eq!(s, 200);
        let left = body["result"].as_str().unwrap_or_else(|| panic!("{body}"));
        let left = u64::from_str_radix(left.trim_start_matches("0x").trim_start_matches('0'), 16)
            .unwrap_or_else(|_| panic!("{body}"));
        assert!(left > 900_000 && left < 1_000_000, "gas left {left}");
        // Each spinning call burns its whole allowance: two fit in the 2.5 M budget, the third
        // would be cut short by it and the fourth has nothing left; neither runs to the cap.
        let (s, body) = rpc(
            &t,
            3,
            j!([
                eth_call(1, SPIN),
                eth_call(2, SPIN),
                eth_call(3, SPIN),
                eth_call(4, SPIN)
            ]),
        )
        .await;
        assert_eq!(s, 200);
        let answers = body.as_array().unwrap_or_else(|| panic!("{body}"));
        assert_eq!(answers.len(), 4, "{body}");
        for a in &answers[..2] {
            assert_eq!(a["error"]["code"], 3, "out of gas at the cap: {a}");
        }
        for (a, id) in answers[2..].iter().zip([3, 4]) {
            assert_eq!(a["id"], id, "{a}");
            assert_eq!(a["error"]["code"], -32005, "{a}");
            assert!(
                a["error"]["message"]
                    .as_str()
                    .unwrap()
                    .contains("gas budget"),
                "{a}"
            );
        }
        // The budget is per request: the next request starts afresh.
        let (_, body) = rpc(&t, 3, eth_call(5, SPIN)).await;
        assert_eq!(body["error"]["code"], 3, "{body}");
    }
);

dual!(json_rpc_calls_are_rate_limited_per_client_ip, async |b| {
    let t = TestApp::builder(b)
        .config(|c| {
            c.chain.rpc_rate_per_minute = 1;
            c.chain.rpc_rate_burst = 3;
            c.chain.rpc_max_batch = 2;
            c.trusted_proxies = vec!["127.0.0.1".into()];
        })
        .start()
        .await;
    let from = |ip: &str, body: Value| {
        t.post("/api/v2/open-auth/rpc/3")
            .header("x-forwarded-for", ip)
            .json(&body)
    };
    let chain_id = |id: i64| j!({"jsonrpc": "2.0", "id": id, "method": "eth_chainId"});
    for id in 1..=3 {
        let (s, body) = json(from("203.0.113.7", chain_id(id)).send().await.unwrap()).await;
        assert_eq!(s, 200, "{body}");
        assert_eq!(body["result"], "0x539");
    }
    let res = from("203.0.113.7", chain_id(4)).send().await.unwrap();
    let retry_after: u64 = res
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
        .expect("Retry-After in whole seconds");
    assert!((1..=60).contains(&retry_after), "{retry_after}");
    let (s, body) = json(res).await;
    assert_eq!(s, 429);
    assert_eq!(body["jsonrpc"], "2.0", "{body}");
    assert_eq!(body["id"], 4, "{body}");
    assert_eq!(body["error"]["code"], -32005, "{body}");
    // A batch is refused whole, in one response object.
    let (s, body) = json(
        from("203.0.113.7", j!([chain_id(5), chain_id(6)]))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(s, 429);
    assert_eq!(body["id"], Value::Null, "{body}");
    assert_eq!(body["error"]["code"], -32005, "{body}");
    // Another client has its own allowance; each call of a batch counts against it.
    let (s, body) = json(
        from("203.0.113.8", j!([chain_id(7), chain_id(8)]))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(s, 200, "{body}");
    assert_eq!(body.as_array().map(Vec::len), Some(2));
    let (s, _) = json(
        from("203.0.113.8", j!([chain_id(9), chain_id(10)]))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(s, 429);
});

dual!(
    json_rpc_refuses_every_call_while_too_many_clients_are_in_use,
    async |b| {
        let t = TestApp::builder(b)
            .config(|c| {
                c.chain.rpc_rate_per_minute = 1;
                c.chain.rpc_rate_burst = 100;
                c.chain.rpc_rate_max_clients = 3;
                c.trusted_proxies = vec!["127.0.0.1".into()];
            })
            .start()
            .await;
        let call = |ip: &str| {
            t.post("/api/v2/open-auth/rpc/3")
                .header("x-forwarded-for", ip.to_string())
                .json(&j!({"jsonrpc": "2.0", "id": 1, "method": "eth_chainId"}))
        };
        // Three clients in use: at the next sweep (once a second) the limiter is full.
        for ip in ["198.51.100.1", "198.51.100.2", "198.51.100.3"] {
            assert_eq!(call(ip).send().await.unwrap().status(), 200);
        }
        tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
        for ip in ["198.51.100.1", "198.51.100.4"] {
            let res = call(ip).send().await.unwrap();
            assert_eq!(res.status(), 429, "{ip}");
            assert_eq!(res.headers()["retry-after"], "1");
            let (_, body) = json(res).await;
            assert_eq!(body["error"]["code"], -32005, "{body}");
        }
    }
);
