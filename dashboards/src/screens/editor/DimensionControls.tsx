/** What to group by: the first dimension and, for the types that split, a second one. */
import type { Dimension } from '../../charts/types';
import type { EditorState } from './editorState';
import { DIMENSIONS, dimFromValue, dimValue, typeInfo } from './catalog';
import css from './editor.module.css';

function DimSelect({ label, value, onChange, optional }: {
  label: string;
  value: Dimension | undefined;
  onChange: (d: Dimension | null) => void;
  optional: boolean;
}) {
  const v = value === undefined ? '' : dimValue(value);
  const known = DIMENSIONS.some((c) => c.value === v);
  return (
    <label>
      {label}
      <select aria-label={label} value={v} onChange={(e) => onChange(dimFromValue(e.target.value))}>
        {optional && <option value="">None</option>}
        {!known && v !== '' && <option value={v}>{v.replace(/^path:/, '')}</option>}
        {DIMENSIONS.map((c) => (
          <option key={c.value} value={c.value}>
            {c.label}
          </option>
        ))}
      </select>
    </label>
  );
}

export function DimensionControls({ s, set }: { s: EditorState; set: (s: EditorState) => void }) {
  const info = typeInfo(s.type);
  if (info.dims === 0) return null;
  const [first, second] = s.dims;
  const put = (i: number, d: Dimension | null) => {
    const dims = [...s.dims];
    if (d === null) dims.splice(i, 1);
    else dims[i] = d;
    set({ ...s, dims });
  };
  return (
    <fieldset className={css.group}>
      <legend>Grouping</legend>
      <DimSelect label={s.type === 'line' ? 'Along the x axis' : 'Group by'} value={first} optional={false} onChange={(d) => put(0, d)} />
      {info.dims === 2 && (
        <DimSelect label="Split series by" value={second} optional onChange={(d) => (d === null ? set({ ...s, dims: s.dims.slice(0, 1) }) : put(1, d))} />
      )}
      <label>
        Or group by a field or extension path
        <input
          placeholder="e.g. context.extensions.http://example.com/school"
          defaultValue={first !== undefined && typeof first === 'object' && 'path' in first ? first.path : ''}
          onBlur={(e) => {
            const p = e.target.value.trim();
            if (p !== '') put(0, { path: p });
          }}
        />
      </label>
    </fieldset>
  );
}
