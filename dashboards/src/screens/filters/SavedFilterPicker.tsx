// Chooses one of the store's saved filters; used by the query builder, the explorer, exports
// and the dashboard filter.
import { useSavedFilters } from "../../api/filters";
import type { Filter } from "../../api/types";

export function SavedFilterPicker({ store, onPick, label = "Saved filter" }: {
  store: string;
  onPick: (f: Filter, name: string, id: string) => void;
  label?: string;
}) {
  const saved = useSavedFilters(store);
  const items = saved.data ?? [];
  return (
    <label className="inline">
      {label}
      <select
        value=""
        disabled={items.length === 0}
        onChange={(e) => {
          const f = items.find((x) => x.id === e.target.value);
          if (f) onPick(f.filter, f.name, f.id);
        }}
      >
        <option value="">{items.length === 0 ? "None saved yet" : "Choose…"}</option>
        {items.map((f) => (
          <option key={f.id} value={f.id}>{f.name}</option>
        ))}
      </select>
    </label>
  );
}
