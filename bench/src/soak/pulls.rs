//! The pull-payment part of the soak: customers subscribe through the wallet flow on the test
//! network (QR code read by `zbarimg`, consent and permit signed by a real key), then an operator
//! moves the test clock one period at a time while the server is being killed. At the end every
//! subscription must have made exactly its `PAYMENTS` pulls, and the treasury must hold exactly
//! what they pulled, on chain; and each of their transactions must have been posted back to the
//! business's postback URL, always under one `webhook-id`.
use super::{Api, Received};
use anyhow::{Context, Result, anyhow, bail};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Pulls per subscription: the first at registration, then one per period.
pub const PAYMENTS: i64 = 4;
const PERIOD_SECS: i64 = 2_592_000;
/// 1.00 USD per pull; at the test network's fixed rate (0.01 USD per PMA) that is 100 PMA.
const AMOUNT_CENTS: i64 = 100;
const PMA_PER_PULL: u128 = 100;

pub struct Subscriptions {
    merchant: Api,
    business: String,
    treasury: String,
    token_contract: String,
    /// The test network's node; `None`: the embedded network, read through the server's
    /// JSON-RPC route.
    node: Option<String>,
    pub ids: Vec<String>,
}

/// A business with an approved subscription model and its postback URL at `postback`, and
/// `customers` customers subscribed to it (registered on chain, first pull made).
pub async fn subscribe(
    base: &Api,
    customers: usize,
    postback: &str,
    node: Option<String>,
) -> Result<Subscriptions> {
    let email = format!("soak-{}@example.com", payplane_core::ids::new_id());
    let anon = base.with_token("");
    let (s, v) = anon
        .call(
            Method::POST,
            "/api/v2/console-auth/register",
            Some(json!({"company": "Soak Shop", "email": email, "password": "soak-password-1"})),
            None,
        )
        .await?;
    ensure(s, &v, "register")?;
    let business = text(&v["data"]["businessID"])?;
    let (s, v) = anon
        .call(
            Method::POST,
            "/api/v2/console-auth/login",
            Some(json!({"email": email, "password": "soak-password-1"})),
            None,
        )
        .await?;
    ensure(s, &v, "login")?;
    let console = base.with_header("x-access-token", &text(&v["data"]["xAccessToken"])?);
    let (s, v) = console
        .call(
            Method::GET,
            &format!("/api/v2/console-auth/api-keys/generate/{business}"),
            None,
            None,
        )
        .await?;
    ensure(s, &v, "api key")?;
    let merchant = base.with_header("pma-api-key", &text(&v["data"])?);
    let (s, v) = merchant
        .call(
            Method::POST,
            "/api/v2/api-key-auth/business/postback",
            Some(json!({"businessID": business, "url": postback, "environment": "Ropsten"})),
            None,
        )
        .await?;
    ensure(s, &v, "postback")?;
    let (s, v) = merchant
        .call(
            Method::POST,
            &format!("/api/v2/api-key-auth/products/{business}"),
            Some(
                json!({"categoryID": 1, "tags": ["soak"], "productName": "Soak plan",
                "productDescription": "d", "productUrl": "https://example.com/p", "networkID": 3}),
            ),
            None,
        )
        .await?;
    ensure(s, &v, "product")?;
    let product = text(&v["data"]["productID"])?;
    let treasury = alloy::signers::local::PrivateKeySigner::random()
        .address()
        .to_checksum(None);
    let (s, v) = merchant
        .call(
            Method::POST,
            "/api/v2/api-key-auth/pull-payment-models",
            Some(
                json!({"typeID": 3, "title": "Soak monthly", "amount": AMOUNT_CENTS,
                "currency": "USD", "numberOfPayments": PAYMENTS, "frequency": PERIOD_SECS,
                "businessID": business, "productID": product, "networkID": 3,
                "treasuryWallet": treasury}),
            ),
            None,
        )
        .await?;
    ensure(s, &v, "payment model")?;
    let model = text(&v["data"]["id"])?;

    let mut ids = vec![];
    let mut token_contract = String::new();
    for n in 0..customers {
        let key = alloy::signers::local::PrivateKeySigner::random();
        let address = key.address().to_checksum(None);
        let (s, v) = anon
            .call(
                Method::POST,
                "/api/v2/open-auth/faucet",
                Some(json!({"address": address})),
                None,
            )
            .await?;
        ensure(s, &v, "faucet")?;
        let (s, v) = merchant
            .call(
                Method::GET,
                &format!("/api/v2/api-key-auth/qr/pull-payment/{model}/customer-{n}"),
                None,
                None,
            )
            .await?;
        ensure(s, &v, "QR code")?;
        let url = read_qr(&text(&v["data"])?)?;
        let path = url
            .find("/api/v2/")
            .map(|i| url[i..].to_string())
            .ok_or_else(|| anyhow!("QR code without the API's path: {url}"))?;
        let (s, offer) = anon
            .call(
                Method::GET,
                &format!("{path}?customerAddress={address}"),
                None,
                None,
            )
            .await?;
        ensure(s, &offer, "wallet view")?;
        let offer = &offer["data"];
        token_contract = text(&offer["terms"]["contracts"]["token"])?;
        let permit = match &offer["permit"] {
            Value::Null => Value::Null,
            p => json!(sign(&key, p)?),
        };
        let (s, v) = anon
            .call(
                Method::POST,
                &path,
                Some(json!({"customerAddress": address,
                    "consentSignature": sign(&key, &offer["consent"])?,
                    "permitSignature": permit})),
                None,
            )
            .await?;
        if s != StatusCode::CREATED {
            bail!("signing: {s} {v}");
        }
        ids.push(text(&v["data"]["id"])?);
    }
    let subs = Subscriptions {
        merchant,
        business,
        treasury,
        token_contract,
        node,
        ids,
    };
    // Registered, with the first pull made, before the kills begin.
    super::wait_until(Duration::from_secs(60), || async {
        for id in &subs.ids {
            if subs.successful_pulls(id).await? < 1 {
                return Ok(false);
            }
        }
        Ok(true)
    })
    .await
    .context("subscriptions were not registered within 60 s")?;
    Ok(subs)
}

