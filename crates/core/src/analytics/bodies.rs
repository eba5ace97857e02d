//! Statement bodies for exports and statement pages, read from the log. The projection answers
//! which statements match (their `seq`, the position in the log) and the chosen fields; the
//! statements themselves are the log's, as in filtered xAPI reads. [`WithBodies`] wraps the
//! analytics port: an export of whole statements, or one that chooses the `statement` field,
//! asks the projection for `seq` (and the other fields), then reads the bodies batch by batch
//! ([`LogStore::statements_at`], on the blocking pool) as the rows stream: at most
//! [`BODY_BATCH`] bodies and [`CHANNEL`] output chunks are held at a time.
use super::rows::{RowFormat, RowWriter, STATEMENT_FIELD};
use super::{
    AggregateQuery, AggregateResult, Analytics, AnalyticsError, ByteStream, ExportFormat,
    FunnelQuery, FunnelResult, StatementsQuery, ValueCount,
};
use crate::ids::StoreId;
use crate::ports::{LogStore, ProjectionError};
use std::sync::Arc;

/// Bodies read from the log per lookup.
pub const BODY_BATCH: usize = 256;
/// Output chunks in flight to the reader.
pub const CHANNEL: usize = 8;

/// The analytics port, with statement bodies read from `log`.
pub struct WithBodies {
    inner: Arc<dyn Analytics>,
    log: Arc<dyn LogStore>,
}

impl WithBodies {
    pub fn new(inner: Arc<dyn Analytics>, log: Arc<dyn LogStore>) -> Self {
        WithBodies { inner, log }
    }
}

/// How the rows of the projection become the output.
enum Output {
    /// One statement a line.
    Statements,
    /// The chosen fields, the body spliced into each row as `statement`.
    Rows(RowWriter),
}

#[async_trait::async_trait]
impl Analytics for WithBodies {
    async fn aggregate(&self, q: &AggregateQuery) -> Result<AggregateResult, AnalyticsError> {
        self.inner.aggregate(q).await
    }

    async fn export(
        &self,
        q: &StatementsQuery,
        format: ExportFormat,
    ) -> Result<ByteStream, AnalyticsError> {
        let columns = q.columns();
        let body = columns.iter().any(|f| f == STATEMENT_FIELD);
        if format != ExportFormat::Statements && !body {
            return self.inner.export(q, format).await;
        }
        // The projection's rows: `seq` and the other chosen fields, times as epoch µs (the
        // output writer formats them once the body is in).
        let mut fields: Vec<String> = match format {
            ExportFormat::Statements => Vec::new(),
            ExportFormat::Ndjson | ExportFormat::Csv => columns
                .iter()
                .filter(|f| *f != STATEMENT_FIELD)
                .cloned()
                .collect(),
        };
        if !fields.iter().any(|f| f == "seq") {
            fields.push("seq".into());
        }
        let inner_q = StatementsQuery {
            fields,
            tz: None,
            ..q.clone()
        };
        let output = match format {
            ExportFormat::Statements => Output::Statements,
            ExportFormat::Ndjson | ExportFormat::Csv => {
                let tz = q.tz.as_deref().map(jiff::tz::TimeZone::get).transpose();
                let tz = tz.map_err(|e| ProjectionError::new(format!("export: {e}")))?;
                let f = if format == ExportFormat::Csv {
                    RowFormat::Csv
                } else {
                    RowFormat::Json
                };
                Output::Rows(RowWriter::new(columns, tz, f))
            }
        };
        let rows = self.inner.export(&inner_q, ExportFormat::Ndjson).await?;
        let (tx, rx) = tokio::sync::mpsc::channel(CHANNEL);
        tokio::spawn(stream(rows, self.log.clone(), q.store, output, tx));
        Ok(rx)
    }

    async fn values(
        &self,
        store: StoreId,
        path: &str,
        prefix: &str,
        limit: u64,
    ) -> Result<Vec<ValueCount>, AnalyticsError> {
        self.inner.values(store, path, prefix, limit).await
    }

    async fn funnel(&self, q: &FunnelQuery) -> Result<FunnelResult, AnalyticsError> {
        self.inner.funnel(q).await
    }
}

type Sender = tokio::sync::mpsc::Sender<Result<bytes::Bytes, ProjectionError>>;

