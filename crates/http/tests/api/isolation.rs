//! Tenant isolation, generated from the route table.
//!
//! The router and the OpenAPI document are built from the same route list
//! (`payplane_http::api()`), so the document's operations are the routes. Every operation that
//! names a tenant's resource (an id in its path, its query or its body) must have an entry in
//! `matrix()`, or this test fails: a new route is covered the day it is added. Each entry is
//! called with the ids of another user and another business ("the victim"), once with each kind
//! of credential an attacker may hold. A credential the route takes must get 403 or 404; one it
//! does not take, 401. Nothing may change: a checksum of every row of every table is taken
//! before and after each route's calls.
use crate::dual;
use crate::pazemo::support::{active_bca_recipient, deposit, open_account, withdraw};
use crate::pumapay::support::*;
use crate::pumapay::{executor, settlement};
use crate::support::*;
use payplane_app::pazemo::auth::Mode;
use reqwest::Method;
use serde_json::{Value, json as j};
use std::collections::{BTreeMap, BTreeSet};

/// The kinds of credential an attacker may hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Cred {
    /// A user's full API token.
    Bearer,
    /// A user's read-only API token.
    ReadOnly,
    /// A business's `pma-api-key`.
    ApiKey,
    /// A business's console session (`x-access-token`).
    Console,
    /// The key of a PSP, parent of businesses of its own (not the victim's).
    PspKey,
    /// An operator's API token.
    Operator,
}

const CREDS: [Cred; 6] = [
    Cred::Bearer,
    Cred::ReadOnly,
    Cred::ApiKey,
    Cred::Console,
    Cred::PspKey,
    Cred::Operator,
];

impl Cred {
    /// The OpenAPI security scheme the credential is presented as.
    fn scheme(self) -> &'static str {
        match self {
            Cred::Bearer | Cred::ReadOnly | Cred::Operator => "bearer",
            Cred::ApiKey | Cred::PspKey => "pma-api-key",
            Cred::Console => "x-access-token",
        }
    }
}

/// The attacker's credentials.
struct Attacker {
    bearer: String,
    read_only: String,
    key: String,
    console: String,
    psp_key: String,
    operator: String,
}

impl Attacker {
    /// The attacker's own credential of `scheme`, sent alongside the one under test when a route
    /// takes two together (a business's key and the account owner's token).
    fn own(&self, scheme: &str) -> (&'static str, String) {
        match scheme {
            "bearer" => self.header(Cred::Bearer),
            "pma-api-key" => self.header(Cred::ApiKey),
            "x-access-token" => self.header(Cred::Console),
            other => panic!("no credential of scheme {other}"),
        }
    }

    fn header(&self, c: Cred) -> (&'static str, String) {
        match c {
            Cred::Bearer => ("authorization", format!("Bearer {}", self.bearer)),
            Cred::ReadOnly => ("authorization", format!("Bearer {}", self.read_only)),
            Cred::Operator => ("authorization", format!("Bearer {}", self.operator)),
            Cred::ApiKey => ("pma-api-key", self.key.clone()),
            Cred::PspKey => ("pma-api-key", self.psp_key.clone()),
            Cred::Console => ("x-access-token", self.console.clone()),
        }
    }
}

/// Everything of the victim a route can name.
#[derive(Default)]
struct Victim {
    user: String,
    token: String,
    account: String,
    account_usd: String,
    beneficiary: i64,
    withdrawal: String,
    quote: String,
    webhook: String,
    delivery: String,
    business: String,
    business_user: String,
    product: String,
    model: String,
    postback: String,
    postback_delivery: String,
    pull_payment: String,
    tx_hash: String,
    request: String,
    /// The EUR account the business's settlements are paid into (the victim user's).
    account_eur: String,
    settlement: String,
}

/// One call: a path with the victim's ids in it and maybe a body.
struct Call {
    path: String,
    body: Option<Value>,
}

fn at(path: String) -> Call {
    Call { path, body: None }
}

fn with(path: &str, body: Value) -> Call {
    Call {
        path: path.to_string(),
        body: Some(body),
    }
}

