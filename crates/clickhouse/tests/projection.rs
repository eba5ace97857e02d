//! The ClickHouse projection against a real server (see `common` for how one is found or started).
mod common;

use cairn_clickhouse::{ClickHouseConfig, ClickHouseProjection, MIGRATIONS, StatementRow, samples};
use cairn_core::{Page, Projection, StatementQuery, StoreId};
use serde::Deserialize;

async fn count(p: &ClickHouseProjection, sql: &str) -> u64 {
    p.client().query(sql).fetch_one::<u64>().await.expect(sql)
}

async fn all_seqs(p: &ClickHouseProjection, q: &StatementQuery) -> Vec<u64> {
    let page = Page {
        max_seq: u64::MAX,
        after: None,
        limit: 1000,
    };
    p.query_seqs(q, &page).await.unwrap()
}

#[tokio::test]
async fn migrate_is_idempotent() {
    let p = common::fresh_projection().await;
    p.migrate().await.unwrap();
    p.migrate().await.unwrap();
    let versions: Vec<u32> = MIGRATIONS.iter().map(|m| m.version).collect();
    assert_eq!(p.applied_migrations().await.unwrap(), versions);
    assert_eq!(
        count(&p, "SELECT count() FROM schema_migrations").await,
        versions.len() as u64
    );
    let tables: Vec<String> = p
        .client()
        .query("SELECT name FROM system.tables WHERE database = ? ORDER BY name")
        .bind(p.database())
        .fetch_all()
        .await
        .unwrap();
    let mut want = vec![
        "actor_hours",
        "actor_hours_mv",
        "persona_identifiers",
        "query_values",
        "query_values_feed",
        "query_values_mv",
        "schema_migrations",
        "statement_key_index",
        "statement_key_index_mv",
        "statement_keys_feed",
        "statements",
        "statements_hourly",
        "statements_hourly_mv",
        "voided",
        "voids",
        "voids_mv",
    ];
    if cairn_testkit::cluster().is_some() {
        // Each table with rows of stores is a Distributed table over the servers' own tables.
        want.extend([
            "actor_hours_local",
            "cluster_mutations",
            "persona_identifiers_local",
            "query_values_feed_local",
            "query_values_local",
            "statement_key_index_local",
            "statement_keys_feed_local",
            "statements_hourly_local",
            "statements_local",
            "voided_local",
            "voids_local",
        ]);
        want.sort_unstable();
    }
    assert_eq!(tables, want);
    assert_eq!(p.max_seq().await.unwrap(), 0);
    common::cleanup(&p).await;
}

/// Every column, read back as written: proves the RowBinary layout of `StatementRow` matches the
/// table (the client's schema validation is off, see the crate doc).
#[derive(Debug, Deserialize, clickhouse::Row)]
struct ReadBack {
    #[serde(with = "clickhouse::serde::uuid")]
    store: uuid::Uuid,
    seq: u64,
    #[serde(with = "clickhouse::serde::uuid")]
    statement_id: uuid::Uuid,
    stored: u32,
    stored_us: i64,
    timestamp: u32,
    timestamp_us: i64,
    version: String,
    actor_ifi: String,
    verb: String,
    object_type: String,
    object_id: String,
    activity_type: String,
    registration: String,
    agents: Vec<String>,
    related_agents: Vec<String>,
    verbs: Vec<String>,
    activities: Vec<String>,
    related_activities: Vec<String>,
    registrations: Vec<String>,
    context_parent: Vec<String>,
    context_grouping: Vec<String>,
    context_category: Vec<String>,
    context_other: Vec<String>,
    score_scaled: Option<f64>,
    score_raw: Option<f64>,
    score_min: Option<f64>,
    score_max: Option<f64>,
    success: Option<u8>,
    completion: Option<u8>,
    duration_ms: Option<i64>,
    platform: String,
    language: String,
    authority: String,
    voids: String,
    attachments: Vec<String>,
    ext_keys: Vec<String>,
    ext_values: Vec<String>,
}

