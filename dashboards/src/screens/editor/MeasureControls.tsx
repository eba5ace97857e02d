/** The measures (simple counts or sum/avg/min/max of a numeric field), ordering, top N, comparison. */
import type { Measure } from '../../charts/types';
import type { EditorState } from './editorState';
import { MAX_LIMIT } from './editorState';
import { NUMERIC_FIELDS, NUMERIC_OPS, OP_LABELS, SIMPLE_MEASURES, measureFromParts, measureParts, typeInfo } from './catalog';
import { measureLabel } from '../../charts/labels';
import css from './editor.module.css';

function MeasureRow({ m, index, onChange, onRemove }: {
  m: Measure;
  index: number;
  onChange: (m: Measure) => void;
  onRemove?: () => void;
}) {
  const { kind, field } = measureParts(m);
  const numeric = (NUMERIC_OPS as readonly string[]).includes(kind);
  return (
    <div className={css.row}>
      <select aria-label={`Measure ${index + 1}`} value={kind} onChange={(e) => onChange(measureFromParts(e.target.value, field))}>
        {SIMPLE_MEASURES.map((x) => (
          <option key={String(x.m)} value={String(x.m)}>{x.label}</option>
        ))}
        {NUMERIC_OPS.map((op) => (
          <option key={op} value={op}>{OP_LABELS[op]}…</option>
        ))}
      </select>
      {numeric && (
        <select aria-label={`Field of measure ${index + 1}`} value={field} onChange={(e) => onChange(measureFromParts(kind, e.target.value))}>
          {!NUMERIC_FIELDS.some((f) => f.path === field) && <option value={field}>{field}</option>}
          {NUMERIC_FIELDS.map((f) => (
            <option key={f.path} value={f.path}>{f.label}</option>
          ))}
        </select>
      )}
      {onRemove && (
        <button type="button" className="btn ghost small" aria-label={`Remove measure ${index + 1}`} onClick={onRemove}>✕</button>
      )}
    </div>
  );
}

export function MeasureControls({ s, set }: { s: EditorState; set: (s: EditorState) => void }) {
  const info = typeInfo(s.type);
  if (info.measures[1] === 0) return null;
  const [min, max] = info.measures;
  const shown = s.measures.slice(0, max);
  const labels = s.type === 'scatter' ? ['x axis', 'y axis'] : [];
  return (
    <fieldset className={css.group}>
      <legend>{max === 1 ? 'Measure' : 'Measures'}</legend>
      {shown.map((m, i) => (
        <div key={i}>
          {labels[i] && <span className={css.hint}>{labels[i]}</span>}
          <MeasureRow
            m={m}
            index={i}
            onChange={(x) => set({ ...s, measures: s.measures.map((y, j) => (j === i ? x : y)) })}
            onRemove={shown.length > min && shown.length > 1 ? () => set({ ...s, measures: s.measures.filter((_, j) => j !== i) }) : undefined}
          />
        </div>
      ))}
      {shown.length < max && (
        <button type="button" className="btn small" onClick={() => set({ ...s, measures: [...shown, 'unique_actors'] })}>
          Add a measure
        </button>
      )}
      {info.order && (
        <>
          {s.type !== 'leaderboard' && (
            <label className="inline">
              <input type="checkbox" checked={s.ordered} onChange={(e) => set({ ...s, ordered: e.target.checked })} />
              Only the top N, ordered by a measure
            </label>
          )}
          {s.ordered && (
            <div className={css.row}>
              <select aria-label="Order by" value={s.orderMeasure} onChange={(e) => set({ ...s, orderMeasure: Number(e.target.value) })}>
                {shown.map((m, i) => (
                  <option key={i} value={i}>{measureLabel(m)}</option>
                ))}
              </select>
              <select aria-label="Direction" value={s.orderDir} onChange={(e) => set({ ...s, orderDir: e.target.value === 'asc' ? 'asc' : 'desc' })}>
                <option value="desc">Highest first</option>
                <option value="asc">Lowest first</option>
              </select>
              <input
                aria-label="Top N"
                type="number"
                min={1}
                max={MAX_LIMIT}
                value={s.limit ?? ''}
                onChange={(e) => set({ ...s, limit: e.target.value === '' ? null : Number(e.target.value) })}
              />
            </div>
          )}
        </>
      )}
      {s.type === 'counter' && (
        <label className="inline">
          <input type="checkbox" checked={s.compare} onChange={(e) => set({ ...s, compare: e.target.checked })} />
          Compare with the previous period
        </label>
      )}
    </fieldset>
  );
}
