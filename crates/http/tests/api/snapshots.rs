//! Response bodies whose whole shape is the point, as insta snapshots (`snapshots/`). Ids and
//! times are redacted; both engines must produce the same snapshot. After an intended change of a
//! body: `cargo insta review` (or `INSTA_UPDATE=always cargo test`), and read the diff.
use crate::dual;
use crate::pazemo::support::*;
use crate::pumapay::support::*;
use crate::support::*;
use payplane_app::pazemo::auth::Mode;
use serde_json::Value;

/// The body as pretty JSON text with the values at `redact` (JSON pointers) replaced by a
/// placeholder. Text, not insta's serializer: with serde_json's arbitrary precision (which a
/// dependency turns on) that would print numbers as private maps.
fn shown(mut body: Value, redact: &[(&str, &str)]) -> String {
    for (pointer, placeholder) in redact {
        let slot = body
            .pointer_mut(pointer)
            .unwrap_or_else(|| panic!("no {pointer} in the body"));
        *slot = Value::String(placeholder.to_string());
    }
    serde_json::to_string_pretty(&body).expect("JSON")
}

dual!(a_new_withdrawal_body, async |b| {
    let t = TestApp::start(b).await;
    let u = t.user(Mode::Test).await;
    let acct = open_account(&t, &u, "IDR").await;
    deposit(&t, &u, &acct, "1000000").await;
    let (s, w) = withdraw(&t, &u, &acct, "150000").await;
    assert_eq!(s, 200, "{w}");
    insta::assert_snapshot!(
        "withdrawal",
        shown(
            w,
            &[
                ("/id", "[id]"),
                ("/accountId", "[account id]"),
                ("/transactionId", "[ledger transaction]"),
                ("/createdTime", "[time]"),
                ("/updatedTime", "[time]"),
            ]
        )
    );
});

dual!(a_new_subscription_payment_model_body, async |b| {
    let t = TestApp::start(b).await;
    let biz = business(&t).await;
    let pid = product(&t, &biz, &biz.id).await;
    let (s, body) = t
        .pumapay(&biz)
        .post(
            "/api-key-auth/pull-payment-models",
            &model_body(3, &biz.id, &pid),
        )
        .await;
    assert_eq!(s, 200, "{body}");
    insta::assert_snapshot!(
        "subscription_payment_model",
        shown(
            body,
            &[
                ("/data/id", "[id]"),
                ("/data/businessID", "[business id]"),
                ("/data/productID", "[product id]"),
                ("/data/createdAt", "[time]"),
                ("/data/updatedAt", "[time]"),
            ]
        )
    );
});
