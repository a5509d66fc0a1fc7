//! The pull-payment billing API (seed 004).
pub mod support;

mod anvil;
mod authz;
mod business;
mod console;
mod crash;
pub(crate) mod executor;
mod models;
mod network;
mod pay_page;
mod postback_routing;
mod postbacks;
mod products;
mod psp;
mod rates;
pub(crate) mod reads;
pub(crate) mod settlement;
mod test_clock;
mod wallet_flow;
