//! The pull-payment billing API (seed 004).
pub mod support;

mod anvil;
mod authz;
mod business;
mod console;
mod executor;
mod models;
mod network;
mod postback_routing;
mod postbacks;
mod products;
mod psp;
mod reads;
mod wallet_flow;
mod rates;
mod test_clock;
