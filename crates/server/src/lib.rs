//! `cairn-server` wires Cairn together: the typed configuration ([`config`]) and the assembly
//! of the embedded store, the ClickHouse projection, the writer, the projector and the HTTP
//! server into a running node ([`app`]), and its observability: logs and traces ([`telemetry`]),
//! Prometheus metrics ([`metrics`], [`measured`]), and the progress of long commands
//! ([`progress`]), online backups and restores ([`backup`]), and month archives ([`archive`]). The `cairn` binary is a thin CLI over this crate.
pub mod admin_cli;
pub mod app;
pub mod archive;
pub mod backup;
pub mod cluster;
pub mod cluster_seed;
pub mod config;
pub mod forwarding;
pub mod measured;
pub mod metrics;
pub mod progress;
pub mod projection_leases;
pub mod sign_in;
pub mod telemetry;
pub mod tls;
