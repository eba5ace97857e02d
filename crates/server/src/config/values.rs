//! The types of settings that are not plain numbers, strings or paths.
use serde::{Deserialize, Serialize};
use std::net::SocketAddr;

/// `oidc_default_role`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RoleSetting {
    None,
    Viewer,
    Analyst,
    Admin,
    Owner,
}

/// `log_backend`: where the event log is replicated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogBackend {
    /// One node: the embedded store is the log.
    Embedded,
    /// A cluster: NATS JetStream holds the log, each node's embedded store is a replica.
    Jetstream,
}

/// `log_format`: `"text"` or `"json"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    Text,
    Json,
}

/// `metrics_addr`: a socket address such as `"127.0.0.1:9464"` (port 0: any free port), or
/// `"off"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub enum MetricsAddr {
    Off,
    At(SocketAddr),
}

impl TryFrom<String> for MetricsAddr {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        if s.eq_ignore_ascii_case("off") {
            return Ok(MetricsAddr::Off);
        }
        s.parse().map(MetricsAddr::At).map_err(|_| {
            format!("metrics_addr must be an address such as 127.0.0.1:9464 or \"off\", not {s:?}")
        })
    }
}

impl MetricsAddr {
    /// As written in configuration.
    pub fn to_string_lossy(self) -> String {
        self.into()
    }
}

impl From<MetricsAddr> for String {
    fn from(a: MetricsAddr) -> String {
        match a {
            MetricsAddr::Off => "off".into(),
            MetricsAddr::At(addr) => addr.to_string(),
        }
    }
}

/// `"1.0.3"` or `"2.0.0"` in configuration.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum XapiVersionSetting {
    #[serde(rename = "1.0.3")]
    V1_0_3,
    #[serde(rename = "2.0.0")]
    V2_0_0,
}

impl From<XapiVersionSetting> for cairn_xapi::XapiVersion {
    fn from(v: XapiVersionSetting) -> Self {
        match v {
            XapiVersionSetting::V1_0_3 => cairn_xapi::XapiVersion::V1_0_3,
            XapiVersionSetting::V2_0_0 => cairn_xapi::XapiVersion::V2_0_0,
        }
    }
}
