//! Every route the server documents in `/openapi.json`, and what the conformance suite does with
//! it. A route of a seed names its endpoint id (`catalog.md`: Z1–Z12, P1–P55) and the samples
//! (`samples.json` keys, `<seed>:<line>`) its answer must match; a route decisions.md added is an
//! `Extension` (no sample to match); a seed route the server does not serve yet is `Pending`. The
//! suite fails when a served route is missing here, when a `Covered` route was not called, and
//! when a `Pending` route turns out to be served.

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum State {
    /// Called with valid data; its answer is compared with `samples`.
    Covered,
    /// A route of decisions.md (operator, wallet, chain, console, extra reads): no seed sample.
    Extension,
    /// Documented by a seed, not served yet.
    Pending,
}

pub struct Route {
    pub method: &'static str,
    pub path: &'static str,
    /// The catalogue's endpoint id, or the decisions.md section of an extension.
    pub doc: &'static str,
    pub samples: &'static [&'static str],
    pub state: State,
}

const fn seed(
    method: &'static str,
    path: &'static str,
    doc: &'static str,
    samples: &'static [&'static str],
) -> Route {
    Route {
        method,
        path,
        doc,
        samples,
        state: State::Covered,
    }
}

const fn ext(method: &'static str, path: &'static str, doc: &'static str) -> Route {
    Route {
        method,
        path,
        doc,
        samples: &[],
        state: State::Extension,
    }
}

pub fn find(method: &str, path: &str) -> Option<&'static Route> {
    ROUTES
        .iter()
        .find(|r| r.method.eq_ignore_ascii_case(method) && r.path == path)
}

/// A path under `/api/v2/api-key-auth`, for the table's readability (const fns cannot concatenate).
macro_rules! p {
    ($rest:literal) => {
        concat!("/api/v2/api-key-auth", $rest)
    };
}

