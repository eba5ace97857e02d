/**
 * The widget's own filter (added to the dashboard's): rows of field, operator and value, joined
 * by and/or, with value autocomplete. A filter too nested for rows is kept and shown as JSON.
 */
import { useState } from 'react';
import type { Filter } from '../../api/types';
import { FIELDS, OPS, filterToRows, rowsToFilter, suggestable, type Op, type Row, type Rows } from '../../lib/filterRows';
import { ValueInput } from '../dashboard/ValueInput';
import css from './editor.module.css';

export function FilterControl({ store, filter, onChange }: { store: string; filter: Filter | null; onChange: (f: Filter | null) => void }) {
  const [rows, setRows] = useState<Rows>(() => filterToRows(filter) ?? { join: 'and', rows: [] });
  const [error, setError] = useState<string | null>(null);
  const custom = filter !== null && filterToRows(filter) === null;
  const update = (next: Rows) => {
    setRows(next);
    const r = rowsToFilter(next);
    if ('error' in r) setError(r.error);
    else {
      setError(null);
      onChange(r.filter);
    }
  };
  const put = (i: number, change: Partial<Row>) => update({ ...rows, rows: rows.rows.map((r, j) => (j === i ? { ...r, ...change } : r)) });
  return (
    <fieldset className={css.group}>
      <legend>Filter</legend>
      {custom ? (
        <div className="stack" style={{ gap: 4 }}>
          <code className="code">{JSON.stringify(filter)}</code>
          <button type="button" className="btn small" onClick={() => onChange(null)}>Clear this filter</button>
        </div>
      ) : (
        <>
          {rows.rows.length > 1 && (
            <select aria-label="Join" value={rows.join} onChange={(e) => update({ ...rows, join: e.target.value === 'or' ? 'or' : 'and' })}>
              <option value="and">All of these</option>
              <option value="or">Any of these</option>
            </select>
          )}
          {rows.rows.map((r, i) => {
            const op = OPS.find((o) => o.op === r.op);
            return (
              <div key={i} className="stack" style={{ gap: 4 }}>
                <div className={css.row}>
                  <select aria-label={`Filter ${i + 1} field`} value={r.field} onChange={(e) => put(i, { field: e.target.value })}>
                    {FIELDS.map((f) => (
                      <option key={f.path} value={f.path}>{f.label}</option>
                    ))}
                  </select>
                  <select aria-label={`Filter ${i + 1} operator`} value={r.op} onChange={(e) => put(i, { op: e.target.value as Op })}>
                    {OPS.map((o) => (
                      <option key={o.op} value={o.op}>{o.label}</option>
                    ))}
                  </select>
                  <button type="button" className="btn ghost small" aria-label={`Remove filter ${i + 1}`} onClick={() => update({ ...rows, rows: rows.rows.filter((_, j) => j !== i) })}>✕</button>
                </div>
                {op?.needsValue && (
                  <ValueInput store={store} path={r.field} value={r.value} enabled={suggestable(r.field)} label={`Filter ${i + 1} value`} onChange={(v) => put(i, { value: v })} />
                )}
              </div>
            );
          })}
          <button type="button" className="btn small" onClick={() => setRows({ ...rows, rows: [...rows.rows, { field: 'verb', op: 'eq', value: '' }] })}>
            Add a condition
          </button>
          {error && rows.rows.some((r) => r.value !== '') && <p className="error">{error}</p>}
        </>
      )}
    </fieldset>
  );
}
