//! Hot paths of the write path:
//! - parse + validate + normalise a batch of 100 realistic (~2 KB) statements;
//! - durable append through the group-commit writer (fsync per group) on a real fjall store.
use cairn_core::StoreId;
use cairn_core::ports::LogStore;
use cairn_core::tail::Tail;
use cairn_core::writer::{AppendRequest, NewStatement, Writer, WriterConfig};
use cairn_xapi::{XapiVersion, parse_statements};
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use std::sync::Arc;

fn statement(i: usize) -> serde_json::Value {
    serde_json::json!({
        "id": uuid::Uuid::new_v4().to_string(),
        "actor": {"objectType": "Agent", "name": format!("Learner {i}"), "mbox": format!("mailto:learner{i}@example.com")},
        "verb": {"id": "http://adlnet.gov/expapi/verbs/answered", "display": {"en-US": "answered", "fr-FR": "a répondu"}},
        "object": {
            "objectType": "Activity",
            "id": format!("http://example.com/courses/{}/questions/{}", i % 50, i % 400),
            "definition": {
                "name": {"en-US": "Question about the water cycle", "fr-FR": "Question sur le cycle de l'eau"},
                "description": {"en-US": "Which of these is part of the water cycle? Choose every answer that applies to the diagram."},
                "type": "http://adlnet.gov/expapi/activities/cmi.interaction",
                "interactionType": "choice",
                "correctResponsesPattern": ["evaporation[,]condensation[,]precipitation"],
                "choices": [
                    {"id": "evaporation", "description": {"en-US": "Evaporation"}},
                    {"id": "condensation", "description": {"en-US": "Condensation"}},
                    {"id": "precipitation", "description": {"en-US": "Precipitation"}},
                    {"id": "photosynthesis", "description": {"en-US": "Photosynthesis"}}
                ],
                "extensions": {"http://example.com/ext/difficulty": 3}
            }
        },
        "result": {"score": {"scaled": 0.75, "raw": 3, "min": 0, "max": 4}, "success": true, "completion": true,
                   "response": "evaporation[,]condensation[,]precipitation", "duration": "PT1M12.5S",
                   "extensions": {"http://example.com/ext/attempt": 2}},
        "context": {
            "registration": uuid::Uuid::new_v4().to_string(),
            "instructor": {"mbox": "mailto:teacher@example.com", "name": "Teacher"},
            "contextActivities": {
                "parent": [{"id": format!("http://example.com/courses/{}", i % 50)}],
                "grouping": [{"id": "http://example.com/programmes/science"}],
                "category": [{"id": "http://example.com/profiles/assessment"}]
            },
            "platform": "Cairn bench",
            "language": "en-US",
            "extensions": {"http://example.com/ext/session": "b3c1f0e2-session", "http://example.com/ext/device": {"os": "linux", "browser": "chromium"}}
        },
        "timestamp": "2026-11-27T04:00:00.000Z"
    })
}

fn batch_body(n: usize) -> Vec<u8> {
    serde_json::to_vec(&(0..n).map(statement).collect::<Vec<_>>()).unwrap()
}

fn parse_validate(c: &mut Criterion) {
    let body = batch_body(100);
    let mut g = c.benchmark_group("parse_validate_normalise");
    g.throughput(Throughput::Elements(100));
    g.bench_function("batch_100", |b| {
        b.iter(|| {
            let mut sts = parse_statements(&body, XapiVersion::V2_0_0).unwrap();
            let mut scratch = Vec::new();
            for s in &mut sts {
                s.set_version_if_missing("2.0.0");
                s.clear_stored();
                std::hint::black_box(cairn_xapi::index_keys(s));
                std::hint::black_box(s.to_json_with(&mut scratch));
            }
            sts
        })
    });
    g.finish();
}

fn prepared(n: usize) -> Vec<NewStatement> {
    let body = batch_body(n);
    parse_statements(&body, XapiVersion::V2_0_0)
        .unwrap()
        .into_iter()
        .map(|mut s| NewStatement {
            id: s.id().unwrap(),
            body: s.to_json(),
            keys: cairn_xapi::index_keys(&s).into(),
            voids: None,
            ref_target: None,
            attachments: vec![],
            lrs_timestamp: false,
            definitions: cairn_core::activities::definitions(&mut s),
            restored_stored_us: None,
            facts: None,
        })
        .collect()
}

fn log_append(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(cairn_store::FjallStore::open(dir.path(), 64 << 20).unwrap());
    let log: Arc<dyn LogStore> = store;
    let (writer, _join) = Writer::new(log, Arc::new(Tail::new(u64::MAX)), WriterConfig::default())
        .spawn()
        .unwrap();
    let mut g = c.benchmark_group("log_append_group_commit");
    g.sample_size(10);
    for concurrency in [1usize, 8] {
        g.throughput(Throughput::Elements(100 * concurrency as u64));
        g.bench_with_input(
            BenchmarkId::new("batch_100_x", concurrency),
            &concurrency,
            |b, &conc| {
                b.to_async(&rt).iter_batched(
                    || (0..conc).map(|_| prepared(100)).collect::<Vec<_>>(),
                    |batches| {
                        let w = writer.clone();
                        async move {
                            let tasks: Vec<_> = batches
                                .into_iter()
                                .map(|statements| {
                                    let w = w.clone();
                                    tokio::spawn(async move {
                                        w.append(AppendRequest {
                                            store: StoreId::DEFAULT,
                                            statements,
                                            attachments: vec![],
                                            own_only: None,
                                        })
                                        .await
                                        .unwrap()
                                    })
                                })
                                .collect();
                            for t in tasks {
                                t.await.unwrap();
                            }
                        }
                    },
                    criterion::BatchSize::SmallInput,
                )
            },
        );
    }
    g.finish();
}

criterion_group!(benches, parse_validate, log_append);
criterion_main!(benches);
