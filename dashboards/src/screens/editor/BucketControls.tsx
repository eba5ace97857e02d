/** The histogram's numeric field and bucket width. */
import type { EditorState } from './editorState';
import { NUMERIC_FIELDS } from './catalog';
import css from './editor.module.css';

export function BucketControls({ s, set }: { s: EditorState; set: (s: EditorState) => void }) {
  if (s.type !== 'histogram') return null;
  return (
    <fieldset className={css.group}>
      <legend>Buckets</legend>
      <label>
        Numeric field
        <select value={s.bucket.path} onChange={(e) => set({ ...s, bucket: { ...s.bucket, path: e.target.value } })}>
          {NUMERIC_FIELDS.map((f) => (
            <option key={f.path} value={f.path}>{f.label}</option>
          ))}
        </select>
      </label>
      <label>
        Bucket width
        <input
          type="number"
          min={0}
          step="any"
          value={Number.isFinite(s.bucket.width) ? s.bucket.width : ''}
          onChange={(e) => set({ ...s, bucket: { ...s.bucket, width: Number(e.target.value) } })}
        />
      </label>
    </fieldset>
  );
}
