// A condition's field: one of the filter language's fields, or an extension (its container,
// then its IRI, suggested from the IRIs the store has seen).
import { EXTENSION_CONTAINERS, FILTER_FIELDS, splitExtension } from "../../lib/filterFields";
import { ValueInput } from "../dashboard/ValueInput";

export function FieldPicker({ store, field, place, onChange }: {
  store: string;
  field: string;
  place: string;
  onChange: (field: string) => void;
}) {
  const ext = splitExtension(field);
  const choice = ext ? ext.container : field;
  return (
    <div className="field-picker">
      <select aria-label={`Field of condition ${place}`} value={choice}
        onChange={(e) => {
          const v = e.target.value;
          onChange(EXTENSION_CONTAINERS.some((c) => c.path === v) ? `${v}.` : v);
        }}>
        <optgroup label="Statement fields">
          {FILTER_FIELDS.map((f) => <option key={f.path} value={f.path}>{f.label}</option>)}
        </optgroup>
        <optgroup label="Extensions">
          {EXTENSION_CONTAINERS.map((c) => <option key={c.path} value={c.path}>{c.label}…</option>)}
        </optgroup>
      </select>
      {ext && (
        <ValueInput store={store} path={ext.container} value={ext.iri} label={`Extension IRI of condition ${place}`}
          placeholder="Extension IRI" enabled onChange={(iri) => onChange(`${ext.container}.${iri}`)} />
      )}
    </div>
  );
}
