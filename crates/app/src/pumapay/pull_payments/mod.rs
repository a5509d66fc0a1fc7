//! Pull payments: what customers sign for payment models, and what happens to them.
pub mod requests;
