// The current filter travels between the query builder, the explorer and exports in the URL:
// `?filter=<JSON>` (next to `?store=`), so a link or a reload keeps it.
import type { Filter } from "../api/types";

export function parseFilterParam(raw: string | null): Filter | null {
  if (!raw) return null;
  try {
    const v: unknown = JSON.parse(raw);
    return v && typeof v === "object" && !Array.isArray(v) ? (v as Filter) : null;
  } catch {
    return null;
  }
}

/** A path of the app with the store and the filter in its query string. */
export function withFilter(path: string, store: string | null | undefined, filter: Filter | null): string {
  const q = new URLSearchParams();
  if (store) q.set("store", store);
  if (filter) q.set("filter", JSON.stringify(filter));
  const s = q.toString();
  return s ? `${path}?${s}` : path;
}

/** The filter on one value of a field: what a link from an explorer cell opens. */
export function filterOn(field: string, value: string): Filter {
  return { field, eq: value };
}
