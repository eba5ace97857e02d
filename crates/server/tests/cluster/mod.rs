//! Helpers of the cluster tests.
pub mod erasure;
pub mod nats;
pub mod node;
pub mod provision;
