//! A fixed data set and a matrix of statement queries over it, with the answers the core's
//! in-process predicate gives. The integration tests run the matrix on ClickHouse 18.16, and
//! `examples/print_sql.rs` exports rows, SQL and answers so that `scripts/chdb_check.py` runs the
//! very same SQL on current ClickHouse (chDB): both engines must agree with the predicate.
use cairn_core::{FilterKeys, Page, StatementQuery, StatementRecord, StoreId};
use std::collections::HashSet;
use std::sync::Arc;
use uuid::Uuid;

/// The second store of the data set (the first is [`StoreId::DEFAULT`]).
pub const OTHER_STORE: StoreId = StoreId(Uuid::from_u128(0xB));
/// Stored time of sequence number 0; statement `seq` is stored `seq` milliseconds later.
pub const BASE_US: i64 = 1_750_000_000_000_000;
pub const VOIDED: &str = "http://adlnet.gov/expapi/verbs/voided";
pub const AUTHORITY: &str = "mbox:mailto:authority@example.com";
/// Statements 20 and 25 void statements 4 and 9; 28 (in the other store) names statement 2,
/// which must stay visible in its own store.
pub const VOIDING: &[(u64, u64)] = &[(20, 4), (25, 9), (28, 2)];
/// Extensions of the data set: `result.extensions` and (even seqs) the activity definition's
/// have [`EXT_POINTS`] (a number, an object), `context.extensions` has [`EXT_LEVEL`] (`L0`..`L2`).
pub const EXT_POINTS: &str = "http://example.com/ext/points";
pub const EXT_LEVEL: &str = "http://example.com/ext/level";
/// Size of the data set (sequence numbers 1..=N).
pub const N: u64 = 30;

pub fn statement_id(seq: u64) -> Uuid {
    Uuid::from_u128(0x5000_0000 + seq as u128)
}
pub fn agent(i: u64) -> String {
    format!("mbox:mailto:user{i}@example.com")
}
pub fn verb(i: u64) -> String {
    format!("http://example.com/verbs/v{i}")
}
pub fn activity(i: u64) -> String {
    format!("http://example.com/activities/a{i}")
}
pub fn parent(i: u64) -> String {
    format!("http://example.com/courses/c{i}")
}
pub fn registration(i: u64) -> String {
    Uuid::from_u128(0xAAAA_0000 + i as u128).to_string()
}

/// One statement of the data set; `store` and keys vary with `seq` so every filter splits it.
pub fn record(seq: u64) -> StatementRecord {
    let voids = VOIDING
        .iter()
        .find(|(s, _)| *s == seq)
        .map(|(_, t)| statement_id(*t));
    let store = if seq.is_multiple_of(7) {
        OTHER_STORE
    } else {
        StoreId::DEFAULT
    };
    let actor = agent(seq % 3);
    let (verb_id, activity_id) = match voids {
        Some(_) => (VOIDED.to_string(), None),
        None => (verb(seq % 2), Some(activity(seq % 4))),
    };
    let reg = seq.is_multiple_of(3).then(|| registration(seq % 2));
    let object = match (&activity_id, voids) {
        (Some(a), _) if seq.is_multiple_of(2) => {
            serde_json::json!({"objectType": "Activity", "id": a,
            "definition": {"extensions": {EXT_POINTS: {"max": seq % 3}}}})
        }
        (Some(a), _) => serde_json::json!({"objectType": "Activity", "id": a}),
        (None, Some(t)) => serde_json::json!({"objectType": "StatementRef", "id": t}),
        (None, None) => unreachable!(),
    };
    let mut context = serde_json::json!({
        "platform": "test",
        "contextActivities": {"parent": [{"id": parent(seq % 5)}]},
        "extensions": {EXT_LEVEL: format!("L{}", seq % 3)}
    });
    if let Some(r) = &reg {
        context["registration"] = r.as_str().into();
    }
    let body = serde_json::json!({
        "id": statement_id(seq),
        "actor": {"mbox": actor.trim_start_matches("mbox:")},
        "verb": {"id": verb_id},
        "object": object,
        "result": {"score": {"scaled": seq as f64 / N as f64}, "success": seq.is_multiple_of(2),
                   "duration": format!("PT{seq}S"),
                   "extensions": {EXT_POINTS: seq as f64 / 4.0}},
        "context": context,
        "timestamp": cairn_core::time_fmt::format_us(BASE_US + seq as i64 * 1000 - 500),
        "authority": {"mbox": AUTHORITY.trim_start_matches("mbox:")},
        "version": "1.0.3"
    });
    let activities: Vec<String> = activity_id.into_iter().collect();
    let mut related_activities = activities.clone();
    related_activities.push(parent(seq % 5));
    StatementRecord {
        store,
        id: statement_id(seq),
        stored_us: BASE_US + seq as i64 * 1000,
        keys: FilterKeys {
            agents: vec![actor.clone()],
            related_agents: vec![actor, AUTHORITY.to_string()],
            verbs: vec![verb_id],
            activities,
            related_activities,
            registrations: reg.into_iter().collect(),
        },
        voids,
        attachments: vec![],
        body: serde_json::to_vec(&body).expect("json"),
        facts: None,
    }
}

