//! Webhook primitives shared by the API and the webhook dispatcher: sealing signing secrets at
//! rest ([`keyring`]), the Standard Webhooks signature scheme ([`signing`]), and the SSRF guard
//! that keeps deliveries away from loopback, private and metadata addresses ([`target`]).
//!
//! This crate owns no storage and no delivery loop. Its only I/O is DNS resolution and building
//! an HTTP client; it must never depend on the read store, the event log or actix.

pub mod keyring;
pub mod signing;
pub mod target;
