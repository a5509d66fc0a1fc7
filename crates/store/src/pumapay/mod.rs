//! Tables of the pull-payment billing API: businesses, console accounts and sessions, products,
//! payment models, postback links, pull payments and their transactions, exchange rates, fiat settlements.
pub mod businesses;
pub mod clocks;
pub mod console;
pub mod network_contracts;
pub mod payment_models;
pub mod postbacks;
pub mod products;
pub mod pull_payments;
pub mod rates;
pub mod settlements;
pub mod transactions;
