//! Funnels on a real ClickHouse against the same funnels computed here over the same random
//! statements (voided ones left out, the filter predicate of `cairn-filter` deciding each step):
//! by actor and by persona, with a filter and a time range, with equal timestamps (ordered by
//! seq) and with one filter for two steps (two statements needed).
mod common;
#[allow(dead_code)]
#[path = "aggregates/data.rs"]
mod data;
use cairn_clickhouse::funnel::funnel;
use cairn_core::analytics::{AnalyticsLimits, FunnelBy, FunnelQuery};
use cairn_core::ports::Projection;
use cairn_core::{PersonaLink, StoreId};
use cairn_filter::Row;
use data::{Stmt, T0, insert, log, voided};
use rand::{SeedableRng, rngs::StdRng};
use serde_json::{Value, json};
use std::collections::{BTreeMap, HashMap};
use uuid::Uuid;

const NOW_US: i64 = 1_764_216_000_000_000; // 2025-11-27T04:00:00Z

/// What the predicate sees of a test row (the columns the data sets).
fn row(s: &Stmt, persona: &str) -> Row {
    let r = &s.row;
    let text = |k: &str| r[k].as_str().unwrap_or("").to_string();
    let list = |k: &str| -> Vec<String> {
        r[k].as_array()
            .map(|a| a.iter().map(|v| v.as_str().unwrap().to_string()).collect())
            .unwrap_or_default()
    };
    Row {
        actor_ifi: text("actor_ifi"),
        persona: persona.to_string(),
        verb: text("verb"),
        object_type: text("object_type"),
        object_id: text("object_id"),
        activity_type: text("activity_type"),
        registration: text("registration"),
        context_parent: list("context_parent"),
        platform: text("platform"),
        score_scaled: r["score_scaled"].as_f64(),
        score_raw: r["score_raw"].as_f64(),
        success: r["success"].as_u64().map(|x| x == 1),
        completion: r["completion"].as_u64().map(|x| x == 1),
        duration_ms: r["duration_ms"].as_f64(),
        timestamp_us: r["timestamp_us"].as_i64().unwrap(),
        stored_us: r["stored_us"].as_i64().unwrap(),
        ..Row::default()
    }
}

/// The funnel computed here: per actor (or persona), its statements in (timestamp, seq) order;
/// step k is the first statement after step k-1's that matches it.
fn expected(q: &FunnelQuery, kept: &[Stmt], personas: &HashMap<String, String>) -> Vec<u64> {
    let mut by: BTreeMap<String, Vec<(i64, u64, Row)>> = BTreeMap::new();
    for s in kept {
        let actor = s.row["actor_ifi"].as_str().unwrap().to_string();
        let persona = personas.get(&actor).cloned().unwrap_or(actor.clone());
        let r = row(s, &persona);
        let in_range = q.from_us.is_none_or(|f| r.timestamp_us >= f)
            && q.to_us.is_none_or(|t| r.timestamp_us < t)
            && q.filter.as_ref().is_none_or(|f| f.matches(&r, NOW_US));
        if in_range {
            let who = if q.by == FunnelBy::Persona {
                persona
            } else {
                actor
            };
            by.entry(who).or_default().push((r.timestamp_us, s.seq, r));
        }
    }
    let mut counts = vec![0; q.steps.len()];
    for events in by.values_mut() {
        events.sort_by_key(|(t, seq, _)| (*t, *seq));
        let mut from = 0;
        for (k, step) in q.steps.iter().enumerate() {
            match events[from..]
                .iter()
                .position(|(_, _, r)| step.matches(r, NOW_US))
            {
                Some(i) => {
                    counts[k] += 1;
                    from += i + 1;
                }
                None => break,
            }
        }
    }
    counts
}

fn verb(i: u32) -> Value {
    json!({"field": "verb", "eq": format!("http://v/{i}")})
}

