// Exports: the statements matching the filter as CSV, NDJSON (chosen fields) or whole
// statements, times as ISO 8601 in the chosen zone. The download is a plain link to the
// streaming export endpoint: the browser writes it to disk as the server sends it.
import { useState } from "react";
import { useStatementCount } from "../../api/statements";
import { NoStatements } from "../../components/NoStatements";
import { EmptyState, Loading } from "../../components/Status";
import { exportProblem, exportUrl, type ExportChoice, type ExportFormat } from "../../lib/exportRequest";
import { useCurrentStore } from "../../lib/useCurrentStore";
import { TimezoneSelect } from "../dashboard/TimezoneSelect";
import { FilterHeader } from "../filters/FilterHeader";
import { useFilterParam } from "../filters/useFilterParam";
import { ExportFields } from "./ExportFields";
import { DEFAULT_EXPORT_FIELDS } from "./fieldChoices";

const FORMATS: { format: ExportFormat; label: string; hint: string }[] = [
  { format: "csv", label: "CSV", hint: "chosen fields, a header line, for spreadsheets" },
  { format: "ndjson", label: "NDJSON", hint: "chosen fields, one JSON object a line" },
  { format: "statements", label: "Whole statements", hint: "one xAPI statement (JSON) a line" },
];

export function ExportsScreen() {
  const { store, isPending } = useCurrentStore();
  const [filter, setFilter] = useFilterParam();
  const [format, setFormat] = useState<ExportFormat>("csv");
  const [fields, setFields] = useState<string[]>(DEFAULT_EXPORT_FIELDS);
  const [tz, setTz] = useState(() => Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC");
  const [order, setOrder] = useState<"asc" | "desc">("asc");
  const total = useStatementCount(store?.id ?? "", null, !!store);
  const matching = useStatementCount(store?.id ?? "", filter, !!store);

  if (isPending) return <Loading />;
  if (!store) return <EmptyState title="Choose a store">Exports read the statements of one store.</EmptyState>;
  if (total.data === 0) return <div><h1>Exports</h1><NoStatements /></div>;
  const choice: ExportChoice = { format, fields, tz, order, filter };
  const problem = exportProblem(choice) ?? (matching.data === 0 ? "No statement matches this filter: loosen it first." : null);
  return (
    <div className="exports stack">
      <div className="page-head">
        <h1>Exports</h1>
        <span className="muted">{store.name}</span>
      </div>
      <FilterHeader store={store.id} filter={filter} onChange={setFilter} />
      <div className="exports-layout">
        <div className="stack">
          <fieldset className="card stack">
            <legend>Format</legend>
            {FORMATS.map((f) => (
              <label key={f.format} className="inline">
                <input type="radio" name="format" value={f.format} checked={format === f.format} onChange={() => setFormat(f.format)} />
                <strong>{f.label}</strong> <span className="muted">{f.hint}</span>
              </label>
            ))}
          </fieldset>
          <ExportFields store={store.id} fields={fields} onChange={setFields} disabled={format === "statements"} />
        </div>
        <section className="card stack" aria-labelledby="download-title">
          <h2 id="download-title">Download</h2>
          <label className="inline">Times in <TimezoneSelect tz={tz} onChange={setTz} /></label>
          <label className="inline">
            Order
            <select value={order} onChange={(e) => setOrder(e.target.value as "asc" | "desc")}>
              <option value="asc">Oldest stored first</option>
              <option value="desc">Newest stored first</option>
            </select>
          </label>
          <p data-testid="export-count" role="status">
            {matching.data === undefined ? "Counting…" : `${matching.data.toLocaleString()} statements will be exported.`}
          </p>
          {problem ? (
            <p className="notice">{problem}</p>
          ) : (
            <a className="btn primary" href={exportUrl(store.id, choice)} download>
              Download {FORMATS.find((f) => f.format === format)?.label}
            </a>
          )}
          <p className="muted hint">
            The file streams straight from the server as it is read, however many statements match. Times are
            ISO 8601 in {tz}, with the zone's offset. Voided statements are left out.
          </p>
        </section>
      </div>
    </div>
  );
}
