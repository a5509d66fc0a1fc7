//! Helpers of the pull-payment API tests: businesses with keys, products, payment model bodies.
use crate::support::*;
use reqwest::{Method, RequestBuilder};
use serde_json::{Value, json as j};
use std::sync::atomic::{AtomicUsize, Ordering};

static N: AtomicUsize = AtomicUsize::new(0);

pub const PASSWORD: &str = "correct horse battery";
/// A valid EIP-55 address (the EIP's own example).
pub const WALLET: &str = "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed";

/// A business with its admin user, a console session and an API key.
#[derive(Clone, Debug)]
pub struct Biz {
    pub id: String,
    pub user_id: String,
    pub email: String,
    pub token: String,
    pub key: String,
}

pub fn email() -> String {
    format!(
        "owner{}-{}@example.com",
        N.fetch_add(1, Ordering::SeqCst),
        &payplane_core::ids::new_id()[24..]
    )
}

/// `method path` with the business's API key.
pub fn api(t: &TestApp, method: Method, path: &str, b: &Biz) -> RequestBuilder {
    t.pumapay(b).req(method, path)
}

impl TestApp {
    /// The pull-payment API as business `b` (its API key), paths relative to `/api/v2`.
    pub fn pumapay(&self, b: &Biz) -> Face<'_> {
        self.pumapay_key(&b.key)
    }
}