#[tokio::test(flavor = "multi_thread")]
async fn funnels_match_the_statements() {
    let p = common::fresh_projection().await;
    p.migrate().await.unwrap();
    let (store, other) = (StoreId(Uuid::new_v4()), StoreId(Uuid::new_v4()));
    let mut rng = StdRng::seed_from_u64(13);
    let mut batches = log(store, other, &mut rng);
    // An actor whose verb 1 and verb 0 share a timestamp, verb 1 first in seq order; and one
    // with verb 0 then verb 1 at one timestamp.
    let last = batches.last().unwrap().last().unwrap().seq;
    let mut extra = Vec::new();
    for (i, (actor, verbs)) in [("tie@x", [1, 0]), ("same@x", [0, 1])].iter().enumerate() {
        for (j, v) in verbs.iter().enumerate() {
            let mut s = batches[0][i * 2 + j].clone();
            s.seq = last + 1 + (i * 2 + j) as u64;
            s.id = Uuid::new_v4();
            s.row["seq"] = json!(s.seq);
            s.row["statement_id"] = json!(s.id.to_string());
            s.row["actor_ifi"] = json!(format!("mbox:mailto:{actor}"));
            s.row["verb"] = json!(format!("http://v/{v}"));
            s.row["timestamp_us"] = json!(T0 + 3_600_000_000);
            s.row["timestamp"] = json!("2025-11-24 01:00:00");
            extra.push(s);
        }
    }
    batches.push(extra);
    let all: Vec<Stmt> = batches.concat();
    for b in &batches {
        insert(&p, b, &all).await;
    }
    let mine: Vec<Stmt> = all.into_iter().filter(|s| s.store == store).collect();
    let gone = voided(&mine);
    let kept: Vec<Stmt> = mine
        .into_iter()
        .filter(|s| !gone.contains(&s.seq))
        .collect();
    // Actors 0 and 1 are one persona, 2 another; the others are their own.
    let (p01, p2) = (Uuid::new_v4(), Uuid::new_v4());
    let mut personas = HashMap::new();
    let mut links = Vec::new();
    for (a, persona) in [(0, p01), (1, p01), (2, p2)] {
        let ifi = format!("mbox:mailto:{a}@x");
        personas.insert(ifi.clone(), persona.to_string());
        links.push(PersonaLink {
            seq: 10_000 + a,
            store,
            ifi,
            persona: Some(persona),
        });
    }
    p.link_personas(&links).await.unwrap();

    let day = |d: i64| jiff::Timestamp::from_microsecond(T0 + d * 86_400_000_000).unwrap();
    let requests = [
        json!({"steps": [verb(0), verb(1), verb(2)]}),
        json!({"steps": [verb(0), verb(1), verb(2)], "by": "persona"}),
        json!({"steps": [verb(1), verb(0)]}),
        json!({"steps": [verb(0), verb(0), verb(0)]}),
        json!({"steps": [verb(2), {"and": [verb(1), {"field": "result.success", "eq": true}]},
            {"field": "activity.type", "eq": "http://t/1"}],
            "filter": {"field": "context.platform", "eq": "web"},
            "from": day(1).to_string(), "to": day(3).to_string()}),
        json!({"steps": [{"field": "persona", "eq": p01.to_string()}, verb(2)], "by": "persona"}),
    ];
    let mut reached_last = 0;
    for req in &requests {
        let q = FunnelQuery::parse(store, req, &AnalyticsLimits::default()).unwrap();
        let got = funnel(&p, &q, NOW_US)
            .await
            .unwrap_or_else(|e| panic!("{req}: {e}"));
        let want = expected(&q, &kept, &personas);
        assert_eq!(got.steps, want, "{req}");
        assert_eq!(got.source, "raw");
        assert!(want[0] > 0, "{req}: the data reach the first step");
        reached_last += want.last().copied().unwrap_or(0);
    }
    assert!(reached_last > 0, "some funnels are gone through");
    // The ties: "tie" (verb 1 then verb 0 in seq order at one time) does not go 0 → 1; "same"
    // does.
    let two = |a: &str| json!({"steps": [verb(0), verb(1)], "filter": {"field": "actor", "eq": format!("mbox:mailto:{a}")}});
    for (actor, want) in [("tie@x", vec![1, 0]), ("same@x", vec![1, 1])] {
        let q = FunnelQuery::parse(store, &two(actor), &AnalyticsLimits::default()).unwrap();
        assert_eq!(funnel(&p, &q, NOW_US).await.unwrap().steps, want, "{actor}");
    }
    // A store without statements: zeros.
    let q = FunnelQuery::parse(other, &requests[3], &AnalyticsLimits::default()).unwrap();
    let q = FunnelQuery {
        store: StoreId(Uuid::new_v4()),
        ..q
    };
    assert_eq!(funnel(&p, &q, NOW_US).await.unwrap().steps, [0, 0, 0]);
    common::cleanup(&p).await;
}
