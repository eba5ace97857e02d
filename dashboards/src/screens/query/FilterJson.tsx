// The filter as JSON, to copy into API requests; or, for a filter the builder cannot show,
// the place to edit it.
import { useState } from "react";
import type { Filter } from "../../api/types";

export function FilterJson({ filter }: { filter: Filter | null }) {
  const [copied, setCopied] = useState(false);
  const text = JSON.stringify(filter ?? {}, null, 2);
  return (
    <section className="card stack" aria-labelledby="filter-json-title">
      <div className="row">
        <h2 id="filter-json-title">Filter JSON</h2>
        <div className="spacer" />
        <button className="btn small" onClick={() => {
          void navigator.clipboard?.writeText(JSON.stringify(filter ?? {})).then(() => setCopied(true), () => setCopied(false));
        }}>{copied ? "Copied" : "Copy JSON"}</button>
      </div>
      <pre className="code" data-testid="filter-json" tabIndex={0} aria-label="Filter JSON">{text}</pre>
      <p className="muted hint">Use it as <code>"filter"</code> in the analytics API (docs/api.md).</p>
    </section>
  );
}