/// What the route may do for a caller that is not the victim.
#[derive(Clone, Copy)]
enum Rule {
    /// Only the owner (or its PSP) may: every credential the route takes gets 403 or 404.
    Owner,
    /// As `Owner`, except that an operator acts on any tenant by design (not called: an
    /// operator's calls would change what they are meant to).
    Operator(&'static str),
    /// The id is a capability given to a customer's wallet (the route takes no credential):
    /// reading answers what the wallet would see; writing needs the wallet's signature, so an
    /// unsigned call changes nothing.
    Wallet(&'static str),
    /// The route takes no credential: a signature in the path, made from a server key, is the
    /// capability. The victim's id with a made-up signature is 404 whatever credential comes.
    Signed(&'static str),
}

impl Rule {
    fn why(self) -> &'static str {
        match self {
            Rule::Owner => "only the owner",
            Rule::Operator(why) | Rule::Wallet(why) | Rule::Signed(why) => why,
        }
    }
}

type Make = fn(&Victim) -> Call;

/// Every route that names a tenant's resource, how to call it with the victim's ids, and its
/// rule. Keys are `METHOD path` as the OpenAPI document spells them.
fn matrix() -> Vec<(&'static str, Rule, Make)> {
    use Rule::*;
    vec![
        // ---- Accounts & payouts API (bearer) ----
        (
            "GET /users/{userId}",
            Operator("operators read any user"),
            |v| at(format!("/users/{}", v.user)),
        ),
        (
            "GET /users/{userId}/accounts",
            Operator("operators read any user's accounts"),
            |v| at(format!("/users/{}/accounts", v.user)),
        ),
        ("POST /users/{userId}/accounts", Owner, |v| {
            with(
                &format!("/users/{}/accounts", v.user),
                j!({"currencyId": "EUR"}),
            )
        }),
        (
            "GET /users/{userId}/accounts/{id}",
            Operator("operators read any user's accounts"),
            |v| at(format!("/users/{}/accounts/{}", v.user, v.account)),
        ),
        (
            "GET /users/{userId}/accounts/{id}/transactions",
            Operator("operators read any user's accounts"),
            |v| {
                at(format!(
                    "/users/{}/accounts/{}/transactions",
                    v.user, v.account
                ))
            },
        ),
        ("DELETE /users/me/tokens/{id}", Owner, |v| {
            at(format!("/users/me/tokens/{}", v.token))
        }),
        ("DELETE /users/me/webhooks/{id}", Owner, |v| {
            at(format!("/users/me/webhooks/{}", v.webhook))
        }),
        ("POST /users/me/webhooks/{id}/rotate-secret", Owner, |v| {
            at(format!("/users/me/webhooks/{}/rotate-secret", v.webhook))
        }),
        (
            "POST /users/me/webhooks/deliveries/{id}/redeliver",
            Owner,
            |v| {
                at(format!(
                    "/users/me/webhooks/deliveries/{}/redeliver",
                    v.delivery
                ))
            },
        ),
        ("POST /sandbox/accounts/{id}/deposit", Owner, |v| {
            with(
                &format!("/sandbox/accounts/{}/deposit", v.account),
                j!({"amount": 100}),
            )
        }),
        (
            "POST /admin/accounts/{id}/credit",
            Operator("operators credit any account"),
            |v| {
                with(
                    &format!("/admin/accounts/{}/credit", v.account),
                    j!({"amount": 100, "reference": "isolation"}),
                )
            },
        ),
        ("GET /beneficiaries", Owner, |v| {
            at(format!("/beneficiaries?accountId={}", v.account))
        }),
        ("POST /beneficiaries", Owner, |v| {
            with(
                "/beneficiaries",
                j!({"accountId": v.account, "bankId": "bca", "address": "1234567890", "name": "Budi"}),
            )
        }),
        ("GET /beneficiaries/{id}", Owner, |v| {
            at(format!("/beneficiaries/{}", v.beneficiary))
        }),
        ("DELETE /beneficiaries/{id}", Owner, |v| {
            at(format!("/beneficiaries/{}", v.beneficiary))
        }),
        ("GET /accounts/{accountId}/withdraw", Owner, |v| {
            at(format!("/accounts/{}/withdraw", v.account))
        }),
        ("POST /accounts/{accountId}/withdraw", Owner, |v| {
            with(
                &format!("/accounts/{}/withdraw", v.account),
                j!({"beneficiaryId": v.beneficiary, "amount": 1000}),
            )
        }),
        ("GET /accounts/{accountId}/withdraw/{id}", Owner, |v| {
            at(format!("/accounts/{}/withdraw/{}", v.account, v.withdrawal))
        }),
        (
            "POST /accounts/{accountId}/withdraw/{id}/confirm",
            Owner,
            |v| {
                with(
                    &format!("/accounts/{}/withdraw/{}/confirm", v.account, v.withdrawal),
                    j!({"authorizationCode": "000000"}),
                )
            },
        ),
        (
            "POST /accounts/{accountId}/withdraw/{id}/cancel",
            Owner,
            |v| {
                with(
                    &format!("/accounts/{}/withdraw/{}/cancel", v.account, v.withdrawal),
                    j!({"authorizationCode": "000000"}),
                )
            },
        ),
        ("POST /quotes", Owner, |v| {
            with(
                "/quotes",
                j!({"sourceAccountId": v.account, "targetAccountId": v.account_usd, "sourceAmount": 100000}),
            )
        }),
        ("GET /quotes/{id}", Owner, |v| {
            at(format!("/quotes/{}", v.quote))
        }),
        ("POST /quotes/{id}/convert", Owner, |v| {
            at(format!("/quotes/{}/convert", v.quote))
        }),
        // ---- Pull-payment API: console (x-access-token) ----
        (
            "GET /api/v2/console-auth/api-keys/generate/{businessID}",
            Owner,
            |v| {
                at(format!(
                    "/api/v2/console-auth/api-keys/generate/{}",
                    v.business
                ))
            },
        ),
        (
            "GET /api/v2/console-auth/api-keys/{businessID}",
            Owner,
            |v| at(format!("/api/v2/console-auth/api-keys/{}", v.business)),
        ),
        // ---- Pull-payment API: business data (pma-api-key) ----
        (
            "GET /api/v2/api-key-auth/business/{businessID}",
            Owner,
            |v| at(format!("/api/v2/api-key-auth/business/{}", v.business)),
        ),
        (
            "GET /api/v2/api-key-auth/business-control/status/{businessID}",
            Owner,
            |v| {
                at(format!(
                    "/api/v2/api-key-auth/business-control/status/{}",
                    v.business
                ))
            },
        ),
        (
            "GET /api/v2/api-key-auth/business/business-details/{businessID}",
            Owner,
            |v| {
                at(format!(
                    "/api/v2/api-key-auth/business/business-details/{}",
                    v.business
                ))
            },
        ),
        (
            "PUT /api/v2/api-key-auth/business/business-details/{businessID}",
            Owner,
            |v| {
                with(
                    &format!(
                        "/api/v2/api-key-auth/business/business-details/{}",
                        v.business
                    ),
                    j!({"city": "Elsewhere"}),
                )
            },
        ),
        ("POST /api/v2/api-key-auth/treasury-wallet", Owner, |v| {
            with(
                "/api/v2/api-key-auth/treasury-wallet",
                j!({"businessID": v.business, "treasuryWallet": WALLET}),
            )
        }),
        (
            "POST /api/v2/api-key-auth/treasury-wallet/confirm",
            Owner,
            |v| {
                with(
                    "/api/v2/api-key-auth/treasury-wallet/confirm",
                    j!({"businessID": v.business, "userID": v.business_user}),
                )
            },
        ),
        // ---- PSP ----
        (
            "POST /api/v2/api-key-auth/register/sub/business",
            Owner,
            |v| {
                with(
                    "/api/v2/api-key-auth/register/sub/business",
                    j!({"company": "Sub", "email": "isolation-sub@example.com", "password": PASSWORD, "parentID": v.business}),
                )
            },
        ),
        (
            "PUT /api/v2/api-key-auth/business/business-details/sub/business",
            Owner,
            |v| {
                with(
                    "/api/v2/api-key-auth/business/business-details/sub/business",
                    j!({"businessID": v.business, "parentID": v.business, "city": "Elsewhere"}),
                )
            },
        ),
        (
            "PUT /api/v2/api-key-auth/register/sub/business/{parentID}",
            Owner,
            |v| {
                with(
                    &format!("/api/v2/api-key-auth/register/sub/business/{}", v.business),
                    j!({"businessID": v.business, "city": "Elsewhere"}),
                )
            },
        ),
        (
            "GET /api/v2/api-key-auth/business/sub/business/{parentID}",
            Owner,
            |v| {
                at(format!(
                    "/api/v2/api-key-auth/business/sub/business/{}",
                    v.business
                ))
            },
        ),
        (
            "GET /api/v2/api-key-auth/business/sub/businesses/{parentID}",
            Owner,
            |v| {
                at(format!(
                    "/api/v2/api-key-auth/business/sub/businesses/{}",
                    v.business
                ))
            },
        ),
        (
            "POST /api/v2/api-key-auth/business-control/sub/business/disabled",
            Owner,
            |v| {
                with(
                    &format!(
                        "/api/v2/api-key-auth/business-control/sub/business/disabled?parentID={}",
                        v.business
                    ),
                    j!({"businessID": v.business, "disabled": true}),
                )
            },
        ),
        // ---- Products ----
        (
            "GET /api/v2/api-key-auth/product-categories/{businessID}",
            Owner,
            |v| {
                at(format!(
                    "/api/v2/api-key-auth/product-categories/{}",
                    v.business
                ))
            },
        ),
        (
            "POST /api/v2/api-key-auth/products/{businessID}",
            Owner,
            |v| {
                with(
                    &format!("/api/v2/api-key-auth/products/{}", v.business),
                    j!({"categoryID": 1, "productName": "Intruder", "networkID": 3}),
                )
            },
        ),
        (
            "GET /api/v2/api-key-auth/products/all/{businessID}/{networkID}",
            Owner,
            |v| {
                at(format!(
                    "/api/v2/api-key-auth/products/all/{}/3",
                    v.business
                ))
            },
        ),
        (
            "GET /api/v2/api-key-auth/products/single/{businessID}/{productID}/{networkID}",
            Owner,
            |v| {
                at(format!(
                    "/api/v2/api-key-auth/products/single/{}/{}/3",
                    v.business, v.product
                ))
            },
        ),
        (
            "PUT /api/v2/api-key-auth/products/{businessID}/{productID}",
            Owner,
            |v| {
                with(
                    &format!("/api/v2/api-key-auth/products/{}/{}", v.business, v.product),
                    j!({"productName": "Renamed"}),
                )
            },
        ),
        (
            "PATCH /api/v2/api-key-auth/products/{businessID}/{productID}/hide",
            Owner,
            |v| {
                with(
                    &format!(
                        "/api/v2/api-key-auth/products/{}/{}/hide",
                        v.business, v.product
                    ),
                    j!({"enabled": false}),
                )
            },
        ),
        // ---- Payment models ----
        (
            "POST /api/v2/api-key-auth/pull-payment-models",
            Owner,
            |v| {
                with(
                    "/api/v2/api-key-auth/pull-payment-models",
                    model_body(3, &v.business, &v.product),
                )
            },
        ),
        (
            "GET /api/v2/api-key-auth/pull-payment-models/all/{businessID}/{networkID}/{productID}",
            Owner,
            |v| {
                at(format!(
                    "/api/v2/api-key-auth/pull-payment-models/all/{}/3/{}",
                    v.business, v.product
                ))
            },
        ),
        (
            "GET /api/v2/api-key-auth/pull-payment-models/single/{businessID}/{networkID}/{paymentModelID}",
            Owner,
            |v| {
                at(format!(
                    "/api/v2/api-key-auth/pull-payment-models/single/{}/3/{}",
                    v.business, v.model
                ))
            },
        ),
        (
            "GET /api/v2/pull-payment-models/single/{businessID}/{networkID}/{paymentModelID}",
            Owner,
            |v| {
                at(format!(
                    "/api/v2/pull-payment-models/single/{}/3/{}",
                    v.business, v.model
                ))
            },
        ),
        // ---- QR codes and the wallet ----
        (
            "GET /api/v2/api-key-auth/qr/pull-payment/{pullPaymentModelID}/{uniqueReferenceID}",
            Owner,
            |v| {
                at(format!(
                    "/api/v2/api-key-auth/qr/pull-payment/{}/customer-1",
                    v.model
                ))
            },
        ),
        (
            "GET /api/v2/open-auth/pull-payment-requests/{requestID}",
            Wallet("the request id is the QR code a customer scans"),
            |v| {
                at(format!(
                    "/api/v2/open-auth/pull-payment-requests/{}?customerAddress={WALLET}",
                    v.request
                ))
            },
        ),
        (
            "POST /api/v2/open-auth/pull-payment-requests/{requestID}",
            Wallet("signing needs the customer's wallet signature"),
            |v| {
                with(
                    &format!("/api/v2/open-auth/pull-payment-requests/{}", v.request),
                    j!({"customerAddress": WALLET, "consentSignature": format!("0x{}", "11".repeat(65))}),
                )
            },
        ),
        (
            "GET /api/v2/open-auth/pull-payments/{pullPaymentID}/cancel",
            Wallet("the cancellation data the customer's wallet signs"),
            |v| {
                at(format!(
                    "/api/v2/open-auth/pull-payments/{}/cancel",
                    v.pull_payment
                ))
            },
        ),
        (
            "POST /api/v2/open-auth/pull-payments/{pullPaymentID}/cancel",
            Wallet("cancelling needs the customer's wallet signature"),
            |v| {
                with(
                    &format!("/api/v2/open-auth/pull-payments/{}/cancel", v.pull_payment),
                    j!({"signature": format!("0x{}", "11".repeat(65))}),
                )
            },
        ),
        (
            "GET /api/v2/open-auth/pull-payment-requests/{requestID}/status",
            Wallet("the pay page follows its request by the QR code's id"),
            |v| {
                at(format!(
                    "/api/v2/open-auth/pull-payment-requests/{}/status",
                    v.request
                ))
            },
        ),
        // ---- Pull payments and transactions ----
        (
            "GET /api/v2/api-key-auth/pull-payments/business/{businessID}",
            Owner,
            |v| {
                at(format!(
                    "/api/v2/api-key-auth/pull-payments/business/{}",
                    v.business
                ))
            },
        ),
        (
            "GET /api/v2/api-key-auth/pull-payments/{pullPaymentID}",
            Owner,
            |v| {
                at(format!(
                    "/api/v2/api-key-auth/pull-payments/{}",
                    v.pull_payment
                ))
            },
        ),
        ("GET /api/v2/pull-payments/{paymentID}", Owner, |v| {
            at(format!("/api/v2/pull-payments/{}", v.pull_payment))
        }),
        ("PUT /api/v2/api-key-auth/pull-payments", Owner, |v| {
            with(
                "/api/v2/api-key-auth/pull-payments",
                j!({"pullPaymentID": v.pull_payment, "amount": 100}),
            )
        }),
        (
            "DELETE /api/v2/api-key-auth/business/stop/{paymentID}",
            Owner,
            |v| {
                at(format!(
                    "/api/v2/api-key-auth/business/stop/{}",
                    v.pull_payment
                ))
            },
        ),
        (
            "DELETE /api/v2/api-key-auth/business/stop/paymentID/{paymentID}",
            Owner,
            |v| {
                at(format!(
                    "/api/v2/api-key-auth/business/stop/paymentID/{}",
                    v.pull_payment
                ))
            },
        ),
        (
            "GET /api/v2/api-key-auth/transactions/report/all/{businessID}/{networkID}",
            Owner,
            |v| {
                at(format!(
                    "/api/v2/api-key-auth/transactions/report/all/{}/3",
                    v.business
                ))
            },
        ),
        (
            "GET /api/v2/api-key-auth/transactions/pull-payment/{businessID}/{pullpaymentID}",
            Owner,
            |v| {
                at(format!(
                    "/api/v2/api-key-auth/transactions/pull-payment/{}/{}",
                    v.business, v.pull_payment
                ))
            },
        ),
        (
            "GET /api/v2/api-key-auth/transactions/single/{transactionHash}",
            Owner,
            |v| {
                at(format!(
                    "/api/v2/api-key-auth/transactions/single/{}",
                    v.tx_hash
                ))
            },
        ),
        // ---- Postbacks ----
        ("POST /api/v2/api-key-auth/business/postback", Owner, |v| {
            with(
                "/api/v2/api-key-auth/business/postback",
                j!({"businessID": v.business, "url": "https://attacker.example/pb", "environment": "Ropsten"}),
            )
        }),
        ("PUT /api/v2/api-key-auth/business/postback", Owner, |v| {
            with(
                "/api/v2/api-key-auth/business/postback",
                j!({"id": v.postback, "businessID": v.business, "url": "https://attacker.example/pb", "environment": "Ropsten"}),
            )
        }),
        (
            "GET /api/v2/api-key-auth/business/postback/{businessID}",
            Owner,
            |v| {
                at(format!(
                    "/api/v2/api-key-auth/business/postback/{}",
                    v.business
                ))
            },
        ),
        (
            "GET /api/v2/api-key-auth/business/postback/{postbackID}/{businessID}",
            Owner,
            |v| {
                at(format!(
                    "/api/v2/api-key-auth/business/postback/{}/{}",
                    v.postback, v.business
                ))
            },
        ),
        (
            "DELETE /api/v2/api-key-auth/business/postback/{postbackID}/{businessID}",
            Owner,
            |v| {
                at(format!(
                    "/api/v2/api-key-auth/business/postback/{}/{}",
                    v.postback, v.business
                ))
            },
        ),
        (
            "POST /api/v2/api-key-auth/business/postback-secret/{businessID}/rotate",
            Owner,
            |v| {
                at(format!(
                    "/api/v2/api-key-auth/business/postback-secret/{}/rotate",
                    v.business
                ))
            },
        ),
        (
            "PUT /api/v2/api-key-auth/business/postback/product",
            Owner,
            |v| {
                with(
                    "/api/v2/api-key-auth/business/postback/product",
                    j!({"businessID": v.business, "productID": v.product, "businessPostbackID": v.postback}),
                )
            },
        ),
        (
            "PUT /api/v2/api-key-auth/business/postback/product/remove",
            Owner,
            |v| {
                with(
                    "/api/v2/api-key-auth/business/postback/product/remove",
                    j!({"businessID": v.business, "productID": v.product, "businessPostbackID": v.postback}),
                )
            },
        ),
        (
            "PUT /api/v2/api-key-auth/business/postback/paymentmodel",
            Owner,
            |v| {
                with(
                    "/api/v2/api-key-auth/business/postback/paymentmodel",
                    j!({"businessID": v.business, "paymentModelID": v.model, "businessPostbackID": v.postback}),
                )
            },
        ),
        (
            "PUT /api/v2/api-key-auth/business/postback/paymentmodel/remove",
            Owner,
            |v| {
                with(
                    "/api/v2/api-key-auth/business/postback/paymentmodel/remove",
                    j!({"businessID": v.business, "paymentModelID": v.model, "businessPostbackID": v.postback}),
                )
            },
        ),
        (
            "PUT /api/v2/api-key-auth/business/postback/business",
            Owner,
            |v| {
                with(
                    "/api/v2/api-key-auth/business/postback/business",
                    j!({"businessID": v.business, "businessPostbackID": v.postback}),
                )
            },
        ),
        (
            "PUT /api/v2/api-key-auth/business/postback/business/remove",
            Owner,
            |v| {
                with(
                    "/api/v2/api-key-auth/business/postback/business/remove",
                    j!({"businessID": v.business, "businessPostbackID": v.postback}),
                )
            },
        ),
        (
            "PUT /api/v2/api-key-auth/business/postback/parent",
            Owner,
            |v| {
                with(
                    "/api/v2/api-key-auth/business/postback/parent",
                    j!({"businessID": v.business, "businessPostbackID": v.postback, "parentBusinessPostbackID": v.postback}),
                )
            },
        ),
        (
            "PUT /api/v2/api-key-auth/business/postback/parent/remove",
            Owner,
            |v| {
                with(
                    "/api/v2/api-key-auth/business/postback/parent/remove",
                    j!({"businessID": v.business, "businessPostbackID": v.postback}),
                )
            },
        ),
        (
            "PUT /api/v2/api-key-auth/business/postback-control/",
            Owner,
            |v| {
                with(
                    "/api/v2/api-key-auth/business/postback-control/",
                    j!({"businessID": v.business, "product": false}),
                )
            },
        ),
        (
            "PUT /api/v2/api-key-auth/postback-control/{business_id}",
            Owner,
            |v| {
                with(
                    &format!("/api/v2/api-key-auth/postback-control/{}", v.business),
                    j!({"product": false}),
                )
            },
        ),
        (
            "GET /api/v2/api-key-auth/business/postback-control/{business_id}",
            Owner,
            |v| {
                at(format!(
                    "/api/v2/api-key-auth/business/postback-control/{}",
                    v.business
                ))
            },
        ),
        (
            "GET /api/v2/api-key-auth/business/postback-deliveries/{businessID}",
            Owner,
            |v| {
                at(format!(
                    "/api/v2/api-key-auth/business/postback-deliveries/{}",
                    v.business
                ))
            },
        ),
        (
            "POST /api/v2/api-key-auth/business/postback-deliveries/{businessID}/{deliveryID}/redeliver",
            Owner,
            |v| {
                at(format!(
                    "/api/v2/api-key-auth/business/postback-deliveries/{}/{}/redeliver",
                    v.business, v.postback_delivery
                ))
            },
        ),
        (
            "POST /api/v2/api-key-auth/business/postback/test/{businessID}",
            Owner,
            |v| {
                with(
                    &format!("/api/v2/api-key-auth/business/postback/test/{}", v.business),
                    j!({"networkID": 3}),
                )
            },
        ),
        // ---- Fiat settlement ----
        (
            "POST /api/v2/reports/fiat/settlement/{businessID}/{currency}",
            Owner,
            |v| {
                with(
                    &format!(
                        "/api/v2/reports/fiat/settlement/{}/EUR?networkID=3",
                        v.business
                    ),
                    j!({}),
                )
            },
        ),
        (
            "GET /api/v2/reports/fiat/total/{businessID}/{currency}",
            Owner,
            |v| {
                at(format!(
                    "/api/v2/reports/fiat/total/{}/EUR?networkID=3",
                    v.business
                ))
            },
        ),
        ("GET /api/v2/reports/fiat/all/{businessID}", Owner, |v| {
            at(format!(
                "/api/v2/reports/fiat/all/{}?networkID=3",
                v.business
            ))
        }),
        (
            "GET /api/v2/reports/fiat/transactions/{businessID}/{fiatSettlementID}",
            Owner,
            |v| {
                at(format!(
                    "/api/v2/reports/fiat/transactions/{}/{}",
                    v.business, v.settlement
                ))
            },
        ),
        (
            "GET /api/v2/reports/fiat/statement/{businessID}/{fiatSettlementID}",
            Owner,
            |v| {
                at(format!(
                    "/api/v2/reports/fiat/statement/{}/{}?format=csv",
                    v.business, v.settlement
                ))
            },
        ),
        (
            "GET /api/v2/open-auth/qr/settlement/{businessID}/{settlementID}/{currency}",
            Owner,
            |v| {
                at(format!(
                    "/api/v2/open-auth/qr/settlement/{}/{}/EUR",
                    v.business, v.settlement
                ))
            },
        ),
        (
            "GET /api/v2/open-auth/settlement-statement/{settlementID}/{signature}",
            Signed("the statement link's HMAC of the settlement id is the capability"),
            |v| {
                at(format!(
                    "/api/v2/open-auth/settlement-statement/{}/{}",
                    v.settlement,
                    "ab".repeat(32)
                ))
            },
        ),
        // Linking takes the business's key and the account owner's token together: the
        // attacker presents its own of the other kind (see `companions`).
        (
            "PUT /api/v2/api-key-auth/business/settlement-account",
            Owner,
            |v| {
                with(
                    "/api/v2/api-key-auth/business/settlement-account",
                    j!({"businessID": v.business, "currency": "EUR", "accountId": v.account_eur, "userId": v.user}),
                )
            },
        ),
        (
            "GET /api/v2/api-key-auth/business/settlement-account/{businessID}",
            Owner,
            |v| {
                at(format!(
                    "/api/v2/api-key-auth/business/settlement-account/{}",
                    v.business
                ))
            },
        ),
        (
            "DELETE /api/v2/api-key-auth/business/settlement-account/{businessID}/{currency}",
            Owner,
            |v| {
                at(format!(
                    "/api/v2/api-key-auth/business/settlement-account/{}/EUR?networkID=3",
                    v.business
                ))
            },
        ),
        (
            "POST /api/v2/admin/settlements/{settlementID}/{action}",
            Operator("operators decide every settlement"),
            |v| {
                with(
                    &format!("/api/v2/admin/settlements/{}/unsettle", v.settlement),
                    j!({"reason": "isolation"}),
                )
            },
        ),
        // ---- Operators' review actions ----
        (
            "POST /api/v2/admin/businesses/{businessID}/{action}",
            Operator("operators review every business"),
            |v| at(format!("/api/v2/admin/businesses/{}/trust", v.business)),
        ),
        (
            "POST /api/v2/admin/payment-models/{paymentModelID}/{action}",
            Operator("operators review every payment model"),
            |v| at(format!("/api/v2/admin/payment-models/{}/suspend", v.model)),
        ),
        (
            "POST /api/v2/admin/products/{productID}/{action}",
            Operator("operators review every product"),
            |v| at(format!("/api/v2/admin/products/{}/verify", v.product)),
        ),
    ]
}

/// Names of ids of something of the platform's (a network, a type, a reference list entry) or
/// public (a product's image), not something a tenant owns; and a path's verb.
const SHARED_IDS: [&str; 10] = [
    "action",
    "networkID",
    "typeID",
    "statusID",
    "categoryID",
    "countryID",
    "kycTierID",
    "uniqueReferenceID",
    "imageID",
    "transactionTypes",
];

fn is_tenant_id(name: &str) -> bool {
    (name == "id" || name.ends_with("ID") || name.ends_with("Id") || name.ends_with("_id"))
        && !SHARED_IDS.contains(&name)
}

/// The id-named properties of a schema, following `$ref` and `allOf`.
fn body_ids(schema: &Value, doc: &Value, out: &mut BTreeSet<String>) {
    if let Some(r) = schema["$ref"].as_str() {
        let name = r.trim_start_matches("#/components/schemas/");
        return body_ids(&doc["components"]["schemas"][name], doc, out);
    }
    if let Some(p) = schema["properties"].as_object() {
        out.extend(p.keys().filter(|k| is_tenant_id(k)).cloned());
    }
    for k in ["allOf", "anyOf", "oneOf"] {
        for s in schema[k].as_array().into_iter().flatten() {
            body_ids(s, doc, out);
        }
    }
}

/// The security requirements of an operation: any one of them is enough, and each names the
/// schemes presented together.
type Requirements = Vec<BTreeSet<String>>;

/// `METHOD path` of every operation that names a tenant's resource, with its security
/// requirements.
fn routes_naming_a_tenant(doc: &Value) -> BTreeMap<String, Requirements> {
    let mut out = BTreeMap::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            if !["get", "post", "put", "patch", "delete"].contains(&method.as_str()) {
                continue;
            }
            let mut ids = BTreeSet::new();
            for p in op["parameters"].as_array().into_iter().flatten() {
                let name = p["name"].as_str().unwrap();
                // Anything in a path names something; elsewhere, what is named like an id.
                let names = match p["in"].as_str() {
                    Some("path") => !SHARED_IDS.contains(&name),
                    Some("query") => is_tenant_id(name),
                    _ => false,
                };
                if names {
                    ids.insert(name.to_string());
                }
            }
            for c in op["requestBody"]["content"]
                .as_object()
                .into_iter()
                .flatten()
            {
                body_ids(&c.1["schema"], doc, &mut ids);
            }
            if ids.is_empty() {
                continue;
            }
            let requirements = op["security"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|r| r.as_object().unwrap().keys().cloned().collect())
                .collect();
            out.insert(format!("{} {path}", method.to_uppercase()), requirements);
        }
    }
    out
}