#[rustfmt::skip]
pub static ROUTES: &[Route] = &[
    // ---- seed 000: accounts & payouts ----
    seed("GET", "/users/me", "Z1", &["000:177"]),
    seed("GET", "/users/{userId}", "Z2", &["000:228"]),
    seed("POST", "/users/{userId}/accounts", "Z3", &["000:280"]),
    seed("GET", "/users/{userId}/accounts", "Z4", &["000:340"]),
    seed("GET", "/users/{userId}/accounts/{id}", "Z5", &["000:424"]),
    seed("POST", "/beneficiaries", "Z6", &["000:483"]),
    seed("POST", "/accounts/{accountId}/withdraw", "Z7", &["000:556"]),
    seed("POST", "/accounts/{accountId}/withdraw/{id}/confirm", "Z8", &["000:624"]),
    seed("POST", "/accounts/{accountId}/withdraw/{id}/cancel", "Z9", &["000:686"]),
    seed("GET", "/check", "Z10", &["000:747"]),
    // The document gives no body: "the server version" as text (A-Z18).
    seed("GET", "/ping", "Z11", &[]),
    seed("GET", "/pingQueue", "Z12", &["000:821"]),
    // ---- decisions.md §1 additions ----
    ext("GET", "/users/me/tokens", "decisions §1 tokens"),
    ext("POST", "/users/me/tokens", "decisions §1 tokens"),
    ext("DELETE", "/users/me/tokens/{id}", "decisions §1 tokens"),
    ext("POST", "/users/me/2fa", "decisions §1 withdrawals"),
    ext("POST", "/users/me/2fa/confirm", "decisions §1 withdrawals"),
    ext("GET", "/banks", "decisions §1 recipients"),
    ext("GET", "/beneficiaries", "decisions §1 recipients"),
    ext("GET", "/beneficiaries/{id}", "decisions §1 recipients"),
    ext("DELETE", "/beneficiaries/{id}", "decisions §1 recipients"),
    ext("GET", "/accounts/{accountId}/withdraw", "decisions §1 withdrawals"),
    ext("GET", "/accounts/{accountId}/withdraw/{id}", "decisions §1 withdrawals"),
    ext("GET", "/users/{userId}/accounts/{id}/transactions", "decisions §1 accounts"),
    ext("POST", "/quotes", "decisions §1 accounts"),
    ext("GET", "/quotes/{id}", "decisions §1 accounts"),
    ext("POST", "/quotes/{id}/convert", "decisions §1 accounts"),
    ext("POST", "/sandbox/accounts/{id}/deposit", "decisions §1 accounts"),
    ext("GET", "/users/me/events", "decisions §1 withdrawals"),
    ext("GET", "/users/me/webhooks", "decisions §1 withdrawals"),
    ext("POST", "/users/me/webhooks", "decisions §1 withdrawals"),
    ext("DELETE", "/users/me/webhooks/{id}", "decisions §1 withdrawals"),
    ext("POST", "/users/me/webhooks/{id}/rotate-secret", "docs/webhooks.md"),
    ext("GET", "/users/me/webhooks/deliveries", "docs/webhooks.md"),
    ext("POST", "/users/me/webhooks/deliveries/{id}/redeliver", "docs/webhooks.md"),
    ext("POST", "/users/me/webhooks/test", "docs/webhooks.md"),
    ext("POST", "/admin/accounts/{id}/credit", "decisions §0 operator"),
    ext("GET", "/metrics", "docs/operations.md"),
    // ---- seed 004: pull-payment billing ----
    seed("GET", "/api/v2/console-auth/api-keys/generate/{businessID}", "P1", &["004:335"]),
    seed("GET", "/api/v2/console-auth/api-keys/{businessID}", "P2", &["004:405"]),
    seed("GET", p!("/business/{businessID}"), "P3", &["004:481"]),
    seed("GET", p!("/business-control/status/{businessID}"), "P4", &["004:614"]),
    seed("GET", p!("/business/business-details/{businessID}"), "P5", &["004:738"]),
    // P5's update, documented in the console flow (decisions §2 onboarding).
    seed("PUT", p!("/business/business-details/{businessID}"), "P5", &[]),
    // P6 and P7 document no answer: the envelope is checked.
    seed("POST", p!("/treasury-wallet"), "P6", &[]),
    seed("POST", p!("/treasury-wallet/confirm"), "P7", &[]),
    seed("GET", p!("/product-categories/{businessID}"), "P8", &["004:969"]),
    seed("POST", p!("/products/{businessID}"), "P9", &["004:1088"]),
    seed("GET", p!("/products/all/{businessID}/{networkID}"), "P10", &["004:1224"]),
    seed("GET", p!("/products/single/{businessID}/{productID}/{networkID}"), "P11", &["004:1390", "004:1417"]),
    seed("PUT", p!("/products/{businessID}/{productID}"), "P12", &["004:1576"]),
    seed("PATCH", p!("/products/{businessID}/{productID}/hide"), "P13", &["004:1671"]),
    seed("POST", p!("/pull-payment-models"), "P14", &["004:1789"]),
    seed("GET", p!("/pull-payment-models/all/{businessID}/{networkID}/{productID}"), "P15", &["004:2087"]),
    seed("GET", p!("/pull-payment-models/single/{businessID}/{networkID}/{paymentModelID}"), "P16", &["004:2258", "004:2312"]),
    seed("GET", "/api/v2/pull-payment-models/single/{businessID}/{networkID}/{paymentModelID}", "P16 (A-P3)", &["004:2258", "004:2312"]),
    seed("GET", p!("/pull-payments/business/{businessID}"), "P17", &["004:2428"]),
    seed("GET", p!("/pull-payments/{pullPaymentID}"), "P18", &["004:2609", "004:2675"]),
    seed("GET", "/api/v2/pull-payments/{paymentID}", "P18 (A-P3)", &["004:2609", "004:2675"]),
    seed("GET", p!("/transactions/report/all/{businessID}/{networkID}"), "P19/P22", &["004:2763", "004:3255"]),
    seed("GET", p!("/transactions/pull-payment/{businessID}/{pullpaymentID}"), "P20", &["004:2948"]),
    seed("GET", p!("/transactions/single/{transactionHash}"), "P21", &["004:3107"]),
    seed("POST", p!("/business/postback"), "P23/P51", &["004:3461", "004:6793"]),
    seed("PUT", p!("/business/postback"), "P24/P52", &["004:3596", "004:6923"]),
    seed("DELETE", p!("/business/postback/{postbackID}/{businessID}"), "P25", &["004:3698"]),
    seed("GET", p!("/business/postback/{postbackID}/{businessID}"), "P26/P54", &["004:3780", "004:7140"]),
    seed("GET", p!("/business/postback/{businessID}"), "P27/P50/P55", &["004:3870", "004:6671", "004:7234"]),
    seed("PUT", p!("/business/postback/product"), "P28", &["004:3987"]),
    seed("PUT", p!("/business/postback/product/remove"), "P29", &["004:4138"]),
    seed("PUT", p!("/business/postback/paymentmodel"), "P30", &["004:4290"]),
    seed("PUT", p!("/business/postback/paymentmodel/remove"), "P31", &["004:4484"]),
    seed("GET", p!("/qr/pull-payment/{pullPaymentModelID}/{uniqueReferenceID}"), "P32", &["004:4662"]),
    seed("GET", "/api/v2/open-auth/qr/settlement/{businessID}/{settlementID}/{currency}", "P33", &["004:4757"]),
    seed("POST", "/api/v2/reports/fiat/settlement/{businessID}/{currency}", "P34", &["004:4820"]),
    seed("GET", "/api/v2/reports/fiat/total/{businessID}/{currency}", "P35", &["004:4931"]),
    seed("GET", "/api/v2/reports/fiat/all/{businessID}", "P36", &["004:5004"]),
    seed("GET", "/api/v2/reports/fiat/transactions/{businessID}/{fiatSettlementID}", "P37", &["004:5129"]),
    // The top-up's sample is a postback copied in (A-P9, A-P32): the envelope is checked.
    seed("PUT", p!("/pull-payments"), "P38", &[]),
    // The stray path beside the top-up (A-P8): a third postback-control operation.
    seed("PUT", p!("/postback-control/{business_id}"), "P39", &["004:6576"]),
    seed("POST", p!("/register/sub/business"), "P40", &["004:5415"]),
    seed("PUT", p!("/business/business-details/sub/business"), "P41", &["004:5562"]),
    seed("PUT", p!("/register/sub/business/{parentID}"), "P41 (A-P10)", &["004:5562"]),
    seed("GET", p!("/business/sub/business/{parentID}"), "P42", &["004:5682"]),
    seed("GET", p!("/business/sub/businesses/{parentID}"), "P42 (A-P11)", &["004:5682"]),
    seed("POST", p!("/business-control/sub/business/disabled"), "P43", &[]),
    // P44's sample is a sub-business copied in (A-P32, decisions.rs NOT_COMPARED).
    seed("DELETE", p!("/business/stop/{paymentID}"), "P44", &[]),
    seed("DELETE", p!("/business/stop/paymentID/{paymentID}"), "P44 (A-P4)", &[]),
    seed("PUT", p!("/business/postback/business"), "P45", &["004:6011", "004:6081"]),
    seed("PUT", p!("/business/postback/business/remove"), "P46", &["004:6185"]),
    seed("PUT", p!("/business/postback/parent"), "P47", &["004:6362", "004:6377"]),
    seed("GET", p!("/business/postback-control/{business_id}"), "P48", &["004:6458"]),
    seed("PUT", p!("/business/postback-control/"), "P49", &["004:6576", "004:6589"]),
    seed("PUT", p!("/business/postback/parent/remove"), "P53", &["004:7046"]),
    // ---- decisions.md §2 additions ----
    ext("POST", "/api/v2/console-auth/register", "decisions §2 identity"),
    ext("POST", "/api/v2/console-auth/login", "decisions §2 identity"),
    ext("POST", "/api/v2/console-auth/logout", "decisions §2 identity"),
    ext("POST", "/api/v2/admin/businesses/{businessID}/{action}", "decisions §2 onboarding"),
    ext("POST", "/api/v2/admin/payment-models/{paymentModelID}/{action}", "decisions §2 models"),
    ext("POST", "/api/v2/admin/products/{productID}/{action}", "decisions §2 models"),
    ext("POST", "/api/v2/admin/settlements/{settlementID}/{action}", "decisions §2 settlement"),
    ext("POST", "/api/v2/admin/test-clock/advance", "docs/pull-payments.md"),
    ext("POST", "/api/v2/open-auth/faucet", "decisions §2 networks"),
    ext("POST", "/api/v2/open-auth/rpc/{networkID}", "decisions §2 networks"),
    ext("GET", "/api/v2/open-auth/product-images/{imageID}", "A-P22"),
    ext("GET", "/api/v2/open-auth/pull-payment-requests/{requestID}", "decisions §2 pull payments"),
    ext("POST", "/api/v2/open-auth/pull-payment-requests/{requestID}", "decisions §2 pull payments"),
    ext("GET", "/api/v2/open-auth/pull-payment-requests/{requestID}/status", "decisions §2 pull payments"),
    ext("GET", "/api/v2/open-auth/pull-payments/{pullPaymentID}/cancel", "decisions §2 pull payments"),
    ext("POST", "/api/v2/open-auth/pull-payments/{pullPaymentID}/cancel", "decisions §2 pull payments"),
    ext("GET", "/api/v2/open-auth/settlement-statement/{settlementID}/{signature}", "docs/settlement.md"),
    ext("GET", "/api/v2/reports/fiat/statement/{businessID}/{fiatSettlementID}", "docs/settlement.md"),
    ext("PUT", p!("/business/settlement-account"), "decisions §2 settlement"),
    ext("GET", p!("/business/settlement-account/{businessID}"), "decisions §2 settlement"),
    ext("DELETE", p!("/business/settlement-account/{businessID}/{currency}"), "decisions §2 settlement"),
    ext("GET", p!("/business/postback-deliveries/{businessID}"), "decisions §2 postbacks"),
    ext("POST", p!("/business/postback-deliveries/{businessID}/{deliveryID}/redeliver"), "decisions §2 postbacks"),
    ext("POST", p!("/business/postback-secret/{businessID}/rotate"), "decisions §2 postbacks"),
    ext("POST", p!("/business/postback/test/{businessID}"), "decisions §2 postbacks"),
];
