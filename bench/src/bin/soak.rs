//! The crash soak (`payplane_bench::soak`): SIGKILL every few seconds under mixed load, then
//! checks that nothing was lost or doubled.
//!
//! `cargo build --release && cargo run --release -p payplane-bench --bin soak -- [secs] [database-url]`
//! (defaults: 300 s, PostgreSQL at `PAYPLANE_TEST_DATABASE_URL` or the local `test` database).
//! `PAYPLANE_BIN` names the server binary (default `target/release/payplane`).
use payplane_bench::fresh_pg;
use payplane_bench::soak::{SoakConfig, run};
use std::time::Duration;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let secs: u64 = args.get(1).map(|s| s.parse()).transpose()?.unwrap_or(300);
    let base = args.get(2).cloned().unwrap_or_else(|| {
        std::env::var("PAYPLANE_TEST_DATABASE_URL")
            .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into())
    });
    let database_url = if base.starts_with("postgres") {
        fresh_pg(&base, "soak").await?
    } else {
        base
    };
    let bin = std::env::var("PAYPLANE_BIN").unwrap_or_else(|_| "target/release/payplane".into());
    let r = run(SoakConfig {
        bin: bin.into(),
        database_url,
        duration: Duration::from_secs(secs),
        kill_every: Duration::from_secs(5),
        clients: 8,
        customers: 16,
    })
    .await?;
    println!("{r:#?}");
    let ops = r.requests as f64;
    println!(
        "{} kills in {secs} s; {} deposits, {} withdrawals ({} confirmed), {} pulls of {} subscriptions, {} events ({} webhook requests, {} repeats); restart p50 {:.0} ms, max {:.0} ms; settled {:.1} s after the last kill; server CPU {:.0} µs per request",
        r.kills,
        r.deposits,
        r.withdrawals,
        r.confirms,
        r.pulls,
        r.subscriptions,
        r.events,
        r.deliveries,
        r.redelivered,
        r.restart_ms.0,
        r.restart_ms.1,
        r.settle_secs,
        r.server_cpu_secs * 1e6 / ops.max(1.0)
    );
    if r.problems.is_empty() {
        println!("nothing lost, nothing doubled");
        Ok(())
    } else {
        for p in &r.problems {
            println!("PROBLEM: {p}");
        }
        anyhow::bail!("{} problem(s)", r.problems.len())
    }
}
