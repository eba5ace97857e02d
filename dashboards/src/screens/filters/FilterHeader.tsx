// The filter a screen reads, in words (names, not IRIs), with a link to change it in the query
// builder, a saved filter picker and a way to clear it.
import { Link } from "react-router";
import { useNames } from "../../api/names";
import type { Filter } from "../../api/types";
import { withFilter } from "../../lib/filterParam";
import { filterText, filterValues } from "../../lib/filterText";
import { SavedFilterPicker } from "./SavedFilterPicker";

export function FilterHeader({ store, filter, onChange }: {
  store: string;
  filter: Filter | null;
  onChange: (f: Filter | null) => void;
}) {
  const names = useNames(store, filterValues(filter)).data ?? {};
  return (
    <section className="filter-header card" aria-label="Filter">
      <div className="row">
        <strong>Filter:</strong>
        <span data-testid="filter-text">{filterText(filter, (v) => names[v] ?? v)}</span>
        <div className="spacer" />
        <SavedFilterPicker store={store} onPick={(f) => onChange(f)} />
        <Link className="btn small" to={withFilter("/query", store, filter)}>Edit in query builder</Link>
        {filter && <button className="btn small" onClick={() => onChange(null)}>Clear filter</button>}
      </div>
    </section>
  );
}
