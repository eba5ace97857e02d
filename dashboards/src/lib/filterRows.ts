// The dashboard filter editor's model: rows of field + operator + value joined by and/or, and
// their conversion to and from the filter language's JSON (docs/api.md, Filter language).
import type { Condition, Filter } from "../api/types";

export type Op = "eq" | "neq" | "in" | "prefix" | "exists" | "missing" | "gt" | "gte" | "lt" | "lte";
export type Row = { field: string; op: Op; value: string };
export type Rows = { join: "and" | "or"; rows: Row[] };

export const FIELDS: { path: string; label: string; kind: "string" | "number" | "boolean" }[] = [
  { path: "verb", label: "Verb", kind: "string" },
  { path: "object.id", label: "Activity", kind: "string" },
  { path: "activity.type", label: "Activity type", kind: "string" },
  { path: "actor", label: "Actor", kind: "string" },
  { path: "persona", label: "Persona", kind: "string" },
  { path: "registration", label: "Registration", kind: "string" },
  { path: "context.parent", label: "Parent activity", kind: "string" },
  { path: "context.grouping", label: "Grouping activity", kind: "string" },
  { path: "context.category", label: "Category", kind: "string" },
  { path: "context.platform", label: "Platform", kind: "string" },
  { path: "context.language", label: "Language", kind: "string" },
  { path: "result.success", label: "Success", kind: "boolean" },
  { path: "result.completion", label: "Completion", kind: "boolean" },
  { path: "result.score.scaled", label: "Scaled score", kind: "number" },
  { path: "result.score.raw", label: "Raw score", kind: "number" },
  { path: "result.duration_ms", label: "Duration (ms)", kind: "number" },
];

export const OPS: { op: Op; label: string; needsValue: boolean }[] = [
  { op: "eq", label: "is", needsValue: true },
  { op: "neq", label: "is not", needsValue: true },
  { op: "in", label: "is one of", needsValue: true },
  { op: "prefix", label: "starts with", needsValue: true },
  { op: "gt", label: ">", needsValue: true },
  { op: "gte", label: "≥", needsValue: true },
  { op: "lt", label: "<", needsValue: true },
  { op: "lte", label: "≤", needsValue: true },
  { op: "exists", label: "is present", needsValue: false },
  { op: "missing", label: "is absent", needsValue: false },
];

export function fieldKind(path: string): "string" | "number" | "boolean" {
  return FIELDS.find((f) => f.path === path)?.kind ?? "string";
}

/** Whether the value autocomplete applies (string fields and extension paths). */
export function suggestable(path: string): boolean {
  return fieldKind(path) === "string" && path !== "persona";
}

function typed(path: string, text: string): unknown {
  const kind = fieldKind(path);
  const t = text.trim();
  if (kind === "number" && t !== "" && !Number.isNaN(Number(t))) return Number(t);
  if (kind === "boolean" && (t === "true" || t === "false")) return t === "true";
  return t;
}

/** A row's condition, or an error message naming what is missing. */
export function rowToFilter(row: Row): Filter | string {
  if (!row.field.trim()) return "choose a field";
  const field = row.field.trim();
  const needs = OPS.find((o) => o.op === row.op)?.needsValue ?? true;
  if (needs && row.value.trim() === "") return `enter a value for ${labelOf(field)}`;
  switch (row.op) {
    case "eq":
      return { field, eq: typed(field, row.value) };
    case "neq":
      return { not: { field, eq: typed(field, row.value) } };
    case "in":
      return { field, in: row.value.split(",").map((v) => typed(field, v)).filter((v) => v !== "") };
    case "prefix":
      return { field, prefix: row.value.trim() };
    case "exists":
      return { field, exists: true };
    case "missing":
      return { field, exists: false };
    default: {
      const n = Number(row.value.trim());
      if (Number.isNaN(n)) return `${labelOf(field)}: expected a number`;
      return { field, range: { [row.op]: n } };
    }
  }
}

/** The filter of the rows (null when there are none), or the first row's error. */
export function rowsToFilter(r: Rows): { filter: Filter | null } | { error: string } {
  const parts: Filter[] = [];
  for (const row of r.rows) {
    const f = rowToFilter(row);
    if (typeof f === "string") return { error: f };
    parts.push(f);
  }
  if (parts.length === 0) return { filter: null };
  if (parts.length === 1) return { filter: parts[0]! };
  return { filter: r.join === "and" ? { and: parts } : { or: parts } };
}

function text(v: unknown): string {
  return typeof v === "string" ? v : JSON.stringify(v);
}

function conditionToRow(f: Filter): Row | null {
  if ("not" in f) {
    const inner = f.not;
    if ("field" in inner && inner.eq !== undefined && Object.keys(inner).length === 2) {
      return { field: inner.field, op: "neq", value: text(inner.eq) };
    }
    return null;
  }
  if (!("field" in f)) return null;
  const c = f as Condition;
  if (Object.keys(c).length !== 2) return null;
  if (c.eq !== undefined) return { field: c.field, op: "eq", value: text(c.eq) };
  if (c.in !== undefined) return { field: c.field, op: "in", value: c.in.map(text).join(", ") };
  if (c.prefix !== undefined) return { field: c.field, op: "prefix", value: c.prefix };
  if (c.exists !== undefined) return { field: c.field, op: c.exists ? "exists" : "missing", value: "" };
  if (c.range) {
    const keys = Object.keys(c.range) as ("gt" | "gte" | "lt" | "lte")[];
    if (keys.length !== 1) return null;
    const k = keys[0]!;
    return { field: c.field, op: k, value: text(c.range[k]) };
  }
  return null;
}

/** The rows of a filter, or null when it has a shape the row editor cannot show. */
export function filterToRows(f: Filter | null | undefined): Rows | null {
  if (!f) return { join: "and", rows: [] };
  const single = conditionToRow(f);
  if (single) return { join: "and", rows: [single] };
  const join = "and" in f ? "and" : "or" in f ? "or" : null;
  if (!join) return null;
  const list = (f as Record<string, Filter[]>)[join] ?? [];
  const rows: Row[] = [];
  for (const part of list) {
    const row = conditionToRow(part);
    if (!row) return null;
    rows.push(row);
  }
  return { join, rows };
}

export function labelOf(path: string): string {
  return FIELDS.find((f) => f.path === path)?.label ?? path;
}

/** A one-line summary of rows for the toolbar: `Verb is completed and Success is true`. */
export function summarize(r: Rows, name: (v: string) => string = (v) => v): string {
  return r.rows
    .map((row) => {
      const op = OPS.find((o) => o.op === row.op)?.label ?? row.op;
      return OPS.find((o) => o.op === row.op)?.needsValue
        ? `${labelOf(row.field)} ${op} ${row.value.split(",").map((v) => name(v.trim())).join(", ")}`
        : `${labelOf(row.field)} ${op}`;
    })
    .join(` ${r.join} `);
}
