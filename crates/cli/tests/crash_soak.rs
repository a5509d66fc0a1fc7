//! The crash soak, short (`payplane_bench::soak`; the long run and its figures are in
//! `BENCH.md`): deposits, withdrawals with confirmations, webhook deliveries and the pulls of four
//! subscriptions (the test clock moved through their periods) while the server is SIGKILLed
//! every 3 s; then nothing may be lost or doubled.
use payplane_bench::soak::{SoakConfig, Topology, run};
use std::time::Duration;

async fn soak(database_url: String) {
    let r = run(SoakConfig {
        bin: env!("CARGO_BIN_EXE_payplane").into(),
        database_url,
        duration: Duration::from_secs(12),
        kill_every: Duration::from_secs(3),
        clients: 4,
        customers: 4,
        topology: Topology::Single,
        chain_rpc: None,
        scarce_funds: false,
    })
    .await
    .unwrap();
    eprintln!("{r:#?}");
    assert!(r.problems.is_empty(), "{:#?}", r.problems);
    assert!(r.kills >= 3, "the server was killed");
    assert!(r.deposits > 0 && r.confirms > 0 && r.events > 0, "load ran");
    assert_eq!(
        (r.subscriptions, r.pulls),
        (4, 16),
        "every due pull was made once"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nothing_is_lost_or_doubled_under_sigkill_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    soak(format!(
        "sqlite://{}/soak.db?mode=rwc",
        dir.path().display()
    ))
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nothing_is_lost_or_doubled_under_sigkill_postgres() {
    let base = payplane_testdb::postgres_url();
    let schema = format!("soak_{}", std::process::id());
    soak(payplane_bench::fresh_pg(&base, &schema).await.unwrap()).await;
}