/// Reads the projection's rows, adds the bodies and sends the output, until the rows end, an
/// error (sent to the reader) or the reader goes away.
async fn stream(
    mut rows: ByteStream,
    log: Arc<dyn LogStore>,
    store: StoreId,
    mut output: Output,
    tx: Sender,
) {
    let mut partial: Vec<u8> = Vec::new();
    let mut lines: Vec<Vec<u8>> = Vec::new();
    loop {
        let chunk = match rows.recv().await {
            Some(Ok(c)) => Some(c),
            Some(Err(e)) => {
                let _ = tx.send(Err(e)).await;
                return;
            }
            None => None,
        };
        let last = chunk.is_none();
        match &chunk {
            Some(c) => split_lines(&mut partial, c, &mut lines),
            None if !partial.iter().all(u8::is_ascii_whitespace) => {
                lines.push(std::mem::take(&mut partial))
            }
            None => {}
        }
        while lines.len() >= BODY_BATCH || (last && !lines.is_empty()) {
            let n = lines.len().min(BODY_BATCH);
            let batch: Vec<Vec<u8>> = lines.drain(..n).collect();
            let out = with_bodies(&log, store, batch, &mut output).await;
            let failed = out.is_err();
            if tx.send(out.map(Into::into)).await.is_err() || failed {
                return;
            }
        }
        if last {
            if let Output::Rows(w) = &mut output {
                match w.finish() {
                    Ok(b) if b.is_empty() => {}
                    out => {
                        let out = out.map(Into::into).map_err(export_error);
                        let _ = tx.send(out).await;
                    }
                }
            }
            return;
        }
    }
}

/// Appends the complete lines of `chunk` (after what `partial` holds) to `lines`, keeping the
/// incomplete end in `partial`.
fn split_lines(partial: &mut Vec<u8>, chunk: &[u8], lines: &mut Vec<Vec<u8>>) {
    let mut rest = chunk;
    while let Some(i) = rest.iter().position(|b| *b == b'\n') {
        let mut line = std::mem::take(partial);
        line.extend_from_slice(&rest[..i]);
        rest = &rest[i + 1..];
        if !line.iter().all(u8::is_ascii_whitespace) {
            lines.push(line);
        }
    }
    partial.extend_from_slice(rest);
}

fn export_error(e: String) -> ProjectionError {
    ProjectionError::new(format!("export: {e}"))
}

/// The output of one batch of rows, with the bodies of their statements.
async fn with_bodies(
    log: &Arc<dyn LogStore>,
    store: StoreId,
    lines: Vec<Vec<u8>>,
    output: &mut Output,
) -> Result<Vec<u8>, ProjectionError> {
    #[derive(serde::Deserialize)]
    struct Seq {
        seq: u64,
    }
    let seqs: Vec<u64> = lines
        .iter()
        .map(|l| serde_json::from_slice::<Seq>(l).map(|s| s.seq))
        .collect::<Result<_, _>>()
        .map_err(|e| export_error(format!("row without seq: {e}")))?;
    let log = log.clone();
    let records = tokio::task::spawn_blocking(move || log.statements_at(&seqs))
        .await
        .map_err(|e| export_error(e.to_string()))?
        .map_err(|e| export_error(e.to_string()))?;
    let mut out = Vec::with_capacity(records.len() * 2048);
    for (line, record) in lines.iter().zip(records) {
        // The projection only names statements of the store, from the log; anything else is
        // a row the log does not back, and is left out rather than served from elsewhere.
        let body = record.filter(|r| r.store == store).map(|r| r.full_json());
        match output {
            Output::Statements => {
                if let Some(body) = body {
                    out.extend_from_slice(&body);
                    out.push(b'\n');
                }
            }
            Output::Rows(w) => {
                let row = splice(line, body.as_deref())?;
                out.extend(w.push(&row).map_err(export_error)?);
            }
        }
    }
    Ok(out)
}

/// The row `line` (a JSON object without a `statement` member) with `"statement"` set to
/// `body` (`null` when missing) first, ending with a newline.
fn splice(line: &[u8], body: Option<&[u8]>) -> Result<Vec<u8>, ProjectionError> {
    let line = line.trim_ascii();
    let rest = line
        .strip_prefix(b"{")
        .ok_or_else(|| export_error("a row is not a JSON object".into()))?;
    let body = body.unwrap_or(b"null");
    let mut out = Vec::with_capacity(line.len() + body.len() + 16);
    out.extend_from_slice(b"{\"");
    out.extend_from_slice(STATEMENT_FIELD.as_bytes());
    out.extend_from_slice(b"\":");
    out.extend_from_slice(body);
    if !rest.trim_ascii_start().starts_with(b"}") {
        out.push(b',');
    }
    out.extend_from_slice(rest);
    out.push(b'\n');
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bodies_are_spliced_into_rows() {
        let row = splice(br#"{"seq":3,"verb":"v"}"#, Some(br#"{"id":"x"}"#)).unwrap();
        assert_eq!(
            row,
            b"{\"statement\":{\"id\":\"x\"},\"seq\":3,\"verb\":\"v\"}\n"
        );
        assert_eq!(splice(b"{}", None).unwrap(), b"{\"statement\":null}\n");
        assert!(splice(b"[1]", None).is_err());
    }

    #[test]
    fn lines_are_split_across_chunks() {
        let (mut partial, mut lines) = (Vec::new(), Vec::new());
        split_lines(&mut partial, b"{\"seq\":1}\n{\"se", &mut lines);
        split_lines(&mut partial, b"q\":2}\n\n{\"seq\":3}", &mut lines);
        assert_eq!(lines, [b"{\"seq\":1}".to_vec(), b"{\"seq\":2}".to_vec()]);
        assert_eq!(partial, b"{\"seq\":3}");
    }
}
