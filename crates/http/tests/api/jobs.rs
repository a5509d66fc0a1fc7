use crate::dual;
use crate::support::*;
use payplane_app::App;
use payplane_store::jobs;
use std::sync::Arc;

async fn enqueue(app: &App, kind: &str, n: usize) -> Vec<String> {
    let mut ids = vec![];
    let mut tx = app.db.begin().await.unwrap();
    for _ in 0..n {
        ids.push(
            payplane_app::jobs::enqueue(app, &mut tx, kind, &serde_json::json!({}), app.now())
                .await
                .unwrap(),
        );
    }
    tx.commit().await.unwrap();
    ids
}

dual!(
    a_failing_job_backs_off_then_goes_to_dead_letter_with_its_error,
    async |b| {
        let t = TestApp::builder(b)
            .config(|c| c.worker.max_attempts = 3)
            .start()
            .await;
        let id = enqueue(&t.app, "always_fail", 1).await.remove(0);
        assert_eq!(t.run_jobs().await, 1);
        let s = jobs::state(&t.app.db, &id).await.unwrap().unwrap();
        assert_eq!((s.status.as_str(), s.attempts), ("queued", 1));
        assert_eq!(t.run_jobs().await, 0, "not due again before its backoff");
        for attempt in 2..=3 {
            t.clock.advance_secs(3600);
            assert_eq!(t.run_jobs().await, 1);
            let s = jobs::state(&t.app.db, &id).await.unwrap().unwrap();
            assert_eq!(s.attempts, attempt);
        }
        let s = jobs::state(&t.app.db, &id).await.unwrap().unwrap();
        assert_eq!(s.status, "dead");
        assert!(s.last_error.unwrap().contains("always fails"));
        t.clock.advance_secs(86_400);
        assert_eq!(t.run_jobs().await, 0, "dead jobs never run again");
    }
);

dual!(
    an_expired_lease_is_reclaimed_and_release_gives_jobs_back,
    async |b| {
        let t = TestApp::start(b).await;
        let id = enqueue(&t.app, "ping", 1).await.remove(0);
        let claimed = jobs::claim(&t.app.db, "dead-worker", t.app.now(), 60_000_000, 10)
            .await
            .unwrap();
        assert_eq!(claimed.len(), 1);
        assert_eq!(t.run_jobs().await, 0, "leased to another worker");
        t.clock.advance_secs(61);
        assert_eq!(t.run_jobs().await, 1);
        assert_eq!(
            jobs::state(&t.app.db, &id).await.unwrap().unwrap().status,
            "done"
        );
        assert!(
            !jobs::complete(&t.app.db, &id, "dead-worker", t.app.now())
                .await
                .unwrap(),
            "the old holder cannot complete it"
        );

        let id2 = enqueue(&t.app, "ping", 1).await.remove(0);
        jobs::claim(&t.app.db, "leaving-worker", t.app.now(), 60_000_000, 10)
            .await
            .unwrap();
        assert_eq!(
            jobs::release(&t.app.db, "leaving-worker", t.app.now())
                .await
                .unwrap(),
            1
        );
        let s = jobs::state(&t.app.db, &id2).await.unwrap().unwrap();
        assert_eq!((s.status.as_str(), s.attempts), ("queued", 0));
    }
);

dual!(
    two_workers_on_one_database_never_run_the_same_job_twice,
    async |b| {
        let t = TestApp::start(b).await;
        // A second, independent instance (its own pools) on the same database, as a second process.
        let mut config = t.app.config.clone();
        config.database_url = payplane_app::config::Secret(t.database_url.clone());
        let other = App::start(config, Arc::new(t.clock.clone())).await.unwrap();
        let n = 300;
        enqueue(&t.app, "ping", n).await;
        let run = |app: App, name: &'static str| async move {
            let mut total = 0;
            loop {
                let k = payplane_app::jobs::worker::run_due(&app, name)
                    .await
                    .unwrap();
                if k == 0 {
                    return total;
                }
                total += k;
            }
        };
        let (a, b2) = tokio::join!(run(t.app.clone(), "worker-a"), run(other, "worker-b"));
        assert_eq!(a + b2, n, "every job claimed exactly once (a={a}, b={b2})");
        let (done, max_attempts): (i64, i64) = {
            sqlx::query_as::<_, (i64, i64)>(
                "SELECT COUNT(*), MAX(attempts) FROM jobs WHERE status = 'done'",
            )
            .fetch_one(&t.app.db.read)
            .await
            .unwrap()
        };
        assert_eq!(done as usize, n);
        assert_eq!(max_attempts, 1, "no job was claimed twice");
    }
);
