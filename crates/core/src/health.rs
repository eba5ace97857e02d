//! Health: whether this node should receive traffic. Live means the process answers; ready means
//! the embedded store still accepts writes, the projection's server (ClickHouse) answers within a
//! timeout, and the projection is not further behind the log than a threshold. The report is
//! serialized as the body of `/health/ready`.
use crate::ports::Projection;
use crate::tail::Tail;
use crate::writer::WriterHandle;
use serde::Serialize;
use std::sync::Arc;
use std::time::Duration;

#[derive(Debug, Clone)]
pub struct HealthConfig {
    /// How long the readiness check waits for the projection's server.
    pub clickhouse_timeout: Duration,
    /// Not ready once the oldest unprojected statement waits longer than this (`None`: no bound).
    pub max_lag: Option<Duration>,
}

impl Default for HealthConfig {
    fn default() -> Self {
        HealthConfig {
            clickhouse_timeout: Duration::from_secs(1),
            max_lag: Some(Duration::from_secs(300)),
        }
    }
}

/// How far the projection is behind the log.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Lag {
    /// Statements committed to the log and not yet in the projection.
    pub statements: usize,
    /// How long the oldest of them has waited, in seconds (0 when none waits).
    pub seconds: f64,
}

/// One check of the readiness report.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Check {
    pub ok: bool,
    /// Why the check failed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

impl Check {
    fn pass() -> Self {
        Check {
            ok: true,
            error: None,
        }
    }

    fn fail(error: impl Into<String>) -> Self {
        Check {
            ok: false,
            error: Some(error.into()),
        }
    }
}

/// The projection lag against its threshold.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LagCheck {
    pub ok: bool,
    pub lag_statements: usize,
    pub lag_seconds: f64,
    /// The threshold (absent: lag never makes the node not ready).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_lag_seconds: Option<u64>,
}

/// The body of `/health/ready`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Readiness {
    /// `"ready"` or `"not_ready"`.
    pub status: &'static str,
    pub store: Check,
    pub clickhouse: Check,
    pub projection: LagCheck,
}

impl Readiness {
    pub fn is_ready(&self) -> bool {
        self.status == "ready"
    }
}

/// Answers liveness and readiness. Cheap to clone.
#[derive(Clone)]
pub struct Health {
    writer: WriterHandle,
    projection: Arc<dyn Projection>,
    tail: Arc<Tail>,
    config: HealthConfig,
}

impl Health {
    pub fn new(
        writer: WriterHandle,
        projection: Arc<dyn Projection>,
        tail: Arc<Tail>,
        config: HealthConfig,
    ) -> Self {
        Health {
            writer,
            projection,
            tail,
            config,
        }
    }

    /// How far the projection is behind, now.
    pub fn lag(&self) -> Lag {
        let (statements, oldest) = self.tail.pending();
        let seconds = oldest.map_or(0.0, |us| {
            (crate::time_fmt::now_us().saturating_sub(us)).max(0) as f64 / 1e6
        });
        Lag {
            statements,
            seconds,
        }
    }

    /// The last sequence number committed to the log, and the projection's checkpoint.
    pub fn log_position(&self) -> (u64, u64) {
        (self.writer.last_seq(), self.tail.watermark())
    }

    /// Why the embedded store refused a write, once it has (then the node never becomes ready
    /// again: it must be restarted).
    pub fn store_failure(&self) -> Option<String> {
        self.writer.failure()
    }

    /// Checks every dependency; the ClickHouse check waits at most the configured timeout.
    pub async fn readiness(&self) -> Readiness {
        let store = match self.store_failure() {
            None => Check::pass(),
            Some(e) => Check::fail(format!("the embedded store refused a write: {e}")),
        };
        let timeout = self.config.clickhouse_timeout;
        let clickhouse = match tokio::time::timeout(timeout, self.projection.ping()).await {
            Ok(Ok(())) => Check::pass(),
            Ok(Err(e)) => Check::fail(e.to_string()),
            Err(_) => Check::fail(format!("no answer within {} ms", timeout.as_millis())),
        };
        let lag = self.lag();
        let max = self.config.max_lag;
        let projection = LagCheck {
            ok: max.is_none_or(|m| lag.seconds <= m.as_secs_f64()),
            lag_statements: lag.statements,
            lag_seconds: lag.seconds,
            max_lag_seconds: max.map(|m| m.as_secs()),
        };
        let ready = store.ok && clickhouse.ok && projection.ok;
        Readiness {
            status: if ready { "ready" } else { "not_ready" },
            store,
            clickhouse,
            projection,
        }
    }
}
