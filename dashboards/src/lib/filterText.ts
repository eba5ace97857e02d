// A filter in words, for the explorer's and exports' headers: "Verb is completed and not
// (Success is false)". Values are shown by name when one is known.
import type { Condition, Filter } from "../api/types";
import { fieldLabelOf } from "./filterFields";

type Names = (v: string) => string;

function value(v: unknown, name: Names): string {
  return typeof v === "string" ? name(v) : JSON.stringify(v);
}

function condition(c: Condition, name: Names): string {
  const f = fieldLabelOf(c.field);
  if (c.eq !== undefined) return `${f} is ${value(c.eq, name)}`;
  if (c.in !== undefined) return `${f} is one of ${c.in.map((v) => value(v, name)).join(", ")}`;
  if (c.prefix !== undefined) return `${f} starts with ${c.prefix}`;
  if (c.exists !== undefined) return `${f} is ${c.exists ? "present" : "absent"}`;
  const words = { gt: ">", gte: "≥", lt: "<", lte: "≤" } as const;
  const parts = Object.entries(c.range ?? {}).map(([k, v]) => `${f} ${words[k as keyof typeof words] ?? k} ${value(v, name)}`);
  return parts.join(" and ") || f;
}

export function filterText(f: Filter | null, name: Names = (v) => v, top = true): string {
  if (!f) return "All statements";
  if ("and" in f || "or" in f) {
    const join = "and" in f ? "and" : "or";
    const list = "and" in f ? f.and : (f as { or: Filter[] }).or;
    const s = list.map((x) => filterText(x, name, false)).join(` ${join} `);
    return top ? s : `(${s})`;
  }
  if ("not" in f) return `not ${filterText(f.not, name, false)}`;
  return condition(f as Condition, name);
}

/** The IRIs a filter compares with (to look their names up). */
export function filterValues(f: Filter | null): string[] {
  if (!f) return [];
  if ("and" in f) return f.and.flatMap(filterValues);
  if ("or" in f) return f.or.flatMap(filterValues);
  if ("not" in f) return filterValues(f.not);
  const c = f as Condition;
  return [c.eq, ...(c.in ?? [])].filter((v): v is string => typeof v === "string");
}
