//! Hot paths of the read and projection side:
//! - projection encoding: a `statements` row built from a record, for a batch of 100, with the
//!   statement's facts carried from the request (the tail, the usual path) or parsed from the
//!   stored JSON (records read from the log), and with it the two fan-out feed rows
//!   (`statement_keys_feed`, `query_values_feed`); and the facts' extraction from the typed
//!   statement, which the request pays instead;
//! - filter compilation: the parameterised ClickHouse SQL for a filtered `GET /statements`;
//! - the in-process predicate the in-memory tail applies to each entry;
//! - an analytics filter with a 60,000-value `in` written as SQL with its values inlined (one
//!   pass: binding one value at a time was quadratic, 14 s for this filter).
use cairn_clickhouse::{SeqQuery, StatementRow};
use cairn_core::facts::StatementFacts;
use cairn_core::{Page, StatementQuery, StatementRecord, StoreId};
use cairn_xapi::{XapiVersion, parse_statement};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};

const STATEMENT: &str = r#"{"id":"6690e6c9-3ef0-4ed3-8b37-7f3964730bee",
 "actor":{"objectType":"Agent","name":"Learner 7","mbox":"mailto:learner7@example.org"},
 "verb":{"id":"http://adlnet.gov/expapi/verbs/answered","display":{"en-US":"answered"}},
 "object":{"objectType":"Activity","id":"https://courses.example.org/c7/m1/a7",
  "definition":{"name":{"en-US":"Activity 7: water cycle energy","fr-FR":"Activité 7 : cycle"},
   "description":{"en-US":"Which of these is part of the water cycle? Choose every answer that applies."},
   "type":"http://adlnet.gov/expapi/activities/cmi.interaction","interactionType":"choice",
   "correctResponsesPattern":["a[,]c"],
   "choices":[{"id":"a","description":{"en-US":"Evaporation"}},{"id":"b","description":{"en-US":"Photosynthesis"}},
              {"id":"c","description":{"en-US":"Condensation"}},{"id":"d","description":{"en-US":"Erosion"}}],
   "extensions":{"https://example.org/ext/difficulty":3}}},
 "result":{"score":{"scaled":0.75,"raw":15,"min":0,"max":20},"success":true,"completion":true,
  "response":"a[,]c","duration":"PT4M12.5S","extensions":{"https://example.org/ext/attempt":2}},
 "context":{"registration":"ec531277-b57b-4c15-8d91-d292c5b2b8f7",
  "instructor":{"objectType":"Agent","name":"Instructor","mbox":"mailto:teacher3@example.org"},
  "contextActivities":{"parent":[{"objectType":"Activity","id":"https://courses.example.org/c7"}],
   "grouping":[{"objectType":"Activity","id":"https://programmes.example.org/p7"}],
   "category":[{"objectType":"Activity","id":"https://w3id.org/xapi/cmi5/context/categories/moveon"}]},
  "platform":"Moodle 4.3","language":"en-GB",
  "extensions":{"https://w3id.org/xapi/cmi5/context/extensions/sessionid":"1b4e28ba-2fa1-11d2-883f-0016d3cca427",
   "https://example.org/ext/device":{"os":"linux","browser":"chromium","screen":[1920,1080]}}},
 "timestamp":"2025-09-14T10:21:33.120Z",
 "authority":{"objectType":"Agent","name":"Cairn default client","mbox":"mailto:client@example.org"},
 "version":"2.0.0"}"#;

fn record() -> StatementRecord {
    let st = parse_statement(STATEMENT.as_bytes(), XapiVersion::V2_0_0).unwrap();
    StatementRecord {
        store: StoreId::DEFAULT,
        id: st.id().unwrap(),
        stored_us: 1_760_000_000_123_456,
        keys: cairn_xapi::index_keys(&st).into(),
        voids: None,
        attachments: vec![],
        body: st.to_json(),
        facts: None,
    }
}

/// The record as the request hands it to the writer: with its facts.
fn carried() -> StatementRecord {
    let st = parse_statement(STATEMENT.as_bytes(), XapiVersion::V2_0_0).unwrap();
    StatementRecord {
        facts: Some(std::sync::Arc::new(StatementFacts::of(&st))),
        ..record()
    }
}

fn projection_encoding(c: &mut Criterion) {
    let mut g = c.benchmark_group("projection_encoding");
    g.throughput(Throughput::Elements(100));
    for (name, records) in [
        ("parsed", (0..100).map(|_| record()).collect::<Vec<_>>()),
        ("carried", (0..100).map(|_| carried()).collect()),
    ] {
        g.bench_function(format!("row_batch_100_{name}"), |b| {
            b.iter(|| {
                for (i, r) in records.iter().enumerate() {
                    let facts = r.facts();
                    std::hint::black_box(StatementRow::new(i as u64, r, &facts));
                }
            })
        });
        g.bench_function(format!("row_and_feeds_batch_100_{name}"), |b| {
            b.iter(|| {
                for (i, r) in records.iter().enumerate() {
                    let facts = r.facts();
                    let row = StatementRow::new(i as u64, r, &facts);
                    std::hint::black_box(cairn_clickhouse::feed::KeysFeedRow::of(&row));
                    std::hint::black_box(cairn_clickhouse::feed::ValuesFeedRow::of(&row));
                }
            })
        });
    }
    let st = parse_statement(STATEMENT.as_bytes(), XapiVersion::V2_0_0).unwrap();
    g.bench_function("facts_of_typed_batch_100", |b| {
        b.iter(|| {
            for _ in 0..100 {
                std::hint::black_box(StatementFacts::of(&st));
            }
        })
    });
    g.finish();
}

fn query() -> StatementQuery {
    let mut q = StatementQuery::new(StoreId::DEFAULT);
    q.agent = Some("mbox:mailto:learner7@example.org".into());
    q.verb = Some("http://adlnet.gov/expapi/verbs/answered".into());
    q.activity = Some("https://courses.example.org/c7".into());
    q.related_activities = true;
    q.since_us = Some(1_750_000_000_000_000);
    q
}

fn filter_compilation(c: &mut Criterion) {
    let q = query();
    let page = Page {
        max_seq: 10_000_000,
        after: Some(9_000_000),
        limit: 51,
    };
    let mut g = c.benchmark_group("filter_compilation");
    g.throughput(Throughput::Elements(1));
    g.bench_function("clickhouse_sql", |b| {
        b.iter(|| std::hint::black_box(SeqQuery::build(&q, &page)))
    });
    let rec = record();
    let mut verb_only = StatementQuery::new(StoreId::DEFAULT);
    verb_only.verb = Some("http://adlnet.gov/expapi/verbs/answered".into());
    g.bench_function("tail_predicate", |b| {
        b.iter(|| std::hint::black_box(verb_only.matches(&rec)))
    });
    g.finish();
}

fn long_in_filter(c: &mut Criterion) {
    let values: Vec<String> = (0..60_000)
        .map(|i| format!("http://verbs.example.org/{i}?q='x'"))
        .collect();
    let f = cairn_filter::Filter::parse(&serde_json::json!({"field": "verb", "in": values}))
        .expect("a valid filter");
    let mut g = c.benchmark_group("filter_sql");
    g.throughput(Throughput::Elements(60_000));
    g.sample_size(20);
    g.bench_function("in_60000_inlined", |b| {
        b.iter(|| {
            let sql = f.to_sql(0);
            std::hint::black_box(cairn_filter::inline(&sql.clause, &sql.params))
        })
    });
    g.finish();
}

criterion_group!(
    benches,
    projection_encoding,
    filter_compilation,
    long_in_filter
);
criterion_main!(benches);
