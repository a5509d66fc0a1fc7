//! payplane's use cases: one function per operation, each one database transaction; the
//! background workers; configuration. `pazemo` and `pumapay` hold the two API families' use cases
//! (mirroring the http crate's faces); the rest are engines both share. `docs/architecture.md`
//! walks a request through the layers.
pub mod batcher;
pub mod config;
pub mod error;
pub mod health;
pub mod jobs;
pub mod ledger;
pub mod limits;
pub mod login_throttle;
pub mod operator;
pub mod pazemo;
pub mod pumapay;
pub mod sealing;
pub mod state;
pub mod webhooks;

pub use config::Config;
pub use error::{AppError, Detail, ErrorKind};
pub use state::App;

/// Every job kind the worker runs, from each capability that has background work: the one place
/// that knows them all, so the worker itself imports no capability.
pub fn job_kinds() -> jobs::Registry {
    jobs::Registry::new(&[
        jobs::PLATFORM_JOBS,
        pazemo::beneficiaries::JOBS,
        pazemo::withdrawals::payout_jobs::JOBS,
        pumapay::pull_payments::executor::JOBS,
        pumapay::settlement::payout::JOBS,
    ])
}
