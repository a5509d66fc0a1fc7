//! Tables of the pull-payment billing API: businesses, console accounts and sessions, products,
//! payment models, postback links.
pub mod businesses;
pub mod console;
pub mod payment_models;
pub mod postbacks;
pub mod products;