#[test]
fn every_route_naming_a_tenant_is_in_the_isolation_matrix() {
    let doc = payplane_http::api().1;
    let routes = routes_naming_a_tenant(&doc);
    let listed: BTreeSet<&str> = matrix().iter().map(|(k, _, _)| *k).collect();
    let missing: Vec<&String> = routes
        .keys()
        .filter(|k| !listed.contains(k.as_str()))
        .collect();
    assert!(
        missing.is_empty(),
        "routes that name a tenant's resource but are not in isolation::matrix(): {missing:#?}"
    );
    let stale: Vec<&&str> = listed
        .iter()
        .filter(|k| !routes.contains_key(**k))
        .collect();
    assert!(
        stale.is_empty(),
        "matrix entries that are no such route: {stale:#?}"
    );
    assert!(routes.len() > 70, "{} routes", routes.len());
}

/// A checksum of every row of every table.
async fn checksum(t: &TestApp) -> BTreeMap<String, String> {
    use payplane_store::sqlx::{self, Row};
    let mut tables: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (table, column) in payplane_store::engine::schema::columns(&t.app.db)
        .await
        .unwrap()
    {
        tables.entry(table).or_default().push(column);
    }
    let mut out = BTreeMap::new();
    for (table, columns) in tables {
        let kept: Vec<&String> = columns
            .iter()
            .filter(|c| !BOOKKEEPING.contains(&(table.as_str(), c.as_str())))
            .collect();
        let sql = format!(
            "SELECT {} FROM {table}",
            kept.iter()
                .map(|c| c.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        );
        let rows = sqlx::query(&sql).fetch_all(&t.app.db.read).await.unwrap();
        let mut lines: Vec<String> = rows
            .iter()
            .map(|r| {
                (0..r.len())
                    .map(|i| cell(r, i))
                    .collect::<Vec<_>>()
                    .join("\u{1f}")
            })
            .collect();
        lines.sort();
        out.insert(
            table,
            payplane_core::secrets::sha256_hex(lines.join("\n").as_bytes()),
        );
    }
    out
}

/// Columns that record that a credential was used, which any authenticated call updates.
const BOOKKEEPING: [(&str, &str); 1] = [("api_tokens", "last_used_at")];

fn cell(r: &payplane_store::sqlx::any::AnyRow, i: usize) -> String {
    use payplane_store::sqlx::Row;
    if let Ok(v) = r.try_get::<Option<i64>, _>(i) {
        return format!("{v:?}");
    }
    if let Ok(v) = r.try_get::<Option<String>, _>(i) {
        return format!("{v:?}");
    }
    if let Ok(v) = r.try_get::<Option<f64>, _>(i) {
        return format!("{v:?}");
    }
    if let Ok(v) = r.try_get::<Option<Vec<u8>>, _>(i) {
        return format!("{v:?}");
    }
    if let Ok(v) = r.try_get::<Option<bool>, _>(i) {
        return format!("{v:?}");
    }
    panic!("column {i} of a row reads as no known type")
}

/// The victim, with one of everything a route can name.
async fn victim(t: &TestApp) -> Victim {
    let u = t.user(Mode::Test).await;
    let account = open_account(t, &u, "IDR").await;
    let account_usd = open_account(t, &u, "USD").await;
    deposit(t, &u, &account, "5000000").await;
    let beneficiary = active_bca_recipient(t, &u, &account).await;
    let (s, w) = withdraw(t, &u, &account, "150000").await;
    assert_eq!(s, 200, "{w}");
    let (s, q) = t
        .pazemo(&u)
        .post(
            "/quotes",
            &j!({"sourceAccountId": account, "targetAccountId": account_usd, "sourceAmount": 100000}),
        )
        .await;
    assert_eq!(s, 200, "{q}");
    let (s, hook) = t
        .pazemo(&u)
        .post(
            "/users/me/webhooks",
            &j!({"url": "https://victim.example/hook"}),
        )
        .await;
    assert_eq!(s, 201, "{hook}");
    let (s, _) = t.pazemo(&u).post("/users/me/webhooks/test", &j!({})).await;
    assert_eq!(s, 202);
    t.run_jobs().await;
    let (_, deliveries) = t.pazemo(&u).get("/users/me/webhooks/deliveries").await;
    let (_, tokens) = t.pazemo(&u).get("/users/me/tokens").await;

    let biz = business(t).await;
    let product = product(t, &biz, &biz.id).await;
    let model = approved_model(t, &biz, &model_body(3, &biz.id, &product)).await;
    let (s, pb) = t
        .pumapay(&biz)
        .post(
            "/api-key-auth/business/postback",
            &j!({"businessID": biz.id, "url": "https://victim.example/pb", "environment": "Ropsten"}),
        )
        .await;
    assert_eq!(s, 200, "{pb}");
    let (s, sent) = t
        .pumapay(&biz)
        .post(
            &format!("/api-key-auth/business/postback/test/{}", biz.id),
            &j!({"networkID": 3}),
        )
        .await;
    assert_eq!(s, 200, "{sent}");
    let (s, qr) = t
        .pumapay(&biz)
        .get(&format!("/api-key-auth/qr/pull-payment/{model}/customer-1"))
        .await;
    assert_eq!(s, 200, "{qr}");
    let (request,): (String,) = payplane_store::sqlx::query_as(
        "SELECT id FROM pull_payment_requests WHERE business_id = $1",
    )
    .bind(&biz.id)
    .fetch_one(&t.app.db.read)
    .await
    .unwrap();
    // The customer's wallet has read it once, as when the code is scanned: the first read fixes
    // the terms (start, token cap, expiry), so a later read changes nothing.
    let (s, read) = send(t.get(&format!(
        "/api/v2/open-auth/pull-payment-requests/{request}?customerAddress={WALLET}"
    )))
    .await;
    assert_eq!(s, 200, "{read}");
    // A fiat settlement: the victim user's EUR account linked (with the user's consent), a
    // customer's pull payment of a Kemix model signed on chain and its first pull made and
    // accrued, the settlement created (and paid into the account).
    let account_eur = open_account(t, &u, "EUR").await;
    let (s, l) = settlement::link(t, &biz, &u, &account_eur, "EUR").await;
    assert_eq!(s, 200, "{l}");
    let kemix = settlement::kemix_model(t, &biz, &product, 3, 1299).await;
    let pull_payment = settlement::customer_pays(t, &biz, &kemix).await;
    let pulls = executor::transactions(t, &biz, &pull_payment).await;
    let tx_hash = pulls
        .iter()
        .find_map(|x| x["txHash"].as_str())
        .unwrap_or_else(|| panic!("a pull with a hash: {pulls:?}"))
        .to_string();
    let (s, st) = t
        .pumapay(&biz)
        .post(
            &format!("/reports/fiat/settlement/{}/EUR?networkID=3", biz.id),
            &j!({}),
        )
        .await;
    assert_eq!(s, 200, "{st}");
    t.run_jobs().await;
    Victim {
        user: u.id.clone(),
        token: tokens[0]["id"].as_str().unwrap().to_string(),
        account,
        account_usd,
        beneficiary,
        withdrawal: w["id"].as_str().unwrap().to_string(),
        quote: q["id"].as_str().unwrap().to_string(),
        webhook: hook["id"].as_str().unwrap().to_string(),
        delivery: deliveries[0]["id"].as_str().unwrap().to_string(),
        business: biz.id.clone(),
        business_user: biz.user_id.clone(),
        product,
        model,
        postback: pb["data"]["id"].as_str().unwrap().to_string(),
        postback_delivery: sent["data"]["deliveries"][0]["deliveryID"]
            .as_str()
            .unwrap()
            .to_string(),
        pull_payment,
        tx_hash,
        request,
        account_eur,
        settlement: st["data"]["id"].as_str().unwrap().to_string(),
    }
}

/// The attacker: a user with a full and a read-only token, a business of its own with a key and
/// a console session, a PSP with a sub-business, and an operator.
async fn attacker(t: &TestApp) -> Attacker {
    let u = t.user(Mode::Test).await;
    let ro = t.user_with(Mode::Test, true, vec![]).await;
    let biz = business(t).await;
    let psp = business(t).await;
    sub_business(t, &psp).await;
    let op = t.admin().await;
    Attacker {
        bearer: u.token,
        read_only: ro.token,
        key: biz.key,
        console: biz.token,
        psp_key: psp.key,
        operator: op.token,
    }
}

dual!(no_credential_reaches_another_tenants_resources, async |b| {
    // One pull is enough for the victim's settlement.
    let t = TestApp::builder(b)
        .config(|c| {
            c.settlement.threshold_minor.insert("EUR".into(), 1);
        })
        .start()
        .await;
    let doc = payplane_http::api().1;
    let routes = routes_naming_a_tenant(&doc);
    let v = victim(&t).await;
    let a = attacker(&t).await;
    let mut calls = 0;
    for (route, rule, make) in matrix() {
        let requirements = &routes[route];
        let (method, _) = route.split_once(' ').unwrap();
        let method: Method = method.parse().unwrap();
        let before = checksum(&t).await;
        for cred in CREDS {
            if matches!(rule, Rule::Operator(_)) && cred == Cred::Operator {
                continue;
            }
            let call = make(&v);
            let (name, value) = a.header(cred);
            let mut req = t.req(method.clone(), &call.path).header(name, value);
            let requirement = requirements.iter().find(|r| r.contains(cred.scheme()));
            for other in requirement.into_iter().flatten() {
                if other != cred.scheme() {
                    let (name, value) = a.own(other);
                    req = req.header(name, value);
                }
            }
            if let Some(body) = &call.body {
                req = req.json(body);
            }
            let (s, body) = send(req).await;
            calls += 1;
            let takes = requirement.is_some();
            let ok = match rule {
                Rule::Wallet(_) => {
                    if method == Method::GET {
                        s == 200 || s == 409
                    } else {
                        s == 400
                    }
                }
                Rule::Signed(_) => s == 404,
                _ if takes => s == 403 || s == 404,
                _ => s == 401,
            };
            assert!(
                ok,
                "{route} as {cred:?} ({}; {}): {s} {body}",
                if takes {
                    "a credential it takes"
                } else {
                    "not its credential"
                },
                rule.why()
            );
        }
        let after = checksum(&t).await;
        let changed: Vec<&String> = before
            .keys()
            .filter(|k| before.get(*k) != after.get(*k))
            .collect();
        assert!(changed.is_empty(), "{route} changed tables {changed:?}");
    }
    assert!(calls > 400, "{calls} calls");
});