/// Moves the test clock one period every `every`, `PAYMENTS - 1` times (each step with its own
/// `Idempotency-Key`, retried like any request, so a step the kills delay still happens once);
/// returns the steps made.
pub async fn move_clock(operator: Api, every: Duration) -> Result<i64> {
    let mut steps = 0;
    while steps < PAYMENTS - 1 {
        tokio::time::sleep(every).await;
        let (s, v) = operator
            .call(
                Method::POST,
                "/api/v2/admin/test-clock/advance",
                Some(json!({"seconds": PERIOD_SECS})),
                Some(&format!("soak-clock-{steps}")),
            )
            .await?;
        // A kill between the advance and its answer: the step took effect (the key says so)
        // and must not be made again.
        if !super::interrupted(s, &v) {
            ensure(s, &v, "test clock")?;
        }
        steps += 1;
    }
    Ok(steps)
}

impl Subscriptions {
    async fn successful_pulls(&self, id: &str) -> Result<i64> {
        Ok(self.transactions(id, "statusID=3&typeID=3").await?.len() as i64)
    }

    async fn transactions(&self, id: &str, filter: &str) -> Result<Vec<Value>> {
        let (s, v) = self
            .merchant
            .call(
                Method::GET,
                &format!(
                    "/api/v2/api-key-auth/transactions/pull-payment/{}/{id}?{filter}&itemsPerPage=100",
                    self.business
                ),
                None,
                None,
            )
            .await?;
        ensure(s, &v, "transactions")?;
        Ok(v["data"].as_array().cloned().unwrap_or_default())
    }

    /// Waits until every final transaction of the subscriptions (registration, pulls) was posted
    /// back (up to 60 s), then checks: each under one `webhook-id`, and no postback of a
    /// transaction that is not recorded. Returns how many were posted back.
    pub async fn check_postbacks(
        &self,
        rx: &Arc<Mutex<Received>>,
        problems: &mut Vec<String>,
    ) -> Result<usize> {
        let mut hashes = HashSet::new();
        for id in &self.ids {
            for t in self.transactions(id, "page=1").await? {
                // 1 pending: not final, nothing posted back yet.
                if t["transactionStatus"] != 1
                    && let Some(h) = t["txHash"].as_str()
                {
                    hashes.insert(h.to_string());
                }
            }
        }
        let delivered = super::wait_until(Duration::from_secs(60), || async {
            let r = rx.lock().unwrap_or_else(|e| e.into_inner());
            Ok(hashes.iter().all(|h| r.postbacks.ids.contains_key(h)))
        })
        .await;
        let r = rx.lock().unwrap_or_else(|e| e.into_inner());
        if delivered.is_err() {
            let missing = hashes
                .iter()
                .filter(|h| !r.postbacks.ids.contains_key(*h))
                .count();
            problems.push(format!(
                "{missing} of {} pull-payment transactions never posted back",
                hashes.len()
            ));
        }
        let unstable = r.postbacks.unstable();
        if unstable > 0 {
            problems.push(format!(
                "{unstable} transactions posted back under more than one webhook-id"
            ));
        }
        let unknown = r
            .postbacks
            .ids
            .keys()
            .filter(|h| !hashes.contains(*h) && !h.starts_with(super::NO_HASH))
            .count();
        if unknown > 0 {
            problems.push(format!(
                "{unknown} postbacks of transactions that are not recorded"
            ));
        }
        Ok(hashes.len())
    }

