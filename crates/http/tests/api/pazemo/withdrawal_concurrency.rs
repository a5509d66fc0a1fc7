use crate::dual;
use crate::pazemo::support::*;
use crate::support::*;
use payplane_app::pazemo::auth::Mode;
use serde_json::Value;
use std::collections::HashMap;

dual!(
    two_hundred_parallel_withdrawals_against_fifty_withdrawals_of_funds_create_exactly_fifty,
    async |b| {
        let t = TestApp::start(b).await;
        let u = t.user(Mode::Test).await;
        let acct = open_account(&t, &u, "IDR").await;
        // 50 × (10,000 + 2,500 fee).
        deposit(&t, &u, &acct, "625000").await;
        let futs = (0..200).map(|_| withdraw(&t, &u, &acct, "10000"));
        let results = futures::future::join_all(futs).await;
        let created = results.iter().filter(|(s, _)| *s == 200).count();
        let refused = results
            .iter()
            .filter(|(s, b)| *s == 402 && b["errors"][0]["code"] == "error.balance.insufficient")
            .count();
        assert_eq!(
            (created, refused),
            (50, 150),
            "{:?}",
            results.iter().find(|(s, _)| *s != 200 && *s != 402)
        );
        assert_eq!(
            balance(&t, &u, &acct).await,
            ("625000".into(), "-625000".into())
        );
        t.assert_ledger_sound().await;
    }
);

dual!(
    twenty_parallel_confirms_of_one_withdrawal_succeed_once,
    async |b| {
        let t = TestApp::start(b).await;
        let u = t.user(Mode::Test).await;
        let acct = open_account(&t, &u, "IDR").await;
        deposit(&t, &u, &acct, "100000").await;
        let (_, w) = withdraw(&t, &u, &acct, "1000").await;
        let id = w["id"].as_str().unwrap();
        let futs = (0..20).map(|_| act(&t, &u, &acct, id, "confirm", "000000"));
        let results = futures::future::join_all(futs).await;
        let ok = results.iter().filter(|(s, _)| *s == 200).count();
        let conflicts = results
            .iter()
            .filter(|(s, b)| {
                *s == 409 && b["errors"][0]["code"] == "error.withdrawal.already.confirmed"
            })
            .count();
        assert_eq!((ok, conflicts), (1, 19));
        let processing = event_types(&t, &u)
            .await
            .iter()
            .filter(|e| *e == "withdrawal.processing")
            .count();
        assert_eq!(processing, 1, "one event, one payout job");
        t.run_jobs().await;
        t.clock.advance_secs(3);
        t.run_jobs().await;
        assert_eq!(balance(&t, &u, &acct).await, ("96500".into(), "0".into()));
        t.assert_ledger_sound().await;
    }
);

dual!(
    a_parallel_confirm_and_cancel_leave_exactly_one_outcome,
    async |b| {
        let t = TestApp::start(b).await;
        let u = t.user(Mode::Test).await;
        let acct = open_account(&t, &u, "IDR").await;
        deposit(&t, &u, &acct, "100000").await;
        let (_, w) = withdraw(&t, &u, &acct, "1000").await;
        let id = w["id"].as_str().unwrap();
        let (c, x) = tokio::join!(
            act(&t, &u, &acct, id, "confirm", "000000"),
            act(&t, &u, &acct, id, "cancel", "000000")
        );
        assert_eq!(
            [c.0, x.0].iter().filter(|s| **s == 200).count(),
            1,
            "{c:?} {x:?}"
        );
        assert!([c.0, x.0].contains(&409));
        t.assert_ledger_sound().await;
    }
);

dual!(
    concurrent_creations_over_several_accounts_are_batched_without_mixing_their_money,
    async |b| {
        // Withdrawals of three users arrive together, so the group commit writes them in shared
        // transactions: each account keeps to its own balance, every withdrawal gets its own
        // hold, row, event (sequence 1) and webhook delivery.
        let t = TestApp::builder(b)
            .config(|c| c.webhooks.allow_private = true)
            .start()
            .await;
        let hook = Receiver::start().await;
        let mut users = vec![];
        for funded in [10, 3, 0] {
            let u = t.user(Mode::Test).await;
            let acct = open_account(&t, &u, "IDR").await;
            if funded > 0 {
                // `funded` × (10,000 + 2,500 fee).
                deposit(&t, &u, &acct, &(funded * 12_500).to_string()).await;
            }
            users.push((u, acct, funded));
        }
        subscribe(&t, &users[0].0, &hook).await;
        let t = &t;
        let futs = users.iter().flat_map(|(u, acct, _)| {
            (0..20).map(move |_| async move { (acct.clone(), withdraw(t, u, acct, "10000").await) })
        });
        let results = futures::future::join_all(futs).await;
        let mut txn_ids = std::collections::HashSet::new();
        let mut views = HashMap::new();
        for (u, acct, funded) in &users {
            let mine: Vec<_> = results
                .iter()
                .filter(|(a, _)| a == acct)
                .map(|(_, r)| r)
                .collect();
            let created: Vec<_> = mine.iter().filter(|(s, _)| *s == 200).collect();
            assert_eq!(created.len(), *funded as usize, "{acct}: {mine:?}");
            assert!(
                mine.iter()
                    .filter(|(s, _)| *s != 200)
                    .all(|(s, b)| *s == 402
                        && b["errors"][0]["code"] == "error.balance.insufficient"),
                "{mine:?}"
            );
            for (_, w) in &created {
                assert_eq!(w["status"], "pending");
                assert_eq!(w["accountId"], acct.as_str());
                assert!(txn_ids.insert(w["transactionId"].as_i64().unwrap()), "{w}");
                views.insert(w["id"].to_string(), w.clone());
            }
            // Everything the account had is now locked (shown negative) in its withdrawals.
            let held = funded * 12_500;
            assert_eq!(
                balance(t, u, acct).await,
                (held.to_string(), (-held).to_string())
            );
            let pending = pending_events(t, u).await;
            assert_eq!(pending.len(), *funded as usize);
            // Each event carries the withdrawal exactly as its creation answered (the
            // transaction id included, which PostgreSQL's batch statement draws itself).
            assert_carry_their_withdrawals(&pending, &views);
        }
        let delivered = delivered_pending(t, &hook).await;
        let withdrawals: std::collections::HashSet<_> = delivered
            .iter()
            .map(|e| e["data"]["id"].to_string())
            .collect();
        assert_eq!(
            (delivered.len(), withdrawals.len()),
            (10, 10),
            "one delivery per created withdrawal of the user with an endpoint"
        );
        assert!(
            delivered.iter().all(|e| e["sequence"] == 1),
            "{delivered:?}"
        );
        assert_carry_their_withdrawals(&delivered, &views);
        t.assert_ledger_sound().await;
    }
);

