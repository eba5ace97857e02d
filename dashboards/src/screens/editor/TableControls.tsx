/** The statements table's fields (in order) and page size. */
import type { EditorState } from './editorState';
import { TABLE_FIELDS } from './catalog';
import css from './editor.module.css';

export function TableControls({ s, set }: { s: EditorState; set: (s: EditorState) => void }) {
  if (s.type !== 'table') return null;
  const toggle = (path: string, on: boolean) =>
    set({ ...s, fields: on ? [...s.fields, path] : s.fields.filter((f) => f !== path) });
  return (
    <fieldset className={css.group}>
      <legend>Fields</legend>
      <div style={{ display: 'grid', gridTemplateColumns: '1fr 1fr', gap: 4 }}>
        {TABLE_FIELDS.map((f) => (
          <label key={f.path} className="inline">
            <input type="checkbox" checked={s.fields.includes(f.path)} onChange={(e) => toggle(f.path, e.target.checked)} />
            {f.label}
          </label>
        ))}
      </div>
      <label>
        Add an extension path
        <input
          placeholder="result.extensions.http://example.com/attempt"
          onKeyDown={(e) => {
            const v = e.currentTarget.value.trim();
            if (e.key === 'Enter' && v !== '' && !s.fields.includes(v)) {
              e.preventDefault();
              set({ ...s, fields: [...s.fields, v] });
              e.currentTarget.value = '';
            }
          }}
        />
      </label>
      <label>
        Rows per page
        <input type="number" min={1} max={200} value={s.pageSize} onChange={(e) => set({ ...s, pageSize: Math.max(1, Math.min(200, Number(e.target.value) || 20)) })} />
      </label>
    </fieldset>
  );
}
