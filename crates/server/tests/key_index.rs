//! The embedded key index answers filtered statement pages exactly as ClickHouse and the
//! in-memory predicate do: random stores (two tenants, voided statements, every key kind) and
//! random queries (every filter, `related_*`, since/until, both orders, limits, `more` pages);
//! and a node answers filtered pages from it while ClickHouse cannot be reached.
mod common;

use cairn_clickhouse::{ClickHouseConfig, ClickHouseProjection};
use cairn_core::key_index;
use cairn_core::ports::{LogStore, WriteSet};
use cairn_core::timeline::Timeline;
use cairn_core::{Event, FilterKeys, Page, Projection, StatementQuery, StatementRecord, StoreId};
use cairn_store::FjallStore;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::collections::HashSet;
use std::sync::Arc;
use uuid::Uuid;

const OTHER: StoreId = StoreId(Uuid::from_u128(0xB));
const BASE_US: i64 = 1_750_000_000_000_000;
const VOIDED: &str = "http://adlnet.gov/expapi/verbs/voided";

fn mbox(i: u32) -> String {
    format!("mailto:user{i}@example.com")
}
fn agent(i: u32) -> String {
    format!("mbox:{}", mbox(i))
}
fn verb(i: u32) -> String {
    format!("http://example.com/verbs/v{i}")
}
fn activity(i: u32) -> String {
    format!("http://example.com/activities/a{i}")
}
fn registration(i: u32) -> String {
    Uuid::from_u128(0xAAAA_0000 + i as u128).to_string()
}

/// A random statement at `seq`, voiding `voids` when given; its keys are the xAPI crate's.
fn statement(rng: &mut StdRng, seq: u64, store: StoreId, voids: Option<Uuid>) -> StatementRecord {
    let id = Uuid::from_u128(0x5000_0000 + seq as u128);
    let object = match voids {
        Some(t) => serde_json::json!({"objectType": "StatementRef", "id": t}),
        None if rng.random_bool(0.15) => {
            serde_json::json!({"objectType": "Agent", "mbox": mbox(rng.random_range(0..6))})
        }
        None => serde_json::json!({"id": activity(rng.random_range(0..6))}),
    };
    let verb_id = match voids {
        Some(_) => VOIDED.to_string(),
        None => verb(rng.random_range(0..4)),
    };
    let mut context = serde_json::json!({});
    if rng.random_bool(0.5) {
        context["contextActivities"] =
            serde_json::json!({"parent": [{"id": activity(rng.random_range(3..9))}]});
    }
    if rng.random_bool(0.3) {
        context["instructor"] = serde_json::json!({"mbox": mbox(rng.random_range(0..6))});
    }
    if rng.random_bool(0.4) && voids.is_none() {
        context["registration"] = registration(rng.random_range(0..3)).into();
    }
    let authority = mbox(100 + rng.random_range(0..2));
    let body = serde_json::json!({
        "id": id,
        "actor": {"mbox": mbox(rng.random_range(0..6))},
        "verb": {"id": verb_id},
        "object": object,
        "context": context,
        "timestamp": cairn_core::time_fmt::format_us(BASE_US + seq as i64 * 1000),
        "authority": {"mbox": authority},
        "version": "1.0.3"
    });
    let body = serde_json::to_vec(&body).unwrap();
    let st = cairn_xapi::parse_stored_statement(&body).expect("a valid statement");
    let keys: FilterKeys = cairn_xapi::index_keys(&st).into();
    StatementRecord {
        store,
        id,
        // Several statements share a millisecond: since/until fall between and on them.
        stored_us: BASE_US + (seq as i64 / 3) * 1000,
        keys,
        voids,
        attachments: vec![],
        body,
        facts: None,
    }
}

