//! Identifiers shared by every adapter.
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// A store (one LRS endpoint inside an organisation). Part of every key and every row.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct StoreId(pub Uuid);

impl StoreId {
    /// The store created on first start; later issues make it an ordinary entity.
    pub const DEFAULT: StoreId = StoreId(Uuid::from_u128(1));

    pub fn as_bytes(&self) -> &[u8; 16] {
        self.0.as_bytes()
    }
}

impl std::fmt::Display for StoreId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}
