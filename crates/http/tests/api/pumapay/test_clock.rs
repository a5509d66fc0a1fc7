//! The test clock: `POST /api/v2/admin/test-clock/advance` moves the test network's schedule time
//! and the embedded network's block time together.
use crate::dual;
use crate::support::*;
use payplane_app::pumapay::networks::network;
use serde_json::{Value, json as j};

const PATH: &str = "/api/v2/admin/test-clock/advance";

async fn advance(t: &TestApp, who: Option<&TestUser>, body: Value) -> (u16, Value) {
    let mut rb = t.post(PATH).json(&body);
    if let Some(u) = who {
        rb = rb.header("authorization", u.bearer());
    }
    send(rb).await
}

async fn latest_block(t: &TestApp) -> Value {
    let (s, body) = send(t.post("/api/v2/open-auth/rpc/3").json(&j!({
        "jsonrpc": "2.0", "id": 1, "method": "eth_getBlockByNumber", "params": ["latest", false]
    })))
    .await;
    assert_eq!(s, 200, "{body}");
    body["result"].clone()
}

fn hex_u64(v: &Value) -> u64 {
    u64::from_str_radix(v.as_str().unwrap().trim_start_matches("0x"), 16).unwrap()
}

dual!(
    advancing_moves_schedule_time_and_block_time_together,
    async |b| {
        let t = TestApp::start(b).await;
        let op = t.admin().await;
        let net = network(&t.app, 3).await.unwrap();
        let before = net.now_secs(&t.app);
        let month = 30 * 86_400;
        let (s, body) = advance(&t, Some(&op), j!({"seconds": month})).await;
        assert_eq!(s, 200, "{body}");
        assert_eq!(body["success"], true);
        assert_eq!(body["data"]["networkID"], 3);
        assert_eq!(body["data"]["offsetSeconds"], month);
        assert_eq!(body["data"]["now"], before + month);
        assert_eq!(net.now_secs(&t.app), before + month);
        // A second advance adds to the first, with networkID given.
        let (s, body) = advance(&t, Some(&op), j!({"seconds": 60, "networkID": 3})).await;
        assert_eq!(s, 200, "{body}");
        assert_eq!(body["data"]["offsetSeconds"], month + 60);
        assert_eq!(net.now_secs(&t.app), before + month + 60);
        // The next block (a faucet drip mines two) carries the moved time.
        let (s, body) = send(
            t.post("/api/v2/open-auth/faucet")
                .json(&j!({"address": "0x00000000000000000000000000000000000c10c4"})),
        )
        .await;
        assert_eq!(s, 200, "{body}");
        let block = latest_block(&t).await;
        assert_eq!(hex_u64(&block["timestamp"]) as i64, before + month + 60);
        // The offset is stored: a fresh read of the table, and the audit log, say so.
        let stored = payplane_store::pumapay::clocks::offset(&t.app.db.read, 3)
            .await
            .unwrap();
        assert_eq!(stored, month + 60);
        let pool = &t.app.db.read;
        let rows: Vec<(String, String, String)> = sqlx::query_as(
            "SELECT actor, action, target FROM audit_log WHERE action = $1 ORDER BY created_at",
        )
        .bind("test-clock.advance")
        .fetch_all(pool)
        .await
        .unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].0, op.id);
        assert_eq!(rows[0].2, format!("network-3+{month}"));
    }
);

dual!(bad_bodies_networks_and_callers_are_refused, async |b| {
    let t = TestApp::start(b).await;
    let op = t.admin().await;
    for (body, field) in [
        (j!({}), "seconds"),
        (j!({"seconds": 0}), "seconds"),
        (j!({"seconds": -5}), "seconds"),
        (j!({"seconds": 400_000_000}), "seconds"),
        (j!({"seconds": "soon"}), "seconds"),
        (j!({"seconds": 1.5}), "seconds"),
        (j!({"seconds": 60, "networkID": 1}), "networkID"),
        (j!({"seconds": 60, "networkID": 7}), "networkID"),
    ] {
        let (s, res) = advance(&t, Some(&op), body.clone()).await;
        assert_eq!(s, 400, "{body}: {res}");
        assert_eq!(res["success"], false);
        assert_eq!(res["errors"][0]["field"], field, "{body}: {res}");
    }
    // No credential, or a credential that is not an operator's.
    let (s, _) = advance(&t, None, j!({"seconds": 60})).await;
    assert_eq!(s, 401);
    let user = t.user(payplane_app::pazemo::auth::Mode::Test).await;
    let (s, res) = advance(&t, Some(&user), j!({"seconds": 60})).await;
    assert_eq!(s, 403, "{res}");
    // Nothing moved.
    let stored = payplane_store::pumapay::clocks::offset(&t.app.db.read, 3)
        .await
        .unwrap();
    assert_eq!(stored, 0);
});

dual!(switched_off_the_test_clock_is_refused, async |b| {
    let t = TestApp::builder(b)
        .config(|c| c.pull_payments.test_clock = false)
        .start()
        .await;
    let op = t.admin().await;
    let (s, res) = advance(&t, Some(&op), j!({"seconds": 60})).await;
    assert_eq!(s, 403, "{res}");
    assert_eq!(res["errors"][0]["code"], "error.test.clock.disabled");
    let net = network(&t.app, 3).await.unwrap();
    assert_eq!(
        net.clock_offset.load(std::sync::atomic::Ordering::SeqCst),
        0
    );
});
