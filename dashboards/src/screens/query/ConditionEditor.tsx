// One condition of the query builder: field, operator and value (suggested as you type).
import { useNames } from "../../api/names";
import { kindOf, splitExtension, suggestsValues } from "../../lib/filterFields";
import { OPERATORS, needsValue, type Cond, type Op } from "../../lib/filterTree";
import { ValueInput } from "../dashboard/ValueInput";
import { FieldPicker } from "./FieldPicker";

const PLACEHOLDER: Record<string, string> = {
  time: "2026-01-31T00:00:00Z",
  number: "A number",
  boolean: "true or false",
};

export function ConditionEditor({ store, cond, place, onChange, onRemove }: {
  store: string;
  cond: Cond;
  place: string;
  onChange: (c: Cond) => void;
  onRemove: () => void;
}) {
  const kind = kindOf(cond.field);
  const ext = splitExtension(cond.field);
  const name = useNames(store, cond.op === "eq" || cond.op === "neq" ? [cond.value] : []).data?.[cond.value];
  const canSuggest = (suggestsValues(cond.field) || (ext !== null && ext.iri !== "")) && cond.op !== "in";
  return (
    <div className="condition" data-testid="condition">
      <FieldPicker store={store} field={cond.field} place={place}
        onChange={(field) => onChange({ ...cond, field, value: "" })} />
      <select aria-label={`Operator of condition ${place}`} value={cond.op}
        onChange={(e) => onChange({ ...cond, op: e.target.value as Op })}>
        {OPERATORS.map((o) => <option key={o.op} value={o.op}>{o.label}</option>)}
      </select>
      {needsValue(cond.op) ? (
        <div className="value-cell">
          <ValueInput store={store} path={cond.field} value={cond.value} label={`Value of condition ${place}`}
            placeholder={cond.op === "in" ? "Values, separated by commas" : PLACEHOLDER[kind]}
            enabled={canSuggest} onChange={(value) => onChange({ ...cond, value })} />
          {name && <small className="muted" data-testid="value-name">“{name}”</small>}
        </div>
      ) : <span />}
      <button className="btn ghost" aria-label={`Remove condition ${place}`} onClick={onRemove}>✕</button>
    </div>
  );
}
