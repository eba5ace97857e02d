//! Statements matching a filter, streamed straight from ClickHouse in the requested format
//! (`TabSeparatedRaw` of the `statement` column for whole statements, `JSONEachRow` or
//! `CSVWithNames` for chosen fields) through a bounded channel: nothing buffers the result.
//! Voided statements are left out, each statement appears once (`LIMIT 1 BY seq`), in seq order.
//! In CSV, a text cell that a spreadsheet would read as a formula (it starts with `=`, `+`, `-`,
//! `@`, a tab or a carriage return, and is not a plain number) gets a leading `'` (OWASP's
//! advice against CSV injection).
use crate::{ClickHouseProjection, err};
use cairn_core::ProjectionError;
use cairn_core::analytics::{ByteStream, ExportFormat, StatementsQuery};
use cairn_filter::{FieldKind, FieldRef, Param};

/// Chunks in flight between ClickHouse and the HTTP body.
const CHANNEL: usize = 8;

/// A text value a spreadsheet reads as a number, not a formula: left as it is.
const PLAIN_NUMBER: &str = r"^[-+]?[0-9]+(\.[0-9]+)?([eE][-+]?[0-9]+)?$";
/// The first character of a text value a spreadsheet would read as a formula.
const FORMULA_START: &str = r"^([-=+@\t\r])";
/// What replaces it: a quote, then the character.
const FORMULA_ESCAPE: &str = r"'\1";

/// `expr` (a text expression with its parameters) made safe for a CSV cell.
fn csv_cell(expr: &str, expr_params: &[Param], params: &mut Vec<Param>) -> String {
    params.extend_from_slice(expr_params);
    params.push(Param::Str(PLAIN_NUMBER.into()));
    params.extend_from_slice(expr_params);
    params.extend_from_slice(expr_params);
    params.push(Param::Str(FORMULA_START.into()));
    params.push(Param::Str(FORMULA_ESCAPE.into()));
    format!("if(match({expr}, ?), {expr}, replaceRegexpOne({expr}, ?, ?))")
}

/// A chosen field as a SELECT expression, with its parameters (an extension path binds its key).
/// For CSV, text columns are escaped with [`csv_cell`].
fn column(field: &str, params: &mut Vec<Param>, csv: bool) -> String {
    let text = |expr: String, expr_params: Vec<Param>, params: &mut Vec<Param>| {
        if csv {
            csv_cell(&expr, &expr_params, params)
        } else {
            params.extend(expr_params);
            expr
        }
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
    let (select, fmt) = match format {
        ExportFormat::Statements => ("statement".to_string(), "TabSeparatedRaw"),
        ExportFormat::Ndjson | ExportFormat::Csv => {
            let csv = format == ExportFormat::Csv;
            let cols: Vec<String> = if q.fields.is_empty() {
                ["seq", "id", "actor", "verb", "object.id", "timestamp"]
                    .iter()
                    .map(|f| column(f, &mut select_params, csv))
                    .collect()
            } else {
                q.fields
                    .iter()
                    .map(|f| column(f, &mut select_params, csv))
                    .collect()
            };
            let fmt = if format == ExportFormat::Csv {
                "CSVWithNames"
            } else {
                "JSONEachRow"
            };
            (cols.join(", "), fmt)
        }
    };
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
    params.extend([Param::Str(store.clone()), Param::I64(q.after_seq as i64)]);
    let mut filter = String::new();
    if let Some(f) = &q.filter {
        let sql = f.to_sql(now_us);
        filter = format!(" AND ({})", sql.clause);
        params.extend(sql.params);
    }
    params.push(Param::Str(store));
    let mut sql = format!(
        "SELECT {select} FROM statements{join} WHERE store = toUUID(?) AND seq > ?{filter} \
         AND statement_id NOT IN (SELECT voided_id FROM voids WHERE store = toUUID(?)) \
         ORDER BY seq LIMIT 1 BY seq"
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
        let now_us = jiff::Timestamp::now().as_microsecond();
        let (sql, params, fmt) = export_sql(q, format, now_us);
        let mut cursor = crate::filter::query(&self.client, &sql, &params)
            .with_setting("output_format_json_quote_64bit_integers", "0")
            .with_setting("max_memory_usage", self.export_memory().to_string())
            .fetch_bytes(fmt)
            .map_err(err("export"))?;
        // The first chunk (or error) before answering, so a bad query is an error, not a stream.
        let first = cursor.next().await.map_err(err("export"))?;
        let (tx, rx) = tokio::sync::mpsc::channel(CHANNEL);
        tokio::spawn(async move {
            let mut chunk = first;
            while let Some(bytes) = chunk {
                if tx.send(Ok(bytes)).await.is_err() {
                    return; // the reader went away
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
