/** The 11 widget types, each a toggle button with an icon and a hint. */
import type { WidgetType } from '../../charts/types';
import { TYPES } from './catalog';
import { TypeIcon } from './icons';
import css from './editor.module.css';

export function TypePicker({ value, onChange }: { value: WidgetType; onChange: (t: WidgetType) => void }) {
  return (
    <fieldset className={css.group}>
      <legend>Visualisation</legend>
      <div className={css.types} role="group" aria-label="Visualisation type">
        {TYPES.map((t) => (
          <button
            key={t.type}
            type="button"
            className={css.type}
            aria-pressed={value === t.type}
            title={t.hint}
            data-testid={`type-${t.type}`}
            onClick={() => onChange(t.type)}
          >
            <TypeIcon type={t.type} />
            {t.label}
          </button>
        ))}
      </div>
    </fieldset>
  );
}
