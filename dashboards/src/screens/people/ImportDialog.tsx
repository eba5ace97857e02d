// Importing personas from a CSV file: the file is parsed and checked in the browser, its good
// rows sent in chunks (the bar moves after each), then the counts and every refused row with
// its row number and what is wrong.
import { useRef, useState } from "react";
import { importChunk, useAfterImport } from "../../api/personas";
import { Modal } from "../../components/Modal";
import { chunks, fileErrors, plan, type RowError } from "./csvImport";

/** Refused rows listed in the dialog; past this they are only counted. */
const LISTED_ERRORS = 1000;

type Counts = { total: number; done: number; created: number; updated: number; failed: number };

type State =
  | { kind: "choose"; problem?: string }
  | { kind: "running"; counts: Counts }
  | { kind: "done"; counts: Counts; errors: RowError[]; truncated: boolean; stopped?: string };

export function ImportDialog({ store, onClose }: { store: string; onClose: () => void }) {
  const [state, setState] = useState<State>({ kind: "choose" });
  const [file, setFile] = useState<File | null>(null);
  const cancelled = useRef(false);
  const refresh = useAfterImport(store);
  const close = () => {
    cancelled.current = true;
    onClose();
  };

  async function run(f: File) {
    const p = plan(await f.text());
    if ("error" in p) {
      setState({ kind: "choose", problem: p.error });
      return;
    }
    const counts: Counts = { total: p.total, done: p.refused.length, created: 0, updated: 0, failed: p.refused.length };
    const errors: RowError[] = [...p.refused];
    let truncated = false;
    let stopped: string | undefined;
    setState({ kind: "running", counts: { ...counts } });
    for (const c of chunks(p.header, p.send)) {
      if (cancelled.current) return;
      try {
        const r = await importChunk(store, c.csv);
        counts.created += r.created;
        counts.updated += r.updated;
        counts.failed += r.failed;
        errors.push(...fileErrors(c, r.errors));
        truncated ||= r.errors_truncated;
      } catch (e) {
        stopped = e instanceof Error ? e.message : String(e);
        break;
      }
      counts.done += c.rows;
      setState({ kind: "running", counts: { ...counts } });
    }
    errors.sort((a, b) => a.line - b.line);
    setState({ kind: "done", counts: { ...counts }, errors, truncated, stopped });
    await refresh();
  }

  const running = state.kind === "running";
  return (
    <Modal title="Import personas from CSV" onClose={close} wide
      footer={
        state.kind === "choose" ? (
          <>
            <button className="btn" onClick={close}>Cancel</button>
            <button className="btn primary" disabled={!file} onClick={() => file && void run(file)}>Import</button>
          </>
        ) : (
          <button className="btn" onClick={close} disabled={running}>{running ? "Importing…" : "Done"}</button>
        )
      }>
      {state.kind === "choose" && (
        <div className="stack">
          <p className="hint muted">
            A header line with <code>name</code> and identifier columns (<code>mbox</code>, <code>mbox_sha1sum</code>,
            {" "}<code>openid</code>, <code>account_homepage</code> + <code>account_name</code>); other columns become
            attributes. Rows with the name of an existing persona add to it.
          </p>
          <label>
            CSV file
            <input type="file" accept=".csv,text/csv" onChange={(e) => setFile(e.target.files?.[0] ?? null)} />
          </label>
          {state.problem && <p className="error" role="alert">{state.problem}</p>}
        </div>
      )}
      {state.kind !== "choose" && <Progress counts={state.counts} finished={state.kind === "done"} />}
      {state.kind === "done" && (
        <div className="stack">
          {state.stopped && (
            <p className="error" role="alert">The import stopped: {state.stopped}. Rows after the last imported chunk were not sent.</p>
          )}
          <p data-testid="import-summary">
            {state.counts.created} {state.counts.created === 1 ? "persona" : "personas"} created,{" "}
            {state.counts.updated} {state.counts.updated === 1 ? "row" : "rows"} added to existing personas,{" "}
            {state.counts.failed} {state.counts.failed === 1 ? "row" : "rows"} not imported.
          </p>
          {state.errors.length > 0 && <RowErrors errors={state.errors} truncated={state.truncated} />}
        </div>
      )}
    </Modal>
  );
}

function Progress({ counts, finished }: { counts: Counts; finished: boolean }) {
  const pct = counts.total ? Math.round((counts.done / counts.total) * 100) : 100;
  return (
    <div className="import-progress">
      <progress id="import-progress" value={counts.done} max={counts.total} aria-label="Import progress" />
      <span className="muted" role="status">
        {finished ? "Finished: " : "Importing… "}{counts.done.toLocaleString()} of {counts.total.toLocaleString()} rows ({pct}%)
      </span>
    </div>
  );
}

function RowErrors({ errors, truncated }: { errors: RowError[]; truncated: boolean }) {
  return (
    <div className="table-wrap card row-errors">
      <table className="statements" aria-label="Rows not imported">
        <caption className="muted">Rows not imported (the header is row 1){truncated ? "; only the first ones are listed" : ""}</caption>
        <thead>
          <tr>
            <th scope="col">Row</th>
            <th scope="col">What is wrong</th>
          </tr>
        </thead>
        <tbody>
          {errors.slice(0, LISTED_ERRORS).map((e, i) => (
            <tr key={`${e.line}-${i}`}>
              <td>{e.line}</td>
              <td className="wrap">{e.message}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {errors.length > LISTED_ERRORS && (
        <p className="muted hint">… and {(errors.length - LISTED_ERRORS).toLocaleString()} more rows not listed.</p>
      )}
    </div>
  );
}
