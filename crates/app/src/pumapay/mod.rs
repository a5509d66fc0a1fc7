//! Pull-payment billing (the "PumaPay" API): the business console and its sessions, API-key
//! access, businesses and PSP sub-businesses, wallets and networks, products, payment models,
//! postbacks, pull payments and their fiat settlement.
pub mod access;
pub mod business_operator;
pub mod businesses;
pub mod console;
pub mod fields;
pub mod gas;
pub mod networks;
pub mod paging;
pub mod payment_models;
pub mod postbacks;
pub mod products;
pub mod pull_payments;
pub mod qr;
pub mod rates;
pub mod reference;
pub mod settlement;
pub mod sub_businesses;
pub mod test_clock;
pub mod transactions;
pub mod wallets;
