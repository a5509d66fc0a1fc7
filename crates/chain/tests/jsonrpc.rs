//! The devnet's JSON-RPC dispatcher: directly (pure `handle`) and over HTTP with web3.py.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::sync::Arc;

use alloy::primitives::{Address, U256};
use alloy::signers::local::PrivateKeySigner;
use axum::{Json, Router, routing::post};
use common::{TEST_MNEMONIC, random_address};
use payplane_chain::{Chain, Devnet, DevnetConfig, HdWallet, ManualClock, PMA, RpcHandler};
use serde_json::{Value, json};

const T0: u64 = 1_767_225_600;

fn devnet(prefunded: Vec<Address>) -> Arc<Devnet> {
    let mut config = DevnetConfig::new(TEST_MNEMONIC, None);
    config.prefunded = prefunded;
    Arc::new(Devnet::open(config, Arc::new(ManualClock::new(T0))).unwrap())
}

fn req(method: &str, params: Value) -> Value {
    json!({ "jsonrpc": "2.0", "id": 1, "method": method, "params": params })
}

#[test]
fn answers_chain_id_block_number_and_balances() {
    let d = devnet(vec![]);
    let h = RpcHandler::new(d.clone());
    assert_eq!(h.handle(req("eth_chainId", json!([])))["result"], "0x539");
    assert_eq!(h.handle(req("net_version", json!([])))["result"], "1337");
    assert_eq!(h.handle(req("eth_blockNumber", json!([])))["result"], "0x3");
    let executor = HdWallet::from_phrase(TEST_MNEMONIC)
        .unwrap()
        .address(0)
        .unwrap();
    let balance = &h.handle(req("eth_getBalance", json!([executor, "latest"])))["result"];
    assert!(balance.as_str().unwrap().starts_with("0x"));
    assert_eq!(
        h.handle(req("eth_getTransactionCount", json!([executor, "latest"])))["result"],
        "0x3"
    );
    let code = &h.handle(req("eth_getCode", json!([d.contracts().token, "latest"])))["result"];
    assert!(code.as_str().unwrap().len() > 100);
}

#[test]
fn batches_get_one_answer_per_request_and_notifications_none() {
    let h = RpcHandler::new(devnet(vec![]));
    let answer = h.handle(json!([
        req("eth_chainId", json!([])),
        { "jsonrpc": "2.0", "method": "eth_blockNumber", "params": [] },
        { "jsonrpc": "2.0", "id": "b", "method": "eth_nope", "params": [] },
    ]));
    let items = answer.as_array().unwrap();
    assert_eq!(items.len(), 2);
    assert_eq!(items[0]["result"], "0x539");
    assert_eq!(items[1]["id"], "b");
    assert_eq!(items[1]["error"]["code"], -32601);
}

#[test]
fn malformed_requests_get_json_rpc_errors() {
    let h = RpcHandler::new(devnet(vec![]));
    assert_eq!(h.handle(json!("hello"))["error"]["code"], -32600);
    assert_eq!(h.handle(json!([]))["error"]["code"], -32600);
    assert_eq!(
        h.handle(req("eth_getBalance", json!(["0x12"])))["error"]["code"],
        -32602
    );
    assert_eq!(
        h.handle(req("eth_sendRawTransaction", json!(["0x02f8"])))["error"]["code"],
        -32000
    );
}

#[test]
fn a_reverting_call_reports_code_3_with_the_revert_data() {
    let d = devnet(vec![]);
    let h = RpcHandler::new(d.clone());
    // execute() from a non-executor: NotExecutor(address).
    let data = alloy::sol_types::SolCall::abi_encode(
        &payplane_chain::contracts::PullPayments::executeCall {
            paymentId: Default::default(),
            tokenAmount: U256::from(1),
        },
    );
    let call = json!({ "from": random_address(), "to": d.contracts().pull_payments, "data": alloy::primitives::Bytes::from(data) });
    let answer = h.handle(req("eth_call", json!([call, "latest"])));
    assert_eq!(answer["error"]["code"], 3, "{answer}");
    assert!(
        answer["error"]["message"]
            .as_str()
            .unwrap()
            .contains("NotExecutor")
    );
    assert!(answer["error"]["data"].as_str().unwrap().starts_with("0x"));
}

