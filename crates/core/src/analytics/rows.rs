//! The rows of a statements query or export, rewritten as they stream: the projection sends one
//! JSON object a line (ClickHouse's `JSONEachRow`, times as epoch microseconds); [`RowWriter`]
//! turns each complete line into the output line — JSON with the chosen fields in their order,
//! or CSV — with times as ISO 8601 in the chosen time zone (the whole `statement`, which
//! [`super::bodies`] adds from the log, is JSON like any other value). It holds at most one
//! partial line between chunks, so nothing buffers the result.
use serde_json::value::RawValue;
use std::collections::HashMap;

/// Fields holding epoch microseconds.
pub const TIME_FIELDS: &[&str] = &["timestamp", "stored"];

/// The extra field holding the whole statement (read from the log, [`super::bodies`]).
pub const STATEMENT_FIELD: &str = "statement";

/// `2026-11-27T04:43:20.123456+01:00`: the instant in `tz`, microsecond precision, with the
/// zone's offset at that instant.
pub fn iso_in(us: i64, tz: &jiff::tz::TimeZone) -> String {
    match jiff::Timestamp::from_microsecond(us) {
        Ok(ts) => ts
            .to_zoned(tz.clone())
            .strftime("%Y-%m-%dT%H:%M:%S%.6f%:z")
            .to_string(),
        Err(_) => us.to_string(),
    }
}

/// How rows are written.
pub enum RowFormat {
    /// One JSON object a line.
    Json,
    /// CSV with a header line; strings quoted, numbers not.
    Csv,
}

pub struct RowWriter {
    fields: Vec<String>,
    tz: Option<jiff::tz::TimeZone>,
    format: RowFormat,
    header_pending: bool,
    partial: Vec<u8>,
}

impl RowWriter {
    /// `fields` in output order; times as ISO 8601 in `tz`, or left as epoch microseconds when
    /// `tz` is `None`.
    pub fn new(fields: Vec<String>, tz: Option<jiff::tz::TimeZone>, format: RowFormat) -> Self {
        let header_pending = matches!(format, RowFormat::Csv);
        RowWriter {
            fields,
            tz,
            format,
            header_pending,
            partial: Vec::new(),
        }
    }

    /// The output of every line `chunk` completes (with the header first, for CSV).
    pub fn push(&mut self, chunk: &[u8]) -> Result<Vec<u8>, String> {
        let mut out = Vec::with_capacity(chunk.len() + 64);
        if self.header_pending {
            self.header_pending = false;
            self.csv_record(&mut out, self.fields.iter().map(|f| Cell::Text(f.clone())))?;
        }
        let mut rest = chunk;
        while let Some(i) = rest.iter().position(|b| *b == b'\n') {
            let (line, tail) = rest.split_at(i);
            rest = &tail[1..];
            if self.partial.is_empty() {
                self.line(line, &mut out)?;
            } else {
                let mut whole = std::mem::take(&mut self.partial);
                whole.extend_from_slice(line);
                self.line(&whole, &mut out)?;
            }
        }
        self.partial.extend_from_slice(rest);
        Ok(out)
    }

    /// The output of a last line without a newline (and the header of an empty CSV).
    pub fn finish(&mut self) -> Result<Vec<u8>, String> {
        let mut out = self.push(b"")?;
        let last = std::mem::take(&mut self.partial);
        self.line(&last, &mut out)?;
        Ok(out)
    }

    fn line(&self, line: &[u8], out: &mut Vec<u8>) -> Result<(), String> {
        if line.iter().all(u8::is_ascii_whitespace) {
            return Ok(());
        }
        let row: HashMap<String, &RawValue> =
            serde_json::from_slice(line).map_err(|e| format!("export row: {e}"))?;
        let cells = self
            .fields
            .iter()
            .map(|f| self.cell(f, row.get(f).copied()));
        match self.format {
            RowFormat::Json => {
                out.push(b'{');
                for (i, (f, c)) in self.fields.iter().zip(cells).enumerate() {
                    if i > 0 {
                        out.push(b',');
                    }
                    out.extend(serde_json::to_vec(f).unwrap_or_default());
                    out.push(b':');
                    match c {
                        Cell::Raw(r) => out.extend_from_slice(r.get().as_bytes()),
                        Cell::Text(t) => out.extend(serde_json::to_vec(&t).unwrap_or_default()),
                    }
                }
                out.extend_from_slice(b"}\n");
                Ok(())
            }
            RowFormat::Csv => self.csv_record(out, cells),
        }
    }

    fn cell<'a>(&self, field: &str, v: Option<&'a RawValue>) -> Cell<'a> {
        let Some(v) = v else {
            return Cell::Raw(null());
        };
        if let Some(tz) = &self.tz
            && TIME_FIELDS.contains(&field)
            && let Ok(us) = serde_json::from_str::<i64>(v.get())
        {
            return Cell::Text(iso_in(us, tz));
        }
        Cell::Raw(v)
    }

    fn csv_record<'a>(
        &self,
        out: &mut Vec<u8>,
        cells: impl Iterator<Item = Cell<'a>>,
    ) -> Result<(), String> {
        let mut w = csv::WriterBuilder::new()
            .quote_style(csv::QuoteStyle::NonNumeric)
            .from_writer(Vec::new());
        let texts: Vec<String> = cells.map(Cell::csv_text).collect();
        w.write_record(&texts).map_err(|e| e.to_string())?;
        out.extend(w.into_inner().map_err(|e| e.to_string())?);
        Ok(())
    }
}

