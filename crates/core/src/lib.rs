//! Domain types and rules of payplane: pure, no IO, no async.
pub mod clock;
pub mod ids;
pub mod kinds;
pub mod ledger;
pub mod money;
pub mod secrets;
pub mod text;
pub mod timefmt;

pub use clock::{Clock, SystemClock, TestClock};
pub use money::{Currency, MoneyError};
