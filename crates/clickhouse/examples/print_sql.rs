//! Prints, as JSON lines, the sample data set (`statements` rows) and the SQL that `query_seqs`
//! sends for each sample query with its values substituted, plus the expected answer.
//! `scripts/chdb_check.py` loads this to run the same SQL on current ClickHouse (chDB).
//!
//!     cargo run -p cairn-clickhouse --example print_sql > var/sql.jsonl
use cairn_clickhouse::{SeqQuery, StatementRow, samples};
use serde_json::json;

fn main() {
    let records = samples::records();
    for (seq, record) in &records {
        let row = StatementRow::new(*seq, record);
        println!("{}", json!({"kind": "row", "row": row}));
    }
    for (name, query, page) in samples::queries() {
        let sql = SeqQuery::build(&query, &page).to_literal_sql();
        let expect = samples::expected(&records, &query, &page);
        println!("{}", json!({"kind": "query", "name": name, "sql": sql, "expect": expect}));
    }
}