fn null() -> &'static RawValue {
    static NULL: std::sync::OnceLock<Box<RawValue>> = std::sync::OnceLock::new();
    NULL.get_or_init(|| RawValue::from_string("null".into()).expect("null is JSON"))
}

enum Cell<'a> {
    /// A JSON value as the projection sent it.
    Raw(&'a RawValue),
    /// A string (a formatted time; in CSV also a header).
    Text(String),
}

impl Cell<'_> {
    /// The CSV cell: strings as they are, `null` empty, numbers and booleans as written, arrays
    /// and objects as JSON.
    fn csv_text(self) -> String {
        match self {
            Cell::Text(t) => t,
            Cell::Raw(r) => match serde_json::from_str::<serde_json::Value>(r.get()) {
                Ok(serde_json::Value::String(s)) => formula_safe(s),
                Ok(serde_json::Value::Null) => String::new(),
                _ => r.get().to_string(),
            },
        }
    }
}

/// A text cell a spreadsheet would read as a formula (it starts with `=`, `+`, `-`, `@`, a tab
/// or a carriage return, and is not a plain number) gets a leading `'` (OWASP's advice against
/// CSV injection).
fn formula_safe(s: String) -> String {
    let risky = s.starts_with(['=', '+', '-', '@', '\t', '\r']);
    let number = s.parse::<f64>().is_ok()
        && s.chars()
            .all(|c| c.is_ascii_digit() || matches!(c, '.' | 'e' | 'E' | '+' | '-'));
    if risky && !number { format!("'{s}") } else { s }
}

#[cfg(test)]
mod tests {
    #[test]
    fn formulas_are_escaped_numbers_are_not() {
        assert_eq!(super::formula_safe("=1+2".into()), "'=1+2");
        assert_eq!(super::formula_safe("@SUM(A1)".into()), "'@SUM(A1)");
        assert_eq!(super::formula_safe("\tx".into()), "'\tx");
        assert_eq!(super::formula_safe("-5".into()), "-5");
        assert_eq!(super::formula_safe("+1.5e3".into()), "+1.5e3");
        assert_eq!(super::formula_safe("-1-1".into()), "'-1-1");
        assert_eq!(super::formula_safe("plain".into()), "plain");
    }

    use super::*;

    fn tz(name: &str) -> Option<jiff::tz::TimeZone> {
        Some(jiff::tz::TimeZone::get(name).unwrap())
    }

    fn fields(f: &[&str]) -> Vec<String> {
        f.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn times_are_iso_in_the_zone_across_chunk_boundaries() {
        let mut w = RowWriter::new(
            fields(&["seq", "timestamp", "verb"]),
            tz("Europe/Paris"),
            RowFormat::Json,
        );
        // 2025-07-01T10:00:00.5Z (summer: +02:00) and 2025-01-01T00:00:00Z (winter: +01:00).
        let input = b"{\"verb\":\"v\",\"seq\":1,\"timestamp\":1751364000500000}\n{\"seq\":2,\"timestamp\":1735689600000000,\"verb\":\"w\"}\n";
        let mut out = Vec::new();
        for piece in input.chunks(7) {
            out.extend(w.push(piece).unwrap());
        }
        out.extend(w.finish().unwrap());
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "{\"seq\":1,\"timestamp\":\"2025-07-01T12:00:00.500000+02:00\",\"verb\":\"v\"}\n\
             {\"seq\":2,\"timestamp\":\"2025-01-01T01:00:00.000000+01:00\",\"verb\":\"w\"}\n"
        );
    }

    #[test]
    fn without_a_zone_times_stay_microseconds_and_statements_are_embedded() {
        let mut w = RowWriter::new(fields(&["stored", "statement"]), None, RowFormat::Json);
        let out = w
            .push(b"{\"stored\":5,\"statement\":{\"id\":\"x\"}}")
            .unwrap();
        assert!(out.is_empty(), "no complete line yet");
        let out = String::from_utf8(w.finish().unwrap()).unwrap();
        assert_eq!(out, "{\"stored\":5,\"statement\":{\"id\":\"x\"}}\n");
    }

    #[test]
    fn csv_quotes_text_and_flattens_values() {
        let mut w = RowWriter::new(
            fields(&["seq", "stored", "agents", "result.success", "object.id"]),
            tz("UTC"),
            RowFormat::Csv,
        );
        let mut out = w
            .push(b"{\"seq\":3,\"stored\":0,\"agents\":[\"a\",\"b\"],\"result.success\":null,\"object.id\":\"say \\\"hi\\\", ok\"}\n")
            .unwrap();
        out.extend(w.finish().unwrap());
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "\"seq\",\"stored\",\"agents\",\"result.success\",\"object.id\"\n\
             3,\"1970-01-01T00:00:00.000000+00:00\",\"[\"\"a\"\",\"\"b\"\"]\",\"\",\"say \"\"hi\"\", ok\"\n"
        );
        // An empty export is its header alone.
        let mut empty = RowWriter::new(fields(&["seq"]), None, RowFormat::Csv);
        assert_eq!(empty.finish().unwrap(), b"\"seq\"\n");
    }

    #[test]
    fn a_line_that_is_not_json_is_an_error() {
        let mut w = RowWriter::new(fields(&["seq"]), None, RowFormat::Json);
        assert!(w.push(b"nope\n").is_err());
    }
}
