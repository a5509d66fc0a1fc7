//! The delivery engine behind account webhooks and pull-payment postbacks: signed (Standard
//! Webhooks), retried on a schedule with jitter, every attempt logged, private addresses refused.
pub mod at_rest;
pub mod deliver;
pub mod endpoints;
pub mod guard;
pub mod sign;
