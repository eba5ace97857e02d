//! The audit log's records and its pure rules: which requests are recorded, and who sees a
//! record. A record says who did what and when, never with the request's body or a secret.
use crate::tenancy::{OrgId, Role, Subject, TenancyState, UserId};
use serde::{Deserialize, Serialize};

/// What kind of action a record is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AuditKind {
    /// Creating or changing an organisation, store, client, user, membership, token, persona,
    /// dashboard, saved filter or forwarder.
    Change,
    /// Deleting one of them (or statements).
    Deletion,
    /// An export of statements.
    Export,
    /// A share link made.
    ShareLink,
    /// The erasure of a person's data.
    Erasure,
}

impl AuditKind {
    pub fn as_str(self) -> &'static str {
        match self {
            AuditKind::Change => "change",
            AuditKind::Deletion => "deletion",
            AuditKind::Export => "export",
            AuditKind::ShareLink => "share_link",
            AuditKind::Erasure => "erasure",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [
            AuditKind::Change,
            AuditKind::Deletion,
            AuditKind::Export,
            AuditKind::ShareLink,
            AuditKind::Erasure,
        ]
        .into_iter()
        .find(|k| k.as_str() == s)
    }
}

/// One audited request (an `Event::Audit` in the log).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuditRecord {
    /// When it was committed (microseconds since the epoch; the writer sets it).
    pub at_us: i64,
    /// Who made the request.
    pub actor: UserId,
    pub kind: AuditKind,
    /// The HTTP method.
    pub method: String,
    /// The route template, e.g. `/api/v1/stores/{id}/clients`.
    pub route: String,
    /// The ids in the request's path, in order.
    pub targets: Vec<String>,
    /// The organisation the target belongs to (`None`: installation-wide, e.g. users).
    pub org: Option<OrgId>,
    /// The answer's HTTP status.
    pub status: u16,
}

/// Routes whose writes only read (analytics queries sent as POST bodies), and the sign-in
/// routes: none of them is recorded.
const NOT_AUDITED: [&str; 5] = [
    "/aggregate",
    "/funnel",
    "/statements/query",
    "/data",
    "/widget-preview",
];

/// Whether a request is recorded, and as what. `route` is the matched route template.
pub fn classify(method: &str, route: &str) -> Option<AuditKind> {
    if route.starts_with("/api/v1/auth/")
        || route.starts_with("/api/v1/setup")
        || route.starts_with("/api/v1/shared/")
    {
        return None;
    }
    if route.ends_with("/export") {
        return Some(AuditKind::Export);
    }
    if matches!(method, "GET" | "HEAD" | "OPTIONS")
        || NOT_AUDITED.iter().any(|r| route.ends_with(r))
    {
        return None;
    }
    if route.contains("erase") || route.contains("erasure") {
        return Some(AuditKind::Erasure);
    }
    if method == "DELETE" {
        return Some(AuditKind::Deletion);
    }
    if method == "POST" && route.ends_with("/links") {
        return Some(AuditKind::ShareLink);
    }
    Some(AuditKind::Change)
}

/// Who may read the audit log at all: site administrators, and administrators (or owners) of
/// some organisation.
pub fn may_list(subject: &Subject, st: &TenancyState) -> bool {
    subject.site_admin
        || st
            .orgs
            .keys()
            .any(|o| subject.role(st, *o).is_some_and(|r| r >= Role::Admin))
}

/// Whether `subject` sees `record`: site administrators see every record, organisation
/// administrators those of their organisations.
pub fn visible(record: &AuditRecord, subject: &Subject, st: &TenancyState) -> bool {
    subject.site_admin
        || record
            .org
            .is_some_and(|o| subject.role(st, o).is_some_and(|r| r >= Role::Admin))
}

/// The key of a record in the audit index: time, then log position (both big-endian), so that
/// keys sort by time.
pub fn key(at_us: i64, seq: u64) -> Vec<u8> {
    let mut k = Vec::with_capacity(16);
    k.extend_from_slice(&(at_us.max(0) as u64).to_be_bytes());
    k.extend_from_slice(&seq.to_be_bytes());
    k
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_is_recorded() {
        let c = |m, r| classify(m, r);
        assert_eq!(c("POST", "/api/v1/organisations"), Some(AuditKind::Change));
        assert_eq!(c("PATCH", "/api/v1/stores/{id}"), Some(AuditKind::Change));
        assert_eq!(
            c("DELETE", "/api/v1/stores/{id}"),
            Some(AuditKind::Deletion)
        );
        assert_eq!(
            c("POST", "/api/v1/dashboards/{id}/links"),
            Some(AuditKind::ShareLink)
        );
        assert_eq!(
            c("GET", "/api/v1/stores/{id}/statements/export"),
            Some(AuditKind::Export)
        );
        assert_eq!(
            c("POST", "/api/v1/stores/{id}/statements/export"),
            Some(AuditKind::Export)
        );
        assert_eq!(
            c("POST", "/api/v1/stores/{id}/erase"),
            Some(AuditKind::Erasure)
        );
        for (m, r) in [
            ("GET", "/api/v1/stores"),
            ("POST", "/api/v1/auth/login"),
            ("POST", "/api/v1/auth/logout"),
            ("POST", "/api/v1/setup"),
            ("POST", "/api/v1/stores/{id}/aggregate"),
            ("POST", "/api/v1/stores/{id}/statements/query"),
            ("POST", "/api/v1/dashboards/{id}/widgets/{widget}/data"),
            ("POST", "/api/v1/shared/{link}/widgets/{widget}/data"),
        ] {
            assert_eq!(c(m, r), None, "{m} {r}");
        }
    }

    #[test]
    fn keys_sort_by_time_then_position() {
        assert!(key(5, 9) < key(6, 1));
        assert!(key(6, 1) < key(6, 2));
        assert_eq!(AuditKind::parse("share_link"), Some(AuditKind::ShareLink));
        assert_eq!(AuditKind::parse("nope"), None);
    }
}
