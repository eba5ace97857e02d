// The query builder's model: a tree of groups (all / any, optionally negated) and conditions,
// converted to and from the filter language's JSON. Any filter converts to a tree; a tree
// converts to a filter or to the first problem, named with the condition's place.
import type { Condition, Filter } from "../api/types";
import { kindOf, fieldLabelOf } from "./filterFields";

export type Op = "eq" | "neq" | "in" | "prefix" | "exists" | "missing" | "gt" | "gte" | "lt" | "lte";
export type Cond = { kind: "cond"; field: string; op: Op; value: string };
export type Group = { kind: "group"; join: "and" | "or"; negate: boolean; children: Node[] };
export type Node = Cond | Group;

export const OPERATORS: { op: Op; label: string; needsValue: boolean }[] = [
  { op: "eq", label: "is", needsValue: true },
  { op: "neq", label: "is not", needsValue: true },
  { op: "in", label: "is one of", needsValue: true },
  { op: "prefix", label: "starts with", needsValue: true },
  { op: "gt", label: "greater than", needsValue: true },
  { op: "gte", label: "at least", needsValue: true },
  { op: "lt", label: "less than", needsValue: true },
  { op: "lte", label: "at most", needsValue: true },
  { op: "exists", label: "is present", needsValue: false },
  { op: "missing", label: "is absent", needsValue: false },
];

export const emptyTree = (): Group => ({ kind: "group", join: "and", negate: false, children: [] });
export const newCond = (): Cond => ({ kind: "cond", field: "verb", op: "eq", value: "" });

export function needsValue(op: Op): boolean {
  return OPERATORS.find((o) => o.op === op)?.needsValue ?? true;
}

function typed(field: string, text: string): unknown {
  const t = text.trim();
  const kind = kindOf(field);
  if (kind === "number" && t !== "" && !Number.isNaN(Number(t))) return Number(t);
  if (kind === "boolean" && (t === "true" || t === "false")) return t === "true";
  return t;
}

function bound(field: string, text: string): number | string | null {
  const t = text.trim();
  if (kindOf(field) === "time") return Number.isNaN(Date.parse(t)) ? null : t;
  const n = Number(t);
  return t === "" || Number.isNaN(n) ? null : n;
}

function condToFilter(c: Cond, place: string): Filter | string {
  const field = c.field.trim();
  if (!field) return `${place}: choose a field`;
  const label = fieldLabelOf(field);
  if (needsValue(c.op) && c.value.trim() === "") return `${place}: enter a value for ${label}`;
  switch (c.op) {
    case "eq":
      return { field, eq: typed(field, c.value) };
    case "neq":
      return { not: { field, eq: typed(field, c.value) } };
    case "in": {
      const values = c.value.split(",").map((v) => v.trim()).filter((v) => v !== "").map((v) => typed(field, v));
      return values.length ? { field, in: values } : `${place}: enter values for ${label}, separated by commas`;
    }
    case "prefix":
      return { field, prefix: c.value.trim() };
    case "exists":
      return { field, exists: true };
    case "missing":
      return { field, exists: false };
    default: {
      const b = bound(field, c.value);
      if (b === null) {
        return kindOf(field) === "time"
          ? `${place}: ${label} expects a date and time, e.g. 2026-01-31T00:00:00Z`
          : `${place}: ${label} expects a number`;
      }
      return { field, range: { [c.op]: b } };
    }
  }
}

/** The filter of a tree (null when it has no conditions), or the first problem. */
export function treeToFilter(g: Group, place = "Condition "): { filter: Filter | null } | { error: string } {
  const parts: Filter[] = [];
  let n = 0;
  for (const child of g.children) {
    n += 1;
    const where = `${place}${n}`;
    if (child.kind === "cond") {
      const f = condToFilter(child, where);
      if (typeof f === "string") return { error: f };
      parts.push(f);
    } else {
      const r = treeToFilter(child, `${where}.`);
      if ("error" in r) return r;
      if (r.filter) parts.push(r.filter);
    }
  }
  if (parts.length === 0) return { filter: null };
  const joined: Filter = parts.length === 1 ? parts[0]! : g.join === "and" ? { and: parts } : { or: parts };
  return { filter: g.negate ? { not: joined } : joined };
}

function text(v: unknown): string {
  return typeof v === "string" ? v : JSON.stringify(v);
}

function condOf(c: Condition): Cond | null {
  if (Object.keys(c).length !== 2) return null;
  const base = { kind: "cond" as const, field: c.field };
  if (c.eq !== undefined) return { ...base, op: "eq", value: text(c.eq) };
  if (c.in !== undefined) return { ...base, op: "in", value: c.in.map(text).join(", ") };
  if (c.prefix !== undefined) return { ...base, op: "prefix", value: c.prefix };
  if (c.exists !== undefined) return { ...base, op: c.exists ? "exists" : "missing", value: "" };
  const keys = Object.keys(c.range ?? {}) as ("gt" | "gte" | "lt" | "lte")[];
  if (c.range && keys.length === 1 && typeof c.range[keys[0]!] !== "object") {
    return { ...base, op: keys[0]!, value: text(c.range[keys[0]!]) };
  }
  return null;
}

function nodeOf(f: Filter): Node | null {
  if ("and" in f || "or" in f) {
    const join = "and" in f ? "and" : "or";
    const list = "and" in f ? f.and : (f as { or: Filter[] }).or;
    const children: Node[] = [];
    for (const part of list) {
      const n = nodeOf(part);
      if (!n) return null;
      children.push(n);
    }
    return { kind: "group", join, negate: false, children };
  }
  if ("not" in f) {
    const inner = f.not;
    if ("field" in inner) {
      const c = condOf(inner);
      if (c?.op === "eq") return { ...c, op: "neq" };
    }
    const n = nodeOf(inner);
    if (!n) return null;
    if (n.kind === "group" && !n.negate) return { ...n, negate: true };
    return { kind: "group", join: "and", negate: true, children: [n] };
  }
  return condOf(f as Condition);
}

/** The tree of a filter; null when the filter holds something the builder cannot show (a
 * relative time range, a range with two bounds), which is then edited as JSON. */
export function filterToTree(f: Filter | null | undefined): Group | null {
  if (!f) return emptyTree();
  const n = nodeOf(f);
  if (!n) return null;
  return n.kind === "group" ? n : { kind: "group", join: "and", negate: false, children: [n] };
}

/** Replaces the node at `path` (indexes from the root) with `f(node)`; `null` removes it. */
export function updateAt(root: Group, path: number[], f: (n: Node) => Node | null): Group {
  if (path.length === 0) {
    const r = f(root);
    return r && r.kind === "group" ? r : emptyTree();
  }
  const [i, ...rest] = path as [number, ...number[]];
  const children: Node[] = [];
  root.children.forEach((c, j) => {
    if (j !== i) children.push(c);
    else if (rest.length === 0) {
      const r = f(c);
      if (r) children.push(r);
    } else if (c.kind === "group") children.push(updateAt(c, rest, f));
    else children.push(c);
  });
  return { ...root, children };
}

/** How many conditions the tree holds. */
export function countConditions(n: Node): number {
  return n.kind === "cond" ? 1 : n.children.reduce((s, c) => s + countConditions(c), 0);
}