/// `n` random statements in the log (with their id and voided indexes) and in ClickHouse.
async fn fill(
    rng: &mut StdRng,
    n: u64,
    log: &FjallStore,
    p: &ClickHouseProjection,
) -> Vec<(u64, Arc<StatementRecord>)> {
    let mut records: Vec<(u64, Arc<StatementRecord>)> = Vec::new();
    let mut voided = HashSet::new();
    let mut ws = WriteSet::default();
    for seq in 1..=n {
        let store = if rng.random_bool(0.2) {
            OTHER
        } else {
            StoreId::DEFAULT
        };
        let candidates: Vec<Uuid> = records
            .iter()
            .filter(|(_, r)| r.store == store && r.voids.is_none() && !voided.contains(&r.id))
            .map(|(_, r)| r.id)
            .collect();
        let target = (rng.random_bool(0.1) && !candidates.is_empty())
            .then(|| candidates[rng.random_range(0..candidates.len())]);
        let voids = target;
        if let Some(t) = voids {
            voided.insert(t);
            ws.voided.push((store, t, seq));
        }
        let r = Arc::new(statement(rng, seq, store, voids));
        ws.statement_ids.push((store, r.id, seq));
        ws.events.push((seq, Arc::new(Event::Statement(r.clone()))));
        records.push((seq, r));
        // Batches of random sizes, as the writer's groups are: the index groups each batch's
        // statements per key.
        if rng.random_bool(0.15) {
            log.commit(&std::mem::take(&mut ws)).unwrap();
        }
    }
    log.commit(&ws).unwrap();
    let seq_of = |store, id| {
        Ok::<_, ()>(
            records
                .iter()
                .find(|(_, r)| r.store == store && r.id == id)
                .map(|(s, _)| *s),
        )
    };
    let voided_by = |store, id| {
        Ok(records
            .iter()
            .find(|(_, r)| r.store == store && r.voids == Some(id))
            .map(|(s, _)| *s))
    };
    let retractions = cairn_core::voiding::retractions(&records, seq_of, voided_by).unwrap();
    p.insert(&records, &retractions).await.unwrap();
    records
}

/// The in-memory predicate's answer: matching, in the window, not voided, in order.
fn expected(records: &[(u64, Arc<StatementRecord>)], q: &StatementQuery, page: &Page) -> Vec<u64> {
    let voided: HashSet<(StoreId, Uuid)> = records
        .iter()
        .filter_map(|(_, r)| r.voids.map(|t| (r.store, t)))
        .collect();
    let mut seqs: Vec<u64> = records
        .iter()
        .filter(|(s, r)| {
            q.matches(r) && page.contains(*s, q.ascending) && !voided.contains(&(r.store, r.id))
        })
        .map(|(s, _)| *s)
        .collect();
    if !q.ascending {
        seqs.reverse();
    }
    seqs.truncate(page.limit);
    seqs
}

fn random_query(rng: &mut StdRng, n: u64) -> StatementQuery {
    let mut q = StatementQuery::new(if rng.random_bool(0.8) {
        StoreId::DEFAULT
    } else {
        OTHER
    });
    let pick = |rng: &mut StdRng, p: f64| rng.random_bool(p);
    if pick(rng, 0.4) {
        q.agent = Some(agent(rng.random_range(0..7)));
        q.related_agents = pick(rng, 0.5);
        if q.related_agents && pick(rng, 0.2) {
            q.agent = Some(agent(100 + rng.random_range(0..2)));
        }
    }
    if pick(rng, 0.4) {
        q.verb = Some(verb(rng.random_range(0..5)));
    }
    if pick(rng, 0.3) {
        q.activity = Some(activity(rng.random_range(0..10)));
        q.related_activities = pick(rng, 0.5);
    }
    if pick(rng, 0.2) {
        q.registration = Some(registration(rng.random_range(0..4)));
    }
    if pick(rng, 0.3) {
        q.since_us = Some(BASE_US + rng.random_range(0..=n as i64 / 3 + 1) * 1000);
    }
    if pick(rng, 0.3) {
        q.until_us = Some(BASE_US + rng.random_range(0..=n as i64 / 3 + 1) * 1000);
    }
    if pick(rng, 0.1) {
        q.authority = Some(agent(100 + rng.random_range(0..2)));
    }
    q.ascending = pick(rng, 0.4);
    q
}

