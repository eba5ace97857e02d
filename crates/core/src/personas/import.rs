//! CSV import of personas, streamed: a blocking task parses the CSV into batches of rows over a
//! bounded channel; each batch is checked against the personas as they stand plus its earlier
//! rows, applied as one writer request, and reported as progress. A row that cannot be applied
//! is listed with its line number and why; the other rows still apply.
//!
//! Columns (header line required, names case-insensitive): `name` (required: rows with the same
//! name are one persona, created when the store has none of that name), identifier columns
//! `mbox`, `mbox_sha1sum`, `openid`, `account_homepage` + `account_name`, and any other column,
//! which becomes an attribute of that name (empty cells are ignored).
use super::decide::{Delta, Overlay, PersonaCommand, decide};
use super::model::{Lookup, PersonaState, ifi_of};
use super::service::PersonaService;
use crate::error::Error;
use crate::ids::StoreId;
use crate::tenancy::Subject;
use std::collections::{BTreeMap, HashMap};
use tokio::sync::mpsc;
use uuid::Uuid;

/// Counts so far.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct ImportProgress {
    /// Data rows read.
    pub rows: u64,
    /// Personas created.
    pub created: u64,
    /// Rows that added to an existing persona.
    pub updated: u64,
    /// Rows refused.
    pub failed: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct RowError {
    /// Line of the CSV (the header is line 1).
    pub line: u64,
    pub message: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct ImportReport {
    #[serde(flatten)]
    pub progress: ImportProgress,
    pub errors: Vec<RowError>,
    /// More rows failed than `errors` lists.
    pub errors_truncated: bool,
}

enum Msg {
    Header(Vec<String>),
    Batch(Vec<(u64, csv::StringRecord)>),
    Fail(String),
}

/// One row as commands, with what it does to the counts.
struct RowPlan {
    line: u64,
    commands: Vec<PersonaCommand>,
    created: bool,
}

fn read_csv(input: Box<dyn std::io::Read + Send>, batch: usize, tx: mpsc::Sender<Msg>) {
    let mut rd = csv::ReaderBuilder::new().flexible(true).from_reader(input);
    match rd.headers() {
        Ok(h) => {
            let h = h.iter().map(|c| c.trim().to_string()).collect();
            if tx.blocking_send(Msg::Header(h)).is_err() {
                return;
            }
        }
        Err(e) => {
            let _ = tx.blocking_send(Msg::Fail(format!("the CSV header cannot be read: {e}")));
            return;
        }
    }
    let mut rows = Vec::with_capacity(batch);
    for rec in rd.records() {
        match rec {
            Ok(r) => {
                let line = r.position().map(|p| p.line()).unwrap_or(0);
                rows.push((line, r));
                if rows.len() >= batch
                    && tx
                        .blocking_send(Msg::Batch(std::mem::take(&mut rows)))
                        .is_err()
                {
                    return;
                }
            }
            Err(e) => {
                let _ = tx.blocking_send(Msg::Batch(std::mem::take(&mut rows)));
                let _ = tx.blocking_send(Msg::Fail(format!("the CSV cannot be read: {e}")));
                return;
            }
        }
    }
    if !rows.is_empty() {
        let _ = tx.blocking_send(Msg::Batch(rows));
    }
}

/// A row's persona name, identifiers (IFI keys) and attributes.
type ParsedRow = (String, Vec<String>, BTreeMap<String, String>);

struct Columns {
    name: usize,
    idents: Vec<(usize, &'static str)>,
    home: Option<usize>,
    account: Option<usize>,
    attrs: Vec<(usize, String)>,
}

impl Columns {
    fn new(header: &[String]) -> Result<Self, Error> {
        let mut name = None;
        let mut c = Columns {
            name: 0,
            idents: vec![],
            home: None,
            account: None,
            attrs: vec![],
        };
        for (i, h) in header.iter().enumerate() {
            match h.to_ascii_lowercase().as_str() {
                "name" => name = Some(i),
                "mbox" => c.idents.push((i, "mbox")),
                "mbox_sha1sum" => c.idents.push((i, "mbox_sha1sum")),
                "openid" => c.idents.push((i, "openid")),
                "account_homepage" => c.home = Some(i),
                "account_name" => c.account = Some(i),
                _ => c.attrs.push((i, h.clone())),
            }
        }
        c.name =
            name.ok_or_else(|| Error::BadRequest("the CSV header has no `name` column".into()))?;
        if c.home.is_some() != c.account.is_some() {
            return Err(Error::BadRequest(
                "the CSV header needs both account_homepage and account_name, or neither".into(),
            ));
        }
        Ok(c)
    }

    /// (name, identifiers, attributes) of a row.
    fn parse(&self, r: &csv::StringRecord) -> Result<ParsedRow, String> {
        let cell = |i: usize| r.get(i).map(str::trim).unwrap_or("");
        let name = cell(self.name);
        if name.is_empty() {
            return Err("the name is empty".into());
        }
        let mut ifis = Vec::new();
        for (i, kind) in &self.idents {
            if !cell(*i).is_empty() {
                ifis.push(ifi_of(&serde_json::json!({ *kind: cell(*i) }))?);
            }
        }
        if let (Some(h), Some(a)) = (self.home, self.account) {
            match (cell(h), cell(a)) {
                ("", "") => {}
                (home, acc) if !home.is_empty() && !acc.is_empty() => ifis.push(ifi_of(
                    &serde_json::json!({"account": {"homePage": home, "name": acc}}),
                )?),
                _ => return Err("account_homepage and account_name go together".into()),
            }
        }
        if ifis.is_empty() {
            return Err("the row has no identifier".into());
        }
        let attrs = self
            .attrs
            .iter()
            .filter(|(i, _)| !cell(*i).is_empty())
            .map(|(i, k)| (k.clone(), cell(*i).to_string()))
            .collect();
        Ok((name.to_string(), ifis, attrs))
    }
}

/// What an import reports as it goes: progress after each batch, then the report, or the reason
/// it stopped (a CSV that cannot be read past some line).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ImportMessage {
    Progress(ImportProgress),
    Done(ImportReport),
    Failed {
        message: String,
        report: ImportReport,
    },
}

impl PersonaService {
    /// Starts importing personas from CSV. Access and the header are checked before this
    /// answers (errors: 403/404/400); then the rows are applied in the background and the
    /// returned channel carries progress after each batch and finally the report. Dropping the
    /// receiver stops the import after the batch in flight.
    pub async fn import(
        &self,
        s: &Subject,
        store: StoreId,
        input: Box<dyn std::io::Read + Send>,
    ) -> Result<mpsc::Receiver<ImportMessage>, Error> {
        self.can_edit(s, store)?;
        let queue = self.config.import_queue_batches.max(1);
        let (tx, mut rx) = mpsc::channel(queue);
        let batch = self.config.import_batch_rows.max(1);
        tokio::task::spawn_blocking(move || read_csv(input, batch, tx));
        let columns = match rx.recv().await {
            Some(Msg::Header(h)) => Columns::new(&h)?,
            Some(Msg::Fail(m)) => return Err(Error::BadRequest(m)),
            Some(Msg::Batch(_)) | None => {
                return Err(Error::BadRequest("the CSV is empty".into()));
            }
        };
        let (out, out_rx) = mpsc::channel(queue);
        let this = self.clone();
        tokio::spawn(async move { this.run_import(store, columns, rx, out).await });
        Ok(out_rx)
    }

    async fn run_import(
        &self,
        store: StoreId,
        cols: Columns,
        mut rx: mpsc::Receiver<Msg>,
        out: mpsc::Sender<ImportMessage>,
    ) {
        let mut report = ImportReport::default();
        let mut names: HashMap<String, Uuid> = HashMap::new();
        {
            let st = self.personas.read();
            for p in st.of_store(store) {
                names.entry(p.name.clone()).or_insert(p.id);
            }
        }
        while let Some(msg) = rx.recv().await {
            match msg {
                Msg::Header(_) => {}
                Msg::Fail(message) => {
                    let _ = out.send(ImportMessage::Failed { message, report }).await;
                    return;
                }
                Msg::Batch(rows) => {
                    let plans = {
                        let st = self.personas.read();
                        self.plan_batch(&st, store, &cols, &mut names, rows, &mut report)
                    };
                    self.apply_batch(store, plans, &mut report).await;
                    let progress = ImportMessage::Progress(report.progress.clone());
                    if out.send(progress).await.is_err() {
                        return;
                    }
                }
            }
        }
        let _ = out.send(ImportMessage::Done(report)).await;
    }

    fn fail(&self, report: &mut ImportReport, line: u64, message: String) {
        report.progress.failed += 1;
        if report.errors.len() < self.config.import_max_errors {
            report.errors.push(RowError { line, message });
        } else {
            report.errors_truncated = true;
        }
    }

    fn plan_batch(
        &self,
        st: &PersonaState,
        store: StoreId,
        cols: &Columns,
        names: &mut HashMap<String, Uuid>,
        rows: Vec<(u64, csv::StringRecord)>,
        report: &mut ImportReport,
    ) -> Vec<RowPlan> {
        let mut delta = Delta::default();
        let mut plans = Vec::with_capacity(rows.len());
        for (line, r) in rows {
            report.progress.rows += 1;
            let (name, ifis, attrs) = match cols.parse(&r) {
                Ok(x) => x,
                Err(m) => {
                    self.fail(report, line, m);
                    continue;
                }
            };
            let view = Overlay {
                base: st,
                delta: &delta,
            };
            let target = names
                .get(&name)
                .copied()
                .filter(|id| view.persona(store, *id).is_some());
            let commands = match target {
                None => vec![PersonaCommand::Create {
                    id: Uuid::now_v7(),
                    name: name.clone(),
                    attributes: attrs,
                    identifiers: ifis,
                }],
                Some(id) => {
                    let p = view.persona(store, id).expect("checked above");
                    let mut cmds: Vec<PersonaCommand> = ifis
                        .into_iter()
                        .map(|ifi| PersonaCommand::AddIdentifier { id, ifi })
                        .collect();
                    if !attrs.is_empty() {
                        let mut merged = p.attributes.clone();
                        merged.extend(attrs);
                        cmds.push(PersonaCommand::Update {
                            id,
                            name: None,
                            attributes: Some(merged),
                        });
                    }
                    cmds
                }
            };
            // Check the whole row before any of it counts: its changes go to a row delta over
            // the batch's, taken in only when every command of the row is accepted.
            let below = Overlay {
                base: st,
                delta: &delta,
            };
            let mut trial = Delta::default();
            let mut outcome = Ok(());
            for c in &commands {
                let view = Overlay {
                    base: &below,
                    delta: &trial,
                };
                match decide(&view, store, c.clone()) {
                    Ok(changes) => {
                        for ch in &changes {
                            trial.apply(&below, store, ch, 0);
                        }
                    }
                    Err(e) => {
                        outcome = Err(e);
                        break;
                    }
                }
            }
            match outcome {
                Ok(()) => {
                    delta.absorb(trial);
                    let created = target.is_none();
                    if let (true, Some(PersonaCommand::Create { id, .. })) =
                        (created, commands.first())
                    {
                        names.insert(name, *id);
                    }
                    plans.push(RowPlan {
                        line,
                        commands,
                        created,
                    });
                }
                Err(e) => self.fail(report, line, e.to_string()),
            }
        }
        plans
    }

    /// Applies a batch in one writer request; if that fails (a concurrent change), row by row.
    async fn apply_batch(&self, store: StoreId, plans: Vec<RowPlan>, report: &mut ImportReport) {
        let all: Vec<PersonaCommand> = plans.iter().flat_map(|p| p.commands.clone()).collect();
        if all.is_empty() {
            return;
        }
        if self.apply(store, all).await.is_ok() {
            for p in &plans {
                count(report, p.created);
            }
            return;
        }
        for p in plans {
            match self.apply(store, p.commands).await {
                Ok(()) => count(report, p.created),
                Err(e) => self.fail(report, p.line, e.to_string()),
            }
        }
    }
}

fn count(report: &mut ImportReport, created: bool) {
    if created {
        report.progress.created += 1;
    } else {
        report.progress.updated += 1;
    }
}
