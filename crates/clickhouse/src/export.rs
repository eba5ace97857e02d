//! Statements matching a filter, streamed from ClickHouse through a bounded channel: nothing
//! buffers the result. Chosen fields come as `JSONEachRow` and are rewritten line by line
//! (`cairn_core::analytics::rows`: times in the query's zone, CSV or JSON). Voided statements
//! are left out, each statement appears once (`LIMIT 1 BY seq`), in seq order (newest first
//! when the query says so). ClickHouse does not hold the statements' JSON: whole statements
//! (and the `statement` field) are read from the log by `cairn_core::analytics::bodies`, which
//! asks this export for their `seq`.
use crate::{ClickHouseProjection, err};
use cairn_core::ProjectionError;
use cairn_core::analytics::rows::{RowFormat, RowWriter, STATEMENT_FIELD};
use cairn_core::analytics::{ByteStream, ExportFormat, StatementsQuery};
use cairn_filter::{FieldKind, FieldRef, Param};

/// Chunks in flight between ClickHouse and the HTTP body.
const CHANNEL: usize = 8;

/// A chosen field as a SELECT expression, with its parameters (an extension path binds its key).
/// (CSV cells that a spreadsheet would read as formulas are escaped where the rows are
/// rewritten, `cairn_core::analytics::rows`.)
fn column(field: &str, params: &mut Vec<Param>) -> String {
    let text = |expr: String, expr_params: Vec<Param>, params: &mut Vec<Param>| {
        params.extend(expr_params);
        expr
    };
    let expr = match field {
        "seq" => "seq".to_string(),
        "id" => "toString(statement_id)".to_string(),
        path => match FieldRef::parse(path) {
            Ok(FieldRef::Field(f)) if f.kind == FieldKind::Str => {
                text(f.column.to_string(), Vec::new(), params)
            }
            Ok(FieldRef::Field(f)) => f.column.to_string(),
            Ok(FieldRef::Extension(e)) => {
                let t = e.text_sql();
                text(t.clause, t.params, params)
            }
            Err(_) => "''".into(),
        },
    };
    // The client reads `?` as a placeholder and `??` as a literal `?` (IRIs may hold one).
    format!(
        "{expr} AS `{}`",
        field.replace('`', "\\`").replace('?', "??")
    )
}

/// The SELECT, its parameters and the output format.
pub fn export_sql(
    q: &StatementsQuery,
    format: ExportFormat,
    now_us: i64,
) -> (String, Vec<Param>, &'static str) {
    let mut select_params = Vec::new();
    // Whole statements are read from the log; ClickHouse names them by `seq`.
    let fields = match format {
        ExportFormat::Statements => vec!["seq".to_string()],
        ExportFormat::Ndjson | ExportFormat::Csv => q.columns(),
    };
    let cols: Vec<String> = fields
        .iter()
        .map(|f| column(f, &mut select_params))
        .collect();
    let (select, fmt) = (cols.join(", "), "JSONEachRow");
    let store = q.store.0.to_string();
    let persona = q.fields.iter().any(|f| f == "persona")
        || q.filter.as_ref().is_some_and(crate::persona::filter_uses);
    let mut params = select_params;
    let join = if persona {
        params.push(Param::Str(store.clone()));
        crate::persona::JOIN
    } else {
        ""
    };
    let (cursor, order) = match (q.descending, q.after_seq) {
        (false, after) => (format!("seq > {after}"), "seq"),
        (true, 0) => ("1".to_string(), "seq DESC"),
        (true, before) => (format!("seq < {before}"), "seq DESC"),
    };
    params.push(Param::Str(store.clone()));
    let mut filter = String::new();
    if let Some(f) = &q.filter {
        let sql = f.to_sql(now_us);
        filter = format!(" AND ({})", sql.clause);
        params.extend(sql.params);
    }
    params.push(Param::Str(store));
    let mut sql = format!(
        "SELECT {select} FROM statements{join} WHERE store = toUUID(?) AND {cursor}{filter} \
         AND statement_id NOT IN (SELECT voided_id FROM voids WHERE store = toUUID(?)) \
         ORDER BY {order} LIMIT 1 BY seq"
    );
    if let Some(limit) = q.limit {
        sql.push_str(" LIMIT ?");
        params.push(Param::I64(limit as i64));
    }
    (sql, params, fmt)
}

impl ClickHouseProjection {
    /// Starts the export; chunks arrive on the returned channel as ClickHouse sends them.
    pub async fn export(
        &self,
        q: &StatementsQuery,
        format: ExportFormat,
    ) -> Result<ByteStream, ProjectionError> {
        if format == ExportFormat::Statements || q.columns().iter().any(|f| f == STATEMENT_FIELD) {
            return Err(ProjectionError::new(
                "export: statement bodies are read from the log, not from ClickHouse",
            ));
        }
        let now_us = jiff::Timestamp::now().as_microsecond();
        let (sql, params, fmt) = export_sql(q, format, now_us);
        let mut cursor = crate::filter::query_off_runtime(&self.client, sql, params)
            .await
            .with_setting("output_format_json_quote_64bit_integers", "0")
            .with_setting("max_memory_usage", self.export_memory().to_string())
            .fetch_bytes(fmt)
            .map_err(err("export"))?;
        // The first chunk (or error) before answering, so a bad query is an error, not a stream.
        let first = cursor.next().await.map_err(err("export"))?;
        let tz = q.tz.as_deref().map(jiff::tz::TimeZone::get).transpose();
        let tz = tz.map_err(|e| ProjectionError::new(format!("export: {e}")))?;
        let f = if format == ExportFormat::Csv {
            RowFormat::Csv
        } else {
            RowFormat::Json
        };
        let mut rows = RowWriter::new(q.columns(), tz, f);
        let (tx, rx) = tokio::sync::mpsc::channel(CHANNEL);
        tokio::spawn(async move {
            let mut chunk = first;
            loop {
                let last = chunk.is_none();
                let out = match chunk {
                    Some(bytes) => rows.push(&bytes),
                    None => rows.finish(),
                };
                let out = out.map_err(|e| ProjectionError::new(format!("export: {e}")));
                let failed = out.is_err();
                let empty = matches!(&out, Ok(b) if b.is_empty());
                if (!empty && tx.send(out.map(Into::into)).await.is_err()) || failed || last {
                    return; // the reader went away, or the end
                }
                chunk = match cursor.next().await {
                    Ok(c) => c,
                    Err(e) => {
                        let _ = tx.send(Err(crate::err("export")(e))).await;
                        return;
                    }
                };
            }
        });
        Ok(rx)
    }
}
