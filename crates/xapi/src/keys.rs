use crate::model::Statement;
use serde::{Deserialize, Serialize};
/// stub
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct IndexKeys { pub agents: Vec<String>, pub related_agents: Vec<String>, pub verb: String, pub activities: Vec<String>, pub related_activities: Vec<String>, pub registration: Option<String> }
pub fn index_keys(_s: &Statement) -> IndexKeys { IndexKeys::default() }