/// The whole data set, in sequence order.
pub fn records() -> Vec<(u64, Arc<StatementRecord>)> {
    (1..=N).map(|seq| (seq, Arc::new(record(seq)))).collect()
}

/// The retractions the projector derives for `records` (a prefix of the data set, or all of
/// it), with the log's indexes built from the whole data set: statements 4 and 9 of the default
/// store, from 20 and 25; 28's target is in the other store.
pub fn retractions(records: &[(u64, Arc<StatementRecord>)]) -> Vec<cairn_core::Retraction> {
    let all = self::records();
    let seq_of = |store, id| {
        Ok::<_, ()>(
            all.iter()
                .find(|(_, r)| r.store == store && r.id == id)
                .map(|(s, _)| *s),
        )
    };
    let voided_by = |store, id| {
        Ok(all
            .iter()
            .find(|(_, r)| r.store == store && r.voids == Some(id))
            .map(|(s, _)| *s))
    };
    cairn_core::voiding::retractions(records, seq_of, voided_by).expect("in memory")
}

/// What `query_seqs` must answer: the core predicate, the page window, voiding by any projected
/// voiding statement of the same store, in the query's order, at most `limit`.
pub fn expected(
    records: &[(u64, Arc<StatementRecord>)],
    q: &StatementQuery,
    page: &Page,
) -> Vec<u64> {
    let voided: HashSet<(StoreId, Uuid)> = records
        .iter()
        .filter_map(|(_, r)| r.voids.map(|t| (r.store, t)))
        .collect();
    let mut seqs: Vec<u64> = records
        .iter()
        .filter(|(seq, r)| {
            q.matches(r) && page.contains(*seq, q.ascending) && !voided.contains(&(r.store, r.id))
        })
        .map(|(seq, _)| *seq)
        .collect();
    seqs.sort_unstable();
    seqs.dedup();
    if !q.ascending {
        seqs.reverse();
    }
    seqs.truncate(page.limit);
    seqs
}

/// Named queries covering every filter, both directions, paging and the page window.
pub fn queries() -> Vec<(String, StatementQuery, Page)> {
    let all = Page {
        max_seq: u64::MAX,
        after: None,
        limit: 100,
    };
    let base = StatementQuery::new(StoreId::DEFAULT);
    let with = |f: &dyn Fn(&mut StatementQuery)| {
        let mut q = base.clone();
        f(&mut q);
        q
    };
    let mid = BASE_US + 10_000;
    let mut out: Vec<(&str, StatementQuery, Page)> = vec![
        ("all", base.clone(), all),
        ("other_store", StatementQuery::new(OTHER_STORE), all),
        (
            "unknown_store",
            StatementQuery::new(StoreId(Uuid::from_u128(0xDEAD))),
            all,
        ),
        ("agent", with(&|q| q.agent = Some(agent(1))), all),
        (
            "agent_not_related",
            with(&|q| q.agent = Some(AUTHORITY.into())),
            all,
        ),
        (
            "agent_related",
            with(&|q| {
                q.agent = Some(AUTHORITY.into());
                q.related_agents = true;
            }),
            all,
        ),
        ("verb", with(&|q| q.verb = Some(verb(0))), all),
        ("verb_voided", with(&|q| q.verb = Some(VOIDED.into())), all),
        ("activity", with(&|q| q.activity = Some(activity(2))), all),
        (
            "activity_parent_not_related",
            with(&|q| q.activity = Some(parent(3))),
            all,
        ),
        (
            "activity_related",
            with(&|q| {
                q.activity = Some(parent(3));
                q.related_activities = true;
            }),
            all,
        ),
        (
            "registration",
            with(&|q| q.registration = Some(registration(1))),
            all,
        ),
        ("since", with(&|q| q.since_us = Some(mid)), all),
        ("until", with(&|q| q.until_us = Some(mid)), all),
        (
            "since_until",
            with(&|q| {
                q.since_us = Some(BASE_US + 3_000);
                q.until_us = Some(BASE_US + 17_000);
            }),
            all,
        ),
        (
            "combined",
            with(&|q| {
                q.agent = Some(agent(0));
                q.verb = Some(verb(1));
                q.since_us = Some(BASE_US);
            }),
            all,
        ),
        (
            "quote_in_value",
            with(&|q| q.agent = Some("mbox:mailto:o'brien\\x@example.com".into())),
            all,
        ),
        ("ascending", with(&|q| q.ascending = true), all),
        ("limit", base.clone(), Page { limit: 5, ..all }),
        (
            "limit_ascending",
            with(&|q| q.ascending = true),
            Page { limit: 5, ..all },
        ),
        ("max_seq", base.clone(), Page { max_seq: 12, ..all }),
        (
            "after_descending",
            base.clone(),
            Page {
                max_seq: 28,
                after: Some(15),
                limit: 4,
            },
        ),
        (
            "after_ascending",
            with(&|q| q.ascending = true),
            Page {
                max_seq: 28,
                after: Some(15),
                limit: 4,
            },
        ),
    ];
    out.sort_by_key(|(name, ..)| *name);
    out.into_iter()
        .map(|(n, q, p)| (n.to_string(), q, p))
        .collect()
}
