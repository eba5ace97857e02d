//! Helpers of the cluster tests.
pub mod nats;
pub mod node;
pub mod provision;
