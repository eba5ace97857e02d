//! `query_values` checked against `statements`, shared by the aggregate test binaries.
use cairn_clickhouse::ClickHouseProjection;
use cairn_core::StoreId;

/// `query_values` answers, for each (path, array expression over `statements`), what
/// `statements` holds.
pub async fn values_match_raw(p: &ClickHouseProjection, store: StoreId, paths: &[(&str, &str)]) {
    for (path, column) in paths {
        let want: Vec<(String, u64, i64, i64)> = p
            .client()
            .query(&format!(
                "SELECT v, count() AS n, min(stored_us), max(stored_us) FROM statements \
                 ARRAY JOIN {column} AS v WHERE store = toUUID(?) AND v != '' \
                 GROUP BY v ORDER BY n DESC, v"
            ))
            .bind(store.0.to_string())
            .fetch_all()
            .await
            .unwrap();
        let got: Vec<(String, u64, i64, i64)> = p
            .values(store, path, "", 100)
            .await
            .unwrap()
            .into_iter()
            .map(|v| (v.value, v.count, v.first_seen_us, v.last_seen_us))
            .collect();
        assert_eq!(got, want, "{path}");
    }
}
