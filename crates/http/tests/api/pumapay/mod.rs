//! The pull-payment billing API (seed 004).
pub mod support;

mod anvil;
mod authz;
mod business;
mod console;
mod crash;
pub mod executor;
mod models;
mod network;
mod pay_page;
mod postback_routing;
mod postbacks;
mod products;
mod psp;
mod rates;
mod reads;
pub mod settlement;
mod test_clock;
mod wallet_flow;