/// Logs in and generates a key for an existing user of `business_id`.
pub async fn login_with_key(t: &TestApp, business_id: &str, user_id: &str, email: &str) -> Biz {
    let (s, body) = json(
        t.post("/api/v2/console-auth/login")
            .json(&j!({"email": email, "password": PASSWORD}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(s, 200, "{body}");
    let token = body["data"]["xAccessToken"].as_str().unwrap().to_string();
    let (s, body) = json(
        t.get(&format!(
            "/api/v2/console-auth/api-keys/generate/{business_id}"
        ))
        .header("x-access-token", &token)
        .send()
        .await
        .unwrap(),
    )
    .await;
    assert_eq!(s, 200, "{body}");
    Biz {
        id: business_id.into(),
        user_id: user_id.into(),
        email: email.into(),
        token,
        key: body["data"].as_str().unwrap().to_string(),
    }
}

/// Registers a standalone business, logs in and generates its key.
pub async fn business(t: &TestApp) -> Biz {
    let email = email();
    let (s, body) = json(
        t.post("/api/v2/console-auth/register")
            .json(&j!({"company": "Acme Ltd", "email": email, "password": PASSWORD}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(s, 200, "{body}");
    let id = body["data"]["businessID"].as_str().unwrap().to_string();
    let user = body["data"]["userID"].as_str().unwrap().to_string();
    login_with_key(t, &id, &user, &email).await
}

/// A sub-business created by `parent` through the API (with its own key).
pub async fn sub_business(t: &TestApp, parent: &Biz) -> Biz {
    let email = email();
    let (s, body) = json(
        api(t, Method::POST, "/api-key-auth/register/sub/business", parent)
            .json(&j!({"company": "Merchant", "email": email, "password": PASSWORD, "parentID": parent.id}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(s, 200, "{body}");
    let id = body["data"]["businessID"].as_str().unwrap().to_string();
    let user = body["data"]["userID"].as_str().unwrap().to_string();
    login_with_key(t, &id, &user, &email).await
}

/// Creates a product of `business_id` with `caller`'s key; returns its id.
pub async fn product(t: &TestApp, caller: &Biz, business_id: &str) -> String {
    let (s, body) = json(
        api(t, Method::POST, &format!("/api-key-auth/products/{business_id}"), caller)
            .json(&j!({"categoryID": 1, "tags": ["a"], "productName": "Plan", "productDescription": "d", "productUrl": "https://example.com/p", "networkID": 3}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(s, 200, "{body}");
    body["data"]["productID"].as_str().unwrap().to_string()
}

/// A valid body for each payment model type.
pub fn model_body(type_id: i64, business_id: &str, product_id: &str) -> Value {
    let mut b = match type_id {
        2 => j!({"title": "One-off", "amount": 1000, "currency": "USD"}),
        3 => {
            j!({"title": "Monthly", "amount": 1299, "currency": "USD", "numberOfPayments": 12, "frequency": 2_592_000})
        }
        4 => {
            j!({"title": "Intro", "amount": 1299, "currency": "EUR", "initialPaymentAmount": 199, "numberOfPayments": 12, "frequency": 2_592_000})
        }
        5 => {
            j!({"title": "Trial", "amount": 999, "currency": "GPB", "trialPeriod": 604_800, "numberOfPayments": 6, "frequency": 2_592_000})
        }
        6 => {
            j!({"title": "Trial+intro", "amount": 999, "currency": "JPY", "trialPeriod": 604_800, "initialPaymentAmount": 100, "numberOfPayments": 6, "frequency": 2_592_000})
        }
        7 => j!({"internalTitle": "Dynamic", "destination": "Treasury"}),
        8 => {
            j!({"title": "Top-up", "topUpThreshold": 500, "topUpThresholdCurrency": "EUR", "topUpSuggestedTotalLimit": 5000})
        }
        _ => j!({}),
    };
    let o = b.as_object_mut().unwrap();
    o.insert("typeID".into(), j!(type_id));
    o.insert("businessID".into(), j!(business_id));
    o.insert("networkID".into(), j!(3));
    o.insert("treasuryWallet".into(), j!(WALLET));
    if type_id == 8 {
        o.insert("paymentID".into(), j!(product_id));
    } else {
        o.insert("productID".into(), j!(product_id));
    }
    b
}

/// Creates a payment model; returns its id.
pub async fn model(t: &TestApp, caller: &Biz, body: &Value) -> String {
    let (s, res) = json(
        api(t, Method::POST, "/api-key-auth/pull-payment-models", caller)
            .json(body)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(s, 200, "{res}");
    res["data"]["id"].as_str().unwrap().to_string()
}

/// Asserts the pull-payment failure envelope with an error on `field` with `code`.
pub fn assert_field(status: u16, body: &Value, field: &str, code: &str) {
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["success"], false, "{body}");
    assert_eq!(body["status"], 400, "{body}");
    let errors = body["errors"]
        .as_array()
        .unwrap_or_else(|| panic!("{body}"));
    let e = errors
        .iter()
        .find(|e| e["field"] == field && e["code"] == code)
        .unwrap_or_else(|| panic!("no {field}/{code} in {body}"));
    assert!(
        e["message"].as_str().unwrap().contains(field),
        "message names the field: {e}"
    );
}

/// Asserts a failure envelope with this status and first error code.
pub fn assert_error(status: u16, body: &Value, want: u16, code: &str) {
    assert_eq!(status, want, "{body}");
    assert_eq!(body["success"], false, "{body}");
    assert_eq!(body["status"], want, "{body}");
    assert_eq!(body["errors"][0]["code"], code, "{body}");
}

/// Asserts the success envelope and returns `data`.
pub fn data(status: u16, body: &Value, message: &str) -> Value {
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["success"], true, "{body}");
    assert_eq!(body["status"], 200, "{body}");
    assert_eq!(body["message"], message, "{body}");
    body["data"].clone()
}

/// An operator approves payment model `id` (the admin route).
pub async fn approve(t: &TestApp, id: &str) {
    let op = t.admin().await;
    let (s, body) = send(
        t.post(&format!("/api/v2/admin/payment-models/{id}/approve"))
            .header("Authorization", op.bearer()),
    )
    .await;
    assert_eq!(s, 200, "{body}");
}

/// Creates a payment model and has an operator approve it; returns its id.
pub async fn approved_model(t: &TestApp, caller: &Biz, body: &Value) -> String {
    let id = model(t, caller, body).await;
    approve(t, &id).await;
    id
}

/// The text of a base64 PNG QR code, read by `zbarimg` (Debian `zbar-tools`) as a phone would.
pub fn scan_qr(png_base64: &str) -> String {
    use base64::Engine as _;
    let png = base64::engine::general_purpose::STANDARD
        .decode(png_base64)
        .expect("base64 PNG");
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("qr.png");
    std::fs::write(&path, png).expect("write PNG");
    let out = std::process::Command::new("zbarimg")
        .args(["--quiet", "--raw"])
        .arg(&path)
        .output()
        .expect("zbarimg is needed to read QR codes (apt-get install zbar-tools)");
    assert!(out.status.success(), "zbarimg found no code: {out:?}");
    String::from_utf8(out.stdout)
        .expect("utf-8")
        .trim()
        .to_string()
}

/// A customer's wallet: a real key that signs typed data exactly as `eth_signTypedData_v4` does
/// (parse the JSON, hash it by EIP-712, sign the hash).
pub struct Wallet {
    pub key: alloy::signers::local::PrivateKeySigner,
}

impl Wallet {
    pub fn new() -> Self {
        Wallet {
            key: alloy::signers::local::PrivateKeySigner::random(),
        }
    }

    /// EIP-55.
    pub fn address(&self) -> String {
        self.key.address().to_checksum(None)
    }

    /// The 0x-hex 65-byte signature of `typed` (EIP-712 typed data JSON).
    pub fn sign_typed(&self, typed: &Value) -> String {
        use alloy::signers::SignerSync;
        let data: alloy::dyn_abi::TypedData =
            serde_json::from_value(typed.clone()).unwrap_or_else(|e| panic!("{e}: {typed}"));
        let hash = data.eip712_signing_hash().expect("EIP-712 hash");
        let sig = self.key.sign_hash_sync(&hash).expect("sign");
        format!("0x{}", hex::encode(sig.as_bytes()))
    }

    /// Approves the pull-payment contract for all of this wallet's PMA with an ERC-20
    /// `approve` transaction signed by this key (needs test ETH: the faucet).
    pub async fn approve_pull_payments(&self, t: &TestApp) {
        use alloy::sol_types::SolCall;
        let net = payplane_app::pumapay::networks::network(&t.app, 3)
            .await
            .expect("test network");
        let chain = net.chain.clone();
        // The network's sender signs with the keys it holds: lend it the customer's.
        chain.signers().add(self.key.clone());
        let contracts = chain.contracts();
        let data = payplane_chain::contracts::PMAToken::approveCall {
            spender: contracts.pull_payments,
            value: payplane_chain::U256::MAX,
        }
        .abi_encode();
        chain
            .transact(
                self.key.address(),
                payplane_chain::CallRequest::call(contracts.token, data),
            )
            .await
            .expect("approve");
        assert_eq!(
            chain
                .token_allowance(self.key.address())
                .await
                .expect("allowance"),
            payplane_chain::U256::MAX
        );
    }
}