dual!(
    funded_concurrent_creations_carry_their_own_transaction_ids_into_ledger_events_and_webhooks,
    async |b| {
        // Every withdrawal of these batches fits, so PostgreSQL writes each batch with its one
        // statement, which draws the ledger ids itself and splices them into the rows, the
        // event payloads and the webhook bodies.
        let t = TestApp::builder(b)
            .config(|c| c.webhooks.allow_private = true)
            .start()
            .await;
        let hook = Receiver::start().await;
        let u = t.user(Mode::Test).await;
        let acct = open_account(&t, &u, "IDR").await;
        deposit(&t, &u, &acct, "1000000").await;
        subscribe(&t, &u, &hook).await;
        let futs = (0..12).map(|_| withdraw(&t, &u, &acct, "10000"));
        let mut views = HashMap::new();
        for (s, w) in futures::future::join_all(futs).await {
            assert_eq!(s, 200, "{w}");
            views.insert(w["id"].to_string(), w);
        }
        let txn_ids: std::collections::HashSet<_> = views
            .values()
            .map(|w| w["transactionId"].as_i64().unwrap())
            .collect();
        assert_eq!(txn_ids.len(), 12);
        // Each hold is in the account's history under the withdrawal's transaction id.
        let (s, history) = get(
            &t,
            &u,
            &format!("/users/me/accounts/{acct}/transactions?size=100"),
        )
        .await;
        assert_eq!(s, 200, "{history}");
        let holds: std::collections::HashSet<_> = history
            .as_array()
            .unwrap()
            .iter()
            .filter(|h| h["type"] == "hold")
            .map(|h| h["id"].as_i64().unwrap())
            .collect();
        assert_eq!(holds, txn_ids, "{history}");
        let pending = pending_events(&t, &u).await;
        assert_eq!(pending.len(), 12);
        assert_carry_their_withdrawals(&pending, &views);
        let delivered = delivered_pending(&t, &hook).await;
        assert_eq!(delivered.len(), 12);
        assert_carry_their_withdrawals(&delivered, &views);
        t.assert_ledger_sound().await;
    }
);

/// Subscribes `u` to webhooks at `hook`.
async fn subscribe(t: &TestApp, u: &TestUser, hook: &Receiver) {
    let (s, body) = json(
        t.post("/users/me/webhooks")
            .header("Authorization", u.bearer())
            .json(&serde_json::json!({"url": hook.url}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(s, 201, "{body}");
}

/// `u`'s `withdrawal.pending` events, from `GET /users/me/events`.
async fn pending_events(t: &TestApp, u: &TestUser) -> Vec<Value> {
    let (s, events) = get(t, u, "/users/me/events?size=100").await;
    assert_eq!(s, 200, "{events}");
    only_pending(events.as_array().unwrap().iter().cloned())
}

/// The `withdrawal.pending` webhook bodies `hook` received once deliveries have run.
async fn delivered_pending(t: &TestApp, hook: &Receiver) -> Vec<Value> {
    t.run_deliveries().await;
    only_pending(
        hook.received()
            .iter()
            .map(|r| serde_json::from_str(&r.body).unwrap()),
    )
}

fn only_pending(events: impl Iterator<Item = Value>) -> Vec<Value> {
    events
        .filter(|e| e["type"] == "withdrawal.pending")
        .collect()
}

/// Each event's `data` is the withdrawal exactly as its creation answered (`views` by id).
fn assert_carry_their_withdrawals(events: &[Value], views: &HashMap<String, Value>) {
    for e in events {
        assert_eq!(
            Some(&e["data"]),
            views.get(&e["data"]["id"].to_string()),
            "{e}"
        );
    }
}