    /// Waits until every subscription made its pulls (up to 120 s), then checks: exactly
    /// `PAYMENTS` successful pulls each, and the treasury's PMA on chain exactly theirs.
    pub async fn check(&self, operator: &Api, problems: &mut Vec<String>) -> Result<i64> {
        let done = super::wait_until(Duration::from_secs(120), || async {
            for id in &self.ids {
                if self.successful_pulls(id).await? < PAYMENTS {
                    return Ok(false);
                }
            }
            Ok(true)
        })
        .await;
        let mut pulls = 0;
        for id in &self.ids {
            let n = self.successful_pulls(id).await?;
            pulls += n;
            if n != PAYMENTS {
                problems.push(format!(
                    "pull payment {id}: {n} successful pulls, {PAYMENTS} due{}",
                    if done.is_err() {
                        " (120 s after the last kill)"
                    } else {
                        ""
                    }
                ));
            }
        }
        let data = format!(
            "0x70a08231{:0>64}",
            self.treasury.trim_start_matches("0x").to_lowercase()
        );
        let call = json!({"jsonrpc": "2.0", "id": 1, "method": "eth_call",
            "params": [{"to": self.token_contract, "data": data}, "latest"]});
        let (s, v) = match &self.node {
            // The server's JSON-RPC route serves only the embedded network.
            Some(node) => {
                let r = operator.http.post(node).json(&call).send().await?;
                (r.status(), r.json::<Value>().await?)
            }
            None => {
                operator
                    .call(Method::POST, "/api/v2/open-auth/rpc/3", Some(call), None)
                    .await?
            }
        };
        let held = v["result"]
            .as_str()
            .and_then(|h| u128::from_str_radix(h.trim_start_matches("0x"), 16).ok())
            .ok_or_else(|| anyhow!("balanceOf: {s} {v}"))?;
        let expected = pulls as u128 * PMA_PER_PULL * 10u128.pow(18);
        if held != expected {
            problems.push(format!(
                "treasury holds {held} PMA units on chain, the {pulls} recorded pulls {expected}"
            ));
        }
        Ok(pulls)
    }
}

/// The 0x-hex 65-byte signature of EIP-712 typed data, as `eth_signTypedData_v4` makes it.
fn sign(key: &alloy::signers::local::PrivateKeySigner, typed: &Value) -> Result<String> {
    use alloy::signers::SignerSync;
    let data: alloy::dyn_abi::TypedData = serde_json::from_value(typed.clone())?;
    let sig = key.sign_hash_sync(&data.eip712_signing_hash()?)?;
    Ok(format!("0x{}", alloy::hex::encode(sig.as_bytes())))
}

/// The text of a base64 PNG QR code, read by `zbarimg` (Debian's `zbar-tools`) as a phone would.
fn read_qr(png_base64: &str) -> Result<String> {
    use base64::Engine as _;
    let png = base64::engine::general_purpose::STANDARD.decode(png_base64)?;
    let path = std::env::temp_dir().join(format!(
        "payplane-soak-qr-{}.png",
        payplane_core::ids::new_id()
    ));
    std::fs::write(&path, png)?;
    let out = std::process::Command::new("zbarimg")
        .args(["--quiet", "--raw"])
        .arg(&path)
        .output()
        .context("zbarimg reads the QR codes (apt-get install zbar-tools)")?;
    let _ = std::fs::remove_file(&path);
    if !out.status.success() {
        bail!("zbarimg found no code");
    }
    Ok(String::from_utf8(out.stdout)?.trim().to_string())
}

fn ensure(s: StatusCode, v: &Value, what: &str) -> Result<()> {
    if !s.is_success() {
        bail!("{what}: {s} {v}");
    }
    Ok(())
}

fn text(v: &Value) -> Result<String> {
    v.as_str()
        .map(str::to_string)
        .ok_or_else(|| anyhow!("expected a string, got {v}"))
}
