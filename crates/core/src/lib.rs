//! `cairn-core` owns Cairn's domain: the event types appended to the log, the ports (traits) that
//! storage and analytics adapters implement, and the services built on them — the group-commit
//! writer, the statement service (write rules, voiding, conflicts, attachments, reads), the
//! in-memory tail of not-yet-projected statements, and the projector. It depends only on the pure
//! xAPI model (`cairn-xapi`); adapters depend on it, never the other way round.

pub mod activities;
pub mod analytics;
pub mod archive;
pub mod audit;
pub mod auth;
pub mod codec;
pub mod dashboards;
pub mod degraded;
pub mod documents;
pub mod error;
pub mod event;
pub mod facts;
pub mod forwarding;
pub mod health;
pub mod ids;
pub mod key_index;
pub mod personas;
pub mod ports;
pub mod projection_lease;
pub mod projector;
pub mod purge;
pub mod query;
pub mod replicated;
pub mod sso;
pub mod statements;
pub mod tail;
pub mod tenancy;
pub mod time_fmt;
pub mod timeline;
pub mod voiding;
pub mod writer;

pub use error::Error;
pub use event::{Event, FilterKeys, StatementRecord};
pub use ids::StoreId;
pub use ports::{LogStore, PersonaLink, Projection, ProjectionError, StoreError, WriteSet};
pub use query::{Page, StatementQuery};
pub use voiding::Retraction;
