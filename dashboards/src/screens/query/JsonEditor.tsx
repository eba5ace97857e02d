// A filter the builder cannot show as groups (a relative time range, a range with two bounds)
// is edited as JSON; "Use the builder" converts it when it can.
import { useState } from "react";
import type { Filter } from "../../api/types";

export function JsonEditor({ filter, onApply }: { filter: Filter | null; onApply: (f: Filter | null) => void }) {
  const [text, setText] = useState(JSON.stringify(filter ?? {}, null, 2));
  const [error, setError] = useState<string | null>(null);
  return (
    <div className="stack">
      <p className="notice">This filter has parts the builder cannot show. Edit it as JSON.</p>
      <label>
        Filter JSON
        <textarea className="code" rows={12} value={text} onChange={(e) => setText(e.target.value)} />
      </label>
      <div className="row">
        <button className="btn" onClick={() => {
          try {
            const v = JSON.parse(text) as Filter;
            setError(null);
            onApply(Object.keys(v).length ? v : null);
          } catch {
            setError("This is not valid JSON.");
          }
        }}>Apply JSON</button>
      </div>
      {error && <p className="error" role="alert">{error}</p>}
    </div>
  );
}