/// The key index's page (the first `limit`), and whether it found one more.
fn from_index(log: &FjallStore, q: &StatementQuery, page: &Page, max: usize) -> Option<Vec<u64>> {
    let bounded = Timeline::new().bounds(log, q, page.max_seq).unwrap();
    let hits = key_index::page(log, &bounded, page, max).unwrap()?;
    Some(hits.into_iter().map(|(s, _)| s).collect())
}

#[tokio::test]
async fn the_key_index_answers_as_clickhouse_and_the_predicate_do() {
    let p = ClickHouseProjection::connect(ClickHouseConfig {
        url: cairn_testkit::server_url().to_string(),
        database: format!("cairn_test_{}", Uuid::new_v4().simple()),
        cluster: cairn_testkit::cluster(),
        ..Default::default()
    })
    .await
    .unwrap();
    let mut checked = 0;
    let mut nonempty = 0;
    for seed in 0..6u64 {
        p.reset().await.unwrap();
        let dir = tempfile::tempdir().unwrap();
        let log = FjallStore::open(dir.path(), 8 << 20).unwrap();
        assert!(log.key_index_complete(), "a new data directory is indexed");
        let mut rng = StdRng::seed_from_u64(seed);
        let n = rng.random_range(40..260);
        let records = fill(&mut rng, n, &log, &p).await;
        for _ in 0..60 {
            let q = random_query(&mut rng, n);
            let limit = [1, 3, 10, 1000][rng.random_range(0..4)];
            let max_seq = if rng.random_bool(0.2) {
                rng.random_range(1..=n)
            } else {
                n
            };
            // Walk every page, as `more` links do, and check each on the way.
            let mut page = Page {
                max_seq,
                after: None,
                limit,
            };
            let mut walked: Vec<u64> = Vec::new();
            loop {
                let want = expected(&records, &q, &page);
                let one_more = expected(
                    &records,
                    &q,
                    &Page {
                        limit: limit + 1,
                        ..page
                    },
                );
                let bounded = Timeline::new().bounds(&log, &q, page.max_seq).unwrap();
                let ch = p.query_seqs(&bounded, &page).await.unwrap();
                assert_eq!(ch, want, "ClickHouse, seed {seed}: {q:?} {page:?}");
                let index = from_index(&log, &q, &page, key_index::SCAN_MAX).unwrap();
                assert_eq!(index, one_more, "key index, seed {seed}: {q:?} {page:?}");
                checked += 1;
                nonempty += usize::from(!want.is_empty());
                walked.extend(&want);
                if one_more.len() <= limit {
                    break;
                }
                page.after = want.last().copied();
            }
            let whole = Page {
                max_seq,
                after: None,
                limit: usize::MAX,
            };
            assert_eq!(walked, expected(&records, &q, &whole), "pages of {q:?}");
        }
    }
    assert!(
        checked >= 360 && nonempty >= 200,
        "{checked} pages, {nonempty} non-empty"
    );
    p.drop_all().await.unwrap();
    p.client()
        .query(&format!("DROP DATABASE IF EXISTS {}", p.database()))
        .execute()
        .await
        .unwrap();
}

