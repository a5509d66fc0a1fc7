//! The crash soak (`payplane_bench::soak`): SIGKILL every few seconds under mixed load, then
//! checks that nothing was lost or doubled.
//!
//! `cargo build --release && cargo run --release -p payplane-bench --bin soak -- [secs] [database-url]`
//! (defaults: 300 s, PostgreSQL at `PAYPLANE_TEST_DATABASE_URL` or the local `test` database).
//! `PAYPLANE_BIN` names the server binary (default `target/release/payplane`).
//! `SOAK_PROCESSES=API,WORKERS` (e.g. `2,2`) runs that many `--role api` and `--role worker`
//! processes on one PostgreSQL instead of one process, the kills going to each in turn, with the
//! test network on an anvil node it starts (`ANVIL_BIN`, see `payplane_testdb::anvil`).
use payplane_bench::fresh_pg;
use payplane_bench::soak::{SoakConfig, Topology, run};
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
    let topology = match std::env::var("SOAK_PROCESSES") {
        Ok(p) => {
            let (api, workers) = p
                .split_once(',')
                .ok_or_else(|| anyhow::anyhow!("SOAK_PROCESSES=API,WORKERS, e.g. 2,2"))?;
            Topology::Split {
                api: api.trim().parse()?,
                workers: workers.trim().parse()?,
            }
        }
        Err(_) => Topology::Single,
    };
    let anvil = match topology {
        Topology::Single => None,
        Topology::Split { .. } => Some(
            payplane_testdb::anvil::spawn(&[])
                .ok_or_else(|| anyhow::anyhow!("several processes need anvil (ANVIL_BIN)"))?,
        ),
    };
    let bin = std::env::var("PAYPLANE_BIN").unwrap_or_else(|_| "target/release/payplane".into());
    let r = run(SoakConfig {
        bin: bin.into(),
        database_url,
        duration: Duration::from_secs(secs),
        kill_every: Duration::from_secs(5),
        clients: 8,
        customers: 16,
        topology,
        chain_rpc: anvil.as_ref().map(|a| a.url.clone()),
        scarce_funds: anvil.is_some(),
    })
    .await?;
    println!("{r:#?}");
    let ops = r.requests as f64;
    println!(
        "{} processes, {} kills ({} API, {} worker) in {secs} s; {} deposits, {} withdrawals ({} confirmed, {} refused, {} paid out or failed), {} replays; {} pulls of {} subscriptions, {} postbacks; {} events ({} webhook requests, {} repeats); {} jobs; {} revocations (longest lag {:.0} ms); restart p50 {:.0} ms, max {:.0} ms; settled {:.1} s after the last kill; server CPU {:.0} µs per request",
        r.processes,
        r.kills,
        r.kills_api,
        r.kills_worker,
        r.deposits,
        r.withdrawals,
        r.confirms,
        r.refused,
        r.payouts,
        r.replays,
        r.pulls,
        r.subscriptions,
        r.postbacks,
        r.events,
        r.deliveries,
        r.redelivered,
        r.jobs_done,
        r.revocations,
        r.revocation_lag_ms,
        r.restart_ms.0,
        r.restart_ms.1,
        r.settle_secs,
        r.server_cpu_secs * 1e6 / ops.max(1.0)
    );
    drop(anvil);
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
