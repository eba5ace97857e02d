//! The query string of `GET /xapi/statements`, checked and turned into what it asks for with no
//! I/O (so that it can be fuzzed on its own, `fuzz/fuzz_targets/query_params.rs`).
use crate::error::ApiError;
use cairn_core::ids::StoreId;
use cairn_core::query::StatementQuery;
use cairn_xapi::{Format, XapiVersion};
use uuid::Uuid;

const PARAMS: [&str; 15] = [
    "statementId",
    "voidedStatementId",
    "agent",
    "verb",
    "activity",
    "registration",
    "related_activities",
    "related_agents",
    "since",
    "until",
    "limit",
    "format",
    "attachments",
    "ascending",
    "more",
];

pub(crate) struct Params(pub(crate) Vec<(String, String)>);

impl Params {
    pub(crate) fn parse(raw: Option<&str>, allowed: &[&str]) -> Result<Self, ApiError> {
        let mut out: Vec<(String, String)> = Vec::new();
        for (k, v) in form_urlencoded::parse(raw.unwrap_or("").as_bytes()) {
            if !allowed.contains(&k.as_ref()) {
                return Err(ApiError::bad_request(format!("unknown parameter {k:?}")));
            }
            if out.iter().any(|(e, _)| *e == k) {
                return Err(ApiError::bad_request(format!(
                    "parameter {k:?} is given twice"
                )));
            }
            out.push((k.into_owned(), v.into_owned()));
        }
        Ok(Params(out))
    }

    pub(crate) fn get(&self, k: &str) -> Option<&str> {
        self.0.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str())
    }

    pub(crate) fn bool(&self, k: &str) -> Result<bool, ApiError> {
        match self.get(k) {
            None | Some("false") => Ok(false),
            Some("true") => Ok(true),
            Some(v) => Err(ApiError::bad_request(format!(
                "{k} must be true or false, not {v:?}"
            ))),
        }
    }

    pub(crate) fn uuid(&self, k: &str) -> Result<Option<Uuid>, ApiError> {
        self.get(k)
            .map(|v| {
                Uuid::parse_str(v)
                    .map_err(|_| ApiError::bad_request(format!("{k} must be a UUID, not {v:?}")))
            })
            .transpose()
    }
}

fn parse_format(v: Option<&str>) -> Result<Format, ApiError> {
    match v {
        None | Some("exact") => Ok(Format::Exact),
        Some("ids") => Ok(Format::Ids),
        Some("canonical") => Ok(Format::Canonical),
        Some(o) => Err(ApiError::bad_request(format!(
            "format must be ids, exact or canonical, not {o:?}"
        ))),
    }
}

fn format_code(f: &Format) -> u8 {
    match f {
        Format::Exact => 0,
        Format::Ids => 1,
        Format::Canonical => 2,
    }
}

/// What a `GET /xapi/statements` query string asks for.
#[derive(Debug)]
pub enum GetRequest {
    /// The next page of an earlier query (the `more` token, not yet checked).
    More(String),
    /// One statement by `statementId` or `voidedStatementId`.
    Single {
        id: Uuid,
        voided: bool,
        /// The format's code in a [`cairn_core::query::Cursor`].
        format: u8,
        attachments: bool,
    },
    /// A filtered query, its first page of `limit` statements.
    Query {
        query: StatementQuery,
        limit: usize,
        format: u8,
        attachments: bool,
    },
}

/// Checks the query string `raw` of a statements read by a client of `store` (`mine`: the
/// client reads only what it wrote) and answers what it asks for, or a 400 saying what is wrong.
pub fn parse_get(
    raw: Option<&str>,
    store: StoreId,
    mine: Option<String>,
    page_max: usize,
) -> Result<GetRequest, ApiError> {
    let p = Params::parse(raw, &PARAMS)?;
    if let Some(token) = p.get("more") {
        if p.0.len() != 1 {
            return Err(ApiError::bad_request(
                "more cannot be combined with other parameters",
            ));
        }
        return Ok(GetRequest::More(token.to_owned()));
    }
    let statement_id = p.uuid("statementId")?;
    let voided_id = p.uuid("voidedStatementId")?;
    let format = format_code(&parse_format(p.get("format"))?);
    let attachments = p.bool("attachments")?;
    let single = match (statement_id, voided_id) {
        (Some(_), Some(_)) => {
            return Err(ApiError::bad_request(
                "statementId and voidedStatementId cannot be used together",
            ));
        }
        (Some(id), None) => Some((id, false)),
        (None, Some(id)) => Some((id, true)),
        (None, None) => None,
    };
    if let Some((id, voided)) = single {
        if let Some((k, _)) = p.0.iter().find(|(k, _)| {
            !matches!(
                k.as_str(),
                "statementId" | "voidedStatementId" | "format" | "attachments"
            )
        }) {
            return Err(ApiError::bad_request(format!(
                "{k} cannot be used with statementId or voidedStatementId"
            )));
        }
        return Ok(GetRequest::Single {
            id,
            voided,
            format,
            attachments,
        });
    }
    let version = XapiVersion::V2_0_0;
    let mut q = StatementQuery::new(store);
    q.authority = mine;
    if let Some(a) = p.get("agent") {
        let actor = cairn_xapi::parse_agent_param(a, version)
            .map_err(|e| ApiError::bad_request(format!("agent: {e}")))?;
        q.agent = Some(actor.ifi_key().ok_or_else(|| {
            ApiError::bad_request("agent must be an Agent or an identified Group")
        })?);
    }
    let iri = |k: &str| {
        p.get(k)
            .map(|v| {
                cairn_xapi::parse_iri_param(k, v)
                    .map(str::to_owned)
                    .map_err(|e| ApiError(e.into()))
            })
            .transpose()
    };
    q.verb = iri("verb")?;
    q.activity = iri("activity")?;
    q.registration = p.uuid("registration")?.map(|u| u.hyphenated().to_string());
    q.related_activities = p.bool("related_activities")?;
    q.related_agents = p.bool("related_agents")?;
    q.ascending = p.bool("ascending")?;
    let time = |k: &str| {
        p.get(k)
            .map(|v| {
                cairn_xapi::parse_timestamp_param(k, v)
                    .map(|nanos| (nanos / 1000) as i64)
                    .map_err(|e| ApiError(e.into()))
            })
            .transpose()
    };
    q.since_us = time("since")?;
    q.until_us = time("until")?;
    let limit = match p.get("limit") {
        None => 0,
        Some(v) => v.parse::<usize>().map_err(|_| {
            ApiError::bad_request(format!("limit must be a non-negative integer, not {v:?}"))
        })?,
    };
    let limit = if limit == 0 || limit > page_max {
        page_max
    } else {
        limit
    };
    Ok(GetRequest::Query {
        query: q,
        limit,
        format,
        attachments,
    })
}
