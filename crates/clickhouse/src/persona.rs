//! The persona dimension on the projection: the projector records identifier → persona
//! assignments in `persona_identifiers`, and queries that name a persona (filter field,
//! group-by dimension or unique-persona measure) join the store's current mapping at read time on
//! `actor_ifi`. Both `statements` and `statements_hourly` carry `actor_ifi`, so persona queries
//! are served by the hourly aggregates too.
use crate::err;
use cairn_core::analytics::{AggregateQuery, Dimension, Measure};
use cairn_core::{PersonaLink, ProjectionError};
use cairn_filter::{FieldRef, Filter, PERSONA_COLUMN};
use clickhouse::Client;

/// Joins the current persona of each identifier of one store (a single `?`: the store id),
/// providing `persona_id` (`''` when no persona holds the identifier).
pub const JOIN: &str = " ANY LEFT JOIN (SELECT ifi AS actor_ifi, argMax(persona, seq) AS persona_id \
     FROM persona_identifiers WHERE store = toUUID(?) GROUP BY ifi) AS personas USING actor_ifi";

/// The persona of a row of a query whose FROM has [`JOIN`].
pub const EXPR: &str = PERSONA_COLUMN;

#[derive(clickhouse::Row, serde::Serialize)]
struct LinkRow<'a> {
    #[serde(with = "clickhouse::serde::uuid")]
    store: uuid::Uuid,
    ifi: &'a str,
    persona: String,
    seq: u64,
}

/// Appends identifier → persona rows (idempotent: replays collapse on (store, ifi, seq)).
pub async fn insert_links(client: &Client, links: &[PersonaLink]) -> Result<(), ProjectionError> {
    if links.is_empty() {
        return Ok(());
    }
    let mut insert = client
        .insert::<LinkRow<'_>>("persona_identifiers")
        .await
        .map_err(err("insert persona links"))?;
    for l in links {
        let row = LinkRow {
            store: l.store.0,
            ifi: &l.ifi,
            persona: l.persona.map(|p| p.to_string()).unwrap_or_default(),
            seq: l.seq,
        };
        insert
            .write(&row)
            .await
            .map_err(err("insert persona links"))?;
    }
    insert.end().await.map_err(err("insert persona links"))
}

fn is_persona(f: &FieldRef) -> bool {
    matches!(f, FieldRef::Field(f) if f.column == PERSONA_COLUMN)
}

/// Whether a filter reads the persona field.
pub fn filter_uses(f: &Filter) -> bool {
    match f {
        Filter::And(fs) | Filter::Or(fs) => fs.iter().any(filter_uses),
        Filter::Not(f) => filter_uses(f),
        Filter::Cond { field, .. } => is_persona(field),
    }
}

/// Whether an aggregate request needs the persona join.
pub fn aggregate_uses(q: &AggregateQuery) -> bool {
    q.group_by.iter().any(|d| {
        matches!(d, Dimension::Persona) || matches!(d, Dimension::Path(f) if is_persona(f))
    }) || q
        .measures
        .iter()
        .any(|m| matches!(m, Measure::UniquePersonas))
        || q.filter.as_ref().is_some_and(filter_uses)
}
