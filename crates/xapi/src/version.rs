//! xAPI versions Cairn speaks.

use serde::{Deserialize, Serialize};

/// The xAPI version of a request (from the `X-Experience-API-Version` header).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum XapiVersion {
    /// xAPI 1.0.x (served as 1.0.3).
    V1_0_3,
    /// xAPI 2.0.x (IEEE 9274.1.1).
    V2_0_0,
}

impl XapiVersion {
    /// Parse the `X-Experience-API-Version` header: `1.0`, `1.0.x` => [`XapiVersion::V1_0_3`];
    /// `2.0`, `2.0.x` => [`XapiVersion::V2_0_0`]; anything else => `None`.
    pub fn from_header(s: &str) -> Option<Self> {
        let s = s.trim();
        if is_version_of(s, "1.0") {
            Some(Self::V1_0_3)
        } else if is_version_of(s, "2.0") {
            Some(Self::V2_0_0)
        } else {
            None
        }
    }

    /// The full version string: `"1.0.3"` or `"2.0.0"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::V1_0_3 => "1.0.3",
            Self::V2_0_0 => "2.0.0",
        }
    }

    /// The value the LRS stores in a statement's `version` property when the client sent none.
    pub fn default_statement_version(self) -> &'static str {
        match self {
            Self::V1_0_3 => "1.0.0",
            Self::V2_0_0 => "2.0.0",
        }
    }

    /// Whether a statement's own `version` property is acceptable in a request of this version.
    /// 1.0.x is accepted everywhere; 2.0.x only in 2.0 requests.
    pub fn accepts_statement_version(self, v: &str) -> bool {
        is_version_of(v, "1.0") || (self == Self::V2_0_0 && is_version_of(v, "2.0"))
    }
}

/// `s` is `prefix` or `prefix.N` where N is a non-empty run of ASCII digits.
pub(crate) fn is_version_of(s: &str, prefix: &str) -> bool {
    match s.strip_prefix(prefix) {
        Some("") => true,
        Some(rest) => rest
            .strip_prefix('.')
            .is_some_and(|d| !d.is_empty() && d.bytes().all(|b| b.is_ascii_digit())),
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_parsing() {
        for ok in ["1.0", "1.0.0", "1.0.1", "1.0.3", "1.0.9", " 1.0.3 "] {
            assert_eq!(
                XapiVersion::from_header(ok),
                Some(XapiVersion::V1_0_3),
                "{ok}"
            );
        }
        for ok in ["2.0", "2.0.0", "2.0.1"] {
            assert_eq!(
                XapiVersion::from_header(ok),
                Some(XapiVersion::V2_0_0),
                "{ok}"
            );
        }
        for bad in [
            "", "1", "1.1", "1.1.0", "0.9.5", "1.0.", "1.0.x", "2.1.0", "3.0", "1.0.3a", "2",
        ] {
            assert_eq!(XapiVersion::from_header(bad), None, "{bad}");
        }
    }

    #[test]
    fn as_str_and_statement_versions() {
        assert_eq!(XapiVersion::V1_0_3.as_str(), "1.0.3");
        assert_eq!(XapiVersion::V2_0_0.as_str(), "2.0.0");
        assert!(XapiVersion::V1_0_3.accepts_statement_version("1.0.9"));
        assert!(!XapiVersion::V1_0_3.accepts_statement_version("2.0.0"));
        assert!(XapiVersion::V2_0_0.accepts_statement_version("2.0.0"));
        assert!(XapiVersion::V2_0_0.accepts_statement_version("1.0"));
        assert!(!XapiVersion::V2_0_0.accepts_statement_version("1.1.0"));
        assert!(!XapiVersion::V2_0_0.accepts_statement_version("should fail"));
    }
}
