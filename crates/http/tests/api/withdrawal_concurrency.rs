use crate::dual;
use crate::fixtures::*;
use crate::support::*;
use payplane_app::auth::Mode;

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
