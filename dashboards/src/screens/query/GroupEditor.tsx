// A group of the query builder: all / any of its conditions and groups, optionally negated,
// nested to any depth. `path` locates it in the tree; `place` names it ("2.1").
import type { Group, Node } from "../../lib/filterTree";
import { emptyTree, newCond } from "../../lib/filterTree";
import { ConditionEditor } from "./ConditionEditor";

export function GroupEditor({ store, group, place, onChange, onRemove }: {
  store: string;
  group: Group;
  place: string;
  onChange: (g: Group) => void;
  onRemove?: () => void;
}) {
  const name = place ? `group ${place}` : "the filter";
  const setChild = (i: number, n: Node | null) =>
    onChange({ ...group, children: group.children.flatMap((c, j) => (j === i ? (n ? [n] : []) : [c])) });
  const add = (n: Node) => onChange({ ...group, children: [...group.children, n] });
  return (
    <fieldset className={`group${place ? " nested" : ""}`} data-testid="group">
      <legend className="row">
        <select aria-label={`Match of ${name}`} value={`${group.negate ? "not-" : ""}${group.join}`}
          onChange={(e) => {
            const v = e.target.value;
            onChange({ ...group, negate: v.startsWith("not-"), join: v.endsWith("or") ? "or" : "and" });
          }}>
          <option value="and">All of (and)</option>
          <option value="or">Any of (or)</option>
          <option value="not-and">Not all of (not and)</option>
          <option value="not-or">None of (not or)</option>
        </select>
        {onRemove && <button className="btn ghost small" onClick={onRemove} aria-label={`Remove ${name}`}>Remove group</button>}
      </legend>
      {group.children.length === 0 && (
        <p className="muted hint">No conditions yet: every statement matches. Add a condition below, for example <em>Verb is completed</em>.</p>
      )}
      {group.children.map((c, i) => {
        const p = place ? `${place}.${i + 1}` : `${i + 1}`;
        return c.kind === "cond" ? (
          <ConditionEditor key={i} store={store} cond={c} place={p}
            onChange={(n) => setChild(i, n)} onRemove={() => setChild(i, null)} />
        ) : (
          <GroupEditor key={i} store={store} group={c} place={p}
            onChange={(n) => setChild(i, n)} onRemove={() => setChild(i, null)} />
        );
      })}
      <div className="row">
        <button className="btn small" onClick={() => add(newCond())}>+ Condition{place ? ` in group ${place}` : ""}</button>
        <button className="btn small" onClick={() => add({ ...emptyTree(), join: group.join === "and" ? "or" : "and" })}>
          + Group{place ? ` in group ${place}` : ""}
        </button>
      </div>
    </fieldset>
  );
}
