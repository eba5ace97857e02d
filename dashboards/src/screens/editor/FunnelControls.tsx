/** The funnel's steps: an ordered list of verbs or activities (autocomplete), counted per actor or person. */
import type { EditorState, StepDraft, StepField } from './editorState';
import { MAX_STEPS } from './editorState';
import { ValueInput } from '../dashboard/ValueInput';
import css from './editor.module.css';

export function FunnelControls({ s, set, store }: { s: EditorState; set: (s: EditorState) => void; store: string }) {
  if (s.type !== 'funnel') return null;
  const put = (i: number, change: Partial<StepDraft>) =>
    set({ ...s, steps: s.steps.map((st, j) => (j === i ? { ...st, ...change } : st)) });
  const move = (i: number, by: number) => {
    const steps = [...s.steps];
    const [st] = steps.splice(i, 1);
    if (st) steps.splice(i + by, 0, st);
    set({ ...s, steps });
  };
  return (
    <fieldset className={css.group}>
      <legend>Steps, in order</legend>
      {s.steps.map((st, i) => (
        <div key={i} className="stack" style={{ gap: 4 }} data-testid={`step-${i + 1}`}>
          <div className={css.row}>
            <strong style={{ flex: '0 0 auto' }}>{i + 1}.</strong>
            <input aria-label={`Step ${i + 1} label`} placeholder="Label" value={st.label} onChange={(e) => put(i, { label: e.target.value })} />
            <select aria-label={`Step ${i + 1} kind`} value={st.field} onChange={(e) => put(i, { field: e.target.value as StepField, raw: undefined })}>
              <option value="verb">Verb</option>
              <option value="object.id">Activity</option>
            </select>
            <button type="button" className="btn ghost small" aria-label={`Move step ${i + 1} up`} disabled={i === 0} onClick={() => move(i, -1)}>↑</button>
            <button type="button" className="btn ghost small" aria-label={`Move step ${i + 1} down`} disabled={i === s.steps.length - 1} onClick={() => move(i, 1)}>↓</button>
            <button type="button" className="btn ghost small" aria-label={`Remove step ${i + 1}`} onClick={() => set({ ...s, steps: s.steps.filter((_, j) => j !== i) })}>✕</button>
          </div>
          {st.raw && st.value === '' ? (
            <span className={css.hint}>A custom filter: {JSON.stringify(st.raw)}</span>
          ) : (
            <ValueInput store={store} path={st.field} value={st.value} enabled label={`Step ${i + 1} ${st.field === 'verb' ? 'verb' : 'activity'}`} onChange={(v) => put(i, { value: v })} />
          )}
        </div>
      ))}
      {s.steps.length < MAX_STEPS && (
        <button type="button" className="btn small" onClick={() => set({ ...s, steps: [...s.steps, { label: '', field: 'verb', value: '' }] })}>
          Add a step
        </button>
      )}
      <label>
        Count
        <select value={s.by} onChange={(e) => set({ ...s, by: e.target.value === 'persona' ? 'persona' : 'actor' })}>
          <option value="actor">Actors (each agent)</option>
          <option value="persona">People (personas)</option>
        </select>
      </label>
    </fieldset>
  );
}
