//! The error kinds of the domain. The HTTP adapter maps each kind to one status code.
use crate::ports::{ProjectionError, StoreError};

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The request is malformed or breaks an xAPI rule (400).
    #[error("{0}")]
    BadRequest(String),
    /// No valid credentials (401).
    #[error("{0}")]
    Unauthenticated(String),
    /// Too many requests; retry after this many seconds (429).
    #[error("too many requests; retry after {0} s")]
    RateLimited(u64),
    /// The credentials do not allow this (403).
    #[error("{0}")]
    Forbidden(String),
    /// Nothing there (404).
    #[error("not found")]
    NotFound,
    /// The same id already holds a different statement, or a document write lacks a precondition (409).
    #[error("{0}")]
    Conflict(String),
    /// An If-Match / If-None-Match precondition failed (412).
    #[error("{0}")]
    PreconditionFailed(String),
    /// The body is larger than configured (413).
    #[error("{0}")]
    PayloadTooLarge(String),
    /// The server is shutting down or overloaded (503).
    #[error("{0}")]
    Unavailable(String),
    /// Anything else: logged, never shown to clients (500).
    #[error("internal error: {0}")]
    Internal(String),
}

impl From<StoreError> for Error {
    fn from(e: StoreError) -> Self {
        Error::Internal(e.to_string())
    }
}

impl From<ProjectionError> for Error {
    fn from(e: ProjectionError) -> Self {
        use crate::ports::ProjectionErrorKind as Kind;
        match e.kind {
            Kind::Unavailable => Error::Unavailable(
                "analytics are unavailable while ClickHouse cannot be reached; \
                 statements are still accepted and served; retry later"
                    .into(),
            ),
            Kind::TooSlow => Error::Unavailable(
                "the analytics query ran longer than analytics_max_execution_seconds allows; \
                 narrow its time range or filter, or retry when the server is less busy"
                    .into(),
            ),
            Kind::TooLarge => Error::BadRequest(
                "the analytics query needs more memory than analytics_max_memory_mb allows; \
                 narrow its time range or filter, or group by fewer values"
                    .into(),
            ),
            Kind::Failed => Error::Internal(e.to_string()),
        }
    }
}

impl From<cairn_xapi::ValidationError> for Error {
    fn from(e: cairn_xapi::ValidationError) -> Self {
        Error::BadRequest(e.to_string())
    }
}
