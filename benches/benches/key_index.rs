//! The key index's entries for one written batch of 100 statements (`cairn_store::keys::
//! batch_entries`: what the writer's commit adds to its batch), with the filter keys of the
//! load generator's statements: a registration, an actor among 5,000, one of 15 verbs, an
//! activity among 3,000 with its course, one of 10 programmes, one category and the client's
//! authority.
use cairn_core::{FilterKeys, StatementRecord, StoreId};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};

fn record(i: u64) -> StatementRecord {
    let actor = format!("mbox:mailto:learner{}@example.org", (i * 7919) % 5000);
    let activity = format!("https://courses.example.org/a{}", (i * 104_729) % 3000);
    let course = format!("https://courses.example.org/c{}", (i * 104_729) % 300);
    StatementRecord {
        store: StoreId::DEFAULT,
        id: uuid::Uuid::from_u128(u128::from(i)),
        stored_us: 1_700_000_000_000_000 + i as i64,
        keys: FilterKeys {
            agents: vec![actor.clone()],
            related_agents: vec![actor, "mbox:mailto:load@example.org".into()],
            verbs: vec![format!("http://adlnet.gov/expapi/verbs/v{}", i % 15)],
            activities: vec![activity.clone()],
            related_activities: vec![
                activity,
                course,
                format!("https://programmes.example.org/p{}", i % 10),
                "https://w3id.org/xapi/cmi5/context/categories/moveon".into(),
            ],
            registrations: vec![uuid::Uuid::from_u128(u128::from(i * 31 % 20_000)).to_string()],
        },
        voids: None,
        attachments: vec![],
        body: vec![],
        facts: None,
    }
}

fn batch_entries(c: &mut Criterion) {
    let records: Vec<StatementRecord> = (1..=100).map(record).collect();
    let mut g = c.benchmark_group("key_index");
    g.throughput(Throughput::Elements(100));
    g.bench_function("batch_entries_100", |b| {
        b.iter(|| {
            cairn_store::keys::batch_entries(
                records.iter().enumerate().map(|(i, r)| (i as u64 + 1, r)),
            )
        })
    });
    g.finish();
}

criterion_group!(benches, batch_entries);
criterion_main!(benches);
