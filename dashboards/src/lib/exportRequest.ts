// The exports screen's request: format, fields, zone and order, as the export endpoint's JSON
// and as the address of the streamed download (GET with the JSON in `request`; the session
// cookie authenticates it, so the browser's download manager streams it to disk).
import type { Filter } from "../api/types";

export type ExportFormat = "csv" | "ndjson" | "statements";

export type ExportChoice = {
  format: ExportFormat;
  fields: string[];
  tz: string;
  order: "asc" | "desc";
  filter: Filter | null;
};

export function exportBody(c: ExportChoice): Record<string, unknown> {
  const body: Record<string, unknown> = { tz: c.tz, order: c.order };
  if (c.filter) body.filter = c.filter;
  if (c.format !== "statements") body.fields = c.fields;
  return body;
}

export function exportUrl(store: string, c: ExportChoice): string {
  const q = new URLSearchParams({ format: c.format, request: JSON.stringify(exportBody(c)) });
  return `/api/v1/stores/${encodeURIComponent(store)}/statements/export?${q}`;
}

/** What keeps the download from starting, or null. */
export function exportProblem(c: ExportChoice): string | null {
  if (c.format !== "statements" && c.fields.length === 0) return "Choose at least one field to export.";
  return null;
}
