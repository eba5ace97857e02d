//! An ordered replicated log in memory for tests: an append succeeds only when
//! `expected_last` is its last position, as JetStream's expected-sequence rule does.
use cairn_core::ports::StoreError;
use cairn_core::replicated::{AppendError, ReplicatedLog};
use std::sync::Mutex;

/// An ordered log in memory: an append succeeds only when `expected_last` is its last position.
#[derive(Default)]
pub struct MemLog(pub Mutex<Vec<Vec<u8>>>);

impl ReplicatedLog for MemLog {
    fn append(&self, expected_last: u64, payload: Vec<u8>) -> Result<u64, AppendError> {
        let mut m = self.0.lock().unwrap();
        if m.len() as u64 != expected_last {
            return Err(AppendError::Behind);
        }
        m.push(payload);
        Ok(m.len() as u64)
    }

    fn read_after(&self, after: u64, limit: usize) -> Result<Vec<(u64, Vec<u8>)>, StoreError> {
        let m = self.0.lock().unwrap();
        Ok(m.iter()
            .enumerate()
            .skip(after as usize)
            .take(limit)
            .map(|(i, p)| (i as u64 + 1, p.clone()))
            .collect())
    }
}
