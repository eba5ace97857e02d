/** The widget's title and description. */
import type { EditorState } from './editorState';
import css from './editor.module.css';

export function TitleFields({ s, set }: { s: EditorState; set: (s: EditorState) => void }) {
  return (
    <fieldset className={css.group}>
      <legend>Title</legend>
      <label>
        Title
        <input value={s.title} maxLength={200} onChange={(e) => set({ ...s, title: e.target.value })} required />
      </label>
      <label>
        Description
        <textarea rows={2} maxLength={1000} value={s.description} onChange={(e) => set({ ...s, description: e.target.value })} />
      </label>
    </fieldset>
  );
}
