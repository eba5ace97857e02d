// The fields of a CSV or NDJSON export: statement fields, and any extension path.
import { useState } from "react";
import { EXTENSION_CONTAINERS } from "../../lib/filterFields";
import { ValueInput } from "../dashboard/ValueInput";
import { EXPORT_FIELDS } from "./fieldChoices";

export function ExportFields({ store, fields, onChange, disabled }: {
  store: string;
  fields: string[];
  onChange: (f: string[]) => void;
  disabled: boolean;
}) {
  const [container, setContainer] = useState<string>(EXTENSION_CONTAINERS[1].path);
  const [iri, setIri] = useState("");
  const extras = fields.filter((f) => !EXPORT_FIELDS.some((x) => x.field === f));
  const toggle = (f: string, on: boolean) => onChange(on ? [...fields, f] : fields.filter((x) => x !== f));
  return (
    <fieldset className="card stack" disabled={disabled}>
      <legend>Fields {disabled && <span className="muted">(whole statements carry every field)</span>}</legend>
      <div className="checks">
        {EXPORT_FIELDS.map((f) => (
          <label key={f.field} className="inline">
            <input type="checkbox" checked={fields.includes(f.field)} onChange={(e) => toggle(f.field, e.target.checked)} />
            {f.label}
          </label>
        ))}
      </div>
      {extras.length > 0 && (
        <ul className="extra-fields" aria-label="Extension fields">
          {extras.map((f) => (
            <li key={f}>
              <code>{f}</code>
              <button className="btn ghost small" type="button" aria-label={`Remove field ${f}`} onClick={() => toggle(f, false)}>✕</button>
            </li>
          ))}
        </ul>
      )}
      <div className="row ext-add">
        <select aria-label="Extension kind" value={container} onChange={(e) => setContainer(e.target.value)}>
          {EXTENSION_CONTAINERS.map((c) => <option key={c.path} value={c.path}>{c.label}</option>)}
        </select>
        <ValueInput store={store} path={container} value={iri} onChange={setIri} enabled={!disabled}
          label="Extension IRI" placeholder="Extension IRI, e.g. https://example.com/ext/cohort" />
        <button className="btn small" type="button" disabled={!iri.trim()}
          onClick={() => {
            const f = `${container}.${iri.trim()}`;
            if (!fields.includes(f)) onChange([...fields, f]);
            setIri("");
          }}>Add extension field</button>
      </div>
    </fieldset>
  );
}
