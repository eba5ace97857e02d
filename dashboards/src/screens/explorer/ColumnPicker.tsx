// Which columns the explorer shows (remembered in this browser).
import { COLUMNS } from "./columns";

export function ColumnPicker({ chosen, onChange }: { chosen: string[]; onChange: (c: string[]) => void }) {
  return (
    <details className="column-picker">
      <summary className="btn small">Columns ({chosen.length})</summary>
      <fieldset>
        <legend>Columns to show</legend>
        {COLUMNS.map((c) => (
          <label key={c.field} className="inline">
            <input type="checkbox" checked={chosen.includes(c.field)}
              onChange={(e) => onChange(e.target.checked
                ? COLUMNS.map((x) => x.field).filter((f) => f === c.field || chosen.includes(f))
                : chosen.filter((f) => f !== c.field))} />
            {c.label}
          </label>
        ))}
      </fieldset>
    </details>
  );
}