#[test]
fn blocks_and_fee_history_have_the_fields_clients_read() {
    let h = RpcHandler::new(devnet(vec![]));
    let block = &h.handle(req("eth_getBlockByNumber", json!(["latest", false])))["result"];
    for field in [
        "number",
        "hash",
        "parentHash",
        "timestamp",
        "baseFeePerGas",
        "gasLimit",
        "transactions",
        "logsBloom",
    ] {
        assert!(!block[field].is_null(), "missing {field}");
    }
    assert_eq!(block["timestamp"], format!("0x{T0:x}"));
    let full = &h.handle(req("eth_getBlockByNumber", json!(["0x1", true])))["result"];
    assert_eq!(full["transactions"][0]["nonce"], "0x0");
    let history = &h.handle(req("eth_feeHistory", json!(["0x2", "latest", [50]])))["result"];
    assert_eq!(history["baseFeePerGas"].as_array().unwrap().len(), 3);
    assert_eq!(history["reward"][0].as_array().unwrap().len(), 1);
    assert!(h.handle(req("eth_getBlockByNumber", json!(["0x99", false])))["result"].is_null());
}

async fn serve(handler: RpcHandler) -> String {
    let app = Router::new().route(
        "/rpc",
        post(move |Json(body): Json<Value>| async move { Json(handler.handle(body)) }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    format!("http://{addr}/rpc")
}

fn python() -> String {
    std::env::var("PYTHON").unwrap_or_else(|_| "python3".into())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn web3_py_sends_a_pma_transfer_and_reads_the_receipt() {
    let has_web3 = tokio::process::Command::new(python())
        .args(["-c", "import web3"])
        .output()
        .await
        .is_ok_and(|o| o.status.success());
    if !has_web3 {
        println!("SKIP: python3 with web3 not importable (pip install web3)");
        return;
    }
    let key = PrivateKeySigner::random();
    let d = devnet(vec![key.address()]);
    let executor = HdWallet::from_phrase(TEST_MNEMONIC)
        .unwrap()
        .address(0)
        .unwrap();
    d.erc20_transfer(executor, key.address(), PMA * U256::from(100))
        .await
        .unwrap();
    let url = serve(RpcHandler::new(d.clone())).await;

    let recipient = random_address();
    let amount = PMA * U256::from(7) + U256::from(1);
    let manifest = env!("CARGO_MANIFEST_DIR");
    let out = tokio::process::Command::new(python())
        .arg(format!("{manifest}/tests/web3_transfer.py"))
        .arg(&url)
        .arg(alloy::hex::encode_prefixed(key.to_bytes()))
        .arg(d.contracts().token.to_string())
        .arg(format!(
            "{manifest}/../../contracts/artifacts/PMAToken.json"
        ))
        .arg(recipient.to_string())
        .arg(amount.to_string())
        .output()
        .await
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "web3.py failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let seen: Value = serde_json::from_str(stdout.trim().lines().last().unwrap()).unwrap();
    assert_eq!(seen["status"], 1);
    assert_eq!(seen["recipient_balance"], amount.to_string());
    assert_eq!(seen["transfer_value"], amount.to_string());
    assert_eq!(seen["symbol"], "PMA");
    assert_eq!(seen["decimals"], 18);
    assert_eq!(seen["block_has_tx"], true);
    assert_eq!(seen["logs"], 1);
    assert_eq!(
        seen["tx_from"].as_str().unwrap(),
        key.address().to_checksum(None)
    );

    // The devnet agrees with what web3.py saw.
    let hash = seen["tx_hash"].as_str().unwrap().parse().unwrap();
    let receipt = d.receipt(hash).await.unwrap().unwrap();
    assert_eq!(receipt.block_number, seen["block_number"].as_u64().unwrap());
    assert_eq!(d.token_balance(recipient).await.unwrap(), amount);
}

#[test]
fn eth_call_accepts_a_gas_limit_above_the_transaction_cap() {
    let d = devnet(vec![]);
    let h = RpcHandler::new(d.clone());
    let data = alloy::sol_types::SolCall::abi_encode(
        &payplane_chain::contracts::PMAToken::decimalsCall {},
    );
    let call = json!({ "to": d.contracts().token, "data": alloy::primitives::Bytes::from(data), "gas": "0x2faf080" });
    let answer = h.handle(req("eth_call", json!([call, "latest"])));
    assert_eq!(
        answer["result"].as_str().unwrap(),
        format!("0x{:064x}", 18),
        "{answer}"
    );
}
