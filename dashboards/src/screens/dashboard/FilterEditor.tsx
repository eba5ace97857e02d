// The dashboard-wide filter: rows of field + operator + value joined by and/or, added to every
// widget's own filter. A filter too nested for rows is shown as JSON, editable as such.
import { useState } from "react";
import type { Filter } from "../../api/types";
import { Modal } from "../../components/Modal";
import { FIELDS, OPS, filterToRows, rowsToFilter, suggestable, type Op, type Row, type Rows } from "../../lib/filterRows";
import { SavedFilterPicker } from "../filters/SavedFilterPicker";
import { ValueInput } from "./ValueInput";

export function FilterEditor({ store, filter, onApply, onClose }: {
  store: string;
  filter: Filter | null;
  onApply: (f: Filter | null) => void;
  onClose: () => void;
}) {
  const initial = filterToRows(filter);
  const [rows, setRows] = useState<Rows>(initial ?? { join: "and", rows: [] });
  const [json, setJson] = useState<string | null>(initial ? null : JSON.stringify(filter, null, 2));
  const [error, setError] = useState<string | null>(null);
  const set = (i: number, change: Partial<Row>) =>
    setRows((r) => ({ ...r, rows: r.rows.map((row, j) => (j === i ? { ...row, ...change } : row)) }));
  const apply = () => {
    if (json !== null) {
      try {
        onApply(json.trim() ? (JSON.parse(json) as Filter) : null);
      } catch {
        setError("The filter is not valid JSON");
      }
      return;
    }
    const r = rowsToFilter(rows);
    if ("error" in r) setError(r.error);
    else onApply(r.filter);
  };
  return (
    <Modal title="Dashboard filter" wide onClose={onClose} footer={
      <>
        <button className="btn" onClick={() => onApply(null)}>Clear filter</button>
        <div className="spacer" />
        <button className="btn" onClick={onClose}>Cancel</button>
        <button className="btn primary" onClick={apply}>Apply</button>
      </>
    }>
      <div className="row">
        <p className="muted" style={{ margin: 0 }}>Every widget shows only the statements that match, on top of its own filter.</p>
        <div className="spacer" />
        <SavedFilterPicker store={store} label="Use a saved filter" onPick={(f) => {
          const r = filterToRows(f);
          setError(null);
          if (r) {
            setRows(r);
            setJson(null);
          } else setJson(JSON.stringify(f, null, 2));
        }} />
      </div>
      {json !== null ? (
        <label>
          Filter (filter language JSON)
          <textarea rows={10} value={json} onChange={(e) => setJson(e.target.value)} className="code" />
        </label>
      ) : (
        <div className="filter-editor">
          {rows.rows.length > 1 && (
            <div className="segmented" role="group" aria-label="Match">
              {(["and", "or"] as const).map((j) => (
                <button key={j} aria-pressed={rows.join === j} onClick={() => setRows((r) => ({ ...r, join: j }))}>
                  {j === "and" ? "All rows (and)" : "Any row (or)"}
                </button>
              ))}
            </div>
          )}
          {rows.rows.length === 0 && <p className="muted">No conditions: every statement counts. Add one below.</p>}
          {rows.rows.map((row, i) => (
            <div className="filter-row" key={i} data-testid="filter-row">
              <select aria-label={`Field ${i + 1}`} value={row.field} onChange={(e) => set(i, { field: e.target.value, value: "" })}>
                {FIELDS.map((f) => <option key={f.path} value={f.path}>{f.label}</option>)}
              </select>
              <select aria-label={`Operator ${i + 1}`} value={row.op} onChange={(e) => set(i, { op: e.target.value as Op })}>
                {OPS.map((o) => <option key={o.op} value={o.op}>{o.label}</option>)}
              </select>
              {OPS.find((o) => o.op === row.op)?.needsValue ? (
                <ValueInput store={store} path={row.field} value={row.value} label={`Value ${i + 1}`}
                  enabled={suggestable(row.field) && row.op !== "in"} onChange={(v) => set(i, { value: v })} />
              ) : <span />}
              <button className="btn ghost" aria-label={`Remove condition ${i + 1}`}
                onClick={() => setRows((r) => ({ ...r, rows: r.rows.filter((_, j) => j !== i) }))}>✕</button>
            </div>
          ))}
          <div>
            <button className="btn small" onClick={() => setRows((r) => ({ ...r, rows: [...r.rows, { field: "verb", op: "eq", value: "" }] }))}>
              + Add condition
            </button>
          </div>
        </div>
      )}
      {error && <p className="error" role="alert">{error}</p>}
    </Modal>
  );
}