#[test]
fn a_page_past_the_scan_bound_is_left_to_clickhouse() {
    let dir = tempfile::tempdir().unwrap();
    let log = FjallStore::open(dir.path(), 8 << 20).unwrap();
    let mut rng = StdRng::seed_from_u64(7);
    let mut ws = WriteSet::default();
    for seq in 1..=500u64 {
        let r = Arc::new(statement(&mut rng, seq, StoreId::DEFAULT, None));
        ws.events.push((seq, Arc::new(Event::Statement(r))));
    }
    log.commit(&ws).unwrap();
    // No statement has this verb: a store-wide page that finds nothing in 100 entries gives up.
    let mut q = StatementQuery::new(StoreId::DEFAULT);
    q.authority = Some(agent(999));
    let page = Page {
        max_seq: 500,
        after: None,
        limit: 10,
    };
    assert_eq!(from_index(&log, &q, &page, 100), None);
    assert_eq!(from_index(&log, &q, &page, 500), Some(vec![]));
    // A page found within the bound is answered.
    q.authority = None;
    let found = from_index(&log, &q, &page, 100).unwrap();
    assert_eq!(found, (489..=500).rev().collect::<Vec<_>>()[..11].to_vec());
}

/// Every statement id of a filtered query, following `more` links.
async fn walk(s: &common::TestServer, first: &str) -> (Vec<String>, usize) {
    let (mut ids, mut pages, mut path) = (Vec::new(), 0, first.to_string());
    loop {
        let res = s.req(reqwest::Method::GET, &path).send().await.unwrap();
        assert_eq!(res.status(), 200, "GET {path}");
        let page: serde_json::Value = res.json().await.unwrap();
        pages += 1;
        for st in page["statements"].as_array().unwrap() {
            ids.push(st["id"].as_str().unwrap().to_string());
        }
        match page["more"].as_str() {
            Some(m) if !m.is_empty() => path = m.to_string(),
            _ => return (ids, pages),
        }
    }
}

#[tokio::test]
async fn filtered_pages_are_answered_without_clickhouse() {
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = common::test_config(dir.path());
    // Without the key index, a read scanning more of the log than this answers 503 while
    // ClickHouse is down.
    cfg.degraded_read_scan_max = 10;
    let s = common::TestServer::start_with(cfg, dir).await;
    let rare = "http://example.com/verbs/rare";
    let mut ids = Vec::new();
    for i in 0..60 {
        let verb = if i == 0 {
            rare
        } else {
            "http://example.com/verbs/common"
        };
        let mut st = common::statement(verb, &format!("http://example.com/a{}", i % 4));
        let id = common::uuid();
        st["id"] = id.clone().into();
        assert_eq!(s.post(st).await.status(), 200);
        ids.push(id);
    }
    // Projected (so not in the in-memory tail after a restart), then ClickHouse goes away:
    // nothing listens on the new address.
    s.wait_projected("1", 60).await;
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    let (mut cfg, dir) = s.stop().await;
    cfg.clickhouse_url = "http://127.0.0.1:9".into();
    cfg.http_addr = "127.0.0.1:0".parse().unwrap();
    let s = common::TestServer::start_with(cfg, dir).await;
    let rare_query = format!("/xapi/statements?verb={}", urlencode(rare));
    let (found, _) = walk(&s, &rare_query).await;
    assert_eq!(
        found,
        [ids[0].clone()],
        "the oldest statement, 59 log entries down"
    );
    let a1 = urlencode("http://example.com/a1");
    let (found, pages) = walk(&s, &format!("/xapi/statements?activity={a1}&limit=4")).await;
    let want: Vec<String> = ids.iter().skip(1).step_by(4).rev().cloned().collect();
    assert_eq!((found, pages), (want.clone(), 4));
    let (found, _) = walk(
        &s,
        &format!("/xapi/statements?activity={a1}&limit=6&ascending=true"),
    )
    .await;
    assert_eq!(found, want.into_iter().rev().collect::<Vec<_>>());
    // The same read without the key index scans the log and gives up.
    let (mut cfg, dir) = s.stop().await;
    cfg.read_index_scan_max = 0;
    cfg.http_addr = "127.0.0.1:0".parse().unwrap();
    let s = common::TestServer::start_with(cfg, dir).await;
    let res = s
        .req(reqwest::Method::GET, &rare_query)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 503);
    s.stop().await;
}

fn urlencode(s: &str) -> String {
    form_urlencoded::byte_serialize(s.as_bytes()).collect()
}
