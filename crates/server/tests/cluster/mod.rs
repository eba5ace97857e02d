//! Helpers of the cluster tests.
pub mod nats;