/// A crash between applying a migration and recording it applies it again: every migration,
/// 0006's `ADD COLUMN`s and view re-creation included, is harmless the second time.
#[tokio::test]
async fn migrations_applied_twice_are_harmless() {
    let p = common::fresh_projection().await;
    p.migrate().await.unwrap();
    if cairn_testkit::cluster().is_some() {
        // 18.16's TRUNCATE of a table replicated to every server never returns; a mutation
        // empties it, and the test waits until it has.
        p.client()
            .query("ALTER TABLE schema_migrations DELETE WHERE 1")
            .execute()
            .await
            .unwrap();
        let started = std::time::Instant::now();
        while count(&p, "SELECT count() FROM schema_migrations").await > 0 {
            assert!(
                started.elapsed().as_secs() < 60,
                "schema_migrations not emptied"
            );
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
    } else {
        p.client()
            .query("TRUNCATE TABLE schema_migrations")
            .execute()
            .await
            .unwrap();
    }
    p.migrate().await.unwrap();
    let ext: u64 = p
        .client()
        .query(
            "SELECT count() FROM system.columns WHERE database = ? AND table = 'statements' \
             AND name IN ('ext_keys', 'ext_values')",
        )
        .bind(p.database())
        .fetch_one()
        .await
        .unwrap();
    assert_eq!(ext, 2);
    p.insert(&samples::records()[..1], &[]).await.unwrap();
    let keys = p
        .values(StoreId::DEFAULT, "result.extensions", "", 10)
        .await
        .unwrap();
    assert_eq!(keys.len(), 1, "the re-created view records extensions");
    assert_eq!(keys[0].value, samples::EXT_POINTS);
    common::cleanup(&p).await;
}

#[tokio::test]
async fn columns_round_trip() {
    let p = common::fresh_projection().await;
    p.migrate().await.unwrap();
    let records = samples::records();
    p.insert(&records, &samples::retractions(&records))
        .await
        .unwrap();
    let rows: Vec<ReadBack> = p
        .client()
        .query("SELECT ?fields FROM statements ORDER BY seq")
        .fetch_all()
        .await
        .unwrap();
    assert_eq!(rows.len(), records.len());
    for (got, (seq, record)) in rows.iter().zip(&records) {
        let facts = record.facts();
        let want = StatementRow::new(*seq, record, &facts);
        let got_json = serde_json::json!({
            "store": got.store.to_string(), "seq": got.seq,
            "statement_id": got.statement_id.to_string(),
            "stored": got.stored, "stored_us": got.stored_us,
            "timestamp": got.timestamp, "timestamp_us": got.timestamp_us,
            "version": got.version, "actor_ifi": got.actor_ifi, "verb": got.verb,
            "object_type": got.object_type, "object_id": got.object_id,
            "activity_type": got.activity_type, "registration": got.registration,
            "agents": got.agents, "related_agents": got.related_agents, "verbs": got.verbs,
            "activities": got.activities, "related_activities": got.related_activities,
            "registrations": got.registrations, "context_parent": got.context_parent,
            "context_grouping": got.context_grouping, "context_category": got.context_category,
            "context_other": got.context_other, "score_scaled": got.score_scaled,
            "score_raw": got.score_raw, "score_min": got.score_min, "score_max": got.score_max,
            "success": got.success, "completion": got.completion,
            "duration_ms": got.duration_ms, "platform": got.platform, "language": got.language,
            "authority": got.authority, "voids": got.voids, "attachments": got.attachments,
            "ext_keys": got.ext_keys, "ext_values": got.ext_values,
        });
        assert_eq!(got_json, serde_json::to_value(&want).unwrap(), "seq {seq}");
    }
    // Spot checks against the source, independent of StatementRow.
    let r4 = &rows[3];
    assert_eq!(r4.statement_id, samples::statement_id(4));
    assert_eq!(r4.stored_us, samples::BASE_US + 4000);
    assert_eq!(r4.duration_ms, Some(4000));
    assert_eq!(r4.success, Some(1));
    assert_eq!(rows[19].voids, samples::statement_id(4).to_string());
    let points = |c: &str| format!("{c}.{}", samples::EXT_POINTS);
    assert_eq!(
        r4.ext_keys,
        [
            points("result.extensions"),
            format!("context.extensions.{}", samples::EXT_LEVEL),
            points("object.definition.extensions"),
        ]
    );
    assert_eq!(r4.ext_values, ["1.0", "L1", r#"{"max":1}"#]);
    assert_eq!(rows[19].object_type, "StatementRef");
    // The materialized view filled `voids` from the voiding statements.
    assert_eq!(
        count(&p, "SELECT count() FROM voids").await,
        samples::VOIDING.len() as u64
    );
    assert_eq!(p.max_seq().await.unwrap(), samples::N);
    common::cleanup(&p).await;
}

#[tokio::test]
async fn every_sample_query_agrees_with_the_core_predicate() {
    let p = common::fresh_projection().await;
    p.migrate().await.unwrap();
    let records = samples::records();
    p.insert(&records, &samples::retractions(&records))
        .await
        .unwrap();
    let mut non_empty = 0;
    let narrow = p.clone().with_read_window(2);
    for (name, q, page) in samples::queries() {
        let want = samples::expected(&records, &q, &page);
        non_empty += usize::from(!want.is_empty());
        assert_eq!(p.query_seqs(&q, &page).await.unwrap(), want, "query {name}");
        // The same answers when the search proceeds through many small windows of seq.
        assert_eq!(
            narrow.query_seqs(&q, &page).await.unwrap(),
            want,
            "query {name}, window 2"
        );
    }
    assert!(
        non_empty >= 15,
        "the sample matrix should mostly have answers"
    );
    // Voiding: 4 and 9 are hidden, their voiding statements are not; 2 is named by a voiding
    // statement of another store and stays visible.
    let all = all_seqs(&p, &StatementQuery::new(StoreId::DEFAULT)).await;
    assert!(!all.contains(&4) && !all.contains(&9));
    assert!(all.contains(&20) && all.contains(&25) && all.contains(&2));
    common::cleanup(&p).await;
}

#[tokio::test]
async fn paging_walks_every_statement_once_in_both_directions() {
    let p = common::fresh_projection().await;
    p.migrate().await.unwrap();
    let records = samples::records();
    p.insert(&records, &samples::retractions(&records))
        .await
        .unwrap();
    for (ascending, window) in [(false, 1 << 16), (true, 1 << 16), (false, 3), (true, 3)] {
        let p = p.clone().with_read_window(window);
        let mut q = StatementQuery::new(StoreId::DEFAULT);
        q.ascending = ascending;
        let mut page = Page {
            max_seq: 27,
            after: None,
            limit: 4,
        };
        let mut walked = Vec::new();
        loop {
            let seqs = p.query_seqs(&q, &page).await.unwrap();
            assert!(seqs.len() <= 4);
            let Some(&last) = seqs.last() else { break };
            walked.extend(seqs);
            page.after = Some(last);
        }
        let whole = Page {
            max_seq: 27,
            after: None,
            limit: 1000,
        };
        assert_eq!(
            walked,
            samples::expected(&records, &q, &whole),
            "ascending={ascending} window={window}"
        );
        assert!(walked.iter().all(|s| *s <= 27));
    }
    common::cleanup(&p).await;
}

#[tokio::test]
async fn replayed_rows_are_returned_once() {
    let p = common::fresh_projection().await;
    p.migrate().await.unwrap();
    let records = samples::records();
    p.insert(&records, &samples::retractions(&records))
        .await
        .unwrap();
    p.insert(&records[..10], &samples::retractions(&records[..10]))
        .await
        .unwrap();
    p.insert(&records[5..], &samples::retractions(&records[5..]))
        .await
        .unwrap();
    assert!(count(&p, "SELECT count() FROM statements").await > samples::N);
    let q = StatementQuery::new(StoreId::DEFAULT);
    let page = Page {
        max_seq: u64::MAX,
        after: None,
        limit: 1000,
    };
    assert_eq!(
        p.query_seqs(&q, &page).await.unwrap(),
        samples::expected(&records, &q, &page)
    );
    let small = Page { limit: 3, ..page };
    assert_eq!(
        p.query_seqs(&q, &small).await.unwrap(),
        samples::expected(&records, &q, &small)
    );
    common::cleanup(&p).await;
}

#[tokio::test]
async fn discard_after_removes_later_rows_and_their_voids() {
    let p = common::fresh_projection().await;
    p.migrate().await.unwrap();
    let records = samples::records();
    p.insert(&records, &samples::retractions(&records))
        .await
        .unwrap();
    p.discard_after(u64::MAX).await.unwrap(); // nothing above: no mutation needed
    assert_eq!(
        count(&p, "SELECT count() FROM statements").await,
        samples::N
    );

    p.discard_after(22).await.unwrap();
    assert_eq!(p.max_seq().await.unwrap(), 22);
    assert_eq!(count(&p, "SELECT count() FROM statements").await, 22);
    assert_eq!(count(&p, "SELECT count() FROM voids").await, 1); // only 20's void remains
    // 9 was voided by 25 (discarded); 4 by 20 (kept). The index follows the statements.
    assert_eq!(count(&p, "SELECT count() FROM voided").await, 1);
    assert_eq!(count(&p, "SELECT sum(seq) FROM voided").await, 4);
    assert_eq!(count(&p, "SELECT count() FROM actor_hours").await, 22);
    let all = all_seqs(&p, &StatementQuery::new(StoreId::DEFAULT)).await;
    assert!(
        all.contains(&9),
        "9 is visible again once its voiding statement 25 is discarded"
    );
    assert!(!all.contains(&4));
    assert_eq!(
        all,
        samples::expected(
            &records[..22],
            &StatementQuery::new(StoreId::DEFAULT),
            &Page {
                max_seq: u64::MAX,
                after: None,
                limit: 1000
            }
        )
    );

    // Re-projecting the discarded tail gives back the full answer, exactly once.
    p.insert(&records[22..], &samples::retractions(&records[22..]))
        .await
        .unwrap();
    assert_eq!(
        count(&p, "SELECT count() FROM statements").await,
        samples::N
    );
    assert_eq!(count(&p, "SELECT count() FROM voided").await, 2);
    assert_eq!(count(&p, "SELECT sum(seq) FROM voided").await, 4 + 9);
    assert_eq!(
        count(&p, "SELECT count() FROM actor_hours").await,
        samples::N
    );
    for (name, q, page) in samples::queries() {
        assert_eq!(
            p.query_seqs(&q, &page).await.unwrap(),
            samples::expected(&records, &q, &page),
            "{name}"
        );
    }

    p.discard_after(0).await.unwrap();
    assert_eq!(count(&p, "SELECT count() FROM statements").await, 0);
    assert_eq!(count(&p, "SELECT count() FROM voids").await, 0);
    assert_eq!(count(&p, "SELECT count() FROM voided").await, 0);
    assert_eq!(count(&p, "SELECT count() FROM actor_hours").await, 0);
    assert!(
        all_seqs(&p, &StatementQuery::new(StoreId::DEFAULT))
            .await
            .is_empty()
    );
    common::cleanup(&p).await;
}

#[tokio::test]
async fn reset_empties_and_keeps_the_schema_current() {
    let p = common::fresh_projection().await;
    p.migrate().await.unwrap();
    p.insert(
        &samples::records(),
        &samples::retractions(&samples::records()),
    )
    .await
    .unwrap();
    p.reset().await.unwrap();
    assert_eq!(p.max_seq().await.unwrap(), 0);
    assert_eq!(
        p.applied_migrations().await.unwrap().len(),
        MIGRATIONS.len()
    );
    p.insert(
        &samples::records()[..3],
        &samples::retractions(&samples::records()[..3]),
    )
    .await
    .unwrap();
    assert_eq!(count(&p, "SELECT count() FROM statements").await, 3);
    let empty = Page {
        max_seq: u64::MAX,
        after: None,
        limit: 0,
    };
    assert!(
        p.query_seqs(&StatementQuery::new(StoreId::DEFAULT), &empty)
            .await
            .unwrap()
            .is_empty()
    );
    common::cleanup(&p).await;
}

#[tokio::test]
async fn credentials_and_compression_options() {
    let base = ClickHouseConfig {
        url: common::server_url().to_string(),
        cluster: cairn_testkit::cluster(),
        ..Default::default()
    };
    let ok = ClickHouseConfig {
        user: Some("default".into()),
        password: Some(String::new()),
        database: format!("cairn_test_{}", uuid::Uuid::new_v4().simple()),
        ..base.clone()
    };
    let p = ClickHouseProjection::connect(ok)
        .await
        .expect("default user, empty password");
    p.migrate().await.unwrap();
    common::cleanup(&p).await;
    // Without LZ4 (the default is on, so the other tests cover compression).
    let plain = ClickHouseConfig {
        compression: false,
        database: format!("cairn_test_{}", uuid::Uuid::new_v4().simple()),
        ..base.clone()
    };
    let p = ClickHouseProjection::connect(plain).await.unwrap();
    p.migrate().await.unwrap();
    let records = samples::records();
    p.insert(&records, &samples::retractions(&records))
        .await
        .unwrap();
    for (name, q, page) in samples::queries() {
        let want = samples::expected(&records, &q, &page);
        assert_eq!(p.query_seqs(&q, &page).await.unwrap(), want, "{name}");
    }
    common::cleanup(&p).await;
    let bad = ClickHouseConfig {
        user: Some("no_such_user".into()),
        ..base
    };
    let e = ClickHouseProjection::connect(bad)
        .await
        .err()
        .expect("unknown user is refused");
    assert!(e.message.contains("no_such_user"), "{e}");
}
