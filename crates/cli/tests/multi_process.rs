//! Several processes on one PostgreSQL, short (`payplane_bench::soak` with
//! `Topology::Split`; the long run and its figures are in `BENCH.md`, "Several processes on one
//! PostgreSQL"): 2 × `serve --role api` and 2 × `serve --role worker`, the test network on an
//! anvil node, under deposits, withdrawals racing for scarce funds, webhook deliveries, the pulls
//! and postbacks of four subscriptions and token revocations, while one process at a time is
//! SIGKILLed and restarted, each in turn. Nothing may be lost or doubled, no account overdrawn,
//! an `Idempotency-Key` replayed to the other API process gets the stored answer, and a token
//! revoked through one API process is refused by the other within the token cache time.
//!
//! PostgreSQL only: SQLite is single-process by design. Without anvil (`ANVIL_BIN`, PATH or
//! `contracts/install-tools.sh`) the test prints `SKIP:` and returns, except under CI (`CI` set),
//! where `.ci/run` installs anvil and a missing one is a failure.
use payplane_bench::soak::{SoakConfig, TOKEN_CACHE_SECS, Topology, run};
use std::time::Duration;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_api_and_two_worker_processes_lose_and_double_nothing_under_sigkill() {
    let Some(anvil) = payplane_testdb::anvil::spawn(&[]) else {
        assert!(
            std::env::var_os("CI").is_none(),
            "anvil is required under CI (.ci/run installs it)"
        );
        return;
    };
    let base = payplane_testdb::postgres_url();
    let schema = format!("multiproc_{}", std::process::id());
    let r = run(SoakConfig {
        bin: env!("CARGO_BIN_EXE_payplane").into(),
        database_url: payplane_bench::fresh_pg(&base, &schema).await.unwrap(),
        duration: Duration::from_secs(16),
        kill_every: Duration::from_secs(4),
        clients: 4,
        customers: 4,
        topology: Topology::Split { api: 2, workers: 2 },
        chain_rpc: Some(anvil.url.clone()),
        scarce_funds: true,
    })
    .await
    .unwrap();
    eprintln!("{r:#?}");
    assert!(r.problems.is_empty(), "{:#?}", r.problems);
    assert_eq!(r.processes, 4);
    assert!(
        r.kills_api >= 2 && r.kills_worker >= 1,
        "API and worker processes were killed: {r:?}"
    );
    assert!(r.deposits > 0 && r.confirms > 0 && r.events > 0, "load ran");
    assert!(r.refused > 0, "withdrawals raced for scarce funds");
    assert!(r.payouts > 0, "payouts were made");
    assert!(r.replays > 0, "answers were replayed to the other process");
    assert!(r.revocations > 0, "revocations were checked");
    assert!(
        r.revocation_lag_ms <= (TOKEN_CACHE_SECS * 1000 + 1000) as f64,
        "a revoked token was refused within the cache time"
    );
    assert_eq!(
        (r.subscriptions, r.pulls),
        (4, 16),
        "every due pull was made once"
    );
    assert!(r.postbacks >= 16, "every pull was posted back");
}
