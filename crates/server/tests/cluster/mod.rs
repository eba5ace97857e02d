//! Helpers of the cluster tests.
pub mod admin;
pub mod erasure;
pub mod nats;
pub mod node;
pub mod provision;
